//! Tmall Haofang end to end over loopback: the TOP client against the TOP sandbox. Signatures by
//! all three methods, wrong secrets and sessions refused with the fix named, bans honoured with
//! no call during them, `isp.*` retried for queries, never a second CREATE after an unknown
//! outcome, the "required when" rules before sending, and every lease status, bill type and
//! bill status of seed 002 seen through the client.

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use rentsync::secret::Secret;
use rentsync::tmall::escrow::{EscrowOperate, OperateType, SecondHandOrderOperateRequest};
use rentsync::tmall::lease::{
    BillStatus, BillType, LeaseQuery, LeaseStatus, QueryStatusDTO, QueryType,
};
use rentsync::tmall::sandbox::{TopFault, TopSandbox, TopSandboxConfig};
use rentsync::tmall::{ErrorClass, SignMethod, TopClient, TopConfig, TopError};

const SECRET: &str = "sandbox-secret-7f3a";
const SESSION: &str = "sess-6102a1b2c3";
const LEASE: &str = "tmall.alihouse.trade.rent.lease.query";
const OPERATE: &str = "tmall.alihouse.trade.order.second.house.operate";

async fn sandbox(session: bool) -> (TopSandbox, String) {
    let mut cfg = TopSandboxConfig::new("12345678", Secret::new(SECRET));
    if session {
        cfg.session = Some(Secret::new(SESSION));
    }
    let sb = TopSandbox::new(cfg);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/router/rest", listener.local_addr().unwrap());
    let router = sb.router();
    tokio::spawn(async move { axum::serve(listener, router).await });
    (sb, url)
}

fn client(url: &str, secret: &str, method: SignMethod) -> TopClient {
    let mut cfg = TopConfig::new(url, "12345678", Secret::new(secret));
    cfg.sign_method = method;
    cfg.session = Some(Secret::new(SESSION));
    cfg.backoff_base = Duration::from_millis(20);
    cfg.request_timeout = Duration::from_secs(2);
    TopClient::new(cfg).unwrap()
}

fn query(no: &str) -> LeaseQuery {
    LeaseQuery(QueryStatusDTO {
        lease_order_no: no.into(),
        bill_no_list: None,
        phase: None,
        query_type: QueryType::Lease,
        merchant_open_id: 1232,
    })
}

fn escrow() -> SecondHandOrderOperateRequest {
    serde_json::from_str(include_str!("data/tmall/escrow_create.json")).unwrap()
}

#[tokio::test]
async fn every_sign_method_is_accepted_by_the_sandbox() {
    let (_sb, url) = sandbox(true).await;
    for m in [SignMethod::Md5, SignMethod::Hmac, SignMethod::HmacSha256] {
        let lease = client(&url, SECRET, m).call(&query("LEASE-SIGN")).await;
        let lease = lease.unwrap_or_else(|e| panic!("{m:?}: {e}"));
        assert_eq!(lease.status, Some(LeaseStatus::TenantInitiate));
    }
}

#[tokio::test]
async fn a_wrong_secret_is_refused_with_the_fix_named_and_the_secret_never_shown() {
    let (sb, url) = sandbox(true).await;
    let err = client(&url, "not-the-secret", SignMethod::HmacSha256)
        .call(&query("LEASE-SIGN"))
        .await
        .unwrap_err();
    assert_eq!(err.class(), ErrorClass::Credentials);
    let text = format!("{err} {err:?}");
    assert!(
        text.contains("code 25") && text.contains("app_secret_file"),
        "{text}"
    );
    for secret in ["not-the-secret", SECRET, SESSION] {
        assert!(!text.contains(secret), "{text}");
    }
    // Permanent: one call, no retries.
    assert_eq!(sb.calls().len(), 1);
}

