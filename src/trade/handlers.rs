//! The task handlers of the trade syncs: each checks the platform's rules on exactly the request
//! it is about to send (a break parks the task as `invalid`, never a call), checks that it still
//! holds the task's lease, calls, and records what was sent so the next scan queues only changes.
//!
//! Platform answers decide the outcome as for rooms (architecture decision 6): transient and
//! throttled errors retry with backoff, a refusal parks the task as `failed` with the platform's
//! words (digits runs masked: an answer may quote a phone or ID number back), credential errors
//! wait a minute and retry.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::scan::{booking_problems, lease_problems};
use super::view::{self, shown_key};
use super::{
    hash_of, lease_order_hash, violations, BILL_ORDER_KIND, BOOKING_FEEDBACK_KIND,
    LEASE_ORDER_KIND, LEASE_PENDING, LEASE_STATE_KIND,
};
use crate::alipay::error::{redact_answer, ErrorClass};
use crate::alipay::renthouse::{Bill, BillOrderSync, LeaseStateSync, ReservationFeedbackSync};
use crate::alipay::{AlipayClient, AlipayError};
use crate::db::Db;
use crate::outbox::{Outbox, Task, TaskOutcome};
use crate::worker::{TaskHandler, TenantCtx};

/// What every trade handler calls with: the tenant's client, its rate limits when the daemon
/// runs it, and its source database (the views) when configured.
#[derive(Clone)]
pub struct TradeCalls {
    pub client: AlipayClient,
    pub ctx: Option<Arc<TenantCtx>>,
    pub source: Option<Db>,
}

impl TradeCalls {
    async fn call<R: crate::alipay::client::ApiRequest>(
        &self,
        task: &Task,
        req: &R,
    ) -> Result<R::Response, TaskOutcome> {
        if let Some(ctx) = &self.ctx {
            ctx.limits.acquire(R::METHOD).await;
        }
        // Checked right before the call: a task whose lease was lost is never sent twice.
        if !task.lease.holds() {
            return Err(TaskOutcome::Release);
        }
        match self.client.call(req).await {
            Ok(r) => {
                if let Some(ctx) = &self.ctx {
                    ctx.limits.succeeded(R::METHOD);
                }
                Ok(r)
            }
            Err(e) => Err(self.outcome(&e)),
        }
    }

    fn outcome(&self, e: &AlipayError) -> TaskOutcome {
        let message = redact_answer(&e.to_string());
        let code = match e.codes() {
            Some((code, sub)) => format!("{code} {sub}"),
            None => e.outcome_label(),
        };
        match e.class() {
            ErrorClass::Transient => retry_after(code, message, Duration::ZERO),
            ErrorClass::Throttled => {
                let pause = self
                    .ctx
                    .as_ref()
                    .map_or(Duration::ZERO, |c| c.limits.throttled(e.method()));
                retry_after(code, message, pause.max(Duration::from_secs(1)))
            }
            ErrorClass::Credentials => retry_after(code, message, Duration::from_secs(60)),
            ErrorClass::Permanent => TaskOutcome::Failed { code, message },
        }
    }

    fn source(&self) -> Result<&Db, TaskOutcome> {
        self.source.as_ref().ok_or_else(|| TaskOutcome::Failed {
            code: "no_source".into(),
            message: "the tenant has no source_database to read the trade views from".into(),
        })
    }
}

fn retry_after(code: String, message: String, after: Duration) -> TaskOutcome {
    TaskOutcome::Retry {
        code,
        message: message.chars().take(500).collect(),
        after,
    }
}

fn state_db(e: anyhow::Error) -> TaskOutcome {
    retry_after("state_db".into(), format!("{e:#}"), Duration::ZERO)
}

fn source_db(e: anyhow::Error) -> TaskOutcome {
    retry_after("source_db".into(), format!("{e:#}"), Duration::ZERO)
}

fn payload_str(task: &Task, field: &str) -> Result<String, TaskOutcome> {
    serde_json::from_str::<Value>(&task.payload)
        .ok()
        .and_then(|v| v.get(field).and_then(Value::as_str).map(str::to_string))
        .ok_or_else(|| TaskOutcome::Invalid {
            message: format!("the task's payload has no {field}"),
        })
}

