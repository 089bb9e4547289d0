//! The lease poller: follows the lease orders an operator listed (`rentsync tmall lease watch`),
//! queries each (lease and bills, then settlement), and records every change of lease status,
//! bill status and settlement as history rows in the state database (`rentsync_tmall_history`).
//!
//! The last snapshot is stored next to the watch row and written in the same transaction as the
//! history rows, so a crash between poll and write repeats the poll and records each change once.
//! A session, credential or stopped-method error ends the round: every other lease would fail the
//! same way, and hammering a banned method extends the ban.

use serde::Serialize;

use super::error::ErrorClass;
use super::history::{changes, snapshot, Change, Snapshot};
use super::lease::{LeaseQuery, QueryStatusDTO, QueryType};
use super::{TopClient, TopError};
use crate::db::Db;

/// A recorded history row.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryRow {
    pub at_us: i64,
    pub subject: String,
    pub subject_key: String,
    pub bill_type: Option<i64>,
    pub old_value: Option<String>,
    pub new_value: String,
    pub amount_fen: Option<i64>,
}

/// A followed lease order and what was last recorded of it (`seen_text` as stored, for the
/// compare-and-set in [`LeaseBook::record`]).
#[derive(Debug, Clone)]
pub struct Watched {
    pub lease_order_no: String,
    pub seen: Snapshot,
    pub seen_text: Option<String>,
}

/// The task kind of a recorded change handed to the operator's webhook (`[tenant.spi.deliver]`).
pub const TMALL_EVENT_KIND: &str = "tmall_event";

/// The poller's tables in the state database.
#[derive(Clone)]
pub struct LeaseBook {
    db: Db,
    /// Queue a `tmall_event` task with each history row, in the same transaction.
    deliver: bool,
}

#[derive(Debug, Default, Clone, Copy, Serialize)]
pub struct PollStats {
    pub polled: usize,
    pub changes: usize,
    pub failed: usize,
}

impl LeaseBook {
    /// `db` must be migrated (`Outbox::open` does it).
    pub fn new(db: Db) -> Self {
        Self { db, deliver: false }
    }

    /// Each recorded change also becomes a `tmall_event` task (the operator's webhook).
    pub fn delivering(mut self, on: bool) -> Self {
        self.deliver = on;
        self
    }

