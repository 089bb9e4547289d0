//! Everything the state database knows about one room, for `rentsync explain`.

use serde::Serialize;
use sqlx::Row;

use super::Outbox;

/// One item as stored.
#[derive(Debug, Clone, Serialize)]
pub struct ItemRecord {
    pub tenant: String,
    pub kind: String,
    pub room_code: String,
    pub status: String,
    pub attempts: i64,
    /// Seconds until the next attempt (negative: due).
    pub next_attempt_in_secs: Option<i64>,
    pub last_code: Option<String>,
    pub last_error: Option<String>,
    pub warnings: Option<String>,
    pub invalid_reason: Option<String>,
    pub synced_state: Option<String>,
    pub synced_payload_hash: Option<String>,
    pub content_hash: String,
    pub lease_owner: Option<String>,
    /// The room as the platform last accepted it (JSON), and when (µs since the epoch).
    pub last_sent: Option<String>,
    pub last_sent_us: Option<i64>,
    pub calls: i64,
}

/// One platform call of the item, from the call log.
#[derive(Debug, Clone, Serialize)]
pub struct CallRecord {
    pub method: String,
    pub outcome: String,
    pub latency_ms: i64,
    pub at_us: i64,
}

impl Outbox {
    /// The items with this room code (one per tenant and kind), with `tenant` to narrow.
    pub async fn item_records(
        &self,
        tenant: Option<&str>,
        room_code: &str,
    ) -> anyhow::Result<Vec<ItemRecord>> {
        let now = self.db.now_us().await?;
        let sql = format!(
            "SELECT tenant, kind, item_key, status, attempts, next_attempt_us, last_code, last_error, \
             warnings, invalid_reason, synced_state, synced_payload_hash, content_hash, lease_owner, \
             last_sent, last_sent_us, calls FROM rentsync_items WHERE item_key = ?{}",
            if tenant.is_some() { " AND tenant = ?" } else { "" }
        );
        let sql = self.db.sql(&sql);
        let mut q = sqlx::query(&sql).bind(room_code);
        if let Some(t) = tenant {
            q = q.bind(t);
        }
        let text = |r: &sqlx::any::AnyRow, c: &str| crate::db::text(r, c);
        let mut out = Vec::new();
        for r in q.fetch_all(&self.db.pool).await? {
            let next: i64 = r.try_get("next_attempt_us")?;
            let status: String = r.try_get("status")?;
            out.push(ItemRecord {
                tenant: r.try_get("tenant")?,
                kind: r.try_get("kind")?,
                room_code: r.try_get("item_key")?,
                next_attempt_in_secs: matches!(status.as_str(), "retry" | "pending")
                    .then(|| (next - now) / 1_000_000),
                status,
                attempts: r.try_get("attempts")?,
                last_code: text(&r, "last_code")?,
                last_error: text(&r, "last_error")?,
                warnings: text(&r, "warnings")?,
                invalid_reason: text(&r, "invalid_reason")?,
                synced_state: text(&r, "synced_state")?,
                synced_payload_hash: text(&r, "synced_payload_hash")?,
                content_hash: text(&r, "content_hash")?.unwrap_or_default(),
                lease_owner: text(&r, "lease_owner")?,
                last_sent: text(&r, "last_sent")?,
                last_sent_us: r.try_get("last_sent_us")?,
                calls: r.try_get("calls")?,
            });
        }
        Ok(out)
    }

    /// The item's latest calls, newest first.
    pub async fn item_calls(
        &self,
        tenant: &str,
        room_code: &str,
        limit: i64,
    ) -> anyhow::Result<Vec<CallRecord>> {
        let rows = sqlx::query(&self.db.sql(
            "SELECT method, outcome, latency_ms, at_us FROM rentsync_calls \
             WHERE tenant = ? AND item_key = ? ORDER BY at_us DESC LIMIT ?",
        ))
        .bind(tenant)
        .bind(room_code)
        .bind(limit)
        .fetch_all(&self.db.pool)
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(CallRecord {
                    method: r.try_get("method")?,
                    outcome: r.try_get("outcome")?,
                    latency_ms: r.try_get("latency_ms")?,
                    at_us: r.try_get("at_us")?,
                })
            })
            .collect()
    }
}
