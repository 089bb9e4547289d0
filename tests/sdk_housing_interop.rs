//! Interop with the official Alipay Python SDK's `alipay.commerce.housing.*` classes
//! (`alipay-sdk-python==3.7.1411`, the venv of `scripts/sdk-venv.sh housing`): the SDK's own
//! request classes drive the sandbox through a listing's life, and our multipart `file.upload`
//! signature verifies with the SDK's own verification code. Without the venv these tests fail,
//! loudly, instead of skipping.

mod common;

use std::path::PathBuf;
use std::process::Stdio;

use base64::Engine;
use common::{keys, Harness, APP_ID};
use rentsync::alipay::housing::FileUpload;
use rentsync::alipay::AlipayClient;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn python() -> PathBuf {
    let path = std::env::var_os("RENTSYNC_SDK_HOUSING_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/sdk-venv-housing/bin/python")
        });
    assert!(
        path.exists(),
        "the official Alipay SDK with the housing classes is not installed at {}: run \
         `scripts/sdk-venv.sh housing` (scripts/test.sh does) and set RENTSYNC_SDK_HOUSING_PYTHON",
        path.display()
    );
    path
}

fn data(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(name)
        .display()
        .to_string()
}

/// Runs an interop script; returns (exit code, stdout, stderr).
async fn run(name: &str, args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut child = tokio::process::Command::new(python())
        .arg(data(&format!("tests/interop/{name}")))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start python");
    let mut input = child.stdin.take().expect("stdin");
    input.write_all(stdin.as_bytes()).await.expect("stdin");
    drop(input);
    let out = child.wait_with_output().await.expect("python ran");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn key(name: &str) -> String {
    keys().path(name).display().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_sdk_housing_classes_drive_the_sandbox_through_a_listing_life() {
    let h = Harness::start().await;
    let (code, out, err) = run(
        "sdk_housing_flow.py",
        &[
            "--gateway",
            &h.gateway,
            "--app-id",
            APP_ID,
            "--private-key",
            &key("app_private_key.pem"),
            "--alipay-public-key",
            &key("platform_public_key.pem"),
            "--photo",
            &data("tests/data/room.jpg"),
        ],
        "",
    )
    .await;
    assert_eq!(code, 0, "stdout {out}\nstderr {err}");
    let got: Value = serde_json::from_str(out.trim()).expect("flow output");
    let methods: Vec<&str> = got["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            s["method"]
                .as_str()
                .unwrap()
                .trim_start_matches("alipay.commerce.housing.")
        })
        .collect();
    assert_eq!(
        methods,
        [
            "community.add",
            "file.upload",
            "house.rental.add",
            "house.rental.modify",
            "house.online",
            "house.offline",
            "house.rental.query",
            "house.rental.modify"
        ]
    );
    let refused = got["steps"].as_array().unwrap().last().unwrap();
    assert_eq!(refused["sub_code"], "isv.invalid-parameter", "{got}");
    assert_eq!(got["query"]["rent"], "4321.00");

    // What the sandbox kept, read the way any client reads it: /sandbox/state.
    let state = h.get_json("/sandbox/state").await;
    let housing = &state["housing"];
    let housing_id = got["ids"]["housing_id"].as_str().unwrap();
    let house = &housing["houses"][housing_id];
    assert_eq!(house["external_id"], "SDK100");
    assert_eq!(house["online"], false);
    assert_eq!(house["online_calls"], 1);
    assert_eq!(house["offline_calls"], 1);
    assert_eq!(
        house["modify_calls"], 1,
        "the refused modify changed nothing"
    );
    assert_eq!(house["fields"]["rent"], "4321.00");
    assert_eq!(house["fields"]["bed_room"], "2");
    assert_eq!(
        house["fields"]["house_pic"],
        json!([got["ids"]["attachment_id"]])
    );
    assert_eq!(housing["adds"]["house:SDK100"], 1);
    assert_eq!(
        housing["attachments"], 1,
        "the SDK's multipart upload was accepted"
    );
    assert!(housing["communities"][got["ids"]["community_id"].as_str().unwrap()].is_object());
}

/// One HTTP request as it arrived: request target, Content-Type and body.
struct Captured {
    target: String,
    content_type: String,
    body: Vec<u8>,
}

/// Accepts one connection, reads one request, answers 200 with an empty JSON object.
async fn capture_one(listener: tokio::net::TcpListener) -> Captured {
    let (mut s, _) = listener.accept().await.expect("accept");
    let mut buf = Vec::new();
    let head_end = loop {
        let mut chunk = [0u8; 8192];
        let n = s.read(&mut chunk).await.expect("read");
        assert!(n > 0, "connection closed before the headers ended");
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let header = |name: &str| {
        head.lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
            })
            .unwrap_or_else(|| panic!("no {name} header in {head}"))
    };
    let length: usize = header("content-length").parse().expect("length");
    while buf.len() < head_end + length {
        let mut chunk = [0u8; 65536];
        let n = s.read(&mut chunk).await.expect("read body");
        assert!(n > 0, "body cut short");
        buf.extend_from_slice(&chunk[..n]);
    }
    let target = head
        .lines()
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .expect("request line")
        .to_string();
    let _ = s
        .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
        .await;
    Captured {
        target,
        content_type: header("content-type"),
        body: buf[head_end..head_end + length].to_vec(),
    }
}

