//! `rentsync run` staying up and saying what is wrong, on the real process: reloads only when the
//! config's content changed and without leaking connections, watchdog pings through a long
//! backlog with a hung call, a broken tenant beside a healthy one, readiness that sees a source
//! fail, and a stop within the unit's `TimeoutStopSec`.

mod common;

use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use common::daemon::{config_with_ops, free_port, Daemon};
use common::engine::{Backend, Env};
use rentsync::db::Db;

/// Connections PostgreSQL holds to the scratch databases of `env` (operator and state).
async fn pg_connections(env: &Env) -> i64 {
    let admin = Db::connect("postgres://postgres@127.0.0.1:5432/postgres", 1)
        .await
        .expect("admin connection");
    let names: Vec<String> = [&env.op_url, &env.state_url]
        .iter()
        .map(|u| u.rsplit('/').next().unwrap_or_default().to_string())
        .collect();
    let sql = format!(
        "SELECT CAST(count(*) AS BIGINT) FROM pg_stat_activity WHERE datname IN ('{}', '{}')",
        names[0], names[1]
    );
    let n: i64 = sqlx::query_scalar(&sql)
        .fetch_one(&admin.pool)
        .await
        .expect("pg_stat_activity");
    admin.pool.close().await;
    n
}

fn rentsync(args: &[&str], config: &PathBuf) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_rentsync"))
        .args(args)
        .arg("--config")
        .arg(config)
        .output()
        .expect("run rentsync");
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn reading_the_config_reloads_nothing_and_100_reloads_leak_no_connection() {
    let env = Env::new(Backend::Postgres, 20, |_| {}).await;
    let port = free_port();
    let config = config_with_ops(&env, port, "");
    let mut d = Daemon::start(&config, env.dir.path(), None);
    d.wait_ready().await;

    // An operator reads the file and asks for the status, as the systemd README suggests.
    for _ in 0..3 {
        let _ = std::fs::read_to_string(&config).unwrap();
        let _ = Command::new("cat").arg(&config).output().unwrap();
        rentsync(&["status"], &config);
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(
        !d.log().contains("reloading the configuration"),
        "a read caused a reload:\n{}",
        d.log()
    );

    let before = pg_connections(&env).await;
    for i in 0..100 {
        d.signal("-HUP");
        let want = i + 2;
        let started = Instant::now();
        while d.log().matches("rentsync running").count() < want {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "reload {i} never finished:\n{}",
                d.log()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    // One SIGHUP is one reload: none follows by itself.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        d.log().matches("rentsync running").count(),
        101,
        "reloads beyond the 100 asked for"
    );
    let started = Instant::now();
    let mut after = pg_connections(&env).await;
    while after > before && started.elapsed() < Duration::from_secs(15) {
        tokio::time::sleep(Duration::from_millis(500)).await;
        after = pg_connections(&env).await;
    }
    assert!(
        after <= before,
        "connections after 100 reloads: {after}, before: {before}"
    );
    d.wait_ready().await;
    d.signal("-TERM");
    assert!(d.child.wait().unwrap().success(), "{}", d.log());
    env.cleanup().await;
}

/// Rewrites the config file of `config_with_ops` with `from` replaced by `to`.
fn edit(config: &PathBuf, from: &str, to: &str) {
    let text = std::fs::read_to_string(config).unwrap();
    assert!(text.contains(from), "{from:?} not in the config");
    std::fs::write(config, text.replace(from, to)).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn watchdog_pings_keep_coming_through_a_backlog_with_a_hung_call() {
    // Every 10th call hangs for a minute: some workers are stuck for the whole test.
    let env = Env::new(Backend::Sqlite, 500, |c| {
        c.faults.timeout = 0.1;
        c.faults.hang_ms = 60_000;
    })
    .await;
    let port = free_port();
    let config = config_with_ops(&env, port, "");
    edit(&config, "qps = 200", "qps = 5");
    edit(
        &config,
        "request_timeout_secs = 5",
        "request_timeout_secs = 60",
    );
    let sock_path = env.dir.path().join("notify.sock");
    let sock = UnixDatagram::bind(&sock_path).unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    let d = Daemon::start(&config, env.dir.path(), Some(&sock_path));
    d.wait_ready().await;

    // WATCHDOG_USEC is 400 ms in the harness: a gap longer than that would get us killed.
    let mut pings = Vec::new();
    let mut buf = [0u8; 4096];
    let watched = Instant::now();
    while watched.elapsed() < Duration::from_secs(8) {
        if let Ok(n) = sock.recv(&mut buf) {
            if String::from_utf8_lossy(&buf[..n]).contains("WATCHDOG=1") {
                pings.push(watched.elapsed());
            }
        }
    }
    let gaps: Vec<Duration> = pings.windows(2).map(|w| w[1] - w[0]).collect();
    let worst = gaps.iter().max().copied().unwrap_or(Duration::MAX);
    assert!(
        pings.len() >= 20 && worst < Duration::from_millis(400),
        "{} pings in 8 s, worst gap {worst:?}; log:\n{}",
        pings.len(),
        d.log()
    );
    // The backlog is still being worked: the pings came during it, not after.
    let (_, metrics) = d.get("/metrics").await;
    assert!(
        metrics.contains("status=\"pending\"") || metrics.contains("status=\"leased\""),
        "backlog already gone:\n{metrics}"
    );
    drop(d);
    env.cleanup().await;
}

/// A second tenant on `source` appended to the config, with t1's keys unless `key` is given.
fn second_tenant(env: &Env, name: &str, source: &str, key: Option<&str>) -> String {
    let k = common::keys();
    let key = key
        .map(str::to_string)
        .unwrap_or_else(|| k.path("app_private_key.pem").display().to_string());
    format!(
        r#"
[[tenant]]
name = "{name}"
gateway = "{gateway}"
app_id = "{app}"
private_key_file = "{key}"
platform_public_key_file = "{platform}"
source_database = "{source}"
request_timeout_secs = 5
[tenant.rates]
qps = 200
"#,
        gateway = env.h.gateway,
        app = common::APP_ID,
        platform = k.path("platform_public_key.pem").display(),
    )
}

async fn wait_readyz_naming(d: &Daemon, needle: &str) -> String {
    let started = Instant::now();
    loop {
        let (code, body) = d.get("/readyz").await;
        if code == 503 && body.contains(needle) {
            return body;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "/readyz never named {needle:?}: {code} {body}\n{}",
            d.log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn wait_converged(env: &Env, d: &Daemon) {
    let started = Instant::now();
    loop {
        let diffs = env.differences().await;
        if diffs.is_empty() {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "healthy tenant never converged: {diffs:?}\n{}",
            d.log()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tenant_with_a_wrong_mariadb_password_is_paused_and_the_other_goes_on() {
    let env = Env::new(Backend::Sqlite, 30, |_| {}).await;
    let port = free_port();
    let config = config_with_ops(&env, port, "");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str(&second_tenant(
        &env,
        "broken",
        "mysql://root:wrong-password@127.0.0.1:3306/mysql",
        None,
    ));
    std::fs::write(&config, text).unwrap();
    let mut d = Daemon::start(&config, env.dir.path(), None);
    let body = wait_readyz_naming(&d, "tenant broken").await;
    assert!(!body.contains("tenant t1"), "{body}");
    assert!(
        !body.contains("wrong-password"),
        "the password is not shown: {body}"
    );
    wait_converged(&env, &d).await;
    let (_, metrics) = d.get("/metrics").await;
    assert!(
        metrics.contains("rentsync_tenant_up{tenant=\"broken\"} 0")
            && metrics.contains("rentsync_tenant_up{tenant=\"t1\"} 1"),
        "{metrics}"
    );
    // Retried with backoff, logged once per change of state.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let log = d.log();
    assert_eq!(
        log.matches("tenant paused").count(),
        1,
        "one line per change of state:\n{log}"
    );
    assert!(log.contains("Access denied"), "the cause is logged:\n{log}");
    // `rentsync status` asks the running daemon and names the paused tenant too.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rentsync"))
        .args(["status", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("tenant broken"),
        "status does not name the paused tenant:\n{text}"
    );
    assert!(!text.contains("wrong-password"), "{text}");
    d.signal("-TERM");
    assert!(d.child.wait().unwrap().success(), "{}", d.log());
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reload_adding_a_bad_key_file_or_an_unreachable_source_keeps_the_daemon_up() {
    let env = Env::new(Backend::Sqlite, 10, |_| {}).await;
    let port = free_port();
    let config = config_with_ops(&env, port, "");
    let good = std::fs::read_to_string(&config).unwrap();
    let mut d = Daemon::start(&config, env.dir.path(), None);
    d.wait_ready().await;

    let bad_key = env.dir.path().join("not-a-key.pem");
    std::fs::write(&bad_key, "not a key\n").unwrap();
    let mut text = good.clone();
    text.push_str(&second_tenant(
        &env,
        "badkey",
        &env.op_url,
        Some(&bad_key.display().to_string()),
    ));
    text.push_str(&second_tenant(
        &env,
        "nosource",
        "postgres://postgres@127.0.0.1:1/none",
        None,
    ));
    std::fs::write(&config, text).unwrap();
    d.signal("-HUP");
    let body = wait_readyz_naming(&d, "tenant nosource").await;
    assert!(body.contains("tenant badkey"), "{body}");
    assert!(body.contains("private_key_file"), "{body}");
    assert!(d.child.try_wait().unwrap().is_none(), "daemon exited");
    wait_converged(&env, &d).await;

    // A state database that cannot be opened: the running configuration stays.
    std::fs::write(
        &config,
        good.replace(&env.state_url, "sqlite:///nonexistent-dir/state.db"),
    )
    .unwrap();
    d.signal("-HUP");
    d.wait_log("new configuration refused").await;
    assert!(d.child.try_wait().unwrap().is_none(), "daemon exited");
    std::fs::write(&config, &good).unwrap();
    d.signal("-HUP");
    d.wait_ready().await;
    d.signal("-TERM");
    assert!(d.child.wait().unwrap().success(), "{}", d.log());
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn readyz_turns_503_while_the_source_view_is_gone_and_200_after() {
    let env = Env::new(Backend::Postgres, 10, |_| {}).await;
    let port = free_port();
    let config = config_with_ops(&env, port, "");
    let mut d = Daemon::start(&config, env.dir.path(), None);
    d.wait_ready().await;
    env.exec("ALTER VIEW rentsync_dispersion_rooms RENAME TO rentsync_gone")
        .await;
    let body = wait_readyz_naming(&d, "tenant t1").await;
    assert!(body.contains("source"), "{body}");
    let (_, metrics) = d.get("/metrics").await;
    assert!(metrics.contains("rentsync_ready 0"), "{metrics}");
    env.exec("ALTER VIEW rentsync_gone RENAME TO rentsync_dispersion_rooms")
        .await;
    d.wait_ready().await;
    d.signal("-TERM");
    assert!(d.child.wait().unwrap().success(), "{}", d.log());
    env.cleanup().await;
}

/// `TimeoutStopSec` of the shipped unit, in seconds.
fn unit_timeout_stop_secs() -> u64 {
    let unit = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/systemd/rentsync.service"
    ))
    .unwrap();
    unit.lines()
        .find_map(|l| l.strip_prefix("TimeoutStopSec="))
        .and_then(|v| v.trim().trim_end_matches('s').parse().ok())
        .expect("TimeoutStopSec= in the unit")
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_on_a_paused_tenant_returns_within_the_units_timeout_stop_sec() {
    // Credentials refused: the tenant pauses with items claimed, and calls hang besides.
    let env = Env::new(Backend::Sqlite, 100, |c| {
        c.app_auth_tokens = Some(vec![rentsync::secret::Secret::new("granted")]);
        c.faults.latency_ms = 2_000;
    })
    .await;
    let port = free_port();
    let config = config_with_ops(&env, port, "");
    edit(
        &config,
        "request_timeout_secs = 5",
        "request_timeout_secs = 120",
    );
    let mut d = Daemon::start(&config, env.dir.path(), None);
    wait_readyz_naming(&d, "paused").await;
    let limit = Duration::from_secs(unit_timeout_stop_secs());
    let t = Instant::now();
    d.signal("-TERM");
    let status = d.child.wait().unwrap();
    let took = t.elapsed();
    assert!(status.success(), "{status}\n{}", d.log());
    // systemd sends SIGKILL at TimeoutStopSec: leave a margin of a quarter of it.
    assert!(
        took < limit * 3 / 4,
        "stop took {took:?}, the unit allows {limit:?}:\n{}",
        d.log()
    );
    // Rooms waiting out the pause give their leases back at once: only the calls in flight
    // (2 s) are waited for, not the 20 s drain deadline.
    assert!(
        took < Duration::from_secs(10),
        "stop took {took:?} on a paused tenant:\n{}",
        d.log()
    );
    env.cleanup().await;
}

/// A gateway that accepts connections and never answers.
fn silent_gateway() -> (String, std::thread::JoinHandle<()>) {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/gateway.do", l.local_addr().unwrap());
    let h = std::thread::spawn(move || {
        let mut held = Vec::new();
        for c in l.incoming().take(64).flatten() {
            held.push(c);
        }
        std::thread::sleep(Duration::from_secs(60));
    });
    (url, h)
}

#[tokio::test(flavor = "multi_thread")]
async fn resync_timeout_secs_is_a_hard_deadline_naming_the_silent_gateway() {
    let env = Env::new(Backend::Sqlite, 20, |_| {}).await;
    let (url, _keep) = silent_gateway();
    let config = env.dir.path().join("rentsync.toml");
    let text = env.config_text(200.0, 120).replace(&env.h.gateway, &url);
    std::fs::write(&config, text).unwrap();
    let t = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_rentsync"))
        .args(["resync", "--timeout-secs", "5", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    let took = t.elapsed();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(took < Duration::from_secs(10), "took {took:?}:\n{text}");
    assert!(!out.status.success(), "{text}");
    assert!(text.contains(&url), "the gateway is named:\n{text}");
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn resync_with_refused_credentials_ends_at_once_naming_key_app_id_and_answer() {
    let env = Env::new(Backend::Sqlite, 20, |c| {
        c.app_auth_tokens = Some(vec![rentsync::secret::Secret::new("granted")])
    })
    .await;
    let config = env.dir.path().join("rentsync.toml");
    std::fs::write(&config, env.config_text(200.0, 5)).unwrap();
    let t = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_rentsync"))
        .args(["resync", "--timeout-secs", "300", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    let took = t.elapsed();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(took < Duration::from_secs(20), "took {took:?}:\n{text}");
    assert!(!out.status.success(), "{text}");
    for needle in ["private_key_file", "app_id", common::APP_ID] {
        assert!(text.contains(needle), "{needle} named:\n{text}");
    }
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_state_database_is_created_0600_and_a_readable_key_is_warned_about() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new(Backend::Sqlite, 5, |_| {}).await;
    let key = env.dir.path().join("app_private_key.pem");
    std::fs::copy(common::keys().path("app_private_key.pem"), &key).unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let port = free_port();
    let config = config_with_ops(&env, port, "");
    let original = common::keys().path("app_private_key.pem");
    edit(
        &config,
        &original.display().to_string(),
        &key.display().to_string(),
    );
    let mut d = Daemon::start(&config, env.dir.path(), None);
    d.wait_ready().await;
    let state = env.dir.path().join("state.db");
    let mode = std::fs::metadata(&state).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "state database mode {mode:o}");
    let log = d.log();
    assert!(
        log.contains("readable by group or others") && log.contains(&key.display().to_string()),
        "no warning about the key's mode:\n{log}"
    );
    let check = rentsync(&["check"], &config);
    assert!(
        check.contains("readable by group or others"),
        "check says nothing about the key's mode:\n{check}"
    );
    d.signal("-TERM");
    assert!(d.child.wait().unwrap().success(), "{}", d.log());
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_state_directory_is_named_with_the_fix() {
    let env = Env::new(Backend::Sqlite, 5, |_| {}).await;
    let config = env.dir.path().join("rentsync.toml");
    let missing = env.dir.path().join("no-such-dir");
    let text = env.config_text(200.0, 5).replace(
        &env.state_url,
        &format!("sqlite://{}/state.db", missing.display()),
    );
    std::fs::write(&config, text).unwrap();
    let out = rentsync(&["resync", "--timeout-secs", "5"], &config);
    assert!(
        out.contains(&missing.display().to_string()) && out.contains("does not exist"),
        "the directory is named:\n{out}"
    );
    assert!(
        !out.contains("code: 14"),
        "the driver's code is not the message:\n{out}"
    );
    env.cleanup().await;
}

/// `rentsync check` on `config`: exit success and output.
fn check(config: &PathBuf) -> (bool, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_rentsync"))
        .args(["check", "--config"])
        .arg(config)
        .output()
        .unwrap();
    (
        o.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn check_fails_each_setup_that_would_fail_naming_it() {
    let env = Env::new(Backend::Postgres, 5, |_| {}).await;
    let config = env.dir.path().join("rentsync.toml");
    let good = env.config_text(200.0, 5);
    std::fs::write(&config, &good).unwrap();
    let (ok, out) = check(&config);
    assert!(ok, "a good setup passes:\n{out}");
    assert!(out.contains("signed call"), "{out}");

    let k = common::keys();
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "wrong key pair",
            good.replace(
                &k.path("app_private_key.pem").display().to_string(),
                &k.path("platform_private_key.pem").display().to_string(),
            ),
            "private_key_file",
        ),
        (
            "gateway path that answers 404",
            good.replace("/gateway.do", "/nowhere.do"),
            "/nowhere.do",
        ),
        (
            "missing photo_dir",
            good.replace(
                concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/photos"),
                "/nonexistent/photos",
            ),
            "photo_dir",
        ),
    ];
    for (what, text, needle) in cases {
        std::fs::write(&config, text).unwrap();
        let (ok, out) = check(&config);
        assert!(!ok, "{what}: check said ok:\n{out}");
        assert!(
            out.lines()
                .any(|l| l.starts_with("FAIL") && l.contains(needle)),
            "{what}: no FAIL line naming {needle:?}:\n{out}"
        );
    }

    // rent_fen as NUMERIC, then missing.
    std::fs::write(&config, &good).unwrap();
    let cols: String = sqlx::query_scalar(
        "SELECT string_agg(CASE WHEN column_name = 'rent_fen' \
         THEN 'CAST(rent_fen AS NUMERIC) AS rent_fen' ELSE column_name END, ', ' \
         ORDER BY ordinal_position) FROM information_schema.columns \
         WHERE table_name = 'rentsync_dispersion_rooms'",
    )
    .fetch_one(&env.op.pool)
    .await
    .unwrap();
    env.exec(&format!(
        "ALTER VIEW rentsync_dispersion_rooms RENAME TO rs_base; \
         CREATE VIEW rentsync_dispersion_rooms AS SELECT {cols} FROM rs_base"
    ))
    .await;
    let (ok, out) = check(&config);
    assert!(!ok, "NUMERIC rent_fen passes:\n{out}");
    assert!(
        out.lines()
            .any(|l| l.starts_with("FAIL") && l.contains("rent_fen") && l.contains("numeric")),
        "{out}"
    );
    env.cleanup().await;
}

#[test]
fn a_refused_gateway_and_a_missing_key_are_named_once_with_their_cause() {
    let k = common::keys();
    // Nothing listens on port 1.
    let url = "http://127.0.0.1:1/gateway.do";
    let call = |key: &std::path::Path| {
        let o = Command::new(env!("CARGO_BIN_EXE_rentsync"))
            .args(["call", "--gateway", url, "--app-id", common::APP_ID])
            .arg("--private-key")
            .arg(key)
            .arg("--platform-public-key")
            .arg(k.path("platform_public_key.pem"))
            .arg("alipay.eco.renthouse.ka.baseinfo.query")
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    let refused = call(&k.path("app_private_key.pem"));
    assert!(
        refused.contains(url) && refused.contains("refused"),
        "the gateway URL and the cause are named:\n{refused}"
    );
    let missing = std::env::temp_dir().join("rentsync-no-such-key.pem");
    let text = call(&missing);
    assert!(text.contains(&missing.display().to_string()), "{text}");
    assert_eq!(
        text.matches("os error 2").count(),
        1,
        "the cause is said once:\n{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_database_port_is_named_with_its_cause_not_a_pool_timeout() {
    let env = Env::new(Backend::Sqlite, 1, |_| {}).await;
    let config = env.dir.path().join("rentsync.toml");
    let wrong = "postgres://postgres@127.0.0.1:1/rentsync_state";
    std::fs::write(
        &config,
        env.config_text(200.0, 5).replace(&env.state_url, wrong),
    )
    .unwrap();
    let out = rentsync(&["resync", "--timeout-secs", "5"], &config);
    assert!(
        out.contains("127.0.0.1:1") && out.contains("refused") && !out.contains("pool timed out"),
        "{out}"
    );
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_plans_the_healthy_tenant_and_names_the_broken_one() {
    let env = Env::new(Backend::Sqlite, 10, |_| {}).await;
    let config = env.dir.path().join("rentsync.toml");
    let mut text = env.config_text(200.0, 5);
    text.push_str(&second_tenant(
        &env,
        "broken",
        "mysql://root:wrong-password@127.0.0.1:3306/mysql",
        None,
    ));
    std::fs::write(&config, text).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_rentsync"))
        .args(["dry-run", "--format", "json", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    let (out, err) = (
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr),
    );
    assert!(!o.status.success(), "{out}{err}");
    assert!(out.contains("\"t1\""), "t1 is planned:\n{out}\n{err}");
    assert!(
        err.contains("tenant broken") && err.contains("Access denied"),
        "the broken tenant is named with its cause:\n{err}"
    );
    assert!(!format!("{out}{err}").contains("wrong-password"));
    env.cleanup().await;
}

/// A tmpfs of `size` mounted on `dir`, unmounted on drop; `None` (said loudly) where this
/// process may not mount one.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &std::path::Path, size: &str) -> Option<Self> {
        std::fs::create_dir_all(dir).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Tmpfs(dir.to_path_buf()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_disk_under_the_state_database_turns_readyz_503_and_work_resumes_after() {
    use std::io::Write;
    let env = Env::new(Backend::Sqlite, 600, |_| {}).await;
    let fs_dir = env.dir.path().join("statefs");
    let Some(_fs) = Tmpfs::mount(&fs_dir, "24m") else {
        eprintln!("SKIPPED LOUDLY: cannot mount a tmpfs here (needs CAP_SYS_ADMIN); the full-disk test did not run");
        return;
    };
    let port = free_port();
    let config = config_with_ops(&env, port, "");
    let state = format!("sqlite://{}/state.db", fs_dir.display());
    edit(&config, &env.state_url, &state);
    edit(&config, "qps = 200", "qps = 20");
    let mut d = Daemon::start(&config, env.dir.path(), None);
    d.wait_ready().await;
    tokio::time::sleep(Duration::from_secs(3)).await;

    // Fill the disk.
    let filler = fs_dir.join("filler");
    let mut f = std::fs::File::create(&filler).unwrap();
    let chunk = vec![0u8; 1 << 16];
    while f.write_all(&chunk).is_ok() {}
    let _ = f.sync_all();
    let body = wait_readyz_naming(&d, "state_database").await;
    assert!(body.contains("tenant t1"), "{body}");
    tokio::time::sleep(Duration::from_secs(5)).await;
    drop(f);
    std::fs::remove_file(&filler).unwrap();

    // Space is back: work resumes by itself.
    d.wait_ready().await;
    wait_converged(&env, &d).await;
    // Nothing was sent that could not be recorded: a call the state database could not take
    // would be sent again now. At most the calls in flight when the disk filled repeat.
    let rooms = env.h.sandbox.rooms();
    let resent: u64 = rooms.iter().map(|r| r.room_calls.saturating_sub(1)).sum();
    assert!(
        resent <= 8,
        "{resent} room calls sent again after the outage"
    );
    d.signal("-TERM");
    assert!(d.child.wait().unwrap().success(), "{}", d.log());
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tenant_whose_key_file_appears_later_joins_without_a_reload() {
    let env = Env::new(Backend::Sqlite, 10, |_| {}).await;
    let port = free_port();
    let config = config_with_ops(&env, port, "");
    let late_key = env.dir.path().join("late_private_key.pem");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str(&second_tenant(
        &env,
        "late",
        &env.op_url,
        Some(&late_key.display().to_string()),
    ));
    std::fs::write(&config, text).unwrap();
    let mut d = Daemon::start(&config, env.dir.path(), None);
    wait_readyz_naming(&d, "tenant late").await;
    std::fs::copy(common::keys().path("app_private_key.pem"), &late_key).unwrap();
    let started = Instant::now();
    loop {
        let (code, body) = d.get("/readyz").await;
        if !body.contains("tenant late") {
            assert_eq!(code, 200, "{body}");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the tenant never joined: {body}\n{}",
            d.log()
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    d.signal("-TERM");
    assert!(d.child.wait().unwrap().success(), "{}", d.log());
    env.cleanup().await;
}
