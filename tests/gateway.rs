//! The gateway's own checks (common parameters, signatures, tokens, flow control) and the client's
//! behaviour under each injected fault: every failure arrives typed, and no forged answer is taken.

mod common;

use std::time::Duration;

use common::{common_params, keys, node, Harness};
use rentsync::alipay::sign::{sign, sign_content, SignType};
use rentsync::alipay::{AlipayClient, AlipayError, AppPrivateKey, ErrorClass};
use rentsync::sandbox::FaultConfig;
use rentsync::secret::Secret;
use serde_json::json;

const KA: &str = "alipay.eco.renthouse.ka.baseinfo.sync";
const KA_BIZ: &str = r#"{"ka_name":"示例"}"#;

fn without(mut p: Vec<(String, String)>, key: &str) -> Vec<(String, String)> {
    p.retain(|(k, _)| k != key);
    p
}

fn with(mut p: Vec<(String, String)>, key: &str, value: &str) -> Vec<(String, String)> {
    p.retain(|(k, _)| k != key);
    p.push((key.into(), value.into()));
    p
}

async fn expect(h: &Harness, params: Vec<(String, String)>, code: &str, sub: &str, names: &str) {
    let body = h.post_params(params).await;
    let n = node(&body);
    assert_eq!(
        (n["code"].as_str(), n["sub_code"].as_str()),
        (Some(code), Some(sub)),
        "{body}"
    );
    assert!(
        n["sub_msg"].as_str().unwrap_or("").contains(names),
        "{body}"
    );
}

#[tokio::test]
async fn a_well_formed_request_succeeds() {
    let h = Harness::start().await;
    let body = h.post_params(common_params(KA, KA_BIZ)).await;
    assert_eq!(node(&body)["code"], "10000", "{body}");
    assert!(body["sign"].is_string(), "successful answers are signed");
}

#[tokio::test]
async fn each_missing_common_parameter_is_named() {
    let h = Harness::start().await;
    for (param, sub) in [
        ("method", "isv.missing-method"),
        ("app_id", "isv.missing-app-id"),
        ("sign_type", "isv.missing-signature-type"),
        ("timestamp", "isv.missing-timestamp"),
        ("version", "isv.missing-version"),
    ] {
        expect(
            &h,
            without(common_params(KA, KA_BIZ), param),
            "40001",
            sub,
            param,
        )
        .await;
    }
    // Without sign the harness would sign: send an explicitly empty one.
    let p = with(common_params(KA, KA_BIZ), "sign", "");
    expect(&h, p, "40001", "isv.missing-signature", "sign").await;
}

#[tokio::test]
async fn invalid_common_parameters_are_refused() {
    let h = Harness::with(|c| c.app_id = Some(common::APP_ID.into())).await;
    let cases = [
        ("method", "alipay.trade.pay", "isv.invalid-method"),
        ("app_id", "2021999999999999", "isv.invalid-app-id"),
        ("sign_type", "MD5", "isv.invalid-signature-type"),
        ("charset", "gbk", "isv.invalid-charset"),
        ("format", "xml", "isv.invalid-format"),
        ("timestamp", "2020-01-01 00:00:00", "isv.invalid-timestamp"),
        ("timestamp", "2026/11/21 10:00", "isv.invalid-timestamp"),
        ("version", "2.0", "isv.invalid-parameter"),
    ];
    for (param, value, sub) in cases {
        let p = with(common_params(KA, KA_BIZ), param, value);
        expect(&h, p, "40002", sub, param).await;
    }
}

#[tokio::test]
async fn a_parameter_given_twice_is_refused() {
    let h = Harness::start().await;
    let mut p = common_params(KA, KA_BIZ);
    p.push(("version".into(), "1.0".into()));
    expect(&h, p, "40002", "isv.invalid-parameter", "version").await;
}

