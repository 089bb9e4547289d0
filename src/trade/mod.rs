//! The operator's trade with the platform (spec §2.8–2.9, docs/TRADE.md): its answers to viewing
//! bookings (`reservation.feedback.sync`), its leases (`lease.order.sync`, `lease.state.sync`)
//! and their bills (`bill.order.sync`), read from contract views in the tenant's source database
//! (and, for bookings, from `rentsync booking feedback`) and sent through the task outbox.
//!
//! It sits beside `spi` on top of the outbox and the worker: [`scan`] turns view rows into tasks,
//! [`handlers`] work them. Two decisions a reader would otherwise get wrong:
//! - Task payloads carry no phone or ID number. A lease task names the lease and the hash of its
//!   row; the handler reads the row again right before the call and checks the rules on exactly
//!   what it sends. A bill push carries its bills (they hold no personal data).
//! - A bill push's `trade_id` (the platform's idempotency key) is made once per content and kept
//!   in the task's note before the call, so a retry after a lost answer reuses it and the
//!   platform answers with the first result instead of recording the bills twice.

pub mod config;
pub mod handlers;
pub mod poller;
pub mod scan;
pub mod view;

use serde::Serialize;
use serde_json::{json, Value};

use crate::alipay::renthouse::{Bill, LeaseOrderSync};
use crate::plan::rules::{self, Violation};

pub use config::TradeConfig;

/// Task kinds (one spelling in the database, `status` and the logs).
pub const LEASE_ORDER_KIND: &str = "lease_order";
pub const LEASE_STATE_KIND: &str = "lease_state";
pub const BILL_ORDER_KIND: &str = "bill_order";
pub const BOOKING_FEEDBACK_KIND: &str = "booking_feedback";

/// The code of a task waiting for its lease to reach the platform first.
pub const LEASE_PENDING: &str = "lease_pending";
/// Bills per `bill.order.sync` call (spec §2.9: 1–50).
pub const MAX_BILLS: usize = 50;
/// Longest task key kept (the state database's `task_key` holds 128 characters).
const MAX_KEY: usize = 120;

/// SHA-256 of a value's JSON, hex.
pub fn hash_of<T: Serialize>(value: &T) -> String {
    use sha2::Digest;
    let text = serde_json::to_string(value).unwrap_or_default();
    hex::encode(sha2::Sha256::digest(text.as_bytes()))
}

/// The hash of everything lease.order.sync sends but the status, which lease.state.sync can
/// change alone.
pub fn lease_order_hash(lease: &LeaseOrderSync) -> String {
    let mut l = lease.clone();
    l.lease_status = None;
    hash_of(&l)
}

/// The platform's rules broken by `biz` for `method`.
pub fn violations(method: &str, biz: &Value) -> Vec<Violation> {
    rules::check(method, biz, &rules::Context::now(false))
        .unwrap_or_else(|e| vec![Violation::invalid("biz_content", e.to_string())])
}

/// The rules one bill breaks, checked inside a push of that bill alone.
pub fn bill_check(bill: &Bill) -> Vec<Violation> {
    let biz = json!({ "trade_id": "check", "bill_number": "1", "bills": [bill] });
    violations("alipay.eco.renthouse.bill.order.sync", &biz)
}
