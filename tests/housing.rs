//! The housing family (`alipay.commerce.housing.*`) end to end on SQLite, PostgreSQL and MariaDB
//! against the sandbox: a resync publishes every valid listing by add, a price change is a
//! modify, an off-shelf is an offline call, an add whose answer is lost is found by a query, never
//! added twice; the same source synced under either family ends equal where the families overlap;
//! a tenant moved from renthouse to housing adds each room once and calls nothing on the old one.

mod common;

use std::time::Duration;

use common::engine::{Backend, Env};
use common::housing::{differences, housing_config, wanted};
use rentsync::cli::{resync, Runtime};
use rentsync::sandbox::FaultConfig;
use serde_json::Value;

/// Two tenants on the same source and sandbox: `rh` on renthouse, `hs` on housing.
fn both_families_text(env: &Env) -> String {
    let one = env.config_text(500.0, 5);
    let at = one.find("[[tenant]]").expect("a tenant block");
    let tenant = &one[at..];
    let rh = tenant.replace("name = \"t1\"", "name = \"rh\"");
    let hs = tenant
        .replace("name = \"t1\"", "name = \"hs\"")
        .replace("[tenant.rates]", "family = \"housing\"\n[tenant.rates]");
    format!(
        "{}{rh}{hs}{}",
        &one[..at],
        rentsync::fixtures::division_codes_toml()
    )
}

async fn resync_all(rt: &Runtime) {
    let s = resync(rt, Duration::from_secs(120)).await.expect("resync");
    assert!(
        s.iter().all(|t| t.outstanding == 0),
        "resync left work outstanding: {s:?}"
    );
}

async fn publishes_modifies_and_takes_off_shelf(backend: Backend) {
    let env = Env::new(backend, 40, |_| {}).await;
    let rt = Runtime::start(housing_config(&env, 5))
        .await
        .expect("runtime");
    resync_all(&rt).await;
    let want = wanted(&env).await;
    assert!(want.values().any(|w| w.dispersion) && want.values().any(|w| !w.dispersion));
    let store = env.h.sandbox.housing();
    let failures = rt.outbox.failures(10).await.expect("failures");
    assert_eq!(
        differences(&want, &store),
        Vec::<String>::new(),
        "failures: {failures:?}"
    );
    assert!(
        store.attachments.len() > 3,
        "photos were uploaded as attachments"
    );
    assert!(
        store.houses.values().all(|h| h.fields["house_pic"]
            .as_array()
            .into_iter()
            .flatten()
            .all(|id| store.attachments.contains_key(id.as_str().unwrap_or("")))),
        "every picture is an attachment id the platform issued"
    );

    // A whole flat that shows: its room code is the flat id followed by "00".
    let (code, housing_id) = store
        .houses
        .iter()
        .filter(|(_, h)| {
            h.online && h.external_id.ends_with("00") && h.fields.get("rented_room").is_none()
        })
        .map(|(id, h)| (h.external_id.clone(), id.clone()))
        .next()
        .expect("a listed whole flat");
    let flat_id = code.trim_end_matches("00");
    env.exec(&format!(
        "UPDATE flats SET rent = rent + 111 WHERE id = {flat_id}"
    ))
    .await;
    resync_all(&rt).await;
    let store = env.h.sandbox.housing();
    let h = &store.houses[&housing_id];
    assert_eq!(
        store.adds[&format!("house:{code}")],
        1,
        "a price change is no second add"
    );
    assert_eq!(h.modify_calls, 1, "a price change is one modify");
    assert_eq!(
        differences(&wanted(&env).await, &store),
        Vec::<String>::new()
    );

    env.exec(&format!(
        "UPDATE flats SET listed = FALSE WHERE id = {flat_id}"
    ))
    .await;
    resync_all(&rt).await;
    let store = env.h.sandbox.housing();
    let h = &store.houses[&housing_id];
    assert!(
        !h.online,
        "off shelf in the source is offline on the platform"
    );
    assert_eq!(h.offline_calls, 1);
    assert_eq!(store.adds[&format!("house:{code}")], 1);
    rt.close().await;
    env.cleanup().await;
}

