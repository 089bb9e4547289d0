//! The task loop: works one tenant's tasks (deliveries to the operator, lease and bill syncs,
//! booking feedback) with the same lease, fence, retry and dead-item rules as rooms. Each kind of
//! task has a [`TaskHandler`]; the loop claims due tasks of every kind its handlers take, works
//! them in parallel up to a bound, keeps their leases while they run and records how each ended.
//!
//! A handler answers [`TaskOutcome::Retry`] for a transient failure; the loop turns it into
//! `Failed` ("dead": kept and shown by `status` until retried) after `max_attempts`, and spaces
//! the attempts by jittered exponential backoff up to `max_backoff` unless the handler asked for
//! a longer wait.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use tokio::sync::{Notify, Semaphore};
use tokio_util::sync::CancellationToken;

use crate::outbox::{Outbox, Task, TaskOutcome};

/// Works the tasks of some kinds. A handler checks `task.lease.holds()` right before each call
/// it makes, so a task whose lease was lost is never sent twice.
#[async_trait]
pub trait TaskHandler: Send + Sync {
    /// The task kinds this handler works.
    fn kinds(&self) -> Vec<&'static str>;
    async fn work(&self, outbox: &Outbox, task: &Task) -> TaskOutcome;
}

#[derive(Debug, Clone)]
pub struct TaskSettings {
    /// Tasks worked at once per tenant and replica.
    pub concurrency: usize,
    pub lease: Duration,
    /// Attempts before a task that keeps failing transiently is given up ("dead").
    pub max_attempts: i64,
    pub max_backoff: Duration,
}

impl Default for TaskSettings {
    fn default() -> Self {
        Self {
            concurrency: 4,
            lease: Duration::from_secs(120),
            max_attempts: 20,
            max_backoff: Duration::from_secs(600),
        }
    }
}

/// How long to wait before asking again when nothing was due.
const IDLE: Duration = Duration::from_millis(250);
/// How long to wait after a claim failed (state database trouble).
const CLAIM_RETRY: Duration = Duration::from_secs(1);

/// Works `tenant`'s tasks until `stop` is cancelled, then finishes those in flight. `wake` is
/// notified by whoever queues a task (the SPI endpoint, a contract-view scan) to claim at once.
pub async fn task_loop(
    tenant: String,
    handlers: Vec<Arc<dyn TaskHandler>>,
    outbox: Outbox,
    owner: String,
    settings: TaskSettings,
    wake: Arc<Notify>,
    stop: CancellationToken,
) -> anyhow::Result<()> {
    let mut by_kind: HashMap<&'static str, Arc<dyn TaskHandler>> = HashMap::new();
    for h in &handlers {
        for k in h.kinds() {
            by_kind.insert(k, h.clone());
        }
    }
    let kinds: Vec<&str> = by_kind.keys().copied().collect();
    let permits = Arc::new(Semaphore::new(settings.concurrency.max(1)));
    let mut running = tokio::task::JoinSet::new();
    let mut next_claim = Instant::now();
    while !stop.is_cancelled() {
        while let Some(r) = running.try_join_next() {
            report(&tenant, r);
        }
        let free = permits.available_permits();
        if free > 0 && Instant::now() >= next_claim {
            match outbox
                .task_claim(&tenant, &kinds, &owner, free, settings.lease)
                .await
            {
                Ok(claimed) => {
                    if claimed.len() < free {
                        next_claim = Instant::now() + IDLE;
                    }
                    for task in claimed {
                        let Some(handler) = by_kind.get(task.kind.as_str()).cloned() else {
                            continue;
                        };
                        let permit = permits.clone().acquire_owned().await?;
                        let (outbox, settings) = (outbox.clone(), settings.clone());
                        running.spawn(async move {
                            let r = work_task(&*handler, &outbox, &task, &settings).await;
                            drop(permit);
                            r
                        });
                    }
                }
                Err(e) => {
                    tracing::warn!(tenant = %tenant, error = %format!("{e:#}"), "claiming tasks failed");
                    next_claim = Instant::now() + CLAIM_RETRY;
                }
            }
            continue;
        }
        let wait = next_claim
            .saturating_duration_since(Instant::now())
            .max(Duration::from_millis(20));
        tokio::select! {
            _ = stop.cancelled() => {}
            Some(r) = running.join_next(), if !running.is_empty() => report(&tenant, r),
            _ = wake.notified() => next_claim = Instant::now(),
            _ = tokio::time::sleep(wait) => {}
        }
    }
    while let Some(r) = running.join_next().await {
        report(&tenant, r);
    }
    Ok(())
}

