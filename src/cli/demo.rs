//! `rentsync demo`: the main job on an embedded default. A sandbox gateway on loopback, a SQLite
//! operator database built from the fixtures (a few hundred listings, real photos, some that
//! break platform rules), a full resync, then live changes in the source (a price change, an
//! off-shelf, a deletion) followed by the daemon until each shows on the platform.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;

use super::run::Daemon;
use super::runtime::Runtime;
use crate::config::{Config, Family};
use crate::db::Db;
use crate::fixtures::{generate, load_schema, GenOptions};
use crate::report::Format;
use crate::sandbox::{SandboxConfig, SandboxState, StoredRoom};

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Sandbox call rate per method (the tenant uses the same).
    #[arg(long, default_value_t = 50.0)]
    pub qps: f64,
    /// Listings in the sample operator database.
    #[arg(long, default_value_t = 300)]
    pub listings: usize,
    /// Working directory (recreated).
    #[arg(long, default_value = "target/rentsync-demo")]
    pub dir: PathBuf,
    /// Instead: a scripted tour of the family's API calls against the sandbox.
    #[arg(long)]
    pub tour: bool,
    /// The platform family the demo tenant uses: renthouse (`alipay.eco.renthouse.*`) or
    /// housing (`alipay.commerce.housing.*`).
    #[arg(long, value_enum, default_value_t = Family::Renthouse)]
    pub family: Family,
}

