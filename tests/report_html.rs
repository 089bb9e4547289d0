//! The HTML reports rendered by a real browser (headless Chromium): the DOM holds the summary,
//! the rule breaks grouped by rule with their rooms, and the failures; the screenshot is a page,
//! not an empty canvas. Chromium comes from Debian's `chromium` package (scripts/test.sh installs
//! it); without it this test fails and says so.

mod common;

use std::path::Path;
use std::process::Command;

use common::engine::{Backend, Env};
use rentsync::cli::{dry_run, resync, Runtime};
use rentsync::report::Format;

fn chromium() -> &'static str {
    for c in ["/usr/bin/chromium", "/usr/bin/chromium-browser"] {
        if Path::new(c).exists() {
            return c;
        }
    }
    panic!(
        "headless Chromium is not installed: apt-get install -y chromium (scripts/test.sh does)"
    );
}

fn browser(args: &[&str], page: &Path) -> String {
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("run chromium");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_and_status_reports_render_in_a_browser() {
    let env = Env::new(Backend::Sqlite, 150, |_| {}).await;
    let cfg = env.config(500.0, 5);
    let report = dry_run(&cfg, 1000).await.unwrap();
    let t = &report.tenants[0];
    assert!(t.invalid > 0, "the fixture has listings that break rules");
    let html = report.render(Format::Html);
    let page = env.dir.path().join("dry-run.html");
    std::fs::write(&page, &html).unwrap();

    let dom = browser(&["--dump-dom"], &page);
    assert!(dom.contains("data-tenant=\"t1\""), "{dom}");
    assert!(
        dom.contains(&format!("<b>{}</b>invalid (never sent)", t.invalid)),
        "{dom}"
    );
    let first = &t.breaks[0];
    assert!(
        dom.contains(&format!("<code>{}</code>", first.field)),
        "rule breaks listed: {dom}"
    );
    assert!(dom.contains(&first.sample[0]), "rooms affected listed");
    assert!(!dom.contains("<script"), "self-contained and inert");

    let shot = env.dir.path().join("dry-run.png");
    browser(
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1200,900",
        ],
        &page,
    );
    let png = std::fs::read(&shot).expect("screenshot written");
    assert!(png.starts_with(b"\x89PNG"), "a PNG");
    assert!(
        png.len() > 20_000,
        "a rendered page, not a blank one: {} bytes",
        png.len()
    );

    // Status after a resync, with the invalid items as failures.
    let rt = Runtime::start(cfg).await.unwrap();
    resync(&rt, std::time::Duration::from_secs(60))
        .await
        .unwrap();
    let status = rentsync::cli::status_report(&rt.outbox, 50).await.unwrap();
    let page = env.dir.path().join("status.html");
    std::fs::write(&page, status.render(Format::Html)).unwrap();
    let dom = browser(&["--dump-dom"], &page);
    assert!(dom.contains("<tr data-tenant=\"t1\">"), "{dom}");
    assert!(dom.contains("class=\"failures\""), "failures table: {dom}");
    assert!(dom.contains("invalid"), "{dom}");
    env.cleanup().await;
}

#[test]
fn html_escapes_what_it_shows() {
    assert_eq!(
        rentsync::report::html::esc("<b>\"x\" & 'y'</b>"),
        "&lt;b&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/b&gt;"
    );
}