#[tokio::test]
async fn a_wrong_session_names_the_reauthorisation_step() {
    let (_sb, url) = sandbox(true).await;
    let mut cfg = TopConfig::new(&url, "12345678", Secret::new(SECRET));
    cfg.session = Some(Secret::new("expired-token"));
    let err = TopClient::new(cfg)
        .unwrap()
        .call(&query("LEASE-SIGN"))
        .await
        .unwrap_err();
    assert_eq!(err.class(), ErrorClass::Session);
    let text = err.to_string();
    assert!(
        text.contains("re-authorise") && text.contains("session_file"),
        "{text}"
    );
    assert!(!text.contains("expired-token"), "{text}");
}

#[tokio::test]
async fn a_ban_is_honoured_with_no_call_of_that_method_during_it() {
    let (sb, url) = sandbox(true).await;
    let c = client(&url, SECRET, SignMethod::HmacSha256);
    sb.inject(LEASE, TopFault::Ban { secs: 2 });
    let started = Instant::now();
    let other = c.clone();
    // Another worker of the same client asks meanwhile: it must wait as well.
    let second = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        other.call(&query("LEASE-CLOSE")).await
    });
    let lease = c.call(&query("LEASE-SIGN")).await.unwrap();
    assert_eq!(lease.lease_order_no, "LEASE-SIGN");
    second.await.unwrap().unwrap();
    assert!(started.elapsed() >= Duration::from_secs(2));
    let calls: Vec<_> = sb
        .calls()
        .into_iter()
        .filter(|c| c.method == LEASE)
        .collect();
    assert_eq!(calls[0].outcome, "code 7");
    let ban_end = calls[0].at + Duration::from_secs(2);
    for c in &calls[1..] {
        assert!(
            c.at >= ban_end,
            "a call came {:?} before the ban ended",
            ban_end - c.at
        );
        assert_eq!(c.outcome, "ok");
    }
    assert_eq!(calls.len(), 3);
}

#[tokio::test]
async fn a_ban_longer_than_the_cap_stops_the_method_without_calling_again() {
    let (sb, url) = sandbox(true).await;
    let c = client(&url, SECRET, SignMethod::Hmac);
    sb.inject(LEASE, TopFault::Ban { secs: 31062 });
    let err = c.call(&query("LEASE-SIGN")).await.unwrap_err();
    assert!(
        matches!(
            err,
            TopError::BanTooLong {
                secs: 31062,
                cap: 60,
                ..
            }
        ),
        "{err:?}"
    );
    let err = c.call(&query("LEASE-SIGN")).await.unwrap_err();
    assert!(matches!(err, TopError::MethodStopped { .. }), "{err:?}");
    assert_eq!(sb.calls().len(), 1, "the stopped method was called again");
    // Other methods go on.
    c.call(&EscrowOperate(escrow())).await.unwrap();
}

#[tokio::test]
async fn isp_errors_are_retried_for_queries() {
    let (sb, url) = sandbox(true).await;
    sb.inject(LEASE, TopFault::IspAfterApply);
    let lease = client(&url, SECRET, SignMethod::Md5)
        .call(&query("LEASE-SIGN"))
        .await
        .unwrap();
    assert_eq!(lease.lease_order_no, "LEASE-SIGN");
    let outcomes: Vec<_> = sb.calls().into_iter().map(|c| c.outcome).collect();
    assert_eq!(outcomes, ["code 15", "ok"]);
}

