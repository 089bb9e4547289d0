//! Leases, bills and booking feedback (docs/TRADE.md) on SQLite, PostgreSQL and MariaDB against
//! the sandbox: what reaches the platform equals the source views; an unchanged row is not sent
//! again and a changed one is; a status change alone goes by lease.state.sync; a bill push retried
//! after a lost answer reuses its trade_id and the platform records its bills once; rows that
//! break a rule are kept back with the column, value and rule; no phone or ID number is kept in
//! the state database; a CANCEL before a SUCCESS is refused; the daemon picks up a new lease row.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::daemon::{config_with_ops, free_port, Daemon};
use common::engine::{Backend, Env};
use common::spi::cli;
use rentsync::alipay::renthouse::{LeaseOrderSync, ReservationFeedbackSync};
use rentsync::outbox::Outbox;
use rentsync::sandbox::FaultConfig;
use rentsync::trade::handlers::{handlers, TradeCalls};
use rentsync::trade::scan::{bill_problems, lease_problems};
use rentsync::trade::{view, TradeConfig, BILL_ORDER_KIND, LEASE_ORDER_KIND, LEASE_STATE_KIND};
use rentsync::worker::{drain_tasks, TaskSettings};
use serde_json::Value;

const TENANT: &str = "t1";

fn trade_config() -> TradeConfig {
    TradeConfig {
        enabled: true,
        poll_secs: 1.0,
        lease_views: true,
        booking_feedback_view: true,
    }
}

fn settings(max_backoff: Duration) -> TaskSettings {
    TaskSettings {
        concurrency: 4,
        lease: Duration::from_secs(30),
        max_attempts: 20,
        max_backoff,
    }
}

/// One round as the daemon does it: scan, then work every due task. Returns what was queued.
async fn round(env: &Env, outbox: &Outbox) -> usize {
    round_with(env, outbox, Duration::from_millis(1)).await
}

/// A round whose retries wait up to `max_backoff` (jittered; the first at most a second).
async fn round_with(env: &Env, outbox: &Outbox, max_backoff: Duration) -> usize {
    let queued = rentsync::trade::poller::scan_once(outbox, &env.op, TENANT, &trade_config()).await;
    let calls = TradeCalls {
        client: env.h.client.clone(),
        ctx: None,
        source: Some(env.op.clone()),
    };
    drain_tasks(TENANT, &handlers(calls), outbox, &settings(max_backoff))
        .await
        .expect("drain");
    queued
}

async fn text_column(env: &Env, sql: &str) -> Vec<String> {
    let rows = sqlx::query(sql).fetch_all(&env.op.pool).await.expect(sql);
    rows.iter()
        .filter_map(|r| rentsync::db::text(r, "v").ok().flatten())
        .collect()
}

/// The source's renter phones and ID numbers.
async fn private_values(env: &Env) -> Vec<String> {
    let mut out = text_column(env, "SELECT renter_phone AS v FROM leases").await;
    out.extend(text_column(env, "SELECT id_card_no AS v FROM leases").await);
    assert!(
        out.len() > 10,
        "the fixtures have leases with phones and IDs"
    );
    out
}

/// Every text the state database keeps about tasks and sends.
async fn state_texts(outbox: &Outbox) -> String {
    let mut all = String::new();
    for t in outbox
        .task_list(Some(TENANT), None, None, 100_000)
        .await
        .expect("tasks")
    {
        all.push_str(&format!(
            "{} {} {} {}\n",
            t.payload,
            t.note.unwrap_or_default(),
            t.last_error.unwrap_or_default(),
            t.key
        ));
    }
    all
}

