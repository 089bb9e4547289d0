//! `rentsync dry-run`: what a resync would do, without a platform call or a state change. Reads
//! the source page by page (memory stays flat in the number of rooms) and the state database
//! read-only. Rooms are listed per action up to the report's limit; updates name the fields that
//! change against the payload the platform last accepted.

use std::collections::HashSet;
use std::process::ExitCode;

use super::runtime::ConfigArg;
use crate::config::{Config, Family, TenantConfig};
use crate::model::{CommunityRef, Room};
use crate::outbox::{ItemStatus, ItemSummary, Outbox};
use crate::plan::{coverage, kind_label, plan_with, Plan};
use crate::platform::housing::{add_only, payload};
use crate::platform::{room_payload, HousingSettings};
use crate::report::family::FamilyCoverage;
use crate::report::progress::Progress;
use crate::report::rooms::{changes, Change, RoomLine};
use crate::report::{DryRunReport, Format, Lang, ReportMeta, TenantPlan};
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
    /// Language of the report's labels (default: from LC_ALL / LC_MESSAGES / LANG).
    #[arg(long, value_enum)]
    pub lang: Option<Lang>,
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
    let mut report = dry_run(&cfg, args.batch).await?;
    report.meta = ReportMeta::of_config(Lang::or_env(args.lang), &cfg, None);
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
    let mut report = DryRunReport {
        meta: ReportMeta::of_config(Lang::from_env(), cfg, None),
        ..Default::default()
    };
    for t in &cfg.tenants {
        let Some(url) = &t.source_database else {
            continue;
        };
        // One tenant's unreadable source does not hide the others' plans.
        match plan_tenant(t, url, outbox.as_ref(), batch, today, &cfg.source.feed()).await {
            Ok(plan) => report.tenants.push(plan),
            Err(e) => report.unreadable.push(crate::report::UnreadableTenant {
                tenant: t.name.clone(),
                error: format!("{e:#}"),
            }),
        }
    }
    Ok(report)
}

/// What a planned room would do, given what is stored for it.
enum Action {
    Create,
    Update,
    StateChange,
    Pending,
    Failed,
    Unchanged,
}

fn action(p: &Plan, stored: Option<&ItemSummary>) -> Action {
    match stored {
        None if !p.listing.active => Action::Unchanged,
        None => Action::Create,
        // Archived before it was ever sent, now restored: the worker adds it whole.
        Some(s) if p.listing.active && !s.active && s.synced_payload_hash.is_none() => {
            Action::Create
        }
        Some(s) if s.content_hash != p.content_hash && p.listing.active => Action::Update,
        Some(s) if s.state != p.state => Action::StateChange,
        Some(s) => match s.status {
            ItemStatus::Pending | ItemStatus::Leased | ItemStatus::Retry => Action::Pending,
            ItemStatus::Failed => Action::Failed,
            _ => Action::Unchanged,
        },
    }
}