#[tokio::test]
async fn no_second_create_after_a_timeout_or_an_isp_error() {
    let (sb, url) = sandbox(true).await;
    let c = client(&url, SECRET, SignMethod::HmacSha256);
    for fault in [
        TopFault::HangAfterApply { ms: 3000 },
        TopFault::IspAfterApply,
    ] {
        let mut req = escrow();
        let source_no = format!("CASE-{fault:?}");
        req.source_no = Some(source_no.clone());
        sb.inject(OPERATE, fault);
        let err = c.call(&EscrowOperate(req)).await.unwrap_err();
        assert_eq!(err.class(), ErrorClass::Unknown, "{err}");
        let text = err.to_string();
        assert!(
            text.contains("nothing was resent") && text.contains(&source_no),
            "{text}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(sb.creates(&source_no), 1);
    }
}

#[tokio::test]
async fn create_then_modify_and_the_rules_refuse_before_sending() {
    let (sb, url) = sandbox(true).await;
    let c = client(&url, SECRET, SignMethod::HmacSha256);
    let created = c.call(&EscrowOperate(escrow())).await.unwrap();
    let no = created.house_order_no.clone().unwrap();
    assert!(created.buyer_url.is_some() && created.landlord_url.is_some());

    let mut modify = escrow();
    modify.operate_type = OperateType::Modify;
    modify.house_order_no = Some(no.clone());
    modify.deposit_amount = Some(rentsync::tmall::wire::Fen(12_345_600));
    c.call(&EscrowOperate(modify)).await.unwrap();
    assert_eq!(
        sb.escrow(&no).unwrap().deposit_amount.unwrap().0,
        12_345_600
    );

    let calls = sb.calls().len();
    let mut bad = escrow();
    bad.operate_type = OperateType::Modify;
    let err = c.call(&EscrowOperate(bad)).await.unwrap_err();
    assert!(
        err.to_string()
            .contains("operate_request.house_order_no: is required when operate_type is MODIFY"),
        "{err}"
    );
    let mut bad = escrow();
    bad.service_provider_name = None;
    bad.item_id = None;
    let text = c.call(&EscrowOperate(bad)).await.unwrap_err().to_string();
    assert!(
        text.contains("service_provider_name") && text.contains("item_id"),
        "{text}"
    );
    assert_eq!(
        sb.calls().len(),
        calls,
        "a refused request reached the gateway"
    );
    // Masked in the error too: no card number or phone.
    assert!(
        !text.contains("18600001111") && !text.contains("420106"),
        "{text}"
    );
}

#[tokio::test]
async fn every_lease_status_bill_type_and_bill_status_is_seen_through_the_client() {
    let (sb, url) = sandbox(true).await;
    let c = client(&url, SECRET, SignMethod::HmacSha256);
    let (mut statuses, mut types, mut bill_statuses) =
        (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    for no in rentsync::tmall::sandbox::SCRIPTED {
        loop {
            let lease = c.call(&query(no)).await.unwrap();
            statuses.extend(lease.status.clone());
            for b in &lease.bill_dto_list {
                types.extend(b.bill_type);
                bill_statuses.extend(b.status.clone());
                assert!(b.amount.is_some_and(|a| a.0 > 0));
            }
            if !sb.advance(no) {
                break;
            }
        }
    }
    assert_eq!(statuses.len(), LeaseStatus::ALL.len(), "{statuses:?}");
    assert_eq!(types.len(), BillType::ALL.len(), "{types:?}");
    assert_eq!(
        bill_statuses.len(),
        BillStatus::ALL.len(),
        "{bill_statuses:?}"
    );
}

/// Runs `rentsync tmall ARGS` against the sandbox; returns (exit code, stdout, stderr).
async fn cli(url: &str, secret: &str, args: &[&str]) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let secret_file = dir.path().join("secret");
    std::fs::write(&secret_file, format!("{secret}\n")).unwrap();
    let session_file = dir.path().join("session");
    std::fs::write(&session_file, format!("  {SESSION}\n")).unwrap();
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_rentsync"));
    cmd.arg("tmall").args(args).args([
        "--gateway",
        url,
        "--app-key",
        "12345678",
        "--app-secret-file",
        secret_file.to_str().unwrap(),
        "--session-file",
        session_file.to_str().unwrap(),
        "--sign-method",
        "md5",
    ]);
    cmd.env_remove("RENTSYNC_CONFIG")
        .env("RENTSYNC_LOG", "debug");
    let out = cmd.output().await.unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn cli_lease_show_prints_status_and_every_bill() {
    let (sb, url) = sandbox(true).await;
    sb.advance("LEASE-FULL");
    let (code, out, err) = cli(
        &url,
        SECRET,
        &["lease", "show", "LEASE-FULL", "--merchant-open-id", "1232"],
    )
    .await;
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("lease LEASE-FULL: ACHIEVEMENT"), "{out}");
    assert_eq!(out.matches(" PAYABLE ").count(), 15, "{out}");
    assert!(
        out.contains("CheckOutReceivable") && out.contains("104.00"),
        "{out}"
    );
    let (code, out, _) = cli(
        &url,
        SECRET,
        &[
            "lease",
            "show",
            "LEASE-SIGN",
            "--merchant-open-id",
            "1",
            "--format",
            "json",
        ],
    )
    .await;
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["lease"]["bill_dto_list"][0]["amount"], 400_000);
    assert_eq!(v["history"], serde_json::json!([]));
    for text in [&out, &err] {
        assert!(!text.contains(SECRET) && !text.contains(SESSION));
    }
}

