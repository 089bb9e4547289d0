//! Every optional field (docs/SOURCE_CONTRACT.md, "Optional columns" and "Child views") from the
//! fixture database to the sandbox, on SQLite, PostgreSQL and MariaDB, under both families: each
//! field arrives in its wire form, a change to one is sent again, a bad value is refused naming
//! its column, and a view without the optional columns still syncs.

mod common;

use std::time::Duration;

use common::engine::{Backend, Env};
use rentsync::cli::{resync, Runtime};
use rentsync::model::{ListingDetails, Room};
use rentsync::plan::{plan_with, Listing};
use rentsync::source::{Source, VIEWS};
use serde_json::{json, Value};

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

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Family {
    Renthouse,
    Housing,
}

fn config(env: &Env, family: Family) -> rentsync::config::Config {
    let text = env.config_text(500.0, 5);
    let text = match family {
        Family::Renthouse => text,
        Family::Housing => {
            text.replace("[tenant.rates]", "family = \"housing\"\n[tenant.rates]") + DIVISIONS
        }
    };
    rentsync::config::Config::parse(&text, env.dir.path()).expect("config")
}

async fn resync_all(rt: &Runtime) {
    let s = resync(rt, Duration::from_secs(120)).await.expect("resync");
    assert_eq!(s[0].outstanding, 0, "resync left work outstanding: {s:?}");
}

fn today() -> chrono::NaiveDate {
    chrono::Utc::now()
        .with_timezone(&rentsync::alipay::client::china())
        .date_naive()
}

/// Every valid, active listing of the source.
async fn listings(env: &Env) -> Vec<Listing> {
    let source = Source::connect(&env.op_url).await.expect("source");
    let mut out = Vec::new();
    for view in VIEWS {
        let rows = source.page(view, "", 100_000).await.expect("page");
        for r in rows {
            let p = plan_with(r.listing, r.breaks, today());
            if p.is_valid() && p.listing.active {
                out.push(p.listing);
            }
        }
    }
    out
}

fn details(l: &Listing) -> &ListingDetails {
    match &l.room {
        Room::Dispersion(r) => &r.details,
        Room::Concentration(r) => &r.details,
    }
}

/// A listing that fills every optional field its view has.
fn full(l: &Listing) -> bool {
    let d = details(l);
    let common = !d.pay_plans.is_empty()
        && !d.fees.is_empty()
        && d.pay_type.is_some()
        && d.min_rent_days.is_some()
        && d.commission.is_some()
        && d.orientation.is_some()
        && d.elevator.is_some()
        && !d.tags.is_empty()
        && d.listing_date.is_some();
    match &l.room {
        Room::Dispersion(r) => common && r.shared.is_none() && d.door_no.is_some(),
        Room::Concentration(_) => common && d.max_area_centi.is_some(),
    }
}

fn yuan(fen: i64) -> Value {
    json!(rentsync::model::Money(fen).yuan())
}

fn day(d: Option<chrono::NaiveDate>) -> Value {
    json!(d.expect("a date").format("%Y-%m-%d").to_string())
}