/// The plan of one tenant's source.
async fn plan_tenant(
    t: &TenantConfig,
    url: &str,
    outbox: Option<&Outbox>,
    batch: i64,
    today: chrono::NaiveDate,
    guard: &crate::worker::FeedSettings,
) -> anyhow::Result<TenantPlan> {
    let tenant = t.name.as_str();
    let source = Source::connect(url).await?;
    let mut plan_out = TenantPlan::new(tenant);
    plan_out.coverage = FamilyCoverage::new(t.family.name());
    let housing = (t.family == Family::Housing).then_some(&t.housing);
    // A tenant moved to another family has every room sent whole (`Outbox::switch_family`).
    let switched = match outbox {
        Some(o) => o
            .served_family(tenant)
            .await?
            .is_some_and(|f| f != t.family.name()),
        None => false,
    };
    let mut progress = Progress::new("dry-run: rows read", None);
    let mut communities = HashSet::new();
    // Both views are asked for at once: a sorted view sends nothing until the database has
    // evaluated and sorted it all, so the second is sorted while the first is planned.
    let scans: Vec<_> = VIEWS
        .into_iter()
        .map(|view| (view, source.scan(view, batch as usize)))
        .collect();
    for (view, mut batches) in scans {
        let kind = kind_label(view.kind);
        let mut seen = HashSet::new();
        while let Some(rows) = batches.recv().await {
            let rows = rows?;
            progress.inc(rows.len() as u64);
            let plans: Vec<_> = rows
                .into_iter()
                .map(|r| plan_with(r.listing, r.breaks, today))
                .collect();
            let keys: Vec<&str> = plans.iter().map(|p| p.listing.room_code()).collect();
            let stored = match outbox {
                Some(o) if !switched => o.lookup(tenant, kind, &keys).await?,
                _ => Default::default(),
            };
            let mut updates = Vec::new();
            if let Some(settings) = housing {
                for p in &plans {
                    for (method, fields) in coverage::housing_fields(&p.listing, settings, today) {
                        plan_out.coverage.filled(method, fields);
                    }
                }
                if let Some(o) = outbox.filter(|_| !switched) {
                    add_only_changes(o, tenant, settings, &plans, &mut plan_out).await?;
                }
            }
            for p in &plans {
                let code = p.listing.room_code();
                plan_out.rows += 1;
                plan_out.coverage.row(&p.listing);
                if outbox.is_some() {
                    // Only needed to find rooms gone from the source; with no state yet there
                    // are none, and memory stays flat.
                    seen.insert(code.to_string());
                }
                if !p.is_valid() {
                    plan_out.invalid += 1;
                    for b in &p.breaks {
                        plan_out.add_break(&p.listing, b);
                    }
                    continue;
                }
                let old = stored.get(code);
                let sends_content = match action(p, old) {
                    Action::Create => {
                        plan_out.create += 1;
                        plan_out.creates.push(RoomLine::of(&p.listing));
                        true
                    }
                    Action::Update => {
                        plan_out.update += 1;
                        if plan_out.updates.has_room() {
                            updates.push(p);
                            plan_out.updates.push(RoomLine::of(&p.listing));
                        } else {
                            plan_out.updates.skip();
                        }
                        true
                    }
                    Action::StateChange => {
                        plan_out.state_change += 1;
                        let mut line = RoomLine::of(&p.listing);
                        line.changes.push(Change {
                            field: "state".into(),
                            old: old.map(|s| s.state.clone()).unwrap_or_default(),
                            new: p.state.clone(),
                        });
                        plan_out.state_changes.push(line);
                        false
                    }
                    Action::Pending => {
                        plan_out.pending += 1;
                        false
                    }
                    Action::Failed => {
                        plan_out.failed += 1;
                        false
                    }
                    Action::Unchanged => {
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
            if let Some(o) = outbox {
                add_changes(t, o, kind, &updates, &mut plan_out, today).await?;
            }
        }
        // After a family switch nothing is taken off: the new family never listed those rooms.
        if let Some(o) = outbox.filter(|_| !switched) {
            let mut gone = 0;
            for (key, listing) in o.active_keys(tenant, kind).await? {
                if seen.contains(&key) {
                    continue;
                }
                gone += 1;
                plan_out.take_off += 1;
                let mut line = RoomLine::of(&listing);
                let (_, rent) = listing.desired_state();
                line.changes.push(Change {
                    field: "state".into(),
                    old: line.state.clone(),
                    new: crate::plan::state_label(crate::model::RoomState::OffShelf, rent),
                });
                plan_out.take_offs.push(line);
            }
            held(o, tenant, view.name, kind, gone, guard, &mut plan_out).await?;
        }
    }
    if let Some(o) = outbox {
        plan_out.live_with_older_values = o
            .live_with_older_values()
            .await?
            .get(tenant)
            .copied()
            .unwrap_or(0);
    }
    progress.finish();
    plan_out.communities_to_resolve = communities.len() as u64;
    plan_out.finish();
    Ok(plan_out)
}

/// Whether the mass-delist guard would hold this view's take-offs, as the scan decides it
/// (unless an operator has confirmed them already).
async fn held(
    outbox: &Outbox,
    tenant: &str,
    view: &str,
    kind: &str,
    gone: u64,
    guard: &crate::worker::FeedSettings,
    plan_out: &mut TenantPlan,
) -> anyhow::Result<()> {
    if gone == 0 {
        return Ok(());
    }
    let live = outbox.live_count(tenant, kind).await?.max(1) as u64;
    let trips =
        gone >= guard.delist_guard_min && gone as f64 > guard.max_delist_share * live as f64;
    let confirmed = outbox
        .delist_holds()
        .await?
        .iter()
        .any(|h| h.tenant == tenant && h.view == view && h.confirmed);
    if trips && !confirmed {
        plan_out.delists_held.push(crate::report::HeldDelist {
            view: view.to_string(),
            gone,
            live,
        });
    }
    Ok(())
}

/// Fills in the changed fields of this batch's listed updates: against the payload the platform
/// last accepted (`last_sent`), or, for a room never accepted, against the listing queued before.
async fn add_changes(
    t: &TenantConfig,
    outbox: &Outbox,
    kind: &str,
    updates: &[&Plan],
    plan_out: &mut TenantPlan,
    today: chrono::NaiveDate,
) -> anyhow::Result<()> {
    if updates.is_empty() {
        return Ok(());
    }
    let keys: Vec<&str> = updates.iter().map(|p| p.listing.room_code()).collect();
    let records = outbox.sent_records(&t.name, kind, &keys).await?;
    let payload = |l: &crate::plan::Listing| {
        let room = l.resolve(
            CommunityRef::RequestId("0".into()),
            l.photos.iter().map(|_| String::new()).collect(),
            today,
        );
        serde_json::to_value(room_payload(&room)).unwrap_or_default()
    };
    for p in updates {
        let Some(rec) = records.get(p.listing.room_code()) else {
            continue;
        };
        // `last_sent` is the room as resolved for the call (the model, whatever the family).
        let sent = rec
            .last_sent
            .as_deref()
            .and_then(|s| serde_json::from_str::<crate::model::Room>(s).ok());
        let old = match sent {
            Some(room) => serde_json::to_value(room_payload(&room)).unwrap_or_default(),
            None => match serde_json::from_str::<crate::plan::Listing>(&rec.listing) {
                Ok(l) => payload(&l),
                Err(_) => continue,
            },
        };
        let diff = changes(&old, &payload(&p.listing));
        if let Some(line) = plan_out
            .updates
            .items
            .iter_mut()
            .rev()
            .find(|l| l.room_code == p.listing.room_code())
        {
            line.changes = diff;
        }
    }
    Ok(())
}

/// Listings already added whose add-only fields now differ from what their add sent, as the
/// worker would warn (`platform::housing::add_only`), counted per field.
async fn add_only_changes(
    outbox: &Outbox,
    tenant: &str,
    s: &HousingSettings,
    plans: &[Plan],
    out: &mut TenantPlan,
) -> anyhow::Result<()> {
    let keyed: Vec<(String, &Plan)> = plans
        .iter()
        .filter(|p| p.is_valid() && p.listing.active)
        .map(|p| {
            let what = match p.listing.room {
                Room::Dispersion(_) => "house",
                Room::Concentration(_) => "apartment",
            };
            (format!("{what}:{}", p.listing.room_code()), p)
        })
        .collect();
    let keys: Vec<&str> = keyed.iter().map(|(k, _)| k.as_str()).collect();
    let stored = outbox.cache_get_many(tenant, add_only::KIND, &keys).await?;
    for (key, p) in &keyed {
        let Some(added) = stored
            .get(key)
            .and_then(|t| serde_json::from_str::<serde_json::Map<_, _>>(t).ok())
        else {
            continue;
        };
        let (now, method) = match &p.listing.room {
            Room::Dispersion(r) => {
                let add = payload::house_add(r, "", s);
                (add_only::snapshot(&add, &add.fields), "house.rental.add")
            }
            Room::Concentration(r) => {
                let Ok(at) = payload::location(&p.listing.community, s) else {
                    continue;
                };
                let add = payload::apartment_add(r, &at, s);
                (add_only::snapshot(&add, &add.fields), "apartment.add")
            }
        };
        for c in add_only::changes(&added, &now) {
            out.coverage
                .add_only_changed(p.listing.room_code(), &c.field, method);
        }
    }
    Ok(())
}