async fn sdk_verifies(c: &Captured) -> (i32, String, String) {
    let input = json!({
        "target": c.target,
        "content_type": c.content_type,
        "body_b64": base64::engine::general_purpose::STANDARD.encode(&c.body),
    });
    run(
        "sdk_verify_multipart.py",
        &["--public-key", &key("app_public_key.pem")],
        &input.to_string(),
    )
    .await
}

fn replace(body: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let i = body
        .windows(from.len())
        .position(|w| w == from)
        .expect("the bytes to change are in the body");
    [&body[..i], to, &body[i + from.len()..]].concat()
}

#[tokio::test(flavor = "multi_thread")]
async fn our_multipart_upload_signature_verifies_with_the_sdk_code() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let gateway = format!("http://{}/gateway.do", listener.local_addr().unwrap());
    let captured = tokio::spawn(capture_one(listener));
    let client = AlipayClient::new(common::client_config(&gateway)).expect("client");
    let photo = std::fs::read(data("tests/data/room.jpg")).unwrap();
    let file = FileUpload {
        attachment_category: "HOUSE_PIC 房源图片".into(),
        attachment_type: "IMAGE".into(),
        file_name: "room.jpg".into(),
        mime: "image/jpeg".into(),
        bytes: photo.clone(),
    };
    // The canned answer is unsigned: our client refuses it, which is beside the point here.
    let _ = client.upload(&file).await;
    let c = captured.await.expect("captured");
    assert!(
        c.content_type.starts_with("multipart/form-data"),
        "{}",
        c.content_type
    );

    let (code, out, err) = sdk_verifies(&c).await;
    assert_eq!(code, 0, "the SDK refused our signature: {out} {err}");
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some("OK"));
    let signed = lines.next().unwrap_or_default();
    assert!(
        signed.contains("attachment_category") && signed.contains("attachment_type"),
        "the text parts are signed: {signed}"
    );
    assert!(
        !signed.contains("file_content"),
        "the file is not: {signed}"
    );

    // A changed text part breaks the signature; changed file bytes do not (the SDK does not
    // sign them either, spec §2.2).
    let tampered = Captured {
        body: replace(&c.body, "房源图片".as_bytes(), "房源视频".as_bytes()),
        target: c.target.clone(),
        content_type: c.content_type.clone(),
    };
    let (code, out, _) = sdk_verifies(&tampered).await;
    assert_eq!((code, out.lines().next()), (1, Some("BAD")));
    let other_photo = Captured {
        body: replace(&c.body, &photo[photo.len() - 8..], &[0u8; 8]),
        target: c.target.clone(),
        content_type: c.content_type.clone(),
    };
    let (code, out, err) = sdk_verifies(&other_photo).await;
    assert_eq!((code, out.lines().next()), (0, Some("OK")), "{err}");
}
