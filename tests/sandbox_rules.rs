//! One test per sandbox rule: a payload that is valid but for one field, sent through our client to
//! the sandbox over HTTP, must come back with the platform's code and sub_code and a sub_msg that
//! names the field. Each test also proves the unbroken payload passes, so no rule can hide behind
//! an unrelated refusal.

mod common;

use base64::Engine;
use common::{china_date, Harness};
use rentsync::alipay::AlipayError;
use serde_json::{json, Value};

const DISPERSION: &str = "alipay.eco.renthouse.room.dispersion.sync";
const CONCENTRATION: &str = "alipay.eco.renthouse.room.concentration.sync";
const STATE: &str = "alipay.eco.renthouse.room.state.sync";
const UPLOAD: &str = "alipay.eco.renthouse.common.image.upload";
const COMMUNITY: &str = "alipay.eco.renthouse.community.info.sync";
const SERVICE: &str = "alipay.eco.renthouse.ka.service.create";
const BILL: &str = "alipay.eco.renthouse.bill.order.sync";
const LEASE: &str = "alipay.eco.renthouse.lease.order.sync";

const JPEG: &[u8] = include_bytes!("data/room.jpg");
const PNG: &[u8] = include_bytes!("data/room.png");

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// code, sub_code, sub_msg of the answer ("10000", "", "" on success).
async fn answer(h: &Harness, method: &str, biz: &Value) -> (String, String, String) {
    match h.client.call_raw(method, &biz.to_string()).await {
        Ok(_) => ("10000".into(), String::new(), String::new()),
        Err(AlipayError::Platform {
            code,
            sub_code,
            sub_msg,
            ..
        }) => (code, sub_code, sub_msg),
        Err(e) => panic!("{method}: unexpected error {e}"),
    }
}

/// A sandbox with a community, an uploaded image, an operator, room 100001 and lease L1 already
/// in place.
struct Seed {
    h: Harness,
    comm_req_id: String,
    image: String,
    ka_code: String,
}

impl Seed {
    async fn new() -> Self {
        let h = Harness::with(|c| c.community_codes = vec!["HZ0001".into()]).await;
        let comm = h
            .client
            .call_raw(
                COMMUNITY,
                &json!({"community_name": "阳光花园", "city_code": "330100",
                        "district_name": "西湖区", "address": "文三路 100 号"})
                .to_string(),
            )
            .await
            .expect("community");
        let comm: Value = serde_json::from_str(&comm.node).unwrap();
        let up = h
            .client
            .call_raw(
                UPLOAD,
                &json!({"file_base": b64(JPEG), "file_type": "1"}).to_string(),
            )
            .await
            .expect("upload");
        let up: Value = serde_json::from_str(&up.node).unwrap();
        let ka = h
            .client
            .call_raw(
                "alipay.eco.renthouse.ka.baseinfo.sync",
                &json!({"ka_name": "示例"}).to_string(),
            )
            .await
            .expect("ka");
        let ka: Value = serde_json::from_str(&ka.node).unwrap();
        let seed = Seed {
            comm_req_id: comm["comm_req_id"].as_str().unwrap().into(),
            image: up["url"].as_str().unwrap().into(),
            ka_code: ka["ka_code"].as_str().unwrap().into(),
            h,
        };
        let room = seed.base(DISPERSION);
        assert_eq!(answer(&seed.h, DISPERSION, &room).await.0, "10000");
        // Bills need their lease on the platform.
        let lease = seed.base(LEASE);
        assert_eq!(answer(&seed.h, LEASE, &lease).await.0, "10000");
        seed
    }

