//! `rentsync resync`: plan everything, work the outbox dry, print a summary. Exits non-zero when
//! any room failed, is invalid, or was still outstanding at the deadline.

use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use super::runtime::{ConfigArg, Runtime};
use crate::config::Config;
use crate::outbox::ItemStatus;
use crate::report::progress::Progress;
use crate::worker::{drain_once, full_scan, ScanStats, TenantCtx};

#[derive(Debug, clap::Args)]
pub struct ResyncArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// Only this tenant (an unknown name is an error).
    #[arg(long)]
    pub tenant: Option<String>,
    /// Give up waiting for retries after this many seconds.
    #[arg(long, default_value_t = 900)]
    pub timeout_secs: u64,
}

/// What a resync did, per tenant.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ResyncSummary {
    pub tenant: String,
    pub scan: ScanStats,
    pub worked: usize,
    pub outstanding: i64,
    pub seconds: f64,
}

pub async fn run(args: ResyncArgs) -> anyhow::Result<ExitCode> {
    let mut cfg = Config::load(&args.config.config)?;
    cfg.only_tenant(args.tenant.as_deref())?;
    let rt = Runtime::start(cfg).await?;
    for d in &rt.down {
        eprintln!("{}: not run: {}", d.name, d.reason);
    }
    let (summaries, unread) = resync_all(&rt, Duration::from_secs(args.timeout_secs)).await?;
    let counts = rt.outbox.counts().await?;
    let mut bad = (rt.down.len() + unread.len()) as i64;
    for s in &summaries {
        let n = |st| counts.get(&(s.tenant.clone(), st)).copied().unwrap_or(0);
        println!(
            "{}: {} rows read in {:.1}s; queued {} new, {} changed, {} unchanged, {} invalid, {} to take off; \
             worked {}; now done {}, failed {}, invalid {}, outstanding {}",
            s.tenant, s.scan.rows, s.seconds, s.scan.queued.created, s.scan.queued.changed,
            s.scan.queued.unchanged, s.scan.queued.invalid, s.scan.taken_off, s.worked,
            n(ItemStatus::Done), n(ItemStatus::Failed), n(ItemStatus::Invalid), s.outstanding
        );
        bad += n(ItemStatus::Failed) + n(ItemStatus::Invalid) + s.outstanding;
    }
    for f in rt.outbox.failures(20).await? {
        println!(
            "  {} {} {}: {} {}",
            f.tenant, f.status, f.room_code, f.code, f.message
        );
    }
    Ok(if bad > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Full scan of every tenant, then work until nothing is outstanding or `timeout` passes.
/// Tenants that could not be read are left out of the summaries and named on stderr.
pub async fn resync(rt: &Runtime, timeout: Duration) -> anyhow::Result<Vec<ResyncSummary>> {
    Ok(resync_all(rt, timeout).await?.0)
}

/// The summaries, and the tenants whose source could not be read.
async fn resync_all(
    rt: &Runtime,
    timeout: Duration,
) -> anyhow::Result<(Vec<ResyncSummary>, Vec<String>)> {
    // A resync beside running daemons is one more replica: it takes its share of each rate
    // limit (and they shrink theirs) instead of adding to the platform's load.
    rt.join_replicas().await?;
    let beat = heartbeat(rt);
    let result = scan_and_work(rt, timeout).await;
    beat.abort();
    rt.outbox.leave(&rt.owner).await?;
    result
}

/// Beats for this replica while a resync runs, re-splitting the tenants' rates as replicas come
/// and go.
fn heartbeat(rt: &Runtime) -> tokio::task::JoinHandle<()> {
    let outbox = rt.outbox.clone();
    let owner = rt.owner.clone();
    let tenants = rt.tenants.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(super::runtime::HEARTBEAT).await;
            if let Err(e) = super::runtime::beat(&outbox, &owner, &tenants).await {
                tracing::warn!(error = format!("{e:#}"), "heartbeat failed");
            }
        }
    })
}

