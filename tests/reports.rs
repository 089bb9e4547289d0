//! The dry-run and status reports say what an operator can act on: the rooms behind each count
//! (updates with the fields that change), rule breaks with the source column and value, failures
//! grouped with their rooms, rooms live with older values, in Chinese or English. Real engine,
//! real SQLite databases, the sandbox gateway.

mod common;

use std::time::Duration;

use common::engine::{Backend, Env};
use rentsync::cli::{dry_run, resync, Runtime};
use rentsync::fixtures::GenOptions;
use rentsync::report::{Format, Lang, ReportMeta};
use rentsync::worker::full_scan;

async fn clean_env(listings: usize) -> Env {
    Env::with_options(
        Backend::Sqlite,
        GenOptions {
            listings,
            broken_rate: 0.0,
            bad_photo_rate: 0.0,
            large_photo_rate: 0.0,
            ..Default::default()
        },
        |_| {},
    )
    .await
}

async fn resync_all(rt: &Runtime) {
    let s = resync(rt, Duration::from_secs(120)).await.expect("resync");
    assert_eq!(s[0].outstanding, 0, "resync left work outstanding: {s:?}");
}

/// Listed whole flats on the platform, on shelf and vacant: (room code, flat id).
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
    flats
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_counts_queued_but_undelivered_items_as_pending() {
    let env = clean_env(12).await;
    let cfg = env.config(500.0, 5);
    let rt = Runtime::start(cfg.clone()).await.unwrap();
    let t = &rt.tenants[0];
    let feed = rt.cfg.source.feed();
    full_scan(t, t.source.as_ref().unwrap(), &rt.outbox, &feed)
        .await
        .unwrap();

    // Queued by the scan, nothing delivered yet.
    let report = dry_run(&cfg, 1000).await.unwrap();
    let p = &report.tenants[0];
    assert!(p.pending > 0, "queued rooms are pending: {p:?}");
    assert_eq!(
        p.create + p.update + p.state_change,
        0,
        "nothing new to queue: {p:?}"
    );
    assert_eq!(p.pending + p.unchanged + p.invalid, p.rows, "{p:?}");
    let queued = p.pending;

    // Delivered: nothing pending any more.
    resync_all(&rt).await;
    let report = dry_run(&cfg, 1000).await.unwrap();
    let p = &report.tenants[0];
    assert_eq!(p.pending, 0, "{p:?}");
    assert!(p.unchanged >= queued, "{p:?}");
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_lists_the_rooms_the_changes_and_the_source_values_that_break_rules() {
    let env = clean_env(60).await;
    let cfg = env.config(500.0, 5);
    let rt = Runtime::start(cfg.clone()).await.unwrap();
    resync_all(&rt).await;
    let flats = listed_flats(&env);
    assert!(flats.len() >= 4, "{flats:?}");
    let (updated, broken, rented, deleted) = (&flats[0], &flats[1], &flats[2], &flats[3]);
    let now = env.seconds_ago(0);
    env.exec(&format!(
        "UPDATE flats SET rent = 2345, updated_at = {now} WHERE id = {}",
        updated.1
    ))
    .await;
    env.exec(&format!(
        "UPDATE flats SET rent = -1500, updated_at = {now} WHERE id = {}",
        broken.1
    ))
    .await;
    env.exec(&format!(
        "UPDATE flats SET rented = 1, updated_at = {now} WHERE id = {}",
        rented.1
    ))
    .await;
    env.exec(&format!(
        "DELETE FROM photos WHERE owner_kind = 'flat' AND owner_id = {0}; DELETE FROM flats WHERE id = {0}",
        deleted.1
    ))
    .await;

    let report = dry_run(&cfg, 1000).await.unwrap();
    let p = &report.tenants[0];
    let u = p
        .updates
        .items
        .iter()
        .find(|r| r.room_code == updated.0)
        .unwrap_or_else(|| panic!("{} listed as an update: {p:?}", updated.0));
    assert!(!u.community.is_empty() && !u.name.is_empty(), "{u:?}");
    assert_eq!(u.price, "2345.00");
    let rent = u
        .changes
        .iter()
        .find(|c| c.field == "room_amount")
        .unwrap_or_else(|| panic!("the rent change is named: {u:?}"));
    assert_eq!(rent.new, "2345.00");
    assert_ne!(rent.old, rent.new);
    assert_eq!(u.changes.len(), 1, "only the rent changed: {u:?}");

    let flip = p
        .state_changes
        .items
        .iter()
        .find(|r| r.room_code == rented.0)
        .unwrap_or_else(|| panic!("{} listed as a state change: {p:?}", rented.0));
    assert_eq!(flip.changes[0].old, "on/vacant");
    assert_eq!(flip.changes[0].new, "on/rented");
    assert!(
        p.take_offs.items.iter().any(|r| r.room_code == deleted.0),
        "{p:?}"
    );

    let g = p
        .breaks
        .iter()
        .find(|g| g.field == "room_amount")
        .unwrap_or_else(|| panic!("a rent rule break: {:?}", p.breaks));
    let room = g
        .listed
        .iter()
        .find(|r| r.room_code == broken.0)
        .expect("the broken room is listed");
    assert_eq!(room.source.as_deref(), Some("rent_fen = -150000"));

    // Every format names them; the Chinese one in Chinese, with the right `lang`.
    for format in [Format::Table, Format::Markdown, Format::Html, Format::Json] {
        let text = report.render(format);
        for needle in [&updated.0, &broken.0, &rented.0, &deleted.0] {
            assert!(
                text.contains(needle.as_str()),
                "{format:?}: {needle}\n{text}"
            );
        }
        assert!(text.contains("rent_fen = -150000"), "{format:?}\n{text}");
        assert!(text.contains("2345.00"), "{format:?}\n{text}");
    }
    let mut zh = report;
    zh.meta = ReportMeta::of_config(Lang::Zh, &cfg, None);
    let html = zh.render(Format::Html);
    assert!(html.contains("<html lang=\"zh-CN\">"), "{html}");
    assert!(
        html.contains("将更新的房源") && html.contains("租金"),
        "{html}"
    );
    assert!(html.contains("UTC+8") && html.contains(env!("CARGO_PKG_VERSION")));
    assert!(html.contains("renthouse"), "the family is named");
    let mut en = zh;
    en.meta = ReportMeta::of_config(Lang::En, &cfg, None);
    let html = en.render(Format::Html);
    assert!(html.contains("<html lang=\"en\">"));
    assert!(html.contains("Rooms to update") && !html.contains("将更新的房源"));
    let table = en.render(Format::Table);
    assert!(table.contains("Rooms to update"), "{table}");

    // Status: the broken room is live with older values, its failure grouped by rule with the
    // source value.
    resync_all(&rt).await;
    let status = rentsync::cli::status_report(&rt.outbox, 20).await.unwrap();
    let live = &status.live_with_older_rooms.items;
    assert!(
        live.iter().any(|r| r.room.room_code == broken.0),
        "{live:?}"
    );
    let g = status
        .failure_groups
        .iter()
        .find(|g| g.status == "invalid" && g.message.contains("room_amount"))
        .unwrap_or_else(|| panic!("{:?}", status.failure_groups));
    assert!(g
        .rooms
        .iter()
        .any(|r| r.room_code == broken.0 && r.source.as_deref() == Some("rent_fen = -150000")));
    assert!(g.first.ends_with("UTC+8") && g.count >= 1);
    for format in [Format::Table, Format::Markdown, Format::Html] {
        let text = status.render(format);
        assert!(
            text.contains("rent_fen = -150000") && text.contains(&broken.0),
            "{format:?}\n{text}"
        );
    }

    // The dry-run says so too, and that deleting every flat would be held by the guard.
    let report = dry_run(&cfg, 1000).await.unwrap();
    assert_eq!(report.tenants[0].live_with_older_values, 1);
    env.exec("DELETE FROM bedrooms").await;
    env.exec("DELETE FROM photos WHERE owner_kind IN ('flat', 'bedroom')")
        .await;
    env.exec("DELETE FROM flats").await;
    let report = dry_run(&cfg, 1000).await.unwrap();
    let p = &report.tenants[0];
    let held = p
        .delists_held
        .iter()
        .find(|h| h.view.contains("dispersion"))
        .unwrap_or_else(|| panic!("the guard would hold the flats' take-offs: {p:?}"));
    assert!(held.gone > 0 && held.live > 0, "{held:?}");
    let text = report.render(Format::Table);
    assert!(
        text.contains("mass delist HELD") && text.contains("rentsync delist --confirm"),
        "{text}"
    );
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_same_failure_on_many_rooms_is_one_group_with_its_count() {
    let env = clean_env(6).await;
    let rt = Runtime::start(env.config(500.0, 5)).await.unwrap();
    resync_all(&rt).await;
    // The platform refused every room the same way, at different times.
    sqlx::query(
        "UPDATE rentsync_items SET status = 'failed', last_code = '40004', \
         last_error = 'ACQ.ROOM_NOT_EXIST: 房源不存在', attempts = 1, \
         updated_us = 1765000000000000 + LENGTH(item_key) * 1000000 + CAST(SUBSTR(item_key, 1, 3) AS INTEGER)",
    )
    .execute(&rt.outbox.db.pool)
    .await
    .unwrap();
    let status = rentsync::cli::status_report(&rt.outbox, 5).await.unwrap();
    let failed: i64 = status.items["t1"].get("failed").copied().unwrap_or(0);
    assert!(failed > 5, "{:?}", status.items);
    assert_eq!(
        status.failure_groups.len(),
        1,
        "{:?}",
        status.failure_groups
    );
    let g = &status.failure_groups[0];
    assert_eq!(g.count as i64, failed);
    assert_eq!(g.rooms.len() as i64, failed);
    assert_eq!(
        (g.code.as_str(), g.message.as_str()),
        ("40004", "ACQ.ROOM_NOT_EXIST: 房源不存在")
    );
    assert!(
        g.first.starts_with("2025-12-06") && g.first.ends_with("UTC+8"),
        "{g:?}"
    );
    assert!(g.first <= g.last, "{g:?}");
    for format in [Format::Table, Format::Markdown, Format::Html] {
        let text = status.render(format);
        assert_eq!(
            text.matches("房源不存在").count(),
            1,
            "{format:?}: the message once, not once per room:\n{text}"
        );
        assert!(
            text.contains(&g.first) && text.contains(&g.last),
            "{format:?}"
        );
    }
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_commands_take_the_language_from_lang_or_the_locale() {
    let env = clean_env(8).await;
    let config = env.dir.path().join("rentsync.toml");
    std::fs::write(&config, env.config_text(500.0, 5)).unwrap();
    let run = |args: &[&str], locale: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_rentsync"))
            .args(args)
            .arg("--config")
            .arg(&config)
            .env_remove("LC_ALL")
            .env_remove("LC_MESSAGES")
            .env("LANG", locale)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "{args:?}: {text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        text
    };
    let zh = run(&["dry-run"], "zh_CN.UTF-8");
    assert!(
        zh.contains("rentsync 预演报告") && zh.contains("新建"),
        "{zh}"
    );
    let en = run(&["dry-run", "--lang", "en"], "zh_CN.UTF-8");
    assert!(
        en.contains("Rooms to create") && !en.contains("新建"),
        "{en}"
    );
    let page = env.dir.path().join("dry-run.html");
    run(
        &[
            "dry-run",
            "--format",
            "html",
            "--lang",
            "zh",
            "--out",
            page.to_str().unwrap(),
        ],
        "en_US.UTF-8",
    );
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("<html lang=\"zh-CN\">"), "{html}");

    run(&["resync"], "C.UTF-8");
    let md = run(
        &["status", "--format", "markdown", "--no-previews"],
        "en_US.UTF-8",
    );
    assert!(
        md.starts_with("# rentsync status") && md.contains("UTC+8"),
        "{md}"
    );
    let json = run(
        &["status", "--format", "json", "--lang", "zh"],
        "en_US.UTF-8",
    );
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["meta"]["lang"], "zh");
    assert_eq!(v["meta"]["tenants"][0]["family"], "renthouse");
    assert_eq!(v["meta"]["version"], env!("CARGO_PKG_VERSION"));
    env.cleanup().await;
}