pub async fn run(args: DemoArgs) -> anyhow::Result<ExitCode> {
    let housing = args.family == Family::Housing;
    if args.tour {
        return if housing {
            super::tour_housing::run(args.qps).await
        } else {
            super::tour::run(args.qps).await
        };
    }
    let dir = &args.dir;
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let dir = dir.canonicalize()?;
    println!(
        "rentsync demo ({} family) in {}\n",
        args.family.name(),
        dir.display()
    );

    // The platform: our sandbox, with fresh keys.
    let keys = super::keygen::write_keys(&dir.join("keys"), 2048)?;
    let mut sandbox_cfg = SandboxConfig::new(
        crate::alipay::PublicKey::from_file(&keys.app_public)?,
        crate::alipay::AppPrivateKey::from_file(&keys.platform_private)?,
    );
    sandbox_cfg.limits.qps = args.qps;
    // The platform's SPI AES key (bookPhone) and the operator's webhook key, both throwaway.
    let aes_key = {
        use base64::Engine;
        let mut raw = [0u8; 16];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut raw);
        base64::engine::general_purpose::STANDARD.encode(raw)
    };
    sandbox_cfg.spi_aes_key = Some(crate::spi::aes::ContentKey::parse(&aes_key)?);
    write_private(&dir.join("keys/spi_aes.key"), &aes_key)?;
    write_private(&dir.join("keys/webhook.key"), super::demo_spi::HMAC_KEY)?;
    let (webhook, delivered) = super::demo_spi::receiver().await?;
    let spi_port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let sandbox = SandboxState::new(sandbox_cfg)?;
    // Tmall Haofang's TOP gateway, served beside the Alipay one.
    let (top, top_routes) = super::demo_tmall::sandbox(&dir)?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let sandbox_base = format!("http://{}", listener.local_addr()?);
    let gateway = format!("{sandbox_base}/gateway.do");
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(sandbox.clone().serve_with(listener, top_routes, async {
        let _ = stop_rx.await;
    }));
    println!("1. sandbox gateways: Alipay at {gateway}, Tmall TOP at {sandbox_base}/router/rest");

    // The operator's database.
    let operator_url = format!("sqlite://{}", dir.join("operator.db").display());
    let operator = Db::connect(&operator_url, 1).await?;
    load_schema(&operator).await?;
    let gen = generate(
        &operator,
        &GenOptions {
            listings: args.listings,
            large_photo_rate: 0.02,
            ..Default::default()
        },
    )
    .await?;
    println!(
        "2. operator database {}: {} listings ({} whole flats, {} shared bedrooms, {} room types with {} rooms), {} photos, {} communities",
        operator_url, gen.listings(), gen.whole_flats, gen.bedrooms, gen.room_types, gen.rooms, gen.photos, gen.communities
    );

    // The housing family has no operator account and no callbacks, and its demo follows no
    // Tmall lease: its tenant gets none of them.
    let family_line = format!("family = \"{}\"\n", args.family.name());
    let tenant_extra = if housing {
        crate::fixtures::division_codes_toml()
    } else {
        super::demo_tmall::config(&sandbox_base)
            + &format!(
                r#"[tenant.ka]
name = "Demo Apartments"
[tenant.spi]
public_url = "http://127.0.0.1:{spi_port}"
aes_key_file = "keys/spi_aes.key"
[tenant.spi.deliver]
webhook = "{webhook}"
hmac_key_file = "keys/webhook.key"
"#
            )
    };
    let config_text = format!(
        r#"state_database = "sqlite://{state}"
[source]
poll_secs = 0.5
full_scan_secs = 5
[spi]
listen = "127.0.0.1:{spi_port}"
[[tenant]]
name = "demo"
gateway = "{gateway}"
app_id = "2021000000000000"
private_key_file = "{key}"
platform_public_key_file = "{platform}"
source_database = "{operator_url}"
photo_dir = "{photos}"
{family_line}[tenant.rates]
qps = {qps}
{tenant_extra}"#,
        state = dir.join("state.db").display(),
        key = keys.app_private.display(),
        platform = keys.platform_public.display(),
        photos = photo_dir().display(),
        qps = args.qps,
    );
    std::fs::write(dir.join("rentsync.toml"), &config_text)?;
    let cfg = Config::parse(&config_text, &dir)?;

    let dry = super::dry_run::dry_run(&cfg, 5000).await?;
    println!(
        "3. dry-run (nothing sent):\n{}",
        indent(&dry.render(Format::Table))
    );

    let rt = Arc::new(Runtime::start(cfg).await?);
    let started = Instant::now();
    let summary = super::resync::resync(&rt, Duration::from_secs(300)).await?;
    let calls: u64 = rt.tenants[0]
        .metrics
        .snapshot()
        .values()
        .map(|(n, _)| n)
        .sum();
    let secs = started.elapsed().as_secs_f64();
    for s in &summary {
        println!(
            "4. resync: {} rows, {} queued, {} invalid (never sent); {} platform calls in {:.1} s ({:.1} calls/s; limit {} per method)",
            s.scan.rows, s.scan.queued.created, s.scan.queued.invalid, calls, secs, calls as f64 / secs, args.qps
        );
    }
    let status = super::status::status_report(&rt.outbox, 5).await?;
    println!("{}", indent(&status.render(Format::Table)));

    // Live changes, followed by the daemon.
    let stop = Arc::new(AtomicBool::new(false));
    let daemon = Daemon::spawn(rt.clone(), stop.clone(), Default::default()).await?;
    println!("5. daemon running; changing the source:");
    if housing {
        let ok = super::demo_housing::live_changes(&operator, &sandbox).await?;
        daemon.stop(Duration::from_secs(10)).await?;
        println!("6. {}", super::demo_housing::end_state(&sandbox));
        let _ = stop_tx.send(());
        server.await??;
        closing_hint(&dir);
        return Ok(if ok {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        });
    }
    let on_shelf: Vec<StoredRoom> = sandbox
        .rooms()
        .into_iter()
        .filter(|r| r.flats_tag == 1 && r.room_status == 1 && r.room_code.ends_with("00"))
        .collect();
    let mut ok = on_shelf.len() >= 3;
    if ok {
        let (a, b, c) = (&on_shelf[0], &on_shelf[1], &on_shelf[2]);
        let flat = |r: &StoredRoom| r.room_code.trim_end_matches("00").to_string();

        let old = a.biz_content["room_amount"]
            .as_str()
            .unwrap_or("0")
            .to_string();
        exec(
            &operator,
            &format!("UPDATE flats SET rent = rent + 100 WHERE id = {}", flat(a)),
        )
        .await?;
        ok &= wait(&sandbox, "   price of room", &a.room_code, |r| {
            r.biz_content["room_amount"].as_str() != Some(old.as_str())
        })
        .await;
        exec(
            &operator,
            &format!("UPDATE flats SET listed = FALSE WHERE id = {}", flat(b)),
        )
        .await?;
        ok &= wait(&sandbox, "   off shelf  room", &b.room_code, |r| {
            r.room_status == 0
        })
        .await;
        exec(
            &operator,
            &format!(
                "DELETE FROM photos WHERE owner_kind = 'flat' AND owner_id = {}",
                flat(c)
            ),
        )
        .await?;
        exec(
            &operator,
            &format!("DELETE FROM flats WHERE id = {}", flat(c)),
        )
        .await?;
        ok &= wait(&sandbox, "   deleted    room", &c.room_code, |r| {
            r.room_status == 0
        })
        .await;
    } else {
        println!("   not enough listed whole flats to change");
    }
    println!("   a tenant books a viewing:");
    ok &= super::demo_spi::booking(&rt, &sandbox_base, &delivered).await?;
    println!("   a Tmall Haofang lease order the operator follows is signed and paid:");
    ok &= super::demo_tmall::lease_signs(&rt, &top, "demo").await?;
    daemon.stop(Duration::from_secs(10)).await?;

    let rooms = sandbox.rooms();
    let on = rooms.iter().filter(|r| r.room_status == 1).count();
    println!(
        "6. end state on the platform: {} rooms ({} on shelf, {} off); calls by outcome: {}",
        rooms.len(),
        on,
        rooms.len() - on,
        sandbox.stats_json()["calls"]
    );
    let _ = stop_tx.send(());
    server.await??;
    closing_hint(&dir);
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn closing_hint(dir: &Path) {
    println!(
        "\nstate database: {}; config: {}",
        dir.join("state.db").display(),
        dir.join("rentsync.toml").display()
    );
    println!(
        "try: {} status --config {}",
        shell_word(&this_binary()),
        shell_word(&dir.join("rentsync.toml").display().to_string())
    );
}

