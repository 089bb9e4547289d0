//! Outbox items: one row per (tenant, kind, room code), holding what the platform should show
//! (the listing and its hashes) beside what it was last seen to accept (`synced_*`).
//!
//! Life of an item (architecture decision 3): `pending` → `leased` → `done`, or `retry` (transient
//! error, `next_attempt_us` in the row), `failed` (the platform refused; kept with code and message
//! until the source changes or `rentsync retry`), `invalid` (breaks a rule; never sent). A newer
//! listing replaces the queued one in place, so 100 edits of a room cost at most one call in
//! flight plus one for the latest. A worker holds a lease with an expiry and a fencing token: when
//! its lease was lost to another worker, its late writes match no row and change nothing.

use std::collections::HashMap;

use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

use super::Outbox;

/// The guard of every write a lease holder makes: the row must still be its lease, under the
/// fencing token it claimed. Bound by `fenced`.
const FENCED: &str =
    "WHERE tenant = ? AND kind = ? AND item_key = ? AND fencing = ? AND lease_owner = ?";

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

/// Binds `FENCED`'s parameters for `item`, after the statement's own.
fn fenced<'q>(query: AnyQuery<'q>, item: &'q ClaimedItem) -> AnyQuery<'q> {
    query
        .bind(&item.tenant)
        .bind(&item.kind)
        .bind(&item.key)
        .bind(item.fencing)
        .bind(&item.owner)
}
use crate::plan::{Listing, Plan};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    Pending,
    Leased,
    Done,
    Retry,
    Failed,
    Invalid,
}

impl ItemStatus {
    pub const ALL: [ItemStatus; 6] = [
        ItemStatus::Pending,
        ItemStatus::Leased,
        ItemStatus::Done,
        ItemStatus::Retry,
        ItemStatus::Failed,
        ItemStatus::Invalid,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ItemStatus::Pending => "pending",
            ItemStatus::Leased => "leased",
            ItemStatus::Done => "done",
            ItemStatus::Retry => "retry",
            ItemStatus::Failed => "failed",
            ItemStatus::Invalid => "invalid",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// An item a worker holds.
#[derive(Debug, Clone)]
pub struct ClaimedItem {
    pub tenant: String,
    pub kind: String,
    pub key: String,
    pub listing: Listing,
    pub content_hash: String,
    pub state: String,
    pub synced_payload_hash: Option<String>,
    pub synced_state: Option<String>,
    pub attempts: i64,
    pub fencing: i64,
    pub owner: String,
}

/// How a worker leaves an item.
#[derive(Debug, Clone)]
pub enum Finish {
    Done {
        warnings: Option<String>,
    },
    Retry {
        delay_us: i64,
        code: String,
        message: String,
    },
    Failed {
        code: String,
        message: String,
    },
    /// Shutdown: back to pending, attempts unchanged.
    Release,
}

/// What `enqueue` did with a batch.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct EnqueueCounts {
    pub created: u64,
    pub changed: u64,
    pub unchanged: u64,
    pub invalid: u64,
}

/// The stored view of an item, for planning and reports.
#[derive(Debug, Clone)]
pub struct ItemSummary {
    pub content_hash: String,
    pub state: String,
    pub status: ItemStatus,
    pub synced_payload_hash: Option<String>,
    pub synced_state: Option<String>,
    pub active: bool,
}

fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}

impl Outbox {
    /// Stored summaries of these keys.
    pub async fn lookup(
        &self,
        tenant: &str,
        kind: &str,
        keys: &[&str],
    ) -> anyhow::Result<HashMap<String, ItemSummary>> {
        let mut out = HashMap::with_capacity(keys.len());
        for chunk in keys.chunks(500) {
            let sql = self.db.sql(&format!(
                "SELECT item_key, content_hash, state, status, synced_payload_hash, synced_state, listing \
                 FROM rentsync_items WHERE tenant = ? AND kind = ? AND item_key IN ({})",
                placeholders(chunk.len())
            ));
            let mut q = sqlx::query(&sql).bind(tenant).bind(kind);
            for k in chunk {
                q = q.bind(*k);
            }
            for row in q.fetch_all(&self.db.pool).await? {
                let listing = crate::db::text(&row, "listing")?.unwrap_or_default();
                let status: String = row.try_get("status")?;
                out.insert(
                    row.try_get("item_key")?,
                    ItemSummary {
                        content_hash: row.try_get("content_hash")?,
                        state: row.try_get("state")?,
                        status: ItemStatus::parse(&status).unwrap_or(ItemStatus::Pending),
                        synced_payload_hash: row.try_get("synced_payload_hash")?,
                        synced_state: row.try_get("synced_state")?,
                        active: !listing.contains("\"active\":false"),
                    },
                );
            }
        }
        Ok(out)
    }