/// The sandbox applies every `house.rental.add` and loses its answer; the client times out.
async fn a_lost_add_is_found_by_query_not_added_twice(backend: Backend) {
    let env = Env::new(backend, 20, |sb| {
        sb.faults = FaultConfig {
            timeout: 1.0,
            hang_ms: 3_000,
            methods: vec!["house.rental.add".into()],
            ..Default::default()
        };
    })
    .await;
    let rt = Runtime::start(housing_config(&env, 1))
        .await
        .expect("runtime");
    resync_all(&rt).await;
    let store = env.h.sandbox.housing();
    let want = wanted(&env).await;
    assert!(want.values().filter(|w| w.dispersion).count() > 3);
    assert_eq!(differences(&want, &store), Vec::<String>::new());
    let stats = env.h.sandbox.stats_json().to_string();
    assert!(
        stats.contains("fault/timeout"),
        "the fault was applied: {stats}"
    );
    assert!(
        stats.contains("house.rental.query"),
        "lost adds were looked up: {stats}"
    );
    env.h.sandbox.set_faults(FaultConfig::default());
    rt.close().await;
    env.cleanup().await;
}

/// Where the families overlap, what the platform shows under one equals what it shows under the
/// other: every room on both, the same on/off shelf (the housing family has no rented flag, so a
/// let room is off shelf there: "shows" is compared), the same prices and rooms per room type.
/// Read from one `/sandbox/state` snapshot; returns the differences, one line each.
fn overlap_differences(state: &Value) -> Vec<String> {
    let housing = &state["housing"];
    let empty = serde_json::Map::new();
    let objects = |k: &str| {
        housing[k]
            .as_object()
            .unwrap_or(&empty)
            .values()
            .collect::<Vec<_>>()
    };
    let (houses, apartments, rooms) = (
        objects("houses"),
        objects("apartments"),
        objects("apartment_rooms"),
    );
    let mut diffs = Vec::new();
    let mut renthouse = std::collections::HashSet::new();
    for r in state["rooms"].as_array().expect("renthouse rooms") {
        let code = r["room_code"].as_str().unwrap_or_default();
        let dispersion = r["flats_tag"] == 1;
        renthouse.insert((dispersion, code.to_string()));
        let shows = r["room_status"] == 1 && r["rent_status"] == 1;
        let biz = &r["biz_content"];
        let (kind, found) = if dispersion {
            (
                "house",
                houses.iter().rev().find(|h| h["external_id"] == code),
            )
        } else {
            (
                "apartment",
                apartments.iter().rev().find(|a| a["external_id"] == code),
            )
        };
        let adds = housing["adds"][format!("{kind}:{code}")]
            .as_u64()
            .unwrap_or(0);
        if adds > 1 {
            diffs.push(format!("{code}: {adds} {kind}.add calls"));
        }
        let Some(h) = found else {
            diffs.push(format!("{code}: on renthouse, missing on housing"));
            continue;
        };
        if h["online"].as_bool() != Some(shows) {
            diffs.push(format!(
                "{code}: renthouse shows={shows}, housing online={}",
                h["online"]
            ));
        }
        let f = &h["fields"];
        let prices: &[(&str, &str)] = if dispersion {
            &[("room_amount", "rent"), ("foregift_amount", "deposit")]
        } else {
            &[("room_amount", "rent_start"), ("max_amount", "rent_end")]
        };
        for (old, new) in prices {
            if biz[old] != f[new] {
                diffs.push(format!(
                    "{code}: renthouse {old} {} but housing {new} {}",
                    biz[old], f[new]
                ));
            }
        }
        if !dispersion {
            let want = biz["room_info_list"].as_array().map_or(0, Vec::len);
            let prefix = format!("{code}#");
            let got = rooms
                .iter()
                .filter(|r| {
                    r["external_id"]
                        .as_str()
                        .is_some_and(|e| e.starts_with(&prefix))
                })
                .count();
            if got != want {
                diffs.push(format!("{code}: renthouse {want} rooms, housing {got}"));
            }
        }
    }
    for (dispersion, list) in [(true, &houses), (false, &apartments)] {
        for h in list.iter() {
            let code = h["external_id"].as_str().unwrap_or_default().to_string();
            if !renthouse.contains(&(dispersion, code.clone())) {
                diffs.push(format!("{code}: on housing, missing on renthouse"));
            }
        }
    }
    diffs.sort();
    diffs
}

