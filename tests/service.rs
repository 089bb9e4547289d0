//! `rentsync run` as a service, tested on the real process: systemd's notify protocol (READY,
//! WATCHDOG, STOPPING) over a real datagram socket, /metrics /healthz /readyz over HTTP, reload on
//! SIGHUP (a bad config is refused, a good one applied), a second signal aborting, secrets never
//! in logs, reports or metrics, and the unit file's hardening score.

mod common;

use std::io::Read;
use std::os::unix::net::UnixDatagram;
use std::process::Command;
use std::time::{Duration, Instant};

use common::daemon::{config_with_ops, free_port, messages, Daemon};
use common::engine::{Backend, Env};
use rentsync::secret::Secret;

#[tokio::test(flavor = "multi_thread")]
async fn notify_protocol_metrics_health_and_clean_stop() {
    let env = Env::new(Backend::Sqlite, 30, |_| {}).await;
    let port = free_port();
    let config = config_with_ops(&env, port, "");
    let sock_path = env.dir.path().join("notify.sock");
    let sock = UnixDatagram::bind(&sock_path).unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();

    let mut d = Daemon::start(&config, env.dir.path(), Some(&sock_path));
    d.wait_ready().await;
    assert_eq!(d.get("/healthz").await, (200, "ok\n".to_string()));
    tokio::time::sleep(Duration::from_millis(900)).await;
    let got = messages(&sock);
    assert!(
        got.iter().any(|m| m.contains("READY=1")),
        "READY=1 sent: {got:?}"
    );
    assert!(
        got.iter().any(|m| m.contains("WATCHDOG=1")),
        "watchdog fed from the loop: {got:?}"
    );

    // Wait for the work to finish, then scrape.
    let started = Instant::now();
    loop {
        let (_, m) = d.get("/metrics").await;
        if m.contains("status=\"done\"") && !m.contains("status=\"pending\"") {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no progress:\n{m}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (code, metrics) = d.get("/metrics").await;
    assert_eq!(code, 200);
    let out_bytes = metrics
        .lines()
        .find_map(|l| {
            l.strip_prefix("rentsync_photo_bytes_total{tenant=\"t1\",direction=\"out\"} ")
        })
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0);
    assert!(out_bytes > 10_000, "photo bytes counted: {out_bytes}");
    for family in [
        "rentsync_ready 1",
        "rentsync_items{tenant=\"t1\",kind=\"dispersion\",status=\"done\"}",
        "rentsync_oldest_pending_seconds",
        "rentsync_source_lag_seconds{tenant=\"t1\",view=\"rentsync_dispersion_rooms\"}",
        "rentsync_platform_calls_total{tenant=\"t1\",method=\"alipay.eco.renthouse.room.dispersion.sync\",outcome=\"success\"}",
        "rentsync_platform_call_duration_seconds_bucket{tenant=\"t1\",method=\"alipay.eco.renthouse.room.dispersion.sync\",le=\"+Inf\"}",
        "rentsync_throttled_seconds_total{tenant=\"t1\"}",
        "rentsync_photo_bytes_total{tenant=\"t1\",direction=\"out\"}",
        "rentsync_photos_total{tenant=\"t1\",outcome=\"processed\"}",
        "rentsync_photo_encodes_total{tenant=\"t1\"}",
        "rentsync_tenant_paused{tenant=\"t1\"} 0",
    ] {
        assert!(metrics.contains(family), "missing {family} in\n{metrics}");
    }

    d.signal("-TERM");
    let status = d.child.wait().unwrap();
    assert!(status.success(), "clean stop: {status}");
    let got = messages(&sock);
    assert!(
        got.iter().any(|m| m.contains("STOPPING=1")),
        "STOPPING=1 sent: {got:?}"
    );
    assert!(d.log().contains("leases returned; stopped"));
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn readyz_fails_while_credentials_are_refused() {
    let env = Env::new(Backend::Sqlite, 5, |c| {
        c.app_auth_tokens = Some(vec![Secret::new("granted")])
    })
    .await;
    let port = free_port();
    let config = config_with_ops(&env, port, "");
    let mut d = Daemon::start(&config, env.dir.path(), None);
    let started = Instant::now();
    let body = loop {
        let (code, body) = d.get("/readyz").await;
        if code == 503 && body.contains("paused") {
            break body;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "readyz never reported the refusal: {code} {body}\n{}",
            d.log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(body.contains("tenant t1"), "{body}");
    let (_, metrics) = d.get("/metrics").await;
    assert!(
        metrics.contains("rentsync_tenant_paused{tenant=\"t1\"} 1"),
        "{metrics}"
    );
    d.signal("-TERM");
    d.child.wait().unwrap();
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sighup_refuses_a_bad_config_and_applies_a_good_one() {
    let env = Env::new(Backend::Sqlite, 5, |_| {}).await;
    let port = free_port();
    let config = config_with_ops(&env, port, "");
    let good = std::fs::read_to_string(&config).unwrap();
    let mut d = Daemon::start(&config, env.dir.path(), None);
    d.wait_ready().await;

    std::fs::write(&config, good.replace("qps = 200", "qps = -1")).unwrap();
    d.signal("-HUP");
    d.wait_log("new configuration refused").await;
    assert!(
        d.log().contains("rates.qps must be above 0"),
        "the reason is logged"
    );
    assert_eq!(d.get("/readyz").await.0, 200, "the running config stays");

    std::fs::write(&config, good.replace("qps = 200", "qps = 100")).unwrap();
    d.signal("-HUP");
    d.wait_log("reloading the configuration").await;
    d.wait_ready().await;

    // A config file change is noticed without a signal.
    let reloads = d.log().matches("reloading the configuration").count();
    std::fs::write(&config, good.replace("qps = 200", "qps = 150")).unwrap();
    let started = Instant::now();
    while d.log().matches("reloading the configuration").count() == reloads {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "file change not noticed:\n{}",
            d.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    d.signal("-TERM");
    assert!(d.child.wait().unwrap().success());
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_signal_aborts_at_once() {
    let env = Env::new(Backend::Sqlite, 200, |c| c.faults.latency_ms = 3000).await;
    let port = free_port();
    let config = config_with_ops(&env, port, "");
    let mut d = Daemon::start(&config, env.dir.path(), None);
    d.wait_log("rentsync running").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    d.signal("-TERM");
    d.wait_log("stopping: no new claims").await;
    let t = Instant::now();
    d.signal("-TERM");
    let status = d.child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "{}", d.log());
    assert!(
        t.elapsed() < Duration::from_secs(2),
        "aborted at once, not after the 3 s calls"
    );
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn secrets_never_reach_logs_reports_or_metrics() {
    let env = Env::new(Backend::Sqlite, 20, |c| {
        c.app_auth_tokens = Some(vec![Secret::new("tok-SECRET-4242")])
    })
    .await;
    let token_file = env.dir.path().join("token");
    std::fs::write(&token_file, "tok-SECRET-4242\n").unwrap();
    let port = free_port();
    let config = config_with_ops(
        &env,
        port,
        &format!("app_auth_token_file = \"{}\"\n", token_file.display()),
    );
    let mut d = Daemon::start(&config, env.dir.path(), None);
    d.wait_ready().await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (_, metrics) = d.get("/metrics").await;
    d.signal("-TERM");
    d.child.wait().unwrap();

    let out = |args: &[&str]| {
        let o = Command::new(env!("CARGO_BIN_EXE_rentsync"))
            .args(args)
            .arg("--config")
            .arg(&config)
            .output()
            .unwrap();
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    };
    let status = out(&["status", "--format", "json"]);
    let dry = out(&["dry-run", "--format", "markdown"]);
    let check = out(&["check"]);
    let mut key = String::new();
    std::fs::File::open(common::keys().path("app_private_key.pem"))
        .unwrap()
        .read_to_string(&mut key)
        .unwrap();
    let haystacks = [
        ("log", d.log()),
        ("metrics", metrics),
        ("status", status),
        ("dry-run", dry),
        ("check", check),
    ];
    for (name, text) in &haystacks {
        assert!(!text.is_empty(), "{name} produced output");
        assert!(
            !text.contains("tok-SECRET-4242"),
            "{name} shows the app_auth_token:\n{text}"
        );
        for line in key.lines().filter(|l| !l.starts_with("-----")) {
            assert!(
                !text.contains(&line[..16]),
                "{name} shows private key material"
            );
        }
    }
    env.cleanup().await;
}

#[test]
fn the_unit_file_is_hardened() {
    let out = Command::new("bash")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scripts/check-systemd-unit.sh"
        ))
        .output()
        .expect("run scripts/check-systemd-unit.sh");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    let score: f64 = text
        .lines()
        .find_map(|l| l.split("overall exposure of rentsync.service: ").nth(1))
        .and_then(|s| s.split_whitespace().next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no score in:\n{text}"));
    assert!(score <= 2.0, "exposure {score}");
}