    /// A payload the platform accepts, for each method under test.
    fn base(&self, method: &str) -> Value {
        match method {
            DISPERSION => json!({
                "room_code": "100001", "comm_req_id": self.comm_req_id, "rent_type": 1,
                "room_status": 1, "rent_status": 1, "bedroom_count": 2, "parlor_count": 1,
                "toilet_count": 1, "room_area": "68.50", "flat_area": "68.50",
                "floor_count": 5, "total_floor_count": "18", "room_amount": "4500.00",
                "foregift_amount": "4500", "checkin_time": china_date(1),
                "images": [self.image], "owners_tel": "4001234567", "intro": "南北通透"
            }),
            CONCENTRATION => json!({
                "room_code": "T2001", "comm_req_id": self.comm_req_id, "rent_type": 1,
                "room_status": 1, "rent_status": 1, "bedroom_count": 1, "parlor_count": 0,
                "toilet_count": 1, "room_amount": "2600", "max_amount": "3200.00",
                "nickname": "青年社区", "checkin_time": china_date(3), "images": [self.image],
                "all_room_num": 3, "can_rent_num": 2,
                "room_info_list": [{"room_num": "301"}, {"room_num": "302"}]
            }),
            STATE => {
                json!({"room_code": "100001", "room_status": 0, "rent_status": 2, "flats_tag": 1})
            }
            UPLOAD => json!({"file_base": b64(PNG), "file_type": "1", "is_public": true}),
            COMMUNITY => json!({"community_name": "星河湾", "city_name": "杭州市",
                "district_code": "330106", "community_locations": "120.130000|30.270000",
                "coordsys": "1"}),
            SERVICE => json!({"ka_code": self.ka_code, "type": 1,
                "address": "https://operator.example/spi/booking"}),
            BILL => json!({"trade_id": "T_20261121_1", "bill_number": "1", "bills": [{
                "bill_no": "B1", "lease_no": "L1", "bill_type": "10001", "bill_amount": "4500.00",
                "pay_status": 0, "start_date": "2026-12-01", "end_date": "2026-12-31"}]}),
            LEASE => json!({"lease_code": "L1", "room_code": "100001", "flats_tag": 1,
                "renter_name": "张三", "renter_phone": "13800000000", "begin_date": "2026-12-01",
                "end_date": "2027-11-30", "sale_amount": "4500", "lease_status": 1}),
            other => panic!("no base payload for {other}"),
        }
    }
}

/// `rule!(name, METHOD, |biz| { change }, code, sub_code, field)`.
macro_rules! rule {
    ($name:ident, $method:expr, |$biz:ident, $seed:ident| $change:block, $code:expr, $sub:expr, $field:expr) => {
        #[tokio::test]
        async fn $name() {
            let $seed = Seed::new().await;
            let valid = $seed.base($method);
            let ok = answer(&$seed.h, $method, &valid).await;
            assert_eq!(ok.0, "10000", "the unbroken payload must pass: {ok:?}");
            #[allow(unused_mut)]
            let mut $biz = valid;
            $change
            let (code, sub, msg) = answer(&$seed.h, $method, &$biz).await;
            assert_eq!((code.as_str(), sub.as_str()), ($code, $sub), "sub_msg: {msg}");
            assert!(msg.contains($field), "sub_msg {msg:?} should name {:?}", $field);
        }
    };
}

const INVALID: (&str, &str) = ("40002", "isv.invalid-parameter");
const MISSING: (&str, &str) = ("40001", "isv.missing-parameter");

