//! The change feed: from the source views into the outbox.
//!
//! `poll` reads rows changed since the watermark minus the overlap window (keyset on
//! `(updated_at_us, room_code)`), plans them and queues them; unchanged rows cost one lookup.
//! `full_scan` reads everything and takes off shelf what left the source; `key_scan` reads room
//! codes only, often, so a hard delete is off shelf within a minute, not at the next full scan.
//! A scan that would take more than `max_delist_share` of the live rooms off shelf at once is held
//! (a broken view looks exactly like a mass delete) until `rentsync delist --confirm` or the rows
//! come back.

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
    /// How often room codes alone are read to find hard deletes.
    pub key_scan: Duration,
    pub batch: i64,
    /// A scan that would take more than this share of a view's live rooms off shelf is held.
    pub max_delist_share: f64,
    /// ... unless it takes fewer rooms than this off shelf.
    pub delist_guard_min: u64,
}

impl Default for FeedSettings {
    fn default() -> Self {
        Self {
            poll: Duration::from_secs(2),
            overlap: Duration::from_secs(10),
            full_scan: Duration::from_secs(3600),
            key_scan: Duration::from_secs(30),
            batch: 1000,
            max_delist_share: 0.2,
            delist_guard_min: 10,
        }
    }
}

/// What a feed pass saw and queued.
#[derive(Debug, Default, Clone, Copy, Serialize)]
pub struct ScanStats {
    pub rows: u64,
    pub queued: EnqueueCounts,
    pub taken_off: u64,
    /// Delists held by the mass-delist guard.
    pub held: u64,
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
        .map(|r| {
            let mut p = plan_with(r.listing, r.breaks, today);
            p.version = r.updated_at_us;
            p
        })
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
    // A row stamped in the future must not carry the watermark past now: later changes would
    // fall behind it until the next full scan.
    let source_now = source.db.now_us().await?;
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
                newest = newest.max(last.updated_at_us.min(source_now));
            }
            stats.rows += n as u64;
            stats.add(
                outbox
                    .enqueue(
                        &tenant.name,
                        &plans(rows, tenant.today()),
                        tenant.invalid_listings,
                    )
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
        let started = source.db.now_us().await?;
        let seen = scan_view(
            tenant,
            source,
            outbox,
            view,
            settings.batch,
            started,
            &mut stats,
        )
        .await?;
        take_off_gone(tenant, outbox, view, &seen, started, settings, &mut stats).await?;
    }
    Ok(stats)
}

/// Reads the room codes of every view and takes off shelf the listed rooms that are gone.
pub async fn key_scan(
    tenant: &TenantCtx,
    source: &Source,
    outbox: &Outbox,
    settings: &FeedSettings,
) -> anyhow::Result<ScanStats> {
    let mut stats = ScanStats::default();
    for view in VIEWS {
        let started = source.db.now_us().await?;
        let seen = source.keys(view).await?;
        stats.rows += seen.len() as u64;
        take_off_gone(tenant, outbox, view, &seen, started, settings, &mut stats).await?;
    }
    Ok(stats)
}

/// Queues off-shelf for the rooms that may be live but were not `seen`, unless that many at
/// once trips the mass-delist guard. `started` is the source clock when the read began: a room
/// queued again after it (a re-insert) is newer than the delete and keeps its row.
async fn take_off_gone(
    tenant: &TenantCtx,
    outbox: &Outbox,
    view: View,
    seen: &HashSet<String>,
    started: i64,
    settings: &FeedSettings,
    stats: &mut ScanStats,
) -> anyhow::Result<()> {
    let kind = kind_label(view.kind);
    let gone: Vec<Plan> = outbox
        .active_keys(&tenant.name, kind)
        .await?
        .into_iter()
        .filter(|(key, _)| !seen.contains(key))
        .map(|(_, mut listing)| {
            listing.active = false;
            let mut p = plan_with(listing, Vec::new(), tenant.today());
            p.version = started;
            p
        })
        .collect();
    if gone.is_empty() {
        outbox.clear_delist_hold(&tenant.name, view.name).await?;
        return Ok(());
    }
    let n = gone.len() as u64;
    let live = outbox.live_count(&tenant.name, kind).await?.max(1) as u64;
    if n >= settings.delist_guard_min && n as f64 > settings.max_delist_share * live as f64 {
        let confirmed = outbox
            .hold_delists(&tenant.name, view.name, n as i64, live as i64)
            .await?;
        if !confirmed {
            tracing::error!(tenant = %tenant.name, view = view.name, gone = n, live,
                "mass delist held: the view lost more than the allowed share of live rooms; \
                 check the view, then run `rentsync delist --confirm` if the deletes are real");
            stats.held += n;
            return Ok(());
        }
        tracing::warn!(tenant = %tenant.name, view = view.name, gone = n, "mass delist confirmed");
    }
    outbox.clear_delist_hold(&tenant.name, view.name).await?;
    stats.taken_off += n;
    tracing::info!(tenant = %tenant.name, view = view.name, rooms = n, "rooms gone from the source go off shelf");
    stats.add(
        outbox
            .enqueue(&tenant.name, &gone, tenant.invalid_listings)
            .await?,
    );
    Ok(())
}

async fn scan_view(
    tenant: &TenantCtx,
    source: &Source,
    outbox: &Outbox,
    view: View,
    batch: i64,
    source_now: i64,
    stats: &mut ScanStats,
) -> anyhow::Result<HashSet<String>> {
    let mut seen = HashSet::new();
    let mut newest = 0;
    let mut batches = source.scan(view, batch as usize);
    while let Some(rows) = batches.recv().await {
        let rows = rows?;
        for r in &rows {
            seen.insert(r.listing.room_code().to_string());
            newest = newest.max(r.updated_at_us.min(source_now));
        }
        stats.rows += rows.len() as u64;
        stats.add(
            outbox
                .enqueue(
                    &tenant.name,
                    &plans(rows, tenant.today()),
                    tenant.invalid_listings,
                )
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
