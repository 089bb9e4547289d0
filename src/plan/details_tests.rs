//! The optional fields through the planner: what the renthouse payload carries, the platform's
//! rules on them with the source column named, and the content hash that makes a change resend.

use chrono::NaiveDate;

use super::{plan, Listing};
use crate::model::{
    Commission, Community, CommunityRef, DispersionRoom, Division, Fee, Layout, ListingDetails,
    Money, PayPlan, Place, RentStatus, Room, RoomState,
};
use crate::platform::{room_payload, RoomPayload};

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 21).unwrap()
}

fn details() -> ListingDetails {
    ListingDetails {
        pay_type: Some(1),
        pay_plans: vec![
            PayPlan {
                pay_type: 1,
                lease_term_months: Some(12),
                rent: Money(450000),
                max_rent: None,
                deposit: Some(Money(450000)),
                max_deposit: None,
                service: Some(Money(10000)),
                service_unit: Some("m".into()),
            },
            PayPlan {
                pay_type: 2,
                lease_term_months: Some(6),
                rent: Money(445000),
                max_rent: None,
                deposit: None,
                max_deposit: None,
                service: None,
                service_unit: None,
            },
        ],
        fees: vec![Fee {
            name: "物业费".into(),
            amount: Money(12050),
            unit: Some("元/月".into()),
        }],
        fee_remark: Some("水电按表计".into()),
        lease_until: NaiveDate::from_ymd_opt(2027, 12, 31),
        min_rent_days: Some(30),
        free_deposit_from: NaiveDate::from_ymd_opt(2026, 12, 1),
        free_deposit_until: NaiveDate::from_ymd_opt(2027, 3, 1),
        building_no: Some("3".into()),
        unit_no: Some("2单元".into()),
        door_no: Some("1501".into()),
        flat_configs: vec!["1".into(), "4".into()],
        commission: Some(Commission::PercentCenti(250)),
        store_no: Some("92520002".into()),
        detail_url: Some("https://m.example.cn/r/1".into()),
        features: vec!["1".into(), "2".into()],
        video_url: Some("https://v.example.cn/1.mp4".into()),
        orientation: Some("南".into()),
        decoration: Some("精装修".into()),
        elevator: Some(true),
        floor_band: Some("MIDDLE".into()),
        listing_date: NaiveDate::from_ymd_opt(2026, 11, 1),
        tags: vec!["近地铁".into()],
        ..Default::default()
    }
}

fn listing(details: ListingDetails) -> Listing {
    Listing {
        room: Room::Dispersion(DispersionRoom {
            room_code: "100100".into(),
            community: CommunityRef::RequestId(String::new()),
            shared: None,
            layout: Layout {
                bedrooms: 2,
                parlors: 1,
                toilets: 1,
            },
            room_area_centi: Some(8000),
            flat_area_centi: Some(8000),
            floor: Some(5),
            total_floors: Some(18),
            rent: Money(450000),
            deposit: Some(Money(450000)),
            checkin: NaiveDate::MIN,
            images: vec![],
            intro: None,
            room_configs: vec!["2".into()],
            owners_name: None,
            owners_tel: None,
            state: RoomState::OnShelf,
            rent_status: RentStatus::Vacant,
            details,
        }),
        community_key: "1".into(),
        community: Community {
            name: "阳光花园".into(),
            city: Division::Code("310100".into()),
            district: Division::Code("310115".into()),
            place: Place::Address("浦东新区张江路1号".into()),
        },
        community_code: Some("C1".into()),
        photos: vec![],
        active: true,
    }
}

#[test]
fn every_optional_field_reaches_the_renthouse_payload_in_its_wire_form() {
    let p = plan(listing(details()), today());
    assert!(p.is_valid(), "{}", p.error_text());
    let RoomPayload::Dispersion(w) = room_payload(&p.listing.room) else {
        panic!("a dispersion payload");
    };
    let plans = w.pay_type_list.expect("pay_type_list");
    assert_eq!(plans.len(), 2);
    assert_eq!(plans[0].room_amount.as_deref(), Some("4500.00"));
    assert_eq!(plans[0].lease_term, Some(12));
    assert_eq!(plans[0].service_amount.as_deref(), Some("100.00"));
    assert_eq!(plans[1].pay_type, Some(2));
    assert_eq!(plans[1].foregift_amount, None);
    let fees = w.other_amount.expect("other_amount");
    assert_eq!(fees[0].amount.as_deref(), Some("120.50"));
    assert_eq!(fees[0].unit.as_deref(), Some("元/月"));
    assert_eq!(w.pay_type, Some(1));
    assert_eq!(w.fee_remark.as_deref(), Some("水电按表计"));
    assert_eq!(w.max_lease_time.as_deref(), Some("2027-12-31"));
    assert_eq!(w.min_rent_days, Some(30));
    assert_eq!(w.free_begin_date.as_deref(), Some("2026-12-01"));
    assert_eq!(w.free_end_date.as_deref(), Some("2027-03-01"));
    assert_eq!(w.flat_building.as_deref(), Some("3"));
    assert_eq!(w.flat_unit.as_deref(), Some("2单元"));
    assert_eq!(w.room_num.as_deref(), Some("1501"));
    assert_eq!(w.flat_configs, Some(vec!["1".to_string(), "4".to_string()]));
    assert_eq!(w.commission.as_deref(), Some("2.50"));
    assert_eq!(w.commission_type.as_deref(), Some("p"));
    assert_eq!(w.room_store_no.as_deref(), Some("92520002"));
    assert_eq!(
        w.detail_address.as_deref(),
        Some("https://m.example.cn/r/1")
    );
    assert_eq!(w.feature, Some(vec!["1".to_string(), "2".to_string()]));
    assert_eq!(w.video.as_deref(), Some("https://v.example.cn/1.mp4"));
}