rule!(
    bedroom_count_below_1,
    DISPERSION,
    |b, _s| {
        b["bedroom_count"] = json!(0);
    },
    INVALID.0,
    INVALID.1,
    "bedroom_count"
);
rule!(
    bedroom_count_above_26,
    DISPERSION,
    |b, _s| {
        b["bedroom_count"] = json!(27);
    },
    INVALID.0,
    INVALID.1,
    "bedroom_count"
);
rule!(
    parlor_count_above_10,
    DISPERSION,
    |b, _s| {
        b["parlor_count"] = json!(11);
    },
    INVALID.0,
    INVALID.1,
    "parlor_count"
);
rule!(
    toilet_count_negative,
    DISPERSION,
    |b, _s| {
        b["toilet_count"] = json!(-1);
    },
    INVALID.0,
    INVALID.1,
    "toilet_count"
);
rule!(
    room_amount_below_100,
    DISPERSION,
    |b, _s| {
        b["room_amount"] = json!("99.99");
    },
    INVALID.0,
    INVALID.1,
    "room_amount"
);
rule!(
    room_amount_above_35000,
    DISPERSION,
    |b, _s| {
        b["room_amount"] = json!("35000.01");
    },
    INVALID.0,
    INVALID.1,
    "room_amount"
);
rule!(
    room_amount_three_decimals,
    DISPERSION,
    |b, _s| {
        b["room_amount"] = json!("2500.505");
    },
    INVALID.0,
    INVALID.1,
    "room_amount"
);
rule!(
    room_amount_as_number,
    DISPERSION,
    |b, _s| {
        b["room_amount"] = json!(2500);
    },
    INVALID.0,
    INVALID.1,
    "room_amount"
);
rule!(
    room_amount_missing,
    DISPERSION,
    |b, _s| {
        b.as_object_mut().unwrap().remove("room_amount");
    },
    MISSING.0,
    MISSING.1,
    "room_amount"
);
rule!(
    room_area_below_5,
    DISPERSION,
    |b, _s| {
        b["room_area"] = json!("4.99");
    },
    INVALID.0,
    INVALID.1,
    "room_area"
);
rule!(
    flat_area_above_300,
    DISPERSION,
    |b, _s| {
        b["flat_area"] = json!("300.01");
    },
    INVALID.0,
    INVALID.1,
    "flat_area"
);
rule!(
    foregift_above_420000,
    DISPERSION,
    |b, _s| {
        b["foregift_amount"] = json!("420000.01");
    },
    INVALID.0,
    INVALID.1,
    "foregift_amount"
);
rule!(
    checkin_time_today,
    DISPERSION,
    |b, _s| {
        b["checkin_time"] = json!(china_date(0));
    },
    INVALID.0,
    INVALID.1,
    "checkin_time"
);
rule!(
    checkin_time_186_days_ahead,
    DISPERSION,
    |b, _s| {
        b["checkin_time"] = json!(china_date(186));
    },
    INVALID.0,
    INVALID.1,
    "checkin_time"
);
rule!(
    checkin_time_not_a_date,
    DISPERSION,
    |b, _s| {
        b["checkin_time"] = json!("2026/12/01");
    },
    INVALID.0,
    INVALID.1,
    "checkin_time"
);
rule!(
    floor_above_total_floors,
    DISPERSION,
    |b, _s| {
        b["floor_count"] = json!(19);
    },
    INVALID.0,
    INVALID.1,
    "floor_count"
);
rule!(
    more_than_10_images,
    DISPERSION,
    |b, s| {
        b["images"] = json!(vec![s.image.clone(); 11]);
    },
    INVALID.0,
    INVALID.1,
    "images"
);
rule!(
    image_not_issued_by_platform,
    DISPERSION,
    |b, _s| {
        b["images"] = json!(["http://elsewhere.example/a.jpg"]);
    },
    "40004",
    "isv.image-not-exist",
    "images[0]"
);
rule!(
    owners_tel_not_400,
    DISPERSION,
    |b, _s| {
        b["owners_tel"] = json!("13800000000");
    },
    INVALID.0,
    INVALID.1,
    "owners_tel"
);
rule!(
    shared_flat_needs_room_name,
    DISPERSION,
    |b, _s| {
        b["rent_type"] = json!(2);
        b["room_face"] = json!(1);
    },
    MISSING.0,
    MISSING.1,
    "room_name"
);
rule!(
    shared_flat_needs_room_face,
    DISPERSION,
    |b, _s| {
        b["rent_type"] = json!(2);
        b["room_name"] = json!("A");
    },
    MISSING.0,
    MISSING.1,
    "room_face"
);
rule!(
    room_name_is_one_capital_letter,
    DISPERSION,
    |b, _s| {
        b["rent_type"] = json!(2);
        b["room_face"] = json!(1);
        b["room_name"] = json!("a");
    },
    INVALID.0,
    INVALID.1,
    "room_name"
);
rule!(
    room_name_longer_than_one_letter,
    DISPERSION,
    |b, _s| {
        b["rent_type"] = json!(2);
        b["room_face"] = json!(1);
        b["room_name"] = json!("AB");
    },
    INVALID.0,
    INVALID.1,
    "room_name"
);
rule!(
    rent_type_out_of_enum,
    DISPERSION,
    |b, _s| {
        b["rent_type"] = json!(3);
    },
    INVALID.0,
    INVALID.1,
    "rent_type"
);
rule!(
    room_status_out_of_enum,
    DISPERSION,
    |b, _s| {
        b["room_status"] = json!(2);
    },
    INVALID.0,
    INVALID.1,
    "room_status"
);
rule!(
    rent_status_out_of_enum,
    DISPERSION,
    |b, _s| {
        b["rent_status"] = json!(0);
    },
    INVALID.0,
    INVALID.1,
    "rent_status"
);
rule!(
    community_missing,
    DISPERSION,
    |b, _s| {
        b.as_object_mut().unwrap().remove("comm_req_id");
    },
    MISSING.0,
    MISSING.1,
    "community_code|comm_req_id"
);
rule!(
    comm_req_id_not_issued,
    DISPERSION,
    |b, _s| {
        b["comm_req_id"] = json!("999999");
    },
    "40004",
    "isv.community-not-exist",
    "comm_req_id"
);
rule!(
    community_code_unknown,
    DISPERSION,
    |b, _s| {
        b.as_object_mut().unwrap().remove("comm_req_id");
        b["community_code"] = json!("NOPE");
    },
    "40004",
    "isv.community-not-exist",
    "community_code"
);
rule!(
    pay_type_list_element_checked,
    DISPERSION,
    |b, _s| {
        b["pay_type_list"] = json!([{"pay_type": 1, "room_amount": "50"}]);
    },
    INVALID.0,
    INVALID.1,
    "pay_type_list[0].room_amount"
);

