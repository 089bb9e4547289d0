use chrono::NaiveDate;
use serde_json::json;

use super::*;

fn ctx() -> Context {
    Context {
        today: NaiveDate::from_ymd_opt(2026, 11, 21).unwrap(),
        adding: true,
        max_image_bytes: MAX_IMAGE_BYTES,
    }
}

fn whole_flat() -> Value {
    json!({
        "room_code": "100001", "comm_req_id": "1001", "rent_type": 1, "room_status": 1,
        "rent_status": 1, "bedroom_count": 2, "parlor_count": 1, "toilet_count": 1,
        "room_amount": "4500.00", "checkin_time": "2026-11-22",
    })
}

fn fields(breaks: &[Violation]) -> Vec<&str> {
    breaks.iter().map(|v| v.field.as_str()).collect()
}

#[test]
fn a_complete_whole_flat_passes() {
    let breaks = check(
        "alipay.eco.renthouse.room.dispersion.sync",
        &whole_flat(),
        &ctx(),
    )
    .unwrap();
    assert!(breaks.is_empty(), "{breaks:?}");
}

#[test]
fn every_break_is_reported_at_once_with_its_field() {
    let mut biz = whole_flat();
    biz["bedroom_count"] = json!(27);
    biz["room_amount"] = json!(4500);
    biz["checkin_time"] = json!("2026-11-21");
    biz["rent_type"] = json!(2);
    let breaks = check("alipay.eco.renthouse.room.dispersion.sync", &biz, &ctx()).unwrap();
    let mut got = fields(&breaks);
    got.sort_unstable();
    assert_eq!(
        got,
        [
            "bedroom_count",
            "checkin_time",
            "room_amount",
            "room_face",
            "room_name"
        ]
    );
    let amount = breaks.iter().find(|v| v.field == "room_amount").unwrap();
    assert_eq!(amount.rule, "must be a JSON string");
}

#[test]
fn nested_breaks_name_their_path() {
    let mut biz = whole_flat();
    biz["pay_type_list"] = json!([{ "pay_type": 3, "room_amount": "90" }]);
    let breaks = check("alipay.eco.renthouse.room.dispersion.sync", &biz, &ctx()).unwrap();
    assert_eq!(
        fields(&breaks),
        ["pay_type_list[0].pay_type", "pay_type_list[0].room_amount"]
    );
}

#[test]
fn unknown_methods_and_non_objects_are_errors() {
    assert!(matches!(
        check("alipay.trade.pay", &json!({}), &ctx()),
        Err(RulesError::UnknownMethod(_))
    ));
    assert_eq!(
        check("alipay.eco.renthouse.room.state.sync", &json!([1]), &ctx()),
        Err(RulesError::NotAnObject)
    );
}

#[test]
fn payment_plans_and_fees_are_checked_element_by_element() {
    let mut biz = whole_flat();
    biz["pay_type_list"] = json!([
        {"pay_type": 1, "lease_term": 12, "room_amount": "4500.00", "service_type": "m"},
        {"pay_type": 3, "lease_term": 2, "room_amount": "99.00", "service_type": "w"},
    ]);
    biz["other_amount"] = json!([{"name": "物业费", "amount": "-1"}]);
    biz["free_begin_date"] = json!("2026-12-10");
    biz["free_end_date"] = json!("2026-12-01");
    biz["commission_type"] = json!("x");
    let breaks = check("alipay.eco.renthouse.room.dispersion.sync", &biz, &ctx()).unwrap();
    assert_eq!(
        fields(&breaks),
        [
            "free_end_date",
            "commission_type",
            "other_amount[0].amount",
            "pay_type_list[1].pay_type",
            "pay_type_list[1].lease_term",
            "pay_type_list[1].room_amount",
            "pay_type_list[1].service_type",
        ]
    );
}
