//! The HTML reports rendered by a real browser (headless Chromium): the DOM holds the summary,
//! the rooms, the rule breaks grouped by rule with their rooms and source values, and the
//! failures; at desktop (1280 px) and phone (390 px) widths the page never scrolls sideways and
//! every table fits or sits in a wrapper that scrolls on its own; the screenshots are pages, not
//! empty canvases. Chromium comes from Debian's `chromium` package (scripts/test.sh installs it);
//! without it this test fails and says so. `RENTSYNC_REPORT_SHOTS=DIR` keeps the screenshots
//! (the README's come from there).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::engine::{Backend, Env};
use rentsync::cli::{dry_run, resync, Runtime};
use rentsync::fixtures::GenOptions;
use rentsync::report::{Format, Lang, ReportMeta};

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
            "--force-device-scale-factor=1",
            "--hide-scrollbars",
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

/// A page that shows the report in a frame of the given width, measures the report's layout
/// there and writes the verdict into its own DOM, which `--dump-dom` then shows. A frame, because
/// headless Chromium lays a window out at least 500 px wide; the report itself has no scripts.
const LAYOUT_PROBE: &str = r#"<!DOCTYPE html><html><body style="margin:0">
<iframe id="f" src="PAGE" style="border:0;width:WIDTHpx;height:900px"></iframe><script>
window.addEventListener('load', () => {
  const win = document.getElementById('f').contentWindow, doc = win.document;
  const w = win.innerWidth, sw = doc.documentElement.scrollWidth;
  const bad = [];
  for (const t of doc.querySelectorAll('table')) {
    const wrap = t.parentElement;
    const scrolls = wrap.classList.contains('scroll') && win.getComputedStyle(wrap).overflowX === 'auto';
    const r = t.getBoundingClientRect();
    if (r.right > w + 1 && !scrolls) bad.push('overflows:' + t.className);
    if (wrap.scrollWidth > wrap.clientWidth + 1 && !scrolls) bad.push('clipped:' + t.className);
  }
  const out = document.createElement('pre');
  out.textContent = 'LAYOUT innerWidth=' + w + ' scrollWidth=' + sw + ' tables=' +
    doc.querySelectorAll('table').length + ' bad=[' + bad.join(',') + '] END';
  document.body.appendChild(out);
});
</script></body></html>"#;

