//! Rooms as reports list them: code, community, name, price and state, and for an update the
//! platform fields that change (old → new). Lists are bounded ([`Bounded`]): the first
//! [`LIST_LIMIT`] rooms are kept, the rest only counted.

use serde::Serialize;
use serde_json::Value;

use super::doc::LIST_LIMIT;
use crate::model::Room;
use crate::plan::Listing;

/// One room in a report.
#[derive(Debug, Clone, Serialize)]
pub struct RoomLine {
    pub room_code: String,
    pub kind: String,
    pub community: String,
    /// The room type's nickname (集中式), or the layout and bedroom (分散式): `2室1厅1卫 A`.
    pub name: String,
    /// Monthly rent in yuan.
    pub price: String,
    /// `on/vacant` … as the platform should show it.
    pub state: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<Change>,
}

/// One platform field that changes, by its platform name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub field: String,
    pub old: String,
    pub new: String,
}

impl Change {
    pub fn text(&self) -> String {
        format!(
            "{}: {} → {}",
            crate::plan::rules::titled(&self.field),
            self.old,
            self.new
        )
    }
}

impl RoomLine {
    pub fn of(listing: &Listing) -> Self {
        let (name, price) = match &listing.room {
            Room::Dispersion(r) => {
                let layout = format!(
                    "{}室{}厅{}卫",
                    r.layout.bedrooms, r.layout.parlors, r.layout.toilets
                );
                let name = match &r.shared {
                    Some(s) => format!("{layout} {}", s.name),
                    None => layout,
                };
                (name, r.rent.yuan())
            }
            Room::Concentration(r) => (r.nickname.clone(), r.rent.yuan()),
        };
        Self {
            room_code: listing.room_code().to_string(),
            kind: listing.kind_label().to_string(),
            community: listing.community.name.clone(),
            name,
            price,
            state: listing.state(),
            changes: Vec::new(),
        }
    }
}

/// The first [`LIST_LIMIT`] items and a count of the rest.
#[derive(Debug, Clone, Serialize)]
pub struct Bounded<T> {
    pub items: Vec<T>,
    /// Left out of `items`.
    pub more: u64,
}

impl<T> Default for Bounded<T> {
    fn default() -> Self {
        Self {
            items: Vec::new(),
            more: 0,
        }
    }
}

impl<T> Bounded<T> {
    /// True when there is room for one more (so the caller can skip building it otherwise).
    pub fn has_room(&self) -> bool {
        self.items.len() < LIST_LIMIT
    }

    pub fn push(&mut self, item: T) {
        if self.has_room() {
            self.items.push(item);
        } else {
            self.more += 1;
        }
    }

    /// Counts one left out without building it.
    pub fn skip(&mut self) {
        self.more += 1;
    }

    pub fn total(&self) -> u64 {
        self.items.len() as u64 + self.more
    }
}

/// Fields that differ between two room payloads, by field name. Photos and the
/// community are compared by count and presence only: the old payload holds the platform's URLs
/// and codes, the new one stand-ins. Personal data is named, never shown.
pub fn changes(old: &Value, new: &Value) -> Vec<Change> {
    let (Some(old), Some(new)) = (old.as_object(), new.as_object()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (field, new_value) in new {
        if matches!(field.as_str(), "community_code" | "comm_req_id") {
            continue;
        }
        let old_value = old.get(field).unwrap_or(&Value::Null);
        let (o, n) = if field == "images" {
            (photo_count(old_value), photo_count(new_value))
        } else {
            (show(old_value), show(new_value))
        };
        if o == n {
            continue;
        }
        let withheld = matches!(field.as_str(), "owners_tel" | "owners_name");
        out.push(Change {
            field: field.clone(),
            old: if withheld { "…".into() } else { o },
            new: if withheld {
                "(changed, value withheld)".into()
            } else {
                n
            },
        });
    }
    out
}

fn photo_count(v: &Value) -> String {
    let n = v.as_array().map_or(0, Vec::len);
    format!("{n} photo(s)")
}

/// A payload value as one short line: strings bare, long text cut with its length.
fn show(v: &Value) -> String {
    let text = match v {
        Value::Null => "—".to_string(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    const MAX: usize = 60;
    let chars = text.chars().count();
    if chars > MAX {
        format!(
            "{}… ({chars} characters)",
            text.chars().take(MAX).collect::<String>()
        )
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn changes_name_the_fields_that_differ_only() {
        let old = json!({"room_code": "1", "room_amount": "2500.00", "images": ["u1", "u2"],
            "community_code": "C1", "owners_tel": "13800000000", "intro": "a"});
        let new = json!({"room_code": "1", "room_amount": "2600.00", "images": ["s1", "s2"],
            "comm_req_id": "0", "owners_tel": "13900000000", "intro": "a", "floor_count": 3});
        let c = changes(&old, &new);
        let fields: Vec<&str> = c.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(fields, ["floor_count", "owners_tel", "room_amount"]);
        assert_eq!(c[2].text(), "room_amount 租金: 2500.00 → 2600.00");
        assert!(!format!("{c:?}").contains("139"), "no phone number shown");
        assert_eq!(c[0].old, "—");
    }

    #[test]
    fn a_bounded_list_keeps_the_first_and_counts_the_rest() {
        let mut b = Bounded::default();
        for i in 0..LIST_LIMIT + 5 {
            b.push(i);
        }
        assert_eq!(b.items.len(), LIST_LIMIT);
        assert_eq!(b.more, 5);
        assert_eq!(b.total(), LIST_LIMIT as u64 + 5);
    }
}
