//! Photo locations come from the operator's database and are not trusted (issue 11, architecture
//! decision 13): local paths stay inside `photo_dir`, only regular files are read, URLs reach only
//! public addresses unless the tenant allows a network, every redirect is checked again, and a
//! refusal is a warning on the room naming the room, the photo and the rule. Remote photos are
//! fetched conditionally: a 304 reuses the upload.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::engine::{Backend, Env};
use common::photo_server::{PhotoServer, Route};
use rentsync::cli::{resync, Runtime};
use rentsync::fixtures::GenOptions;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/photos")
        .join(name)
}

async fn env() -> Env {
    Env::with_options(
        Backend::Sqlite,
        GenOptions {
            listings: 6,
            broken_rate: 0.0,
            bad_photo_rate: 0.0,
            ..Default::default()
        },
        |_| {},
    )
    .await
}

/// A listed whole flat left with exactly one (good) photo, then `extra` photos after it.
/// Returns its room code.
async fn flat_with_photos(env: &Env, extra: &[String]) -> String {
    let row: (i64,) = sqlx::query_as(
        "SELECT id FROM flats WHERE rent_type = 'whole' AND listed = 1 AND archived = 0 ORDER BY id LIMIT 1",
    )
    .fetch_one(&env.op.pool)
    .await
    .expect("a listed whole flat");
    let id = row.0;
    env.exec(&format!(
        "UPDATE photos SET deleted = 1 WHERE owner_kind = 'flat' AND owner_id = {id} AND id <> \
         (SELECT MIN(id) FROM photos WHERE owner_kind = 'flat' AND owner_id = {id})"
    ))
    .await;
    for (i, loc) in extra.iter().enumerate() {
        env.exec(&format!(
            "INSERT INTO photos (owner_kind, owner_id, position, location) VALUES ('flat', {id}, {}, '{}')",
            100 + i,
            loc.replace('\'', "''")
        ))
        .await;
    }
    format!("{id}00")
}

/// Config text with `photo_dir` moved and extra tenant keys.
fn config(env: &Env, photo_dir: &Path, tenant_extra: &str) -> rentsync::config::Config {
    let text = env
        .config_text(500.0, 5)
        .replace(
            concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/photos"),
            &photo_dir.display().to_string(),
        )
        .replace("[tenant.rates]", &format!("{tenant_extra}\n[tenant.rates]"));
    rentsync::config::Config::parse(&text, env.dir.path()).expect("config")
}

/// A copy of the fixture photos (regular files, so the copy is its own `photo_dir`).
fn photo_dir_copy(into: &Path) -> PathBuf {
    let dir = into.join("photos");
    std::fs::create_dir_all(&dir).expect("mkdir");
    for e in std::fs::read_dir(fixture("")).expect("fixtures") {
        let p = e.expect("entry").path();
        if p.is_file() {
            std::fs::copy(&p, dir.join(p.file_name().expect("name"))).expect("copy");
        }
    }
    dir
}

/// Runs a resync bounded in time (a hang fails the test instead of stalling it).
async fn resync_within(rt: &Runtime, secs: u64) {
    let r = tokio::time::timeout(
        Duration::from_secs(secs),
        resync(rt, Duration::from_secs(secs)),
    )
    .await
    .unwrap_or_else(|_| panic!("resync hung past {secs} s"))
    .expect("resync");
    assert_eq!(r[0].outstanding, 0, "resync left work outstanding: {r:?}");
}

fn images_of(env: &Env, room: &str) -> usize {
    env.h
        .sandbox
        .rooms()
        .iter()
        .find(|r| r.room_code == room)
        .unwrap_or_else(|| panic!("room {room} is not on the platform"))
        .images
        .len()
}

/// The warnings stored on the room's item.
async fn warnings_of(env: &Env, room: &str) -> String {
    let db = rentsync::db::Db::connect(&env.state_url, 1)
        .await
        .expect("state db");
    let row: Option<(Option<String>,)> =
        sqlx::query_as("SELECT warnings FROM rentsync_items WHERE tenant = 't1' AND item_key = ?")
            .bind(room)
            .fetch_optional(&db.pool)
            .await
            .expect("query");
    row.and_then(|r| r.0).unwrap_or_default()
}

