//! What every engine subcommand starts from: the config, the state database, and one runtime per
//! tenant (client, platform family, source, limits).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;

use crate::alipay::AlipayClient;
use crate::config::Config;
use crate::outbox::Outbox;
use crate::platform::RenthousePlatform;
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
    pub tenants: Vec<Arc<TenantCtx>>,
    /// This replica's name in leases and heartbeats.
    pub owner: String,
}

impl Runtime {
    pub async fn start(cfg: Config) -> anyhow::Result<Self> {
        let outbox = Outbox::open(&cfg.state_database, 8)
            .await
            .context("state database")?;
        let mut tenants = Vec::new();
        // One photo pool for the daemon: the memory budget and the cores are shared by all tenants.
        let photo_pool = Arc::new(crate::photo::Pool::new(cfg.worker.photo_pool()));
        for t in &cfg.tenants {
            let client = AlipayClient::new(t.client_config()?)?;
            let source = match &t.source_database {
                Some(url) => Some(
                    Source::connect(url)
                        .await
                        .with_context(|| format!("tenant {:?}: source database", t.name))?,
                ),
                None => None,
            };
            let mut ctx = TenantCtx::new(
                &t.name,
                Arc::new(RenthousePlatform::new(client)),
                source,
                t.rates.clone(),
            );
            ctx.photo_source = t.photo_source()?;
            ctx.photo_pool = Arc::clone(&photo_pool);
            ctx.photo.max_bytes = t.max_photo_bytes;
            ctx.photo.long_edge = t.photo_long_edge;
            ctx.invalid_listings = t.invalid_listings;
            ctx.max_backoff = Duration::from_secs(cfg.worker.max_backoff_secs.max(1));
            tenants.push(Arc::new(ctx));
        }
        Ok(Self {
            cfg,
            outbox,
            tenants,
            owner: replica_name(),
        })
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
