//! Reads for the reports: every failing item once (streamed, so memory stays flat in the number
//! of rooms), invalid rooms the platform may still show, and stored listings and last-sent
//! payloads of a few rooms.

use std::collections::HashMap;

use futures_util::TryStreamExt;
use sqlx::Row;

use super::{tenant_clause, Outbox, UNCONFIRMED};
use crate::plan::Listing;

/// A failed, invalid or retrying item, as `status` groups them.
#[derive(Debug, Clone)]
pub struct FailingItem {
    pub tenant: String,
    pub kind: String,
    pub room_code: String,
    pub status: String,
    pub code: String,
    pub message: String,
    pub updated_us: i64,
}

/// An invalid room the platform may still show at the values it last accepted.
#[derive(Debug, Clone)]
pub struct LiveOlderItem {
    pub tenant: String,
    pub kind: String,
    pub room_code: String,
    pub listing: Option<Listing>,
    pub reason: String,
    pub last_sent_us: Option<i64>,
}

/// What a dry-run compares an update with: the payload last accepted, and the listing queued.
#[derive(Debug, Clone)]
pub struct SentRecord {
    pub last_sent: Option<String>,
    pub listing: String,
}

impl Outbox {
    /// Calls `each` on every failing item of `tenant` (or all), oldest change first.
    pub async fn each_failing(
        &self,
        tenant: Option<&str>,
        mut each: impl FnMut(FailingItem),
    ) -> anyhow::Result<()> {
        let sql = format!(
            "SELECT tenant, kind, item_key, status, last_code, last_error, updated_us FROM rentsync_items \
             WHERE status IN ('failed', 'invalid', 'retry'){} ORDER BY updated_us",
            tenant_clause(tenant)
        );
        let sql = self.db.sql(&sql);
        let mut q = sqlx::query(&sql);
        if let Some(t) = tenant {
            q = q.bind(t);
        }
        let mut rows = q.fetch(&self.db.pool);
        while let Some(r) = rows.try_next().await? {
            each(FailingItem {
                tenant: r.try_get("tenant")?,
                kind: r.try_get("kind")?,
                room_code: r.try_get("item_key")?,
                status: r.try_get("status")?,
                code: r
                    .try_get::<Option<String>, _>("last_code")?
                    .unwrap_or_default(),
                message: crate::db::text(&r, "last_error")?.unwrap_or_default(),
                updated_us: r.try_get("updated_us")?,
            });
        }
        Ok(())
    }

    /// The first `limit` invalid rooms that may be live, and how many there are in all.
    pub async fn live_older_items(
        &self,
        tenant: Option<&str>,
        limit: i64,
    ) -> anyhow::Result<(Vec<LiveOlderItem>, i64)> {
        let filter = format!(
            "FROM rentsync_items WHERE status = 'invalid' AND (synced_state = ? OR synced_state LIKE 'on/%'){}",
            tenant_clause(tenant)
        );
        let count_sql = self.db.sql(&format!("SELECT COUNT(*) {filter}"));
        let mut count = sqlx::query_as::<_, (i64,)>(&count_sql).bind(UNCONFIRMED);
        if let Some(t) = tenant {
            count = count.bind(t);
        }
        let (total,) = count.fetch_one(&self.db.pool).await?;
        let sql = self.db.sql(&format!(
            "SELECT tenant, kind, item_key, listing, last_error, last_sent_us {filter} \
             ORDER BY tenant, item_key LIMIT ?"
        ));
        let mut q = sqlx::query(&sql).bind(UNCONFIRMED);
        if let Some(t) = tenant {
            q = q.bind(t);
        }
        let mut out = Vec::new();
        for r in q.bind(limit).fetch_all(&self.db.pool).await? {
            let listing = crate::db::text(&r, "listing")?.unwrap_or_default();
            out.push(LiveOlderItem {
                tenant: r.try_get("tenant")?,
                kind: r.try_get("kind")?,
                room_code: r.try_get("item_key")?,
                listing: serde_json::from_str(&listing).ok(),
                reason: crate::db::text(&r, "last_error")?.unwrap_or_default(),
                last_sent_us: r.try_get("last_sent_us")?,
            });
        }
        Ok((out, total))
    }

    /// The listing queued for one room.
    pub async fn item_listing(
        &self,
        tenant: &str,
        kind: &str,
        room_code: &str,
    ) -> anyhow::Result<Option<Listing>> {
        let row = sqlx::query(&self.db.sql(
            "SELECT listing FROM rentsync_items WHERE tenant = ? AND kind = ? AND item_key = ?",
        ))
        .bind(tenant)
        .bind(kind)
        .bind(room_code)
        .fetch_optional(&self.db.pool)
        .await?;
        Ok(match row {
            Some(r) => {
                serde_json::from_str(&crate::db::text(&r, "listing")?.unwrap_or_default()).ok()
            }
            None => None,
        })
    }

    /// The last accepted payloads and queued listings of these rooms.
    pub async fn sent_records(
        &self,
        tenant: &str,
        kind: &str,
        keys: &[&str],
    ) -> anyhow::Result<HashMap<String, SentRecord>> {
        let mut out = HashMap::with_capacity(keys.len());
        for chunk in keys.chunks(500) {
            let sql = self.db.sql(&format!(
                "SELECT item_key, last_sent, listing FROM rentsync_items \
                 WHERE tenant = ? AND kind = ? AND item_key IN ({})",
                vec!["?"; chunk.len()].join(", ")
            ));
            let mut q = sqlx::query(&sql).bind(tenant).bind(kind);
            for k in chunk {
                q = q.bind(*k);
            }
            for r in q.fetch_all(&self.db.pool).await? {
                out.insert(
                    r.try_get("item_key")?,
                    SentRecord {
                        last_sent: crate::db::text(&r, "last_sent")?,
                        listing: crate::db::text(&r, "listing")?.unwrap_or_default(),
                    },
                );
            }
        }
        Ok(out)
    }
}