rule!(
    concentration_intro_over_400_chars,
    CONCENTRATION,
    |b, _s| {
        b["intro"] = json!("房".repeat(401));
    },
    INVALID.0,
    INVALID.1,
    "intro"
);
rule!(
    concentration_add_needs_nickname,
    CONCENTRATION,
    |b, _s| {
        b["room_code"] = json!("T9");
        b.as_object_mut().unwrap().remove("nickname");
    },
    MISSING.0,
    MISSING.1,
    "nickname"
);
rule!(
    concentration_add_needs_max_amount,
    CONCENTRATION,
    |b, _s| {
        b["room_code"] = json!("T9");
        b.as_object_mut().unwrap().remove("max_amount");
    },
    MISSING.0,
    MISSING.1,
    "max_amount"
);
rule!(
    concentration_can_rent_above_all,
    CONCENTRATION,
    |b, _s| {
        b["can_rent_num"] = json!(4);
    },
    INVALID.0,
    INVALID.1,
    "can_rent_num"
);
rule!(
    concentration_total_floor_is_a_number,
    CONCENTRATION,
    |b, _s| {
        b["total_floor_count"] = json!("18");
    },
    INVALID.0,
    INVALID.1,
    "total_floor_count"
);

rule!(
    state_room_status_out_of_enum,
    STATE,
    |b, _s| {
        b["room_status"] = json!(3);
    },
    INVALID.0,
    INVALID.1,
    "room_status"
);
rule!(
    state_rent_status_out_of_enum,
    STATE,
    |b, _s| {
        b["rent_status"] = json!(3);
    },
    INVALID.0,
    INVALID.1,
    "rent_status"
);
rule!(
    state_flats_tag_out_of_enum,
    STATE,
    |b, _s| {
        b["flats_tag"] = json!(3);
    },
    INVALID.0,
    INVALID.1,
    "flats_tag"
);
rule!(
    state_flats_tag_missing,
    STATE,
    |b, _s| {
        b.as_object_mut().unwrap().remove("flats_tag");
    },
    MISSING.0,
    MISSING.1,
    "flats_tag"
);
rule!(
    state_of_unknown_room,
    STATE,
    |b, _s| {
        b["room_code"] = json!("404404");
    },
    "40004",
    "isv.room-not-exist",
    "room_code"
);
rule!(
    state_in_the_other_namespace,
    STATE,
    |b, _s| {
        b["flats_tag"] = json!(2);
    },
    "40004",
    "isv.room-not-exist",
    "room_code"
);

