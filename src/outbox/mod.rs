//! The state database: outbox items, the caches of community references and photo URLs, the
//! change feed's watermarks, live replicas, and the log of platform calls. SQLite by default,
//! PostgreSQL or MySQL when several replicas share the work (decision 8).

mod cache;
mod explain;
mod family;
mod holds;
mod items;
mod ka;
mod migrate;
mod mix;
mod report;
mod review;
mod tasks;
mod trade;
mod warnings;

use std::collections::BTreeMap;

use serde::Serialize;
use sqlx::Row;

pub use explain::{CallRecord, ItemRecord};
pub use family::FamilySwitch;
pub use holds::DelistHold;
pub use items::{
    maybe_live, ClaimedItem, EnqueueCounts, Finish, ItemStatus, ItemSummary, LeaseWatch,
    UNCONFIRMED,
};
pub use ka::KaAccount;
pub use migrate::migrate;
pub use mix::ClaimMix;
pub use report::{FailingItem, LiveOlderItem, SentRecord};
pub use review::{CommunityStatus, REJECTED_CODE};
pub use tasks::{task_add_on, Task, TaskCount, TaskOutcome, TaskPut, TaskRow};
pub use trade::Sent;
pub use warnings::WarningRow;

use crate::db::Db;

#[derive(Clone, Debug)]
pub struct Outbox {
    pub db: Db,
}

/// One recent failure, for `status` and reports.
#[derive(Debug, Clone, Serialize)]
pub struct FailureRow {
    pub tenant: String,
    pub kind: String,
    pub room_code: String,
    pub status: String,
    pub code: String,
    pub message: String,
    pub attempts: i64,
    /// An invalid room the platform may still show at the values it last accepted.
    pub live_with_older_values: bool,
}

impl Outbox {
    pub async fn open(url: &str, max_connections: u32) -> anyhow::Result<Self> {
        crate::db::create_sqlite_private(url)?;
        let db = Db::connect(url, max_connections).await?;
        migrate(&db).await?;
        Ok(Self { db })
    }

    /// The state database as it is, for read-only reports: no migrations, no file created.
    /// `None` when there is none yet (everything would be new).
    pub async fn open_existing(url: &str) -> anyhow::Result<Option<Self>> {
        let dialect = crate::db::Dialect::of_url(url)?;
        let url = if dialect == crate::db::Dialect::Sqlite {
            let path = url
                .trim_start_matches("sqlite://")
                .trim_start_matches("sqlite:");
            let path = path.split('?').next().unwrap_or(path);
            if !std::path::Path::new(path).exists() {
                return Ok(None);
            }
            format!("sqlite://{path}?mode=ro")
        } else {
            url.to_string()
        };
        let db = Db::connect(&url, 4).await?;
        let probe = sqlx::query("SELECT COUNT(*) FROM rentsync_items WHERE 1 = 0")
            .fetch_all(&db.pool)
            .await;
        Ok(probe.is_ok().then_some(Self { db }))
    }

    pub async fn cache_get(
        &self,
        tenant: &str,
        kind: &str,
        key: &str,
    ) -> anyhow::Result<Option<String>> {
        let row = sqlx::query(&self.db.sql(
            "SELECT value FROM rentsync_cache WHERE tenant = ? AND kind = ? AND cache_key = ?",
        ))
        .bind(tenant)
        .bind(kind)
        .bind(key)
        .fetch_optional(&self.db.pool)
        .await?;
        Ok(match row {
            Some(r) => crate::db::text(&r, "value")?,
            None => None,
        })
    }

    /// First writer wins: two workers that resolved the same photo keep one URL.
    pub async fn cache_put(
        &self,
        tenant: &str,
        kind: &str,
        key: &str,
        value: &str,
    ) -> anyhow::Result<String> {
        let now = self.db.now_us().await?;
        let insert = sqlx::query(&self.db.sql(
            "INSERT INTO rentsync_cache (tenant, kind, cache_key, value, created_us) VALUES (?, ?, ?, ?, ?)",
        ))
        .bind(tenant)
        .bind(kind)
        .bind(key)
        .bind(value)
        .bind(now)
        .execute(&self.db.pool)
        .await;
        match insert {
            Ok(_) => Ok(value.to_string()),
            // Another writer was first: its value stands. Any other failure is an error, never a
            // value silently left unstored (a platform id lost that way means a second add).
            Err(e) => match self.cache_get(tenant, kind, key).await? {
                Some(stored) => Ok(stored),
                None => Err(anyhow::anyhow!(
                    "cannot store {kind} {key} in the state database: {e}"
                )),
            },
        }
    }

    pub async fn watermark(&self, tenant: &str, view: &str) -> anyhow::Result<i64> {
        let row: Option<(i64,)> = sqlx::query_as(&self.db.sql(
            "SELECT updated_at_us FROM rentsync_watermarks WHERE tenant = ? AND view_name = ?",
        ))
        .bind(tenant)
        .bind(view)
        .fetch_optional(&self.db.pool)
        .await?;
        Ok(row.map_or(0, |r| r.0))
    }

