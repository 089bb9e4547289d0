//! The task queue (everything that leaves besides rooms) on the three state databases: an event
//! queued twice is queued once, a changed payload is worked again even when it changed while
//! leased, a late writer whose lease was lost changes nothing, two claimers never share a task,
//! and a task that keeps failing is given up and kept, visible, as failed.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use common::engine::{Backend, Env};
use rentsync::outbox::{ItemStatus, Outbox, Task, TaskOutcome, TaskPut};
use rentsync::worker::{drain_tasks, TaskHandler, TaskSettings};

async fn state(backend: Backend) -> (Env, Outbox) {
    let env = Env::new(backend, 0, |_| {}).await;
    let outbox = Outbox::open(&env.state_url, 4).await.expect("state db");
    (env, outbox)
}

const LEASE: Duration = Duration::from_secs(60);

async fn queue_rules(backend: Backend) {
    let (env, ob) = state(backend).await;
    assert!(ob
        .task_add("t", "delivery", "k1", "{\"a\":1}")
        .await
        .unwrap());
    assert!(
        !ob.task_add("t", "delivery", "k1", "{\"a\":2}")
            .await
            .unwrap(),
        "a repeated event must not be queued again"
    );
    let row = ob.task_get("t", "delivery", "k1").await.unwrap().unwrap();
    assert_eq!(row.payload, "{\"a\":1}", "the first event's payload stands");

    assert_eq!(
        ob.task_put("t", "lease", "L1", "v1").await.unwrap(),
        TaskPut::Added
    );
    assert_eq!(
        ob.task_put("t", "lease", "L1", "v1").await.unwrap(),
        TaskPut::Unchanged
    );

    // Claimed by one worker; a second claimer gets nothing of it.
    let mine = ob
        .task_claim("t", &["lease"], "w1", 8, LEASE)
        .await
        .unwrap();
    assert_eq!(mine.len(), 1);
    let other = ob
        .task_claim("t", &["lease"], "w2", 8, LEASE)
        .await
        .unwrap();
    assert!(other.is_empty(), "a leased task was claimed twice");

    // The source changes while it is leased: the holder's Done must not hide the new content.
    assert_eq!(
        ob.task_put("t", "lease", "L1", "v2").await.unwrap(),
        TaskPut::Replaced
    );
    assert!(ob.task_finish(&mine[0], &TaskOutcome::Done).await.unwrap());
    let row = ob.task_get("t", "lease", "L1").await.unwrap().unwrap();
    assert_eq!(
        row.status, "pending",
        "content replaced mid-lease was marked done"
    );
    let again = ob
        .task_claim("t", &["lease"], "w1", 8, LEASE)
        .await
        .unwrap();
    assert_eq!(again[0].payload, "v2");
    // A note written under the lease is there for the next holder.
    assert!(ob.task_note(&again[0], "trade_1").await.unwrap());
    assert!(ob
        .task_finish(
            &again[0],
            &TaskOutcome::Retry {
                code: "http".into(),
                message: "503".into(),
                after: Duration::ZERO
            }
        )
        .await
        .unwrap());
    let retried = ob
        .task_claim("t", &["lease"], "w3", 8, LEASE)
        .await
        .unwrap();
    assert_eq!(retried[0].note.as_deref(), Some("trade_1"));
    assert_eq!(retried[0].attempts, 1);
    // The old holder's late write matches nothing.
    assert!(!ob.task_finish(&again[0], &TaskOutcome::Done).await.unwrap());
    assert!(!again[0].lease.holds());
    assert_eq!(
        ob.task_get("t", "lease", "L1")
            .await
            .unwrap()
            .unwrap()
            .status,
        "leased"
    );
    assert!(ob
        .task_finish(&retried[0], &TaskOutcome::Done)
        .await
        .unwrap());
    assert_eq!(
        ob.task_get("t", "lease", "L1")
            .await
            .unwrap()
            .unwrap()
            .status,
        "done"
    );

    // An expired lease is claimed again by another worker.
    ob.task_add("t", "delivery", "k2", "{}").await.unwrap();
    let short = ob
        .task_claim("t", &["delivery"], "w1", 1, Duration::from_millis(1))
        .await
        .unwrap();
    assert_eq!(short.len(), 1);
    tokio::time::sleep(Duration::from_millis(20)).await;
    let taken = ob
        .task_claim("t", &["delivery"], "w2", 8, LEASE)
        .await
        .unwrap();
    assert_eq!(taken.len(), 2, "expired lease not reclaimed: {taken:?}");
    assert!(!ob.task_finish(&short[0], &TaskOutcome::Done).await.unwrap());
    env.cleanup().await;
}

