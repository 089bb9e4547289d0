//! The engine: the change feed fills the outbox, workers lease items and drive each room through
//! its stages. The same pieces serve the daemon (`run`), the one-shot `resync` and the tests.

mod claims;
mod feed;
pub mod health;
mod limits;
mod photos;
mod scheduler;
mod stages;
pub mod tasks;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::NaiveDate;

use claims::Claims;
pub use feed::{full_scan, key_scan, poll, FeedSettings, ScanStats};
pub use health::{Part, TenantHealth};
pub use limits::{Limits, RateConfig};
pub use scheduler::tenant_loop;
pub use stages::{backoff_us, community_key};
pub use tasks::{drain_tasks, task_loop, TaskHandler, TaskSettings};

use crate::outbox::{Finish, Outbox};
use crate::platform::Platform;
use crate::source::Source;

/// One tenant's runtime: its platform family, source, limits and caches of locks.
pub struct TenantCtx {
    pub name: String,
    pub platform: Arc<dyn Platform>,
    pub source: Option<Source>,
    pub limits: Limits,
    /// What photos are turned into; part of the photo cache key.
    pub photo: crate::photo::PhotoSettings,
    pub max_backoff: Duration,
    /// Where photos may be read or fetched from: `photo_dir`, `photo_hosts_allow`, caps, deadlines.
    pub photo_source: crate::photo::PhotoSource,
    /// Photo jobs, shared by every tenant of the daemon.
    pub photo_pool: Arc<crate::photo::Pool>,
    pub metrics: CallMetrics,
    pub(crate) locks: KeyedLocks,
    // A std mutex around an Instant and its reason: read and written without await points.
    paused_until: Mutex<Option<(Instant, String)>>,
    /// Answers in a row whose signature failed or was missing: many mean a wrong platform key
    /// (or someone forging answers), not bad luck.
    bad_answers: std::sync::atomic::AtomicU32,
    /// Calls in a row that got an HTTP error instead of a gateway answer: a proxy or a wrong
    /// gateway URL, not the platform.
    http_errors: std::sync::atomic::AtomicU32,
    /// False while the last read of the source failed (readiness).
    pub source_ok: AtomicBool,
    /// What happens to a room that breaks a rule while it may be live.
    pub invalid_listings: crate::plan::InvalidListings,
    /// What keeps the tenant from working, if anything (readiness, metrics, the log).
    pub health: TenantHealth,
    /// The platform's answer when it last refused the credentials, while paused for it.
    refusal: Mutex<Option<String>>,
    /// Cancelled when the daemon stops: work waiting out a pause gives its lease back at once
    /// instead of holding the stop until the pause ends.
    pub stopping: tokio_util::sync::CancellationToken,
    /// Notified by whoever queues a task for this tenant (the SPI endpoint, a contract-view
    /// scan), so its task loop claims at once.
    pub task_wake: Arc<tokio::sync::Notify>,
}

impl TenantCtx {
    pub fn new(
        name: impl Into<String>,
        platform: Arc<dyn Platform>,
        source: Option<Source>,
        rates: RateConfig,
    ) -> Self {
        let name = name.into();
        Self {
            health: TenantHealth::new(&name),
            refusal: Mutex::new(None),
            stopping: Default::default(),
            task_wake: Default::default(),
            name,
            platform,
            source,
            limits: Limits::new(rates),
            photo: crate::photo::PhotoSettings::default(),
            max_backoff: Duration::from_secs(300),
            photo_source: crate::photo::PhotoSource::for_tenant(None, Default::default()),
            photo_pool: Arc::new(crate::photo::Pool::new(Default::default())),
            metrics: CallMetrics::default(),
            locks: KeyedLocks::default(),
            paused_until: Mutex::new(None),
            bad_answers: std::sync::atomic::AtomicU32::new(0),
            http_errors: std::sync::atomic::AtomicU32::new(0),
            source_ok: AtomicBool::new(true),
            invalid_listings: crate::plan::InvalidListings::default(),
        }
    }

    /// Counts answers that failed verification. They are never believed, so they never pause the
    /// tenant or fail an item (anyone on the path could send them); when `BAD_ANSWERS_ALERT` come
    /// in a row, it is said loudly, once, and readiness names it until a verified answer arrives.
    fn answer_checked(&self, bad_signature: bool) {
        if !bad_signature {
            self.bad_answers.store(0, Ordering::Relaxed);
            return;
        }
        let n = self.bad_answers.fetch_add(1, Ordering::Relaxed) + 1;
        if n == BAD_ANSWERS_ALERT {
            tracing::error!(tenant = %self.name, answers = n,
                "answers keep failing signature checks or come unsigned: is platform_public_key_file the platform's key, or is something between us and the gateway answering?");
        }
    }

    /// Why answers are not being believed, while they keep failing checks.
    pub fn answers_failing(&self) -> Option<String> {
        let n = self.bad_answers.load(Ordering::Relaxed);
        (n >= BAD_ANSWERS_ALERT).then(|| {
            format!("{n} answers in a row failed signature checks or came unsigned (platform_public_key_file?)")
        })
    }