fn run(r: Result<TaskOutcome, TaskOutcome>) -> TaskOutcome {
    r.unwrap_or_else(|o| o)
}

/// `lease_order`: lease.order.sync of the lease's current row.
pub struct LeaseOrderHandler(pub TradeCalls);

#[async_trait]
impl TaskHandler for LeaseOrderHandler {
    fn kinds(&self) -> Vec<&'static str> {
        vec![LEASE_ORDER_KIND]
    }

    async fn work(&self, outbox: &Outbox, task: &Task) -> TaskOutcome {
        run(self.lease_order(outbox, task).await)
    }
}

impl LeaseOrderHandler {
    async fn lease_order(&self, outbox: &Outbox, task: &Task) -> Result<TaskOutcome, TaskOutcome> {
        let code = payload_str(task, "lease_code")?;
        let source = self.0.source()?;
        let row = view::read_one(
            source,
            view::LEASES,
            view::LEASE_COLUMNS,
            "lease_code",
            &code,
            view::lease,
        )
        .await
        .map_err(source_db)?
        .ok_or_else(|| TaskOutcome::Failed {
            code: "not_in_view".into(),
            message: format!(
                "lease {} is no longer in {}",
                shown_key(&code),
                view::LEASES
            ),
        })?;
        if let Some(message) = lease_problems(&row) {
            return Ok(TaskOutcome::Invalid { message });
        }
        self.0.call(task, &row.wire).await?;
        let status = row.wire.lease_status.map(|s| s.to_string());
        outbox
            .trade_mark_sent(
                &task.tenant,
                "lease",
                &code,
                &lease_order_hash(&row.wire),
                status.as_deref(),
            )
            .await
            .map_err(state_db)?;
        Ok(TaskOutcome::Done)
    }
}

/// `lease_state`: lease.state.sync of a lease the platform has.
pub struct LeaseStateHandler(pub TradeCalls);

#[async_trait]
impl TaskHandler for LeaseStateHandler {
    fn kinds(&self) -> Vec<&'static str> {
        vec![LEASE_STATE_KIND]
    }

    async fn work(&self, outbox: &Outbox, task: &Task) -> TaskOutcome {
        run(self.lease_state(outbox, task).await)
    }
}

impl LeaseStateHandler {
    async fn lease_state(&self, outbox: &Outbox, task: &Task) -> Result<TaskOutcome, TaskOutcome> {
        let code = payload_str(task, "lease_code")?;
        let status = payload_str(task, "lease_status")?;
        let req = LeaseStateSync {
            lease_code: code.clone(),
            lease_status: status.parse().ok(),
            lease_ca_file: None,
        };
        let broken = violations(
            "alipay.eco.renthouse.lease.state.sync",
            &serde_json::to_value(&req).unwrap_or_default(),
        );
        if !broken.is_empty() {
            let rules: Vec<String> = broken.iter().map(|v| v.message()).collect();
            return Ok(TaskOutcome::Invalid {
                message: format!(
                    "lease {}: column lease_status = {status}: {}",
                    shown_key(&code),
                    rules.join("; ")
                ),
            });
        }
        // The platform refuses a status for a lease it does not have: the order goes first.
        let sent = outbox
            .trade_sent(&task.tenant, "lease", &code)
            .await
            .map_err(state_db)?;
        if sent.is_none() {
            return Ok(retry_after(
                LEASE_PENDING.into(),
                format!(
                    "lease {} has not reached the platform yet",
                    shown_key(&code)
                ),
                Duration::from_secs(5),
            ));
        }
        self.0.call(task, &req).await?;
        outbox
            .trade_mark_state(&task.tenant, "lease", &code, &status)
            .await
            .map_err(state_db)?;
        Ok(TaskOutcome::Done)
    }
}

/// The `trade_id` of a push and the bills it was made for, kept in the task's note.
#[derive(Debug, Serialize, Deserialize)]
struct TradeNote {
    trade_id: String,
    bills_hash: String,
}

/// A new `trade_id`: `b`, the time in microseconds and 16 random hex digits (34 characters of
/// `[A-Za-z0-9_]`, within the platform's 64).
pub fn new_trade_id() -> String {
    let now = chrono::Utc::now().timestamp_micros();
    format!("b{now}_{:016x}", rand::random::<u64>())
}

