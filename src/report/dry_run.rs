//! What a dry-run found: per tenant, what would be created, updated, flipped, taken off shelf,
//! is still waiting to be delivered or left alone, the rooms behind each count, and every rule
//! break grouped by rule with the rooms and the source column and value that broke it.

use std::collections::BTreeMap;

use serde::Serialize;

use super::rooms::{Bounded, RoomLine};
use super::{Format, ReportMeta};
use crate::plan::rules::Violation;
use crate::plan::Listing;

/// Distinct rule breaks kept per tenant; source rows can make rules with values in them, and
/// a report must stay bounded whatever the source holds.
const MAX_GROUPS: usize = 200;

#[derive(Debug, Default, Serialize)]
pub struct DryRunReport {
    pub meta: ReportMeta,
    pub tenants: Vec<TenantPlan>,
    /// Tenants whose source could not be read: named, with the cause, and never planned.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unreadable: Vec<UnreadableTenant>,
}

#[derive(Debug, Clone, Serialize)]
pub struct UnreadableTenant {
    pub tenant: String,
    pub error: String,
}

#[derive(Debug, Default, Serialize)]
pub struct TenantPlan {
    pub tenant: String,
    pub rows: u64,
    pub create: u64,
    pub update: u64,
    pub state_change: u64,
    pub take_off: u64,
    /// Queued by an earlier scan and not yet delivered (pending, leased or retrying): the
    /// daemon sends them whether or not the source changes again.
    pub pending: u64,
    /// Refused by the platform earlier; not sent again until the source changes or
    /// `rentsync retry`.
    pub failed: u64,
    pub unchanged: u64,
    pub invalid: u64,
    pub photos_to_process: u64,
    pub communities_to_resolve: u64,
    pub creates: Bounded<RoomLine>,
    /// Each with the platform fields that change, old → new.
    pub updates: Bounded<RoomLine>,
    /// Each with its state, old → new.
    pub state_changes: Bounded<RoomLine>,
    pub take_offs: Bounded<RoomLine>,
    pub breaks: Vec<BreakGroup>,
    /// Take-offs the mass-delist guard would hold (per view), until `rentsync delist --confirm`.
    pub delists_held: Vec<HeldDelist>,
    /// Invalid rooms the platform may still show at the values it last accepted.
    pub live_with_older_values: i64,
    /// Rule breaks beyond [`MAX_GROUPS`] distinct ones, counted by room.
    pub breaks_not_grouped: u64,
    /// The family serving the tenant and what it cannot carry (`super::family`).
    #[serde(flatten)]
    pub coverage: super::family::FamilyCoverage,
    #[serde(skip)]
    groups: BTreeMap<(String, String), BreakGroup>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct BreakGroup {
    pub field: String,
    pub rule: String,
    /// Rooms breaking it (all of them).
    pub rooms: u64,
    /// The first rooms, each with the source column and value behind the field.
    pub listed: Vec<BreakRoom>,
}

/// A view whose take-offs would be held: `gone` of `live` rooms.
#[derive(Debug, Clone, Serialize)]
pub struct HeldDelist {
    pub view: String,
    pub gone: u64,
    pub live: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BreakRoom {
    pub room_code: String,
    /// `rent_fen = -150000`; `None` when no single source column sets the field.
    pub source: Option<String>,
}

impl TenantPlan {
    pub fn new(tenant: &str) -> Self {
        Self {
            tenant: tenant.to_string(),
            ..Default::default()
        }
    }

    pub fn add_break(&mut self, listing: &Listing, b: &Violation) {
        let key = (b.field.clone(), b.rule.clone());
        if !self.groups.contains_key(&key) && self.groups.len() >= MAX_GROUPS {
            self.breaks_not_grouped += 1;
            return;
        }
        let g = self.groups.entry(key).or_insert_with(|| BreakGroup {
            field: b.field.clone(),
            rule: b.rule.clone(),
            ..Default::default()
        });
        g.rooms += 1;
        if g.listed.len() < super::doc::LIST_LIMIT {
            g.listed.push(BreakRoom {
                room_code: listing.room_code().to_string(),
                source: (!b.field.starts_with("source."))
                    .then(|| listing.source_of(&b.field))
                    .flatten(),
            });
        }
    }

    /// The summary lines every format shows, in one order; the flag marks counts that are bad
    /// news when not zero.
    pub fn actions(&self) -> [(&'static str, u64, bool); 10] {
        [
            ("create", self.create, false),
            ("update", self.update, false),
            ("state change", self.state_change, false),
            ("take off shelf", self.take_off, false),
            ("pending (queued, not yet delivered)", self.pending, false),
            ("failed earlier (not resent)", self.failed, true),
            ("unchanged", self.unchanged, false),
            ("invalid (never sent)", self.invalid, true),
            ("photos to process", self.photos_to_process, false),
            ("communities to resolve", self.communities_to_resolve, false),
        ]
    }

    pub fn finish(&mut self) {
        self.coverage.finish();
        let mut groups: Vec<BreakGroup> = std::mem::take(&mut self.groups).into_values().collect();
        groups.sort_by(|a, b| b.rooms.cmp(&a.rooms).then(a.field.cmp(&b.field)));
        self.breaks = groups;
    }
}

impl DryRunReport {
    pub fn has_problems(&self) -> bool {
        !self.unreadable.is_empty() || self.tenants.iter().any(|t| t.invalid > 0)
    }

    pub fn render(&self, format: Format) -> String {
        match format {
            Format::Json => serde_json::to_string_pretty(self).unwrap_or_default(),
            Format::Markdown => super::text::markdown(&self.doc()),
            Format::Html => super::html::render(&self.doc()),
            Format::Table => super::text::terminal(&self.doc()),
        }
    }
}
