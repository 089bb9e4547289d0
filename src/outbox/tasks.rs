//! Tasks: the outbox of everything that leaves besides rooms (architecture decision 11). A
//! delivery of a platform callback to the operator, a lease or bill sync, a booking feedback: each
//! is a row keyed by (tenant, kind, key) with the life of an item (`pending` → `leased` → `done`,
//! or `retry`, `failed`, `invalid`), leased with an expiry and a fencing token, so a crash, a
//! restart or a second replica neither loses nor repeats one.
//!
//! Two ways in: [`Outbox::task_add`] queues an event once (a callback repeated by the platform is
//! the same key and adds nothing), [`Outbox::task_put`] queues the latest content of something
//! that changes (a lease row of a contract view): a changed payload is worked again, an unchanged
//! one is left as it is.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

use super::{ItemStatus, LeaseWatch, Outbox};

/// The guard of every write a lease holder makes (as for items).
const FENCED: &str =
    "WHERE tenant = ? AND kind = ? AND task_key = ? AND fencing = ? AND lease_owner = ?";

/// A task a worker holds.
#[derive(Debug, Clone)]
pub struct Task {
    pub tenant: String,
    pub kind: String,
    pub key: String,
    /// The JSON the handler works from.
    pub payload: String,
    pub content_hash: String,
    /// Attempts before this one.
    pub attempts: i64,
    /// What the handler kept from earlier attempts ([`Outbox::task_note`]).
    pub note: Option<String>,
    pub fencing: i64,
    pub owner: String,
    pub lease: Arc<LeaseWatch>,
}

/// How a worked task ends.
#[derive(Debug, Clone, PartialEq)]
pub enum TaskOutcome {
    Done,
    /// A transient failure: worked again after `after`.
    Retry {
        code: String,
        message: String,
        after: Duration,
    },
    /// The receiver refused it for good (or it ran out of attempts): kept, visible, until its
    /// content changes or `rentsync retry --tasks`.
    Failed {
        code: String,
        message: String,
    },
    /// Breaks a rule: never sent.
    Invalid {
        message: String,
    },
    /// The lease was lost or the daemon stops: nothing recorded, the next holder works it.
    Release,
}

/// What [`Outbox::task_put`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskPut {
    Added,
    Replaced,
    Unchanged,
}

/// One task as `status`, `spi list` and the reports show it.
#[derive(Debug, Clone, Serialize)]
pub struct TaskRow {
    pub tenant: String,
    pub kind: String,
    pub key: String,
    pub payload: String,
    pub status: String,
    pub attempts: i64,
    pub next_attempt_us: i64,
    pub last_code: Option<String>,
    pub last_error: Option<String>,
    pub note: Option<String>,
    pub created_us: i64,
    pub updated_us: i64,
    pub done_us: Option<i64>,
}

/// Tasks per tenant, kind and status.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TaskCount {
    pub tenant: String,
    pub kind: String,
    pub status: String,
    pub count: i64,
}

const COLUMNS: &str = "tenant, kind, task_key, payload, status, attempts, next_attempt_us, \
     last_code, last_error, note, created_us, updated_us, done_us";

fn task_row(row: &AnyRow) -> anyhow::Result<TaskRow> {
    Ok(TaskRow {
        tenant: row.try_get("tenant")?,
        kind: row.try_get("kind")?,
        key: row.try_get("task_key")?,
        payload: crate::db::text(row, "payload")?.unwrap_or_default(),
        status: row.try_get("status")?,
        attempts: row.try_get("attempts")?,
        next_attempt_us: row.try_get("next_attempt_us")?,
        last_code: row.try_get("last_code")?,
        last_error: crate::db::text(row, "last_error")?,
        note: crate::db::text(row, "note")?,
        created_us: row.try_get("created_us")?,
        updated_us: row.try_get("updated_us")?,
        done_us: row.try_get("done_us")?,
    })
}

/// ` AND column = ?` for each filter given, and the values to bind in order.
fn filters<'a>(given: &[(&str, Option<&'a str>)]) -> (String, Vec<&'a str>) {
    let mut sql = String::new();
    let mut binds = Vec::new();
    for (column, value) in given {
        if let Some(v) = value {
            sql.push_str(&format!(" AND {column} = ?"));
            binds.push(*v);
        }
    }
    (sql, binds)
}