fn cfg_again(env: &Env) -> rentsync::config::Config {
    rentsync::config::Config::parse(&both_families_text(env), env.dir.path())
        .expect("two-family config")
}

async fn both_families_end_equal_where_they_overlap(backend: Backend) {
    let env = Env::new(backend, 40, |_| {}).await;
    let cfg = cfg_again(&env);
    let rt = Runtime::start(cfg).await.expect("runtime");
    resync_all(&rt).await;
    let failures = rt.outbox.failures(10).await.expect("failures");
    assert!(failures.is_empty(), "{failures:?}");
    let state = env.h.get_json("/sandbox/state").await;
    assert!(state["rooms"].as_array().is_some_and(|r| r.len() > 10));
    assert!(state["housing"]["houses"]
        .as_object()
        .is_some_and(|h| h.len() > 5));
    assert!(state["housing"]["apartments"]
        .as_object()
        .is_some_and(|h| !h.is_empty()));
    assert_eq!(overlap_differences(&state), Vec::<String>::new());

    // The dry-run lists where the families differ: what housing cannot carry, and which of its
    // fields the views leave empty; renthouse carries every column.
    let dry = rentsync::cli::dry_run(&cfg_again(&env), 1000)
        .await
        .expect("dry-run");
    let plan = |name: &str| {
        dry.tenants
            .iter()
            .find(|t| t.tenant == name)
            .unwrap_or_else(|| panic!("tenant {name} in the dry-run"))
    };
    let (rh, hs) = (plan("rh"), plan("hs"));
    assert_eq!(rh.coverage.family, "renthouse");
    // Renthouse carries every contract column; only optional ones it has no field for show.
    assert!(
        !rh.coverage
            .cannot_carry
            .iter()
            .any(|g| g.column == "room_face" || g.column == "can_rent")
            && rh.coverage.unfilled.is_empty(),
        "{:?}",
        rh.coverage.cannot_carry
    );
    assert_eq!(hs.coverage.family, "housing");
    let rows = |col: &str| {
        hs.coverage
            .cannot_carry
            .iter()
            .find(|g| g.column == col)
            .map_or(0, |g| g.rows)
    };
    assert!(
        rows("room_face") > 0 && rows("can_rent") > 0,
        "{:?}",
        hs.coverage.cannot_carry
    );
    let house = hs
        .coverage
        .unfilled
        .iter()
        .find(|m| m.method == "house.rental.add")
        .expect("house.rental.add gaps");
    assert!(
        house.fields.contains(&"kitchen".to_string()),
        "{:?}",
        house.fields
    );
    assert!(!house
        .fields
        .iter()
        .any(|f| f == "rent" || f == "house_pic" || f == "bed_room"));
    let table = dry.render(rentsync::report::Format::Table);
    assert!(
        table.contains("Source columns this family cannot carry")
            && table.contains("Fields the views do not fill")
            && table.contains("house.rental.add"),
        "{table}"
    );

    // A change in the source reaches both alike.
    env.exec("UPDATE flats SET rent = rent + 222 WHERE listed")
        .await;
    env.exec("UPDATE room_types SET listed = FALSE WHERE id % 3 = 0")
        .await;
    resync_all(&rt).await;
    let state = env.h.get_json("/sandbox/state").await;
    assert_eq!(overlap_differences(&state), Vec::<String>::new());
    rt.close().await;
    env.cleanup().await;
}