/// Checks one page at one width: no sideways scrolling, no clipped table, and a screenshot that
/// is a page of that width.
fn check_layout(page: &Path, width: u32, name: &str) {
    let probe = page.with_extension(format!("probe{width}.html"));
    let file = page.file_name().unwrap().to_string_lossy();
    std::fs::write(
        &probe,
        LAYOUT_PROBE
            .replace("PAGE", &file)
            .replace("WIDTH", &width.to_string()),
    )
    .unwrap();
    let dom = browser(&["--dump-dom", "--allow-file-access-from-files"], &probe);
    let line = dom
        .rsplit("LAYOUT ")
        .next()
        .filter(|s| s.starts_with("innerWidth="))
        .and_then(|s| s.split(" END").next())
        .unwrap_or_else(|| panic!("{name}: the layout probe did not run: {dom}"));
    let field = |k: &str| -> i64 {
        line.split(&format!("{k}="))
            .nth(1)
            .and_then(|s| s.split(' ').next())
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("{name}: {k} in {line}"))
    };
    assert_eq!(field("innerWidth"), i64::from(width), "{name}: {line}");
    assert!(
        field("scrollWidth") <= i64::from(width),
        "{name} at {width}px scrolls sideways: {line}"
    );
    assert!(field("tables") > 0, "{name}: {line}");
    assert!(line.contains("bad=[]"), "{name} at {width}px: {line}");

    let shot = page.with_extension(format!("{width}.png"));
    browser(
        &[
            &format!("--screenshot={}", shot.display()),
            &format!("--window-size={width},1400"),
        ],
        page,
    );
    let img = image::open(&shot).expect("a PNG screenshot").to_rgb8();
    assert_eq!(img.width(), width, "{name}: screenshot width");
    // A rendered page has text: many pixels far from the background, in more than one colour.
    let dark = img
        .pixels()
        .filter(|p| p.0.iter().all(|c| *c < 120))
        .count();
    assert!(
        dark > (width as usize) * 20,
        "{name} at {width}px: a blank screenshot ({dark} dark pixels)"
    );
    if let Some(dir) = std::env::var_os("RENTSYNC_REPORT_SHOTS") {
        let dir = PathBuf::from(dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(&shot, dir.join(format!("{name}-{width}.png"))).unwrap();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_and_status_reports_render_in_a_browser() {
    let env = Env::with_options(
        Backend::Sqlite,
        GenOptions {
            listings: 150,
            broken_rate: 0.05,
            bad_photo_rate: 0.1,
            ..Default::default()
        },
        |_| {},
    )
    .await;
    let cfg = env.config(500.0, 5);
    let mut report = dry_run(&cfg, 1000).await.unwrap();
    report.meta = ReportMeta::of_config(Lang::En, &cfg, None);
    let t = &report.tenants[0];
    assert!(t.invalid > 0, "the fixture has listings that break rules");
    let page = env.dir.path().join("dry-run.html");
    std::fs::write(&page, report.render(Format::Html)).unwrap();

    let dom = browser(&["--dump-dom"], &page);
    assert!(dom.contains("<html lang=\"en\">"), "{dom}");
    assert!(dom.contains("data-tenant=\"t1\""), "{dom}");
    assert!(
        dom.contains(&format!("<b>{}</b>invalid (never sent)", t.invalid)),
        "{dom}"
    );
    assert!(
        dom.contains("class=\"creates\""),
        "rooms to create listed: {dom}"
    );
    let first = &t.breaks[0];
    assert!(
        dom.contains(&format!("<code>{}", first.field)),
        "rule breaks listed: {dom}"
    );
    assert!(
        dom.contains(&first.listed[0].room_code),
        "rooms affected listed"
    );
    assert!(!dom.contains("<script"), "self-contained and inert");
    check_layout(&page, 1280, "dry-run");
    check_layout(&page, 390, "dry-run");

    // The same in Chinese.
    report.meta = ReportMeta::of_config(Lang::Zh, &cfg, None);
    let zh = env.dir.path().join("dry-run-zh.html");
    std::fs::write(&zh, report.render(Format::Html)).unwrap();
    let dom = browser(&["--dump-dom"], &zh);
    assert!(
        dom.contains("<html lang=\"zh-CN\">") && dom.contains("将新建的房源"),
        "{dom}"
    );
    check_layout(&zh, 390, "dry-run-zh");

    // Status after a resync, with the invalid items as failures and photo warnings previewed.
    let rt = Runtime::start(cfg.clone()).await.unwrap();
    resync(&rt, std::time::Duration::from_secs(60))
        .await
        .unwrap();
    let mut status = rentsync::cli::status_report(&rt.outbox, 50).await.unwrap();
    status.meta = ReportMeta::of_config(Lang::En, &cfg, None);
    status.photo_rooms =
        rentsync::report::photos::with_previews(&cfg, &rt.outbox, &status.recent_warnings)
            .await
            .unwrap();
    let page = env.dir.path().join("status.html");
    let html = status.render(Format::Html);
    std::fs::write(&page, &html).unwrap();
    let dom = browser(&["--dump-dom"], &page);
    assert!(dom.contains("class=\"status\""), "{dom}");
    assert!(dom.contains("class=\"failures\""), "failures table: {dom}");
    assert!(dom.contains("invalid"), "{dom}");
    assert!(
        !status.recent_warnings.is_empty(),
        "the fixture has rooms with photos that cannot be used"
    );
    assert!(dom.contains("class=\"photos\""), "photo warnings: {dom}");
    assert!(
        dom.contains("<img class=\"thumb\" src=\"data:image/jpeg;base64,"),
        "a thumbnail of a photo as the platform gets it: {dom}"
    );
    assert!(
        html.len() < 2_000_000,
        "a bounded page: {} bytes",
        html.len()
    );
    check_layout(&page, 1280, "status");
    check_layout(&page, 390, "status");
    env.cleanup().await;
}

#[test]
fn html_escapes_what_it_shows() {
    assert_eq!(
        rentsync::report::html::esc("<b>\"x\" & 'y'</b>"),
        "&lt;b&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/b&gt;"
    );
}
