//! What each family can carry of the source, for the dry-run and the reports: the view columns a
//! family has no field for (so the operator knows what the platform will not show), and, for the
//! housing family, which of its fields the views leave empty.
//!
//! The second list is measured, not written down: each row's add requests are built as they
//! would be sent and their fields collected, so a new column mapped in `housing::payload` drops
//! out of it by itself. The first list is the mapping's other half and is kept here, one entry per
//! column, beside the reason.

use std::collections::BTreeSet;

use chrono::NaiveDate;

use super::Listing;
use crate::alipay::housing::{apartment, house};
use crate::model::{CommunityRef, Room};
use crate::platform::housing::payload;
use crate::platform::HousingSettings;

/// A source column one family has no field for.
pub struct Uncarried {
    /// `renthouse` or `housing`: the family that drops it.
    pub family: &'static str,
    pub column: &'static str,
    pub why: &'static str,
    /// Whether a row gives it a value (rows that leave it empty lose nothing).
    pub filled: fn(&Listing) -> bool,
}

pub const UNCARRIED: &[Uncarried] = &[
    Uncarried {
        family: "housing",
        column: "community_code",
        why: "a renthouse community code: the housing family finds or adds its own community (community.batchquery, community.add)",
        filled: |l| l.community_code.is_some(),
    },
    Uncarried {
        family: "housing",
        column: "room_face",
        why: "orientation takes words (东, 南, …) and the codes 1–10 have no published meaning, so the code is not sent",
        filled: |l| matches!(&l.room, Room::Dispersion(d) if d.shared.is_some()),
    },
    Uncarried {
        family: "housing",
        column: "can_rent",
        why: "no count of free rooms: each apartment room carries its own status",
        filled: |l| matches!(&l.room, Room::Concentration(_)),
    },
];

/// The columns `family` cannot carry.
pub fn uncarried(family: &str) -> impl Iterator<Item = &'static Uncarried> + '_ {
    UNCARRIED.iter().filter(move |u| u.family == family)
}

/// The housing fields one listing fills, per add method, as they would be sent.
pub fn housing_fields(
    listing: &Listing,
    s: &HousingSettings,
    today: NaiveDate,
) -> Vec<(&'static str, BTreeSet<String>)> {
    // Placeholder ids stand in for what the platform returns; only which fields are set counts.
    let photos = listing.photos.iter().map(|_| "photo".to_string()).collect();
    let room = listing.resolve(CommunityRef::Code("community".into()), photos, today);
    let keys = |v: Result<serde_json::Value, serde_json::Error>| -> BTreeSet<String> {
        match v {
            Ok(serde_json::Value::Object(m)) => m.into_iter().map(|(k, _)| k).collect(),
            _ => BTreeSet::new(),
        }
    };
    match &room {
        Room::Dispersion(r) => vec![(
            "house.rental.add",
            keys(serde_json::to_value(payload::house_add(r, "community", s))),
        )],
        Room::Concentration(r) => {
            let at = payload::location(&listing.community, s).unwrap_or_default();
            let mut out = vec![(
                "apartment.add",
                keys(serde_json::to_value(payload::apartment_add(r, &at, s))),
            )];
            if let Some(door) = r.room_numbers.first() {
                out.push((
                    "apartment.rental.add",
                    keys(serde_json::to_value(payload::rental_add(
                        r,
                        "apartment",
                        door,
                        s,
                    ))),
                ));
            }
            out
        }
    }
}

/// Every field each housing add method takes.
pub fn housing_methods() -> [(&'static str, &'static [&'static str]); 3] {
    [
        ("house.rental.add", &house::ADD_FIELDS),
        ("apartment.add", &apartment::ADD_FIELDS),
        ("apartment.rental.add", &apartment::RENTAL_ADD_FIELDS),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_housing_drops_columns_today() {
        assert!(uncarried("renthouse").next().is_none());
        let cols: Vec<_> = uncarried("housing").map(|u| u.column).collect();
        assert_eq!(cols, ["community_code", "room_face", "can_rent"]);
    }
}
