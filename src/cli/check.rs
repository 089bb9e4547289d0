//! `rentsync check`: everything a start needs, checked up front and reported at once: config,
//! keys and their file modes, the state database, each gateway with one harmless signed call
//! (`ka.baseinfo.query`, a read; a lease query on the Tmall gateway when the tenant has one), each `photo_dir`, each source database and its views' columns
//! and types against `docs/SOURCE_CONTRACT.md`. Exits non-zero when anything would fail.

mod platform;
mod tmall;
mod views;

use std::process::ExitCode;

use super::runtime::ConfigArg;
use crate::config::Config;
use crate::db::{redact, Db};

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub config: ConfigArg,
}

/// Prints `ok` / `FAIL` lines and counts the failures.
#[derive(Default)]
pub(crate) struct Report {
    failed: usize,
}

impl Report {
    pub(crate) fn line(&mut self, ok: bool, what: String) {
        println!("{} {what}", if ok { "ok  " } else { "FAIL" });
        if !ok {
            self.failed += 1;
        }
    }
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
    let mut report = Report::default();
    let state = match crate::db::create_sqlite_private(&cfg.state_database) {
        Ok(()) => Db::connect(&cfg.state_database, 1).await,
        Err(e) => Err(e),
    };
    match state {
        Ok(db) => {
            report.line(
                true,
                format!("state database {}", redact(&cfg.state_database)),
            );
            db.pool.close().await;
        }
        Err(e) => report.line(false, format!("state database: {e:#}")),
    }
    for t in &cfg.tenants {
        match t.client_config() {
            Ok(_) => report.line(true, format!("tenant {}: keys parse", t.name)),
            Err(e) => report.line(false, format!("tenant {}: {e:#}", t.name)),
        }
        for warning in t.loose_secret_files() {
            report.line(false, warning);
        }
        platform::signed_call(t, &mut report).await;
        tmall::signed_call(t, &mut report).await;
        if let Some(dir) = &t.photo_dir {
            if dir.is_dir() {
                report.line(
                    true,
                    format!("tenant {}: photo_dir {}", t.name, dir.display()),
                );
            } else {
                report.line(
                    false,
                    format!(
                        "tenant {}: photo_dir {} is not a directory this user can see; \
                         relative photo paths would all be missing",
                        t.name,
                        dir.display()
                    ),
                );
            }
        }
        let Some(url) = &t.source_database else {
            report.line(
                false,
                format!("tenant {}: no source_database configured", t.name),
            );
            continue;
        };
        match Db::connect(url, 1).await {
            Ok(db) => {
                views::compare(&t.name, &db, &mut report).await;
                db.pool.close().await;
            }
            Err(e) => report.line(false, format!("tenant {}: source_database: {e:#}", t.name)),
        }
    }
    Ok(if report.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
