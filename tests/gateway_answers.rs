//! Answers rentsync must not believe, or must not let decide too much (issue 11): an unsigned
//! error is never a reason to pause a tenant or fail an item; an HTTP error from a proxy is not the
//! platform's refusal; a success whose node does not decode is parked after a few tries with the
//! answer; a body larger than the cap is cut off while it streams.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::engine::{Backend, Env};
use common::fake_gateway::{signed, unsigned_error, Canned, FakeGateway};
use rentsync::alipay::{AlipayClient, AlipayError, ErrorClass};
use rentsync::cli::{resync, Runtime};
use rentsync::fixtures::GenOptions;
use rentsync::outbox::ItemStatus;

const KA: &str = "alipay.eco.renthouse.ka.baseinfo.sync";
const KA_BIZ: &str = r#"{"ka_name":"示例"}"#;
const COMMUNITY: &str = "alipay.eco.renthouse.community.info.sync";

async fn client_error(canned: Canned) -> AlipayError {
    let gw = FakeGateway::start(canned).await;
    let client = AlipayClient::new(common::client_config(&gw.url)).expect("client");
    client.call_raw(KA, KA_BIZ).await.expect_err("refused")
}

#[tokio::test]
async fn unsigned_error_answers_are_transient_and_counted_as_bad_signatures() {
    for (code, sub) in [
        ("20001", "aop.invalid-auth-token"),
        ("40004", "BIZ_FAILED"),
        ("40006", "isv.insufficient-isv-permissions"),
        ("40002", "isv.invalid-app-id"),
        ("40004", ""),
    ] {
        let e = client_error(Canned::Answer(200, unsigned_error(code, sub))).await;
        assert_eq!(e.class(), ErrorClass::Transient, "{code} {sub}: {e}");
        assert!(e.is_bad_signature(), "{code} {sub} is counted: {e}");
        assert_eq!(e.outcome_label(), "bad_signature");
    }
}

#[tokio::test]
async fn signed_refusals_still_decide() {
    let node = r#"{"code":"40004","msg":"Business Failed","sub_code":"X","sub_msg":"no"}"#;
    let e = client_error(Canned::Answer(200, signed(KA, node))).await;
    assert_eq!(e.codes(), Some(("40004", "X")));
    assert_eq!(e.class(), ErrorClass::Permanent);
    let node = r#"{"code":"20001","msg":"x","sub_code":"aop.invalid-auth-token","sub_msg":"no"}"#;
    let e = client_error(Canned::Answer(200, signed(KA, node))).await;
    assert_eq!(e.class(), ErrorClass::Credentials);
}

#[tokio::test]
async fn proxy_http_errors_are_transient() {
    for status in [400, 401, 403, 404, 405, 408, 413, 502] {
        let e = client_error(Canned::Answer(status, "<html>proxy says no</html>".into())).await;
        assert!(
            matches!(e, AlipayError::HttpStatus { status: s, .. } if s == status),
            "{e}"
        );
        assert_eq!(e.class(), ErrorClass::Transient, "HTTP {status}");
    }
    let e = client_error(Canned::Answer(429, String::new())).await;
    assert_eq!(e.class(), ErrorClass::Throttled);
}

