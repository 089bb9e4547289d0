//! `rentsync run`: the daemon. Per tenant a feed task (poll, PostgreSQL LISTEN, periodic full
//! scan) and a scheduler loop, so tenants never wait on each other; a heartbeat that splits the
//! rate limit among live replicas. A tenant that fails is paused on its own. SIGTERM stops
//! claiming, lets in-flight calls finish within `--shutdown-secs`, returns leases. A reload starts
//! the new runtime before stopping the old one, and closes the old pools and listeners after.

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::runtime::{ConfigArg, Runtime};
use crate::config::Config;
use crate::db::Dialect;
use crate::ops::notify::{self, Liveness};
use crate::ops::{reload, OpsState};
use crate::worker::{full_scan, key_scan, poll, tenant_loop, FeedSettings, Part, TenantCtx};

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// How long in-flight calls may take to finish after SIGTERM.
    #[arg(long, default_value_t = 20)]
    pub shutdown_secs: u64,
    /// Seconds between the one-line summaries logged at info (items done, waiting, failing,
    /// calls/s); 0 turns them off.
    #[arg(long, default_value_t = 60)]
    pub summary_secs: u64,
}

pub async fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    let path = args.config.config.clone();
    let cfg = Config::load(&path)?;
    let ops = Arc::new(OpsState::default());
    if let Some(addr) = cfg.ops.addr()? {
        let bound = crate::ops::serve(addr, ops.clone()).await?;
        tracing::info!(%bound, "ops endpoints: /metrics /healthz /readyz");
        if !crate::report::progress::quiet() {
            eprintln!("rentsync: ops endpoints on http://{bound}");
        }
    }
    let liveness = Arc::new(Liveness::default());
    notify::spawn_watchdog(liveness.clone());
    let mut reloads = reload::requests(&path);
    let deadline = Duration::from_secs(args.shutdown_secs);
    // One stream per signal for the whole life of the process: a signal that arrives while a
    // reload is in progress is kept for the next wait instead of being lost.
    let mut stops = StopSignals::new()?;
    // What the running configuration was read from: file events whose content is the same
    // (a read, our own reload) change nothing.
    let mut running = reload::fingerprint(&path);
    let mut rt = Arc::new(Runtime::start(cfg).await.context("cannot start")?);
    loop {
        let stop = Arc::new(AtomicBool::new(false));
        let daemon = Daemon::spawn(rt.clone(), stop, liveness.clone()).await?;
        let summary = super::run_summary::spawn(rt.clone(), Duration::from_secs(args.summary_secs));
        ops.set_runtime(Some(rt.clone()));
        ops.started.store(true, Ordering::Relaxed);
        notify::ready();
        notify::status(&format!("{} tenant(s)", rt.tenants.len()));
        tracing::info!(owner = %rt.owner, tenants = rt.tenants.len(), down = rt.down.len(),
            "rentsync running");
        // Wait for a stop, or for a reload whose config is valid and whose runtime starts.
        // Tenants left out for unreadable keys are looked at again with backoff: once their
        // files load, the configuration is reloaded and they join.
        let mut key_retry = KEY_RETRY_MIN;
        let next = loop {
            tokio::select! {
                _ = stops.next() => break None,
                _ = tokio::time::sleep(key_retry), if !rt.down.is_empty() => {
                    key_retry = (key_retry * 2).min(KEY_RETRY_MAX);
                    if !down_tenants_loadable(&rt) {
                        continue;
                    }
                    match prepare(&path).await {
                        Ok(next) => {
                            tracing::info!(reason = "a left-out tenant's keys load now",
                                "reloading the configuration");
                            break Some(next);
                        }
                        Err(e) => tracing::error!(error = %format!("{e:#}"),
                            "new configuration refused; the running one stays"),
                    }
                }
                why = reloads.recv() => {
                    let Some(why) = why else { break None };
                    let seen = reload::fingerprint(&path);
                    if why == reload::Request::FileChanged && seen == running {
                        tracing::debug!("config file touched but not changed; no reload");
                        continue;
                    }
                    running = seen;
                    match prepare(&path).await {
                        Ok(next) => {
                            tracing::info!(reason = why.reason(), "reloading the configuration");
                            break Some(next);
                        }
                        Err(e) => tracing::error!(reason = why.reason(), error = %format!("{e:#}"),
                            "new configuration refused; the running one stays"),
                    }
                }
            }
        };
        if let Some(s) = summary {
            s.abort();
        }
        match next {
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
                rt.close().await;
                return Ok(ExitCode::SUCCESS);
            }
            Some(next) => {
                notify::reloading();
                daemon.stop(deadline).await?;
                ops.set_runtime(Some(next.clone()));
                // The old pools and listeners go now; nothing of the old runtime is in use.
                rt.close().await;
                rt = next;
            }
        }
    }
}