rule!(
    image_over_700000_bytes,
    UPLOAD,
    |b, _s| {
        let mut big = JPEG.to_vec();
        big.splice(4..4, std::iter::repeat_n(0u8, 700_001 - JPEG.len()));
        b["file_base"] = json!(b64(&big));
    },
    "40002",
    "isv.invalid-file-size",
    "file_base"
);
rule!(
    image_not_jpeg_or_png,
    UPLOAD,
    |b, _s| {
        b["file_base"] = json!(b64(b"GIF89a not a room photo"));
    },
    "40002",
    "isv.invalid-file-extension",
    "file_base"
);
rule!(
    image_truncated_jpeg,
    UPLOAD,
    |b, _s| {
        b["file_base"] = json!(b64(&JPEG[..JPEG.len() / 2]));
    },
    "40002",
    "isv.invalid-file-extension",
    "file_base"
);
rule!(
    image_not_base64,
    UPLOAD,
    |b, _s| {
        b["file_base"] = json!("@@@@");
    },
    INVALID.0,
    INVALID.1,
    "file_base"
);
rule!(
    image_file_type_out_of_enum,
    UPLOAD,
    |b, _s| {
        b["file_type"] = json!("3");
    },
    INVALID.0,
    INVALID.1,
    "file_type"
);

rule!(
    community_needs_a_name,
    COMMUNITY,
    |b, _s| {
        b.as_object_mut().unwrap().remove("community_name");
    },
    MISSING.0,
    MISSING.1,
    "community_name"
);
rule!(
    community_needs_a_place,
    COMMUNITY,
    |b, _s| {
        b.as_object_mut().unwrap().remove("community_locations");
    },
    MISSING.0,
    MISSING.1,
    "address|community_locations|poi"
);
rule!(
    community_locations_lng_bar_lat,
    COMMUNITY,
    |b, _s| {
        b["community_locations"] = json!("120.13,30.27");
    },
    INVALID.0,
    INVALID.1,
    "community_locations"
);
rule!(
    community_coordinates_need_coordsys,
    COMMUNITY,
    |b, _s| {
        b.as_object_mut().unwrap().remove("coordsys");
    },
    MISSING.0,
    MISSING.1,
    "coordsys"
);
rule!(
    community_division_code_six_digits,
    COMMUNITY,
    |b, _s| {
        b["district_code"] = json!("3301");
    },
    INVALID.0,
    INVALID.1,
    "district_code"
);

rule!(
    service_type_out_of_enum,
    SERVICE,
    |b, _s| {
        b["type"] = json!(9);
    },
    INVALID.0,
    INVALID.1,
    "type"
);
rule!(
    service_address_is_a_url,
    SERVICE,
    |b, _s| {
        b["address"] = json!("lookAtHouse");
    },
    INVALID.0,
    INVALID.1,
    "address"
);
rule!(
    service_for_unknown_operator,
    SERVICE,
    |b, _s| {
        b["ka_code"] = json!("nobody");
    },
    "40004",
    "isv.ka-not-exist",
    "ka_code"
);

rule!(
    bill_number_must_match_bills,
    BILL,
    |b, _s| {
        b["bill_number"] = json!("2");
    },
    INVALID.0,
    INVALID.1,
    "bill_number"
);
rule!(
    bill_trade_id_charset,
    BILL,
    |b, _s| {
        b["trade_id"] = json!("T-1");
    },
    INVALID.0,
    INVALID.1,
    "trade_id"
);
rule!(
    bill_type_out_of_enum,
    BILL,
    |b, _s| {
        b["bills"][0]["bill_type"] = json!("30001");
    },
    INVALID.0,
    INVALID.1,
    "bills[0].bill_type"
);

