//! The SPI end to end, on the real daemon: the sandbox registers the operator's addresses
//! (`rentsync ka sync|register`) and sends callbacks like the platform; the daemon verifies,
//! stores and delivers them to a loopback webhook that fails half the time, across a kill -9.
//! On SQLite, PostgreSQL and MariaDB state databases.

mod common;

use std::time::{Duration, Instant};

use common::daemon::Daemon;
use common::engine::Backend;
use common::spi::{booking, cli, code, phone, phone_record, send, setup, Setup};
use rentsync::db::Db;
use rentsync::outbox::Outbox;
use rentsync::spi::aes::DataKey;
use serde_json::json;

async fn wait_acked(s: &Setup, n: usize, daemon: &Daemon) {
    let started = Instant::now();
    while s.hook.acked() < n {
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "{} of {n} deliveries acknowledged; log:\n{}",
            s.hook.acked(),
            daemon.log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn scenario(backend: Backend) {
    let s = setup(backend, 3, 0.5).await;
    let mut d = Daemon::start(&s.config, s.env.dir.path(), None);
    d.wait_ready().await;

    // Register: the operator, then its five addresses; a rerun makes no call.
    let (ok, out) = cli(&s.config, &["ka", "sync"]);
    assert!(ok, "{out}");
    let (ok, out) = cli(&s.config, &["ka", "sync"]);
    assert!(ok && out.contains("no call made"), "{out}");
    let (ok, out) = cli(&s.config, &["ka", "register"]);
    assert!(ok && out.matches("registered type").count() == 5, "{out}");
    let (ok, out) = cli(&s.config, &["ka", "register"]);
    assert!(ok && out.contains("no call made"), "{out}");
    let (ok, out) = cli(&s.config, &["ka", "show"]);
    assert!(
        ok && out.contains("Test Apartments") && out.contains("\"valid\": \"1\""),
        "{out}"
    );

    // Genuine callbacks, SHA1withRSA (no sign_type, and "RSA") and SHA256withRSA.
    let mut genuine = 0;
    for i in 0..8 {
        let st = [None, Some("RSA"), Some("RSA2")][i % 3];
        assert_eq!(code(&send(&s.env, booking(i, st)).await), 1, "booking {i}");
        genuine += 1;
    }
    for i in 0..2 {
        assert_eq!(code(&send(&s.env, phone_record(i)).await), 1);
        genuine += 1;
    }
    // Another app's addresses are not this app's: the sandbox has none to send to.
    let mut other = booking(0, None);
    other["app_id"] = json!("2021999999999999");
    let refused = send(&s.env, other).await;
    assert!(
        refused["error"]
            .as_str()
            .is_some_and(|e| e.contains("registered no address")),
        "{refused}"
    );
    // A repeat of the last one is a success that adds nothing.
    let again = send(&s.env, json!({ "repeat": true })).await;
    assert_eq!(code(&again), 1, "{again}");

    // Bad ones: forged (RSA2 and SHA-1 with another key), unsigned, stale.
    for bad in [
        json!({ "forge": true }),
        json!({ "forge": true, "sign_type": "RSA2" }),
        json!({ "unsigned": true }),
    ] {
        let mut req = booking(100, None);
        for (k, v) in bad.as_object().unwrap() {
            req[k] = v.clone();
        }
        let a = send(&s.env, req).await;
        assert_eq!(code(&a), 0, "{bad}: {a}");
    }
    let mut stale = booking(101, Some("RSA2"));
    stale["params"]["timestamp"] = json!("2020-01-01 00:00:00");
    assert_eq!(code(&send(&s.env, stale).await), 0);

    // kill -9 while deliveries are failing and retrying; then a callback stored by a process that
    // died before it queued the delivery (the row alone, as the crash leaves it).
    d.child.kill().unwrap();
    d.child.wait().unwrap();
    // The next start writes the same log file: keep this one's.
    let first_log = d.log();
    let outbox = Outbox::open(&s.env.state_url, 2).await.unwrap();
    let key_path = if backend == Backend::Sqlite {
        s.env.dir.path().join("spi-data.key")
    } else {
        s.env.dir.path().join("data.key")
    };
    let data_key = DataKey::load_or_create(&key_path, false).unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the data key is private");
    }
    let sealed = data_key.seal("13900000077");
    let stored_alone = outbox
        .spi_store(
            "t1",
            "crashed-before-queue",
            "booking",
            r#"{"roomCode":"R77"}"#,
            Some(sealed.as_str()),
        )
        .await
        .unwrap();
    assert!(stored_alone);
    genuine += 1;
    let stored = outbox.spi_list(Some("t1"), None, 100).await.unwrap();
    for cb in &stored {
        assert!(
            !cb.params.contains("bookPhone") && !cb.params.contains("1391234"),
            "{}",
            cb.params
        );
    }

    let d2 = Daemon::start(&s.config, s.env.dir.path(), None);
    d2.wait_ready().await;
    for i in 8..12 {
        assert_eq!(code(&send(&s.env, booking(i, Some("RSA2"))).await), 1);
        genuine += 1;
    }
    // The platform repeats one sent before the crash: answered, not delivered again.
    assert_eq!(code(&send(&s.env, booking(0, None)).await), 1);
    wait_acked(&s, genuine, &d2).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;

    let stored = outbox.spi_list(Some("t1"), None, 100).await.unwrap();
    assert_eq!(stored.len(), genuine, "each genuine callback stored once");
    {
        let got = s.hook.got.lock().unwrap();
        assert_eq!(got.acked.len(), genuine, "each delivered and acknowledged");
        assert_eq!(got.bad_signatures, 0);
        assert!(got.failed > 0, "the webhook did fail some deliveries");
        // At least once: only a delivery in flight at the kill may come again.
        let repeats: usize = got.repeats.values().sum();
        assert!(repeats <= 4, "repeats {:?}", got.repeats);
        let first = got
            .acked
            .values()
            .find(|v| v["params"]["roomCode"] == "R3" && v["type"] == "booking");
        let first = first.expect("booking R3 delivered");
        assert_eq!(
            first["phone"],
            phone(3),
            "the receiver gets the decrypted phone"
        );
        let swept = &got.acked["crashed-before-queue"];
        assert_eq!(swept["phone"], "13900000077");
    }

    // The INSERT hand-off: one row per callback, the phone decrypted, on the operator's database.
    let started = Instant::now();
    let rows = loop {
        let rows = sqlx::query("SELECT event_id, kind, phone FROM crm_callbacks")
            .fetch_all(&s.insert.pool)
            .await
            .unwrap();
        if rows.len() >= genuine || started.elapsed() > Duration::from_secs(60) {
            break rows;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(rows.len(), genuine, "one INSERT per callback");
    let phones: Vec<String> = rows
        .iter()
        .filter_map(|r| rentsync::db::text(r, "phone").unwrap())
        .collect();
    assert!(phones.contains(&phone(5)), "{phones:?}");

    // Phone numbers never in logs, status, metrics; masked in `spi list`.
    let (_, metrics) = d2.get("/metrics").await;
    let (ok, status) = cli(&s.config, &["status"]);
    assert!(ok, "{status}");
    assert!(status.contains("spi_webhook"), "{status}");
    let (ok, list) = cli(&s.config, &["spi", "list", "--type", "booking"]);
    assert!(ok && list.contains("139******"), "{list}");
    let logs = format!("{first_log}{}", d2.log());
    for i in 0..12 {
        for text in [&logs, &metrics, &status, &list] {
            assert!(!text.contains(&phone(i)), "phone {i} leaked");
        }
    }
    assert!(logs.contains("SPI callback refused"), "refusals are logged");

    community_review(&s, &outbox, &d2).await;
    untrusted_requests_are_bounded(&s).await;
    drop(d2);
    drop(d);
    s.insert.pool.close().await;
    if let Some(name) = &s.insert_scratch {
        let admin = if backend == Backend::Postgres {
            "postgres://postgres@127.0.0.1:5432/postgres"
        } else {
            "mysql://root@127.0.0.1:3306/mysql"
        };
        if let Ok(db) = Db::connect(admin, 1).await {
            let force = if backend == Backend::Postgres {
                " WITH (FORCE)"
            } else {
                ""
            };
            let _ = sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {name}{force}"))
                .execute(&db.pool)
                .await;
        }
    }
    s.env.cleanup().await;
}

/// Straight to the endpoint: an oversized body, an unknown tenant or type, a flood from one
/// address: each refused with `{"code":0}` and a status that says which.
async fn untrusted_requests_are_bounded(s: &Setup) {
    // No connection reuse: the server closes a connection whose body it refused unread.
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let post = |path: &str, body: String| {
        http.post(format!("{}{path}", s.spi))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    let big = format!("remark={}", "x".repeat(200_000));
    // The answer may race the rest of the upload (a reset while sending): try a few times.
    let mut r = None;
    for _ in 0..5 {
        if let Ok(a) = post("/spi/t1/booking", big.clone()).await {
            r = Some(a);
            break;
        }
    }
    let r = r.expect("an answer to the oversized body");
    assert_eq!(r.status().as_u16(), 413);
    assert_eq!(r.text().await.unwrap(), r#"{"code":0}"#);
    for path in ["/spi/nobody/booking", "/spi/t1/nothing"] {
        let r = post(path, "a=b".into()).await.unwrap();
        assert_eq!(r.status().as_u16(), 404, "{path}");
        assert_eq!(r.text().await.unwrap(), r#"{"code":0}"#);
    }
    let r = post("/spi/t1/booking", "roomCode=R1&roomCode=R2&sign=x".into())
        .await
        .unwrap();
    assert_eq!(
        r.text().await.unwrap(),
        r#"{"code":0}"#,
        "a repeated name is malformed"
    );
    // rate_per_addr is 50 by default: 200 at once from one address cannot all pass.
    let answers = futures_util::future::join_all(
        (0..200).map(|_| post("/spi/t1/phone-record", "a=b".into())),
    )
    .await;
    let limited = answers
        .iter()
        .filter(|a| a.as_ref().is_ok_and(|r| r.status().as_u16() == 429))
        .count();
    assert!(limited > 0, "no request was rate limited");
}

/// Type 5: a rejected community parks its rooms (failed, `community_rejected`, with the remark);
/// an approval lets them go again.
async fn community_review(s: &Setup, outbox: &Outbox, d: &Daemon) {
    let state = s.env.h.get_json("/sandbox/state").await;
    let ids: Vec<String> = state["communities"]
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    assert!(
        !ids.is_empty(),
        "rooms were synced with community request ids: {state}"
    );
    let review = |id: &str, status: &str, remark: &str| {
        json!({ "app_id": common::APP_ID, "type": 5, "sign_type": "RSA2",
                "params": { "commReqId": id, "status": status, "remark": remark } })
    };
    for id in &ids {
        assert_eq!(code(&send(&s.env, review(id, "2", "地址不详")).await), 1);
    }
    let rejected = |rows: &[rentsync::outbox::FailureRow]| {
        rows.iter()
            .filter(|f| f.code == "community_rejected")
            .count()
    };
    let started = Instant::now();
    loop {
        let rows = outbox.failures(100).await.unwrap();
        if rejected(&rows) > 0 {
            assert!(
                rows.iter().any(|f| f.message.contains("地址不详")),
                "{rows:?}"
            );
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no room parked; log:\n{}",
            d.log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (_, status) = cli(&s.config, &["status"]);
    assert!(status.contains("community_rejected"), "{status}");
    for id in &ids {
        assert_eq!(code(&send(&s.env, review(id, "1", "")).await), 1);
    }
    let started = Instant::now();
    while rejected(&outbox.failures(100).await.unwrap()) > 0 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "rooms stayed parked"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn callbacks_are_stored_once_and_delivered_once_on_sqlite() {
    scenario(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn callbacks_are_stored_once_and_delivered_once_on_postgres() {
    scenario(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn callbacks_are_stored_once_and_delivered_once_on_mysql() {
    scenario(Backend::Mysql).await;
}
