//! `rentsync status`: the outbox by tenant and status, the oldest waiting item, failures grouped
//! by code and message (with counts, first and last time, and the rooms), invalid rooms the
//! platform still shows at older values, held mass delists, photo warnings with a preview of
//! each photo as the platform gets it, and the tasks.

use std::collections::BTreeMap;

use serde::Serialize;

use super::doc::LIST_LIMIT;
use super::photos::PhotoRoom;
use super::rooms::{Bounded, RoomLine};
use super::{china_time, Format, ReportMeta};
use crate::outbox::{FailingItem, FailureRow, TaskCount, TaskRow, WarningRow};

/// Distinct failures kept; the rest are counted (messages can carry values, and a report must
/// stay bounded whatever the platform says).
const MAX_GROUPS: usize = 100;

#[derive(Debug, Default, Serialize)]
pub struct StatusReport {
    pub meta: ReportMeta,
    /// tenant → status → items.
    pub items: BTreeMap<String, BTreeMap<String, i64>>,
    pub oldest_pending_secs: Option<i64>,
    /// Failed, invalid and retrying items grouped by tenant, status, code and message.
    pub failure_groups: Vec<FailureGroup>,
    /// Failing items beyond [`MAX_GROUPS`] distinct failures.
    pub failures_not_grouped: u64,
    /// The most recent failing items, one by one (for programs; the formats show the groups).
    pub recent_failures: Vec<FailureRow>,
    /// tenant → invalid rooms the platform may still show at their older values.
    pub live_with_older_values: BTreeMap<String, i64>,
    /// The first of those rooms.
    pub live_with_older_rooms: Bounded<LiveOlderRoom>,
    /// Delists held by the mass-delist guard.
    pub delist_holds: Vec<crate::outbox::DelistHold>,
    /// The running daemon's readiness (`/readyz`), when one answers.
    pub daemon: Option<String>,
    pub recent_warnings: Vec<WarningRow>,
    /// The rooms of `recent_warnings`, photo by photo.
    pub photo_rooms: Vec<PhotoRoom>,
    /// The warnings of `recent_warnings` that name no photo.
    pub room_warnings: Vec<super::photos::RoomWarning>,
    /// Tasks (deliveries, lease and bill syncs, feedback) per tenant, kind and status.
    pub tasks: Vec<TaskCount>,
    /// Tasks given up ("dead": refused, or out of attempts), newest first.
    pub dead_tasks: Vec<TaskRow>,
    /// Tasks whose source row breaks a rule (never sent until it is fixed), newest first.
    pub invalid_tasks: Vec<TaskRow>,
    /// Stored SPI callbacks: (tenant, type, count).
    pub callbacks: Vec<(String, String, i64)>,
}