    pub async fn set_watermark(&self, tenant: &str, view: &str, at_us: i64) -> anyhow::Result<()> {
        let updated = sqlx::query(&self.db.sql(
            "UPDATE rentsync_watermarks SET updated_at_us = ? WHERE tenant = ? AND view_name = ? AND updated_at_us < ?",
        ))
        .bind(at_us)
        .bind(tenant)
        .bind(view)
        .bind(at_us)
        .execute(&self.db.pool)
        .await?;
        if updated.rows_affected() == 0 && self.watermark(tenant, view).await? == 0 {
            let _ = sqlx::query(&self.db.sql(
                "INSERT INTO rentsync_watermarks (tenant, view_name, updated_at_us) VALUES (?, ?, ?)",
            ))
            .bind(tenant)
            .bind(view)
            .bind(at_us)
            .execute(&self.db.pool)
            .await;
        }
        Ok(())
    }

    /// Appends to the call log; rows older than `retention_us` are pruned now and then.
    pub async fn log_call(
        &self,
        tenant: &str,
        method: &str,
        key: &str,
        outcome: &str,
        latency_ms: i64,
    ) -> anyhow::Result<()> {
        let sql = format!(
            "INSERT INTO rentsync_calls (tenant, method, item_key, outcome, latency_ms, at_us) VALUES (?, ?, ?, ?, ?, {})",
            self.db.dialect.now_expr()
        );
        sqlx::query(&self.db.sql(&sql))
            .bind(tenant)
            .bind(method)
            .bind(key)
            .bind(outcome)
            .bind(latency_ms)
            .execute(&self.db.pool)
            .await?;
        Ok(())
    }

    pub async fn prune_calls(&self, retention_us: i64) -> anyhow::Result<u64> {
        let now = self.db.now_us().await?;
        let r = sqlx::query(&self.db.sql("DELETE FROM rentsync_calls WHERE at_us < ?"))
            .bind(now - retention_us)
            .execute(&self.db.pool)
            .await?;
        Ok(r.rows_affected())
    }

    /// Platform calls logged (all tenants, all replicas) within the last `window`.
    pub async fn calls_since(&self, window: std::time::Duration) -> anyhow::Result<i64> {
        let now = self.db.now_us().await?;
        let (n,): (i64,) = sqlx::query_as(
            &self
                .db
                .sql("SELECT COUNT(*) FROM rentsync_calls WHERE at_us >= ?"),
        )
        .bind(now - window.as_micros() as i64)
        .fetch_one(&self.db.pool)
        .await?;
        Ok(n)
    }

    /// Platform calls per (method, outcome), from the call log.
    pub async fn call_counts(
        &self,
        tenant: &str,
    ) -> anyhow::Result<BTreeMap<(String, String), i64>> {
        let rows = sqlx::query(&self.db.sql(
            "SELECT method, outcome, COUNT(*) AS n FROM rentsync_calls WHERE tenant = ? GROUP BY method, outcome",
        ))
        .bind(tenant)
        .fetch_all(&self.db.pool)
        .await?;
        let mut out = BTreeMap::new();
        for r in rows {
            out.insert(
                (r.try_get("method")?, r.try_get("outcome")?),
                r.try_get("n")?,
            );
        }
        Ok(out)
    }

    /// Items per (tenant, status).
    pub async fn counts(&self) -> anyhow::Result<BTreeMap<(String, ItemStatus), i64>> {
        let rows = sqlx::query(
            "SELECT tenant, status, COUNT(*) AS n FROM rentsync_items GROUP BY tenant, status",
        )
        .fetch_all(&self.db.pool)
        .await?;
        let mut out = BTreeMap::new();
        for r in rows {
            let status: String = r.try_get("status")?;
            if let Some(s) = ItemStatus::parse(&status) {
                out.insert((r.try_get("tenant")?, s), r.try_get("n")?);
            }
        }
        Ok(out)
    }

