//! Interop with the official Alipay Python SDK (`alipay-sdk-python==3.3.398`), both ways: the SDK
//! verifies what our client signs, our client verifies what the SDK signs, and an SDK client calling
//! our sandbox gets answers it verifies. The SDK lives in a virtualenv made by `scripts/sdk-venv.sh`
//! (the README's test command runs it); without it these tests fail, loudly, instead of skipping.

mod common;

use std::path::PathBuf;
use std::process::Stdio;

use chrono::Utc;
use common::{keys, Harness, APP_ID};
use rentsync::alipay::response::check;
use rentsync::alipay::sign::SignType;
use serde_json::{json, Map, Value};
use tokio::io::AsyncWriteExt;

fn python() -> PathBuf {
    let path = std::env::var_os("RENTSYNC_SDK_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/sdk-venv/bin/python")
        });
    assert!(
        path.exists(),
        "the official Alipay SDK is not installed at {}: run scripts/sdk-venv.sh (scripts/test.sh does)",
        path.display()
    );
    path
}

fn script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/interop")
        .join(name)
}

/// Runs an interop script; returns (exit code, stdout, stderr).
async fn run(name: &str, args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut child = tokio::process::Command::new(python())
        .arg(script(name))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start python");
    let mut input = child.stdin.take().expect("stdin");
    input
        .write_all(stdin.as_bytes())
        .await
        .expect("write stdin");
    drop(input);
    let out = child.wait_with_output().await.expect("python ran");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn path(name: &str) -> String {
    keys().path(name).display().to_string()
}

#[tokio::test]
async fn the_sdk_signs_appendix_b_as_the_spec_says() {
    let params = json!({
        "app_id": "2021000000000000", "method": "alipay.eco.renthouse.room.state.sync",
        "format": "json", "charset": "utf-8", "sign_type": "RSA2",
        "timestamp": "2024-07-01 12:00:00", "version": "1.0",
        "biz_content": r#"{"flats_tag":1,"rent_status":1,"room_code":"R1001","room_status":1}"#,
    });
    let kat =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/kat_app_private_pkcs1.pem");
    let (code, out, err) = run(
        "sdk_sign.py",
        &["--private-key", kat.to_str().unwrap()],
        &params.to_string(),
    )
    .await;
    assert_eq!(code, 0, "{err}");
    let got: Value = serde_json::from_str(&out).unwrap();
    assert!(
        got["sign"]
            .as_str()
            .unwrap()
            .starts_with("VTVQDZecRevr5E8+tefpF"),
        "{out}"
    );
}

#[tokio::test]
async fn the_sdk_verifies_our_request_signatures_and_signs_identically() {
    let h = Harness::start().await;
    let biz = json!({"ka_name": "阳光 公寓 & Co. = 100%", "ka_code": "a+b/c"}).to_string();
    let params = h
        .client
        .signed_params("alipay.eco.renthouse.ka.baseinfo.sync", &biz, Utc::now());
    let mut map = Map::new();
    let mut our_sign = String::new();
    for (k, v) in params {
        if k == "sign" {
            our_sign = v;
        } else {
            map.insert(k, Value::String(v));
        }
    }
    let input = json!({"params": map, "sign": our_sign}).to_string();
    let (code, out, err) = run(
        "sdk_verify.py",
        &["--public-key", &path("app_public_key.pem")],
        &input,
    )
    .await;
    assert_eq!((code, out.trim()), (0, "OK"), "{err}");

    // The SDK, given the same parameters, produces the very same signature (PKCS#1 v1.5 is
    // deterministic), so the sign content matches byte for byte.
    let (code, out, err) = run(
        "sdk_sign.py",
        &["--private-key", &path("app_private_key.pem")],
        &Value::Object(map.clone()).to_string(),
    )
    .await;
    assert_eq!(code, 0, "{err}");
    let sdk: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(sdk["sign"], json!(our_sign));

    // One changed byte and the SDK says no.
    map.insert("biz_content".into(), json!(biz.replace("100%", "101%")));
    let input = json!({"params": map, "sign": our_sign}).to_string();
    let (code, out, _) = run(
        "sdk_verify.py",
        &["--public-key", &path("app_public_key.pem")],
        &input,
    )
    .await;
    assert_eq!((code, out.trim()), (1, "BAD"));
}

#[tokio::test]
async fn our_client_verifies_answers_the_sdk_signs() {
    let method = "alipay.eco.renthouse.common.image.upload";
    let node = json!({"code": "10000", "msg": "Success",
        "url": "http://ecopublic.oss/eco/tpmogo/1/房源 {x}.jpg"});
    let (code, body, err) = run(
        "sdk_sign_response.py",
        &[
            "--private-key",
            &path("platform_private_key.pem"),
            "--method",
            method,
        ],
        &node.to_string(),
    )
    .await;
    assert_eq!(code, 0, "{err}");
    let platform = keys().platform.public_key();
    let checked =
        check(&body, method, &platform, SignType::Rsa2).expect("SDK-signed answer verifies");
    assert!(checked.signed && checked.status.is_success());
    assert!(checked.content.contains("房源 {x}.jpg"));

    let tampered = body.replace("房源", "房子");
    assert!(check(&tampered, method, &platform, SignType::Rsa2).is_err());
}

async fn sdk_call(h: &Harness, method: &str, biz: &Value) -> (i32, String, String) {
    let args = [
        "--gateway",
        &h.gateway,
        "--app-id",
        APP_ID,
        "--private-key",
        &path("app_private_key.pem"),
        "--alipay-public-key",
        &path("platform_public_key.pem"),
        "--method",
        method,
        "--biz",
        &biz.to_string(),
    ];
    run("sdk_call.py", &args, "").await
}

#[tokio::test(flavor = "multi_thread")]
async fn an_sdk_client_calling_the_sandbox_gets_verified_answers() {
    let h = Harness::start().await;
    let (code, out, err) = sdk_call(
        &h,
        "alipay.eco.renthouse.ka.baseinfo.sync",
        &json!({"ka_name": "示例公寓"}),
    )
    .await;
    assert_eq!(code, 0, "stdout {out} stderr {err}");
    let node: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(node["code"], "10000");
    assert_eq!(node["ka_code"].as_str().unwrap().len(), 17);

    // A rule break comes back signed, so the SDK verifies it and reports the code.
    let bad = json!({"room_code": "R1", "room_status": 5, "flats_tag": 1});
    let (code, out, err) = sdk_call(&h, "alipay.eco.renthouse.room.state.sync", &bad).await;
    assert_eq!(code, 3, "stdout {out} stderr {err}");
    let node: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(node["sub_code"], "isv.invalid-parameter");
    assert!(node["sub_msg"].as_str().unwrap().contains("room_status"));

    // The sandbox saw the SDK's signature as valid: both calls reached the business rules.
    let stats = h.get_json("/sandbox/stats").await;
    assert_eq!(
        stats["calls"]["alipay.eco.renthouse.ka.baseinfo.sync"]["success"],
        1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_sdk_client_refuses_a_wrongly_signed_sandbox_answer() {
    let h = Harness::with(|c| {
        c.faults.bad_signature = 1.0;
    })
    .await;
    let (code, _out, err) = sdk_call(
        &h,
        "alipay.eco.renthouse.ka.baseinfo.sync",
        &json!({"ka_name": "x"}),
    )
    .await;
    assert_eq!(code, 2, "the SDK must raise on a forged answer: {err}");
    assert!(err.contains("sign verify failed"), "{err}");
}