#[tokio::test]
async fn cli_escrow_create_masks_cards_and_phones_and_a_wrong_secret_is_named() {
    let (_sb, url) = sandbox(true).await;
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/tmall/escrow_create.json"
    );
    let (code, out, err) = cli(&url, SECRET, &["escrow", "create", "--file", file]).await;
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("house_order_no HO"), "{out}");
    assert!(
        out.contains("card 420***********1234") && out.contains("phone 186****5678"),
        "{out}"
    );
    for text in [&out, &err] {
        for raw in [
            "420106199001011234",
            "18612345678",
            "6222020200112233445",
            SECRET,
            SESSION,
        ] {
            assert!(!text.contains(raw), "{raw} in {text}");
        }
    }
    let (code, _, _) = cli(&url, SECRET, &["escrow", "modify", "--file", file]).await;
    assert_ne!(code, 0, "a CREATE file was sent as MODIFY");

    let (code, out, err) = cli(
        &url,
        "wrong-secret-123",
        &["escrow", "create", "--file", file],
    )
    .await;
    assert_eq!(code, 2, "{out}\n{err}");
    assert!(
        err.contains("Invalid Signature") && err.contains("app_secret_file"),
        "{err}"
    );
    assert!(!err.contains("wrong-secret-123") && !out.contains("wrong-secret-123"));
}

/// A fresh state database: SQLite in `dir`, or a scratch database on the local server.
async fn state_db(kind: &str, dir: &std::path::Path) -> (String, Option<(String, String)>) {
    let name = format!(
        "rs_tmall_{}_{:06x}",
        std::process::id(),
        rand::random::<u32>() & 0xFF_FFFF
    );
    let admin = match kind {
        "sqlite" => return (format!("sqlite://{}", dir.join("state.db").display()), None),
        "postgres" => "postgres://postgres@127.0.0.1:5432/postgres",
        _ => "mysql://root@127.0.0.1:3306/mysql",
    };
    let db = rentsync::db::Db::connect(admin, 1)
        .await
        .unwrap_or_else(|e| {
            panic!("{admin} is not reachable ({e:#}); start it with scripts/services.sh")
        });
    sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
        .execute(&db.pool)
        .await
        .unwrap();
    db.pool.close().await;
    let url = format!("{}/{name}", admin.rsplit_once('/').unwrap().0);
    (url, Some((admin.to_string(), name)))
}