#[test]
fn a_broken_plan_names_the_child_view_its_row_and_value() {
    let mut d = details();
    d.pay_plans[1].rent = Money(5000);
    let p = plan(listing(d), today());
    let text = p.error_text();
    assert!(
        text.contains("pay_type_list[1].room_amount 租金")
            && text.contains("source: rentsync_room_pay_plans.rent_fen of row 2 = 5000"),
        "{text}"
    );
}

#[test]
fn out_of_range_optional_fields_are_refused_naming_the_column_and_value() {
    let mut d = details();
    d.min_rent_days = Some(0);
    d.free_deposit_until = NaiveDate::from_ymd_opt(2026, 11, 30);
    d.fees[0].amount = Money(-100);
    let p = plan(listing(d), today());
    let text = p.error_text();
    assert!(
        text.contains(
            "min_rent_days 多少天起可租: must be between 1 and 3650 (source: min_rent_days = 0)"
        ),
        "{text}"
    );
    assert!(text.contains("free_end_date 免押金结束日期: must not be before free_begin_date (source: free_deposit_end = 2026-11-30)"), "{text}");
    assert!(
        text.contains("other_amount[0].amount")
            && text.contains("rentsync_room_fees.amount_fen of row 1 = -100"),
        "{text}"
    );
}

#[test]
fn a_change_to_any_optional_field_changes_the_content_hash() {
    let base = plan(listing(details()), today()).content_hash;
    let changes: Vec<fn(&mut ListingDetails)> = vec![
        |d| d.pay_plans[1].rent = Money(446000),
        |d| d.fees.clear(),
        |d| d.min_rent_days = Some(31),
        |d| d.orientation = Some("北".into()),
        |d| d.elevator = Some(false),
        |d| d.tags.push("可养宠物".into()),
        |d| d.door_no = Some("1502".into()),
        |d| d.video_url = None,
    ];
    for (i, change) in changes.into_iter().enumerate() {
        let mut d = details();
        change(&mut d);
        assert_ne!(plan(listing(d), today()).content_hash, base, "change {i}");
    }
}

#[test]
fn a_listing_without_optional_fields_hashes_as_before_they_existed() {
    let l = listing(ListingDetails::default());
    let json = serde_json::to_string(&l).unwrap();
    assert!(!json.contains("details"), "{json}");
}

/// The hash stored for every live room: computing it in place must give what hashing a copy
/// with the state fixed gave, or every room would be resent after an upgrade; and it must
/// leave the listing as it was. `active` is part of it: a room restored while off shelf reads
/// the same in every other field and state, and must still be worked.
#[test]
fn the_content_hash_is_the_hash_of_the_listing_with_its_state_fixed() {
    use crate::model::{RentStatus, Room, RoomState};
    let mut l = listing(details());
    if let Room::Dispersion(r) = &mut l.room {
        r.state = RoomState::OffShelf;
        r.rent_status = RentStatus::Rented;
    }
    let before = l.clone();
    let mut fixed = l.clone();
    if let Room::Dispersion(r) = &mut fixed.room {
        r.state = RoomState::OnShelf;
        r.rent_status = RentStatus::Vacant;
    }
    let live = l.content_hash();
    assert_eq!(live, super::hash_json(&fixed));
    assert_eq!(l, before, "the listing is put back as it was");
    l.active = false;
    assert_ne!(l.content_hash(), live, "archiving changes the change key");
}

/// The worker's payload hash (what the platform was last sent) is taken in place too: it must
/// equal the hash of a copy with the state fixed, or every room would be resent after an upgrade.
#[test]
fn the_payload_hash_in_place_is_the_hash_of_a_fixed_copy() {
    use crate::model::{RentStatus, RoomState};
    use crate::platform::room_payload;
    let mut room = listing(details()).room;
    room.set_state(RoomState::OffShelf, RentStatus::Rented);
    let before = room.clone();
    let mut fixed = room.clone();
    fixed.set_state(RoomState::OnShelf, RentStatus::Vacant);
    let in_place = room.with_fixed_state(|r| super::hash_json(&room_payload(r)));
    assert_eq!(in_place, super::hash_json(&room_payload(&fixed)));
    assert_eq!(room, before, "the room is put back as it was");
}
