//! The sync engine end to end on real PostgreSQL, MariaDB and SQLite, against the sandbox:
//! flows converge to the source, late commits are seen, bursts of edits coalesce, faults do not
//! stop convergence, and two daemons share one PostgreSQL state database safely.

mod common;

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::engine::{Backend, Env};
use rentsync::cli::{resync, Daemon, Runtime};
use rentsync::outbox::ItemStatus;
use rentsync::worker::{drain_once, poll};

async fn resync_all(rt: &Runtime) {
    let s = resync(rt, Duration::from_secs(120)).await.expect("resync");
    assert_eq!(s[0].outstanding, 0, "resync left work outstanding: {s:?}");
}

fn room_calls(env: &Env, code: &str) -> (u64, u64) {
    env.h
        .sandbox
        .rooms()
        .iter()
        .find(|r| r.room_code == code)
        .map(|r| (r.room_calls, r.state_calls))
        .unwrap_or((0, 0))
}

/// A listed, valid whole flat on the platform: its room code and flat id.
fn pick_flats(env: &Env, n: usize) -> Vec<(String, String)> {
    let mut flats: Vec<(String, String)> = env
        .h
        .sandbox
        .rooms()
        .into_iter()
        .filter(|r| {
            r.flats_tag == 1
                && r.room_status == 1
                && r.rent_status == 1
                && r.room_code.ends_with("00")
        })
        .map(|r| {
            (
                r.room_code.clone(),
                r.room_code.trim_end_matches("00").to_string(),
            )
        })
        .collect();
    flats.sort();
    assert!(
        flats.len() >= n,
        "need {n} listed whole flats, have {}",
        flats.len()
    );
    flats.truncate(n);
    flats
}

async fn flows_converge(backend: Backend) {
    let env = Env::new(backend, 60, |_| {}).await;
    let rt = Runtime::start(env.config(500.0, 5)).await.expect("runtime");
    resync_all(&rt).await;
    assert_eq!(env.differences().await, Vec::<String>::new());
    let counts = rt.outbox.counts().await.unwrap();
    let failures = rt.outbox.failures(5).await.unwrap();
    assert!(
        counts
            .get(&("t1".into(), ItemStatus::Done))
            .copied()
            .unwrap_or(0)
            > 40,
        "{counts:?} {failures:?}"
    );

    let f = pick_flats(&env, 4);
    env.exec(&format!(
        "UPDATE flats SET rent = rent + 111 WHERE id = {}",
        f[0].1
    ))
    .await;
    env.exec(&format!(
        "UPDATE flats SET listed = FALSE WHERE id = {}",
        f[1].1
    ))
    .await;
    env.exec(&format!(
        "UPDATE flats SET rented = TRUE WHERE id = {}",
        f[2].1
    ))
    .await;
    env.exec(&format!(
        "DELETE FROM photos WHERE owner_kind = 'flat' AND owner_id = {}",
        f[3].1
    ))
    .await;
    env.exec(&format!("DELETE FROM flats WHERE id = {}", f[3].1))
        .await;
    let before: Vec<_> = f.iter().map(|(code, _)| room_calls(&env, code)).collect();
    resync_all(&rt).await;
    assert_eq!(env.differences().await, Vec::<String>::new());

    let after: Vec<_> = f.iter().map(|(code, _)| room_calls(&env, code)).collect();
    assert_eq!(
        after[0].0,
        before[0].0 + 1,
        "a price change resends the room once"
    );
    for i in 1..4 {
        assert_eq!(
            after[i].0, before[i].0,
            "room {}: a state flip never resends the room",
            f[i].0
        );
        assert_eq!(
            after[i].1,
            before[i].1 + 1,
            "room {}: one room.state.sync ({before:?} → {after:?})",
            f[i].0
        );
    }
    let deleted = env
        .h
        .sandbox
        .rooms()
        .into_iter()
        .find(|r| r.room_code == f[3].0)
        .unwrap();
    assert_eq!(
        deleted.room_status, 0,
        "a room gone from the source is taken off shelf"
    );

    // Nothing changed: a third resync makes no room call at all.
    let total = |env: &Env| {
        env.h
            .sandbox
            .rooms()
            .iter()
            .map(|r| r.room_calls + r.state_calls)
            .sum::<u64>()
    };
    let calls = total(&env);
    resync_all(&rt).await;
    assert_eq!(total(&env), calls);
    env.cleanup().await;
}