    /// Queues plans: new rooms are created, changed ones replace what was queued, unchanged ones
    /// cost one indexed read. A rule break queues the item as `invalid` with its message.
    pub async fn enqueue(&self, tenant: &str, plans: &[Plan]) -> anyhow::Result<EnqueueCounts> {
        let mut counts = EnqueueCounts::default();
        let now = self.db.now_us().await?;
        let mut by_kind: HashMap<&str, Vec<&Plan>> = HashMap::new();
        for p in plans {
            by_kind.entry(p.listing.kind_label()).or_default().push(p);
        }
        for (kind, group) in by_kind {
            for chunk in group.chunks(500) {
                let keys: Vec<&str> = chunk.iter().map(|p| p.listing.room_code()).collect();
                let existing = self.lookup(tenant, kind, &keys).await?;
                let mut tx = self.db.pool.begin().await?;
                for p in chunk {
                    let key = p.listing.room_code();
                    let (status, error) = if p.is_valid() {
                        (ItemStatus::Pending, None)
                    } else {
                        counts.invalid += 1;
                        (ItemStatus::Invalid, Some(p.error_text()))
                    };
                    let listing = serde_json::to_string(&p.listing)?;
                    match existing.get(key) {
                        None => {
                            counts.created += 1;
                            sqlx::query(&self.db.sql(
                                "INSERT INTO rentsync_items (tenant, kind, item_key, listing, content_hash, state, \
                                 status, last_code, last_error, updated_us) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            ))
                            .bind(tenant)
                            .bind(kind)
                            .bind(key)
                            .bind(listing)
                            .bind(&p.content_hash)
                            .bind(&p.state)
                            .bind(status.as_str())
                            .bind(error.as_ref().map(|_| "invalid"))
                            .bind(error)
                            .bind(now)
                            .execute(&mut *tx)
                            .await?;
                        }
                        Some(old) if old.content_hash == p.content_hash && old.state == p.state => {
                            counts.unchanged += 1;
                        }
                        Some(_) => {
                            counts.changed += 1;
                            // A leased item keeps its lease: the worker sees the newer hash when it
                            // finishes and leaves the item pending (decision 3).
                            sqlx::query(&self.db.sql(
                                "UPDATE rentsync_items SET listing = ?, content_hash = ?, state = ?, \
                                 status = CASE WHEN status = 'leased' THEN 'leased' ELSE ? END, \
                                 attempts = 0, next_attempt_us = 0, last_code = ?, last_error = ?, updated_us = ? \
                                 WHERE tenant = ? AND kind = ? AND item_key = ?",
                            ))
                            .bind(listing)
                            .bind(&p.content_hash)
                            .bind(&p.state)
                            .bind(status.as_str())
                            .bind(error.as_ref().map(|_| "invalid"))
                            .bind(error)
                            .bind(now)
                            .bind(tenant)
                            .bind(kind)
                            .bind(key)
                            .execute(&mut *tx)
                            .await?;
                        }
                    }
                }
                tx.commit().await?;
            }
        }
        Ok(counts)
    }

    /// Leases up to `limit` due items of a tenant to `owner` for `lease_us`.
    pub async fn claim(
        &self,
        tenant: &str,
        owner: &str,
        limit: usize,
        lease_us: i64,
    ) -> anyhow::Result<Vec<ClaimedItem>> {
        let now = self.db.now_us().await?;
        let mut tx = self.db.pool.begin().await?;
        let sql = self.db.sql(&format!(
            "SELECT kind, item_key, listing, content_hash, state, synced_payload_hash, synced_state, \
             attempts, fencing FROM rentsync_items WHERE tenant = ? AND \
             ((status IN ('pending', 'retry') AND next_attempt_us <= ?) OR (status = 'leased' AND lease_expires_us < ?)) \
             ORDER BY next_attempt_us LIMIT {}{}",
            limit.max(1),
            self.db.dialect.skip_locked()
        ));
        let rows: Vec<AnyRow> = sqlx::query(&sql)
            .bind(tenant)
            .bind(now)
            .bind(now)
            .fetch_all(&mut *tx)
            .await?;
        let mut items = Vec::with_capacity(rows.len());
        for row in rows {
            let kind: String = row.try_get("kind")?;
            let key: String = row.try_get("item_key")?;
            let fencing: i64 = row.try_get::<i64, _>("fencing")? + 1;
            sqlx::query(&self.db.sql(
                "UPDATE rentsync_items SET status = 'leased', lease_owner = ?, lease_expires_us = ?, \
                 fencing = ? WHERE tenant = ? AND kind = ? AND item_key = ?",
            ))
            .bind(owner)
            .bind(now + lease_us)
            .bind(fencing)
            .bind(tenant)
            .bind(&kind)
            .bind(&key)
            .execute(&mut *tx)
            .await?;
            let listing = crate::db::text(&row, "listing")?.unwrap_or_default();
            items.push(ClaimedItem {
                tenant: tenant.to_string(),
                listing: serde_json::from_str(&listing)?,
                content_hash: row.try_get("content_hash")?,
                state: row.try_get("state")?,
                synced_payload_hash: row.try_get("synced_payload_hash")?,
                synced_state: row.try_get("synced_state")?,
                attempts: row.try_get("attempts")?,
                fencing,
                owner: owner.to_string(),
                kind,
                key,
            });
        }
        tx.commit().await?;
        Ok(items)
    }

    /// Records a call the platform accepted, at once, so a crash after it repeats nothing.
    /// False when the lease was lost (another worker owns the item now).
    pub async fn record_progress(
        &self,
        item: &ClaimedItem,
        payload_hash: &str,
        state: &str,
    ) -> anyhow::Result<bool> {
        let sql = self.db.sql(&format!(
            "UPDATE rentsync_items SET synced_payload_hash = ?, synced_state = ?, calls = calls + 1 {FENCED}"
        ));
        let query = sqlx::query(&sql);
        let done = fenced(query.bind(payload_hash).bind(state), item)
            .execute(&self.db.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Ends a lease. If the source changed meanwhile the item goes back to `pending` for the newer
    /// listing instead of the outcome of the older one.
    pub async fn finish(&self, item: &ClaimedItem, how: Finish) -> anyhow::Result<bool> {
        // Delays count from the database clock, stamped in the statement itself.
        let (status, attempts_delta, delay_us, code, message, warnings) = match how {
            Finish::Done { warnings } => ("done", -item.attempts, 0, None, None, warnings),
            Finish::Retry {
                delay_us,
                code,
                message,
            } => ("retry", 1, delay_us, Some(code), Some(message), None),
            Finish::Failed { code, message } => ("failed", 1, 0, Some(code), Some(message), None),
            Finish::Release => ("pending", 0, 0, None, None, None),
        };
        let now = self.db.dialect.now_expr();
        let sql = format!(
            "UPDATE rentsync_items SET \
             status = CASE WHEN content_hash = ? AND state = ? THEN ? ELSE 'pending' END, \
             attempts = attempts + ?, next_attempt_us = {now} + ?, last_code = ?, last_error = ?, warnings = ?, \
             lease_owner = NULL, lease_expires_us = NULL, updated_us = {now} {FENCED}"
        );
        let sql = self.db.sql(&sql);
        let query = sqlx::query(&sql)
            .bind(&item.content_hash)
            .bind(&item.state)
            .bind(status)
            .bind(attempts_delta)
            .bind(delay_us)
            .bind(code)
            .bind(message)
            .bind(warnings);
        let done = fenced(query, item).execute(&self.db.pool).await?;
        Ok(done.rows_affected() == 1)
    }

    /// Returns every lease of `owner` to the queue (graceful shutdown).
    pub async fn release_owner(&self, owner: &str) -> anyhow::Result<u64> {
        let r = sqlx::query(&self.db.sql(
            "UPDATE rentsync_items SET status = 'pending', lease_owner = NULL, lease_expires_us = NULL \
             WHERE status = 'leased' AND lease_owner = ?",
        ))
        .bind(owner)
        .execute(&self.db.pool)
        .await?;
        Ok(r.rows_affected())
    }

    /// `rentsync retry`: failed items (and, on request, invalid ones) back to pending.
    pub async fn requeue(
        &self,
        tenant: Option<&str>,
        include_invalid: bool,
    ) -> anyhow::Result<u64> {
        let statuses = if include_invalid {
            "('failed', 'invalid')"
        } else {
            "('failed')"
        };
        let sql = format!(
            "UPDATE rentsync_items SET status = 'pending', attempts = 0, next_attempt_us = 0 \
             WHERE status IN {statuses}{}",
            if tenant.is_some() {
                " AND tenant = ?"
            } else {
                ""
            }
        );
        let sql = self.db.sql(&sql);
        let mut q = sqlx::query(&sql);
        if let Some(t) = tenant {
            q = q.bind(t);
        }
        Ok(q.execute(&self.db.pool).await?.rows_affected())
    }

    /// Keys of a tenant's items that are still meant to be listed (for reconciliation).
    pub async fn active_keys(
        &self,
        tenant: &str,
        kind: &str,
    ) -> anyhow::Result<Vec<(String, Listing)>> {
        let rows = sqlx::query(&self.db.sql(
            "SELECT item_key, listing FROM rentsync_items WHERE tenant = ? AND kind = ? \
             AND synced_state IS NOT NULL",
        ))
        .bind(tenant)
        .bind(kind)
        .fetch_all(&self.db.pool)
        .await?;
        let mut out = Vec::new();
        for row in rows {
            let listing: Listing =
                serde_json::from_str(&crate::db::text(&row, "listing")?.unwrap_or_default())?;
            if listing.active {
                out.push((row.try_get("item_key")?, listing));
            }
        }
        Ok(out)
    }
}
