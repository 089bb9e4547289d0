//! The binary as operators use it: `keygen`, `call` (flags and config file), `sandbox`, `demo`, and
//! the errors a broken key file gives (which must never show key material).

mod common;

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};

use common::{keys, Harness, APP_ID};

fn rentsync() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_rentsync"));
    c.env_remove("RENTSYNC_CONFIG");
    c
}

fn call_args(h: &Harness) -> Vec<String> {
    let k = keys();
    vec![
        "call".into(),
        "--gateway".into(),
        h.gateway.clone(),
        "--app-id".into(),
        APP_ID.into(),
        "--private-key".into(),
        k.path("app_private_key_pkcs8.pem").display().to_string(),
        "--platform-public-key".into(),
        k.path("platform_public_key.pem").display().to_string(),
    ]
}

/// Runs the binary off the async runtime's threads, so the in-process sandbox keeps serving.
async fn output(mut cmd: Command) -> std::process::Output {
    tokio::task::spawn_blocking(move || cmd.output().expect("run rentsync"))
        .await
        .expect("join")
}

#[test]
fn keygen_writes_usable_keys_with_private_files_closed() {
    let dir = tempfile::tempdir().unwrap();
    let out = rentsync()
        .args(["keygen", "--out"])
        .arg(dir.path())
        .args(["--bits", "1024"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for name in [
        "app_private_key.pem",
        "app_private_key_pkcs8.pem",
        "platform_private_key.pem",
    ] {
        let mode = std::fs::metadata(dir.path().join(name))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "{name} must not be readable by others");
        rentsync::alipay::AppPrivateKey::from_file(&dir.path().join(name)).unwrap();
    }
    for name in ["app_public_key.pem", "platform_public_key.pem"] {
        rentsync::alipay::PublicKey::from_file(&dir.path().join(name)).unwrap();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn call_prints_the_verified_node_and_exits_zero() {
    let h = Harness::start().await;
    let mut cmd = rentsync();
    cmd.args(call_args(&h)).args([
        "alipay.eco.renthouse.ka.baseinfo.sync",
        r#"{"ka_name":"示例"}"#,
    ]);
    let out = output(cmd).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let node: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(node["code"], "10000");
    assert!(node["ka_code"].is_string());
}

#[tokio::test(flavor = "multi_thread")]
async fn call_exits_two_with_code_and_sub_code_when_refused() {
    let h = Harness::start().await;
    let mut cmd = rentsync();
    cmd.args(call_args(&h)).args([
        "alipay.eco.renthouse.room.state.sync",
        r#"{"room_code":"1","room_status":1,"flats_tag":1}"#,
    ]);
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("40004") && err.contains("isv.room-not-exist"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn call_reads_the_tenant_from_a_config_file() {
    let h = Harness::start().await;
    let dir = tempfile::tempdir().unwrap();
    let k = keys();
    let config = dir.path().join("rentsync.toml");
    std::fs::write(
        &config,
        format!(
            "[[tenant]]\nname = \"demo\"\ngateway = \"{}\"\napp_id = \"{APP_ID}\"\n\
             private_key_file = \"{}\"\nplatform_public_key_file = \"{}\"\n",
            h.gateway,
            k.path("app_private_key.pem").display(),
            k.path("platform_public_key.pem").display()
        ),
    )
    .unwrap();
    let mut cmd = rentsync();
    cmd.arg("call").arg("--config").arg(&config).args([
        "alipay.eco.renthouse.ka.baseinfo.sync",
        r#"{"ka_name":"x"}"#,
    ]);
    let out = output(cmd).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    std::fs::write(&config, "[[tenant]]\nname = \"demo\"\ngatway = \"typo\"\n").unwrap();
    let mut cmd = rentsync();
    cmd.arg("call").arg("--config").arg(&config).arg("m");
    let out = output(cmd).await;
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("gatway"),
        "unknown keys are named"
    );
}

#[test]
fn a_broken_key_file_is_a_clear_error_without_key_material() {
    let dir = tempfile::tempdir().unwrap();
    let pem = std::fs::read_to_string(keys().path("app_private_key.pem")).unwrap();
    // Drop one line of the body: still base64, no longer a key.
    let broken: Vec<&str> = pem
        .lines()
        .enumerate()
        .filter(|(i, _)| *i != 3)
        .map(|(_, l)| l)
        .collect();
    let file = dir.path().join("broken.pem");
    std::fs::write(&file, broken.join("\n")).unwrap();
    let public = dir.path().join("pub_as_private.pem");
    std::fs::copy(keys().path("app_public_key.pem"), &public).unwrap();

    for (path, reason) in [
        (&file, "not an RSA private key"),
        (&public, "this is a public key"),
    ] {
        let out = rentsync()
            .args([
                "call",
                "--gateway",
                "http://127.0.0.1:9/gateway.do",
                "--app-id",
                APP_ID,
            ])
            .arg("--private-key")
            .arg(path)
            .arg("--platform-public-key")
            .arg(keys().path("platform_public_key.pem"))
            .arg("alipay.eco.renthouse.ka.baseinfo.sync")
            .output()
            .unwrap();
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(reason) && err.contains(&*path.display().to_string()),
            "{err}"
        );
        for line in pem.lines().filter(|l| !l.starts_with("-----")) {
            assert!(!err.contains(&line[..20]), "key material leaked: {err}");
        }
    }
}

#[test]
fn the_sandbox_binary_serves_until_terminated() {
    let k = keys();
    let mut child = rentsync()
        .args(["sandbox", "--listen", "127.0.0.1:0", "--app-public-key"])
        .arg(k.path("app_public_key.pem"))
        .arg("--platform-private-key")
        .arg(k.path("platform_private_key.pem"))
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let gateway = line.trim().rsplit(' ').next().unwrap().to_string();
    assert!(gateway.ends_with("/gateway.do"), "{line}");
    let out = rentsync()
        .args(["call", "--gateway", &gateway, "--app-id", APP_ID, "--private-key"])
        .arg(k.path("app_private_key.pem"))
        .arg("--platform-public-key")
        .arg(k.path("platform_public_key.pem"))
        .args(["alipay.eco.renthouse.community.info.sync"])
        .arg(r#"{"community_name":"阳光花园","city_code":"330100","district_name":"西湖区","address":"文三路 1 号"}"#)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("comm_req_id"));
    let pid = child.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "SIGTERM is a clean stop: {status}");
}

#[test]
fn the_demo_tour_runs_green() {
    let out = rentsync().args(["demo", "--tour"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("All steps answered as expected."));
    assert!(stdout.contains("room_amount: must be a decimal string from 100.00 to 35000.00"));
    assert!(!stdout.contains("FAIL"));
}

#[test]
fn the_housing_demo_tour_runs_green() {
    let out = rentsync()
        .args(["demo", "--tour", "--family", "housing"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("All steps answered as expected."));
    assert!(
        stdout.contains("bed_room: cannot be modified (add only)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("was \"2\" at house.rental.add and is \"3\" now"),
        "{stdout}"
    );
    // The end state as a table, not Rust's debug form.
    assert!(stdout.contains("external_id  housing_id"), "{stdout}");
    assert!(
        !stdout.contains("FAIL") && !stdout.contains("Some("),
        "{stdout}"
    );
}

#[test]
fn the_housing_demo_syncs_and_follows_live_changes() {
    let dir = tempfile::tempdir().unwrap();
    let out = rentsync()
        .args(["demo", "--family", "housing", "--listings", "60", "--dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("platform family: housing"), "{stdout}");
    assert_eq!(
        stdout.matches("on the platform after").count(),
        3,
        "{stdout}"
    );
    assert!(!stdout.contains("NOT on the platform"), "{stdout}");
    assert!(
        stdout.contains("listings added more than once: 0"),
        "{stdout}"
    );
}

#[test]
fn the_demo_syncs_the_sample_database_and_follows_live_changes() {
    let dir = tempfile::tempdir().unwrap();
    let out = rentsync()
        .args(["demo", "--listings", "60", "--dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for step in [
        "1. sandbox gateways",
        "3. dry-run",
        "4. resync",
        "5. daemon running",
        "6. end state",
    ] {
        assert!(stdout.contains(step), "missing {step}: {stdout}");
    }
    assert_eq!(
        stdout.matches("on the platform after").count(),
        3,
        "{stdout}"
    );
    assert!(!stdout.contains("NOT on the platform"), "{stdout}");
    // The Tmall lease order, recorded step by step by the daemon's poller (issue 14).
    for step in [
        "LEASE-SIGN: lease TENANT_INITIATE",
        "LEASE-SIGN: lease ACHIEVEMENT → SIGN_FINISH",
        "LEASE-SIGN: bill LEASE-SIGN-B1 PAYABLE → SUCCEED",
        "LEASE-SIGN: signed, deposit and first rent paid",
    ] {
        assert!(stdout.contains(step), "missing {step}: {stdout}");
    }
    // The closing hint names the binary that ran, not `cargo run`.
    let hint = format!("try: {} status --config ", env!("CARGO_BIN_EXE_rentsync"));
    assert!(stdout.contains(&hint), "{stdout}");
}