async fn scan_and_work(
    rt: &Runtime,
    timeout: Duration,
) -> anyhow::Result<(Vec<ResyncSummary>, Vec<String>)> {
    let feed = rt.cfg.source.feed();
    let settings = rt.cfg.worker.settings();
    let stop = AtomicBool::new(false);
    let mut out = Vec::new();
    let mut failed = Vec::new();
    let deadline = Instant::now() + timeout;
    for t in &rt.tenants {
        let started = Instant::now();
        let Some(source) = &t.source else {
            continue;
        };
        // One tenant's unreadable source does not stop the others; `run` reports it.
        let scan = match full_scan(t, source, &rt.outbox, &feed).await {
            Ok(scan) => scan,
            Err(e) => {
                eprintln!("{}: source_database cannot be read: {e:#}", t.name);
                failed.push(t.name.clone());
                continue;
            }
        };
        let mut worked = 0;
        let mut outstanding = rt.outbox.outstanding(&t.name).await?;
        let (watcher_stop, watcher) =
            progress_watcher(rt.outbox.clone(), t.name.clone(), outstanding);
        // The deadline and refused credentials end the work where it stands, hung calls and
        // all: dropping the drain aborts its tasks, and the leases are returned below.
        let work = async {
            while outstanding > 0 {
                let n = drain_once(t, &rt.outbox, &rt.owner, &settings, &stop).await?;
                worked += n;
                if n == 0 {
                    // Only retries with a later attempt time are left: wait for them.
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                outstanding = rt.outbox.outstanding(&t.name).await?;
            }
            anyhow::Ok(())
        };
        let ended = tokio::select! {
            r = work => r.map(|()| None)?,
            _ = tokio::time::sleep_until(deadline.into()) => Some(Ended::Deadline),
            answer = refused(t) => Some(Ended::Refused(answer)),
        };
        if let Some(ended) = ended {
            let _ = rt.outbox.release_owner(&rt.owner).await;
            outstanding = rt.outbox.outstanding(&t.name).await?;
            eprintln!("{}", ended.explain(rt, t, timeout, outstanding));
            failed.push(t.name.clone());
        }
        let _ = watcher_stop.send(());
        let _ = tokio::time::timeout(Duration::from_secs(5), watcher).await;
        out.push(ResyncSummary {
            tenant: t.name.clone(),
            scan,
            worked,
            outstanding,
            seconds: started.elapsed().as_secs_f64(),
        });
    }
    Ok((out, failed))
}

/// Shows the outbox emptying: the worker drains in one long pass, so progress is read from the
/// state database once a second rather than counted per pass. Sending on the returned channel
/// ends it after one last read, so the line finishes where the work did (100 % when drained)
/// instead of at the previous tick.
fn progress_watcher(
    outbox: crate::outbox::Outbox,
    tenant: String,
    start: i64,
) -> (
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<()>,
) {
    let (stop_tx, mut stop_rx) = tokio::sync::oneshot::channel::<()>();
    let handle = tokio::spawn(async move {
        let mut progress = Progress::new("resync: rooms worked", Some(start.max(0) as u64));
        let mut total = start.max(0);
        let mut shown = 0;
        loop {
            let last = tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(1)) => false,
                _ = &mut stop_rx => true,
            };
            if let Ok(left) = outbox.outstanding(&tenant).await {
                // Items queued while working (a room's photos, a newer change) raise the total.
                let done = (start - left).max(shown);
                if done + left > total {
                    total = done + left;
                    progress.set_total(total as u64);
                }
                if done > shown {
                    progress.inc((done - shown) as u64);
                    shown = done;
                }
            }
            if last {
                progress.finish();
                return;
            }
        }
    });
    (stop_tx, handle)
}

/// Why a tenant's resync ended before its outbox was empty.
enum Ended {
    Deadline,
    /// The platform refused the app's credentials; its answer.
    Refused(String),
}

impl Ended {
    fn explain(&self, rt: &Runtime, t: &TenantCtx, timeout: Duration, left: i64) -> String {
        let cfg = rt.cfg.tenants.iter().find(|c| c.name == t.name);
        let gateway = cfg.map(|c| c.gateway.as_str()).unwrap_or("?");
        match self {
            Ended::Deadline => format!(
                "{}: --timeout-secs {} reached with {left} room(s) outstanding; the gateway {gateway} \
                 did not answer the calls in flight in time (request_timeout_secs = {}); \
                 check that the URL is right and reachable from this host",
                t.name,
                timeout.as_secs(),
                cfg.map(|c| c.request_timeout_secs).unwrap_or_default(),
            ),
            Ended::Refused(answer) => format!(
                "{}: the platform refused the app's credentials ({answer}); stopped at once with \
                 {left} room(s) outstanding. Check that private_key_file {} is the key whose \
                 public half is uploaded for app_id {} (and app_auth_token_file, if set)",
                t.name,
                cfg.map(|c| c.private_key_file.display().to_string())
                    .unwrap_or_default(),
                cfg.map(|c| c.app_id.as_str()).unwrap_or("?"),
            ),
        }
    }
}

/// Resolves with the platform's answer once `t` is paused for refused credentials.
async fn refused(t: &TenantCtx) -> String {
    loop {
        if let Some(answer) = t.refusal() {
            return answer;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