/// What the renthouse sandbox holds for a listing, field by field against the source.
fn renthouse_mismatches(l: &Listing, biz: &Value) -> Vec<String> {
    let d = details(l);
    let mut want = vec![
        ("pay_type", json!(d.pay_type)),
        ("fee_remark", json!(d.fee_remark)),
        ("max_lease_time", day(d.lease_until)),
        ("min_rent_days", json!(d.min_rent_days)),
        ("free_begin_date", day(d.free_deposit_from)),
        ("free_end_date", day(d.free_deposit_until)),
        ("room_store_no", json!(d.store_no)),
        ("detail_address", json!(d.detail_url)),
        ("feature", json!(d.features)),
        ("video", json!(d.video_url)),
        (
            "commission_type",
            json!(d.commission.map(|c| c.kind_code())),
        ),
        ("commission", json!(d.commission.map(|c| c.decimal()))),
    ];
    for (i, p) in d.pay_plans.iter().enumerate() {
        want.push(("pay_type_list[].pay_type", json!([i, p.pay_type])));
        want.push(("pay_type_list[].room_amount", json!([i, p.rent.yuan()])));
    }
    for (i, f) in d.fees.iter().enumerate() {
        want.push(("other_amount[].name", json!([i, f.name])));
        want.push(("other_amount[].amount", json!([i, f.amount.yuan()])));
    }
    match &l.room {
        Room::Dispersion(_) => {
            want.push(("flat_building", json!(d.building_no)));
            want.push(("flat_unit", json!(d.unit_no)));
            want.push(("room_num", json!(d.door_no)));
        }
        Room::Concentration(_) => {
            want.push(("max_deposit_amount", json!(d.max_deposit.map(|m| m.yuan()))));
            want.push(("room_max_area", yuan(d.max_area_centi.expect("max area"))));
            for (i, p) in d.pay_plans.iter().enumerate() {
                let max = p.max_rent.map(|m| m.yuan());
                want.push(("pay_type_list[].max_amount", json!([i, max])));
            }
        }
    }
    let mut out = Vec::new();
    for (field, w) in want {
        let got = match field.split_once("[].") {
            Some((list, leaf)) => {
                let i = w[0].as_u64().unwrap_or(0) as usize;
                let got = biz[list][i][leaf].clone();
                (got != w[1]).then(|| format!("{field}[{i}]: sandbox {got}, source {}", w[1]))
            }
            None => {
                (biz[field] != w).then(|| format!("{field}: sandbox {}, source {w}", biz[field]))
            }
        };
        out.extend(got);
    }
    out
}

/// What the housing sandbox holds for a listing, against the source.
fn housing_mismatches(l: &Listing, fields: &serde_json::Map<String, Value>) -> Vec<String> {
    let d = details(l);
    let mut want = vec![
        ("orientation", json!(d.orientation)),
        ("house_label", json!(d.tags)),
    ];
    match &l.room {
        Room::Dispersion(_) => {
            want.push(("renovation", json!(d.decoration)));
            want.push((
                "elevator",
                json!(if d.elevator == Some(true) {
                    "有"
                } else {
                    "无"
                }),
            ));
            want.push(("floor_range", json!(d.floor_band)));
            want.push(("listing_date", day(d.listing_date)));
            let door = format!(
                "{}栋{}单元{}室",
                d.building_no.as_deref().unwrap_or_default(),
                d.unit_no.as_deref().unwrap_or_default(),
                d.door_no.as_deref().unwrap_or_default()
            );
            want.push(("doorplate_number", json!(door)));
        }
        Room::Concentration(_) => {
            want.push(("usable_area_end", yuan(d.max_area_centi.expect("max area"))));
        }
    }
    let mut out: Vec<String> = want
        .into_iter()
        .filter(|(k, w)| fields.get(*k) != Some(w))
        .map(|(k, w)| format!("{k}: sandbox {:?}, source {w}", fields.get(k)))
        .collect();
    // Fields the family cannot carry never go out.
    for k in [
        "pay_type_list",
        "other_amount",
        "min_rent_days",
        "commission",
        "video",
    ] {
        if fields.contains_key(k) {
            out.push(format!("{k} was sent to the housing family"));
        }
    }
    out
}

