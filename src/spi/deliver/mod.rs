//! Delivering stored callbacks to the operator: each accepted callback becomes one task per
//! configured receiver (`spi_webhook`, `spi_insert`) keyed by its event id, worked by the tenant's
//! task loop with the outbox's lease, retry and dead-item rules (architecture decision 11).
//!
//! The task payload names the event only: the phone number stays sealed in
//! `rentsync_spi_callbacks` and is opened by the handler right before it is sent, so no task row,
//! status line or report ever holds it. Deliveries are at least once; the event id lets the
//! receiver drop a repeat (a crash after the receiver answered and before the task was marked done).

pub mod insert;
pub mod webhook;

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use serde_json::{json, Value};

use super::aes::DataKey;
use super::config::DeliverConfig;
use crate::outbox::{Outbox, TaskOutcome};
use crate::secret::Secret;
use crate::worker::TaskHandler;

pub const WEBHOOK_KIND: &str = "spi_webhook";
pub const INSERT_KIND: &str = "spi_insert";

/// The task kinds a tenant's deliveries are queued as.
pub fn kinds(cfg: Option<&DeliverConfig>) -> Vec<&'static str> {
    let Some(cfg) = cfg else { return Vec::new() };
    let mut out = Vec::new();
    if cfg.webhook.is_some() {
        out.push(WEBHOOK_KIND);
    }
    if cfg.insert_database.is_some() {
        out.push(INSERT_KIND);
    }
    out
}

/// Queues the deliveries of one stored callback and marks it queued. Safe to repeat: a task
/// that exists is left as it is.
pub async fn queue(
    outbox: &Outbox,
    tenant: &str,
    event_id: &str,
    callback_type: &str,
    kinds: &[&str],
) -> anyhow::Result<()> {
    if kinds.is_empty() {
        return Ok(());
    }
    let payload = json!({ "event_id": event_id, "type": callback_type }).to_string();
    for kind in kinds {
        outbox.task_add(tenant, kind, event_id, &payload).await?;
    }
    outbox.spi_mark_queued(tenant, event_id).await
}

/// Queues the deliveries of callbacks stored but never queued (the process died between the two
/// writes, or the receiver was configured later). Returns how many.
pub async fn sweep(outbox: &Outbox, tenant: &str, kinds: &[&str]) -> anyhow::Result<usize> {
    if kinds.is_empty() {
        return Ok(0);
    }
    let mut n = 0;
    loop {
        let batch = outbox.spi_unqueued(tenant, 500).await?;
        if batch.is_empty() {
            return Ok(n);
        }
        for cb in &batch {
            queue(outbox, tenant, &cb.event_id, &cb.callback_type, kinds).await?;
            n += 1;
        }
    }
}

/// One callback as it is delivered, with its phone number opened.
pub struct Delivery {
    pub tenant: String,
    pub event_id: String,
    pub callback_type: String,
    pub received_at: String,
    pub params: Value,
    pub phone: Option<Secret>,
}

impl Delivery {
    /// The stored callback of `event_id`; `Err` with a bounded reason when it cannot be read.
    pub async fn load(
        outbox: &Outbox,
        key: &DataKey,
        tenant: &str,
        event_id: &str,
    ) -> Result<Delivery, TaskOutcome> {
        let stored = match outbox.spi_get(tenant, event_id).await {
            Ok(Some(s)) => s,
            Ok(None) => {
                return Err(TaskOutcome::Invalid {
                    message: "the callback is no longer stored".into(),
                })
            }
            Err(e) => return Err(retry("state_db", &format!("{e:#}"))),
        };
        let phone = match stored.phone_enc.as_deref().map(|s| key.open(s)) {
            None => None,
            Some(Ok(p)) => Some(p),
            Some(Err(e)) => {
                return Err(TaskOutcome::Failed {
                    code: "data_key".into(),
                    message: format!("the stored phone number does not open: {e}"),
                })
            }
        };
        let received_at = Utc
            .timestamp_micros(stored.received_us)
            .single()
            .map(|t| t.to_rfc3339())
            .unwrap_or_default();
        Ok(Delivery {
            tenant: stored.tenant,
            event_id: stored.event_id,
            callback_type: stored.callback_type,
            received_at,
            params: serde_json::from_str(&stored.params).unwrap_or(Value::Null),
            phone,
        })
    }

    /// The webhook body: the event id first, so a receiver can drop a repeat.
    pub fn body(&self) -> Vec<u8> {
        json!({
            "event_id": self.event_id,
            "tenant": self.tenant,
            "type": self.callback_type,
            "received_at": self.received_at,
            "params": self.params,
            "phone": self.phone.as_ref().map(Secret::expose),
        })
        .to_string()
        .into_bytes()
    }
}

/// A transient failure, retried with the loop's backoff.
pub fn retry(code: &str, message: &str) -> TaskOutcome {
    TaskOutcome::Retry {
        code: code.into(),
        message: message.chars().take(300).collect(),
        after: std::time::Duration::ZERO,
    }
}

/// The task payload's event id.
pub fn event_of(payload: &str) -> Option<String> {
    serde_json::from_str::<Value>(payload)
        .ok()?
        .get("event_id")?
        .as_str()
        .map(str::to_string)
}

/// The delivery handlers of a tenant with `[tenant.spi.deliver]`.
pub fn handlers(
    cfg: &DeliverConfig,
    data_key: &DataKey,
) -> anyhow::Result<Vec<Arc<dyn TaskHandler>>> {
    let mut out: Vec<Arc<dyn TaskHandler>> = Vec::new();
    if cfg.webhook.is_some() {
        out.push(Arc::new(webhook::WebhookHandler::new(
            cfg,
            data_key.clone(),
        )?));
    }
    if cfg.insert_database.is_some() {
        out.push(Arc::new(insert::InsertHandler::new(cfg, data_key.clone())?));
    }
    Ok(out)
}
