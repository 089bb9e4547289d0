//! `rentsync status` and `rentsync retry`.

use std::process::ExitCode;

use super::runtime::ConfigArg;
use crate::config::Config;
use crate::outbox::Outbox;
use crate::report::rooms::RoomLine;
use crate::report::status::LiveOlderRoom;
use crate::report::{china_time, Format, Lang, ReportMeta, StatusReport};

#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// Only this tenant (an unknown name is an error).
    #[arg(long)]
    pub tenant: Option<String>,
    /// Report format: a terminal table, JSON, Markdown, or one self-contained HTML file.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Language of the report's labels (default: from LC_ALL / LC_MESSAGES / LANG).
    #[arg(long, value_enum)]
    pub lang: Option<Lang>,
    /// Write the report to this file instead of standard output.
    #[arg(long)]
    pub out: Option<std::path::PathBuf>,
    /// Do not read the photos of rooms with photo warnings for previews (faster).
    #[arg(long)]
    pub no_previews: bool,
    /// How many recent failures (and items with warnings) to list.
    #[arg(long, default_value_t = 20)]
    pub failures: i64,
}

pub async fn status(args: StatusArgs) -> anyhow::Result<ExitCode> {
    let cfg = Config::load(&args.config.config)?;
    if let Some(t) = &args.tenant {
        cfg.check_tenant(t)?;
    }
    let Some(outbox) = Outbox::open_existing(&cfg.state_database).await? else {
        println!(
            "no state database yet at {}: nothing has run",
            crate::db::redact(&cfg.state_database)
        );
        return Ok(ExitCode::SUCCESS);
    };
    let mut report = status_report_of(&outbox, args.failures, args.tenant.as_deref()).await?;
    report.daemon = daemon_readiness(&cfg).await;
    report.meta = ReportMeta::of_config(Lang::or_env(args.lang), &cfg, args.tenant.as_deref());
    if !args.no_previews {
        report.photo_rooms =
            crate::report::photos::with_previews(&cfg, &outbox, &report.recent_warnings).await?;
    }
    crate::report::emit(&report.render(args.format), args.out.as_deref())?;
    Ok(ExitCode::SUCCESS)
}

/// What the running daemon's `/readyz` says (paused tenants and why), when it answers on the
/// configured ops address; the state database alone cannot tell.
async fn daemon_readiness(cfg: &Config) -> Option<String> {
    let addr = cfg.ops.addr().ok().flatten().filter(|a| a.port() != 0)?;
    let url = format!("http://{addr}/readyz");
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(2))
        .no_proxy()
        .build()
        .ok()?;
    Some(match client.get(&url).send().await {
        Ok(r) => {
            let body = r.text().await.unwrap_or_default();
            format!("{url}: {}", body.trim())
        }
        Err(_) => format!("{url}: no daemon answering"),
    })
}

pub async fn status_report(outbox: &Outbox, failures: i64) -> anyhow::Result<StatusReport> {
    status_report_of(outbox, failures, None).await
}

/// The status of every tenant, or of one (`--tenant`).
pub async fn status_report_of(
    outbox: &Outbox,
    failures: i64,
    only: Option<&str>,
) -> anyhow::Result<StatusReport> {
    let mut report = StatusReport::default();
    let wanted = |t: &str| only.is_none_or(|o| o == t);
    for ((tenant, st), n) in outbox.counts().await? {
        if !wanted(&tenant) {
            continue;
        }
        report
            .items
            .entry(tenant)
            .or_default()
            .insert(st.as_str().to_string(), n);
    }
    report.oldest_pending_secs = outbox.oldest_pending_secs_of(only).await?;
    report.recent_failures = outbox.failures_of(only, failures).await?;
    let mut groups = std::collections::BTreeMap::new();
    outbox
        .each_failing(only, |item| report.add_failing(item, &mut groups))
        .await?;
    report.finish_groups(groups);
    report.live_with_older_values = outbox.live_with_older_values().await?;
    report.live_with_older_values.retain(|t, _| wanted(t));
    let limit = crate::report::doc::LIST_LIMIT as i64;
    let (rooms, total) = outbox.live_older_items(only, limit).await?;
    report.live_with_older_rooms.more = (total - rooms.len() as i64).max(0) as u64;
    for item in rooms {
        let Some(listing) = &item.listing else {
            report.live_with_older_rooms.skip();
            continue;
        };
        let reason = item
            .reason
            .strip_prefix(&format!("room {}: ", item.room_code))
            .unwrap_or(&item.reason)
            .to_string();
        report.live_with_older_rooms.items.push(LiveOlderRoom {
            tenant: item.tenant,
            room: RoomLine::of(listing),
            reason,
            last_accepted: item.last_sent_us.map(china_time),
        });
    }
    report.delist_holds = outbox.delist_holds().await?;
    report.delist_holds.retain(|h| wanted(&h.tenant));
    report.recent_warnings = outbox.warnings_of(only, failures).await?;
    report.photo_rooms = crate::report::photos::from_warnings(&report.recent_warnings);
    report.room_warnings = crate::report::photos::other_warnings(&report.recent_warnings);
    report.tasks = outbox.task_counts().await?;
    report.tasks.retain(|c| wanted(&c.tenant));
    report.dead_tasks = outbox
        .task_list(
            only,
            None,
            Some(crate::outbox::ItemStatus::Failed),
            failures.max(1) as usize,
        )
        .await?;
    report.invalid_tasks = outbox
        .task_list(
            only,
            None,
            Some(crate::outbox::ItemStatus::Invalid),
            failures.max(1) as usize,
        )
        .await?;
    report.callbacks = outbox.spi_counts().await?;
    Ok(report)
}

