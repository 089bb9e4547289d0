//! The item lifecycle under the conditions that used to lose or misstate listings: calls the
//! platform applied but never answered, leases outlived by slow calls, rule breaks that arrive
//! mid-call, negative money, `retry --invalid`, invalid rooms that are live, hard deletes, mass
//! delists, rows stamped in the future and replicas racing in the feed. Each test drives the real
//! engine against the sandbox on real databases.

mod common;

use std::time::{Duration, Instant};

use common::engine::{Backend, Env};
use rentsync::cli::{resync, Runtime};
use rentsync::fixtures::GenOptions;
use rentsync::sandbox::{FaultConfig, SandboxConfig};
use rentsync::worker::{full_scan, poll};

const ROOM_SYNC: [&str; 2] = ["room.dispersion.sync", "room.concentration.sync"];

fn clean(listings: usize) -> GenOptions {
    GenOptions {
        listings,
        broken_rate: 0.0,
        bad_photo_rate: 0.0,
        large_photo_rate: 0.0,
        ..Default::default()
    }
}

async fn env_with(
    backend: Backend,
    listings: usize,
    tweak: impl FnOnce(&mut SandboxConfig),
) -> Env {
    Env::with_options(backend, clean(listings), tweak).await
}

/// Starts a runtime on `env` with extra config lines added to the `[source]` table and the tenant.
async fn runtime(env: &Env, timeout_secs: u64, source: &str, tenant: &str) -> Runtime {
    let text = env
        .config_text(500.0, timeout_secs)
        .replace("[source]\n", &format!("[source]\n{source}\n"))
        .replace("[tenant.rates]", &format!("{tenant}\n[tenant.rates]"));
    let cfg = rentsync::config::Config::parse(&text, env.dir.path()).expect("config");
    Runtime::start(cfg).await.expect("runtime")
}

/// One full scan of the first tenant's source into the outbox.
async fn scan_all(rt: &Runtime) {
    let t = &rt.tenants[0];
    let feed = rt.cfg.source.feed();
    full_scan(t, t.source.as_ref().unwrap(), &rt.outbox, &feed)
        .await
        .unwrap();
}

async fn resync_all(rt: &Runtime) {
    let s = resync(rt, Duration::from_secs(120)).await.expect("resync");
    assert_eq!(s[0].outstanding, 0, "resync left work outstanding: {s:?}");
}

/// Listed whole flats on the platform: (room code, flat id).
fn listed_flats(env: &Env) -> Vec<(String, String)> {
    let mut flats: Vec<(String, String)> = env
        .h
        .sandbox
        .rooms()
        .into_iter()
        .filter(|r| r.flats_tag == 1 && r.room_status == 1 && r.room_code.ends_with("00"))
        .map(|r| {
            let id = r.room_code.trim_end_matches("00").to_string();
            (r.room_code, id)
        })
        .collect();
    flats.sort();
    assert!(!flats.is_empty(), "no listed whole flat on the platform");
    flats
}

async fn item(rt: &Runtime, code: &str) -> (String, Option<String>, String) {
    let row = sqlx::query(
        &rt.outbox
            .db
            .sql("SELECT status, synced_state, last_error FROM rentsync_items WHERE item_key = ?"),
    )
    .bind(code)
    .fetch_one(&rt.outbox.db.pool)
    .await
    .expect("item");
    let text = |col| rentsync::db::text(&row, col).expect(col);
    (
        text("status").unwrap_or_default(),
        text("synced_state"),
        text("last_error").unwrap_or_default(),
    )
}

fn on_platform(env: &Env, code: &str) -> rentsync::sandbox::StoredRoom {
    env.h
        .sandbox
        .rooms()
        .into_iter()
        .find(|r| r.room_code == code)
        .unwrap_or_else(|| panic!("{code} is not on the platform"))
}