/// `bill_order`: bill.order.sync of a lease's changed bills (1–50).
pub struct BillOrderHandler(pub TradeCalls);

#[async_trait]
impl TaskHandler for BillOrderHandler {
    fn kinds(&self) -> Vec<&'static str> {
        vec![BILL_ORDER_KIND]
    }

    async fn work(&self, outbox: &Outbox, task: &Task) -> TaskOutcome {
        run(self.push(outbox, task).await)
    }
}

#[derive(Deserialize)]
struct BillPush {
    lease_no: String,
    bills: Vec<Bill>,
}

impl BillOrderHandler {
    async fn push(&self, outbox: &Outbox, task: &Task) -> Result<TaskOutcome, TaskOutcome> {
        let push: BillPush =
            serde_json::from_str(&task.payload).map_err(|e| TaskOutcome::Invalid {
                message: format!("the task's payload is not a bill push: {e}"),
            })?;
        // Bills sent since this push was queued (by another push) are left out.
        let mut bills = Vec::with_capacity(push.bills.len());
        for b in push.bills {
            let sent = outbox
                .trade_sent(&task.tenant, "bill", &b.bill_no)
                .await
                .map_err(state_db)?;
            if sent.is_none_or(|s| s.content_hash != hash_of(&b)) {
                bills.push(b);
            }
        }
        if bills.is_empty() {
            return Ok(TaskOutcome::Done);
        }
        let lease = outbox
            .trade_sent(&task.tenant, "lease", &push.lease_no)
            .await
            .map_err(state_db)?;
        if lease.is_none() {
            return Ok(retry_after(
                LEASE_PENDING.into(),
                format!(
                    "lease {} has not reached the platform yet; its bills wait",
                    shown_key(&push.lease_no)
                ),
                Duration::from_secs(5),
            ));
        }
        let bills_hash = hash_of(&bills);
        let kept = task
            .note
            .as_deref()
            .and_then(|n| serde_json::from_str::<TradeNote>(n).ok())
            .filter(|n| n.bills_hash == bills_hash);
        let trade_id = match kept {
            Some(n) => n.trade_id,
            None => {
                let note = TradeNote {
                    trade_id: new_trade_id(),
                    bills_hash,
                };
                // Kept before the call: a retry after a lost answer must send the same id.
                let text = serde_json::to_string(&note).unwrap_or_default();
                if !outbox.task_note(task, &text).await.map_err(state_db)? {
                    return Ok(TaskOutcome::Release);
                }
                note.trade_id
            }
        };
        let req = BillOrderSync {
            trade_id: trade_id.clone(),
            bill_number: bills.len() as i64,
            bills: bills.clone(),
        };
        let broken = violations(
            "alipay.eco.renthouse.bill.order.sync",
            &serde_json::to_value(&req).unwrap_or_default(),
        );
        if !broken.is_empty() {
            let rules: Vec<String> = broken.iter().map(|v| v.message()).collect();
            return Ok(TaskOutcome::Invalid {
                message: format!("bill push {trade_id}: {}", rules.join("; ")),
            });
        }
        let answer = self.0.call(task, &req).await?;
        let refused = refused_bills(&answer.result_bill_list);
        for b in bills.iter().filter(|b| !refused.contains(&b.bill_no)) {
            outbox
                .trade_mark_sent(&task.tenant, "bill", &b.bill_no, &hash_of(b), None)
                .await
                .map_err(state_db)?;
        }
        if refused.is_empty() {
            Ok(TaskOutcome::Done)
        } else {
            let shown: Vec<String> = refused.iter().map(|b| shown_key(b)).collect();
            Ok(TaskOutcome::Failed {
                code: "bill_refused".into(),
                message: format!(
                    "bill push {trade_id}: the platform did not take bills {}",
                    shown.join(", ")
                ),
            })
        }
    }
}

/// The bills `result_bill_list` does not report with status 1. Each entry is a JSON text with
/// `billNo` and `status` (spec §2.9); an entry that cannot be read counts as nothing refused.
fn refused_bills(list: &[String]) -> Vec<String> {
    list.iter()
        .filter_map(|s| serde_json::from_str::<Value>(s).ok())
        .filter(|v| {
            let status = v.get("status").map(|s| match s {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            });
            status.as_deref() != Some("1")
        })
        .filter_map(|v| v.get("billNo").and_then(Value::as_str).map(str::to_string))
        .collect()
}