fn assert_refused(warnings: &str, room: &str, photo: &str, rule: &str) {
    let line = warnings
        .split("; ")
        .find(|w| w.contains(photo))
        .unwrap_or_else(|| panic!("no warning names {photo}: {warnings:?}"));
    assert!(
        line.contains(room),
        "the warning names the room {room}: {line}"
    );
    assert!(
        line.contains(rule),
        "the warning names the rule {rule}: {line}"
    );
}

#[tokio::test]
async fn paths_outside_photo_dir_are_refused_with_a_warning_naming_room_photo_and_rule() {
    let env = env().await;
    let photos = photo_dir_copy(env.dir.path());
    // A secret outside photo_dir, reached four ways.
    let outside = env.dir.path().join("secret");
    std::fs::create_dir_all(&outside).unwrap();
    let secret = outside.join("secret.jpg");
    std::fs::copy(fixture("living-room-1.jpg"), &secret).unwrap();
    std::os::unix::fs::symlink(&secret, photos.join("link.jpg")).unwrap();
    let attempts = vec![
        secret.display().to_string(),
        "../secret/secret.jpg".to_string(),
        format!("file://{}", secret.display()),
        "link.jpg".to_string(),
    ];
    let room = flat_with_photos(&env, &attempts).await;
    let rt = Runtime::start(config(&env, &photos, "")).await.unwrap();
    resync_within(&rt, 60).await;

    assert_eq!(
        images_of(&env, &room),
        1,
        "only the photo inside photo_dir is published"
    );
    let w = warnings_of(&env, &room).await;
    for a in &attempts {
        assert_refused(&w, &room, a, "photo_dir");
    }
    env.cleanup().await;
}