    /// Items per (tenant, kind, status), for metrics.
    pub async fn counts_by_kind(&self) -> anyhow::Result<Vec<(String, String, String, i64)>> {
        let rows = sqlx::query(
            "SELECT tenant, kind, status, COUNT(*) AS n FROM rentsync_items GROUP BY tenant, kind, status",
        )
        .fetch_all(&self.db.pool)
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok((
                    r.try_get("tenant")?,
                    r.try_get("kind")?,
                    r.try_get("status")?,
                    r.try_get("n")?,
                ))
            })
            .collect()
    }

    /// Items of a tenant still to be worked on (pending, retry or leased).
    pub async fn outstanding(&self, tenant: &str) -> anyhow::Result<i64> {
        let (n,): (i64,) = sqlx::query_as(&self.db.sql(
            "SELECT COUNT(*) FROM rentsync_items WHERE tenant = ? AND status IN ('pending', 'retry', 'leased')",
        ))
        .bind(tenant)
        .fetch_one(&self.db.pool)
        .await?;
        Ok(n)
    }

    /// Age in seconds of the oldest item waiting to be worked on, if any.
    pub async fn oldest_pending_secs(&self) -> anyhow::Result<Option<i64>> {
        self.oldest_pending_secs_of(None).await
    }

    /// As [`Outbox::oldest_pending_secs`], for one tenant when given (`--tenant`).
    pub async fn oldest_pending_secs_of(
        &self,
        tenant: Option<&str>,
    ) -> anyhow::Result<Option<i64>> {
        let now = self.db.now_us().await?;
        let sql = format!(
            "SELECT MIN(updated_us) FROM rentsync_items WHERE status IN ('pending', 'retry'){}",
            tenant_clause(tenant)
        );
        let sql = self.db.sql(&sql);
        let mut q = sqlx::query_as::<_, (Option<i64>,)>(&sql);
        if let Some(t) = tenant {
            q = q.bind(t);
        }
        let (oldest,) = q.fetch_one(&self.db.pool).await?;
        Ok(oldest.map(|t| (now - t) / 1_000_000))
    }

    /// The most recent failed and invalid items with their reasons.
    pub async fn failures(&self, limit: i64) -> anyhow::Result<Vec<FailureRow>> {
        self.failures_of(None, limit).await
    }

    /// As [`Outbox::failures`], for one tenant when given (`--tenant`).
    pub async fn failures_of(
        &self,
        tenant: Option<&str>,
        limit: i64,
    ) -> anyhow::Result<Vec<FailureRow>> {
        let sql = format!(
            "SELECT tenant, kind, item_key, status, last_code, last_error, attempts, synced_state FROM rentsync_items \
             WHERE status IN ('failed', 'invalid', 'retry'){} ORDER BY updated_us DESC LIMIT ?",
            tenant_clause(tenant)
        );
        let sql = self.db.sql(&sql);
        let mut q = sqlx::query(&sql);
        if let Some(t) = tenant {
            q = q.bind(t);
        }
        let rows = q.bind(limit).fetch_all(&self.db.pool).await?;
        rows.into_iter()
            .map(|r| {
                let status: String = r.try_get("status")?;
                let synced: Option<String> = r.try_get("synced_state")?;
                Ok(FailureRow {
                    live_with_older_values: status == "invalid" && maybe_live(synced.as_deref()),
                    tenant: r.try_get("tenant")?,
                    kind: r.try_get("kind")?,
                    room_code: r.try_get("item_key")?,
                    status,
                    code: r
                        .try_get::<Option<String>, _>("last_code")?
                        .unwrap_or_default(),
                    message: crate::db::text(&r, "last_error")?.unwrap_or_default(),
                    attempts: r.try_get("attempts")?,
                })
            })
            .collect()
    }

    /// Invalid rooms per tenant that the platform may still show at their older values.
    pub async fn live_with_older_values(&self) -> anyhow::Result<BTreeMap<String, i64>> {
        let rows = sqlx::query(&self.db.sql(
            "SELECT tenant, COUNT(*) AS n FROM rentsync_items WHERE status = 'invalid' \
             AND (synced_state = ? OR synced_state LIKE 'on/%') GROUP BY tenant",
        ))
        .bind(UNCONFIRMED)
        .fetch_all(&self.db.pool)
        .await?;
        let mut out = BTreeMap::new();
        for r in rows {
            out.insert(r.try_get("tenant")?, r.try_get("n")?);
        }
        Ok(out)
    }

    /// Marks this replica alive and returns how many replicas beat within `window_us`.
    pub async fn heartbeat(&self, owner: &str, window_us: i64) -> anyhow::Result<i64> {
        let now = self.db.now_us().await?;
        let updated = sqlx::query(
            &self
                .db
                .sql("UPDATE rentsync_replicas SET heartbeat_us = ? WHERE owner = ?"),
        )
        .bind(now)
        .bind(owner)
        .execute(&self.db.pool)
        .await?;
        if updated.rows_affected() == 0 {
            sqlx::query(
                &self
                    .db
                    .sql("INSERT INTO rentsync_replicas (owner, heartbeat_us) VALUES (?, ?)"),
            )
            .bind(owner)
            .bind(now)
            .execute(&self.db.pool)
            .await?;
        }
        let (n,): (i64,) = sqlx::query_as(
            &self
                .db
                .sql("SELECT COUNT(*) FROM rentsync_replicas WHERE heartbeat_us >= ?"),
        )
        .bind(now - window_us)
        .fetch_one(&self.db.pool)
        .await?;
        Ok(n.max(1))
    }

    pub async fn leave(&self, owner: &str) -> anyhow::Result<()> {
        sqlx::query(&self.db.sql("DELETE FROM rentsync_replicas WHERE owner = ?"))
            .bind(owner)
            .execute(&self.db.pool)
            .await?;
        Ok(())
    }
}

/// ` AND tenant = ?` when a query is narrowed to one tenant; its value is bound, never spliced.
pub(crate) fn tenant_clause(tenant: Option<&str>) -> &'static str {
    if tenant.is_some() {
        " AND tenant = ?"
    } else {
        ""
    }
}