/// First and longest wait before the keys of a left-out tenant are tried again.
const KEY_RETRY_MIN: Duration = Duration::from_secs(2);
const KEY_RETRY_MAX: Duration = Duration::from_secs(300);

/// True when a tenant left out of `rt` for its keys could now be started.
fn down_tenants_loadable(rt: &Runtime) -> bool {
    rt.cfg
        .tenants
        .iter()
        .filter(|c| rt.down.iter().any(|d| d.name == c.name))
        .any(|c| c.client_config().is_ok())
}

/// Reads the config and starts its runtime beside the running one, so a config that cannot be
/// applied (a state database that does not open) is refused before anything is stopped.
async fn prepare(path: &std::path::Path) -> anyhow::Result<Arc<Runtime>> {
    let cfg = Config::load(path)?;
    Ok(Arc::new(Runtime::start(cfg).await?))
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
    cancel: CancellationToken,
    liveness: Arc<Liveness>,
    tasks: tokio::task::JoinSet<anyhow::Result<()>>,
}

impl Daemon {
    /// Runs a first full scan of every tenant, then starts the loops: per tenant a feed loop and
    /// a scheduler loop, and one heartbeat. A tenant whose first scan fails is paused and
    /// retried by its feed loop; the others start. `stop` is set when the daemon stops.
    pub async fn spawn(
        rt: Arc<Runtime>,
        stop: Arc<AtomicBool>,
        liveness: Arc<Liveness>,
    ) -> anyhow::Result<Self> {
        let feed = rt.cfg.source.feed();
        let mut scanned = Vec::new();
        for t in &rt.tenants {
            let ok = match &t.source {
                Some(_) if t.health.has(Part::Source) => false,
                Some(source) => match full_scan(t, source, &rt.outbox, &feed).await {
                    Ok(stats) => {
                        t.source_read();
                        tracing::info!(tenant = %t.name, rows = stats.rows, created = stats.queued.created,
                            changed = stats.queued.changed, invalid = stats.queued.invalid, "first full scan done");
                        true
                    }
                    Err(e) => {
                        t.source_failed(source_cause(&rt, t, &e).await);
                        false
                    }
                },
                None => true,
            };
            scanned.push(ok);
        }
        rt.join_replicas().await?;
        let cancel = CancellationToken::new();
        let settings = rt.cfg.worker.settings();
        let mut tasks = tokio::task::JoinSet::new();
        for (t, scanned) in rt.tenants.iter().zip(scanned) {
            // The feed tells this tenant's scheduler alone that work was queued.
            let wake = Arc::new(Notify::new());
            if t.source.is_some() {
                tasks.spawn(feed_loop(
                    rt.clone(),
                    t.clone(),
                    feed.clone(),
                    wake.clone(),
                    cancel.clone(),
                    scanned,
                ));
            }
            let (name, beats) = (format!("tenant {}", t.name), liveness.clone());
            tasks.spawn(tenant_loop(
                t.clone(),
                rt.outbox.clone(),
                rt.owner.clone(),
                settings.clone(),
                wake,
                cancel.clone(),
                move || beats.beat(&name),
            ));
        }
        // Tmall lease pollers beside the listing sync (docs/TMALL.md); off with lease_poll_secs = 0.
        for t in &rt.cfg.tenants {
            if let Some(tmall) = t.tmall.as_ref().filter(|m| m.lease_poll_secs > 0) {
                // Changes go to the operator's webhook too when it has one (issue 14).
                let deliver = t
                    .spi
                    .as_ref()
                    .and_then(|s| s.deliver.as_ref())
                    .is_some_and(|d| d.webhook.is_some());
                tasks.spawn(crate::tmall::poller::lease_poll_loop(
                    rt.outbox.db.clone(),
                    t.name.clone(),
                    tmall.clone(),
                    t.source_database.clone(),
                    deliver,
                    cancel.clone(),
                ));
            }
        }
        // Trade view pollers (docs/TRADE.md): leases, bills, booking feedback.
        for t in &rt.cfg.tenants {
            let (Some(trade), Some(url)) = (t.trade.as_ref(), t.source_database.as_ref()) else {
                continue;
            };
            let Some(ctx) = rt.tenants.iter().find(|c| c.name == t.name) else {
                continue;
            };
            if trade.enabled {
                tasks.spawn(crate::trade::poller::trade_poll_loop(
                    rt.outbox.clone(),
                    t.name.clone(),
                    trade.clone(),
                    url.clone(),
                    ctx.task_wake.clone(),
                    cancel.clone(),
                ));
            }
        }
        // Per tenant, a loop for its tasks (deliveries, lease and bill syncs, feedback) when it
        // has any handler configured.
        for t in &rt.tenants {
            let handlers = super::tasks::handlers(&rt, &t.name);
            if handlers.is_empty() {
                continue;
            }
            tasks.spawn(crate::worker::task_loop(
                t.name.clone(),
                handlers,
                rt.outbox.clone(),
                rt.owner.clone(),
                rt.cfg.worker.task_settings(),
                t.task_wake.clone(),
                cancel.clone(),
            ));
        }
        // The SPI endpoint (platform callbacks), when `[spi] listen` is set.
        if let Some(addr) = rt.cfg.spi.addr()? {
            let wakes: std::collections::HashMap<_, _> = rt
                .tenants
                .iter()
                .map(|t| (t.name.clone(), t.task_wake.clone()))
                .collect();
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("cannot listen on {addr} for SPI callbacks"))?;
            // Without its data key the endpoint stays closed (the platform retries a callback
            // it cannot deliver); the listing sync goes on.
            match crate::spi::SpiState::from_config(&rt.cfg, rt.outbox.clone(), &wakes) {
                Ok(spi) => {
                    let bound = listener.local_addr()?;
                    tracing::info!(%bound, "SPI endpoint: POST /spi/{{tenant}}/{{type}}");
                    tasks.spawn(spi.serve(listener, cancel.clone()));
                }
                Err(e) => tracing::error!(error = %format!("{e:#}"),
                    "SPI endpoint down: callbacks are refused until this is fixed and reloaded"),
            }
        }
        tasks.spawn(heartbeat_loop(rt.clone(), cancel.clone()));
        Ok(Self {
            rt,
            stop,
            cancel,
            liveness,
            tasks,
        })
    }

    /// Stops claiming and waits up to `deadline` for in-flight work; then returns leases. The
    /// state database gets [`RELEASE_TIMEOUT`] more at most, so a stop is bounded by both.
    pub async fn stop(mut self, deadline: Duration) -> anyhow::Result<()> {
        self.stop.store(true, Ordering::Relaxed);
        self.cancel.cancel();
        for t in &self.rt.tenants {
            t.stopping.cancel();
        }
        let drained = tokio::time::timeout(deadline, async {
            while let Some(r) = self.tasks.join_next().await {
                if let Ok(Err(e)) = r {
                    tracing::warn!(error = format!("{e:#}"), "task ended with an error");
                }
            }
        })
        .await;
        if drained.is_err() {
            tracing::warn!("shutdown deadline passed; abandoning in-flight calls");
            self.tasks.abort_all();
        }
        self.liveness.clear();
        let rt = self.rt.clone();
        let release = async move {
            let released = rt.outbox.release_owner(&rt.owner).await?;
            rt.outbox.leave(&rt.owner).await?;
            anyhow::Ok(released)
        };
        match tokio::time::timeout(RELEASE_TIMEOUT, release).await {
            Ok(Ok(released)) => tracing::info!(released, "leases returned; stopped"),
            Ok(Err(e)) => tracing::warn!(
                error = format!("{e:#}"),
                "leases not returned (they expire by themselves); stopped"
            ),
            Err(_) => tracing::warn!(
                "state database did not answer; leases expire by themselves; stopped"
            ),
        }
        Ok(())
    }
}