async fn late_commits_are_seen_and_bursts_coalesce(backend: Backend) {
    let env = Env::new(backend, 12, |_| {}).await;
    let rt = Runtime::start(env.config(500.0, 5)).await.expect("runtime");
    resync_all(&rt).await;
    let t = &rt.tenants[0];
    let source = t.source.clone().unwrap();
    let feed = rt.cfg.source.feed();
    let settings = rt.cfg.worker.settings();
    let stop = AtomicBool::new(false);
    let f = pick_flats(&env, 2);

    // B commits now and is polled; A was stamped 3 s earlier but commits after that poll.
    env.exec(&format!(
        "UPDATE flats SET rent = rent + 7 WHERE id = {}",
        f[1].1
    ))
    .await;
    poll(t, &source, &rt.outbox, &feed).await.unwrap();
    env.exec(&format!(
        "UPDATE flats SET rent = rent + 9, updated_at = {} WHERE id = {}",
        env.seconds_ago(3),
        f[0].1
    ))
    .await;
    let s = poll(t, &source, &rt.outbox, &feed).await.unwrap();
    assert!(
        s.queued.changed >= 1,
        "the late commit inside the overlap window is queued: {s:?}"
    );
    drain_once(t, &rt.outbox, &rt.owner, &settings, &stop)
        .await
        .unwrap();
    assert_eq!(env.differences().await, Vec::<String>::new());

    // 100 edits of one room in a burst, followed by the feed: at most 2 room calls.
    let (calls_before, _) = room_calls(&env, &f[0].0);
    for i in 0..100 {
        env.exec(&format!(
            "UPDATE flats SET rent = {} WHERE id = {}",
            2000 + i,
            f[0].1
        ))
        .await;
        if i == 50 {
            poll(t, &source, &rt.outbox, &feed).await.unwrap();
        }
    }
    poll(t, &source, &rt.outbox, &feed).await.unwrap();
    drain_once(t, &rt.outbox, &rt.owner, &settings, &stop)
        .await
        .unwrap();
    let (calls_after, _) = room_calls(&env, &f[0].0);
    assert!(
        calls_after - calls_before <= 2,
        "100 edits cost {} room calls",
        calls_after - calls_before
    );
    assert_eq!(env.differences().await, Vec::<String>::new());
    env.cleanup().await;
}

