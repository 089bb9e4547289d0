//! The housing family (`alipay.commerce.housing.*`) end to end on SQLite and PostgreSQL against
//! the sandbox: a resync publishes every valid listing by add, a price change is a modify, an
//! off-shelf is an offline call, and an add whose answer is lost is found by a query, never
//! added twice.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::engine::{Backend, Env};
use rentsync::cli::{resync, Runtime};
use rentsync::model::{RentStatus, Room, RoomState};
use rentsync::plan::plan_with;
use rentsync::sandbox::housing::HousingStore;
use rentsync::sandbox::FaultConfig;
use rentsync::source::{Source, VIEWS};

/// The fixtures' cities and districts, for the communities the views give only by name.
const DIVISIONS: &str = r#"
[tenant.housing.division_codes]
"上海市" = "310100"
"浦东新区" = "310115"
"徐汇区" = "310104"
"长宁区" = "310105"
"杭州市" = "330100"
"西湖区" = "330106"
"滨江区" = "330108"
"余杭区" = "330110"
"深圳市" = "440300"
"南山区" = "440305"
"福田区" = "440304"
"宝安区" = "440306"
"北京市" = "110100"
"朝阳区" = "110105"
"海淀区" = "110108"
"丰台区" = "110106"
"#;

fn housing_config(env: &Env, request_timeout_secs: u64) -> rentsync::config::Config {
    let text = env
        .config_text(500.0, request_timeout_secs)
        .replace("[tenant.rates]", "family = \"housing\"\n[tenant.rates]")
        + DIVISIONS;
    rentsync::config::Config::parse(&text, env.dir.path()).expect("housing config")
}

async fn resync_all(rt: &Runtime) {
    let s = resync(rt, Duration::from_secs(120)).await.expect("resync");
    assert_eq!(s[0].outstanding, 0, "resync left work outstanding: {s:?}");
}

/// A valid, active listing of the source as the platform should show it.
#[derive(Debug, Clone)]
struct Want {
    dispersion: bool,
    shows: bool,
    rent: String,
    rooms: usize,
}

async fn wanted(env: &Env) -> HashMap<String, Want> {
    let source = Source::connect(&env.op_url).await.expect("source");
    let today = chrono::Utc::now()
        .with_timezone(&rentsync::alipay::client::china())
        .date_naive();
    let mut out = HashMap::new();
    for view in VIEWS {
        let mut after = String::new();
        loop {
            let rows = source.page(view, &after, 1000).await.expect("page");
            let n = rows.len();
            if let Some(last) = rows.last() {
                after = last.listing.room_code().to_string();
            }
            for r in rows {
                let p = plan_with(r.listing, r.breaks, today);
                if !p.is_valid() || !p.listing.active {
                    continue;
                }
                let (state, rent) = p.listing.desired_state();
                let shows = state == RoomState::OnShelf && rent == RentStatus::Vacant;
                let (dispersion, yuan, rooms) = match &p.listing.room {
                    Room::Dispersion(d) => (true, d.rent.yuan(), 1),
                    Room::Concentration(c) => (false, c.rent.yuan(), c.room_numbers.len()),
                };
                out.insert(
                    p.listing.room_code().to_string(),
                    Want {
                        dispersion,
                        shows,
                        rent: yuan,
                        rooms,
                    },
                );
            }
            if n < 1000 {
                break;
            }
        }
    }
    out
}

/// What differs between the source and the sandbox's housing objects, one line each.
fn differences(want: &HashMap<String, Want>, store: &HousingStore) -> Vec<String> {
    let mut diffs = Vec::new();
    for (code, w) in want {
        let (kind, listing, rent_field) = if w.dispersion {
            (
                "house",
                store.house_by_external(code).map(|(_, h)| h),
                "rent",
            )
        } else {
            (
                "apartment",
                store.apartments.values().find(|a| &a.external_id == code),
                "rent_start",
            )
        };
        let adds = store
            .adds
            .get(&format!("{kind}:{code}"))
            .copied()
            .unwrap_or(0);
        if adds != 1 {
            diffs.push(format!("{code}: {adds} {kind}.add calls"));
        }
        let Some(l) = listing else {
            diffs.push(format!("{code}: missing on the platform"));
            continue;
        };
        if l.online != w.shows {
            diffs.push(format!(
                "{code}: online={} but source shows={}",
                l.online, w.shows
            ));
        }
        if l.fields[rent_field].as_str() != Some(w.rent.as_str()) {
            diffs.push(format!(
                "{code}: {rent_field} {} but source {}",
                l.fields[rent_field], w.rent
            ));
        }
        if !w.dispersion {
            let rooms = store
                .apartment_rooms
                .values()
                .filter(|r| r.external_id.starts_with(&format!("{code}#")))
                .count();
            if rooms != w.rooms {
                diffs.push(format!(
                    "{code}: {rooms} apartment rooms but source {}",
                    w.rooms
                ));
            }
        }
    }
    diffs.sort();
    diffs
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
