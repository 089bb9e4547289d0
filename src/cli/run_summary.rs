//! The one line `rentsync run` logs at info every minute (`--summary-secs`): items done in the
//! interval, waiting, failing, and platform calls per second. Read from the state database, so
//! with several replicas each logs the shared picture; a journal reader sees the daemon is alive
//! and moving without scraping `/metrics`.

use std::sync::Arc;
use std::time::Duration;

use super::runtime::Runtime;
use crate::outbox::ItemStatus;

/// One summary: what the state database says now, and what changed since the previous one.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Summary {
    pub done: i64,
    pub waiting: i64,
    pub failing: i64,
    pub calls_per_sec: f64,
}

/// Logs a [`Summary`] every `every` until the task is aborted (by the daemon's stop or reload).
pub fn spawn(rt: Arc<Runtime>, every: Duration) -> Option<tokio::task::JoinHandle<()>> {
    if every.is_zero() {
        return None;
    }
    Some(tokio::spawn(async move {
        let mut done_before = done_total(&rt).await.unwrap_or(0);
        loop {
            tokio::time::sleep(every).await;
            match read(&rt, every, done_before).await {
                Ok((s, total)) => {
                    done_before = total;
                    tracing::info!(
                        done = s.done,
                        waiting = s.waiting,
                        failing = s.failing,
                        calls_per_sec = format!("{:.2}", s.calls_per_sec),
                        "summary: {} done in the last {}s, {} waiting, {} failing, {:.2} calls/s",
                        s.done,
                        every.as_secs(),
                        s.waiting,
                        s.failing,
                        s.calls_per_sec
                    );
                }
                Err(e) => tracing::warn!(error = format!("{e:#}"), "summary not read"),
            }
        }
    }))
}

async fn done_total(rt: &Runtime) -> anyhow::Result<i64> {
    Ok(rt
        .outbox
        .counts()
        .await?
        .iter()
        .filter(|((_, st), _)| *st == ItemStatus::Done)
        .map(|(_, n)| n)
        .sum())
}

/// The summary of the last `every`, and the done total it was measured against.
async fn read(rt: &Runtime, every: Duration, done_before: i64) -> anyhow::Result<(Summary, i64)> {
    let counts = rt.outbox.counts().await?;
    let sum = |f: &dyn Fn(ItemStatus) -> bool| -> i64 {
        counts
            .iter()
            .filter(|((_, st), _)| f(*st))
            .map(|(_, n)| n)
            .sum()
    };
    let done = sum(&|s| s == ItemStatus::Done);
    let waiting = sum(&|s| matches!(s, ItemStatus::Pending | ItemStatus::Leased));
    let failing = sum(&|s| matches!(s, ItemStatus::Retry | ItemStatus::Failed));
    let calls = rt.outbox.calls_since(every).await?;
    let secs = every.as_secs_f64().max(1.0);
    Ok((
        Summary {
            // Done items that change again leave `done`: the difference never goes below zero.
            done: (done - done_before).max(0),
            waiting,
            failing,
            calls_per_sec: calls as f64 / secs,
        },
        done,
    ))
}
