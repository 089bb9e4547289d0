//! Flow-control bans shared through the state database, so every replica calling with the same
//! app holds back, not only the process that heard the ban. The [`Gate`](super::gate::Gate) keeps
//! the bans in memory for its callers; [`BanBook`] writes each ban it hears and reads the others'
//! at most once per [`REFRESH`] (a ban lasts seconds or more, so a second's lag costs at most
//! one knock, which the gateway answers with the same ban).
//!
//! Times are the state database's clock: replicas on hosts whose clocks disagree still agree on
//! when a ban ends.

use std::sync::Mutex;
use std::time::Duration;

use sqlx::Row;
use tokio::time::Instant;

use crate::db::Db;

/// How stale the view of other replicas' bans may get.
pub const REFRESH: Duration = Duration::from_secs(1);

/// A ban as stored: the method, how long it still lasts, and whether it stops the method.
#[derive(Debug, Clone, PartialEq)]
pub struct SharedBan {
    pub method: String,
    pub left: Duration,
    pub stopped: bool,
}

pub struct BanBook {
    db: Db,
    app_key: String,
    // A std mutex around an Instant: never held across an await.
    read_at: Mutex<Option<Instant>>,
}

impl BanBook {
    pub fn new(db: Db, app_key: impl Into<String>) -> Self {
        Self {
            db,
            app_key: app_key.into(),
            read_at: Mutex::new(None),
        }
    }

    /// True when the bans were last read more than [`REFRESH`] ago (and marks them read now, so
    /// concurrent callers read once).
    pub fn due(&self) -> bool {
        let mut at = self.read_at.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        if at.is_some_and(|t| now.saturating_duration_since(t) < REFRESH) {
            return false;
        }
        *at = Some(now);
        true
    }

    /// The app's bans still running.
    pub async fn running(&self) -> anyhow::Result<Vec<SharedBan>> {
        let now = self.db.now_us().await?;
        let rows = sqlx::query(&self.db.sql(
            "SELECT method, until_us, stopped FROM rentsync_tmall_bans \
             WHERE app_key = ? AND until_us > ?",
        ))
        .bind(&self.app_key)
        .bind(now)
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let until: i64 = r.try_get("until_us")?;
                Ok(SharedBan {
                    method: r.try_get("method")?,
                    left: Duration::from_micros((until - now).max(0) as u64),
                    stopped: r.try_get::<i64, _>("stopped")? != 0,
                })
            })
            .collect()
    }

    /// Records a ban heard now; a longer ban already recorded stands.
    pub async fn record(
        &self,
        method: &str,
        length: Duration,
        stopped: bool,
    ) -> anyhow::Result<()> {
        let now = self.db.now_us().await?;
        let until = now.saturating_add(length.as_micros().min(i64::MAX as u128) as i64);
        let d = self.db.dialect;
        let insert = self.db.sql(&format!(
            "{} INTO rentsync_tmall_bans (app_key, method, until_us, stopped) VALUES (?, ?, ?, ?){}",
            d.insert_ignore(),
            d.on_conflict_ignore()
        ));
        let added = sqlx::query(&insert)
            .bind(&self.app_key)
            .bind(method)
            .bind(until)
            .bind(stopped as i64)
            .execute(&self.db.pool)
            .await?;
        if added.rows_affected() == 0 {
            sqlx::query(&self.db.sql(
                "UPDATE rentsync_tmall_bans SET until_us = ?, stopped = ? \
                 WHERE app_key = ? AND method = ? AND until_us < ?",
            ))
            .bind(until)
            .bind(stopped as i64)
            .bind(&self.app_key)
            .bind(method)
            .bind(until)
            .execute(&self.db.pool)
            .await?;
        }
        Ok(())
    }
}