/// How long returning leases may take at stop; they expire anyway.
const RELEASE_TIMEOUT: Duration = Duration::from_secs(3);
/// Longest wait between two attempts to read a failing source.
const SOURCE_RETRY_MAX: Duration = Duration::from_secs(30);

/// Why a read of `t`'s source failed, naming the database. A pool that timed out hides the cause
/// (connection refused, wrong port): one direct attempt finds it.
async fn source_cause(rt: &Runtime, t: &TenantCtx, e: &anyhow::Error) -> String {
    let text = format!("{e:#}");
    if text.contains("Any driver does not support") {
        return format!(
            "{text}; a column of the contract views has a type rentsync cannot read (the contract \
             allows BIGINT and TEXT only); `rentsync check` names the column"
        );
    }
    if text.contains("pool timed out") {
        if let Some(url) = source_url(rt, &t.name) {
            if let Some(why) = crate::db::Db::probe(&url).await {
                return why;
            }
        }
    }
    text
}

fn source_url(rt: &Runtime, tenant: &str) -> Option<String> {
    rt.cfg
        .tenants
        .iter()
        .find(|c| c.name == tenant)
        .and_then(|c| c.source_database.clone())
}

/// Sleeps `d` unless the daemon stops first; returns false when it stopped.
async fn pause(d: Duration, cancel: &CancellationToken) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(d) => true,
        _ = cancel.cancelled() => false,
    }
}