#[tokio::test]
async fn an_oversized_answer_is_cut_off_while_streaming() {
    let started = Instant::now();
    // 6 MB arrive, then the server hangs: reading whole would wait for the 5 s timeout.
    let e = client_error(Canned::Endless { bytes: 6 << 20 }).await;
    assert!(
        matches!(&e, AlipayError::Transport { detail, .. } if detail.contains("larger than")),
        "{e}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
}

/// An environment whose tenant talks to `gw` instead of the sandbox.
async fn env_on(gw: &FakeGateway) -> (Env, Arc<Runtime>) {
    let env = Env::with_options(
        Backend::Sqlite,
        GenOptions {
            listings: 6,
            broken_rate: 0.0,
            bad_photo_rate: 0.0,
            ..Default::default()
        },
        |_| {},
    )
    .await;
    let text = env.config_text(500.0, 5).replace(&env.h.gateway, &gw.url);
    let cfg = rentsync::config::Config::parse(&text, env.dir.path()).expect("config");
    let rt = Arc::new(Runtime::start(cfg).await.expect("runtime"));
    (env, rt)
}

/// Resyncs in the background until `done` holds or `secs` pass.
async fn run_until(rt: &Arc<Runtime>, secs: u64, done: impl Fn(&Runtime) -> bool) {
    let bg = {
        let rt = rt.clone();
        tokio::spawn(async move { resync(&rt, Duration::from_secs(secs)).await })
    };
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(secs) && !done(rt) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bg.abort();
}

async fn count(rt: &Runtime, st: ItemStatus) -> i64 {
    rt.outbox
        .counts()
        .await
        .expect("counts")
        .get(&("t1".into(), st))
        .copied()
        .unwrap_or(0)
}

#[tokio::test]
async fn unsigned_refusals_never_pause_the_tenant_nor_fail_items() {
    for (code, sub) in [("20001", "aop.invalid-auth-token"), ("40004", "X")] {
        let gw = FakeGateway::start(Canned::Answer(200, unsigned_error(code, sub))).await;
        let (env, rt) = env_on(&gw).await;
        run_until(&rt, 6, |rt| rt.tenants[0].paused()).await;
        assert!(!rt.tenants[0].paused(), "unsigned {code} paused the tenant");
        assert!(gw.calls() > 3, "the gateway was called: {}", gw.calls());
        assert_eq!(
            count(&rt, ItemStatus::Failed).await,
            0,
            "unsigned {code} failed items"
        );
        assert!(count(&rt, ItemStatus::Retry).await > 0);
        env.cleanup().await;
    }
}

#[tokio::test]
async fn a_persistent_proxy_error_pauses_the_tenant_with_a_clear_reason_and_fails_nothing() {
    let gw = FakeGateway::start(Canned::Answer(403, "<html>Forbidden</html>".into())).await;
    let (env, rt) = env_on(&gw).await;
    run_until(&rt, 20, |rt| rt.tenants[0].paused()).await;
    assert!(
        rt.tenants[0].paused(),
        "a gateway that keeps answering 403 pauses the tenant"
    );
    assert_eq!(count(&rt, ItemStatus::Failed).await, 0);
    let why = rt.tenants[0].pause_reason().unwrap_or_default();
    assert!(why.contains("HTTP 403") && why.contains(&gw.url), "{why}");
    env.cleanup().await;
}

#[tokio::test]
async fn a_success_that_does_not_decode_is_parked_with_the_answer_after_three_tries() {
    // A community success without comm_req_id: signed, successful, useless.
    let node = r#"{"code":"10000","msg":"Success","status":"1","remark":"13912345678"}"#;
    let gw = FakeGateway::start(Canned::Answer(200, signed(COMMUNITY, node))).await;
    let (env, rt) = env_on(&gw).await;
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(40) {
        let s = resync(&rt, Duration::from_secs(5)).await.expect("resync");
        if s[0].outstanding == 0 {
            break;
        }
    }
    let failures = rt.outbox.failures(50).await.expect("failures");
    let failed: Vec<_> = failures.iter().filter(|f| f.status == "failed").collect();
    assert!(!failed.is_empty(), "{failures:?}");
    assert_eq!(
        count(&rt, ItemStatus::Retry).await,
        0,
        "nothing is re-sent forever"
    );
    for f in failed {
        assert_eq!(f.code, "undecodable", "{f:?}");
        assert!(f.attempts <= 3, "{f:?}");
        assert!(
            f.message.contains(r#""code":"10000""#),
            "the answer is kept: {f:?}"
        );
        assert!(!f.message.contains("13912345678"), "redacted: {f:?}");
    }
    env.cleanup().await;
}