async fn every_field_arrives(backend: Backend, family: Family) {
    let env = Env::new(backend, 60, |_| {}).await;
    let rt = Runtime::start(config(&env, family)).await.expect("runtime");
    resync_all(&rt).await;
    let all = listings(&env).await;
    let full: Vec<&Listing> = all.iter().filter(|l| full(l)).collect();
    let whole = full
        .iter()
        .filter(|l| matches!(l.room, Room::Dispersion(_)))
        .count();
    assert!(
        whole >= 2 && full.len() > whole,
        "the fixtures fill every field of whole flats and room types: {whole} of {}",
        full.len()
    );
    let mut diffs = Vec::new();
    match family {
        Family::Renthouse => {
            let rooms = env.h.sandbox.rooms();
            for l in &full {
                let tag = if matches!(l.room, Room::Dispersion(_)) {
                    1
                } else {
                    2
                };
                let Some(r) = rooms
                    .iter()
                    .find(|r| r.room_code == l.room_code() && r.flats_tag == tag)
                else {
                    diffs.push(format!("{}: not on the platform", l.room_code()));
                    continue;
                };
                for d in renthouse_mismatches(l, &r.biz_content) {
                    diffs.push(format!("{}: {d}", l.room_code()));
                }
            }
        }
        Family::Housing => {
            let store = env.h.sandbox.housing();
            for l in &full {
                let found = match l.room {
                    Room::Dispersion(_) => store.house_by_external(l.room_code()).map(|(_, h)| h),
                    Room::Concentration(_) => store
                        .apartments
                        .values()
                        .find(|a| a.external_id == l.room_code()),
                };
                let Some(h) = found else {
                    diffs.push(format!("{}: not on the platform", l.room_code()));
                    continue;
                };
                for d in housing_mismatches(l, &h.fields) {
                    diffs.push(format!("{}: {d}", l.room_code()));
                }
            }
        }
    }
    assert_eq!(diffs, Vec::<String>::new());

    // A change to one optional field alone is sent again.
    let flat = full
        .iter()
        .find(|l| matches!(l.room, Room::Dispersion(_)))
        .expect("a whole flat");
    let id = flat.room_code().trim_end_matches("00").to_string();
    env.exec(&format!(
        "UPDATE listing_terms SET min_days = 45, tags = '近地铁,新上' WHERE owner_kind = 'flat' AND owner_id = {id}"
    ))
    .await;
    env.exec(&format!(
        "UPDATE pay_plans SET rent = rent + 10 WHERE owner_kind = 'flat' AND owner_id = {id} AND position = 2"
    ))
    .await;
    resync_all(&rt).await;
    match family {
        Family::Renthouse => {
            let rooms = env.h.sandbox.rooms();
            let r = rooms
                .iter()
                .find(|r| r.room_code == flat.room_code() && r.flats_tag == 1)
                .expect("the flat");
            assert_eq!(r.biz_content["min_rent_days"], json!(45));
            let before = &details(flat).pay_plans[1].rent;
            assert_eq!(
                r.biz_content["pay_type_list"][1]["room_amount"],
                json!(rentsync::model::Money(before.0 + 1000).yuan())
            );
        }
        Family::Housing => {
            let store = env.h.sandbox.housing();
            let (_, h) = store.house_by_external(flat.room_code()).expect("the flat");
            assert_eq!(h.fields["house_label"], json!(["近地铁", "新上"]));
            assert_eq!(h.modify_calls, 1, "the change is one modify");
        }
    }

    // Bad values are refused, naming the column, its value and the rule.
    env.exec(&format!(
        "UPDATE listing_terms SET facing = '上', min_days = 0 WHERE owner_kind = 'flat' AND owner_id = {id}"
    ))
    .await;
    env.exec(&format!(
        "UPDATE pay_plans SET rent = 50 WHERE owner_kind = 'flat' AND owner_id = {id} AND position = 1"
    ))
    .await;
    let source = Source::connect(&env.op_url).await.expect("source");
    let row = source
        .row(VIEWS[0], flat.room_code())
        .await
        .expect("read")
        .expect("the row");
    let p = plan_with(row.listing, row.breaks, today());
    let text = p.error_text();
    for needle in [
        "source.orientation: \"上\" must be one of 东 南 西 北",
        "min_rent_days 多少天起可租: must be between 1 and 3650 (source: min_rent_days = 0)",
        "pay_type_list[0].room_amount 租金",
        "rentsync_room_pay_plans.rent_fen of row 1 = 5000",
    ] {
        assert!(text.contains(needle), "{needle:?} in {text}");
    }
    rt.close().await;
    env.cleanup().await;
}