    /// Counts HTTP errors in place of gateway answers; `HTTP_ERRORS_PAUSE` in a row pause the
    /// tenant for a minute, with the status as the reason, instead of failing items.
    fn gateway_answered(&self, http_status: Option<(u16, &str)>) {
        let Some((status, gateway)) = http_status else {
            self.http_errors.store(0, Ordering::Relaxed);
            return;
        };
        let n = self.http_errors.fetch_add(1, Ordering::Relaxed) + 1;
        if n >= HTTP_ERRORS_PAUSE {
            let why = format!(
                "{n} calls in a row answered HTTP {status} by {gateway}, not by the platform (a proxy, a firewall or a wrong gateway URL?)"
            );
            tracing::error!(tenant = %self.name, status, calls = n, gateway, "gateway keeps answering HTTP errors: pausing the tenant");
            self.pause_with(Duration::from_secs(60), why);
            self.http_errors.store(0, Ordering::Relaxed);
        }
    }

    /// Credentials were refused: stop calling for this tenant for a while.
    pub fn pause_tenant(&self, d: Duration) {
        self.pause_with(d, "credentials refused by the platform".into());
    }

    /// Stops calling for this tenant for `d`; `reason` is shown by readiness and logs.
    pub fn pause_with(&self, d: Duration, reason: String) {
        *self.paused_until.lock().unwrap_or_else(|p| p.into_inner()) =
            Some((Instant::now() + d, reason));
    }

    /// The platform refused the credentials with `answer` (code and message): pause for `d`.
    pub fn pause_refused(&self, d: Duration, answer: String) {
        *self.refusal.lock().unwrap_or_else(|p| p.into_inner()) = Some(answer);
        self.pause_tenant(d);
    }

    /// The platform's answer to the credentials, while the tenant is paused for it.
    pub fn refusal(&self) -> Option<String> {
        if !self.paused() {
            return None;
        }
        self.refusal
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn paused(&self) -> bool {
        self.pause_reason().is_some()
    }

    /// Why the tenant is paused, while it is.
    pub fn pause_reason(&self) -> Option<String> {
        self.paused_until
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .filter(|(t, _)| *t > Instant::now())
            .map(|(_, why)| why.clone())
    }

    /// Waits out a pause; false when the daemon stopped first (the item is then released).
    async fn wait_unpaused(&self) -> bool {
        loop {
            let until = self
                .paused_until
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .as_ref()
                .map(|(t, _)| *t);
            match until {
                Some(t) if t > Instant::now() => tokio::select! {
                    _ = tokio::time::sleep(t - Instant::now()) => {}
                    _ = self.stopping.cancelled() => return false,
                },
                _ => return true,
            }
        }
    }

    /// A read of the source failed: readiness turns 503 and the tenant pauses until one works.
    pub fn source_failed(&self, cause: String) {
        self.source_ok.store(false, Ordering::Relaxed);
        self.health.failed(Part::Source, cause);
    }

    pub fn source_read(&self) {
        self.source_ok.store(true, Ordering::Relaxed);
        self.health.recovered(Part::Source);
    }

    pub fn today(&self) -> NaiveDate {
        chrono::Utc::now()
            .with_timezone(&crate::alipay::client::china())
            .date_naive()
    }
}

const BAD_ANSWERS_ALERT: u32 = 8;
const HTTP_ERRORS_PAUSE: u32 = 8;

/// Async locks by name, so two workers never resolve the same community or photo at once.
#[derive(Default)]
pub(crate) struct KeyedLocks {
    map: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl KeyedLocks {
    pub(crate) fn get(&self, key: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        // Drop locks nobody holds, so the map stays as small as the work in flight.
        if map.len() > 1024 {
            map.retain(|_, l| Arc::strong_count(l) > 1);
        }
        map.entry(key.to_string()).or_default().clone()
    }
}

/// Upper bounds (seconds) of the call latency histogram.
pub const LATENCY_BUCKETS: [f64; 9] = [0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

/// One method's latency histogram: counts per bucket (cumulative at export) and the sum.
#[derive(Debug, Clone, Default)]
pub struct Histogram {
    pub buckets: [u64; LATENCY_BUCKETS.len()],
    pub count: u64,
    pub sum_secs: f64,
}

/// Platform calls by method and outcome, latency, throttling and photo bytes, for `/metrics`
/// and summaries.
#[derive(Default)]
pub struct CallMetrics {
    // A std mutex: counters are bumped without await points.
    inner: Mutex<MetricsInner>,
}

#[derive(Default, Clone)]
pub struct MetricsInner {
    pub calls: BTreeMap<(String, String), (u64, Duration)>,
    pub latency: BTreeMap<String, Histogram>,
    pub throttled: Duration,
    pub photo_bytes_in: u64,
    pub photo_bytes_out: u64,
    /// Photos by outcome: `processed`, `cached`, or the reason one could not be used.
    pub photos: BTreeMap<&'static str, u64>,
    pub photo_encodes: u64,
}

impl CallMetrics {
    fn lock(&self) -> std::sync::MutexGuard<'_, MetricsInner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn record(&self, method: &str, outcome: &str, latency: Duration) {
        let mut m = self.lock();
        let e = m
            .calls
            .entry((method.to_string(), outcome.to_string()))
            .or_default();
        e.0 += 1;
        e.1 += latency;
        let h = m.latency.entry(method.to_string()).or_default();
        let secs = latency.as_secs_f64();
        if let Some(i) = LATENCY_BUCKETS.iter().position(|b| secs <= *b) {
            h.buckets[i] += 1;
        }
        h.count += 1;
        h.sum_secs += secs;
    }

    pub fn throttled(&self, pause: Duration) {
        self.lock().throttled += pause;
    }

    pub fn photo_bytes(&self, bytes_in: u64, bytes_out: u64) {
        let mut m = self.lock();
        m.photo_bytes_in += bytes_in;
        m.photo_bytes_out += bytes_out;
    }

    pub fn photo(&self, outcome: &'static str, encodes: u32) {
        let mut m = self.lock();
        *m.photos.entry(outcome).or_default() += 1;
        m.photo_encodes += u64::from(encodes);
    }

    pub fn snapshot(&self) -> BTreeMap<(String, String), (u64, Duration)> {
        self.lock().calls.clone()
    }

    pub fn all(&self) -> MetricsInner {
        self.lock().clone()
    }
}

#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// Items worked at once per replica.
    pub concurrency: usize,
    pub lease: Duration,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Self {
            concurrency: 32,
            lease: Duration::from_secs(120),
        }
    }
}

