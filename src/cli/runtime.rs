//! What every engine subcommand starts from: the config, the state database, and one runtime per
//! tenant (client, platform family, source, limits).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;

use crate::alipay::AlipayClient;
use crate::config::Config;
use crate::config::Family;
use crate::outbox::Outbox;
use crate::platform::{HousingPlatform, OutboxIds, Platform, RenthousePlatform};
use crate::source::Source;
use crate::worker::TenantCtx;

/// `--config FILE`, shared by the engine subcommands.
#[derive(Debug, Clone, clap::Args)]
pub struct ConfigArg {
    /// Config file (TOML).
    #[arg(
        long,
        env = "RENTSYNC_CONFIG",
        default_value = "/etc/rentsync/rentsync.toml"
    )]
    pub config: PathBuf,
}

pub struct Runtime {
    pub cfg: Config,
    pub outbox: Outbox,
    /// Tenants that could be set up; one whose source is down is here, paused (`health`).
    pub tenants: Vec<Arc<TenantCtx>>,
    /// Tenants that cannot run at all until the config or their key files are fixed.
    pub down: Vec<TenantDown>,
    /// This replica's name in leases and heartbeats.
    pub owner: String,
}

/// A tenant left out of the runtime, and why (free of secrets).
#[derive(Debug, Clone)]
pub struct TenantDown {
    pub name: String,
    pub reason: String,
}

impl Runtime {
    /// Opens the state database (its failure is the caller's: nothing can run without it) and
    /// sets up every tenant. A tenant whose key files cannot be read is left out and listed in
    /// `down`; one whose source cannot be reached is kept, paused, and retried by its feed loop.
    pub async fn start(cfg: Config) -> anyhow::Result<Self> {
        let outbox = Outbox::open(&cfg.state_database, 8)
            .await
            .context("state database")?;
        let mut tenants = Vec::new();
        // One photo pool for the daemon: the memory budget and the cores are shared by all tenants.
        let photo_pool = Arc::new(crate::photo::Pool::new(cfg.worker.photo_pool()));
        let mut down = Vec::new();
        for t in &cfg.tenants {
            for warning in t.loose_secret_files() {
                tracing::warn!(tenant = %t.name, "{warning}");
            }
            let client = match t.client_config().and_then(AlipayClient::new) {
                Ok(c) => c,
                Err(e) => {
                    let reason = format!("{e:#}");
                    tracing::error!(tenant = %t.name, error = %reason,
                        "tenant paused: its keys cannot be used; fix the file and reload (SIGHUP)");
                    down.push(TenantDown {
                        name: t.name.clone(),
                        reason,
                    });
                    continue;
                }
            };
            let mut source_problem = None;
            let source = match &t.source_database {
                Some(url) => Some(match Source::connect(url).await {
                    Ok(s) => s,
                    Err(e) => {
                        source_problem = Some(format!("{e:#}"));
                        Source::connect_lazy(url)
                            .with_context(|| format!("tenant {:?}: source_database", t.name))?
                    }
                }),
                None => None,
            };
            let platform: Arc<dyn Platform> = match t.family {
                Family::Renthouse => Arc::new(RenthousePlatform::new(client)),
                // The housing family's platform ids live in the state database, per tenant.
                Family::Housing => Arc::new(HousingPlatform::new(
                    client,
                    Arc::new(OutboxIds {
                        outbox: outbox.clone(),
                        tenant: t.name.clone(),
                    }),
                    t.housing.clone(),
                )),
            };
            if let Some(s) = outbox
                .switch_family(&t.name, platform.family())
                .await
                .with_context(|| format!("tenant {:?}: recording its platform family", t.name))?
            {
                tracing::warn!(tenant = %t.name, from = %s.from, to = %s.to, items = s.items,
                    "tenant moved to another platform family: each room is sent whole on the new one; nothing is taken off the old one");
            }
            let mut ctx = TenantCtx::new(&t.name, platform, source, t.rates.clone());
            ctx.photo_source = t.photo_source()?;
            ctx.photo_pool = Arc::clone(&photo_pool);
            ctx.photo.max_bytes = t.max_photo_bytes;
            ctx.photo.long_edge = t.photo_long_edge;
            ctx.invalid_listings = t.invalid_listings;
            ctx.max_backoff = Duration::from_secs(cfg.worker.max_backoff_secs.max(1));
            if let Some(cause) = source_problem {
                ctx.source_failed(cause);
            }
            tenants.push(Arc::new(ctx));
        }
        Ok(Self {
            cfg,
            outbox,
            tenants,
            down,
            owner: replica_name(),
        })
    }

    /// Closes every pool: the state database and the sources. Waits for connections in use to
    /// come back, so after a reload the old runtime holds none.
    pub async fn close(&self) {
        self.outbox.db.pool.close().await;
        for t in &self.tenants {
            if let Some(s) = &t.source {
                s.db.pool.close().await;
            }
        }
    }
}

/// `host-pid-random`: unique per process, readable in `status` and the database.
pub fn replica_name() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "rentsync".into());
    format!(
        "{host}-{}-{:04x}",
        std::process::id(),
        rand::random::<u16>()
    )
}

/// How often a replica says it is alive; a replica silent for 3 beats no longer counts.
pub(crate) const HEARTBEAT: Duration = Duration::from_secs(1);
pub(crate) const HEARTBEAT_WINDOW_US: i64 = 3_000_000;

/// Marks this replica alive and splits every tenant's rate limits among the live replicas;
/// returns how many there are.
pub(crate) async fn beat(
    outbox: &Outbox,
    owner: &str,
    tenants: &[Arc<TenantCtx>],
) -> anyhow::Result<i64> {
    let replicas = outbox.heartbeat(owner, HEARTBEAT_WINDOW_US).await?;
    for t in tenants {
        t.limits.set_replicas(replicas as u32);
    }
    Ok(replicas)
}

impl Runtime {
    /// Joins the replicas before working: the others see us within one heartbeat and shrink
    /// their share of each rate limit; until then we wait, so the limit holds across the join.
    pub(crate) async fn join_replicas(&self) -> anyhow::Result<()> {
        if beat(&self.outbox, &self.owner, &self.tenants).await? > 1 {
            tokio::time::sleep(HEARTBEAT * 3 / 2).await;
        }
        Ok(())
    }
}