rule!(
    lease_concentration_needs_room_num,
    LEASE,
    |b, _s| {
        b["flats_tag"] = json!(2);
    },
    MISSING.0,
    MISSING.1,
    "room_num"
);
rule!(
    lease_end_before_begin,
    LEASE,
    |b, _s| {
        b["end_date"] = json!("2026-11-30");
    },
    INVALID.0,
    INVALID.1,
    "end_date"
);

#[tokio::test]
async fn checkin_time_185_days_ahead_is_the_last_allowed_day() {
    let s = Seed::new().await;
    let mut b = s.base(DISPERSION);
    b["checkin_time"] = json!(china_date(185));
    assert_eq!(answer(&s.h, DISPERSION, &b).await.0, "10000");
}

#[tokio::test]
async fn intro_of_400_chinese_characters_fits() {
    let s = Seed::new().await;
    let mut b = s.base(CONCENTRATION);
    b["intro"] = json!("房".repeat(400));
    assert_eq!(answer(&s.h, CONCENTRATION, &b).await.0, "10000");
}

#[tokio::test]
async fn concentration_update_may_omit_add_only_fields() {
    let s = Seed::new().await;
    let mut b = s.base(CONCENTRATION);
    assert_eq!(answer(&s.h, CONCENTRATION, &b).await.0, "10000");
    let o = b.as_object_mut().unwrap();
    o.remove("nickname");
    o.remove("max_amount");
    assert_eq!(answer(&s.h, CONCENTRATION, &b).await.0, "10000");
}

#[tokio::test]
async fn known_community_code_is_accepted() {
    let s = Seed::new().await;
    let mut b = s.base(DISPERSION);
    b.as_object_mut().unwrap().remove("comm_req_id");
    b["community_code"] = json!("HZ0001");
    assert_eq!(answer(&s.h, DISPERSION, &b).await.0, "10000");
}

#[tokio::test]
async fn accepted_rooms_are_served_read_only() {
    let s = Seed::new().await;
    let state = s.base(STATE);
    assert_eq!(answer(&s.h, STATE, &state).await.0, "10000");
    let rooms = s.h.get_json("/sandbox/rooms").await;
    let room = &rooms.as_array().unwrap()[0];
    assert_eq!(room["room_code"], "100001");
    assert_eq!(room["flats_tag"], 1);
    assert_eq!(room["room_status"], 0);
    assert_eq!(room["rent_status"], 2);
    assert_eq!(room["images"], json!([s.image]));
    assert_eq!(room["biz_content"]["room_amount"], "4500.00");
    let stats = s.h.get_json("/sandbox/stats").await;
    assert_eq!(stats["calls"][DISPERSION]["success"], 1);
    assert_eq!(stats["calls"][STATE]["success"], 1);
}

#[tokio::test]
async fn retried_bill_push_gets_the_same_answer() {
    let s = Seed::new().await;
    let b = s.base(BILL);
    let first = s.h.client.call_raw(BILL, &b.to_string()).await.unwrap();
    let again = s.h.client.call_raw(BILL, &b.to_string()).await.unwrap();
    assert_eq!(first.node, again.node);
    assert!(first.node.contains("B1"));
}

#[tokio::test]
async fn bills_of_an_unknown_lease_are_refused() {
    let s = Seed::new().await;
    let mut b = s.base(BILL);
    b["bills"][0]["lease_no"] = json!("NO-SUCH-LEASE");
    let (code, sub, msg) = answer(&s.h, BILL, &b).await;
    assert_eq!(
        (code.as_str(), sub.as_str()),
        ("40004", "isv.lease-not-exist"),
        "{msg}"
    );
    assert!(msg.contains("lease_no"), "{msg}");
}

#[tokio::test]
async fn only_an_id_card_is_taken_as_card_type() {
    let s = Seed::new().await;
    let mut l = s.base(LEASE);
    l["card_type"] = json!(1);
    let (code, _, msg) = answer(&s.h, LEASE, &l).await;
    assert_eq!(code, "40002", "{msg}");
    assert!(msg.contains("card_type"), "{msg}");
}