#[tokio::test]
async fn special_files_are_refused_and_never_hang_the_resync() {
    let env = env().await;
    let fifo = env.dir.path().join("photo.fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(made.success());
    // photo_dir "/" makes every absolute path "inside": only the file-type rule stands.
    let attempts = vec![
        fifo.display().to_string(),
        "/dev/zero".to_string(),
        env.dir.path().display().to_string(),
    ];
    let good = fixture("landscape-1.jpg").display().to_string();
    let room = flat_with_photos(&env, &attempts).await;
    env.exec(&format!(
        "UPDATE photos SET location = '{good}' WHERE location NOT LIKE '/%'"
    ))
    .await;
    let rt = Runtime::start(config(&env, Path::new("/"), ""))
        .await
        .unwrap();
    resync_within(&rt, 60).await;

    assert_eq!(images_of(&env, &room), 1);
    let w = warnings_of(&env, &room).await;
    for a in &attempts {
        assert_refused(&w, &room, a, "regular_file");
    }
    env.cleanup().await;
}

#[tokio::test]
async fn internal_urls_and_redirects_into_the_network_are_refused_by_default() {
    let env = env().await;
    let server = PhotoServer::start("127.0.0.1").await;
    let inner = PhotoServer::start("127.0.0.2").await;
    let jpeg = std::fs::read(fixture("lakeside-1.jpg")).unwrap();
    server.route("/a.jpg", Route::Photo(jpeg.clone()));
    inner.route("/internal.jpg", Route::Photo(jpeg.clone()));
    let port = server.addr.unwrap().port();
    let attempts = vec![
        server.url("/a.jpg"),
        format!("http://localhost:{port}/a.jpg"),
        format!("http://[::ffff:127.0.0.1]:{port}/a.jpg"),
    ];
    let room = flat_with_photos(&env, &attempts).await;
    let photos = photo_dir_copy(env.dir.path());
    let rt = Runtime::start(config(&env, &photos, "")).await.unwrap();
    resync_within(&rt, 60).await;

    assert_eq!(images_of(&env, &room), 1);
    assert_eq!(
        server.bodies_sent("/a.jpg"),
        0,
        "nothing was even downloaded"
    );
    let w = warnings_of(&env, &room).await;
    for a in &attempts {
        assert_refused(&w, &room, a, "photo_hosts_allow");
    }
    env.cleanup().await;
}

#[tokio::test]
async fn an_allowed_host_is_fetched_but_its_redirect_into_another_network_is_refused() {
    let env = env().await;
    let server = PhotoServer::start("127.0.0.1").await;
    let inner = PhotoServer::start("127.0.0.2").await;
    let jpeg = std::fs::read(fixture("lakeside-1.jpg")).unwrap();
    server.route("/ok.jpg", Route::Photo(jpeg.clone()));
    inner.route("/internal.jpg", Route::Photo(jpeg.clone()));
    server.route("/hop", Route::Redirect(inner.url("/internal.jpg")));
    // Four hops, all on the allowed host: one more than the cap.
    for i in 0..4 {
        server.route(&format!("/r{i}"), Route::Redirect(format!("/r{}", i + 1)));
    }
    server.route("/r4", Route::Photo(jpeg.clone()));
    let attempts = vec![server.url("/ok.jpg"), server.url("/hop"), server.url("/r0")];
    let room = flat_with_photos(&env, &attempts).await;
    let photos = photo_dir_copy(env.dir.path());
    let allow = r#"photo_hosts_allow = ["127.0.0.1/32"]"#;
    let rt = Runtime::start(config(&env, &photos, allow)).await.unwrap();
    resync_within(&rt, 60).await;

    assert_eq!(images_of(&env, &room), 2, "the fixture photo and /ok.jpg");
    assert_eq!(server.bodies_sent("/ok.jpg"), 1);
    assert_eq!(
        inner.bodies_sent("/internal.jpg"),
        0,
        "the redirect was not followed"
    );
    assert_eq!(
        server.bodies_sent("/r4"),
        0,
        "the fourth redirect was not followed"
    );
    let w = warnings_of(&env, &room).await;
    assert_refused(&w, &room, &server.url("/hop"), "photo_hosts_allow");
    assert_refused(&w, &room, &server.url("/r0"), "redirects");
    assert!(!w.contains("/ok.jpg"), "{w}");
    env.cleanup().await;
}

#[tokio::test]
async fn unchanged_remote_photos_are_not_downloaded_again() {
    let env = env().await;
    let server = PhotoServer::start("127.0.0.1").await;
    let jpeg = std::fs::read(fixture("lakeside-1.jpg")).unwrap();
    server.route("/same.jpg", Route::Photo(jpeg));
    let room = flat_with_photos(&env, &[server.url("/same.jpg")]).await;
    let photos = photo_dir_copy(env.dir.path());
    let allow = r#"photo_hosts_allow = ["127.0.0.1/32"]"#;
    let rt = Runtime::start(config(&env, &photos, allow)).await.unwrap();
    resync_within(&rt, 60).await;
    assert_eq!(images_of(&env, &room), 2);
    assert_eq!(server.bodies_sent("/same.jpg"), 1);
    let uploads = env.h.get_json("/sandbox/state").await["images"].clone();

    // A price change makes the room be worked again, photos included.
    let flat = room.trim_end_matches("00");
    env.exec(&format!(
        "UPDATE flats SET rent = rent + 7 WHERE id = {flat}"
    ))
    .await;
    resync_within(&rt, 60).await;
    let on_platform = env.h.sandbox.rooms();
    let r = on_platform.iter().find(|r| r.room_code == room).unwrap();
    assert!(r.room_calls >= 2, "the room was sent again");
    assert_eq!(r.images.len(), 2);
    assert_eq!(server.bodies_sent("/same.jpg"), 1, "zero re-downloads");
    assert_eq!(
        server.not_modified_sent("/same.jpg"),
        1,
        "one conditional GET"
    );
    assert_eq!(
        env.h.get_json("/sandbox/state").await["images"],
        uploads,
        "the cached upload was reused"
    );
    env.cleanup().await;
}

#[tokio::test]
async fn status_shows_photo_warnings_with_room_and_photo() {
    let env = env().await;
    let photos = photo_dir_copy(env.dir.path());
    let room = flat_with_photos(&env, &["/etc/shadow".to_string()]).await;
    let rt = Runtime::start(config(&env, &photos, "")).await.unwrap();
    resync_within(&rt, 60).await;
    let report = rentsync::cli::status_report(&rt.outbox, 20).await.unwrap();
    for format in [
        rentsync::report::Format::Table,
        rentsync::report::Format::Json,
        rentsync::report::Format::Html,
    ] {
        let text = report.render(format);
        assert!(
            text.contains(&room) && text.contains("/etc/shadow") && text.contains("photo_dir"),
            "{format:?} shows the warning:\n{text}"
        );
    }
    env.cleanup().await;
}
