//! What the lease, bill and booking-feedback syncs last did, per subject (`rentsync_trade_sent`,
//! migration 13), and the two task writes a contract-view scan needs beside `task_put`: parking a
//! row that breaks a rule as an `invalid` task (visible in `status` with its reason, never sent)
//! and dropping such a record once the row is fixed.
//!
//! A scan compares each view row with what was *sent*, not with what was queued: a bill pushed
//! once is not pushed again until its row changes, whatever became of the task that pushed it.

use std::collections::HashMap;

use sqlx::Row;

use super::Outbox;

/// What was last sent of one subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    pub content_hash: String,
    pub state: Option<String>,
    pub sent_us: i64,
}

fn hash(payload: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(payload.as_bytes()))
}

impl Outbox {
    /// Everything sent of `subject` for `tenant`, by key: one query per scan.
    pub async fn trade_sent_all(
        &self,
        tenant: &str,
        subject: &str,
    ) -> anyhow::Result<HashMap<String, Sent>> {
        let rows = sqlx::query(&self.db.sql(
            "SELECT subject_key, content_hash, state, sent_us FROM rentsync_trade_sent \
             WHERE tenant = ? AND subject = ?",
        ))
        .bind(tenant)
        .bind(subject)
        .fetch_all(&self.db.pool)
        .await?;
        let mut out = HashMap::with_capacity(rows.len());
        for r in rows {
            out.insert(
                r.try_get("subject_key")?,
                Sent {
                    content_hash: r.try_get("content_hash")?,
                    state: r.try_get("state")?,
                    sent_us: r.try_get("sent_us")?,
                },
            );
        }
        Ok(out)
    }

    /// What was sent of one subject.
    pub async fn trade_sent(
        &self,
        tenant: &str,
        subject: &str,
        key: &str,
    ) -> anyhow::Result<Option<Sent>> {
        let row = sqlx::query(&self.db.sql(
            "SELECT content_hash, state, sent_us FROM rentsync_trade_sent \
             WHERE tenant = ? AND subject = ? AND subject_key = ?",
        ))
        .bind(tenant)
        .bind(subject)
        .bind(key)
        .fetch_optional(&self.db.pool)
        .await?;
        row.map(|r| {
            Ok(Sent {
                content_hash: r.try_get("content_hash")?,
                state: r.try_get("state")?,
                sent_us: r.try_get("sent_us")?,
            })
        })
        .transpose()
    }