/// Fails transiently `fail_first` times per task, then succeeds; counts calls per key.
struct Flaky {
    fail_first: usize,
    calls: Mutex<std::collections::HashMap<String, usize>>,
    total: AtomicUsize,
}

#[async_trait]
impl TaskHandler for Flaky {
    fn kinds(&self) -> Vec<&'static str> {
        vec!["delivery"]
    }
    async fn work(&self, _outbox: &Outbox, task: &Task) -> TaskOutcome {
        self.total.fetch_add(1, Ordering::SeqCst);
        let n = {
            let mut calls = self.calls.lock().unwrap();
            let n = calls.entry(task.key.clone()).or_default();
            *n += 1;
            *n
        };
        if n <= self.fail_first {
            TaskOutcome::Retry {
                code: "http_503".into(),
                message: "receiver answered 503".into(),
                after: Duration::ZERO,
            }
        } else {
            TaskOutcome::Done
        }
    }
}

async fn dead_after_max_attempts(backend: Backend) {
    let (env, ob) = state(backend).await;
    for k in ["a", "b", "c"] {
        ob.task_add("t", "delivery", k, "{}").await.unwrap();
    }
    let flaky = Arc::new(Flaky {
        fail_first: 100,
        calls: Default::default(),
        total: AtomicUsize::new(0),
    });
    let settings = TaskSettings {
        concurrency: 2,
        lease: LEASE,
        max_attempts: 3,
        // Backoff capped at 1 µs, so the attempts follow each other in the test.
        max_backoff: Duration::from_micros(1),
    };
    let handlers: Vec<Arc<dyn TaskHandler>> = vec![flaky.clone()];
    for _ in 0..10 {
        drain_tasks("t", &handlers, &ob, &settings).await.unwrap();
    }
    assert_eq!(
        flaky.total.load(Ordering::SeqCst),
        9,
        "3 tasks × 3 attempts"
    );
    let failed = ob
        .task_list(Some("t"), Some("delivery"), Some(ItemStatus::Failed), 10)
        .await
        .unwrap();
    assert_eq!(failed.len(), 3);
    assert!(
        failed[0]
            .last_error
            .as_deref()
            .unwrap()
            .contains("gave up after 3 attempts"),
        "{failed:?}"
    );
    let counts = ob.task_counts().await.unwrap();
    assert!(counts
        .iter()
        .any(|c| c.kind == "delivery" && c.status == "failed" && c.count == 3));
    // Retried by hand, they run again and, the receiver back, finish.
    assert_eq!(ob.task_retry(Some("t"), None, false).await.unwrap(), 3);
    let healthy = Arc::new(Flaky {
        fail_first: 0,
        calls: Default::default(),
        total: AtomicUsize::new(0),
    });
    let handlers: Vec<Arc<dyn TaskHandler>> = vec![healthy.clone()];
    assert_eq!(
        drain_tasks("t", &handlers, &ob, &settings).await.unwrap(),
        3
    );
    let done = ob
        .task_list(Some("t"), None, Some(ItemStatus::Done), 10)
        .await
        .unwrap();
    assert_eq!(done.len(), 3);
    env.cleanup().await;
}

#[tokio::test]
async fn queue_rules_sqlite() {
    queue_rules(Backend::Sqlite).await
}
#[tokio::test]
async fn queue_rules_postgres() {
    queue_rules(Backend::Postgres).await
}
#[tokio::test]
async fn queue_rules_mysql() {
    queue_rules(Backend::Mysql).await
}
#[tokio::test]
async fn dead_after_max_attempts_sqlite() {
    dead_after_max_attempts(Backend::Sqlite).await
}
#[tokio::test]
async fn dead_after_max_attempts_postgres() {
    dead_after_max_attempts(Backend::Postgres).await
}
#[tokio::test]
async fn dead_after_max_attempts_mysql() {
    dead_after_max_attempts(Backend::Mysql).await
}
