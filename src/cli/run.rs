//! `rentsync run`: the daemon. A feed task per tenant (poll, PostgreSQL LISTEN, periodic full
//! scan), one worker loop, a heartbeat that splits the rate limit among live replicas. SIGTERM
//! stops claiming, lets in-flight calls finish within `--shutdown-secs`, returns leases.

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use super::runtime::{ConfigArg, Runtime};
use crate::config::Config;
use crate::db::Dialect;
use crate::ops::notify::{self, Liveness};
use crate::ops::{reload, OpsState};
use crate::worker::{drain_once, full_scan, key_scan, poll, FeedSettings, TenantCtx};

/// How often a replica says it is alive; a replica silent for 3 beats no longer counts.
pub(crate) const HEARTBEAT: Duration = Duration::from_secs(1);
pub(crate) const HEARTBEAT_WINDOW_US: i64 = 3_000_000;

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// How long in-flight calls may take to finish after SIGTERM.
    #[arg(long, default_value_t = 20)]
    pub shutdown_secs: u64,
}

pub async fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    let path = args.config.config.clone();
    let mut cfg = Config::load(&path)?;
    let ops = Arc::new(OpsState::default());
    if let Some(addr) = cfg.ops.addr()? {
        let bound = crate::ops::serve(addr, ops.clone()).await?;
        tracing::info!(%bound, "ops endpoints: /metrics /healthz /readyz");
        eprintln!("rentsync: ops endpoints on http://{bound}");
    }
    let liveness = Arc::new(Liveness::default());
    liveness.tick();
    notify::spawn_watchdog(liveness.clone());
    let mut reloads = reload::requests(&path);
    let deadline = Duration::from_secs(args.shutdown_secs);
    // One stream per signal for the whole life of the process: a signal that arrives while a
    // reload is in progress is kept for the next wait instead of being lost.
    let mut stops = StopSignals::new()?;
    loop {
        let rt = Arc::new(Runtime::start(cfg.clone()).await?);
        let stop = Arc::new(AtomicBool::new(false));
        let daemon = Daemon::spawn(rt.clone(), stop, liveness.clone()).await?;
        ops.set_runtime(Some(rt.clone()));
        ops.started.store(true, Ordering::Relaxed);
        notify::ready();
        notify::status(&format!("{} tenant(s)", rt.tenants.len()));
        tracing::info!(owner = %rt.owner, tenants = rt.tenants.len(), "rentsync running");
        // Wait for a stop, or for a reload whose config is valid.
        let new_cfg = loop {
            tokio::select! {
                _ = stops.next() => break None,
                why = reloads.recv() => {
                    let why = why.unwrap_or("reload channel closed");
                    match Config::load(&path) {
                        Ok(c) => {
                            tracing::info!(reason = why, "reloading the configuration");
                            break Some(c);
                        }
                        Err(e) => tracing::error!(reason = why, error = %format!("{e:#}"),
                            "new configuration refused; the running one stays"),
                    }
                }
            }
        };
        match new_cfg {
            None => {
                notify::stopping();
                ops.started.store(false, Ordering::Relaxed);
                tracing::info!("stopping: no new claims, finishing in-flight calls");
                tokio::select! {
                    r = daemon.stop(deadline) => r?,
                    _ = stops.next() => {
                        tracing::warn!("second signal: stopping at once");
                        return Ok(ExitCode::from(130));
                    }
                }
                return Ok(ExitCode::SUCCESS);
            }
            Some(c) => {
                notify::reloading();
                daemon.stop(deadline).await?;
                cfg = c;
            }
        }
    }
}

/// SIGTERM and SIGINT, registered once.
struct StopSignals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
}

impl StopSignals {
    fn new() -> anyhow::Result<Self> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Self {
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
        })
    }

    async fn next(&mut self) {
        tokio::select! {
            _ = self.term.recv() => {},
            _ = self.int.recv() => {},
        }
    }
}

/// The running engine, for `run`, the demo and tests.
pub struct Daemon {
    rt: Arc<Runtime>,
    stop: Arc<AtomicBool>,
    tasks: tokio::task::JoinSet<anyhow::Result<()>>,
}

impl Daemon {
    /// Runs a first full scan of every tenant, then starts the loops.
    pub async fn spawn(
        rt: Arc<Runtime>,
        stop: Arc<AtomicBool>,
        liveness: Arc<Liveness>,
    ) -> anyhow::Result<Self> {
        let feed = rt.cfg.source.feed();
        let wake = Arc::new(Notify::new());
        for t in &rt.tenants {
            if let Some(source) = &t.source {
                let stats = full_scan(t, source, &rt.outbox, &feed).await?;
                tracing::info!(tenant = %t.name, rows = stats.rows, created = stats.queued.created,
                    changed = stats.queued.changed, invalid = stats.queued.invalid, "first full scan done");
            }
        }
        // Join the replicas before working: others see us within one heartbeat and halve their
        // share of the rate limit; until then we wait, so the limit holds across the join.
        let replicas = rt.outbox.heartbeat(&rt.owner, HEARTBEAT_WINDOW_US).await?;
        for t in &rt.tenants {
            t.limits.set_replicas(replicas as u32);
        }
        if replicas > 1 {
            tokio::time::sleep(HEARTBEAT * 3 / 2).await;
        }
        let mut tasks = tokio::task::JoinSet::new();
        for t in &rt.tenants {
            if t.source.is_some() {
                tasks.spawn(feed_loop(
                    rt.clone(),
                    t.clone(),
                    feed.clone(),
                    wake.clone(),
                    stop.clone(),
                ));
            }
        }
        tasks.spawn(work_loop(rt.clone(), wake.clone(), stop.clone(), liveness));
        tasks.spawn(heartbeat_loop(rt.clone(), stop.clone()));
        Ok(Self { rt, stop, tasks })
    }

