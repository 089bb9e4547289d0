//! The daemon's worker loop for one tenant: claims items as workers free up and hands each to a
//! task. Every tenant has its own loop, so one tenant's backlog or hung calls never hold up
//! another's. The loop turns over at least every [`TURN`] whatever the tasks are doing (a call
//! may hang for its whole request timeout), and each turn calls `beat`: the watchdog is fed from
//! here, so a ping proves the scheduler is alive, not that a batch happened to end.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::{Claims, Part, TenantCtx, WorkerSettings};
use crate::outbox::Outbox;

/// Longest time between two turns of the loop.
pub const TURN: Duration = Duration::from_millis(100);
/// How long to wait before asking again when nothing was due.
const IDLE: Duration = Duration::from_millis(250);
/// How long to wait after a claim failed (state database trouble).
const CLAIM_RETRY: Duration = Duration::from_secs(1);

/// Works `tenant`'s items until `stop` is cancelled, then finishes the tasks in flight.
/// `wake` is notified by the change feed when it queued work.
pub async fn tenant_loop(
    tenant: Arc<TenantCtx>,
    outbox: Outbox,
    owner: String,
    settings: WorkerSettings,
    wake: Arc<Notify>,
    stop: CancellationToken,
    beat: impl Fn(),
) -> anyhow::Result<()> {
    let mut claims = Claims::new(settings.concurrency);
    let mut next_claim = Instant::now();
    while !stop.is_cancelled() {
        beat();
        while let Some(r) = claims.tasks.try_join_next() {
            report(&tenant, r);
        }
        // A failing state database does not stop the claims: they are how its recovery shows.
        let can_work = !tenant.paused() && !tenant.health.blocked_except(Part::State);
        if can_work && claims.ready() && Instant::now() >= next_claim {
            match claims.claim(&tenant, &outbox, &owner, settings.lease).await {
                Ok((claimed, asked)) => {
                    tenant.health.recovered(Part::State);
                    if claimed < asked {
                        next_claim = Instant::now() + IDLE;
                    }
                }
                Err(e) => {
                    // Nothing is claimed, so nothing is sent that could not be recorded.
                    tenant
                        .health
                        .failed(Part::State, format!("claims fail: {e:#}"));
                    next_claim = Instant::now() + CLAIM_RETRY;
                }
            }
            continue;
        }
        tokio::select! {
            _ = stop.cancelled() => {}
            Some(r) = claims.tasks.join_next(), if !claims.tasks.is_empty() => report(&tenant, r),
            _ = wake.notified() => next_claim = Instant::now(),
            _ = tokio::time::sleep(TURN) => {}
        }
    }
    // Stopping: no new claims; what is in flight finishes (the caller bounds how long).
    claims.finish_all(&tenant).await;
    Ok(())
}

pub(super) fn report(tenant: &TenantCtx, r: Result<anyhow::Result<()>, tokio::task::JoinError>) {
    match r {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            let e = format!("{e:#}");
            tracing::warn!(tenant = %tenant.name, error = %e,
                "a room's outcome was not recorded; its lease expires and it is worked again");
            tenant
                .health
                .failed(Part::State, format!("outcomes not recorded: {e}"));
        }
        Err(e) if e.is_cancelled() => {}
        Err(e) => tracing::error!(tenant = %tenant.name, error = %e, "a worker task panicked"),
    }
}