/// Items failing the same way.
#[derive(Debug, Clone, Serialize)]
pub struct FailureGroup {
    pub tenant: String,
    pub status: String,
    pub code: String,
    /// The message with the room left out, so one rule or one platform answer is one group.
    pub message: String,
    pub count: u64,
    /// When the first and the last item of the group were last worked, UTC+8.
    pub first: String,
    pub last: String,
    #[serde(skip)]
    first_us: i64,
    #[serde(skip)]
    last_us: i64,
    pub rooms: Vec<FailureRoom>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FailureRoom {
    pub room_code: String,
    /// The source column and value behind a rule break: `rent_fen = -150000`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// An invalid room the platform may still show, with what it breaks and when it was last
/// accepted.
#[derive(Debug, Clone, Serialize)]
pub struct LiveOlderRoom {
    pub tenant: String,
    pub room: RoomLine,
    pub reason: String,
    pub last_accepted: Option<String>,
}

impl StatusReport {
    /// Groups failing items; call for each, then [`StatusReport::finish_groups`].
    pub fn add_failing(
        &mut self,
        item: FailingItem,
        groups: &mut BTreeMap<GroupKey, FailureGroup>,
    ) {
        for (message, source) in split_message(&item.room_code, &item.message) {
            let key = (
                item.tenant.clone(),
                item.status.clone(),
                item.code.clone(),
                message.clone(),
            );
            if !groups.contains_key(&key) && groups.len() >= MAX_GROUPS {
                self.failures_not_grouped += 1;
                continue;
            }
            let g = groups.entry(key).or_insert_with(|| FailureGroup {
                tenant: item.tenant.clone(),
                status: item.status.clone(),
                code: item.code.clone(),
                message,
                count: 0,
                first: String::new(),
                last: String::new(),
                first_us: item.updated_us,
                last_us: item.updated_us,
                rooms: Vec::new(),
            });
            g.count += 1;
            g.first_us = g.first_us.min(item.updated_us);
            g.last_us = g.last_us.max(item.updated_us);
            if g.rooms.len() < LIST_LIMIT {
                g.rooms.push(FailureRoom {
                    room_code: item.room_code.clone(),
                    source,
                });
            }
        }
    }

    /// The groups, most rooms first.
    pub fn finish_groups(&mut self, groups: BTreeMap<GroupKey, FailureGroup>) {
        let mut groups: Vec<FailureGroup> = groups.into_values().collect();
        for g in &mut groups {
            g.first = china_time(g.first_us);
            g.last = china_time(g.last_us);
        }
        groups.sort_by(|a, b| b.count.cmp(&a.count).then(b.last_us.cmp(&a.last_us)));
        self.failure_groups = groups;
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

/// (tenant, status, code, message).
pub type GroupKey = (String, String, String, String);

/// A stored message as (message without the room, source column and value) parts: a rule break
/// message holds one `room X: field: rule (source: col = value)` part per break, and each break
/// is its own group; a platform message is one part.
fn split_message(room: &str, message: &str) -> Vec<(String, Option<String>)> {
    let prefix = format!("room {room}: ");
    if !message.starts_with(&prefix) {
        return vec![(message.to_string(), None)];
    }
    message
        .split(&format!("; {prefix}"))
        .map(|part| {
            let part = part.strip_prefix(&prefix).unwrap_or(part);
            match part
                .rsplit_once(" (source: ")
                .and_then(|(rule, source)| Some((rule, source.strip_suffix(')')?)))
            {
                Some((rule, source)) => (rule.to_string(), Some(source.to_string())),
                None => (part.to_string(), None),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rule_break_message_splits_into_breaks_without_the_room() {
        let m = "room 100001: room_amount 租金: must be from 100.00 (source: rent_fen = -150000); \
                 room 100001: intro 描述: too long (source: intro = 3000 characters)";
        assert_eq!(
            split_message("100001", m),
            [
                (
                    "room_amount 租金: must be from 100.00".to_string(),
                    Some("rent_fen = -150000".to_string())
                ),
                (
                    "intro 描述: too long".to_string(),
                    Some("intro = 3000 characters".to_string())
                ),
            ]
        );
        assert_eq!(
            split_message("7", "room 7: owners_tel 电话: must be a 400 number (source: owners_tel (value withheld))"),
            [(
                "owners_tel 电话: must be a 400 number".to_string(),
                Some("owners_tel (value withheld)".to_string())
            )]
        );
        assert_eq!(
            split_message("1", "40004: 房源不存在"),
            [("40004: 房源不存在".to_string(), None)]
        );
    }

    #[test]
    fn failures_group_by_message_with_counts_and_times() {
        let mut r = StatusReport::default();
        let mut groups = BTreeMap::new();
        for (room, at) in [("A1", 3_000_000), ("A2", 1_000_000), ("A3", 2_000_000)] {
            r.add_failing(
                FailingItem {
                    tenant: "t".into(),
                    kind: "dispersion".into(),
                    room_code: room.into(),
                    status: "failed".into(),
                    code: "ACQ.SYSTEM_ERROR".into(),
                    message: "系统繁忙".into(),
                    updated_us: at,
                },
                &mut groups,
            );
        }
        r.finish_groups(groups);
        assert_eq!(r.failure_groups.len(), 1);
        let g = &r.failure_groups[0];
        assert_eq!(g.count, 3);
        assert_eq!(g.first, "1970-01-01 08:00:01 UTC+8");
        assert_eq!(g.last, "1970-01-01 08:00:03 UTC+8");
        assert_eq!(g.rooms.len(), 3);
    }
}