/// Replaces both room views by ones with the required columns only and drops the child views.
async fn strip_optional(env: &Env) {
    env.exec("DROP VIEW rentsync_room_pay_plans").await;
    env.exec("DROP VIEW rentsync_room_fees").await;
    for view in VIEWS {
        let full = format!("full_{}", view.name);
        match env.backend {
            Backend::Postgres => {
                env.exec(&format!("ALTER VIEW {} RENAME TO {full}", view.name))
                    .await
            }
            Backend::Mysql => {
                env.exec(&format!("RENAME TABLE {} TO {full}", view.name))
                    .await
            }
            Backend::Sqlite => {
                let (sql,): (String,) = sqlx::query_as(
                    "SELECT sql FROM sqlite_master WHERE type = 'view' AND name = ?",
                )
                .bind(view.name)
                .fetch_one(&env.op.pool)
                .await
                .expect("view sql");
                env.exec(&sql.replacen(view.name, &full, 1)).await;
                env.exec(&format!("DROP VIEW {}", view.name)).await;
            }
        }
        env.exec(&format!(
            "CREATE VIEW {} AS SELECT {} FROM {full}",
            view.name,
            view.contract_columns().join(", ")
        ))
        .await;
    }
}

/// `rentsync check`'s lines about the views.
fn check_views(env: &Env) -> String {
    let path = env.dir.path().join("check.toml");
    std::fs::write(&path, env.config_text(500.0, 5)).expect("config file");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rentsync"))
        .args(["check", "--config"])
        .arg(&path)
        .output()
        .expect("rentsync check");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains("view"))
        .collect::<Vec<_>>()
        .join("\n")
}