    /// Records what was sent of one subject (replacing the earlier record). `state: None` keeps
    /// the state recorded before (a bill has none; a lease order keeps its status separately).
    pub async fn trade_mark_sent(
        &self,
        tenant: &str,
        subject: &str,
        key: &str,
        content_hash: &str,
        state: Option<&str>,
    ) -> anyhow::Result<()> {
        let now = self.db.now_us().await?;
        let mut tx = self.db.pool.begin().await?;
        let old: Option<Option<String>> = sqlx::query_scalar(&self.db.sql(
            "SELECT state FROM rentsync_trade_sent WHERE tenant = ? AND subject = ? AND subject_key = ?",
        ))
        .bind(tenant)
        .bind(subject)
        .bind(key)
        .fetch_optional(&mut *tx)
        .await?;
        let state = state.map(str::to_string).or(old.flatten());
        // Delete and insert: one spelling of an upsert on all three databases.
        sqlx::query(&self.db.sql(
            "DELETE FROM rentsync_trade_sent WHERE tenant = ? AND subject = ? AND subject_key = ?",
        ))
        .bind(tenant)
        .bind(subject)
        .bind(key)
        .execute(&mut *tx)
        .await?;
        sqlx::query(&self.db.sql(
            "INSERT INTO rentsync_trade_sent (tenant, subject, subject_key, content_hash, state, sent_us) \
             VALUES (?, ?, ?, ?, ?, ?)",
        ))
        .bind(tenant)
        .bind(subject)
        .bind(key)
        .bind(content_hash)
        .bind(state)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records only the state of a subject already sent (a lease.state.sync).
    pub async fn trade_mark_state(
        &self,
        tenant: &str,
        subject: &str,
        key: &str,
        state: &str,
    ) -> anyhow::Result<bool> {
        let now = self.db.now_us().await?;
        let done = sqlx::query(&self.db.sql(
            "UPDATE rentsync_trade_sent SET state = ?, sent_us = ? \
             WHERE tenant = ? AND subject = ? AND subject_key = ?",
        ))
        .bind(state)
        .bind(now)
        .bind(tenant)
        .bind(subject)
        .bind(key)
        .execute(&self.db.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Keeps a row that breaks a rule as an `invalid` task with `message`, so `status` shows it;
    /// it is never claimed. A task already holding this payload is left as it is; one leased now
    /// is left to its holder (the handler checks the rules again before it sends).
    pub async fn task_park_invalid(
        &self,
        tenant: &str,
        kind: &str,
        key: &str,
        payload: &str,
        message: &str,
    ) -> anyhow::Result<()> {
        let now = self.db.now_us().await?;
        let h = hash(payload);
        let d = self.db.dialect;
        let sql = self.db.sql(&format!(
            "{} INTO rentsync_tasks (tenant, kind, task_key, payload, content_hash, status, \
             last_code, last_error, created_us, updated_us) \
             VALUES (?, ?, ?, ?, ?, 'invalid', 'invalid', ?, ?, ?){}",
            d.insert_ignore(),
            d.on_conflict_ignore()
        ));
        let added = sqlx::query(&sql)
            .bind(tenant)
            .bind(kind)
            .bind(key)
            .bind(payload)
            .bind(&h)
            .bind(message)
            .bind(now)
            .bind(now)
            .execute(&self.db.pool)
            .await?;
        if added.rows_affected() == 1 {
            return Ok(());
        }
        sqlx::query(&self.db.sql(
            "UPDATE rentsync_tasks SET payload = ?, content_hash = ?, status = 'invalid', \
             attempts = 0, next_attempt_us = 0, last_code = 'invalid', last_error = ?, updated_us = ? \
             WHERE tenant = ? AND kind = ? AND task_key = ? AND content_hash <> ? AND status <> 'leased'",
        ))
        .bind(payload)
        .bind(&h)
        .bind(message)
        .bind(now)
        .bind(tenant)
        .bind(kind)
        .bind(key)
        .bind(&h)
        .execute(&self.db.pool)
        .await?;
        Ok(())
    }

    /// Removes a task that only recorded a rule break (the row was fixed and is queued under
    /// another key). Other states are left alone. True when one was removed.
    pub async fn task_drop_invalid(
        &self,
        tenant: &str,
        kind: &str,
        key: &str,
    ) -> anyhow::Result<bool> {
        let done = sqlx::query(&self.db.sql(
            "DELETE FROM rentsync_tasks WHERE tenant = ? AND kind = ? AND task_key = ? AND status = 'invalid'",
        ))
        .bind(tenant)
        .bind(kind)
        .bind(key)
        .execute(&self.db.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The keys of `tenant`'s tasks of `kind` that are `invalid` (a scan drops those whose row
    /// was fixed).
    pub async fn task_invalid_keys(&self, tenant: &str, kind: &str) -> anyhow::Result<Vec<String>> {
        let rows = sqlx::query(&self.db.sql(
            "SELECT task_key FROM rentsync_tasks WHERE tenant = ? AND kind = ? AND status = 'invalid'",
        ))
        .bind(tenant)
        .bind(kind)
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter()
            .map(|r| Ok(r.try_get::<String, _>("task_key")?))
            .collect()
    }

    /// Makes one task due now unless it is leased (a decision asked again on the command line).
    pub async fn task_make_due(&self, tenant: &str, kind: &str, key: &str) -> anyhow::Result<bool> {
        let now = self.db.now_us().await?;
        let done = sqlx::query(&self.db.sql(
            "UPDATE rentsync_tasks SET status = 'pending', attempts = 0, next_attempt_us = 0, \
             updated_us = ? WHERE tenant = ? AND kind = ? AND task_key = ? AND status <> 'leased'",
        ))
        .bind(now)
        .bind(tenant)
        .bind(kind)
        .bind(key)
        .execute(&self.db.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