/// The binary this demo runs as, so the closing hint works when pasted (an installed
/// `/usr/local/bin/rentsync` has no `cargo run`).
fn this_binary() -> String {
    std::env::current_exe()
        .ok()
        .map(|p| p.display().to_string())
        .or_else(|| std::env::args().next())
        .unwrap_or_else(|| "rentsync".into())
}

/// Quoted for a POSIX shell when it holds anything but plain path characters.
fn shell_word(s: &str) -> String {
    let plain = s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-+:=@,".contains(c));
    if plain && !s.is_empty() {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// A throwaway secret file, readable by its owner alone.
pub(super) fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    Ok(())
}

/// `fixtures/photos` of the checkout (the demo runs from it).
fn photo_dir() -> PathBuf {
    let built = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/photos");
    if built.exists() {
        built
    } else {
        PathBuf::from("fixtures/photos")
    }
}

pub(super) async fn exec(db: &Db, sql: &str) -> anyhow::Result<()> {
    sqlx::raw_sql(sql).execute(&db.pool).await?;
    Ok(())
}

/// Waits until the sandbox shows `room` as `done` says; prints how long it took.
async fn wait(
    sandbox: &SandboxState,
    label: &str,
    room: &str,
    done: impl Fn(&StoredRoom) -> bool,
) -> bool {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(30) {
        if sandbox
            .rooms()
            .iter()
            .any(|r| r.room_code == room && done(r))
        {
            println!(
                "{label} {room}: on the platform after {:.2} s",
                started.elapsed().as_secs_f64()
            );
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    println!("{label} {room}: NOT on the platform after 30 s");
    false
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("   {l}\n")).collect()
}
