//! `rentsync dry-run`: what a resync would do, without a platform call or a state change. Reads
//! the source page by page (memory stays flat in the number of rooms) and the state database
//! read-only.

use std::collections::HashSet;
use std::process::ExitCode;

use super::runtime::ConfigArg;
use crate::config::Config;
use crate::outbox::Outbox;
use crate::plan::{kind_label, plan_with};
use crate::report::progress::Progress;
use crate::report::{DryRunReport, Format, TenantPlan};
use crate::source::{Source, VIEWS};
use crate::worker::community_key;

#[derive(Debug, clap::Args)]
pub struct DryRunArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// Only this tenant (an unknown name is an error).
    #[arg(long)]
    pub tenant: Option<String>,
    /// Report format: a terminal table, JSON, Markdown, or one self-contained HTML file.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write the report to this file instead of standard output.
    #[arg(long)]
    pub out: Option<std::path::PathBuf>,
    /// Rows read per query.
    #[arg(long, default_value_t = 5000)]
    pub batch: i64,
}

pub async fn run(args: DryRunArgs) -> anyhow::Result<ExitCode> {
    let mut cfg = Config::load(&args.config.config)?;
    cfg.only_tenant(args.tenant.as_deref())?;
    let report = dry_run(&cfg, args.batch).await?;
    crate::report::emit(&report.render(args.format), args.out.as_deref())?;
    for u in &report.unreadable {
        eprintln!("tenant {}: not planned: {}", u.tenant, u.error);
    }
    Ok(if report.has_problems() {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    })
}

pub async fn dry_run(cfg: &Config, batch: i64) -> anyhow::Result<DryRunReport> {
    let outbox = Outbox::open_existing(&cfg.state_database).await?;
    let today = chrono::Utc::now()
        .with_timezone(&crate::alipay::client::china())
        .date_naive();
    let mut report = DryRunReport::default();
    for t in &cfg.tenants {
        let Some(url) = &t.source_database else {
            continue;
        };
        // One tenant's unreadable source does not hide the others' plans.
        let family = match t.family {
            crate::config::Family::Renthouse => "renthouse",
            crate::config::Family::Housing => "housing",
        };
        match plan_tenant(&t.name, family, url, outbox.as_ref(), batch, today).await {
            Ok(plan) => report.tenants.push(plan),
            Err(e) => report.unreadable.push(crate::report::UnreadableTenant {
                tenant: t.name.clone(),
                error: format!("{e:#}"),
            }),
        }
    }
    Ok(report)
}

/// The plan of one tenant's source.
async fn plan_tenant(
    tenant: &str,
    family: &'static str,
    url: &str,
    outbox: Option<&Outbox>,
    batch: i64,
    today: chrono::NaiveDate,
) -> anyhow::Result<TenantPlan> {
    let source = Source::connect(url).await?;
    let mut plan_out = TenantPlan::new(tenant);
    plan_out.family = family.to_string();
    let mut progress = Progress::new("dry-run: rows read", None);
    let mut communities = HashSet::new();
    for view in VIEWS {
        let kind = kind_label(view.kind);
        let mut seen = HashSet::new();
        let mut batches = source.scan(view, batch as usize);
        while let Some(rows) = batches.recv().await {
            let rows = rows?;
            progress.inc(rows.len() as u64);
            let plans: Vec<_> = rows
                .into_iter()
                .map(|r| plan_with(r.listing, r.breaks, today))
                .collect();
            let keys: Vec<&str> = plans.iter().map(|p| p.listing.room_code()).collect();
            let stored = match outbox {
                Some(o) => o.lookup(tenant, kind, &keys).await?,
                None => Default::default(),
            };
            for p in &plans {
                let code = p.listing.room_code();
                plan_out.rows += 1;
                for col in crate::platform::uncarried(family, &p.listing.room) {
                    plan_out.add_uncarried(kind, col);
                }
                if outbox.is_some() {
                    // Only needed to find rooms gone from the source; with no state yet there
                    // are none, and memory stays flat.
                    seen.insert(code.to_string());
                }
                if !p.is_valid() {
                    plan_out.invalid += 1;
                    for b in &p.breaks {
                        plan_out.add_break(code, &b.field, &b.rule);
                    }
                    continue;
                }
                let sends_content = match stored.get(code) {
                    None if !p.listing.active => {
                        plan_out.unchanged += 1;
                        false
                    }
                    None => {
                        plan_out.create += 1;
                        true
                    }
                    Some(s) if s.content_hash != p.content_hash && p.listing.active => {
                        plan_out.update += 1;
                        true
                    }
                    Some(s) if s.state != p.state => {
                        plan_out.state_change += 1;
                        false
                    }
                    Some(_) => {
                        plan_out.unchanged += 1;
                        false
                    }
                };
                if sends_content {
                    plan_out.photos_to_process += p.listing.photos.len() as u64;
                    if p.listing.community_code.is_none() {
                        let key = community_key(&p.listing);
                        let cached = match outbox {
                            Some(o) => o.cache_get(tenant, "community", &key).await?.is_some(),
                            None => false,
                        };
                        if !cached {
                            communities.insert(key);
                        }
                    }
                }
            }
        }
        if let Some(o) = outbox {
            plan_out.take_off += o
                .active_keys(tenant, kind)
                .await?
                .iter()
                .filter(|(k, _)| !seen.contains(k))
                .count() as u64;
        }
    }
    progress.finish();
    plan_out.communities_to_resolve = communities.len() as u64;
    plan_out.finish();
    Ok(plan_out)
}
