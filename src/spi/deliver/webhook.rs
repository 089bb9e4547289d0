//! The webhook hand-off: a POST of the callback as JSON to the operator's URL, signed with
//! `X-Rentsync-Signature: sha256=<hex HMAC-SHA256 of the raw body>`. The receiver is untrusted
//! like any network peer: plain http only to loopback, no redirects followed, a deadline on the
//! whole exchange, and at most [`MAX_ANSWER_BYTES`] of its answer read.
//!
//! A 2xx answer is the acknowledgement. 408, 429 and 5xx answers and network failures are retried
//! with backoff (dead after `task_max_attempts`, shown by `status`); a redirect or another 4xx is
//! the receiver's refusal and parks the task as failed until `rentsync retry --tasks`.
//!
//! The same hand-off carries the Tmall lease poller's history rows (`tmall_event` tasks, type
//! `tmall_lease`) when the tenant has a webhook.

use std::time::Duration;

use async_trait::async_trait;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use chrono::{TimeZone, Utc};
use serde_json::{json, Value};

use super::{event_of, retry, Delivery, WEBHOOK_KIND};
use crate::outbox::{Outbox, Task, TaskOutcome};
use crate::secret::Secret;
use crate::spi::aes::DataKey;
use crate::spi::config::DeliverConfig;
use crate::tmall::poller::TMALL_EVENT_KIND;
use crate::worker::TaskHandler;

/// Of the receiver's answer, only this much is read (it says nothing we need).
const MAX_ANSWER_BYTES: usize = 4096;

/// `https://…` anywhere; `http://` only to a loopback host.
pub fn check_url(url: &str) -> Result<reqwest::Url, String> {
    let parsed = reqwest::Url::parse(url).map_err(|_| "not a URL".to_string())?;
    match parsed.scheme() {
        "https" => Ok(parsed),
        "http" => {
            let host = parsed.host_str().unwrap_or_default();
            let host = host.trim_start_matches('[').trim_end_matches(']');
            let loopback = host.eq_ignore_ascii_case("localhost")
                || host
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback());
            if loopback {
                Ok(parsed)
            } else {
                Err("plain http is allowed to a loopback host only; use https".into())
            }
        }
        _ => Err("must be an https URL".into()),
    }
}

/// `sha256=<hex>` of the body under `key`.
pub fn signature(key: &[u8], body: &[u8]) -> String {
    // HMAC takes a key of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC accepts any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

pub struct WebhookHandler {
    url: reqwest::Url,
    key: Secret,
    http: reqwest::Client,
    data_key: DataKey,
}

impl WebhookHandler {
    pub fn new(cfg: &DeliverConfig, data_key: DataKey) -> anyhow::Result<Self> {
        let raw = cfg.webhook.as_deref().unwrap_or_default();
        let url = check_url(raw).map_err(|e| anyhow::anyhow!("spi.deliver.webhook: {e}"))?;
        let key_file = cfg
            .hmac_key_file
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("spi.deliver.webhook needs hmac_key_file"))?;
        let key = std::fs::read_to_string(key_file).map_err(|e| {
            anyhow::anyhow!(
                "cannot read spi.deliver.hmac_key_file {}: {e}",
                key_file.display()
            )
        })?;
        let key = Secret::new(key.trim());
        if key.is_empty() {
            anyhow::bail!("spi.deliver.hmac_key_file {} is empty", key_file.display());
        }
        let timeout = Duration::from_secs(cfg.timeout_secs.max(1));
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .timeout(timeout)
            .build()?;
        Ok(Self {
            url,
            key,
            http,
            data_key,
        })
    }
}

#[async_trait]
impl TaskHandler for WebhookHandler {
    fn kinds(&self) -> Vec<&'static str> {
        vec![WEBHOOK_KIND, TMALL_EVENT_KIND]
    }

    async fn work(&self, outbox: &Outbox, task: &Task) -> TaskOutcome {
        let Some(event_id) = event_of(&task.payload) else {
            return TaskOutcome::Invalid {
                message: "task payload names no event".into(),
            };
        };
        let body = if task.kind == TMALL_EVENT_KIND {
            tmall_body(&task.tenant, &event_id, &task.payload)
        } else {
            match Delivery::load(outbox, &self.data_key, &task.tenant, &event_id).await {
                Ok(d) => d.body(),
                Err(outcome) => return outcome,
            }
        };
        self.post(task, &event_id, body).await
    }
}

/// A Tmall lease change (issue 14) in the webhook's envelope: `type` `tmall_lease`, the change as
/// `params`.
fn tmall_body(tenant: &str, event_id: &str, payload: &str) -> Vec<u8> {
    let change: Value = serde_json::from_str(payload).unwrap_or(Value::Null);
    let at = change["at_us"]
        .as_i64()
        .and_then(|us| Utc.timestamp_micros(us).single())
        .map(|t| t.to_rfc3339());
    json!({
        "event_id": event_id,
        "tenant": tenant,
        "type": "tmall_lease",
        "received_at": at,
        "params": change,
        "phone": Value::Null,
    })
    .to_string()
    .into_bytes()
}

impl WebhookHandler {
    /// Sends one body and judges the answer.
    async fn post(&self, task: &Task, event_id: &str, body: Vec<u8>) -> TaskOutcome {
        let sig = signature(self.key.expose().as_bytes(), &body);
        if !task.lease.holds() {
            return TaskOutcome::Release;
        }
        let sent = self
            .http
            .post(self.url.clone())
            .header("content-type", "application/json")
            .header("x-rentsync-signature", sig)
            .header("x-rentsync-event", event_id)
            .body(body)
            .send()
            .await;
        let mut answer = match sent {
            Ok(a) => a,
            // reqwest's error names the URL, which is configuration, never personal data.
            Err(e) if e.is_timeout() => {
                return retry("timeout", "the webhook did not answer in time")
            }
            Err(_) => return retry("network", "the webhook could not be reached"),
        };
        let status = answer.status();
        // Read a bounded amount, so a receiver that streams forever cannot hold the task.
        let mut read = 0usize;
        while read < MAX_ANSWER_BYTES {
            match answer.chunk().await {
                Ok(Some(c)) => read += c.len(),
                _ => break,
            }
        }
        let code = status.as_u16().to_string();
        if status.is_success() {
            TaskOutcome::Done
        } else if status.is_redirection() {
            TaskOutcome::Failed {
                code,
                message: "the webhook answered with a redirect; rentsync follows none".into(),
            }
        } else if status.is_server_error() || matches!(status.as_u16(), 408 | 429) {
            retry(&code, "the webhook failed")
        } else {
            TaskOutcome::Failed {
                code,
                message: "the webhook refused the callback".into(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_is_refused_except_to_loopback() {
        assert!(check_url("https://hooks.example.com/x").is_ok());
        assert!(check_url("http://127.0.0.1:9000/x").is_ok());
        assert!(check_url("http://[::1]:9000/x").is_ok());
        assert!(check_url("http://localhost/x").is_ok());
        assert!(check_url("http://hooks.example.com/x").is_err());
        assert!(check_url("http://10.0.0.1/x").is_err());
        assert!(check_url("ftp://127.0.0.1/x").is_err());
    }

    #[test]
    fn the_signature_is_the_hex_hmac_of_the_raw_body() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
