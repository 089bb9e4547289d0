//! `rentsync explain ROOM_CODE`: why a room is (not) live, from every side at once: the source
//! row as read, the plan and its rule check, the outbox item, what the platform last accepted and
//! when, and the latest calls. The first thing support asks for.

use std::fmt::Write as _;
use std::process::ExitCode;

use anyhow::Context as _;
use serde_json::Value;

use super::runtime::ConfigArg;
use crate::config::{Config, TenantConfig};
use crate::outbox::{ItemRecord, Outbox};
use crate::plan::{plan_with, Plan};
use crate::platform::room_payload;
use crate::source::{Source, VIEWS};

#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// The room code, as the contract views give it.
    pub room_code: String,
    /// Only this tenant (an unknown name is an error).
    #[arg(long)]
    pub tenant: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

pub async fn run(args: ExplainArgs) -> anyhow::Result<ExitCode> {
    let cfg = Config::load(&args.config.config)?;
    if let Some(t) = &args.tenant {
        cfg.check_tenant(t)
            .with_context(|| format!("config {}", args.config.config.display()))?;
    }
    let outbox = Outbox::open_existing(&cfg.state_database).await?;
    let mut found = false;
    let mut all = Vec::new();
    for t in &cfg.tenants {
        if args.tenant.as_deref().is_some_and(|n| n != t.name) {
            continue;
        }
        let e = explain(t, outbox.as_ref(), &args.room_code).await?;
        found |= e.source.is_some() || !e.items.is_empty();
        all.push(e);
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&all)?);
    } else {
        for e in &all {
            print!("{}", e.text());
        }
    }
    if !found {
        eprintln!(
            "room {} is neither in the source views nor in the state database",
            args.room_code
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// What is known of one room for one tenant.
#[derive(Debug, serde::Serialize)]
pub struct Explanation {
    pub tenant: String,
    pub room_code: String,
    /// The view it was found in and the listing as read (personal data masked), or why not.
    pub source: Option<Value>,
    pub source_note: String,
    /// The payload as it would be sent (stand-ins for platform ids and photo URLs).
    pub planned_payload: Option<Value>,
    pub rule_breaks: Vec<String>,
    pub items: Vec<ItemRecord>,
    pub calls: Vec<crate::outbox::CallRecord>,
    /// How the planned listing compares with what the platform was last seen to accept.
    pub verdict: String,
}

async fn explain(
    t: &TenantConfig,
    outbox: Option<&Outbox>,
    code: &str,
) -> anyhow::Result<Explanation> {
    let today = chrono::Utc::now()
        .with_timezone(&crate::alipay::client::china())
        .date_naive();
    let mut plan: Option<Plan> = None;
    let mut source_note = "no source_database configured".to_string();
    let mut source = None;
    if let Some(url) = &t.source_database {
        match Source::connect(url).await {
            Err(e) => source_note = format!("source_database cannot be read: {e:#}"),
            Ok(s) => {
                source_note = "not in the views: deleted, or never there".into();
                for view in VIEWS {
                    if let Some(row) = s.row(view, code).await? {
                        source_note = format!("found in {}", view.name);
                        let mut listing = serde_json::to_value(&row.listing)?;
                        mask_personal(&mut listing);
                        source = Some(listing);
                        plan = Some(plan_with(row.listing, row.breaks, today));
                        break;
                    }
                }
            }
        }
    }
    let (items, calls) = match outbox {
        Some(o) => (
            o.item_records(Some(&t.name), code).await?,
            o.item_calls(&t.name, code, 10).await?,
        ),
        None => (Vec::new(), Vec::new()),
    };
    let planned_payload = plan.as_ref().map(|p| {
        let mut v = serde_json::to_value(room_payload(
            &p.listing.resolve(
                crate::model::CommunityRef::RequestId("<community>".into()),
                p.listing
                    .photos
                    .iter()
                    .map(|_| "<photo>".to_string())
                    .collect(),
                today,
            ),
        ))
        .unwrap_or_default();
        mask_personal(&mut v);
        v
    });
    let verdict = verdict(plan.as_ref(), items.first());
    Ok(Explanation {
        tenant: t.name.clone(),
        room_code: code.to_string(),
        source,
        source_note,
        planned_payload,
        rule_breaks: plan
            .as_ref()
            .filter(|p| !p.is_valid())
            .map(|p| vec![p.error_text()])
            .unwrap_or_default(),
        items,
        calls,
        verdict,
    })
}

fn verdict(plan: Option<&Plan>, item: Option<&ItemRecord>) -> String {
    let live = item.is_some_and(|i| crate::outbox::maybe_live(i.synced_state.as_deref()));
    match (plan, item) {
        (None, None) => "unknown to rentsync".into(),
        (None, Some(_)) if live => "gone from the source; still live: an off-shelf is due".into(),
        (None, Some(_)) => "gone from the source and not live".into(),
        (Some(p), _) if !p.is_valid() && live => {
            "breaks a rule: never sent; live with older values".into()
        }
        (Some(p), _) if !p.is_valid() => "breaks a rule: never sent".into(),
        (Some(_), None) => "not queued yet: the next poll or scan queues it".into(),
        (Some(p), Some(i)) if i.content_hash != p.content_hash => {
            "the source changed since it was queued: the next poll or scan queues it".into()
        }
        (Some(_), Some(i)) => match (i.status.as_str(), i.synced_state.as_deref()) {
            ("done", Some(s)) => format!("in step: the platform shows it {s}"),
            (_, Some(crate::outbox::UNCONFIRMED)) => {
                "a call went unanswered: the platform may or may not have it; it is sent again"
                    .into()
            }
            (status, _) => format!("{status}: see the error and next attempt above"),
        },
    }
}

/// Phone numbers and names are personal data: shown masked, never whole.
fn mask_personal(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for (k, val) in map.iter_mut() {
                if matches!(k.as_str(), "owners_tel" | "owners_name") {
                    if let Value::String(s) = val {
                        *s = mask(s);
                    }
                } else {
                    mask_personal(val);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(mask_personal),
        _ => {}
    }
}

fn mask(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    match chars.len() {
        0 => String::new(),
        n if n <= 4 => "*".repeat(n),
        n => format!(
            "{}{}{}",
            chars[..2].iter().collect::<String>(),
            "*".repeat(n - 4),
            chars[n - 2..].iter().collect::<String>()
        ),
    }
}

fn china_time(us: i64) -> String {
    chrono::DateTime::from_timestamp_micros(us)
        .map(|t| {
            t.with_timezone(&crate::alipay::client::china())
                .format("%Y-%m-%d %H:%M:%S UTC+8")
                .to_string()
        })
        .unwrap_or_else(|| us.to_string())
}

impl Explanation {
    fn text(&self) -> String {
        let mut o = String::new();
        let _ = writeln!(o, "room {} (tenant {})", self.room_code, self.tenant);
        let _ = writeln!(o, "  verdict: {}", self.verdict);
        let _ = writeln!(o, "  source: {}", self.source_note);
        if let Some(s) = &self.source {
            let _ = writeln!(o, "    {s}");
        }
        if let Some(p) = &self.planned_payload {
            let _ = writeln!(o, "  planned payload: {p}");
        }
        if self.rule_breaks.is_empty() && self.source.is_some() {
            let _ = writeln!(o, "  rule check: passes");
        }
        for b in &self.rule_breaks {
            let _ = writeln!(o, "  rule check: {b}");
        }
        if self.items.is_empty() {
            let _ = writeln!(o, "  outbox: no item");
        }
        for i in &self.items {
            let _ = writeln!(
                o,
                "  outbox ({}): {}, attempts {}, platform shows {}",
                i.kind,
                i.status,
                i.attempts,
                i.synced_state
                    .as_deref()
                    .unwrap_or("nothing (never listed)")
            );
            if let Some(s) = i.next_attempt_in_secs {
                let _ = writeln!(o, "    next attempt in {}s", s.max(0));
            }
            if let Some(owner) = &i.lease_owner {
                let _ = writeln!(o, "    leased by {owner}");
            }
            for (label, v) in [
                (
                    "last answer",
                    i.last_code.as_ref().zip(i.last_error.as_ref()),
                ),
                ("warnings", i.warnings.as_ref().map(|w| (w, w))),
                ("invalid", i.invalid_reason.as_ref().map(|w| (w, w))),
            ] {
                if let Some((code, text)) = v {
                    if code == text {
                        let _ = writeln!(o, "    {label}: {text}");
                    } else {
                        let _ = writeln!(o, "    {label}: {code}: {text}");
                    }
                }
            }
            match (&i.last_sent, i.last_sent_us) {
                (Some(sent), Some(at)) => {
                    let mut v: Value = serde_json::from_str(sent).unwrap_or(Value::Null);
                    mask_personal(&mut v);
                    let _ = writeln!(o, "    last accepted {}: {v}", china_time(at));
                }
                _ => {
                    let _ = writeln!(o, "    last accepted: nothing recorded");
                }
            }
        }
        if !self.calls.is_empty() {
            let _ = writeln!(o, "  calls (newest first):");
            for c in &self.calls {
                let _ = writeln!(
                    o,
                    "    {}  {}  {}  {} ms",
                    china_time(c.at_us),
                    c.method,
                    c.outcome,
                    c.latency_ms
                );
            }
        }
        o
    }
}
