//! The daemon's trade poller: per tenant with `[tenant.trade] enabled = true`, a scan of the
//! views every `poll_secs`, waking the tenant's task loop when something was queued. Its errors
//! are logged with the view's name, never returned: a missing view or a source that is down must
//! not stop the listing sync, and the next round tries again.

use std::sync::Arc;

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::{scan, TradeConfig};
use crate::db::Db;
use crate::outbox::Outbox;

/// One round: every view the config turns on. Returns what was queued in all.
pub async fn scan_once(outbox: &Outbox, source: &Db, tenant: &str, cfg: &TradeConfig) -> usize {
    let mut queued = 0;
    if cfg.lease_views {
        // Bills after leases: a bill push waits for its lease, so queue the lease first.
        match scan::leases_and_bills(outbox, source, tenant).await {
            Ok(s) => {
                queued += s.queued;
                if s.queued + s.invalid > 0 {
                    tracing::info!(
                        tenant,
                        rows = s.rows,
                        queued = s.queued,
                        invalid = s.invalid,
                        "TradeLeasesScanned"
                    );
                }
            }
            Err(e) => tracing::warn!(tenant, error = %format!("{e:#}"), "TradeViewUnreadable"),
        }
    }
    if cfg.booking_feedback_view {
        match scan::booking_feedback(outbox, source, tenant).await {
            Ok(s) => {
                queued += s.queued;
                if s.queued + s.invalid > 0 {
                    tracing::info!(
                        tenant,
                        rows = s.rows,
                        queued = s.queued,
                        invalid = s.invalid,
                        "TradeBookingFeedbackScanned"
                    );
                }
            }
            Err(e) => tracing::warn!(tenant, error = %format!("{e:#}"), "TradeViewUnreadable"),
        }
    }
    queued
}

pub async fn trade_poll_loop(
    outbox: Outbox,
    tenant: String,
    cfg: TradeConfig,
    source_database: String,
    wake: Arc<Notify>,
    cancel: CancellationToken,
) -> anyhow::Result<()> {
    // A pool opened lazily: a source that is down at start only delays the first scan.
    let source = match Db::connect_lazy(&source_database, 2) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(tenant, error = %format!("{e:#}"), "TradePollerDown");
            return Ok(());
        }
    };
    loop {
        if scan_once(&outbox, &source, &tenant, &cfg).await > 0 {
            wake.notify_one();
        }
        tokio::select! {
            _ = tokio::time::sleep(cfg.every()) => {}
            _ = cancel.cancelled() => return Ok(()),
        }
    }
}
