//! The engine harness: a scratch operator database and state database on a real backend
//! (PostgreSQL, MariaDB or SQLite), the sandbox, and a config that ties them together. A backend
//! that is not reachable fails the test with the command that starts it: no test skips.
#![allow(dead_code)]

use std::collections::HashMap;
use std::time::Duration;

use rentsync::config::Config;
use rentsync::db::Db;
use rentsync::fixtures::{generate, load_schema, GenOptions};
use rentsync::plan::plan_with;
use rentsync::sandbox::SandboxConfig;
use rentsync::source::{Source, VIEWS};

use super::{keys, Harness};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
    Mysql,
}

pub struct Env {
    pub backend: Backend,
    pub h: Harness,
    pub op_url: String,
    pub state_url: String,
    pub op: Db,
    pub dir: tempfile::TempDir,
    scratch: Vec<String>,
}

fn unique(tag: &str) -> String {
    format!(
        "rs_{tag}_{}_{:06x}",
        std::process::id(),
        rand::random::<u32>() & 0xFF_FFFF
    )
}

async fn server_db(backend: Backend, name: &str) -> String {
    let (admin, url) = match backend {
        Backend::Postgres => (
            "postgres://postgres@127.0.0.1:5432/postgres".to_string(),
            format!("postgres://postgres@127.0.0.1:5432/{name}"),
        ),
        Backend::Mysql => (
            "mysql://root@127.0.0.1:3306/mysql".to_string(),
            format!("mysql://root@127.0.0.1:3306/{name}"),
        ),
        Backend::Sqlite => unreachable!("SQLite needs no server"),
    };
    let db = Db::connect(&admin, 1).await.unwrap_or_else(|e| {
        panic!("{backend:?} is not reachable at {admin} ({e:#}); start it with scripts/services.sh")
    });
    sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
        .execute(&db.pool)
        .await
        .expect("create scratch database");
    db.pool.close().await;
    url
}

impl Env {
    /// A fresh operator database with `listings` generated listings, and an empty state database.
    pub async fn new(
        backend: Backend,
        listings: usize,
        tweak: impl FnOnce(&mut SandboxConfig),
    ) -> Self {
        Self::with_options(
            backend,
            GenOptions {
                listings,
                broken_rate: 0.05,
                ..Default::default()
            },
            tweak,
        )
        .await
    }