#[derive(Debug, clap::Args)]
pub struct RetryArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// Only this tenant (an unknown name is an error).
    #[arg(long)]
    pub tenant: Option<String>,
    /// Requeue invalid items too (after fixing the rules they broke in the source).
    #[arg(long)]
    pub invalid: bool,
    /// Requeue dead tasks (deliveries, lease and bill syncs) instead of rooms.
    #[arg(long)]
    pub tasks: bool,
}

pub async fn retry(args: RetryArgs) -> anyhow::Result<ExitCode> {
    let cfg = Config::load(&args.config.config)?;
    if let Some(t) = &args.tenant {
        cfg.check_tenant(t)?;
    }
    if args.tasks {
        let outbox = Outbox::open(&cfg.state_database, 2).await?;
        let n = outbox
            .task_retry(args.tenant.as_deref(), None, args.invalid)
            .await?;
        println!("{n} task(s) requeued");
        return Ok(ExitCode::SUCCESS);
    }
    if !args.invalid {
        let outbox = Outbox::open(&cfg.state_database, 2).await?;
        let n = outbox.requeue(args.tenant.as_deref(), false).await?;
        println!("{n} item(s) requeued");
        return Ok(ExitCode::SUCCESS);
    }
    // Invalid items are planned again from the source: a listing that still breaks a rule stays
    // invalid, a fixed one is queued.
    let rt = super::Runtime::start(cfg).await?;
    let n = rt.outbox.requeue(args.tenant.as_deref(), true).await?;
    let feed = rt.cfg.source.feed();
    for t in &rt.tenants {
        if args.tenant.as_deref().is_some_and(|name| name != t.name) {
            continue;
        }
        if let Some(source) = &t.source {
            let s = crate::worker::full_scan(t, source, &rt.outbox, &feed).await?;
            println!(
                "{}: re-planned from the source: {} queued, {} still invalid",
                t.name,
                s.queued.changed + s.queued.created,
                s.queued.invalid
            );
        }
    }
    println!("{n} item(s) requeued");
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, clap::Args)]
pub struct DelistArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// Only this tenant.
    #[arg(long)]
    pub tenant: Option<String>,
    /// Let the held delists go out at the next scan.
    #[arg(long)]
    pub confirm: bool,
}

/// `rentsync delist`: shows delists held by the mass-delist guard; `--confirm` releases them.
pub async fn delist(args: DelistArgs) -> anyhow::Result<ExitCode> {
    let cfg = Config::load(&args.config.config)?;
    if let Some(t) = &args.tenant {
        cfg.check_tenant(t)?;
    }
    let outbox = Outbox::open(&cfg.state_database, 2).await?;
    let holds = outbox.delist_holds().await?;
    let holds: Vec<_> = holds
        .into_iter()
        .filter(|h| args.tenant.as_deref().is_none_or(|t| t == h.tenant))
        .collect();
    if holds.is_empty() {
        println!("no delists held");
        return Ok(ExitCode::SUCCESS);
    }
    for h in &holds {
        println!(
            "{} {}: {} of {} live rooms would go off shelf",
            h.tenant, h.view, h.gone, h.live
        );
    }
    if args.confirm {
        let n = outbox.confirm_delists(args.tenant.as_deref()).await?;
        println!("{n} hold(s) confirmed: the rooms go off shelf at the next scan");
    } else {
        println!("run with --confirm to take them off shelf");
    }
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