/// The tenant is synced on renthouse, then its config says `housing`: every room is added once
/// on the new family, and the old one gets no call at all, not even for a room deleted from the
/// source after the switch (the new family never listed it; the old listing is the operator's
/// to take down).
async fn a_tenant_moved_to_housing_adds_each_room_once_and_leaves_renthouse_alone(
    backend: Backend,
) {
    let env = Env::new(backend, 30, |_| {}).await;
    let rt = Runtime::start(env.config(500.0, 5)).await.expect("runtime");
    resync_all(&rt).await;
    rt.close().await;
    let before = env.h.sandbox.rooms();
    assert!(before.iter().any(|r| r.room_status == 1));
    let calls = |sb: &rentsync::sandbox::SandboxState| {
        let stats = sb.stats_json();
        stats["calls"]
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(m, _)| m.starts_with("alipay.eco.renthouse."))
            .map(|(m, v)| (m.clone(), v.clone()))
            .collect::<Vec<_>>()
    };
    let renthouse_calls = calls(&env.h.sandbox);

    let gone = before
        .iter()
        .find(|r| r.flats_tag == 1 && r.room_status == 1 && r.room_code.ends_with("00"))
        .expect("a listed whole flat")
        .room_code
        .clone();
    let flat_id = gone.trim_end_matches("00");
    env.exec(&format!(
        "DELETE FROM photos WHERE owner_kind = 'flat' AND owner_id = {flat_id}"
    ))
    .await;
    env.exec(&format!("DELETE FROM flats WHERE id = {flat_id}"))
        .await;

    // Before the switch takes effect, the dry-run already plans every room as new on housing,
    // and nothing to take off (the deleted room was never on housing).
    let want = wanted(&env).await;
    assert!(!want.is_empty());
    let dry = rentsync::cli::dry_run(&housing_config(&env, 5), 1000)
        .await
        .expect("dry-run");
    let plan = &dry.tenants[0];
    assert_eq!(
        (plan.create as usize, plan.update, plan.take_off),
        (want.len(), 0, 0),
        "{}",
        dry.render(rentsync::report::Format::Table)
    );

    let rt = Runtime::start(housing_config(&env, 5))
        .await
        .expect("runtime");
    resync_all(&rt).await;
    let store = env.h.sandbox.housing();
    assert_eq!(differences(&want, &store), Vec::<String>::new());
    assert!(
        store.house_by_external(&gone).is_none(),
        "{gone} was never added"
    );
    assert_eq!(
        calls(&env.h.sandbox),
        renthouse_calls,
        "no renthouse call after the switch"
    );
    let after = env.h.sandbox.rooms();
    assert_eq!(after.len(), before.len());
    for (a, b) in after.iter().zip(&before) {
        assert_eq!(
            (a.room_status, a.room_calls, a.state_calls),
            (b.room_status, b.room_calls, b.state_calls),
            "{}",
            a.room_code
        );
    }

    // A second resync on the same family sends nothing again.
    resync_all(&rt).await;
    assert_eq!(env.h.sandbox.housing().adds, store.adds);
    rt.close().await;
    env.cleanup().await;
}

