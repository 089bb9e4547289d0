//! Fields only `*.add` carries (spec §4.2: bedrooms, living rooms, bathrooms, door number,
//! source company, …; §4.4 for apartments: name, address, division codes, …). A modify cannot
//! change them, so a later change in the source would be dropped without a word. Instead the add
//! request's add-only part is kept (state database, per listing) and every later sync compares the
//! listing's current add-only values with it: each difference becomes an item warning, naming the
//! room, the field, the source column and both values, shown by `status`, `explain` and the dry-run.
//!
//! Which fields are add-only is read off the wire models themselves (the add request minus the
//! fields its modify shares), so a field added to a model is covered without a list to update.

use serde::Serialize;
use serde_json::{Map, Value};

/// Cache kind of the snapshots; key `house:<room code>` or `apartment:<room code>`.
pub const KIND: &str = "hs_add_only";

/// Our own ids: part of the key, never changed.
const IDENTITY: [&str; 2] = ["external_id", "apartment_id"];

/// The add-only part of an add request: what `add` carries and `fields` (the modify's share) does
/// not.
pub fn snapshot<A: Serialize, F: Serialize>(add: &A, fields: &F) -> Map<String, Value> {
    let (Ok(Value::Object(mut add)), Ok(Value::Object(shared))) =
        (serde_json::to_value(add), serde_json::to_value(fields))
    else {
        return Map::new();
    };
    add.retain(|k, _| !shared.contains_key(k) && !IDENTITY.contains(&k.as_str()));
    add
}

/// One add-only field whose value differs from the one the add sent.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub field: String,
    pub added: Option<Value>,
    pub now: Option<Value>,
}

pub fn changes(added: &Map<String, Value>, now: &Map<String, Value>) -> Vec<Change> {
    let mut keys: Vec<&String> = added.keys().chain(now.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| added.get(*k) != now.get(*k))
        .map(|k| Change {
            field: k.clone(),
            added: added.get(k).cloned(),
            now: now.get(k).cloned(),
        })
        .collect()
}

/// The platform's title and the source of an add-only field; `None` source for fields the views
/// do not fill. Personal data is marked so its values never reach a warning.
fn about(field: &str) -> (&'static str, Option<&'static str>, bool) {
    match field {
        "bed_room" => ("卧室数量", Some("bedrooms"), false),
        "living_room" => ("客厅数量", Some("parlors"), false),
        "bath_room" => ("卫生间数量", Some("toilets"), false),
        "kitchen" => ("厨房数量", None, false),
        "doorplate_number" => ("门牌号", None, false),
        "construction_year" => ("建筑年代", None, false),
        "source_company" => ("来源公司", Some("[tenant.housing] source_company"), false),
        "house_program_id" => ("关联小程序ID", None, false),
        "page" => ("小程序跳转详情页地址", None, false),
        "apartment_name" => ("公寓名称", Some("nickname"), false),
        "apartment_address" => ("公寓地址", Some("address"), false),
        "province_code" => ("省code", Some("city_code / city_name"), false),
        "city_code" => ("城市code", Some("city_code / city_name"), false),
        "district_code" => ("区县code", Some("district_code / district_name"), false),
        "business_district" => ("商圈", None, false),
        "owner_id" => ("所有者身份证", None, true),
        "owner_name" => ("所有者姓名", None, true),
        "verification_code" => ("校验码", None, true),
        _ => ("", None, false),
    }
}

fn shown(v: &Option<Value>) -> String {
    match v {
        None => "(not sent)".into(),
        Some(Value::String(s)) => format!("{s:?}"),
        Some(other) => other.to_string(),
    }
}

/// `room 100001: bed_room 卧室数量 (source: bedrooms) was sent as "2" with house.rental.add and
/// is "3" now: the family cannot modify it (add only), so the platform keeps "2" until the listing
/// is added anew`.
pub fn warning(room_code: &str, add_method: &str, c: &Change) -> String {
    let (title, source, personal) = about(&c.field);
    let name = if title.is_empty() {
        c.field.clone()
    } else {
        format!("{} {title}", c.field)
    };
    let source = source
        .map(|s| format!(" (source: {s})"))
        .unwrap_or_default();
    if personal {
        return format!(
            "room {room_code}: {name}{source} changed since {add_method} (values withheld): the family \
             cannot modify it (add only), so the platform keeps the value it was added with until \
             the listing is added anew"
        );
    }
    let (added, now) = (shown(&c.added), shown(&c.now));
    format!(
        "room {room_code}: {name}{source} was {added} at {add_method} and is {now} now: the family \
         cannot modify it (add only), so the platform keeps {added} until the listing is added anew"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alipay::housing::{HouseRentalAdd, HouseRentalFields};

    fn add(bed: &str, rent: &str) -> HouseRentalAdd {
        HouseRentalAdd {
            external_id: "F1".into(),
            bed_room: Some(bed.into()),
            living_room: Some("1".into()),
            fields: HouseRentalFields {
                rent: Some(rent.into()),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    #[test]
    fn the_snapshot_holds_the_add_only_fields_and_nothing_a_modify_changes() {
        let a = add("2", "2500.00");
        let s = snapshot(&a, &a.fields);
        assert_eq!(
            s.keys().collect::<Vec<_>>(),
            ["bed_room", "living_room"],
            "no external_id, no rent"
        );
    }

    #[test]
    fn a_changed_add_only_field_is_named_with_its_source_and_both_values() {
        let (a, b) = (add("2", "2500.00"), add("3", "2600.00"));
        let c = changes(&snapshot(&a, &a.fields), &snapshot(&b, &b.fields));
        assert_eq!(
            c.len(),
            1,
            "a rent change is a modify, not a warning: {c:?}"
        );
        let w = warning("F1", "house.rental.add", &c[0]);
        assert!(
            w.starts_with("room F1: bed_room 卧室数量 (source: bedrooms)"),
            "{w}"
        );
        assert!(w.contains("\"2\"") && w.contains("\"3\""), "{w}");
        assert!(!w.contains("; "), "status splits warnings at \"; \": {w}");
    }

    #[test]
    fn personal_data_is_never_in_a_warning() {
        let c = Change {
            field: "owner_id".into(),
            added: Some(Value::String("330106199001011234".into())),
            now: Some(Value::String("330106199001015678".into())),
        };
        let w = warning("F1", "house.rental.add", &c);
        assert!(!w.contains("1990"), "{w}");
        assert!(w.contains("values withheld"), "{w}");
    }
}