// 1. A room sync the platform applied but never answered leaves the room "maybe live": when the
//    listing is archived afterwards, it still goes off shelf.
async fn unanswered_sync_is_maybe_live(backend: Backend) {
    let env = env_with(backend, 8, |c| {
        c.faults.timeout = 1.0;
        c.faults.hang_ms = 3_000;
        c.faults.methods = ROOM_SYNC.iter().map(|m| m.to_string()).collect();
    })
    .await;
    let rt = runtime(&env, 1, "", "").await;
    // Every room call is applied, then times out; the resync gives up with work outstanding.
    let s = resync(&rt, Duration::from_secs(4)).await.expect("resync");
    assert!(s[0].outstanding > 0, "{s:?}");
    let flats = listed_flats(&env);
    let (code, id) = &flats[0];
    env.h.sandbox.set_faults(FaultConfig::default());
    env.exec(&format!("UPDATE flats SET archived = TRUE WHERE id = {id}"))
        .await;
    resync_all(&rt).await;
    assert_eq!(
        on_platform(&env, code).room_status,
        0,
        "an archived room whose sync went unanswered must go off shelf"
    );
    assert_eq!(env.differences().await, Vec::<String>::new());
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn unanswered_sync_is_maybe_live_sqlite() {
    unanswered_sync_is_maybe_live(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn unanswered_sync_is_maybe_live_postgres() {
    unanswered_sync_is_maybe_live(Backend::Postgres).await;
}

// 2. Calls longer than the lease: the lease is renewed, no other worker takes the item, and
//    every room is sent once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn leases_are_renewed_while_a_call_runs() {
    let env = env_with(Backend::Sqlite, 10, |c| {
        c.faults.latency_ms = 6_000;
        c.faults.jitter_ms = 3_000;
        c.faults.methods = ROOM_SYNC.iter().map(|m| m.to_string()).collect();
    })
    .await;
    let text = env
        .config_text(500.0, 20)
        .replace("lease_secs = 30", "lease_secs = 5")
        .replace("concurrency = 8", "concurrency = 4");
    let cfg = rentsync::config::Config::parse(&text, env.dir.path()).expect("config");
    let rt = Runtime::start(cfg).await.expect("runtime");
    resync_all(&rt).await;
    let rooms = env.h.sandbox.rooms();
    let calls: u64 = rooms.iter().map(|r| r.room_calls).sum();
    assert_eq!(
        calls,
        rooms.len() as u64,
        "each room sent once: {:?}",
        rooms
            .iter()
            .map(|r| (&r.room_code, r.room_calls))
            .collect::<Vec<_>>()
    );
    let (max_fencing,): (i64,) = sqlx::query_as("SELECT MAX(fencing) FROM rentsync_items")
        .fetch_one(&rt.outbox.db.pool)
        .await
        .unwrap();
    assert_eq!(max_fencing, 1, "no item was claimed twice");
    assert_eq!(env.differences().await, Vec::<String>::new());
}

// 3 + 4. A rule break that arrives while the item is leased is never sent, and a negative deposit
//    is such a break, named by its source column and value (it used to go out as "0.50").
async fn break_while_leased(backend: Backend) {
    let env = env_with(backend, 6, |_| {}).await;
    let rt = runtime(&env, 20, "", "").await;
    resync_all(&rt).await;
    let flats = listed_flats(&env);
    let (code, id) = flats[0].clone();
    let before = on_platform(&env, &code);
    // A slow platform: the next room call of this flat is in flight when the break arrives.
    env.h.sandbox.set_faults(FaultConfig {
        latency_ms: 2_500,
        methods: ROOM_SYNC.iter().map(|m| m.to_string()).collect(),
        ..Default::default()
    });
    let now = env.seconds_ago(0);
    env.exec(&format!(
        "UPDATE flats SET rent = rent + 7, updated_at = {now} WHERE id = {id}"
    ))
    .await;
    let t = &rt.tenants[0];
    let source = t.source.as_ref().unwrap();
    let feed = rt.cfg.source.feed();
    poll(t, source, &rt.outbox, &feed).await.unwrap();
    let worker = {
        let (t, outbox, owner) = (t.clone(), rt.outbox.clone(), rt.owner.clone());
        let settings = rt.cfg.worker.settings();
        tokio::spawn(async move {
            let stop = std::sync::atomic::AtomicBool::new(false);
            rentsync::worker::drain_once(&t, &outbox, &owner, &settings, &stop).await
        })
    };
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(item(&rt, &code).await.0, "leased");
    env.exec(&format!(
        "UPDATE flats SET deposit = -0.5, updated_at = {now} WHERE id = {id}",
        now = env.seconds_ago(0)
    ))
    .await;
    poll(t, source, &rt.outbox, &feed).await.unwrap();
    worker.await.unwrap().unwrap();
    env.h.sandbox.set_faults(FaultConfig::default());
    let s = resync(&rt, Duration::from_secs(30)).await.unwrap();
    let (status, _, error) = item(&rt, &code).await;
    assert_eq!(status, "invalid", "{s:?} {error}");
    assert!(
        error.contains("deposit_fen") && error.contains("-50"),
        "the message names the source column and value: {error}"
    );
    let after = on_platform(&env, &code);
    assert_eq!(
        after.room_calls,
        before.room_calls + 1,
        "only the valid edit went out"
    );
    assert_ne!(
        after.biz_content["max_deposit_amount"].as_str(),
        Some("0.50")
    );
    assert_ne!(
        after.biz_content["max_deposit_amount"].as_str(),
        Some("-0.50")
    );
    let (attempts,): (i64,) = sqlx::query_as("SELECT MIN(attempts) FROM rentsync_items")
        .fetch_one(&rt.outbox.db.pool)
        .await
        .unwrap();
    assert!(attempts >= 0, "attempts never go negative");
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn break_while_leased_sqlite() {
    break_while_leased(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn break_while_leased_mysql() {
    break_while_leased(Backend::Mysql).await;
}

// 5 + 6. `retry --invalid` plans again from the source: a room that still breaks a rule stays
//    invalid. A live room that turns invalid is shown as live with older values, and the
//    `off_shelf` policy takes it off shelf.
async fn invalid_live_rooms(backend: Backend) {
    let env = env_with(backend, 6, |_| {}).await;
    let rt = runtime(&env, 20, "", "").await;
    resync_all(&rt).await;
    let flats = listed_flats(&env);
    let (code, id) = flats[0].clone();
    let calls_before = on_platform(&env, &code).room_calls;
    env.exec(&format!(
        "UPDATE flats SET rent = -1500, updated_at = {} WHERE id = {id}",
        env.seconds_ago(0)
    ))
    .await;
    resync_all(&rt).await;
    let (status, synced, error) = item(&rt, &code).await;
    assert_eq!(status, "invalid");
    assert!(
        error.contains("rent_fen") && error.contains("-150000"),
        "{error}"
    );
    assert!(synced.as_deref().is_some_and(|s| s.starts_with("on/")));
    let report = rentsync::cli::status_report(&rt.outbox, 20).await.unwrap();
    assert_eq!(report.live_with_older_values.get("t1"), Some(&1));
    assert!(report
        .recent_failures
        .iter()
        .any(|f| f.room_code == code && f.live_with_older_values));

    // retry --invalid: re-planned, still invalid, nothing sent.
    let config = env.dir.path().join("rentsync.toml");
    std::fs::write(&config, env.config_text(500.0, 20)).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rentsync"))
        .args(["retry", "--invalid", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    resync(&rt, Duration::from_secs(20)).await.unwrap();
    assert_eq!(item(&rt, &code).await.0, "invalid");
    assert_eq!(on_platform(&env, &code).room_calls, calls_before);

    // The off_shelf policy takes the live invalid room off shelf, and only that.
    let rt2 = runtime(&env, 20, "", "invalid_listings = \"off_shelf\"").await;
    env.exec(&format!(
        "UPDATE flats SET rent = -1501, updated_at = {} WHERE id = {id}",
        env.seconds_ago(0)
    ))
    .await;
    resync_all(&rt2).await;
    let room = on_platform(&env, &code);
    assert_eq!(room.room_status, 0, "taken off shelf while invalid");
    assert_eq!(room.room_calls, calls_before, "its content is never sent");
    assert_eq!(item(&rt2, &code).await.0, "invalid");
    let report = rentsync::cli::status_report(&rt2.outbox, 20).await.unwrap();
    assert_eq!(report.live_with_older_values.get("t1"), None);
    // Fixed in the source: back on shelf with the new values.
    env.exec(&format!(
        "UPDATE flats SET rent = 2345, updated_at = {} WHERE id = {id}",
        env.seconds_ago(0)
    ))
    .await;
    resync_all(&rt2).await;
    let room = on_platform(&env, &code);
    assert_eq!(room.room_status, 1);
    assert_eq!(room.biz_content["room_amount"].as_str(), Some("2345.00"));
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn invalid_live_rooms_sqlite() {
    invalid_live_rooms(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn invalid_live_rooms_postgres() {
    invalid_live_rooms(Backend::Postgres).await;
}

/// Waits until `code` is off shelf on the platform; the time it took.
async fn off_shelf_within(env: &Env, code: &str, limit: Duration) -> Duration {
    let t = Instant::now();
    while on_platform(env, code).room_status != 0 {
        assert!(t.elapsed() < limit, "{code} still on shelf after {limit:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    t.elapsed()
}

// 7. A hard delete goes off shelf within seconds: by the key scan, and on PostgreSQL by the
//    trigger's NOTIFY (the key scan interval set far beyond the test's limit).
async fn hard_deletes(backend: Backend, key_scan: &str) {
    let env = env_with(backend, 8, |_| {}).await;
    let rt = std::sync::Arc::new(runtime(&env, 20, key_scan, "").await);
    resync_all(&rt).await;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let daemon = rentsync::cli::Daemon::spawn(rt.clone(), stop, Default::default())
        .await
        .unwrap();
    let (code, id) = listed_flats(&env)[0].clone();
    env.exec(&format!(
        "DELETE FROM photos WHERE owner_kind = 'flat' AND owner_id = {id}"
    ))
    .await;
    env.exec(&format!("DELETE FROM flats WHERE id = {id}"))
        .await;
    let took = off_shelf_within(&env, &code, Duration::from_secs(15)).await;
    eprintln!("{backend:?}: hard delete off shelf after {took:?}");
    daemon.stop(Duration::from_secs(5)).await.unwrap();
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hard_deletes_by_key_scan_sqlite() {
    hard_deletes(Backend::Sqlite, "key_scan_secs = 1").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hard_deletes_by_notify_postgres() {
    hard_deletes(Backend::Postgres, "key_scan_secs = 3600").await;
}

// 8. A view that suddenly returns no rows does not take every room off shelf: the delists are
//    held and shown until confirmed.
async fn mass_delist_guard(backend: Backend) {
    let env = env_with(backend, 40, |_| {}).await;
    let rt = runtime(&env, 20, "", "").await;
    resync_all(&rt).await;
    let live_before = env
        .h
        .sandbox
        .rooms()
        .iter()
        .filter(|r| r.room_status == 1)
        .count();
    env.exec("DELETE FROM bedrooms").await;
    env.exec("DELETE FROM photos WHERE owner_kind IN ('flat', 'bedroom')")
        .await;
    env.exec("DELETE FROM flats").await;
    let t = &rt.tenants[0];
    let feed = rt.cfg.source.feed();
    let stats = full_scan(t, t.source.as_ref().unwrap(), &rt.outbox, &feed)
        .await
        .unwrap();
    assert!(stats.held > 0, "{stats:?}");
    resync_all(&rt).await;
    let live_now = env
        .h
        .sandbox
        .rooms()
        .iter()
        .filter(|r| r.room_status == 1)
        .count();
    assert_eq!(live_now, live_before, "held: nothing went off shelf");
    let report = rentsync::cli::status_report(&rt.outbox, 5).await.unwrap();
    assert_eq!(report.delist_holds.len(), 1, "{:?}", report.delist_holds);
    assert!(report
        .render(rentsync::report::Format::Table)
        .contains("mass delist HELD"));

    assert_eq!(rt.outbox.confirm_delists(None).await.unwrap(), 1);
    let stats = full_scan(t, t.source.as_ref().unwrap(), &rt.outbox, &feed)
        .await
        .unwrap();
    assert_eq!(stats.held, 0);
    assert!(stats.taken_off > 0);
    resync_all(&rt).await;
    assert_eq!(env.differences().await, Vec::<String>::new());
    assert!(rt.outbox.delist_holds().await.unwrap().is_empty());
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mass_delist_guard_sqlite() {
    mass_delist_guard(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mass_delist_guard_postgres() {
    mass_delist_guard(Backend::Postgres).await;
}

// 9. A row stamped in the future does not carry the watermark past now.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn future_updated_at_does_not_hide_later_changes() {
    let env = env_with(Backend::Sqlite, 6, |_| {}).await;
    let rt = runtime(&env, 20, "", "").await;
    resync_all(&rt).await;
    let flats = listed_flats(&env);
    assert!(flats.len() >= 2);
    env.exec(&format!(
        "UPDATE flats SET rent = rent + 1, updated_at = strftime('%Y-%m-%d %H:%M:%f', 'now', '+1 day') WHERE id = {}",
        flats[0].1
    ))
    .await;
    let t = &rt.tenants[0];
    let source = t.source.as_ref().unwrap();
    let feed = rt.cfg.source.feed();
    poll(t, source, &rt.outbox, &feed).await.unwrap();
    // Later than the overlap window: only the watermark can find this one.
    tokio::time::sleep(Duration::from_millis(200)).await;
    env.exec(&format!(
        "UPDATE flats SET rent = 3333, updated_at = {} WHERE id = {}",
        env.seconds_ago(0),
        flats[1].1
    ))
    .await;
    let s = poll(t, source, &rt.outbox, &feed).await.unwrap();
    assert!(s.queued.changed >= 1, "the later change was missed: {s:?}");
    resync_all(&rt).await;
    assert_eq!(
        on_platform(&env, &flats[1].0).biz_content["room_amount"].as_str(),
        Some("3333.00")
    );
}

// 10. Two replicas starting together on a fresh PostgreSQL state database both get through
//     their first scans, and an older version of a row never overwrites a newer one.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replicas_start_together_on_postgres() {
    let env = env_with(Backend::Postgres, 120, |_| {}).await;
    let (a, b) = tokio::join!(runtime(&env, 20, "", ""), runtime(&env, 20, "", ""));
    let feed = a.cfg.source.feed();
    let (ta, tb) = (&a.tenants[0], &b.tenants[0]);
    let (ra, rb) = tokio::join!(
        full_scan(ta, ta.source.as_ref().unwrap(), &a.outbox, &feed),
        full_scan(tb, tb.source.as_ref().unwrap(), &b.outbox, &feed)
    );
    ra.expect("replica a");
    rb.expect("replica b");
    let counts = a.outbox.counts().await.unwrap();
    let total: i64 = counts.values().sum();
    assert!(total >= 120, "{counts:?}");

    // Compare-and-set on the source version.
    let today = chrono::Utc::now().date_naive();
    let mut rows = ta
        .source
        .as_ref()
        .unwrap()
        .page(rentsync::source::VIEWS[0], "", 1)
        .await
        .unwrap();
    let row = rows.remove(0);
    let code = row.listing.room_code().to_string();
    let mut newer_listing = row.listing.clone();
    newer_listing.photos.push("newer.jpg".into());
    let mut newer = rentsync::plan::plan_with(newer_listing, vec![], today);
    newer.version = row.updated_at_us + 10;
    let mut older_listing = row.listing;
    older_listing.photos.push("older.jpg".into());
    let mut older = rentsync::plan::plan_with(older_listing, vec![], today);
    older.version = row.updated_at_us + 5;
    let policy = rentsync::plan::InvalidListings::Keep;
    let c = a
        .outbox
        .enqueue("t1", &[newer.clone()], policy)
        .await
        .unwrap();
    assert_eq!(c.changed, 1);
    let c = a.outbox.enqueue("t1", &[older], policy).await.unwrap();
    assert_eq!(c.changed, 0, "an older version changes nothing");
    let kind = newer.listing.kind_label();
    let stored = a.outbox.lookup("t1", kind, &[code.as_str()]).await.unwrap();
    assert_eq!(stored[&code].content_hash, newer.content_hash);
    env.cleanup().await;
}

// 12. A photo host that is down for a moment delays the room instead of dropping the photo.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn transient_photo_errors_retry_the_room() {
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;
    let env = env_with(Backend::Sqlite, 4, |_| {}).await;
    let jpeg = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/room.jpg")).unwrap();
    let hits = Arc::new(AtomicU32::new(0));
    let served = hits.clone();
    let app = axum::Router::new().route(
        "/p.jpg",
        axum::routing::get(move || {
            let (hits, jpeg) = (served.clone(), jpeg.clone());
            async move {
                if hits.fetch_add(1, Ordering::SeqCst) < 2 {
                    (axum::http::StatusCode::SERVICE_UNAVAILABLE, Vec::new())
                } else {
                    (axum::http::StatusCode::OK, jpeg)
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/p.jpg", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let (id,): (i64,) = sqlx::query_as(
        "SELECT id FROM flats WHERE rent_type = 'whole' AND listed = 1 ORDER BY id LIMIT 1",
    )
    .fetch_one(&env.op.pool)
    .await
    .unwrap();
    env.exec(&format!(
        "DELETE FROM photos WHERE owner_kind = 'flat' AND owner_id = {id}; \
         INSERT INTO photos (owner_kind, owner_id, position, location) VALUES ('flat', {id}, 0, '{url}')"
    ))
    .await;
    let rt = runtime(&env, 20, "", "photo_hosts_allow = [\"127.0.0.1/32\"]").await;
    resync_all(&rt).await;
    let room = on_platform(&env, &format!("{id}00"));
    let images = room.biz_content["images"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        images.len(),
        1,
        "published with its photo: {:?}",
        room.biz_content
    );
    assert!(hits.load(Ordering::SeqCst) >= 3);
}

// Rule breaks name the source column and value behind the platform field; personal data is
// named by column only.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rule_breaks_name_the_source_column_and_value() {
    let env = env_with(Backend::Sqlite, 4, |_| {}).await;
    let rt = runtime(&env, 20, "", "").await;
    let (id,): (i64,) = sqlx::query_as(
        "SELECT id FROM flats WHERE rent_type = 'whole' AND listed = 1 ORDER BY id LIMIT 1",
    )
    .fetch_one(&env.op.pool)
    .await
    .unwrap();
    env.exec(&format!(
        "UPDATE flats SET rent = 50, agent_tel = '13812345678' WHERE id = {id}"
    ))
    .await;
    resync(&rt, Duration::from_secs(20)).await.unwrap();
    let (status, _, error) = item(&rt, &format!("{id}00")).await;
    assert_eq!(status, "invalid");
    assert!(
        error.contains("room_amount 租金: ") && error.contains("rent_fen = 5000"),
        "the field with its Chinese title, and the source column: {error}"
    );
    assert!(error.contains("owners_tel (value withheld)"), "{error}");
    assert!(
        !error.contains("13812345678"),
        "a phone number in a message: {error}"
    );
}

// `rentsync explain`: the source row, the plan and its rule check, the item, the last accepted
// room and the calls, with personal data masked.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn explain_tells_why_a_room_is_or_is_not_live() {
    let env = env_with(Backend::Sqlite, 40, |_| {}).await;
    let rt = runtime(&env, 20, "", "").await;
    resync_all(&rt).await;
    let (code, id) = listed_flats(&env)[0].clone();
    let config = env.dir.path().join("rentsync.toml");
    std::fs::write(&config, env.config_text(500.0, 20)).unwrap();
    let explain = |code: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_rentsync"))
            .args(["explain", code, "--config"])
            .arg(&config)
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (ok, text) = explain(&code);
    assert!(ok, "{text}");
    assert!(
        text.contains("verdict: in step: the platform shows it on/"),
        "{text}"
    );
    assert!(
        text.contains("found in rentsync_dispersion_rooms"),
        "{text}"
    );
    assert!(text.contains("rule check: passes"), "{text}");
    assert!(text.contains("last accepted 20"), "{text}");
    assert!(
        text.contains("alipay.eco.renthouse.room.dispersion.sync  success"),
        "{text}"
    );
    let (tel,): (String,) = sqlx::query_as(&format!("SELECT agent_tel FROM flats WHERE id = {id}"))
        .fetch_one(&env.op.pool)
        .await
        .unwrap();
    assert!(!text.contains(&tel), "a phone number in the output: {text}");

    // Changed in the source and not scanned yet: the queue lags behind the row.
    let flats = listed_flats(&env);
    let (changed, changed_id) = flats[1].clone();
    env.exec(&format!(
        "UPDATE flats SET rent = rent + 100 WHERE id = {changed_id}"
    ))
    .await;
    let (_, text) = explain(&changed);
    assert!(
        text.contains("verdict: the source changed since it was queued"),
        "{text}"
    );
    // Scanned and queued, not sent yet.
    scan_all(&rt).await;
    let (_, text) = explain(&changed);
    assert!(text.contains("verdict: pending"), "{text}");
    // Deleted from the source while live, then taken off.
    let (deleted, deleted_id) = flats[2].clone();
    env.exec(&format!("DELETE FROM flats WHERE id = {deleted_id}"))
        .await;
    let (_, text) = explain(&deleted);
    assert!(
        text.contains("verdict: gone from the source; still live: an off-shelf is due"),
        "{text}"
    );
    resync(&rt, Duration::from_secs(20)).await.unwrap();
    let (_, text) = explain(&deleted);
    assert!(
        text.contains("verdict: gone from the source and not live"),
        "{text}"
    );
    let (_, text) = explain(&changed);
    assert!(
        text.contains("verdict: in step: the platform shows it on/"),
        "{text}"
    );

    env.exec(&format!("UPDATE flats SET rent = -1500 WHERE id = {id}"))
        .await;
    resync(&rt, Duration::from_secs(20)).await.unwrap();
    let (_, text) = explain(&code);
    assert!(
        text.contains("breaks a rule: never sent; live with older values"),
        "{text}"
    );
    assert!(text.contains("rent_fen"), "{text}");

    let (ok, text) = explain("no-such-room");
    assert!(!ok, "an unknown room is a failure: {text}");
}

// Claims alternate between kinds (each its own platform method and rate limit), so a backlog of
// one kind never keeps the workers off the other.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn claims_alternate_between_kinds() {
    let env = env_with(Backend::Sqlite, 60, |_| {}).await;
    let rt = runtime(&env, 20, "", "").await;
    scan_all(&rt).await;
    let items = rt
        .outbox
        .claim("t1", "test", 4, Duration::from_secs(30))
        .await
        .unwrap();
    let kinds: Vec<&str> = items.iter().map(|i| i.kind.as_str()).collect();
    assert_eq!(kinds.len(), 4);
    assert_eq!(
        kinds.iter().filter(|k| **k == "concentration").count(),
        2,
        "{kinds:?}"
    );
}

/// A source whose first whole flat is off shelf and archived before anything was synced:
/// (env, its room code, its flat id).
async fn archived_before_its_first_sync() -> (Env, String, String) {
    let env = env_with(Backend::Sqlite, 6, |_| {}).await;
    let (id,): (i64,) =
        sqlx::query_as("SELECT MIN(id) FROM flats WHERE rent_type = 'whole' AND NOT archived")
            .fetch_one(&env.op.pool)
            .await
            .expect("a whole flat");
    env.exec(&format!(
        "UPDATE flats SET listed = false, rented = false, archived = true, updated_at = {} WHERE id = {id}",
        env.seconds_ago(0)
    ))
    .await;
    (env, format!("{}", id * 100), id.to_string())
}

async fn restore(env: &Env, flat_id: &str) {
    env.exec(&format!(
        "UPDATE flats SET archived = false, updated_at = {} WHERE id = {flat_id}",
        env.seconds_ago(0)
    ))
    .await;
}

// 13. A room archived before it was ever sent, then restored while it is off shelf, still
//     reaches the platform. Archived or not, its content and its state (off shelf, vacant) read
//     the same: a change key without `active` saw nothing to do and left it unsent for good
//     (found by the soak test, seed 15022240956718404580, shared bedrooms of flat 1007).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_room_restored_off_shelf_is_added() {
    let (env, code, id) = archived_before_its_first_sync().await;
    let rt = runtime(&env, 20, "", "").await;
    resync_all(&rt).await;
    assert!(
        !env.h.sandbox.rooms().iter().any(|r| r.room_code == code),
        "an archived room is never added"
    );
    restore(&env, &id).await;
    let dry = rentsync::cli::dry_run(&rt.cfg, 1000).await.unwrap();
    let t = &dry.tenants[0];
    assert_eq!((t.create, t.update), (1, 0), "the dry-run says it is added");
    resync_all(&rt).await;
    let room = on_platform(&env, &code);
    assert_eq!(room.room_status, 0, "added off shelf, as the source says");
    env.cleanup().await;
}

// 14. The same flip while a worker holds the archived room: finishing the older listing must
//     leave the restored one pending, not mark it done unsent.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_restore_during_a_lease_is_not_lost() {
    let (env, code, id) = archived_before_its_first_sync().await;
    let rt = runtime(&env, 20, "", "").await;
    scan_all(&rt).await;
    let held = loop {
        let items = rt
            .outbox
            .claim("t1", "test", 64, Duration::from_secs(30))
            .await
            .unwrap();
        assert!(!items.is_empty(), "the archived room was never claimed");
        if let Some(i) = items.into_iter().find(|i| i.key == code) {
            break i;
        }
    };
    assert!(!held.listing.active);
    restore(&env, &id).await;
    scan_all(&rt).await;
    let finished = rt
        .outbox
        .finish(&held, rentsync::outbox::Finish::Done { warnings: None })
        .await
        .unwrap();
    assert!(finished, "the lease was still held");
    assert_eq!(
        item(&rt, &code).await.0,
        "pending",
        "the restored room waits to be sent"
    );
    env.cleanup().await;
}

// Weighed by time left, the claims give the kind with more work more of the workers: a resync
// runs as long as its slowest kind, so an even split left the long kind below its method's rate.
async fn claims_favour_the_kind_with_more_work_left(backend: Backend) {
    let env = env_with(backend, 60, |_| {}).await;
    let rt = runtime(&env, 20, "", "").await;
    scan_all(&rt).await;
    let backlog = rt.outbox.backlog("t1").await.unwrap();
    let (d, c) = (backlog["dispersion"], backlog["concentration"]);
    assert!(d > 0 && c > 0, "{backlog:?}");
    let mut mix = rentsync::outbox::ClaimMix::default();
    // Equal rates: the weights are the backlogs.
    mix.set_weight("dispersion", d as f64);
    mix.set_weight("concentration", c as f64);
    let n = ((d + c) / 2) as usize;
    let mut claimed = Vec::new();
    while claimed.len() < n {
        let items = rt
            .outbox
            .claim_mixed("t1", "test", 4, Duration::from_secs(30), &mut mix)
            .await
            .unwrap();
        assert!(!items.is_empty());
        claimed.extend(items.into_iter().map(|i| i.kind));
    }
    let share = claimed.iter().filter(|k| *k == "dispersion").count() as f64 / claimed.len() as f64;
    let want = d as f64 / (d + c) as f64;
    assert!(
        (want - 0.5).abs() > 0.1,
        "the fixture's kinds differ in size: {backlog:?}"
    );
    assert!(
        (share - want).abs() < 0.05,
        "dispersion took {share:.2} of the claims, its share of the work is {want:.2}"
    );
    assert_eq!(
        rt.outbox.backlog("t1").await.unwrap()["dispersion"],
        d,
        "leased items are still work left"
    );
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn claims_favour_the_kind_with_more_work_left_sqlite() {
    claims_favour_the_kind_with_more_work_left(Backend::Sqlite).await;
}

// The backlog count is the same statement on every state database; a failed count would only
// leave the weights as they were (logged at debug), so each backend is checked here.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn claims_favour_the_kind_with_more_work_left_postgres() {
    claims_favour_the_kind_with_more_work_left(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn claims_favour_the_kind_with_more_work_left_mysql() {
    claims_favour_the_kind_with_more_work_left(Backend::Mysql).await;
}
