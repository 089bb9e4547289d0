//! Tmall lease tracking as the daemon runs it: the lease orders the operator lists in the contract
//! view `rentsync_tmall_leases` are followed (on each operator database), dropped when the view
//! stops listing them (never those followed by hand), and `rentsync run` polls them, recording
//! their history in the state database while the lease orders move on in the TOP sandbox.

mod common;

use std::time::{Duration, Instant};

use common::daemon::{config_with_ops, free_port, Daemon};
use common::engine::{Backend, Env};
use rentsync::outbox::Outbox;
use rentsync::secret::Secret;
use rentsync::tmall::poller::{follow_view, poll_once, LeaseBook};
use rentsync::tmall::sandbox::{TopSandbox, TopSandboxConfig};
use rentsync::tmall::{TopClient, TopConfig};

const SECRET: &str = "sandbox-secret-7f3a";
const APP_KEY: &str = "12345678";

async fn top_sandbox(advance_every: Option<Duration>) -> (TopSandbox, String) {
    let mut cfg = TopSandboxConfig::new(APP_KEY, Secret::new(SECRET));
    cfg.advance_every = advance_every;
    let sb = TopSandbox::new(cfg);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/router/rest", listener.local_addr().unwrap());
    let router = sb.router();
    tokio::spawn(async move { axum::serve(listener, router).await });
    (sb, url)
}

async fn followed(book: &LeaseBook) -> Vec<String> {
    book.watched("t1")
        .await
        .unwrap()
        .into_iter()
        .map(|w| w.lease_order_no)
        .collect()
}

async fn the_view_decides_what_is_followed(backend: Backend) {
    let env = Env::new(backend, 10, |_| {}).await;
    let outbox = Outbox::open(&env.state_url, 2).await.unwrap();
    let book = LeaseBook::new(outbox.db.clone());
    // One followed by hand before the view is read, one the view also lists.
    book.watch("t1", "LEASE-HAND").await.unwrap();
    book.watch("t1", "LEASE-FULL").await.unwrap();
    follow_view(&env.op, &outbox.db, "t1").await;
    assert_eq!(
        followed(&book).await,
        ["LEASE-CLOSE", "LEASE-FULL", "LEASE-HAND", "LEASE-SIGN"]
    );

    let (_sb, url) = top_sandbox(None).await;
    let client = TopClient::new(TopConfig::new(url, APP_KEY, Secret::new(SECRET))).unwrap();
    let stats = poll_once(&client, &book, "t1", 1232).await.unwrap();
    assert_eq!(stats.polled, 3, "{stats:?}");
    // LEASE-HAND is unknown to the sandbox: a failed poll, not a stop.
    assert_eq!(stats.failed, 1, "{stats:?}");
    assert!(!book.history("t1", "LEASE-SIGN").await.unwrap().is_empty());

    // The operator stops following two; a value that is no lease order number is refused.
    let off = match backend {
        Backend::Sqlite => "0",
        _ => "FALSE",
    };
    env.exec(&format!(
        "UPDATE tmall_lease_orders SET followed = {off} WHERE lease_order_no IN ('LEASE-CLOSE', 'LEASE-FULL'); \
         INSERT INTO tmall_lease_orders (lease_order_no) VALUES ('bad; number')"
    ))
    .await;
    follow_view(&env.op, &outbox.db, "t1").await;
    assert_eq!(
        followed(&book).await,
        ["LEASE-FULL", "LEASE-HAND", "LEASE-SIGN"],
        "the view's own orders are dropped when it drops them, those followed by hand stay"
    );
    // History of a dropped order stays.
    assert!(!book.history("t1", "LEASE-CLOSE").await.unwrap().is_empty());
    env.cleanup().await;
}

#[tokio::test]
async fn the_view_decides_what_is_followed_sqlite() {
    the_view_decides_what_is_followed(Backend::Sqlite).await
}

#[tokio::test]
async fn the_view_decides_what_is_followed_postgres() {
    the_view_decides_what_is_followed(Backend::Postgres).await
}

#[tokio::test]
async fn the_view_decides_what_is_followed_mysql() {
    the_view_decides_what_is_followed(Backend::Mysql).await
}

/// `rentsync run` with a `[tenant.tmall]` block: the poller follows the view's lease orders and
/// records LEASE-SIGN reaching SIGN_FINISH with its bills paid, while the sandbox moves it on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daemon_polls_the_listed_lease_orders() {
    let env = Env::new(Backend::Sqlite, 10, |_| {}).await;
    let (_sb, url) = top_sandbox(Some(Duration::from_millis(300))).await;
    let secret = env.dir.path().join("tmall_secret");
    std::fs::write(&secret, format!("{SECRET}\n")).unwrap();
    let tmall = format!(
        "[tenant.tmall]\ngateway = \"{url}\"\napp_key = \"{APP_KEY}\"\napp_secret_file = \"{}\"\n\
         merchant_open_id = 1232\nlease_poll_secs = 1\nlease_view = true\n",
        secret.display()
    );
    let config = config_with_ops(&env, free_port(), &tmall);
    let daemon = Daemon::start(&config, env.dir.path(), None);
    daemon.wait_ready().await;
    let outbox = Outbox::open(&env.state_url, 2).await.unwrap();
    let book = LeaseBook::new(outbox.db.clone());
    let started = Instant::now();
    loop {
        let history = book.history("t1", "LEASE-SIGN").await.unwrap();
        let signed = history
            .iter()
            .any(|h| h.subject == "lease" && h.new_value == "SIGN_FINISH");
        if signed {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(40),
            "LEASE-SIGN never reached SIGN_FINISH in the recorded history: {history:?}\n{}",
            daemon.log()
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let log = daemon.log();
    assert!(log.contains("TmallLeaseViewFollowed"), "{log}");
    assert!(!log.contains(SECRET), "the app secret reached the log");
    drop(daemon);
    env.cleanup().await;
}