    /// Adds a lease order to follow; false when it was followed already.
    pub async fn watch(&self, tenant: &str, lease_order_no: &str) -> anyhow::Result<bool> {
        let d = self.db.dialect;
        let sql = format!(
            "{} INTO rentsync_tmall_watch (tenant, lease_order_no, added_us) VALUES (?, ?, {}){}",
            d.insert_ignore(),
            d.now_expr(),
            d.on_conflict_ignore()
        );
        let done = sqlx::query(&self.db.sql(&sql))
            .bind(tenant)
            .bind(lease_order_no)
            .execute(&self.db.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// The followed lease orders and what was last seen of each.
    pub async fn watched(&self, tenant: &str) -> anyhow::Result<Vec<Watched>> {
        use sqlx::Row as _;
        let rows = sqlx::query(&self.db.sql(
            "SELECT lease_order_no, snapshot FROM rentsync_tmall_watch WHERE tenant = ? ORDER BY lease_order_no",
        ))
        .bind(tenant)
        .fetch_all(&self.db.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let no: String = row.try_get("lease_order_no")?;
            // MySQL hands TEXT to the Any driver as a BLOB: db::text reads both.
            let snap = crate::db::text(&row, "snapshot")?;
            // A snapshot we cannot read is treated as none: the next poll records the whole
            // state again, which repeats history rows rather than losing any.
            let seen = snap
                .as_deref()
                .and_then(|s| serde_json::from_str(s).ok())
                .unwrap_or_default();
            out.push(Watched {
                lease_order_no: no,
                seen,
                seen_text: snap,
            });
        }
        Ok(out)
    }

    /// Writes the changes and the new snapshot together, only if the stored snapshot is still
    /// `w.seen_text`: when two replicas poll the same lease at once, one records the change and
    /// the other's write is dropped (false), so no change is recorded twice.
    pub async fn record(
        &self,
        tenant: &str,
        w: &Watched,
        snap: &Snapshot,
        changes: &[Change],
    ) -> anyhow::Result<bool> {
        let lease_order_no = w.lease_order_no.as_str();
        let now = self.db.now_us().await?;
        let mut tx = self.db.pool.begin().await?;
        // Compare-and-set first, so a lost race writes no history row.
        let same = if w.seen_text.is_some() {
            "snapshot = ?"
        } else {
            "snapshot IS NULL"
        };
        let sql = format!(
            "UPDATE rentsync_tmall_watch SET snapshot = ?, polled_us = ? \
             WHERE tenant = ? AND lease_order_no = ? AND {same}"
        );
        let sql = self.db.sql(&sql);
        let mut q = sqlx::query(&sql)
            .bind(serde_json::to_string(snap)?)
            .bind(now)
            .bind(tenant)
            .bind(lease_order_no);
        if let Some(text) = &w.seen_text {
            q = q.bind(text);
        }
        if q.execute(&mut *tx).await?.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        for c in changes {
            sqlx::query(&self.db.sql(
                "INSERT INTO rentsync_tmall_history (tenant, lease_order_no, at_us, subject, subject_key, \
                 bill_type, old_value, new_value, amount_fen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            ))
            .bind(tenant)
            .bind(lease_order_no)
            .bind(now)
            .bind(c.subject)
            .bind(&c.subject_key)
            .bind(c.bill_type)
            .bind(&c.old_value)
            .bind(&c.new_value)
            .bind(c.amount_fen)
            .execute(&mut *tx)
            .await?;
            if self.deliver {
                let (key, payload) = event(tenant, lease_order_no, now, c);
                let d = self.db.dialect;
                crate::outbox::task_add_on(&mut tx, d, tenant, TMALL_EVENT_KIND, &key, &payload)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(true)
    }

    pub async fn history(
        &self,
        tenant: &str,
        lease_order_no: &str,
    ) -> anyhow::Result<Vec<HistoryRow>> {
        type Row = (
            i64,
            String,
            String,
            Option<i64>,
            Option<String>,
            String,
            Option<i64>,
        );
        let rows: Vec<Row> = sqlx::query_as(&self.db.sql(
            "SELECT at_us, subject, subject_key, bill_type, old_value, new_value, amount_fen \
             FROM rentsync_tmall_history WHERE tenant = ? AND lease_order_no = ? \
             ORDER BY at_us, subject, subject_key",
        ))
        .bind(tenant)
        .bind(lease_order_no)
        .fetch_all(&self.db.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| HistoryRow {
                at_us: r.0,
                subject: r.1,
                subject_key: r.2,
                bill_type: r.3,
                old_value: r.4,
                new_value: r.5,
                amount_fen: r.6,
            })
            .collect())
    }
}

fn query(no: &str, query_type: QueryType, merchant_open_id: i64) -> LeaseQuery {
    LeaseQuery(QueryStatusDTO {
        lease_order_no: no.into(),
        bill_no_list: None,
        phase: None,
        query_type,
        merchant_open_id,
    })
}

/// The event id (SHA-256 hex of what identifies the change) and the task payload of one change.
fn event(tenant: &str, lease_order_no: &str, at_us: i64, c: &Change) -> (String, String) {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    for part in [
        tenant,
        lease_order_no,
        &at_us.to_string(),
        c.subject,
        &c.subject_key,
        &c.new_value,
    ] {
        h.update(part.len().to_be_bytes());
        h.update(part.as_bytes());
    }
    let id = hex::encode(h.finalize());
    let payload = serde_json::json!({
        "event_id": id,
        "lease_order_no": lease_order_no,
        "at_us": at_us,
        "subject": c.subject,
        "subject_key": c.subject_key,
        "bill_type": c.bill_type,
        "old_value": c.old_value,
        "new_value": c.new_value,
        "amount_fen": c.amount_fen,
    });
    (id, payload.to_string())
}

/// One round over every followed lease order of `tenant`.
pub async fn poll_once(
    client: &TopClient,
    book: &LeaseBook,
    tenant: &str,
    merchant_open_id: i64,
) -> anyhow::Result<PollStats> {
    let mut stats = PollStats::default();
    for w in book.watched(tenant).await? {
        let (no, before) = (&w.lease_order_no, &w.seen);
        let answer = async {
            let lease = client
                .call(&query(no, QueryType::Lease, merchant_open_id))
                .await?;
            let settled = client
                .call(&query(no, QueryType::Settlement, merchant_open_id))
                .await?;
            Ok::<_, TopError>((lease, settled.settle_info_list))
        }
        .await;
        match answer {
            Ok((lease, settlements)) => {
                let now = snapshot(&lease, &settlements);
                let found = changes(before, &now);
                if found.is_empty() && *before == now {
                    stats.polled += 1;
                    continue;
                }
                stats.polled += 1;
                // Another replica recorded this change first: nothing to log or count.
                if book.record(tenant, &w, &now, &found).await? {
                    for c in &found {
                        tracing::info!(tenant, lease_order_no = %no, subject = c.subject,
                            key = %c.subject_key, new = %c.new_value, "TmallLeaseChangeRecorded");
                    }
                    stats.changes += found.len();
                }
            }
            Err(e) => {
                stats.failed += 1;
                let stop = matches!(
                    e.class(),
                    ErrorClass::Session | ErrorClass::Credentials | ErrorClass::Throttled
                );
                tracing::warn!(tenant, lease_order_no = %no, error = %e, "TmallLeasePollFailed");
                if stop {
                    return Err(anyhow::Error::new(e)
                        .context(format!("tenant {tenant:?}: lease poll stopped at {no}")));
                }
            }
        }
    }
    Ok(stats)
}

/// The daemon's loop for one tenant: a round every `lease_poll_secs` until `cancel`. Its errors
/// are logged, never returned: a Tmall problem must not stop the tenant's listing sync.
pub async fn lease_poll_loop(
    db: Db,
    tenant: String,
    cfg: super::TmallConfig,
    source_database: Option<String>,
    deliver: bool,
    cancel: tokio_util::sync::CancellationToken,
) -> anyhow::Result<()> {
    let Some(merchant) = cfg.merchant_open_id else {
        tracing::warn!(tenant, "no tmall.merchant_open_id: the lease poller is off");
        return Ok(());
    };
    let client = match cfg
        .top_config()
        .and_then(TopClient::new)
        .map(|c| c.with_shared_bans(db.clone()))
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(tenant, error = %format!("{e:#}"), "TmallLeasePollerDown");
            return Ok(());
        }
    };
    // The contract view, when the tenant turned it on (a pool opened lazily: an operator
    // database that is down only delays the view, not the polling of orders already followed).
    let view = match (cfg.lease_view, &source_database) {
        (true, Some(url)) => match Db::connect_lazy(url, 2) {
            Ok(source) => Some(source),
            Err(e) => {
                tracing::error!(tenant, error = %format!("{e:#}"), "TmallLeaseViewUnreadable");
                None
            }
        },
        (true, None) => {
            tracing::warn!(
                tenant,
                "tmall.lease_view needs the tenant's source_database: the view is not read"
            );
            None
        }
        _ => None,
    };
    let book = LeaseBook::new(db.clone()).delivering(deliver);
    let every = std::time::Duration::from_secs(cfg.lease_poll_secs.max(1));
    loop {
        if let Some(source) = &view {
            follow_view(source, &db, &tenant).await;
        }
        match poll_once(&client, &book, &tenant, merchant).await {
            Ok(s) => tracing::debug!(
                tenant,
                polled = s.polled,
                changes = s.changes,
                failed = s.failed,
                "lease poll done"
            ),
            Err(e) => tracing::warn!(tenant, error = %format!("{e:#}"), "TmallLeasePollFailed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = cancel.cancelled() => return Ok(()),
        }
    }
}

/// Brings the followed set in line with `rentsync_tmall_leases`; its errors are logged, and the
/// orders followed already are still polled.
pub async fn follow_view(source: &Db, state: &Db, tenant: &str) {
    let followed = async {
        let (listed, _) = super::listed::read_listed(source).await?;
        super::listed::follow_listed(state, tenant, &listed).await
    }
    .await;
    match followed {
        Ok(f) if f.added + f.dropped > 0 => {
            tracing::info!(
                tenant,
                added = f.added,
                dropped = f.dropped,
                "TmallLeaseViewFollowed"
            )
        }
        Ok(_) => {}
        Err(e) => {
            tracing::warn!(tenant, error = %format!("{e:#}"), "TmallLeaseViewUnreadable")
        }
    }
}
