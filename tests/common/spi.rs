//! The SPI harness: a daemon config with the SPI endpoint, a loopback webhook and an INSERT
//! target, the CLI, and the sandbox's `/sandbox/spi/send` with the callbacks the tests send.
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

use base64::Engine;
use rentsync::db::Db;
use rentsync::spi::aes::ContentKey;
use serde_json::{json, Value};

use super::daemon::{config_with_ops, free_port};
use super::engine::{Backend, Env};
use super::webhook::Webhook;

pub const HMAC_KEY: &str = "hook-secret-123";

pub struct Setup {
    pub env: Env,
    pub config: std::path::PathBuf,
    pub hook: Webhook,
    /// The operator's database for the INSERT hand-off (never the source), and its scratch name.
    pub insert: Db,
    pub insert_scratch: Option<String>,
    /// The daemon's SPI endpoint, `http://127.0.0.1:PORT`.
    pub spi: String,
}

/// A scratch database on the same server as the state database, with the operator's table.
pub async fn insert_target(backend: Backend, dir: &Path) -> (String, Db, Option<String>) {
    let name = format!(
        "rs_insert_{}_{:06x}",
        std::process::id(),
        rand::random::<u32>() & 0xFF_FFFF
    );
    let (url, scratch) = match backend {
        Backend::Sqlite => (
            format!("sqlite://{}?mode=rwc", dir.join("crm.db").display()),
            None,
        ),
        Backend::Postgres | Backend::Mysql => {
            let (admin, url) = if backend == Backend::Postgres {
                (
                    "postgres://postgres@127.0.0.1:5432/postgres".to_string(),
                    format!("postgres://postgres@127.0.0.1:5432/{name}"),
                )
            } else {
                (
                    "mysql://root@127.0.0.1:3306/mysql".to_string(),
                    format!("mysql://root@127.0.0.1:3306/{name}"),
                )
            };
            let db = Db::connect(&admin, 1).await.expect("admin connection");
            sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
                .execute(&db.pool)
                .await
                .unwrap();
            db.pool.close().await;
            (url, Some(name))
        }
    };
    let db = Db::connect(&url, 2).await.expect("insert target");
    sqlx::raw_sql(
        "CREATE TABLE crm_callbacks (event_id VARCHAR(64) PRIMARY KEY, kind VARCHAR(32), \
         phone VARCHAR(32), params TEXT)",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    (url, db, scratch)
}

/// The INSERT each backend ignores a repeated event with.
pub fn insert_statement(backend: Backend) -> &'static str {
    match backend {
        Backend::Mysql => "INSERT IGNORE INTO crm_callbacks (event_id, kind, phone, params) VALUES (:event_id, :type, :phone, :params)",
        _ => "INSERT INTO crm_callbacks (event_id, kind, phone, params) VALUES (:event_id, :type, :phone, :params) ON CONFLICT DO NOTHING",
    }
}

pub fn aes_key() -> ContentKey {
    ContentKey::parse(&base64::engine::general_purpose::STANDARD.encode(*b"spi-aes-key-16by"))
        .unwrap()
}

pub fn write_secret(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

pub async fn setup(backend: Backend, listings: usize, fail_rate: f64) -> Setup {
    let env = Env::new(backend, listings, |c| c.spi_aes_key = Some(aes_key())).await;
    let hook = Webhook::start(HMAC_KEY.as_bytes(), fail_rate).await;
    let dir = env.dir.path();
    write_secret(
        &dir.join("spi_aes.key"),
        &base64::engine::general_purpose::STANDARD.encode(*b"spi-aes-key-16by"),
    );
    write_secret(&dir.join("hook.key"), &format!("{HMAC_KEY}\n"));
    let (insert_url, insert, insert_scratch) = insert_target(backend, dir).await;
    let spi_port = free_port();
    let tenant = format!(
        r#"[tenant.ka]
name = "Test Apartments"
[tenant.spi]
public_url = "http://127.0.0.1:{spi_port}"
aes_key_file = "spi_aes.key"
[tenant.spi.deliver]
webhook = "{url}"
hmac_key_file = "hook.key"
timeout_secs = 3
insert_database = "{insert_url}"
insert_statement = "{statement}"
"#,
        url = hook.url,
        statement = insert_statement(backend),
    );
    let config = config_with_ops(&env, free_port(), &tenant);
    let mut text = std::fs::read_to_string(&config).unwrap();
    // SQLite: the data key is made beside the state database. Elsewhere it is configured.
    let data_key = if backend == Backend::Sqlite {
        String::new()
    } else {
        let mut raw = [0u8; 32];
        rand::Rng::fill(&mut rand::thread_rng(), &mut raw);
        write_secret(
            &dir.join("data.key"),
            &base64::engine::general_purpose::STANDARD.encode(raw),
        );
        "data_key_file = \"data.key\"\n".to_string()
    };
    text = text.replace(
        "[worker]\n",
        &format!("[spi]\nlisten = \"127.0.0.1:{spi_port}\"\n{data_key}[worker]\n"),
    );
    std::fs::write(&config, text).unwrap();
    Setup {
        env,
        config,
        hook,
        insert,
        insert_scratch,
        spi: format!("http://127.0.0.1:{spi_port}"),
    }
}

pub fn cli(config: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_rentsync"))
        .args(args)
        .arg("--config")
        .arg(config)
        .env("RENTSYNC_LOG", "warn")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// The sandbox sends one callback; the daemon's answer (or the transport error).
pub async fn send(env: &Env, req: Value) -> Value {
    let text = reqwest::Client::new()
        .post(format!("{}/sandbox/spi/send", env.h.base))
        .header("content-type", "application/json")
        .body(req.to_string())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

pub fn booking(i: usize, sign_type: Option<&str>) -> Value {
    let mut req = json!({
        "app_id": super::APP_ID,
        "type": 1,
        "params": {
            "aliUserId": format!("20880000{i:04}"),
            "zhimaOpenId": "",
            "roomCode": format!("R{i}"),
            "flatsTag": "1",
            "lookTime": "2026-12-24 10:00",
            "bookName": "张三",
            "bookPhone": phone(i),
            "bookSex": "1",
            "remark": "after work",
        }
    });
    if let Some(st) = sign_type {
        req["sign_type"] = json!(st);
    }
    req
}

pub fn phone(i: usize) -> String {
    format!("139{:08}", 12_340_000 + i)
}

pub fn phone_record(i: usize) -> Value {
    json!({
        "app_id": super::APP_ID,
        "type": 3,
        "sign_type": "RSA2",
        "params": {
            "aliUserId": format!("20889999{i:04}"),
            "roomCode": format!("R{i}"),
            "flatsTag": "2",
            "recordTime": "2026-12-07 09:30:00",
        }
    })
}

pub fn code(answer: &Value) -> i64 {
    answer["answer"]["code"]
        .as_i64()
        .unwrap_or_else(|| panic!("no code in {answer}"))
}