#[tokio::test]
async fn signatures_by_another_key_or_over_other_content_are_refused() {
    let h = Harness::start().await;
    let other = AppPrivateKey::generate(2048).unwrap();
    let p = common_params(KA, KA_BIZ);
    let content = sign_content(p.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let forged = with(
        p.clone(),
        "sign",
        &sign(&other, SignType::Rsa2, content.as_bytes()),
    );
    expect(&h, forged, "40002", "isv.invalid-signature", "sign").await;

    let good = sign(&keys().app, SignType::Rsa2, content.as_bytes());
    let tampered = with(with(p, "biz_content", r#"{"ka_name":"改"}"#), "sign", &good);
    let body = h.post_params(tampered).await;
    assert_eq!(node(&body)["sub_code"], "isv.invalid-signature");
    assert!(
        body.get("sign").is_none(),
        "gateway refusals go out unsigned"
    );
}

#[tokio::test]
async fn rsa_sha1_requests_are_verified_too() {
    let h = Harness::start().await;
    let p = with(common_params(KA, KA_BIZ), "sign_type", "RSA");
    let content = sign_content(p.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let p = with(
        p.clone(),
        "sign",
        &sign(&keys().app, SignType::Rsa, content.as_bytes()),
    );
    assert_eq!(node(&h.post_params(p).await)["code"], "10000");
}

#[tokio::test]
async fn app_auth_token_is_required_when_configured_and_travels_signed() {
    let h = Harness::with(|c| c.app_auth_tokens = Some(vec![Secret::new("tok-op-1")])).await;
    let err = h.client.call_raw(KA, KA_BIZ).await.unwrap_err();
    assert_eq!(err.codes(), Some(("20001", "aop.invalid-app-auth-token")));
    assert_eq!(err.class(), ErrorClass::Credentials);

    let mut cfg = common::client_config(&h.gateway);
    cfg.app_auth_token = Some(Secret::new("tok-op-1"));
    let client = AlipayClient::new(cfg).unwrap();
    client.call_raw(KA, KA_BIZ).await.expect("token accepted");
}

#[tokio::test]
async fn flow_control_answers_40005_beyond_the_rate_and_recovers() {
    let h = Harness::with(|c| {
        c.limits.qps = 5.0;
        c.limits.burst = 2;
    })
    .await;
    let mut limited = 0;
    for _ in 0..6 {
        if let Err(e) = h.client.call_raw(KA, KA_BIZ).await {
            assert_eq!(e.codes(), Some(("40005", "isv.method-call-limited")), "{e}");
            assert_eq!(e.class(), ErrorClass::Throttled);
            limited += 1;
        }
    }
    assert!(
        limited >= 3,
        "a burst of 6 at a limit of burst 2 must be refused: {limited}"
    );
    tokio::time::sleep(Duration::from_millis(450)).await;
    h.client.call_raw(KA, KA_BIZ).await.expect("allowed again");
    let stats = h.get_json("/sandbox/stats").await;
    assert_eq!(stats["limited_calls"], limited);
    // Another method has its own budget.
    let e = h
        .client
        .call_raw(
            "alipay.eco.renthouse.ka.baseinfo.query",
            r#"{"ka_code":"x"}"#,
        )
        .await
        .expect_err("unknown ka");
    assert_eq!(e.codes().map(|c| c.0), Some("40004"), "{e}");
}

async fn with_fault(f: impl FnOnce(&mut FaultConfig)) -> Harness {
    Harness::with(|c| {
        c.faults.seed = 7;
        c.faults.hang_ms = 3_000;
        f(&mut c.faults);
    })
    .await
}

#[tokio::test]
async fn http_5xx_is_transient() {
    let h = with_fault(|f| f.http_5xx = 1.0).await;
    let e = h.client.call_raw(KA, KA_BIZ).await.unwrap_err();
    assert!(
        matches!(e, AlipayError::HttpStatus { status: 502, .. }),
        "{e}"
    );
    assert_eq!(e.class(), ErrorClass::Transient);
}

#[tokio::test]
async fn service_unavailable_20000_is_transient() {
    let h = with_fault(|f| f.service_unavailable = 1.0).await;
    let e = h.client.call_raw(KA, KA_BIZ).await.unwrap_err();
    assert_eq!(e.codes(), Some(("20000", "isp.unknow-error")));
    assert_eq!(e.class(), ErrorClass::Transient);
}

#[tokio::test]
async fn a_hanging_answer_times_out_as_transient() {
    let h = with_fault(|f| f.timeout = 1.0).await;
    let mut cfg = common::client_config(&h.gateway);
    cfg.request_timeout = Duration::from_millis(500);
    let client = AlipayClient::new(cfg).unwrap();
    let e = client.call_raw(KA, KA_BIZ).await.unwrap_err();
    assert!(matches!(e, AlipayError::Timeout { .. }), "{e}");
    assert_eq!(e.class(), ErrorClass::Transient);
}

#[tokio::test]
async fn a_dropped_connection_is_transient() {
    let h = with_fault(|f| f.drop = 1.0).await;
    let e = h.client.call_raw(KA, KA_BIZ).await.unwrap_err();
    assert!(matches!(e, AlipayError::Transport { .. }), "{e}");
    assert_eq!(e.class(), ErrorClass::Transient);
}

#[tokio::test]
async fn a_malformed_answer_is_transient() {
    let h = with_fault(|f| f.malformed = 1.0).await;
    let e = h.client.call_raw(KA, KA_BIZ).await.unwrap_err();
    assert_eq!(e.outcome_label(), "malformed", "{e}");
    assert_eq!(e.class(), ErrorClass::Transient);
}

#[tokio::test]
async fn a_wrongly_signed_answer_is_never_accepted() {
    let h = with_fault(|f| f.bad_signature = 1.0).await;
    for _ in 0..3 {
        let e = h.client.call_raw(KA, KA_BIZ).await.unwrap_err();
        assert_eq!(e.outcome_label(), "bad_signature", "{e}");
    }
    let stats = h.get_json("/sandbox/stats").await;
    assert_eq!(stats["calls"][KA]["fault/bad_signature"], 3);
}

#[tokio::test]
async fn a_client_with_the_wrong_platform_key_rejects_genuine_answers() {
    let h = Harness::start().await;
    let mut cfg = common::client_config(&h.gateway);
    cfg.platform_public_key = AppPrivateKey::generate(2048).unwrap().public_key();
    let e = AlipayClient::new(cfg)
        .unwrap()
        .call_raw(KA, KA_BIZ)
        .await
        .unwrap_err();
    // Never taken; retried per call, and the worker pauses the tenant when it keeps happening.
    assert!(e.is_bad_signature(), "{e}");
    assert_eq!(e.class(), ErrorClass::Transient);
}

#[tokio::test]
async fn latency_is_added_and_faults_are_drawn_from_the_seed() {
    let draws = |seed| {
        let f = rentsync::sandbox::Faults::new(FaultConfig {
            seed,
            http_5xx: 0.3,
            drop: 0.3,
            ..Default::default()
        });
        (0..50).map(|_| f.draw(KA).1).collect::<Vec<_>>()
    };
    assert_eq!(draws(1), draws(1));
    assert_ne!(draws(1), draws(2));

    let h = with_fault(|f| f.latency_ms = 300).await;
    let t = std::time::Instant::now();
    h.client.call_raw(KA, KA_BIZ).await.unwrap();
    assert!(t.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn state_survives_a_restart_through_the_state_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sandbox.json");
    {
        let f = file.clone();
        let h = Harness::with(|c| c.state_file = Some(f)).await;
        h.client.call_raw(KA, KA_BIZ).await.unwrap();
        h.sandbox.flush().unwrap();
    }
    let f = file.clone();
    let h = Harness::with(|c| c.state_file = Some(f)).await;
    let state = h.get_json("/sandbox/state").await;
    let ops = state["operators"].as_object().unwrap();
    assert_eq!(ops.len(), 1);
    assert_eq!(ops.values().next().unwrap()["ka_name"], json!("示例"));
}