async fn poller_records_every_status_once(kind: &str) {
    use rentsync::tmall::poller::{poll_once, LeaseBook};
    let (sb, url) = sandbox(true).await;
    let c = client(&url, SECRET, SignMethod::HmacSha256);
    let dir = tempfile::tempdir().unwrap();
    let (state_url, scratch) = state_db(kind, dir.path()).await;
    let outbox = rentsync::outbox::Outbox::open(&state_url, 2).await.unwrap();
    let book = LeaseBook::new(outbox.db.clone()).delivering(true);
    for no in rentsync::tmall::sandbox::SCRIPTED {
        assert!(book.watch("t1", no).await.unwrap());
    }
    assert!(!book.watch("t1", "LEASE-SIGN").await.unwrap());
    loop {
        let stats = poll_once(&c, &book, "t1", 1232).await.unwrap();
        assert_eq!((stats.polled, stats.failed), (3, 0));
        let moved: Vec<bool> = rentsync::tmall::sandbox::SCRIPTED
            .iter()
            .map(|n| sb.advance(n))
            .collect();
        if !moved.contains(&true) {
            break;
        }
    }
    // Nothing moved since the last round: nothing new is recorded.
    let again = poll_once(&c, &book, "t1", 1232).await.unwrap();
    assert_eq!(again.changes, 0);

    let (mut statuses, mut types, mut bill_statuses) =
        (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    let mut settled = false;
    for no in rentsync::tmall::sandbox::SCRIPTED {
        let history = book.history("t1", no).await.unwrap();
        for h in &history {
            match h.subject.as_str() {
                "lease" => {
                    statuses.insert(h.new_value.clone());
                }
                "bill" => {
                    types.insert(h.bill_type.unwrap());
                    bill_statuses.insert(h.new_value.clone());
                    assert!(h.amount_fen.unwrap() > 0);
                }
                "settlement" => settled = true,
                _ => {}
            }
        }
        // Each lease status change is one row, never repeated by later polls.
        let leases: Vec<_> = history
            .iter()
            .filter(|h| h.subject == "lease")
            .map(|h| &h.new_value)
            .collect();
        let mut dedup = leases.clone();
        dedup.dedup();
        assert_eq!(leases, dedup, "{no}: {leases:?}");
    }
    let want: BTreeSet<String> = LeaseStatus::ALL.iter().map(|s| s.to_string()).collect();
    assert_eq!(statuses, want);
    assert_eq!(types.len(), 15, "{types:?}");
    assert_eq!(bill_statuses.len(), 4, "{bill_statuses:?}");
    assert!(settled);
    let sign = book.history("t1", "LEASE-SIGN").await.unwrap();
    let last = sign.iter().rev().find(|h| h.subject == "lease").unwrap();
    assert_eq!(
        (last.old_value.as_deref(), last.new_value.as_str()),
        (Some("ACHIEVEMENT"), "SIGN_FINISH")
    );

    // Two replicas that read the same snapshot: the second write loses and records nothing.
    let w = book.watched("t1").await.unwrap().remove(0);
    let before = book.history("t1", &w.lease_order_no).await.unwrap().len();
    let mut next = w.seen.clone();
    next.close_reason = Some("LANDLORD_CANCEL_INTENTION".into());
    let found = rentsync::tmall::history::changes(&w.seen, &next);
    assert_eq!(found.len(), 1);
    assert!(book.record("t1", &w, &next, &found).await.unwrap());
    assert!(!book.record("t1", &w, &next, &found).await.unwrap());
    let after = book.history("t1", &w.lease_order_no).await.unwrap().len();
    assert_eq!(after, before + 1);

    // Each history row is one `tmall_event` task, delivered once to the operator's webhook.
    delivered_to_the_webhook(&book, &outbox).await;

    outbox.db.pool.close().await;
    if let Some((admin, name)) = scratch {
        let db = rentsync::db::Db::connect(&admin, 1).await.unwrap();
        let _ = sqlx::raw_sql(&format!("DROP DATABASE {name}"))
            .execute(&db.pool)
            .await;
    }
}

async fn delivered_to_the_webhook(
    book: &rentsync::tmall::poller::LeaseBook,
    outbox: &rentsync::outbox::Outbox,
) {
    use rentsync::spi::deliver::webhook::WebhookHandler;
    use rentsync::tmall::poller::TMALL_EVENT_KIND;
    let mut rows = 0;
    for no in rentsync::tmall::sandbox::SCRIPTED {
        rows += book.history("t1", no).await.unwrap().len();
    }
    let tasks = outbox
        .task_list(Some("t1"), Some(TMALL_EVENT_KIND), None, 10_000)
        .await
        .unwrap();
    assert_eq!(tasks.len(), rows, "one task per history row");
    let hook = common::webhook::Webhook::start(b"k", 0.3).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("hook.key"), "k").unwrap();
    let cfg = rentsync::spi::DeliverConfig {
        webhook: Some(hook.url.clone()),
        hmac_key_file: Some(dir.path().join("hook.key")),
        insert_database: None,
        insert_statement: None,
        timeout_secs: 3,
    };
    let key = rentsync::spi::aes::DataKey::from_bytes(&[1u8; 32]).unwrap();
    let handler: std::sync::Arc<dyn rentsync::worker::TaskHandler> =
        std::sync::Arc::new(WebhookHandler::new(&cfg, key).unwrap());
    let settings = rentsync::worker::TaskSettings {
        max_backoff: std::time::Duration::from_millis(1),
        ..Default::default()
    };
    let started = std::time::Instant::now();
    while hook.acked() < rows {
        rentsync::worker::drain_tasks("t1", std::slice::from_ref(&handler), outbox, &settings)
            .await
            .unwrap();
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "{} of {rows}",
            hook.acked()
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let got = hook.got.lock().unwrap();
    assert_eq!(got.acked.len(), rows);
    assert!(got.acked.values().all(|v| v["type"] == "tmall_lease"));
    assert!(got
        .acked
        .values()
        .any(|v| v["params"]["new_value"] == "SIGN_FINISH"));
}

#[tokio::test]
async fn poller_records_every_status_once_on_sqlite() {
    poller_records_every_status_once("sqlite").await;
}

#[tokio::test]
async fn poller_records_every_status_once_on_postgres() {
    poller_records_every_status_once("postgres").await;
}

#[tokio::test]
async fn poller_records_every_status_once_on_mysql() {
    poller_records_every_status_once("mysql").await;
}

#[tokio::test]
async fn the_sandbox_binary_serves_the_top_gateway_and_advances_leases() {
    use tokio::io::AsyncBufReadExt as _;
    let dir = tempfile::tempdir().unwrap();
    let keys = rentsync::cli::write_keys(dir.path(), 1024).unwrap();
    let secret_file = dir.path().join("tmall_secret");
    std::fs::write(&secret_file, format!("{SECRET}\n")).unwrap();
    let session_file = dir.path().join("tmall_session");
    std::fs::write(&session_file, SESSION).unwrap();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_rentsync"))
        .args(["sandbox", "--listen", "127.0.0.1:0", "--app-public-key"])
        .arg(&keys.app_public)
        .arg("--platform-private-key")
        .arg(&keys.platform_private)
        .args(["--tmall-app-key", "12345678", "--tmall-app-secret-file"])
        .arg(&secret_file)
        .arg("--tmall-session-file")
        .arg(&session_file)
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let mut url = String::new();
    while let Some(line) = lines.next_line().await.unwrap() {
        if line.starts_with("TOP sandbox listening on ") {
            url = line.rsplit(' ').next().unwrap().to_string();
            break;
        }
    }
    assert!(url.ends_with("/router/rest"), "{url:?}");
    let show = ["lease", "show", "LEASE-SIGN", "--merchant-open-id", "1"];
    let (code, out, err) = cli(&url, SECRET, &show).await;
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("TENANT_INITIATE"), "{out}");
    let advance = url.replace("/router/rest", "/sandbox/tmall/advance");
    for _ in 0..4 {
        reqwest::Client::new()
            .post(&advance)
            .header("content-type", "application/json")
            .body(r#"{"lease_order_no":"LEASE-SIGN"}"#)
            .send()
            .await
            .unwrap();
    }
    let (code, out, _) = cli(&url, SECRET, &show).await;
    assert_eq!(code, 0);
    assert!(out.contains("LEASE-SIGN: SIGN_FINISH"), "{out}");
    assert_eq!(out.matches(" SUCCEED ").count(), 2, "{out}");

    // `rentsync check` makes one signed lease query per Tmall tenant: accepted with the right
    // secret, refused by name with a wrong one (never printed).
    let check = |secret: &'static str| {
        let dir = dir.path().to_path_buf();
        let (keys, url) = (keys.clone(), url.clone());
        async move {
            std::fs::write(dir.join("check_secret"), secret).unwrap();
            let config = dir.join("check.toml");
            std::fs::write(
                &config,
                format!(
                    r#"state_database = "sqlite://{state}"
[[tenant]]
name = "t1"
gateway = "http://127.0.0.1:9/gateway.do"
app_id = "2021000000000000"
private_key_file = "{private}"
platform_public_key_file = "{public}"
[tenant.tmall]
gateway = "{url}"
app_key = "12345678"
app_secret_file = "check_secret"
session_file = "tmall_session"
merchant_open_id = 1
"#,
                    state = dir.join("check.db").display(),
                    private = keys.app_private.display(),
                    public = keys.platform_public.display(),
                ),
            )
            .unwrap();
            let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_rentsync"))
                .args(["check", "--config"])
                .arg(&config)
                .output()
                .await
                .unwrap();
            String::from_utf8_lossy(&out.stdout).to_string()
        }
    };
    let good = check(SECRET).await;
    assert!(
        good.contains("ok   tenant t1: tmall signed call tmall.alihouse.trade.rent.lease.query"),
        "{good}"
    );
    let bad = check("not-the-secret-0000").await;
    let line = bad
        .lines()
        .find(|l| l.contains("tmall signed call"))
        .unwrap_or_default();
    assert!(line.starts_with("FAIL"), "{bad}");
    assert!(line.contains("app_secret_file"), "{bad}");
    assert!(
        !bad.contains("not-the-secret-0000") && !bad.contains(SECRET),
        "{bad}"
    );
    child.start_kill().unwrap();
    child.wait().await.unwrap();
}