async fn a_view_without_optional_columns_still_syncs(backend: Backend) {
    let env = Env::new(backend, 30, |_| {}).await;
    let before = check_views(&env);
    for line in [
        "ok   tenant t1: view rentsync_dispersion_rooms: 22 of 22 optional columns present",
        "ok   tenant t1: view rentsync_dispersion_rooms: columns and types match the contract",
        "ok   tenant t1: child views: rentsync_room_pay_plans present, rentsync_room_fees present",
    ] {
        assert!(before.contains(line), "{line:?} in\n{before}");
    }
    strip_optional(&env).await;
    let after = check_views(&env);
    for line in [
        "ok   tenant t1: view rentsync_concentration_rooms: 0 of 20 optional columns present (not given: pay_type,",
        "ok   tenant t1: child views: rentsync_room_pay_plans not given, rentsync_room_fees not given",
    ] {
        assert!(after.contains(line), "{line:?} in\n{after}");
    }
    let rt = Runtime::start(config(&env, Family::Renthouse))
        .await
        .expect("runtime");
    resync_all(&rt).await;
    assert_eq!(env.differences().await, Vec::<String>::new());
    let rooms = env.h.sandbox.rooms();
    assert!(rooms.len() > 10, "rooms were synced: {}", rooms.len());
    assert!(
        rooms
            .iter()
            .all(|r| r.biz_content.get("pay_type_list").is_none()
                && r.biz_content.get("min_rent_days").is_none()),
        "nothing optional is invented"
    );
    rt.close().await;
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_every_field_reaches_the_renthouse_sandbox() {
    every_field_arrives(Backend::Sqlite, Family::Renthouse).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_every_field_reaches_the_housing_sandbox() {
    every_field_arrives(Backend::Sqlite, Family::Housing).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_every_field_reaches_the_renthouse_sandbox() {
    every_field_arrives(Backend::Postgres, Family::Renthouse).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_every_field_reaches_the_housing_sandbox() {
    every_field_arrives(Backend::Postgres, Family::Housing).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mariadb_every_field_reaches_the_renthouse_sandbox() {
    every_field_arrives(Backend::Mysql, Family::Renthouse).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mariadb_every_field_reaches_the_housing_sandbox() {
    every_field_arrives(Backend::Mysql, Family::Housing).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_a_view_without_optional_columns_still_syncs() {
    a_view_without_optional_columns_still_syncs(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_a_view_without_optional_columns_still_syncs() {
    a_view_without_optional_columns_still_syncs(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mariadb_a_view_without_optional_columns_still_syncs() {
    a_view_without_optional_columns_still_syncs(Backend::Mysql).await;
}

/// The dry-run names the filled columns the tenant's family cannot carry, with their rooms.
async fn the_dry_run_lists_what_the_family_cannot_carry(backend: Backend) {
    let env = Env::new(backend, 40, |_| {}).await;
    for (family, carried, uncarried) in [
        (Family::Housing, "orientation", "min_rent_days"),
        (Family::Renthouse, "min_rent_days", "orientation"),
    ] {
        let report = rentsync::cli::dry_run(&config(&env, family), 500)
            .await
            .expect("dry-run");
        let t = &report.tenants[0];
        let gaps = &t.coverage.cannot_carry;
        let named: Vec<&str> = gaps
            .iter()
            .filter(|g| g.rows > 0)
            .map(|g| g.column.as_str())
            .collect();
        assert!(
            named.contains(&uncarried) && !named.contains(&carried),
            "{family:?}: {named:?}"
        );
        let table = report.render(rentsync::report::Format::Table);
        assert!(
            table.contains("Source columns this family cannot carry") && table.contains(uncarried),
            "{table}"
        );
    }
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_the_dry_run_lists_what_the_family_cannot_carry() {
    the_dry_run_lists_what_the_family_cannot_carry(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_the_dry_run_lists_what_the_family_cannot_carry() {
    the_dry_run_lists_what_the_family_cannot_carry(Backend::Postgres).await;
}

// A view longer than one child-view chunk (5,000 rooms) on SQLite. The scan streams the view
// on one connection while it reads the child rows of each chunk on another: with the source
// held to one connection, as the state database is, the child read waited for the stream, the
// stream for the child read, and the scan failed after the pool's 10 s ("reading
// rentsync_room_pay_plans: the database cannot be read"); found by the 10,000-listing bench.
#[tokio::test(flavor = "multi_thread")]
async fn sqlite_scans_a_view_longer_than_a_child_chunk() {
    let env = Env::new(Backend::Sqlite, 8000, |_| {}).await;
    let (rows,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM rentsync_dispersion_rooms")
        .fetch_one(&env.op.pool)
        .await
        .expect("count");
    assert!(rows > 5000, "the view must outgrow one chunk: {rows} rows");
    let source = Source::connect(&env.op_url).await.expect("source");
    let mut read = 0usize;
    let mut with_plans = 0usize;
    let mut batches = source.scan(VIEWS[0], 1000);
    while let Some(batch) = batches.recv().await {
        let batch = batch.expect("the scan reads the whole view");
        read += batch.len();
        with_plans += batch
            .iter()
            .filter(|r| match &r.listing.room {
                Room::Dispersion(d) => !d.details.pay_plans.is_empty(),
                Room::Concentration(c) => !c.details.pay_plans.is_empty(),
            })
            .count();
    }
    assert_eq!(read as i64, rows);
    assert!(
        with_plans > 0,
        "child rows were read for the later chunks too"
    );
    env.cleanup().await;
}

// The full scan merges the room view and the child views in Rust, so the databases must sort
// room codes as Rust compares them, whatever their collation (PostgreSQL's locale, MariaDB's
// case-insensitive default): `Dialect::bytewise`.
async fn room_codes_sort_bytewise(backend: Backend) {
    let env = Env::new(backend, 0, |_| {}).await;
    env.exec("CREATE TABLE codes (room_code TEXT)").await;
    let codes = [
        "a1", "B1", "100", "1000", "101", "_x", "Z", "é1", "e1", "A-1", "a-1",
    ];
    for c in codes {
        env.exec(&format!("INSERT INTO codes (room_code) VALUES ('{c}')"))
            .await;
    }
    let sql = format!(
        "SELECT room_code FROM codes ORDER BY {}",
        env.op.dialect.bytewise("room_code")
    );
    let rows = sqlx::query(&sql)
        .fetch_all(&env.op.pool)
        .await
        .expect("sorted codes");
    let got: Vec<String> = rows
        .iter()
        .map(|r| {
            rentsync::db::text(r, "room_code")
                .expect("text")
                .unwrap_or_default()
        })
        .collect();
    let mut want: Vec<String> = codes.iter().map(|c| c.to_string()).collect();
    want.sort();
    assert_eq!(got, want, "{backend:?}");
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn room_codes_sort_bytewise_on_sqlite() {
    room_codes_sort_bytewise(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn room_codes_sort_bytewise_on_postgres() {
    room_codes_sort_bytewise(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn room_codes_sort_bytewise_on_mariadb() {
    room_codes_sort_bytewise(Backend::Mysql).await;
}