    pub async fn with_options(
        backend: Backend,
        gen: GenOptions,
        tweak: impl FnOnce(&mut SandboxConfig),
    ) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut scratch = Vec::new();
        let (op_url, state_url) = match backend {
            Backend::Sqlite => (
                format!("sqlite://{}", dir.path().join("operator.db").display()),
                format!("sqlite://{}", dir.path().join("state.db").display()),
            ),
            _ => {
                let (op, st) = (unique("op"), unique("state"));
                let urls = (server_db(backend, &op).await, server_db(backend, &st).await);
                scratch.push(op);
                scratch.push(st);
                urls
            }
        };
        let op = Db::connect(&op_url, 2).await.expect("operator db");
        load_schema(&op).await.expect("schema");
        if gen.listings > 0 {
            generate(&op, &gen).await.expect("generate");
        }
        let h = Harness::with(tweak).await;
        Env {
            backend,
            h,
            op_url,
            state_url,
            op,
            dir,
            scratch,
        }
    }

    /// Config text for one tenant on this environment; `extra` is appended to the [source],
    /// [worker] and tenant settings as given.
    pub fn config_text(&self, qps: f64, request_timeout_secs: u64) -> String {
        let k = keys();
        format!(
            r#"state_database = "{state}"
[source]
poll_secs = 0.2
overlap_secs = 10
full_scan_secs = 3600
[ops]
listen = "127.0.0.1:0"
[worker]
concurrency = 8
lease_secs = 30
max_backoff_secs = 1
[[tenant]]
name = "t1"
gateway = "{gateway}"
app_id = "{app}"
private_key_file = "{key}"
platform_public_key_file = "{platform}"
source_database = "{op}"
photo_dir = "{photos}"
request_timeout_secs = {request_timeout_secs}
[tenant.rates]
qps = {qps}
"#,
            state = self.state_url,
            gateway = self.h.gateway,
            app = super::APP_ID,
            key = k.path("app_private_key.pem").display(),
            platform = k.path("platform_public_key.pem").display(),
            op = self.op_url,
            photos = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/photos"),
        )
    }

    pub fn config(&self, qps: f64, request_timeout_secs: u64) -> Config {
        Config::parse(
            &self.config_text(qps, request_timeout_secs),
            self.dir.path(),
        )
        .expect("config")
    }

    pub async fn exec(&self, sql: &str) {
        sqlx::raw_sql(sql)
            .execute(&self.op.pool)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// SQL for "now minus `secs` seconds" in this backend's timestamp column type.
    pub fn seconds_ago(&self, secs: u32) -> String {
        match self.backend {
            Backend::Postgres => format!("now() - interval '{secs} seconds'"),
            Backend::Mysql => format!("NOW(6) - INTERVAL {secs} SECOND"),
            Backend::Sqlite => format!("strftime('%Y-%m-%d %H:%M:%f', 'now', '-{secs} seconds')"),
        }
    }

    /// Compares the sandbox with the source: every valid active listing is on the platform with
    /// its state and rent; every inactive or deleted one is absent or off shelf; nothing invalid
    /// and never sent is there. Returns the differences, one line each.
    pub async fn differences(&self) -> Vec<String> {
        let source = Source::connect(&self.op_url).await.expect("source");
        let today = chrono::Utc::now()
            .with_timezone(&rentsync::alipay::client::china())
            .date_naive();
        let rooms: HashMap<String, _> = self
            .h
            .sandbox
            .rooms()
            .into_iter()
            .map(|r| (format!("{}:{}", r.flats_tag, r.room_code), r))
            .collect();
        let mut seen = std::collections::HashSet::new();
        let mut diffs = Vec::new();
        for view in VIEWS {
            let tag = if view.name.contains("dispersion") {
                1
            } else {
                2
            };
            let mut after = String::new();
            loop {
                let rows = source.page(view, &after, 1000).await.expect("page");
                let n = rows.len();
                if let Some(last) = rows.last() {
                    after = last.listing.room_code().to_string();
                }
                for r in rows {
                    let p = plan_with(r.listing, r.breaks, today);
                    let key = format!("{tag}:{}", p.listing.room_code());
                    seen.insert(key.clone());
                    let room = rooms.get(&key);
                    let (state, rent) = p.listing.desired_state();
                    let on = state == rentsync::model::RoomState::OnShelf;
                    let rented = rent == rentsync::model::RentStatus::Rented;
                    match room {
                        None if p.is_valid() && p.listing.active => {
                            diffs.push(format!("{key}: missing on the platform"))
                        }
                        None => {}
                        Some(_) if !p.is_valid() && p.listing.active => {}
                        Some(r) if !p.listing.active && r.room_status != 0 => {
                            diffs.push(format!("{key}: inactive in the source but on shelf"));
                        }
                        Some(_) if !p.listing.active => {}
                        Some(r) => {
                            if (r.room_status == 1) != on {
                                diffs.push(format!(
                                    "{key}: room_status {} but source on_shelf={on}",
                                    r.room_status
                                ));
                            }
                            if (r.rent_status == 2) != rented {
                                diffs.push(format!(
                                    "{key}: rent_status {} but source rented={rented}",
                                    r.rent_status
                                ));
                            }
                            let want = match &p.listing.room {
                                rentsync::model::Room::Dispersion(d) => d.rent.yuan(),
                                rentsync::model::Room::Concentration(c) => c.rent.yuan(),
                            };
                            if r.biz_content["room_amount"].as_str() != Some(want.as_str()) {
                                diffs.push(format!(
                                    "{key}: room_amount {} but source {want}",
                                    r.biz_content["room_amount"]
                                ));
                            }
                        }
                    }
                }
                if n < 1000 {
                    break;
                }
            }
        }
        for (key, r) in &rooms {
            if !seen.contains(key) && r.room_status != 0 {
                diffs.push(format!("{key}: gone from the source but on shelf"));
            }
        }
        diffs.sort();
        diffs
    }

    /// Drops the scratch databases.
    pub async fn cleanup(self) {
        let admin = match self.backend {
            Backend::Postgres => "postgres://postgres@127.0.0.1:5432/postgres",
            Backend::Mysql => "mysql://root@127.0.0.1:3306/mysql",
            Backend::Sqlite => return,
        };
        self.op.pool.close().await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        if let Ok(db) = Db::connect(admin, 1).await {
            for name in &self.scratch {
                let sql = match self.backend {
                    Backend::Postgres => format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                    _ => format!("DROP DATABASE IF EXISTS {name}"),
                };
                let _ = sqlx::raw_sql(&sql).execute(&db.pool).await;
            }
        }
    }
}