/// Two replicas (two clients of the same app sharing a state database): the ban one of them hears
/// holds the other back too, on each state database.
async fn a_ban_heard_by_one_replica_holds_the_other(state_url: &str) {
    let (sb, url) = sandbox(true).await;
    let outbox = rentsync::outbox::Outbox::open(state_url, 2).await.unwrap();
    let first = client(&url, SECRET, SignMethod::HmacSha256).with_shared_bans(outbox.db.clone());
    let second = client(&url, SECRET, SignMethod::HmacSha256).with_shared_bans(outbox.db.clone());
    sb.inject(LEASE, TopFault::Ban { secs: 2 });
    let started = Instant::now();
    first.call(&query("LEASE-SIGN")).await.unwrap();
    assert!(started.elapsed() >= Duration::from_secs(2));
    // The first replica's retry came after the ban; now the second asks during a new one.
    sb.inject(LEASE, TopFault::Ban { secs: 2 });
    let banned_at = Instant::now();
    let worker = tokio::spawn(async move { first.call(&query("LEASE-CLOSE")).await });
    tokio::time::sleep(Duration::from_millis(400)).await;
    second.call(&query("LEASE-SIGN")).await.unwrap();
    worker.await.unwrap().unwrap();
    assert!(banned_at.elapsed() >= Duration::from_secs(2));
    let calls: Vec<_> = sb
        .calls()
        .into_iter()
        .filter(|c| c.method == LEASE)
        .collect();
    let bans: Vec<_> = calls.iter().filter(|c| c.outcome == "code 7").collect();
    assert_eq!(bans.len(), 2, "{calls:?}");
    let ban_end = bans[1].at + Duration::from_secs(2);
    for c in calls.iter().filter(|c| c.at > bans[1].at) {
        assert!(
            c.at >= ban_end,
            "a replica called {:?} before the ban it had not heard itself ended",
            ban_end - c.at
        );
    }
}

#[tokio::test]
async fn a_ban_heard_by_one_replica_holds_the_other_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("state.db").display());
    a_ban_heard_by_one_replica_holds_the_other(&url).await;
}

#[tokio::test]
async fn a_ban_heard_by_one_replica_holds_the_other_postgres() {
    let name = format!(
        "rs_bans_{}_{:06x}",
        std::process::id(),
        rand::random::<u32>() & 0xFF_FFFF
    );
    let admin = rentsync::db::Db::connect("postgres://postgres@127.0.0.1:5432/postgres", 1)
        .await
        .expect("PostgreSQL is not reachable at 127.0.0.1:5432; start it with scripts/services.sh");
    sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
        .execute(&admin.pool)
        .await
        .unwrap();
    a_ban_heard_by_one_replica_holds_the_other(&format!(
        "postgres://postgres@127.0.0.1:5432/{name}"
    ))
    .await;
    let _ = sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&admin.pool)
        .await;
}