async fn equal_to_source(backend: Backend) {
    let env = Env::new(backend, 300, |_| {}).await;
    let outbox = Outbox::open(&env.state_url, 4).await.expect("state db");
    let queued = round(&env, &outbox).await;
    assert!(queued > 10, "{backend:?}: only {queued} tasks queued");

    let leases = view::read_all(&env.op, view::LEASES, view::LEASE_COLUMNS, view::lease)
        .await
        .expect("leases view");
    let bills = view::read_all(&env.op, view::BILLS, view::BILL_COLUMNS, view::bill)
        .await
        .expect("bills view");
    let platform = env.h.sandbox.trade();
    // Booking answers from the view, as the operator wrote them (the agent's phone included).
    let answers = view::read_all(
        &env.op,
        view::BOOKING_FEEDBACK,
        view::BOOKING_FEEDBACK_COLUMNS,
        view::booking_feedback,
    )
    .await
    .expect("booking feedback view");
    assert!(!answers.is_empty(), "the fixtures have booking answers");
    for a in &answers {
        assert_eq!(
            platform.reservations.get(&a.key),
            Some(&serde_json::to_value(&a.wire).unwrap()),
            "{backend:?}: booking {}",
            a.key
        );
    }
    let mut valid_leases = 0;
    let mut invalid = Vec::new();
    for l in &leases {
        match lease_problems(l) {
            None => {
                valid_leases += 1;
                let sent = platform
                    .leases
                    .get(&l.key)
                    .unwrap_or_else(|| panic!("{backend:?}: lease {} not on the platform", l.key));
                assert_eq!(
                    sent,
                    &serde_json::to_value(&l.wire).unwrap(),
                    "{backend:?}: lease {} differs from the source",
                    l.key
                );
            }
            Some(_) => invalid.push(l.key.clone()),
        }
    }
    assert!(
        valid_leases >= 10,
        "{backend:?}: {valid_leases} valid leases"
    );
    assert!(
        !invalid.is_empty(),
        "{backend:?}: the fixtures have a lease that ends before it begins"
    );
    // Money: fen in the view, yuan on the wire, checked apart from the converter.
    let rows = sqlx::query("SELECT lease_code, rent_fen FROM rentsync_leases")
        .fetch_all(&env.op.pool)
        .await
        .expect("rent_fen");
    for r in &rows {
        let code = rentsync::db::text(r, "lease_code").unwrap().unwrap();
        let fen: i64 = sqlx::Row::try_get(r, "rent_fen").unwrap();
        if let Some(l) = platform.leases.get(&code) {
            let yuan: f64 = l["sale_amount"].as_str().unwrap().parse().unwrap();
            let fen = fen as f64;
            assert!(
                (yuan * 100.0 - fen).abs() < 0.001,
                "{backend:?}: {code}: {yuan} yuan vs {fen} fen"
            );
        }
    }
    for key in &invalid {
        assert!(!platform.leases.contains_key(key), "{key} was sent");
        let t = outbox
            .task_get(TENANT, LEASE_ORDER_KIND, key)
            .await
            .unwrap()
            .expect("an invalid lease is kept as a task");
        assert_eq!(t.status, "invalid");
        let why = t.last_error.unwrap_or_default();
        for needle in [key.as_str(), "end_date", "must not be before begin_date"] {
            assert!(why.contains(needle), "{backend:?}: {needle} not in {why:?}");
        }
    }
    let mut pushed = 0;
    for b in &bills {
        let lease_ok = b
            .wire
            .lease_no
            .as_ref()
            .is_some_and(|l| platform.leases.contains_key(l));
        if bill_problems(b).is_none() && lease_ok {
            let sent = platform
                .bills
                .get(&b.key)
                .unwrap_or_else(|| panic!("{backend:?}: bill {} not on the platform", b.key));
            assert_eq!(
                sent.bill,
                serde_json::to_value(&b.wire).unwrap(),
                "bill {}",
                b.key
            );
            assert_eq!(
                sent.pushes, 1,
                "bill {} pushed {} times",
                b.key, sent.pushes
            );
            pushed += 1;
        } else {
            assert!(
                !platform.bills.contains_key(&b.key),
                "bill {} was sent",
                b.key
            );
        }
    }
    assert!(pushed > 50, "{backend:?}: only {pushed} bills pushed");

    // Nothing changed: nothing queued, nothing sent.
    assert_eq!(
        round(&env, &outbox).await,
        0,
        "{backend:?}: unchanged rows queued"
    );
    assert_eq!(env.h.sandbox.trade().bills, platform.bills);

    // A bill paid: that bill alone goes again. A status alone: lease.state.sync.
    let (bill_no, lease_no) = platform
        .bills
        .iter()
        .find(|(_, b)| b.bill["pay_status"] == 0)
        .map(|(no, b)| (no.clone(), b.bill["lease_no"].as_str().unwrap().to_string()))
        .expect("an unpaid bill");
    let paid_at = match backend {
        Backend::Postgres => "now()",
        Backend::Mysql => "NOW()",
        Backend::Sqlite => "strftime('%Y-%m-%d %H:%M:%S', 'now')",
    };
    env.exec(&format!(
        "UPDATE bills SET paid = amount, paid_at = {paid_at} WHERE bill_no = '{bill_no}'"
    ))
    .await;
    env.exec(&format!(
        "UPDATE leases SET status = 2 WHERE lease_no = '{lease_no}'"
    ))
    .await;
    assert_eq!(
        round(&env, &outbox).await,
        2,
        "{backend:?}: one bill, one status"
    );
    let after = env.h.sandbox.trade();
    assert_eq!(after.bills[&bill_no].pushes, 2);
    assert_eq!(after.bills[&bill_no].bill["pay_status"], 1);
    let others_once = after
        .bills
        .iter()
        .filter(|(no, _)| **no != bill_no)
        .all(|(_, b)| b.pushes == 1);
    assert!(others_once, "{backend:?}: unchanged bills pushed again");
    assert_eq!(after.leases[&lease_no]["lease_status"], 2);
    let state = outbox
        .task_get(TENANT, LEASE_STATE_KIND, &lease_no)
        .await
        .unwrap()
        .expect("a lease_state task");
    assert_eq!(state.status, "done");

    // Rules broken in the source are named by column and value; the rest keeps flowing.
    env.exec(&format!(
        "UPDATE bills SET amount = -5 WHERE bill_no = '{bill_no}'"
    ))
    .await;
    env.exec("UPDATE leases SET room_num = NULL WHERE flats_tag = 2")
        .await;
    round(&env, &outbox).await;
    let t = outbox
        .task_get(TENANT, BILL_ORDER_KIND, &format!("invalid:{bill_no}"))
        .await
        .unwrap()
        .expect("the broken bill is kept");
    let why = t.last_error.unwrap_or_default();
    for needle in [bill_no.as_str(), "bill_fen", "-500", "must be 0 or more"] {
        assert!(why.contains(needle), "{backend:?}: {needle} not in {why:?}");
    }
    let concentration = text_column(
        &env,
        "SELECT lease_no AS v FROM leases WHERE flats_tag = 2 ORDER BY lease_no",
    )
    .await;
    assert!(!concentration.is_empty(), "the fixtures have 集中式 leases");
    let t = outbox
        .task_get(TENANT, LEASE_ORDER_KIND, &concentration[0])
        .await
        .unwrap()
        .unwrap();
    let why = t.last_error.unwrap_or_default();
    assert_eq!(t.status, "invalid", "{backend:?}: {why}");
    for needle in ["room_num", "NULL", "is required"] {
        assert!(why.contains(needle), "{backend:?}: {needle} not in {why:?}");
    }

    // Phone and ID numbers never stay in the state database.
    let kept = state_texts(&outbox).await;
    for v in private_values(&env).await {
        assert!(
            !kept.contains(&v),
            "{backend:?}: a phone or ID number is kept"
        );
    }

    // `rentsync check` compares the three views with the contract (types where declared).
    let config = config_with_trade(&env, "[tenant.trade]\nenabled = true\n");
    let (_, out) = cli(&config, &["check"]);
    for v in [
        "rentsync_leases",
        "rentsync_bills",
        "rentsync_booking_feedback",
    ] {
        let line = format!("ok   tenant t1: view {v}: columns and types match the contract");
        assert!(out.contains(&line), "{backend:?}: {line:?} not in:\n{out}");
    }
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leases_and_bills_reach_the_sandbox_equal_to_the_source_sqlite() {
    equal_to_source(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leases_and_bills_reach_the_sandbox_equal_to_the_source_postgres() {
    equal_to_source(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leases_and_bills_reach_the_sandbox_equal_to_the_source_mariadb() {
    equal_to_source(Backend::Mysql).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_bill_push_reuses_its_trade_id_and_is_recorded_once() {
    let env = Env::new(Backend::Sqlite, 300, |_| {}).await;
    let outbox = Outbox::open(&env.state_url, 4).await.expect("state db");
    // Every push is applied, then its answer is lost.
    env.h.sandbox.set_faults(FaultConfig {
        drop: 1.0,
        methods: vec!["bill.order.sync".into()],
        ..Default::default()
    });
    // Retries wait: the first pass ends with the pushes due again within a second.
    round_with(&env, &outbox, Duration::from_secs(60)).await;
    let first = env.h.sandbox.trade();
    assert!(!first.bills.is_empty(), "the pushes were applied");
    let mut notes = BTreeMap::new();
    for t in outbox
        .task_list(Some(TENANT), Some(BILL_ORDER_KIND), None, 10_000)
        .await
        .unwrap()
    {
        if t.status == "retry" {
            let note: Value = serde_json::from_str(&t.note.expect("a trade_id note")).unwrap();
            notes.insert(t.key, note["trade_id"].as_str().unwrap().to_string());
        }
    }
    assert!(!notes.is_empty(), "lost answers are retried");
    // The platform answers again: every retry sends the trade_id it kept.
    env.h.sandbox.set_faults(FaultConfig::default());
    // Each waits out its jittered backoff (a push retried twice already waits up to 4 s).
    let started = Instant::now();
    loop {
        round_with(&env, &outbox, Duration::from_secs(60)).await;
        let waiting = outbox
            .task_list(Some(TENANT), Some(BILL_ORDER_KIND), None, 10_000)
            .await
            .unwrap()
            .into_iter()
            .filter(|t| notes.contains_key(&t.key) && t.status != "done")
            .count();
        if waiting == 0 || started.elapsed() > Duration::from_secs(20) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let after = env.h.sandbox.trade();
    assert!(
        after.bill_repeats >= notes.len() as u64,
        "{} repeats for {} retried pushes",
        after.bill_repeats,
        notes.len()
    );
    for (no, b) in &after.bills {
        assert_eq!(b.pushes, 1, "bill {no} recorded {} times", b.pushes);
    }
    for (key, trade_id) in &notes {
        assert_eq!(
            &after.bills[key].trade_id, trade_id,
            "the push of {key} went with another trade_id"
        );
        let t = outbox
            .task_get(TENANT, BILL_ORDER_KIND, key)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(t.status, "done");
    }
    assert!(trade_ids_are_valid(notes.values()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lease_with_120_bills_is_pushed_in_calls_of_at_most_50() {
    let env = Env::new(Backend::Sqlite, 0, |_| {}).await;
    let outbox = Outbox::open(&env.state_url, 4).await.expect("state db");
    env.exec(
        "INSERT INTO leases (id, lease_no, flats_tag, room_code, renter_name, renter_phone, \
         begin_date, end_date, status, pay_months, rent) VALUES (1, 'HT-LONG', 1, '100100', \
         '钱多', '13900001111', '2026-01-01', '2035-12-31', 1, 1, 2000)",
    )
    .await;
    let mut values = Vec::new();
    for k in 0..120 {
        values.push(format!(
            "({}, 'HT-LONG-{k:03}', 1, 'rent', 0, 2000, 0, '2026-01-01', '2026-01-31')",
            k + 1
        ));
    }
    env.exec(&format!(
        "INSERT INTO bills (id, bill_no, lease_id, kind, status, amount, paid, period_start, \
         period_end) VALUES {}",
        values.join(", ")
    ))
    .await;
    round(&env, &outbox).await;
    let platform = env.h.sandbox.trade();
    assert_eq!(platform.bills.len(), 120, "every bill arrives");
    let mut per_push: BTreeMap<String, usize> = BTreeMap::new();
    for b in platform.bills.values() {
        *per_push.entry(b.trade_id.clone()).or_default() += 1;
    }
    let mut sizes: Vec<usize> = per_push.into_values().collect();
    sizes.sort_unstable();
    assert_eq!(sizes, vec![20, 50, 50], "pushes of at most 50 bills");
    env.cleanup().await;
}

fn trade_ids_are_valid<'a>(ids: impl Iterator<Item = &'a String>) -> bool {
    ids.into_iter().all(|id| {
        (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    })
}

/// Waits until the sandbox holds lease `code`.
async fn arrives(env: &Env, code: &str) -> bool {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(40) {
        if env.h.sandbox.trade().leases.contains_key(code) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

fn config_with_trade(env: &Env, trade: &str) -> std::path::PathBuf {
    config_with_ops(env, free_port(), trade)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn booking_feedback_from_the_command_line_refuses_cancel_before_success() {
    let env = Env::new(Backend::Sqlite, 0, |_| {}).await;
    let config = config_with_trade(&env, "");
    let no = "YY2026120700042";
    let (ok, out) = cli(
        &config,
        &[
            "booking",
            "feedback",
            no,
            "--status",
            "CANCEL",
            "--room-code",
            "100100",
        ],
    );
    assert!(!ok, "a CANCEL before a SUCCESS was accepted: {out}");
    assert!(
        out.contains("only after") && out.contains("SUCCESS"),
        "{out}"
    );
    assert!(env.h.sandbox.trade().reservations.is_empty());

    let success = [
        "booking",
        "feedback",
        no,
        "--status",
        "SUCCESS",
        "--room-code",
        "100100",
        "--look-time",
        "2026-12-24 10:00:00",
        "--looker-name",
        "王管家",
    ];
    let (ok, out) = cli(&config, &success);
    assert!(ok, "{out}");
    let answer = env.h.sandbox.trade().reservations[no].clone();
    assert_eq!(answer["reserve_status"], "SUCCESS");
    assert_eq!(answer["final_look_time"], "2026-12-24 10:00:00");
    assert_eq!(answer["room_code"], "100100");

    let (ok, out) = cli(&config, &success);
    assert!(
        ok && out.contains("no call made"),
        "the same decision went twice: {out}"
    );

    let (ok, out) = cli(
        &config,
        &[
            "booking",
            "feedback",
            no,
            "--status",
            "CANCEL",
            "--room-code",
            "100100",
        ],
    );
    assert!(ok, "{out}");
    assert_eq!(
        env.h.sandbox.trade().reservations[no]["reserve_status"],
        "CANCEL"
    );

    // Without a room: named as the missing field, nothing sent.
    let (ok, out) = cli(&config, &["booking", "feedback", "YY1", "--status", "FAIL"]);
    assert!(
        !ok && out.contains("room_code") && out.contains("--room-code"),
        "{out}"
    );

    // The sandbox is as strict as the platform on its own.
    let err = env
        .h
        .client
        .call(&ReservationFeedbackSync {
            reservation_no: "YY2".into(),
            room_code: Some("100100".into()),
            reserve_status: Some("CANCEL".into()),
            ..Default::default()
        })
        .await
        .expect_err("CANCEL before SUCCESS");
    assert!(err.to_string().contains("CANCEL"), "{err}");
    let err = env
        .h
        .client
        .call(&rentsync::alipay::renthouse::LeaseStateSync {
            lease_code: "NO-SUCH-LEASE".into(),
            lease_status: Some(1),
            lease_ca_file: None,
        })
        .await
        .expect_err("unknown lease_code");
    assert!(err.to_string().contains("lease-not-exist"), "{err}");
    let err = env
        .h
        .client
        .call(&LeaseOrderSync {
            lease_code: "L1".into(),
            room_code: Some("7".into()),
            flats_tag: Some(2),
            renter_name: Some("张伟".into()),
            renter_phone: Some("13900000000".into()),
            begin_date: Some("2026-01-01".into()),
            end_date: Some("2026-12-31".into()),
            sale_amount: Some("2500".into()),
            ..Default::default()
        })
        .await
        .expect_err("集中式 without room_num");
    assert!(err.to_string().contains("room_num"), "{err}");
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daemon_sends_a_new_lease_row_and_status_shows_the_broken_ones() {
    let env = Env::new(Backend::Sqlite, 300, |_| {}).await;
    let config = config_with_trade(&env, "[tenant.trade]\nenabled = true\npoll_secs = 0.3\n");
    let phones = private_values(&env).await;
    let daemon = Daemon::start(&config, env.dir.path(), None);
    daemon.wait_ready().await;
    let first = text_column(&env, "SELECT lease_no AS v FROM leases ORDER BY id").await;
    assert!(
        arrives(&env, &first[0]).await,
        "the fixture leases never arrived:\n{}",
        daemon.log()
    );
    env.exec(
        "INSERT INTO leases (id, lease_no, flats_tag, room_code, renter_name, renter_phone, \
         begin_date, end_date, status, pay_months, rent) VALUES (9001, 'HT-NEW-1', 1, '100100', \
         '赵敏', '13912345678', '2026-12-10', '2027-12-09', 0, 1, 3200.50)",
    )
    .await;
    assert!(
        arrives(&env, "HT-NEW-1").await,
        "a new lease row was not picked up:\n{}",
        daemon.log()
    );
    assert_eq!(
        env.h.sandbox.trade().leases["HT-NEW-1"]["sale_amount"],
        "3200.5"
    );
    let (_, metrics) = daemon.get("/metrics").await;
    assert!(
        metrics.contains("rentsync_tasks{tenant=\"t1\",kind=\"lease_order\",status=\"invalid\"}"),
        "invalid leases are not in /metrics:\n{metrics}"
    );
    let log = daemon.log();
    for p in phones.iter().chain(["13912345678".to_string()].iter()) {
        assert!(
            !log.contains(p.as_str()),
            "a phone or ID number is in the log"
        );
    }
    drop(daemon);
    let (_, out) = cli(&config, &["status"]);
    assert!(out.contains("lease_order"), "{out}");
    assert!(
        out.contains("end_date") && out.contains("break a rule"),
        "{out}"
    );
    env.cleanup().await;
}
