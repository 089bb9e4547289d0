//! One scan of a tenant's trade views: every row is converted and checked against the platform's
//! rules; a row that breaks one is parked as an `invalid` task naming the column, value and rule;
//! a row that differs from what was last sent becomes a task (a lease order, a lease status, a
//! push of the lease's changed bills in chunks of at most 50, a booking decision). A row that did
//! not change makes no task, so a scan every few seconds costs reads, not calls.

use std::collections::{BTreeMap, HashSet};

use serde::Serialize;
use serde_json::json;

use super::view::{self, Converted};
use super::{
    bill_check, hash_of, lease_order_hash, BILL_ORDER_KIND, BOOKING_FEEDBACK_KIND,
    LEASE_ORDER_KIND, LEASE_PENDING, LEASE_STATE_KIND, MAX_BILLS, MAX_KEY,
};
use crate::alipay::renthouse::{Bill, LeaseOrderSync, ReservationFeedbackSync};
use crate::db::Db;
use crate::outbox::{Outbox, TaskPut};

/// What one scan did.
#[derive(Debug, Default, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct ScanStats {
    pub rows: usize,
    /// Tasks added or made due again.
    pub queued: usize,
    /// Rows parked as invalid (breaking a rule).
    pub invalid: usize,
    /// Rows without a key, named in the log and skipped.
    pub skipped: usize,
}

impl ScanStats {
    fn add(&mut self, o: ScanStats) {
        self.rows += o.rows;
        self.queued += o.queued;
        self.invalid += o.invalid;
        self.skipped += o.skipped;
    }
}

fn counted(put: TaskPut) -> usize {
    usize::from(put != TaskPut::Unchanged)
}

/// A task key fit for the state database (`task_key` holds 128 characters).
fn key_of(key: &str) -> String {
    key.chars().take(MAX_KEY).collect()
}

fn skip(view: &str, column: &str) {
    tracing::warn!(
        view,
        column,
        "TradeRowSkipped: a row without its key cannot be followed"
    );
}

/// Scans the leases and bills views.
pub async fn leases_and_bills(
    outbox: &Outbox,
    source: &Db,
    tenant: &str,
) -> anyhow::Result<ScanStats> {
    let mut stats = leases(outbox, source, tenant).await?;
    stats.add(bills(outbox, source, tenant).await?);
    Ok(stats)
}

pub async fn leases(outbox: &Outbox, source: &Db, tenant: &str) -> anyhow::Result<ScanStats> {
    let rows = view::read_all(source, view::LEASES, view::LEASE_COLUMNS, view::lease).await?;
    let sent = outbox.trade_sent_all(tenant, "lease").await?;
    let parked: HashSet<String> = outbox
        .task_invalid_keys(tenant, LEASE_ORDER_KIND)
        .await?
        .into_iter()
        .collect();
    let mut stats = ScanStats {
        rows: rows.len(),
        ..Default::default()
    };
    for row in &rows {
        if row.key.is_empty() {
            stats.skipped += 1;
            skip(view::LEASES, "lease_code");
            continue;
        }
        let key = key_of(&row.key);
        let order_hash = lease_order_hash(&row.wire);
        if let Some(message) = lease_problems(row) {
            let payload = json!({ "lease_code": row.key, "invalid": order_hash }).to_string();
            outbox
                .task_park_invalid(tenant, LEASE_ORDER_KIND, &key, &payload, &message)
                .await?;
            stats.invalid += 1;
            continue;
        }
        let status = row.wire.lease_status.map(|s| s.to_string());
        match sent.get(&row.key) {
            Some(s) if s.content_hash == order_hash => {
                if parked.contains(&key) {
                    outbox
                        .task_drop_invalid(tenant, LEASE_ORDER_KIND, &key)
                        .await?;
                }
                if let Some(status) = status.filter(|st| s.state.as_deref() != Some(st)) {
                    // `after` ties the status to the last send: the same status asked again
                    // after an order sync changed it is a new task, not the old one done.
                    let payload = json!({
                        "lease_code": row.key,
                        "lease_status": status,
                        "after_us": s.sent_us,
                    })
                    .to_string();
                    let put = outbox
                        .task_put(tenant, LEASE_STATE_KIND, &key, &payload)
                        .await?;
                    stats.queued += counted(put);
                }
            }
            _ => {
                let payload =
                    json!({ "lease_code": row.key, "order_hash": order_hash }).to_string();
                let put = outbox
                    .task_put(tenant, LEASE_ORDER_KIND, &key, &payload)
                    .await?;
                stats.queued += counted(put);
            }
        }
    }
    Ok(stats)
}

/// The message of a lease row that breaks a rule, or `None`.
pub fn lease_problems(row: &Converted<LeaseOrderSync>) -> Option<String> {
    let violations = super::violations(
        "alipay.eco.renthouse.lease.order.sync",
        &serde_json::to_value(&row.wire).unwrap_or_default(),
    );
    (!row.problems.is_empty() || !violations.is_empty()).then(|| row.message("lease", &violations))
}

/// The message of a bill row that breaks a rule, or `None`.
pub fn bill_problems(row: &Converted<Bill>) -> Option<String> {
    let violations = bill_check(&row.wire);
    (!row.problems.is_empty() || !violations.is_empty()).then(|| row.message("bill", &violations))
}

