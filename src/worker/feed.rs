//! The change feed: from the source views into the outbox.
//!
//! `poll` reads rows changed since the watermark minus the overlap window (keyset on
//! `(updated_at_us, room_code)`), plans them and queues them; unchanged rows cost one lookup.
//! `full_scan` reads everything (keyset on `room_code`) and takes off shelf what left the source.

use std::collections::HashSet;
use std::time::Duration;

use serde::Serialize;

use super::TenantCtx;
use crate::outbox::{EnqueueCounts, Outbox};
use crate::plan::{kind_label, plan_with, Plan};
use crate::source::{Cursor, Source, SourceRow, View, VIEWS};

#[derive(Debug, Clone)]
pub struct FeedSettings {
    pub poll: Duration,
    /// Re-read this far behind the watermark: longer than the longest write transaction.
    pub overlap: Duration,
    pub full_scan: Duration,
    pub batch: i64,
}

impl Default for FeedSettings {
    fn default() -> Self {
        Self {
            poll: Duration::from_secs(2),
            overlap: Duration::from_secs(10),
            full_scan: Duration::from_secs(3600),
            batch: 1000,
        }
    }
}

/// What a feed pass saw and queued.
#[derive(Debug, Default, Clone, Copy, Serialize)]
pub struct ScanStats {
    pub rows: u64,
    pub queued: EnqueueCounts,
    pub taken_off: u64,
}

impl ScanStats {
    fn add(&mut self, c: EnqueueCounts) {
        self.queued.created += c.created;
        self.queued.changed += c.changed;
        self.queued.unchanged += c.unchanged;
        self.queued.invalid += c.invalid;
    }
}

fn plans(rows: Vec<SourceRow>, today: chrono::NaiveDate) -> Vec<Plan> {
    rows.into_iter()
        .map(|r| plan_with(r.listing, r.breaks, today))
        .collect()
}

/// Reads what changed since the last poll and queues it.
pub async fn poll(
    tenant: &TenantCtx,
    source: &Source,
    outbox: &Outbox,
    settings: &FeedSettings,
) -> anyhow::Result<ScanStats> {
    let mut stats = ScanStats::default();
    for view in VIEWS {
        let watermark = outbox.watermark(&tenant.name, view.name).await?;
        let mut cursor = Cursor {
            updated_at_us: (watermark - settings.overlap.as_micros() as i64).max(-1),
            room_code: String::new(),
        };
        let mut newest = watermark;
        loop {
            let rows = source.changed(view, &cursor, settings.batch).await?;
            let n = rows.len() as i64;
            if let Some(last) = rows.last() {
                cursor = Cursor {
                    updated_at_us: last.updated_at_us,
                    room_code: last.listing.room_code().to_string(),
                };
                newest = newest.max(last.updated_at_us);
            }
            stats.rows += n as u64;
            stats.add(
                outbox
                    .enqueue(&tenant.name, &plans(rows, tenant.today()))
                    .await?,
            );
            if n < settings.batch {
                break;
            }
        }
        if newest > watermark {
            outbox
                .set_watermark(&tenant.name, view.name, newest)
                .await?;
        }
    }
    Ok(stats)
}

/// Reads every row, queues what changed, and takes off shelf the listed rooms that are gone.
pub async fn full_scan(
    tenant: &TenantCtx,
    source: &Source,
    outbox: &Outbox,
    settings: &FeedSettings,
) -> anyhow::Result<ScanStats> {
    let mut stats = ScanStats::default();
    for view in VIEWS {
        let seen = scan_view(tenant, source, outbox, view, settings.batch, &mut stats).await?;
        let gone: Vec<Plan> = outbox
            .active_keys(&tenant.name, kind_label(view.kind))
            .await?
            .into_iter()
            .filter(|(key, _)| !seen.contains(key))
            .map(|(_, mut listing)| {
                listing.active = false;
                plan_with(listing, Vec::new(), tenant.today())
            })
            .collect();
        stats.taken_off += gone.len() as u64;
        if !gone.is_empty() {
            tracing::info!(tenant = %tenant.name, view = view.name, rooms = gone.len(), "rooms gone from the source go off shelf");
        }
        stats.add(outbox.enqueue(&tenant.name, &gone).await?);
    }
    Ok(stats)
}

async fn scan_view(
    tenant: &TenantCtx,
    source: &Source,
    outbox: &Outbox,
    view: View,
    batch: i64,
    stats: &mut ScanStats,
) -> anyhow::Result<HashSet<String>> {
    let mut seen = HashSet::new();
    let mut newest = 0;
    let mut batches = source.scan(view, batch as usize);
    while let Some(rows) = batches.recv().await {
        let rows = rows?;
        for r in &rows {
            seen.insert(r.listing.room_code().to_string());
            newest = newest.max(r.updated_at_us);
        }
        stats.rows += rows.len() as u64;
        stats.add(
            outbox
                .enqueue(&tenant.name, &plans(rows, tenant.today()))
                .await?,
        );
    }
    if newest > 0 {
        outbox
            .set_watermark(&tenant.name, view.name, newest)
            .await?;
    }
    Ok(seen)
}
