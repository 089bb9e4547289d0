//! `rentsync status` and `rentsync retry`.

use std::process::ExitCode;

use super::runtime::ConfigArg;
use crate::config::Config;
use crate::outbox::Outbox;
use crate::report::{Format, StatusReport};

#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write the report to this file instead of standard output.
    #[arg(long)]
    pub out: Option<std::path::PathBuf>,
    /// How many recent failures (and items with warnings) to list.
    #[arg(long, default_value_t = 20)]
    pub failures: i64,
}

pub async fn status(args: StatusArgs) -> anyhow::Result<ExitCode> {
    let cfg = Config::load(&args.config.config)?;
    let Some(outbox) = Outbox::open_existing(&cfg.state_database).await? else {
        println!(
            "no state database yet at {}: nothing has run",
            crate::db::redact(&cfg.state_database)
        );
        return Ok(ExitCode::SUCCESS);
    };
    let report = status_report(&outbox, args.failures).await?;
    crate::report::emit(&report.render(args.format), args.out.as_deref())?;
    Ok(ExitCode::SUCCESS)
}

pub async fn status_report(outbox: &Outbox, failures: i64) -> anyhow::Result<StatusReport> {
    let mut report = StatusReport::default();
    for ((tenant, st), n) in outbox.counts().await? {
        report
            .items
            .entry(tenant)
            .or_default()
            .insert(st.as_str().to_string(), n);
    }
    report.oldest_pending_secs = outbox.oldest_pending_secs().await?;
    report.recent_failures = outbox.failures(failures).await?;
    report.recent_warnings = outbox.warnings(failures).await?;
    Ok(report)
}

#[derive(Debug, clap::Args)]
pub struct RetryArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// Only this tenant.
    #[arg(long)]
    pub tenant: Option<String>,
    /// Requeue invalid items too (after fixing the rules they broke in the source).
    #[arg(long)]
    pub invalid: bool,
}

pub async fn retry(args: RetryArgs) -> anyhow::Result<ExitCode> {
    let cfg = Config::load(&args.config.config)?;
    let outbox = Outbox::open(&cfg.state_database, 2).await?;
    let n = outbox.requeue(args.tenant.as_deref(), args.invalid).await?;
    println!("{n} item(s) requeued");
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, clap::Args)]
pub struct MigrateArgs {
    #[command(flatten)]
    pub config: ConfigArg,
}

pub async fn migrate(args: MigrateArgs) -> anyhow::Result<ExitCode> {
    let cfg = Config::load(&args.config.config)?;
    let db = crate::db::Db::connect(&cfg.state_database, 2).await?;
    let applied = crate::outbox::migrate(&db).await?;
    if applied.is_empty() {
        println!("state database is up to date");
    } else {
        println!("applied migrations {applied:?}");
    }
    Ok(ExitCode::SUCCESS)
}