async fn feed_loop(
    rt: Arc<Runtime>,
    t: Arc<TenantCtx>,
    feed: FeedSettings,
    wake: Arc<Notify>,
    cancel: CancellationToken,
    scanned: bool,
) -> anyhow::Result<()> {
    let Some(source) = t.source.clone() else {
        return Ok(());
    };
    let changed = Arc::new(Notify::new());
    let deleted = Arc::new(AtomicBool::new(false));
    let mut listener = None;
    if source.db.dialect == Dialect::Postgres {
        if let Some(url) = source_url(&rt, &t.name) {
            listener = Some(tokio::spawn(listen(
                url,
                changed.clone(),
                deleted.clone(),
                cancel.clone(),
            )));
        }
    }
    // A tenant whose first scan failed starts with one.
    let mut last_full = scanned.then(Instant::now);
    let mut last_keys = Instant::now();
    let mut backoff = feed.poll;
    let mut wait = feed.poll;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(wait) => {},
            _ = changed.notified() => {},
            _ = cancel.cancelled() => break,
        }
        let full = last_full.is_none_or(|l| l.elapsed() >= feed.full_scan);
        let result = if full {
            last_keys = Instant::now();
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
            Ok(s) => {
                if full {
                    last_full = Some(Instant::now());
                }
                t.source_read();
                backoff = feed.poll;
                wait = feed.poll;
                if s.queued.created + s.queued.changed > 0 {
                    wake.notify_one();
                }
            }
            Err(e) => {
                // Logged once per change of state by the tenant's health; retried with backoff.
                t.source_failed(source_cause(&rt, &t, &e).await);
                wait = backoff;
                backoff = (backoff * 2).min(SOURCE_RETRY_MAX);
            }
        }
    }
    if let Some(l) = listener {
        let _ = l.await;
    }
    Ok(())
}

/// PostgreSQL LISTEN: the fixture trigger's NOTIFY wakes the poller at once; a `DELETE` or
/// `TRUNCATE` payload asks for a key scan too. Ends, and closes its connection, as soon as the
/// daemon stops.
async fn listen(
    url: String,
    changed: Arc<Notify>,
    deleted: Arc<AtomicBool>,
    cancel: CancellationToken,
) {
    while !cancel.is_cancelled() {
        let connected = tokio::select! {
            l = sqlx::postgres::PgListener::connect(&url) => l,
            _ = cancel.cancelled() => return,
        };
        match connected {
            Ok(mut l) => {
                if l.listen("rentsync_changed").await.is_err() {
                    if !pause(Duration::from_secs(5), &cancel).await {
                        return;
                    }
                    continue;
                }
                // Notifications sent while no one listened are lost: look for changes and
                // deletes once now that someone does.
                deleted.store(true, Ordering::Relaxed);
                changed.notify_one();
                loop {
                    tokio::select! {
                        n = l.recv() => match n {
                            Ok(n) => {
                                if matches!(n.payload(), "DELETE" | "TRUNCATE") {
                                    deleted.store(true, Ordering::Relaxed);
                                }
                                changed.notify_one();
                            }
                            Err(_) => break,
                        },
                        _ = cancel.cancelled() => {
                            let _ = l.unlisten_all().await;
                            return;
                        }
                    }
                }
            }
            Err(e) => {
                tracing::debug!(error = %e, "LISTEN unavailable; polling only");
                if !pause(Duration::from_secs(5), &cancel).await {
                    return;
                }
            }
        }
    }
}

async fn heartbeat_loop(rt: Arc<Runtime>, cancel: CancellationToken) -> anyhow::Result<()> {
    let retention = Duration::from_secs(rt.cfg.worker.call_log_days * 86_400);
    let mut last_prune = Instant::now() - Duration::from_secs(3600);
    while !cancel.is_cancelled() {
        if let Err(e) = super::runtime::beat(&rt.outbox, &rt.owner, &rt.tenants).await {
            tracing::warn!(error = format!("{e:#}"), "heartbeat failed");
        }
        if last_prune.elapsed() > Duration::from_secs(3600) {
            last_prune = Instant::now();
            if let Err(e) = rt.outbox.prune_calls(retention.as_micros() as i64).await {
                tracing::warn!(error = format!("{e:#}"), "call log not pruned");
            }
        }
        if !pause(super::runtime::HEARTBEAT, &cancel).await {
            break;
        }
    }
    Ok(())
}
