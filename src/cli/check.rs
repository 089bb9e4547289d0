//! `rentsync check`: everything a start needs, checked up front and reported at once: config,
//! keys, the state database, each source database and its views, each gateway's reachability.

use std::process::ExitCode;
use std::time::Duration;

use super::runtime::ConfigArg;
use crate::config::Config;
use crate::db::{redact, Db};
use crate::source::VIEWS;

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub config: ConfigArg,
}

pub async fn run(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let cfg = match Config::load(&args.config.config) {
        Ok(c) => c,
        Err(e) => {
            println!("FAIL config: {e:#}");
            return Ok(ExitCode::FAILURE);
        }
    };
    println!("ok   config {}", args.config.config.display());
    let mut failed = 0;
    let mut report = |ok: bool, what: String| {
        println!("{} {what}", if ok { "ok  " } else { "FAIL" });
        if !ok {
            failed += 1;
        }
    };
    match Db::connect(&cfg.state_database, 1).await {
        Ok(_) => report(
            true,
            format!("state database {}", redact(&cfg.state_database)),
        ),
        Err(e) => report(false, format!("state database: {e:#}")),
    }
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()?;
    for t in &cfg.tenants {
        match t.client_config() {
            Ok(_) => report(true, format!("tenant {}: keys parse", t.name)),
            Err(e) => report(false, format!("tenant {}: {e:#}", t.name)),
        }
        match http.get(&t.gateway).send().await {
            Ok(r) => report(
                true,
                format!(
                    "tenant {}: gateway answers (HTTP {})",
                    t.name,
                    r.status().as_u16()
                ),
            ),
            Err(e) => report(
                false,
                format!(
                    "tenant {}: gateway unreachable: {}",
                    t.name,
                    e.without_url()
                ),
            ),
        }
        let Some(url) = &t.source_database else {
            report(
                false,
                format!("tenant {}: no source_database configured", t.name),
            );
            continue;
        };
        match Db::connect(url, 1).await {
            Ok(db) => {
                for v in VIEWS {
                    let sql = format!("SELECT room_code, updated_at_us FROM {} LIMIT 1", v.name);
                    match sqlx::query(&sql).fetch_all(&db.pool).await {
                        Ok(_) => report(true, format!("tenant {}: SELECT on {}", t.name, v.name)),
                        Err(e) => report(false, format!("tenant {}: {}: {e}", t.name, v.name)),
                    }
                }
            }
            Err(e) => report(false, format!("tenant {}: source database: {e:#}", t.name)),
        }
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