/// `booking_feedback`: reservation.feedback.sync of a decision, from the view or the command line.
pub struct BookingFeedbackHandler(pub TradeCalls);

#[async_trait]
impl TaskHandler for BookingFeedbackHandler {
    fn kinds(&self) -> Vec<&'static str> {
        vec![BOOKING_FEEDBACK_KIND]
    }

    async fn work(&self, outbox: &Outbox, task: &Task) -> TaskOutcome {
        run(self.feedback(outbox, task).await)
    }
}

/// Why a decision may not be sent now: a CANCEL needs a SUCCESS sent before it (spec §2.8).
pub fn cancel_refused(req: &ReservationFeedbackSync, last_sent: Option<&str>) -> Option<String> {
    (req.reserve_status.as_deref() == Some("CANCEL") && last_sent != Some("SUCCESS")).then(|| {
        format!(
            "booking {}: column reserve_status = \"CANCEL\": a booking can be cancelled only after \
             a SUCCESS was sent for it (last sent: {})",
            shown_key(&req.reservation_no),
            last_sent.unwrap_or("nothing")
        )
    })
}

impl BookingFeedbackHandler {
    async fn feedback(&self, outbox: &Outbox, task: &Task) -> Result<TaskOutcome, TaskOutcome> {
        let no = payload_str(task, "reservation_no")?;
        let req = match payload_str(task, "source")?.as_str() {
            "view" => {
                let row = view::read_one(
                    self.0.source()?,
                    view::BOOKING_FEEDBACK,
                    view::BOOKING_FEEDBACK_COLUMNS,
                    "reservation_no",
                    &no,
                    view::booking_feedback,
                )
                .await
                .map_err(source_db)?
                .ok_or_else(|| TaskOutcome::Failed {
                    code: "not_in_view".into(),
                    message: format!(
                        "booking {} is no longer in {}",
                        shown_key(&no),
                        view::BOOKING_FEEDBACK
                    ),
                })?;
                if let Some(message) = booking_problems(&row) {
                    return Ok(TaskOutcome::Invalid { message });
                }
                row.wire
            }
            _ => {
                let req: ReservationFeedbackSync = serde_json::from_value(
                    serde_json::from_str::<Value>(&task.payload)
                        .ok()
                        .and_then(|v| v.get("request").cloned())
                        .unwrap_or_default(),
                )
                .map_err(|e| TaskOutcome::Invalid {
                    message: format!("the task's payload has no readable request: {e}"),
                })?;
                let broken = violations(
                    "alipay.eco.renthouse.reservation.feedback.sync",
                    &serde_json::to_value(&req).unwrap_or_default(),
                );
                if !broken.is_empty() {
                    let rules: Vec<String> = broken.iter().map(|v| v.message()).collect();
                    return Ok(TaskOutcome::Invalid {
                        message: format!("booking {}: {}", shown_key(&no), rules.join("; ")),
                    });
                }
                req
            }
        };
        let sent = outbox
            .trade_sent(&task.tenant, "booking", &no)
            .await
            .map_err(state_db)?;
        let h = hash_of(&req);
        if sent.as_ref().is_some_and(|s| s.content_hash == h) {
            // The same decision, sent already: once is enough.
            return Ok(TaskOutcome::Done);
        }
        if let Some(message) = cancel_refused(&req, sent.as_ref().and_then(|s| s.state.as_deref()))
        {
            return Ok(TaskOutcome::Invalid { message });
        }
        self.0.call(task, &req).await?;
        outbox
            .trade_mark_sent(
                &task.tenant,
                "booking",
                &no,
                &h,
                req.reserve_status.as_deref(),
            )
            .await
            .map_err(state_db)?;
        Ok(TaskOutcome::Done)
    }
}

/// The handlers of a tenant's trade tasks.
pub fn handlers(calls: TradeCalls) -> Vec<Arc<dyn TaskHandler>> {
    vec![
        Arc::new(LeaseOrderHandler(calls.clone())),
        Arc::new(LeaseStateHandler(calls.clone())),
        Arc::new(BillOrderHandler(calls.clone())),
        Arc::new(BookingFeedbackHandler(calls)),
    ]
}