macro_rules! on_every_backend {
    ($($f:ident),*) => {
        mod sqlite { use super::*; $(#[tokio::test(flavor = "multi_thread")] async fn $f() { super::$f(Backend::Sqlite).await } )* }
        mod postgres { use super::*; $(#[tokio::test(flavor = "multi_thread")] async fn $f() { super::$f(Backend::Postgres).await } )* }
        mod mariadb { use super::*; $(#[tokio::test(flavor = "multi_thread")] async fn $f() { super::$f(Backend::Mysql).await } )* }
    };
}

on_every_backend!(flows_converge, late_commits_are_seen_and_bursts_coalesce);

#[tokio::test(flavor = "multi_thread")]
async fn faults_do_not_stop_convergence_and_no_forged_answer_is_taken() {
    let env = Env::new(Backend::Sqlite, 60, |c| {
        c.limits.qps = 40.0;
        c.limits.burst = 0;
        c.faults.seed = 11;
        c.faults.http_5xx = 0.2;
        c.faults.timeout = 0.05;
        c.faults.hang_ms = 1500;
        c.faults.bad_signature = 0.05;
        c.faults.throttle = 0.05;
        c.faults.drop = 0.02;
    })
    .await;
    let rt = Runtime::start(env.config(40.0, 1)).await.expect("runtime");
    resync_all(&rt).await;
    assert_eq!(env.differences().await, Vec::<String>::new());

    let stats = env.h.sandbox.stats_json();
    let forged: u64 = stats["calls"]
        .as_object()
        .unwrap()
        .values()
        .map(|o| o["fault/bad_signature"].as_u64().unwrap_or(0))
        .sum();
    let calls = rt.outbox.call_counts("t1").await.unwrap();
    let rejected: i64 = calls
        .iter()
        .filter(|((_, o), _)| o == "bad_signature")
        .map(|(_, n)| n)
        .sum();
    assert!(
        forged > 0,
        "the fault mix must include forged answers: {stats}"
    );
    assert_eq!(
        rejected as u64, forged,
        "every forged answer was refused by the client"
    );
    assert_eq!(
        stats["limited_calls"], 0,
        "the client kept to the platform's rate: {stats}"
    );
    assert_eq!(stats["concurrent_room_calls"], 0);
    env.cleanup().await;
}

/// A room whose outcome cannot be recorded (the state database refuses that one write) is
/// reported and left to its lease; the rooms in flight beside it finish and are recorded, and
/// the drain goes on to claim the rest instead of aborting them mid-call.
#[tokio::test(flavor = "multi_thread")]
async fn one_unrecorded_outcome_does_not_abort_the_rooms_beside_it() {
    let env = Env::new(Backend::Sqlite, 40, |c| c.faults.latency_ms = 150).await;
    let rt = Runtime::start(env.config(500.0, 5)).await.expect("runtime");
    let t = &rt.tenants[0];
    let source = t.source.clone().unwrap();
    rentsync::worker::full_scan(t, &source, &rt.outbox, &rt.cfg.source.feed())
        .await
        .unwrap();
    let state = sqlx::SqlitePool::connect(&env.state_url).await.unwrap();
    let victim: String = sqlx::query_scalar(
        "SELECT item_key FROM rentsync_items WHERE kind = 'dispersion' ORDER BY item_key LIMIT 1",
    )
    .fetch_one(&state)
    .await
    .unwrap();
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM rentsync_items")
        .fetch_one(&state)
        .await
        .unwrap();
    assert!(
        total > 20,
        "enough items to have several in flight: {total}"
    );
    sqlx::raw_sql(&format!(
        "CREATE TRIGGER refuse_outcome BEFORE UPDATE OF status ON rentsync_items \
         WHEN NEW.item_key = '{victim}' AND OLD.status = 'leased' AND NEW.status <> 'leased' \
         BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END"
    ))
    .execute(&state)
    .await
    .unwrap();

    let settings = rt.cfg.worker.settings();
    let stop = AtomicBool::new(false);
    let worked = drain_once(t, &rt.outbox, &rt.owner, &settings, &stop).await;
    let worked = worked.expect("one unrecorded outcome is reported, not the drain's end");
    assert!(
        worked as i64 >= total,
        "every item was worked: {worked} of {total}"
    );
    let statuses: Vec<(String, String)> =
        sqlx::query_as("SELECT item_key, status FROM rentsync_items")
            .fetch_all(&state)
            .await
            .unwrap();
    let not_done: Vec<_> = statuses.iter().filter(|(_, s)| s != "done").collect();
    assert_eq!(
        not_done,
        vec![&(victim.clone(), "leased".to_string())],
        "only the room whose outcome was refused is left, leased until its lease runs out"
    );
    state.close().await;
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn two_daemons_share_a_postgres_state_database() {
    let env = Env::new(Backend::Postgres, 150, |c| {
        c.limits.qps = 30.0;
        c.limits.burst = 0;
        c.faults.latency_ms = 20;
    })
    .await;
    let stop = Arc::new(AtomicBool::new(false));
    let a = Arc::new(Runtime::start(env.config(30.0, 5)).await.unwrap());
    let b = Arc::new(Runtime::start(env.config(30.0, 5)).await.unwrap());
    let da = Daemon::spawn(a.clone(), stop.clone(), Default::default())
        .await
        .unwrap();
    let db = Daemon::spawn(b.clone(), stop.clone(), Default::default())
        .await
        .unwrap();
    let started = Instant::now();
    while a.outbox.outstanding("t1").await.unwrap() > 0
        && started.elapsed() < Duration::from_secs(120)
    {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    da.stop(Duration::from_secs(10)).await.unwrap();
    db.stop(Duration::from_secs(10)).await.unwrap();
    assert_eq!(env.differences().await, Vec::<String>::new());

    let worked = |rt: &Runtime| {
        rt.tenants[0]
            .metrics
            .snapshot()
            .values()
            .map(|(n, _)| n)
            .sum::<u64>()
    };
    assert!(
        worked(&a) > 0 && worked(&b) > 0,
        "both replicas worked: {} and {}",
        worked(&a),
        worked(&b)
    );
    let stats = env.h.sandbox.stats_json();
    assert_eq!(
        stats["concurrent_room_calls"], 0,
        "never two calls for one room at once: {stats}"
    );
    assert_eq!(
        stats["limited_calls"], 0,
        "together they kept to the limit: {stats}"
    );
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_notify_wakes_the_feed_at_once() {
    let env = Env::new(Backend::Postgres, 10, |_| {}).await;
    // Poll every 30 s: only the trigger's NOTIFY can bring the change within seconds.
    let text = env
        .config_text(500.0, 5)
        .replace("poll_secs = 0.2", "poll_secs = 30");
    let cfg = rentsync::config::Config::parse(&text, env.dir.path()).unwrap();
    let rt = Arc::new(Runtime::start(cfg).await.unwrap());
    let stop = Arc::new(AtomicBool::new(false));
    let daemon = Daemon::spawn(rt.clone(), stop, Default::default())
        .await
        .unwrap();
    let started = Instant::now();
    while rt.outbox.outstanding("t1").await.unwrap() > 0 {
        assert!(started.elapsed() < Duration::from_secs(30));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await; // LISTEN is set up
    let f = pick_flats(&env, 1);
    env.exec(&format!(
        "UPDATE flats SET rent = 4321 WHERE id = {}",
        f[0].1
    ))
    .await;
    let changed = Instant::now();
    loop {
        let rooms = env.h.sandbox.rooms();
        let room = rooms.iter().find(|r| r.room_code == f[0].0).unwrap();
        if room.biz_content["room_amount"] == "4321.00" {
            break;
        }
        assert!(
            changed.elapsed() < Duration::from_secs(10),
            "NOTIFY did not wake the feed"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    println!(
        "change on the platform {:.2} s after the commit",
        changed.elapsed().as_secs_f64()
    );
    daemon.stop(Duration::from_secs(5)).await.unwrap();
    env.cleanup().await;
}