/// The message of a booking decision that breaks a rule, or `None`.
pub fn booking_problems(row: &Converted<ReservationFeedbackSync>) -> Option<String> {
    let violations = super::violations(
        "alipay.eco.renthouse.reservation.feedback.sync",
        &serde_json::to_value(&row.wire).unwrap_or_default(),
    );
    (!row.problems.is_empty() || !violations.is_empty())
        .then(|| row.message("booking", &violations))
}

pub async fn bills(outbox: &Outbox, source: &Db, tenant: &str) -> anyhow::Result<ScanStats> {
    let rows = view::read_all(source, view::BILLS, view::BILL_COLUMNS, view::bill).await?;
    let sent = outbox.trade_sent_all(tenant, "bill").await?;
    let leases_sent = outbox.trade_sent_all(tenant, "lease").await?;
    let parked: HashSet<String> = outbox
        .task_invalid_keys(tenant, BILL_ORDER_KIND)
        .await?
        .into_iter()
        .collect();
    let mut stats = ScanStats {
        rows: rows.len(),
        ..Default::default()
    };
    // Changed bills by lease, in bill_no order, so the chunks of a scan are those of the next.
    let mut changed: BTreeMap<String, BTreeMap<String, Bill>> = BTreeMap::new();
    for row in &rows {
        if row.key.is_empty() {
            stats.skipped += 1;
            skip(view::BILLS, "bill_no");
            continue;
        }
        let parked_key = key_of(&format!("invalid:{}", row.key));
        if let Some(message) = bill_problems(row) {
            let payload = json!({ "bill_no": row.key, "invalid": hash_of(&row.wire) }).to_string();
            outbox
                .task_park_invalid(tenant, BILL_ORDER_KIND, &parked_key, &payload, &message)
                .await?;
            stats.invalid += 1;
            continue;
        }
        if parked.contains(&parked_key) {
            outbox
                .task_drop_invalid(tenant, BILL_ORDER_KIND, &parked_key)
                .await?;
        }
        let h = hash_of(&row.wire);
        if sent.get(&row.key).is_some_and(|s| s.content_hash == h) {
            continue;
        }
        let lease = row.wire.lease_no.clone().unwrap_or_default();
        changed
            .entry(lease)
            .or_default()
            .insert(row.key.clone(), row.wire.clone());
    }
    for (lease_no, bills) in changed {
        let bills: Vec<Bill> = bills.into_values().collect();
        for chunk in bills.chunks(MAX_BILLS) {
            // Keyed by its first bill: the same changed bills make the same task scan after scan.
            let key = key_of(&chunk[0].bill_no);
            let payload = json!({ "lease_no": lease_no, "bills": chunk }).to_string();
            let put = outbox
                .task_put(tenant, BILL_ORDER_KIND, &key, &payload)
                .await?;
            stats.queued += counted(put);
            // A push that gave up waiting for its lease goes once the lease is there.
            if put == TaskPut::Unchanged && leases_sent.contains_key(&lease_no) {
                let waited = outbox.task_get(tenant, BILL_ORDER_KIND, &key).await?;
                if waited.is_some_and(|t| {
                    t.status == "failed" && t.last_code.as_deref() == Some(LEASE_PENDING)
                }) && outbox.task_make_due(tenant, BILL_ORDER_KIND, &key).await?
                {
                    stats.queued += 1;
                }
            }
        }
    }
    Ok(stats)
}

/// Scans the booking-feedback view: a decision is queued when its row changed since it was last
/// queued from the view (a decision given on the command line since stays until then).
pub async fn booking_feedback(
    outbox: &Outbox,
    source: &Db,
    tenant: &str,
) -> anyhow::Result<ScanStats> {
    let rows = view::read_all(
        source,
        view::BOOKING_FEEDBACK,
        view::BOOKING_FEEDBACK_COLUMNS,
        view::booking_feedback,
    )
    .await?;
    let seen = outbox.trade_sent_all(tenant, "booking_view").await?;
    let mut stats = ScanStats {
        rows: rows.len(),
        ..Default::default()
    };
    for row in &rows {
        if row.key.is_empty() {
            stats.skipped += 1;
            skip(view::BOOKING_FEEDBACK, "reservation_no");
            continue;
        }
        let h = hash_of(&row.wire);
        if seen.get(&row.key).is_some_and(|s| s.content_hash == h) {
            continue;
        }
        let key = key_of(&row.key);
        let payload = json!({ "reservation_no": row.key, "source": "view", "hash": h }).to_string();
        match booking_problems(row) {
            Some(message) => {
                outbox
                    .task_park_invalid(tenant, BOOKING_FEEDBACK_KIND, &key, &payload, &message)
                    .await?;
                stats.invalid += 1;
            }
            None => {
                let put = outbox
                    .task_put(tenant, BOOKING_FEEDBACK_KIND, &key, &payload)
                    .await?;
                stats.queued += counted(put);
            }
        }
        outbox
            .trade_mark_sent(tenant, "booking_view", &row.key, &h, None)
            .await?;
    }
    Ok(stats)
}