    /// Stops claiming and waits up to `deadline` for in-flight work; then returns leases.
    pub async fn stop(mut self, deadline: Duration) -> anyhow::Result<()> {
        self.stop.store(true, Ordering::Relaxed);
        let drained = tokio::time::timeout(deadline, async {
            while let Some(r) = self.tasks.join_next().await {
                if let Ok(Err(e)) = r {
                    tracing::warn!(error = %e, "task ended with an error");
                }
            }
        })
        .await;
        if drained.is_err() {
            tracing::warn!("shutdown deadline passed; abandoning in-flight calls");
            self.tasks.abort_all();
        }
        let released = self.rt.outbox.release_owner(&self.rt.owner).await?;
        self.rt.outbox.leave(&self.rt.owner).await?;
        tracing::info!(released, "leases returned; stopped");
        Ok(())
    }
}

async fn feed_loop(
    rt: Arc<Runtime>,
    t: Arc<TenantCtx>,
    feed: FeedSettings,
    wake: Arc<Notify>,
    stop: Arc<AtomicBool>,
) -> anyhow::Result<()> {
    let Some(source) = t.source.clone() else {
        return Ok(());
    };
    let changed = Arc::new(Notify::new());
    let deleted = Arc::new(AtomicBool::new(false));
    if source.db.dialect == Dialect::Postgres {
        if let Some(url) = rt
            .cfg
            .tenants
            .iter()
            .find(|c| c.name == t.name)
            .and_then(|c| c.source_database.clone())
        {
            tokio::spawn(listen(url, changed.clone(), deleted.clone(), stop.clone()));
        }
    }
    let mut last_full = Instant::now();
    let mut last_keys = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        tokio::select! {
            _ = tokio::time::sleep(feed.poll) => {},
            _ = changed.notified() => {},
        }
        let result = if last_full.elapsed() >= feed.full_scan {
            last_full = Instant::now();
            last_keys = last_full;
            full_scan(&t, &source, &rt.outbox, &feed).await
        } else if last_keys.elapsed() >= feed.key_scan || deleted.swap(false, Ordering::Relaxed) {
            // Deletes leave no row to poll: compare room codes, then poll for the rest.
            last_keys = Instant::now();
            match key_scan(&t, &source, &rt.outbox, &feed).await {
                Ok(k) => poll(&t, &source, &rt.outbox, &feed).await.map(|mut s| {
                    s.queued.changed += k.queued.changed + k.queued.created;
                    s
                }),
                Err(e) => Err(e),
            }
        } else {
            poll(&t, &source, &rt.outbox, &feed).await
        };
        match result {
            Ok(s) if s.queued.created + s.queued.changed > 0 => wake.notify_one(),
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(tenant = %t.name, error = %e, "source read failed; will retry")
            }
        }
    }
    Ok(())
}

/// PostgreSQL LISTEN: the fixture trigger's NOTIFY wakes the poller at once; a `DELETE` or
/// `TRUNCATE` payload asks for a key scan too.
async fn listen(
    url: String,
    changed: Arc<Notify>,
    deleted: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
) {
    while !stop.load(Ordering::Relaxed) {
        match sqlx::postgres::PgListener::connect(&url).await {
            Ok(mut l) => {
                if l.listen("rentsync_changed").await.is_err() {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    continue;
                }
                // Notifications sent while no one listened are lost: look for changes and
                // deletes once now that someone does.
                deleted.store(true, Ordering::Relaxed);
                changed.notify_one();
                while let Ok(n) = l.recv().await {
                    if matches!(n.payload(), "DELETE" | "TRUNCATE") {
                        deleted.store(true, Ordering::Relaxed);
                    }
                    changed.notify_one();
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                }
            }
            Err(e) => {
                tracing::debug!(error = %e, "LISTEN unavailable; polling only");
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
        }
    }
}

async fn work_loop(
    rt: Arc<Runtime>,
    wake: Arc<Notify>,
    stop: Arc<AtomicBool>,
    liveness: Arc<Liveness>,
) -> anyhow::Result<()> {
    let settings = rt.cfg.worker.settings();
    while !stop.load(Ordering::Relaxed) {
        liveness.tick();
        let mut worked = 0;
        for t in &rt.tenants {
            match drain_once(t, &rt.outbox, &rt.owner, &settings, &stop).await {
                Ok(n) => worked += n,
                Err(e) => tracing::warn!(tenant = %t.name, error = %e, "worker pass failed"),
            }
        }
        if worked == 0 {
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(250)) => {},
                _ = wake.notified() => {},
            }
        }
    }
    Ok(())
}

async fn heartbeat_loop(rt: Arc<Runtime>, stop: Arc<AtomicBool>) -> anyhow::Result<()> {
    let retention = Duration::from_secs(rt.cfg.worker.call_log_days * 86_400);
    let mut last_prune = Instant::now() - Duration::from_secs(3600);
    while !stop.load(Ordering::Relaxed) {
        match rt.outbox.heartbeat(&rt.owner, HEARTBEAT_WINDOW_US).await {
            Ok(n) => {
                for t in &rt.tenants {
                    t.limits.set_replicas(n as u32);
                }
            }
            Err(e) => tracing::warn!(error = %e, "heartbeat failed"),
        }
        if last_prune.elapsed() > Duration::from_secs(3600) {
            last_prune = Instant::now();
            if let Err(e) = rt.outbox.prune_calls(retention.as_micros() as i64).await {
                tracing::warn!(error = %e, "call log not pruned");
            }
        }
        tokio::time::sleep(HEARTBEAT).await;
    }
    Ok(())
}
