//! `rentsync trade sync [--tenant T]`: one round of the trade syncs without the daemon: scan the
//! tenant's views (`rentsync_leases`, `rentsync_bills`, `rentsync_booking_feedback`), send what
//! changed, and list what could not go (invalid rows with their column, value and rule; refusals).

use std::process::ExitCode;

use anyhow::Context;

use super::runtime::ConfigArg;
use crate::alipay::AlipayClient;
use crate::config::Config;
use crate::outbox::{ItemStatus, Outbox};
use crate::trade::handlers::{handlers, TradeCalls};
use crate::trade::{
    TradeConfig, BILL_ORDER_KIND, BOOKING_FEEDBACK_KIND, LEASE_ORDER_KIND, LEASE_STATE_KIND,
};

#[derive(Debug, clap::Args)]
pub struct TradeArgs {
    #[command(subcommand)]
    pub command: TradeCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum TradeCommand {
    /// Scan the lease, bill and booking-feedback views once and send what changed.
    Sync(TradeSyncArgs),
}

#[derive(Debug, clap::Args)]
pub struct TradeSyncArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// Which tenant (needed when the config has several).
    #[arg(long)]
    pub tenant: Option<String>,
}

pub async fn run(args: TradeArgs) -> anyhow::Result<ExitCode> {
    let TradeCommand::Sync(a) = args.command;
    let cfg = Config::load(&a.config.config)?;
    let tenant = cfg.tenant(a.tenant.as_deref())?;
    let url = tenant
        .source_database
        .as_deref()
        .with_context(|| format!("tenant {:?} has no source_database", tenant.name))?;
    let trade = tenant.trade.clone().unwrap_or(TradeConfig {
        enabled: true,
        poll_secs: 30.0,
        lease_views: true,
        booking_feedback_view: true,
    });
    let outbox = Outbox::open(&cfg.state_database, 2)
        .await
        .context("state database")?;
    let source = crate::db::Db::connect(url, 2).await?;
    let queued = crate::trade::poller::scan_once(&outbox, &source, &tenant.name, &trade).await;
    let calls = TradeCalls {
        client: AlipayClient::new(tenant.client_config()?)?,
        ctx: None,
        source: Some(source),
    };
    let worked = crate::worker::drain_tasks(
        &tenant.name,
        &handlers(calls),
        &outbox,
        &cfg.worker.task_settings(),
    )
    .await?;
    println!("queued {queued}, worked {worked}");
    let mut stuck = 0;
    for kind in [
        LEASE_ORDER_KIND,
        LEASE_STATE_KIND,
        BILL_ORDER_KIND,
        BOOKING_FEEDBACK_KIND,
    ] {
        for status in [ItemStatus::Invalid, ItemStatus::Failed, ItemStatus::Retry] {
            for t in outbox
                .task_list(Some(tenant.name.as_str()), Some(kind), Some(status), 100)
                .await?
            {
                stuck += 1;
                println!(
                    "{kind} {} {}: {}",
                    t.key,
                    t.status,
                    t.last_error.unwrap_or_default()
                );
            }
        }
    }
    Ok(if stuck == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
