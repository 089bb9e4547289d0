//! Planning: from a listing read off the source to an outbox entry. Each listing is checked
//! against the platform's rules (the same ones the sandbox enforces) before anything is queued;
//! a break makes the item `invalid`, naming room, field and rule, and it is never sent.

pub mod coverage;
mod listing;
pub mod rules;

#[cfg(test)]
mod details_tests;

use chrono::NaiveDate;

pub use listing::{hash_json, kind_label, state_label, Listing};

use crate::model::CommunityRef;
use crate::platform::{community_request, room_payload};
use rules::{Context, Violation};

/// A listing with its hashes and rule breaks.
#[derive(Debug, Clone)]
pub struct Plan {
    pub listing: Listing,
    pub content_hash: String,
    pub state: String,
    pub breaks: Vec<Violation>,
    /// The source row's `updated_at_us` (0 when unknown): the outbox keeps the newest.
    pub version: i64,
}

/// What happens to a room that breaks a rule while it may be live on the platform.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InvalidListings {
    /// Stays on the platform at the values it last accepted, shown as "live with older values".
    #[default]
    Keep,
    /// Taken off shelf until the source is fixed.
    OffShelf,
}

impl Plan {
    pub fn is_valid(&self) -> bool {
        self.breaks.is_empty()
    }

    /// One line per break, naming the source column and value behind the platform field:
    /// `room 100001: room_amount 租金: must be ... (source: rent_fen = 5000)`.
    pub fn error_text(&self) -> String {
        breaks_text(&self.listing, &self.breaks)
    }
}

/// The breaks of `listing` as one message, each naming the field with its Chinese title (the
/// words of the platform's console) and the source column behind it.
pub fn breaks_text(listing: &Listing, breaks: &[Violation]) -> String {
    breaks
        .iter()
        .map(|v| {
            let source = (!v.field.starts_with("source."))
                .then(|| listing.source_of(&v.field))
                .flatten()
                .map(|s| format!(" (source: {s})"))
                .unwrap_or_default();
            format!(
                "room {}: {}: {}{source}",
                listing.room_code(),
                rules::titled(&v.field),
                v.rule
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Checks one listing as the platform would, with stand-ins for what only the platform issues.
pub fn plan(listing: Listing, today: NaiveDate) -> Plan {
    plan_with(listing, Vec::new(), today)
}

/// As [`plan`], adding breaks found while reading the source row.
pub fn plan_with(mut listing: Listing, source_breaks: Vec<Violation>, today: NaiveDate) -> Plan {
    let community = match &listing.community_code {
        Some(code) => CommunityRef::Code(code.clone()),
        None => CommunityRef::RequestId("0".into()),
    };
    let images = (0..listing.photos.len())
        .map(|i| format!("http://photo.invalid/{i}.jpg"))
        .collect();
    let room = listing.resolve(community, images, today);
    let payload = room_payload(&room);
    let ctx = Context {
        today,
        adding: true,
        max_image_bytes: rules::MAX_IMAGE_BYTES,
    };
    let value = serde_json::to_value(&payload).unwrap_or_default();
    let mut breaks = source_breaks;
    breaks.extend(rules::check(payload.method(), &value, &ctx).unwrap_or_default());
    if listing.community_code.is_none() {
        // The community will be submitted first: its rules apply too.
        let req = serde_json::to_value(community_request(&listing.community)).unwrap_or_default();
        let method = "alipay.eco.renthouse.community.info.sync";
        for mut b in rules::check(method, &req, &ctx).unwrap_or_default() {
            b.field = format!("community.{}", b.field);
            breaks.push(b);
        }
    }
    if !listing.active {
        // A room that leaves only goes off shelf: its content is never sent again.
        breaks.clear();
    }
    for b in &mut breaks {
        if b.field == "images" {
            b.field = "photos".into();
        }
    }
    Plan {
        content_hash: listing.content_hash(),
        state: listing.state(),
        listing,
        breaks,
        version: 0,
    }
}