fn hash(payload: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(payload.as_bytes()))
}

impl Outbox {
    /// Queues an event once: when `key` is already queued (in any state), nothing changes and
    /// the answer is false.
    pub async fn task_add(
        &self,
        tenant: &str,
        kind: &str,
        key: &str,
        payload: &str,
    ) -> anyhow::Result<bool> {
        let now = self.db.now_us().await?;
        let d = self.db.dialect;
        let sql = self.db.sql(&format!(
            "{} INTO rentsync_tasks (tenant, kind, task_key, payload, content_hash, status, \
             created_us, updated_us) VALUES (?, ?, ?, ?, ?, 'pending', ?, ?){}",
            d.insert_ignore(),
            d.on_conflict_ignore()
        ));
        let done = sqlx::query(&sql)
            .bind(tenant)
            .bind(kind)
            .bind(key)
            .bind(payload)
            .bind(hash(payload))
            .bind(now)
            .bind(now)
            .execute(&self.db.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Queues the latest content of `key`: added when new, made due again when its payload
    /// changed (a task leased now is worked again after its holder finishes), left alone when
    /// the payload is the one already queued, whatever its state.
    pub async fn task_put(
        &self,
        tenant: &str,
        kind: &str,
        key: &str,
        payload: &str,
    ) -> anyhow::Result<TaskPut> {
        if self.task_add(tenant, kind, key, payload).await? {
            return Ok(TaskPut::Added);
        }
        let now = self.db.now_us().await?;
        let done = sqlx::query(&self.db.sql(
            "UPDATE rentsync_tasks SET payload = ?, content_hash = ?, updated_us = ?, \
             status = CASE WHEN status = 'leased' THEN status ELSE 'pending' END, \
             attempts = CASE WHEN status = 'leased' THEN attempts ELSE 0 END, \
             next_attempt_us = 0 \
             WHERE tenant = ? AND kind = ? AND task_key = ? AND content_hash <> ?",
        ))
        .bind(payload)
        .bind(hash(payload))
        .bind(now)
        .bind(tenant)
        .bind(kind)
        .bind(key)
        .bind(hash(payload))
        .execute(&self.db.pool)
        .await?;
        Ok(if done.rows_affected() == 1 {
            TaskPut::Replaced
        } else {
            TaskPut::Unchanged
        })
    }

    /// Leases up to `limit` due tasks of `kinds`, taking the kinds in turn (each its own
    /// receiver or method and rate), oldest due first.
    pub async fn task_claim(
        &self,
        tenant: &str,
        kinds: &[&str],
        owner: &str,
        limit: usize,
        lease: Duration,
    ) -> anyhow::Result<Vec<Task>> {
        if kinds.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let since = Instant::now();
        let now = self.db.now_us().await?;
        let mut tx = self.db.pool.begin().await?;
        let sql = self.db.sql(&format!(
            "SELECT kind, task_key, payload, content_hash, attempts, fencing, note \
             FROM rentsync_tasks WHERE tenant = ? AND kind = ? AND \
             ((status IN ('pending', 'retry') AND next_attempt_us <= ?) OR (status = 'leased' AND lease_expires_us < ?)) \
             ORDER BY next_attempt_us LIMIT {limit}{}",
            self.db.dialect.skip_locked()
        ));
        let mut queues = Vec::with_capacity(kinds.len());
        for kind in kinds {
            let rows: Vec<AnyRow> = sqlx::query(&sql)
                .bind(tenant)
                .bind(*kind)
                .bind(now)
                .bind(now)
                .fetch_all(&mut *tx)
                .await?;
            queues.push(rows.into_iter());
        }
        let mut rows = Vec::with_capacity(limit);
        loop {
            let before = rows.len();
            for q in &mut queues {
                if rows.len() < limit {
                    rows.extend(q.next());
                }
            }
            if rows.len() == before || rows.len() >= limit {
                break;
            }
        }
        let mut tasks = Vec::with_capacity(rows.len());
        for row in rows {
            let kind: String = row.try_get("kind")?;
            let key: String = row.try_get("task_key")?;
            let fencing: i64 = row.try_get::<i64, _>("fencing")? + 1;
            sqlx::query(&self.db.sql(
                "UPDATE rentsync_tasks SET status = 'leased', lease_owner = ?, lease_expires_us = ?, \
                 fencing = ? WHERE tenant = ? AND kind = ? AND task_key = ?",
            ))
            .bind(owner)
            .bind(now + lease.as_micros() as i64)
            .bind(fencing)
            .bind(tenant)
            .bind(&kind)
            .bind(&key)
            .execute(&mut *tx)
            .await?;
            tasks.push(Task {
                tenant: tenant.to_string(),
                payload: crate::db::text(&row, "payload")?.unwrap_or_default(),
                content_hash: row.try_get("content_hash")?,
                attempts: row.try_get("attempts")?,
                note: crate::db::text(&row, "note")?,
                fencing,
                owner: owner.to_string(),
                lease: Arc::new(LeaseWatch::new(since, lease)),
                kind,
                key,
            });
        }
        tx.commit().await?;
        Ok(tasks)
    }

    /// Extends a task's lease by its length from now. False when it was lost (and marks it so).
    pub async fn task_renew(&self, task: &Task) -> anyhow::Result<bool> {
        let since = Instant::now();
        let sql = self.db.sql(&format!(
            "UPDATE rentsync_tasks SET lease_expires_us = {} + ? {FENCED} AND status = 'leased'",
            self.db.dialect.now_expr()
        ));
        let done = sqlx::query(&sql)
            .bind(task.lease.length().as_micros() as i64)
            .bind(&task.tenant)
            .bind(&task.kind)
            .bind(&task.key)
            .bind(task.fencing)
            .bind(&task.owner)
            .execute(&self.db.pool)
            .await?;
        if done.rows_affected() == 1 {
            task.lease.renewed(since);
            Ok(true)
        } else {
            task.lease.lose();
            Ok(false)
        }
    }

    /// Keeps `note` with the task before a call that depends on it (the `trade_id` a retried
    /// bill call must reuse): written under the lease, so it is there for whoever works it next.
    /// False when the lease was lost.
    pub async fn task_note(&self, task: &Task, note: &str) -> anyhow::Result<bool> {
        let sql = self
            .db
            .sql(&format!("UPDATE rentsync_tasks SET note = ? {FENCED}"));
        let done = sqlx::query(&sql)
            .bind(note)
            .bind(&task.tenant)
            .bind(&task.kind)
            .bind(&task.key)
            .bind(task.fencing)
            .bind(&task.owner)
            .execute(&self.db.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records how a task ended. A payload replaced while it was leased makes it due again
    /// instead of done or failed. False when the lease was lost (nothing written).
    pub async fn task_finish(&self, task: &Task, outcome: &TaskOutcome) -> anyhow::Result<bool> {
        let now = self.db.now_us().await?;
        // Each arm: the status when the payload is the one worked, attempts, next attempt, code,
        // message, done time.
        let (status, attempts, next, code, message, done_us): (
            &str,
            i64,
            i64,
            Option<&str>,
            Option<&str>,
            Option<i64>,
        ) = match outcome {
            TaskOutcome::Done => ("done", 0, 0, None, None, Some(now)),
            TaskOutcome::Retry {
                code,
                message,
                after,
            } => (
                "retry",
                task.attempts + 1,
                now + after.as_micros() as i64,
                Some(code),
                Some(message),
                None,
            ),
            TaskOutcome::Failed { code, message } => (
                "failed",
                task.attempts + 1,
                0,
                Some(code),
                Some(message),
                None,
            ),
            TaskOutcome::Invalid { message } => {
                ("invalid", 0, 0, Some("invalid"), Some(message), None)
            }
            TaskOutcome::Release => ("pending", task.attempts, 0, None, None, None),
        };
        let sql = self.db.sql(&format!(
            "UPDATE rentsync_tasks SET \
             status = CASE WHEN content_hash = ? THEN ? ELSE 'pending' END, \
             attempts = CASE WHEN content_hash = ? THEN ? ELSE 0 END, \
             next_attempt_us = CASE WHEN content_hash = ? THEN ? ELSE 0 END, \
             last_code = ?, last_error = ?, done_us = COALESCE(?, done_us), \
             lease_owner = NULL, lease_expires_us = NULL, updated_us = ? {FENCED}"
        ));
        let done = sqlx::query(&sql)
            .bind(&task.content_hash)
            .bind(status)
            .bind(&task.content_hash)
            .bind(attempts)
            .bind(&task.content_hash)
            .bind(next)
            .bind(code)
            .bind(message)
            .bind(done_us)
            .bind(now)
            .bind(&task.tenant)
            .bind(&task.kind)
            .bind(&task.key)
            .bind(task.fencing)
            .bind(&task.owner)
            .execute(&self.db.pool)
            .await?;
        if done.rows_affected() == 0 {
            task.lease.lose();
        }
        Ok(done.rows_affected() == 1)
    }

    /// Makes failed (and, with `invalid`, invalid) tasks due again; returns how many.
    pub async fn task_retry(
        &self,
        tenant: Option<&str>,
        kind: Option<&str>,
        invalid: bool,
    ) -> anyhow::Result<u64> {
        let statuses = if invalid {
            "('failed', 'invalid')"
        } else {
            "('failed')"
        };
        let now = self.db.now_us().await?;
        let (filter, binds) = filters(&[("tenant", tenant), ("kind", kind)]);
        let sql = self.db.sql(&format!(
            "UPDATE rentsync_tasks SET status = 'pending', attempts = 0, next_attempt_us = 0, \
             updated_us = ? WHERE status IN {statuses}{filter}"
        ));
        let mut query = sqlx::query(&sql).bind(now);
        for b in binds {
            query = query.bind(b);
        }
        Ok(query.execute(&self.db.pool).await?.rows_affected())
    }

    /// One task, in any state.
    pub async fn task_get(
        &self,
        tenant: &str,
        kind: &str,
        key: &str,
    ) -> anyhow::Result<Option<TaskRow>> {
        let row = sqlx::query(&self.db.sql(&format!(
            "SELECT {COLUMNS} FROM rentsync_tasks WHERE tenant = ? AND kind = ? AND task_key = ?"
        )))
        .bind(tenant)
        .bind(kind)
        .bind(key)
        .fetch_optional(&self.db.pool)
        .await?;
        row.as_ref().map(task_row).transpose()
    }

    /// Tasks, newest first, filtered by tenant, kind and status when given.
    pub async fn task_list(
        &self,
        tenant: Option<&str>,
        kind: Option<&str>,
        status: Option<ItemStatus>,
        limit: usize,
    ) -> anyhow::Result<Vec<TaskRow>> {
        let status = status.map(|s| s.as_str());
        let (filter, binds) = filters(&[("tenant", tenant), ("kind", kind), ("status", status)]);
        let sql = self.db.sql(&format!(
            "SELECT {COLUMNS} FROM rentsync_tasks WHERE 1 = 1{filter} \
             ORDER BY created_us DESC, task_key LIMIT {}",
            limit.max(1)
        ));
        let mut query = sqlx::query(&sql);
        for b in binds {
            query = query.bind(b);
        }
        let rows = query.fetch_all(&self.db.pool).await?;
        rows.iter().map(task_row).collect()
    }

    /// Tasks per tenant, kind and status (status, metrics, readiness).
    pub async fn task_counts(&self) -> anyhow::Result<Vec<TaskCount>> {
        let rows = sqlx::query(
            "SELECT tenant, kind, status, COUNT(*) AS n FROM rentsync_tasks \
             GROUP BY tenant, kind, status ORDER BY tenant, kind, status",
        )
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(TaskCount {
                    tenant: r.try_get("tenant")?,
                    kind: r.try_get("kind")?,
                    status: r.try_get("status")?,
                    count: r.try_get("n")?,
                })
            })
            .collect()
    }
}

/// [`Outbox::task_add`] on a connection inside the caller's transaction, so an event and its
/// delivery are written together or not at all (a lease history row and its `tmall_event`).
pub async fn task_add_on(
    conn: &mut sqlx::AnyConnection,
    dialect: crate::db::Dialect,
    tenant: &str,
    kind: &str,
    key: &str,
    payload: &str,
) -> anyhow::Result<bool> {
    let now = dialect.now_expr();
    let sql = dialect.sql(&format!(
        "{} INTO rentsync_tasks (tenant, kind, task_key, payload, content_hash, status, \
         created_us, updated_us) VALUES (?, ?, ?, ?, ?, 'pending', {now}, {now}){}",
        dialect.insert_ignore(),
        dialect.on_conflict_ignore()
    ));
    let done = sqlx::query(&sql)
        .bind(tenant)
        .bind(kind)
        .bind(key)
        .bind(payload)
        .bind(hash(payload))
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}