/// Claims and works due tasks until none is left; returns how many were worked. For one-shot
/// commands and tests; the daemon runs [`task_loop`].
pub async fn drain_tasks(
    tenant: &str,
    handlers: &[Arc<dyn TaskHandler>],
    outbox: &Outbox,
    settings: &TaskSettings,
) -> anyhow::Result<usize> {
    let owner = format!("drain-{}", std::process::id());
    let mut worked = 0;
    for handler in handlers {
        let kinds = handler.kinds();
        loop {
            let tasks = outbox
                .task_claim(
                    tenant,
                    &kinds,
                    &owner,
                    settings.concurrency.max(1),
                    settings.lease,
                )
                .await?;
            if tasks.is_empty() {
                break;
            }
            for task in tasks {
                work_task(&**handler, outbox, &task, settings).await?;
                worked += 1;
            }
        }
    }
    Ok(worked)
}

/// Works one task under its lease and records the outcome.
pub async fn work_task(
    handler: &dyn TaskHandler,
    outbox: &Outbox,
    task: &Task,
    settings: &TaskSettings,
) -> anyhow::Result<()> {
    let outcome = tokio::select! {
        o = handler.work(outbox, task) => o,
        _ = keep_lease(outbox, task) => TaskOutcome::Release,
    };
    let outcome = settle(outcome, task, settings);
    log_outcome(task, &outcome);
    outbox.task_finish(task, &outcome).await?;
    Ok(())
}

/// The loop's rules on top of the handler's answer: backoff, and dead after `max_attempts`.
fn settle(outcome: TaskOutcome, task: &Task, settings: &TaskSettings) -> TaskOutcome {
    match outcome {
        TaskOutcome::Retry { code, message, .. } if task.attempts + 1 >= settings.max_attempts => {
            TaskOutcome::Failed {
                code,
                message: format!(
                    "gave up after {} attempts; last: {message}",
                    task.attempts + 1
                ),
            }
        }
        TaskOutcome::Retry {
            code,
            message,
            after,
        } => {
            let backoff = Duration::from_micros(
                super::backoff_us(task.attempts, settings.max_backoff).max(0) as u64,
            );
            TaskOutcome::Retry {
                code,
                message,
                after: after.max(backoff),
            }
        }
        other => other,
    }
}

/// Renews the task's lease every third of its length; returns only when it was lost.
async fn keep_lease(outbox: &Outbox, task: &Task) {
    let every = task.lease.length() / 3;
    loop {
        tokio::time::sleep(every).await;
        match outbox.task_renew(task).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(tenant = %task.tenant, kind = %task.kind, key = %task.key,
                    "task lease lost to another worker; stopping");
                return;
            }
            // The local estimate runs out by itself and stops the next call.
            Err(e) => {
                tracing::warn!(kind = %task.kind, key = %task.key, error = %e, "task lease not renewed")
            }
        }
    }
}

fn log_outcome(task: &Task, outcome: &TaskOutcome) {
    let (tenant, kind, key) = (&task.tenant, &task.kind, &task.key);
    match outcome {
        TaskOutcome::Done => tracing::debug!(%tenant, %kind, %key, outcome = "done", "task done"),
        TaskOutcome::Retry { code, message, .. } => {
            tracing::info!(%tenant, %kind, %key, outcome = "retry", %code, error = %message, "task will be retried")
        }
        TaskOutcome::Failed { code, message } => {
            tracing::warn!(%tenant, %kind, %key, outcome = "failed", %code, error = %message, "task failed")
        }
        TaskOutcome::Invalid { message } => {
            tracing::warn!(%tenant, %kind, %key, outcome = "invalid", error = %message, "task breaks a rule; not sent")
        }
        TaskOutcome::Release => {
            tracing::info!(%tenant, %kind, %key, outcome = "released", "task lease lost or released")
        }
    }
}

fn report(tenant: &str, r: Result<anyhow::Result<()>, tokio::task::JoinError>) {
    match r {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!(%tenant, error = %format!("{e:#}"),
            "a task's outcome was not recorded; its lease expires and it is worked again"),
        Err(e) if e.is_cancelled() => {}
        Err(e) => tracing::error!(%tenant, error = %e, "a task worker panicked"),
    }
}