/// Runs the binary on the environment's housing config; returns its standard output.
fn rentsync_cli(env: &Env, args: &[&str]) -> String {
    let config = env.dir.path().join("housing.toml");
    std::fs::write(&config, common::housing::housing_text(env, 5)).expect("config file");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rentsync"))
        .args(args)
        .arg("--config")
        .arg(&config)
        .env("NO_COLOR", "1")
        .output()
        .expect("rentsync ran");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A field only `house.rental.add` carries changes in the source: the modify goes out without
/// it (the platform would refuse it) and the room is synced with a warning naming the field,
/// the source column and both values, which `status`, `explain` and the dry-run show.
async fn a_changed_add_only_field_is_reported_not_dropped(backend: Backend) {
    let env = Env::new(backend, 20, |_| {}).await;
    let rt = Runtime::start(housing_config(&env, 5))
        .await
        .expect("runtime");
    resync_all(&rt).await;
    let store = env.h.sandbox.housing();
    let (housing_id, h) = store
        .houses
        .iter()
        .find(|(_, h)| h.external_id.ends_with("00") && h.fields.get("rented_room").is_none())
        .expect("a whole flat");
    let code = h.external_id.clone();
    let bedrooms: u32 = h.fields["bed_room"].as_str().unwrap().parse().unwrap();
    let flat_id = code.trim_end_matches("00");
    env.exec(&format!(
        "UPDATE flats SET bedrooms = bedrooms + 1, rent = rent + 1 WHERE id = {flat_id}"
    ))
    .await;
    resync_all(&rt).await;
    let after = env.h.sandbox.housing();
    let h = &after.houses[housing_id];
    assert_eq!(h.modify_calls, 1, "the rest of the change went out");
    assert_eq!(after.adds[&format!("house:{code}")], 1, "no second add");
    assert_eq!(
        h.fields["bed_room"],
        bedrooms.to_string(),
        "the platform keeps the added value"
    );

    let warnings = rt
        .outbox
        .warnings_of(Some("t1"), 100)
        .await
        .expect("warnings");
    let w = warnings
        .iter()
        .find(|w| w.room_code == code)
        .unwrap_or_else(|| panic!("no warning stored for {code}: {warnings:?}"));
    let want = format!(
        "room {code}: bed_room 卧室数量 (source: bedrooms) was \"{bedrooms}\" at house.rental.add and is \"{}\" now",
        bedrooms + 1
    );
    assert!(w.warnings.contains(&want), "{}", w.warnings);

    let status = rentsync_cli(&env, &["status"]);
    assert!(status.contains(&want), "status shows it:\n{status}");
    let explain = rentsync_cli(&env, &["explain", &code]);
    assert!(explain.contains(&want), "explain shows it:\n{explain}");
    let dry = rentsync::cli::dry_run(&housing_config(&env, 5), 1000)
        .await
        .expect("dry-run");
    let changed = &dry.tenants[0].coverage.add_only_changed;
    assert!(
        changed
            .iter()
            .any(|g| g.field == "bed_room" && g.sample.contains(&code)),
        "the dry-run lists it: {changed:?}"
    );

    // A state flip alone keeps the warning: it holds as long as the values differ.
    env.exec(&format!(
        "UPDATE flats SET listed = FALSE WHERE id = {flat_id}"
    ))
    .await;
    resync_all(&rt).await;
    let warnings = rt
        .outbox
        .warnings_of(Some("t1"), 100)
        .await
        .expect("warnings");
    assert!(warnings
        .iter()
        .any(|w| w.room_code == code && w.warnings.contains(&want)));
    rt.close().await;
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_a_changed_add_only_field_is_reported_not_dropped() {
    a_changed_add_only_field_is_reported_not_dropped(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_a_changed_add_only_field_is_reported_not_dropped() {
    a_changed_add_only_field_is_reported_not_dropped(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_both_families_end_equal_where_they_overlap() {
    both_families_end_equal_where_they_overlap(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_both_families_end_equal_where_they_overlap() {
    both_families_end_equal_where_they_overlap(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mysql_both_families_end_equal_where_they_overlap() {
    both_families_end_equal_where_they_overlap(Backend::Mysql).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_a_tenant_moved_to_housing_adds_each_room_once() {
    a_tenant_moved_to_housing_adds_each_room_once_and_leaves_renthouse_alone(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mysql_a_tenant_moved_to_housing_adds_each_room_once() {
    a_tenant_moved_to_housing_adds_each_room_once_and_leaves_renthouse_alone(Backend::Mysql).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mysql_housing_publishes_modifies_and_takes_off_shelf() {
    publishes_modifies_and_takes_off_shelf(Backend::Mysql).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mysql_housing_lost_add_is_found_by_query() {
    a_lost_add_is_found_by_query_not_added_twice(Backend::Mysql).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_housing_publishes_modifies_and_takes_off_shelf() {
    publishes_modifies_and_takes_off_shelf(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_housing_publishes_modifies_and_takes_off_shelf() {
    publishes_modifies_and_takes_off_shelf(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_housing_lost_add_is_found_by_query() {
    a_lost_add_is_found_by_query_not_added_twice(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_housing_lost_add_is_found_by_query() {
    a_lost_add_is_found_by_query_not_added_twice(Backend::Postgres).await;
}
