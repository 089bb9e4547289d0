//! The demo's Tmall Haofang part: the TOP sandbox beside the Alipay one, the tenant following the
//! lease orders its operator database lists (`rentsync_tmall_leases`), and one order moved from
//! TENANT_INITIATE to SIGN_FINISH while the daemon's poller records each step.

use std::path::Path;
use std::time::{Duration, Instant};

use axum::Router;

use super::runtime::Runtime;
use crate::secret::Secret;
use crate::tmall::poller::{HistoryRow, LeaseBook};
use crate::tmall::sandbox::{TopSandbox, TopSandboxConfig};

const APP_KEY: &str = "12345678";
/// The scripted order whose life ends signed with its bills paid (`tmall::sandbox::life`).
pub const LEASE: &str = "LEASE-SIGN";

/// The TOP sandbox and the routes to serve beside the Alipay sandbox's; writes its app secret
/// (throwaway) to `keys/tmall.secret`.
pub fn sandbox(dir: &Path) -> anyhow::Result<(TopSandbox, Router)> {
    let secret = {
        let mut raw = [0u8; 16];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut raw);
        hex::encode(raw)
    };
    super::demo::write_private(&dir.join("keys/tmall.secret"), &secret)?;
    let top = TopSandbox::new(TopSandboxConfig::new(APP_KEY, Secret::new(secret)));
    let routes = top.router();
    Ok((top, routes))
}

/// The tenant's `[tenant.tmall]` table for a sandbox at `base`.
pub fn config(base: &str) -> String {
    format!(
        r#"[tenant.tmall]
gateway = "{base}/router/rest"
app_key = "{APP_KEY}"
app_secret_file = "keys/tmall.secret"
merchant_open_id = 1232
lease_view = true
lease_poll_secs = 1
"#
    )
}

/// Moves the demo's lease order through its life, one step each time the daemon has recorded
/// the last (every step of the script changes the lease status or a bill's, so each shows up as
/// new history rows); prints what the poller saw. True when it reached SIGN_FINISH with every
/// bill paid.
pub async fn lease_signs(rt: &Runtime, top: &TopSandbox, tenant: &str) -> anyhow::Result<bool> {
    let book = LeaseBook::new(rt.outbox.db.clone());
    let started = Instant::now();
    let mut shown = 0;
    loop {
        let history = book.history(tenant, LEASE).await?;
        if history.len() > shown {
            for row in &history[shown..] {
                println!("   {}", describe(row));
            }
            shown = history.len();
            let signed = history
                .iter()
                .any(|r| r.subject == "lease" && r.new_value == "SIGN_FINISH");
            if signed && bills_paid(&history) {
                println!(
                    "   {LEASE}: signed, deposit and first rent paid, after {:.1} s",
                    started.elapsed().as_secs_f64()
                );
                return Ok(true);
            }
            // The operator's counterpart acts: the order moves one step on.
            top.advance(LEASE);
        }
        if started.elapsed() > Duration::from_secs(30) {
            println!("   {LEASE}: NOT signed after 30 s");
            return Ok(false);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn bills_paid(history: &[HistoryRow]) -> bool {
    let mut last = std::collections::BTreeMap::new();
    for r in history.iter().filter(|r| r.subject == "bill") {
        last.insert(r.subject_key.as_str(), r.new_value.as_str());
    }
    !last.is_empty() && last.values().all(|s| *s == "SUCCEED")
}

fn describe(r: &HistoryRow) -> String {
    let change = match &r.old_value {
        Some(old) => format!("{old} → {}", r.new_value),
        None => r.new_value.clone(),
    };
    let money = r
        .amount_fen
        .map(|f| format!(" ({}.{:02} 元)", f / 100, f % 100))
        .unwrap_or_default();
    match r.subject.as_str() {
        "lease" => format!("{LEASE}: lease {change}"),
        "bill" => format!("{LEASE}: bill {} {change}{money}", r.subject_key),
        other => format!("{LEASE}: {other} {} {change}{money}", r.subject_key),
    }
}