/// Claims and works items until there is nothing due; returns how many were worked.
/// Stops claiming as soon as `stop` is set; work already claimed is finished.
pub async fn drain_once(
    tenant: &Arc<TenantCtx>,
    outbox: &Outbox,
    owner: &str,
    settings: &WorkerSettings,
    stop: &AtomicBool,
) -> anyhow::Result<usize> {
    if tenant.paused() {
        return Ok(0);
    }
    let mut claims = Claims::new(settings.concurrency);
    let mut worked = 0;
    while !stop.load(Ordering::Relaxed) {
        if !claims.ready() {
            if let Some(r) = claims.tasks.join_next().await {
                scheduler::report(tenant, r);
            }
            continue;
        }
        let (claimed, _) = claims.claim(tenant, outbox, owner, settings.lease).await?;
        if claimed == 0 {
            break;
        }
        worked += claimed;
    }
    // One room whose outcome could not be recorded does not abort the others in flight (their
    // calls may be on the wire): it is reported, its lease runs out, and it is worked again.
    claims.finish_all(tenant).await;
    Ok(worked)
}

/// One claimed item from its stages to its recorded outcome: the body of every worker task.
/// The lease is renewed while the item is worked; if it is lost all the same, the work stops
/// where it is (a call in flight is abandoned, already marked unconfirmed).
async fn work_item(
    tenant: &Arc<TenantCtx>,
    outbox: &Outbox,
    item: crate::outbox::ClaimedItem,
) -> anyhow::Result<()> {
    let how = tokio::select! {
        how = stages::process(tenant, outbox, &item) => how,
        _ = keep_lease(outbox, &item) => Finish::Release,
    };
    log_finish(&tenant.name, &item.key, &how);
    outbox.finish(&item, how).await?;
    Ok(())
}

/// Renews the item's lease every third of its length; returns only when it was lost.
async fn keep_lease(outbox: &Outbox, item: &crate::outbox::ClaimedItem) {
    let every = item.lease.length() / 3;
    loop {
        tokio::time::sleep(every).await;
        match outbox.renew(item).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(tenant = %item.tenant, room = %item.key, "lease lost to another worker; stopping");
                return;
            }
            // The local estimate runs out by itself and stops the next call.
            Err(e) => tracing::warn!(room = %item.key, error = %e, "lease not renewed"),
        }
    }
}

fn log_finish(tenant: &str, room: &str, how: &Finish) {
    match how {
        Finish::Done { warnings: None } => {
            tracing::debug!(tenant, room, outcome = "done", "room synced")
        }
        Finish::Done { warnings: Some(w) } => {
            tracing::warn!(tenant, room, outcome = "done", warnings = %w, "room synced with warnings")
        }
        Finish::Retry { code, message, .. } => {
            tracing::info!(tenant, room, outcome = "retry", code = %code, error = %message, "room will be retried")
        }
        Finish::Failed { code, message } => {
            tracing::warn!(tenant, room, outcome = "failed", code = %code, error = %message, "platform refused the room")
        }
        Finish::Invalid { message } => {
            tracing::warn!(tenant, room, outcome = "invalid", error = %message, "room breaks a platform rule; not sent")
        }
        Finish::Release => {
            tracing::info!(tenant, room, outcome = "released", "lease lost or released")
        }
    }
}
