//! The operator's side: the two contract views (`docs/SOURCE_CONTRACT.md`), read-only.
//!
//! Changes are found by a keyset read on `(updated_at_us, room_code)`, restarted each poll from the
//! watermark minus an overlap window measured on the database's own clock, so a transaction that
//! commits after a later one is still seen; hashes make the re-read rows cost nothing downstream.
//! A full scan (keyset on `room_code`) catches deletes and anything older than the window.

mod row;

pub use row::SourceRow;

use sqlx::any::AnyRow;

use crate::db::Db;
use crate::model::FlatsTag;

/// One contract view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct View {
    pub name: &'static str,
    pub kind: FlatsTag,
}

pub const VIEWS: [View; 2] = [
    View {
        name: "rentsync_dispersion_rooms",
        kind: FlatsTag::Dispersion,
    },
    View {
        name: "rentsync_concentration_rooms",
        kind: FlatsTag::Concentration,
    },
];

impl View {
    fn columns(self) -> String {
        let own = match self.kind {
            FlatsTag::Dispersion => row::DISPERSION_COLUMNS,
            FlatsTag::Concentration => row::CONCENTRATION_COLUMNS,
        };
        format!("{}, {own}", row::COMMON_COLUMNS)
    }

    /// The contract's column names of this view, in the order rentsync reads them.
    pub fn contract_columns(self) -> Vec<String> {
        self.columns()
            .split(',')
            .map(|c| c.trim().to_string())
            .collect()
    }

    fn convert(self, r: &AnyRow) -> SourceRow {
        match self.kind {
            FlatsTag::Dispersion => row::dispersion(r),
            FlatsTag::Concentration => row::concentration(r),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Source {
    pub db: Db,
}

/// Where a keyset read stands.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cursor {
    pub updated_at_us: i64,
    pub room_code: String,
}

impl Source {
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        Ok(Self {
            db: Db::connect(url, 4).await?,
        })
    }

    /// Connects on first read (see [`Db::connect_lazy`]).
    pub fn connect_lazy(url: &str) -> anyhow::Result<Self> {
        Ok(Self {
            db: Db::connect_lazy(url, 4)?,
        })
    }

    /// Rows changed after `cursor`, oldest first, at most `limit`.
    pub async fn changed(
        &self,
        view: View,
        cursor: &Cursor,
        limit: i64,
    ) -> anyhow::Result<Vec<SourceRow>> {
        let sql = self.db.sql(&format!(
            "SELECT {} FROM {} WHERE updated_at_us > ? OR (updated_at_us = ? AND room_code > ?) \
             ORDER BY updated_at_us, room_code LIMIT ?",
            view.columns(),
            view.name
        ));
        let rows = sqlx::query(&sql)
            .bind(cursor.updated_at_us)
            .bind(cursor.updated_at_us)
            .bind(&cursor.room_code)
            .bind(limit)
            .fetch_all(&self.db.pool)
            .await
            .map_err(|e| anyhow::anyhow!("reading {}: {e}", view.name))?;
        Ok(rows.iter().map(|r| view.convert(r)).collect())
    }

    /// Every row of a view in one streaming read, delivered in batches of `batch` through a
    /// bounded channel: memory stays flat in the number of rooms, and the database evaluates the
    /// view once (a keyset on a computed `room_code` would make it evaluate the view per page).
    pub fn scan(
        &self,
        view: View,
        batch: usize,
    ) -> tokio::sync::mpsc::Receiver<anyhow::Result<Vec<SourceRow>>> {
        let (tx, rx) = tokio::sync::mpsc::channel(4);
        let pool = self.db.pool.clone();
        let sql = format!("SELECT {} FROM {}", view.columns(), view.name);
        tokio::spawn(async move {
            use futures_util::StreamExt;
            let mut rows = sqlx::query(&sql).fetch(&pool);
            let mut buf = Vec::with_capacity(batch);
            while let Some(row) = rows.next().await {
                match row {
                    Ok(r) => buf.push(view.convert(&r)),
                    Err(e) => {
                        let _ = tx
                            .send(Err(anyhow::anyhow!("reading {}: {e}", view.name)))
                            .await;
                        return;
                    }
                }
                if buf.len() >= batch && tx.send(Ok(std::mem::take(&mut buf))).await.is_err() {
                    return;
                }
            }
            if !buf.is_empty() {
                let _ = tx.send(Ok(buf)).await;
            }
        });
        rx
    }

    /// The row of one room, as read (for `rentsync explain`).
    pub async fn row(&self, view: View, room_code: &str) -> anyhow::Result<Option<SourceRow>> {
        let sql = self.db.sql(&format!(
            "SELECT {} FROM {} WHERE room_code = ?",
            view.columns(),
            view.name
        ));
        let row = sqlx::query(&sql)
            .bind(room_code)
            .fetch_optional(&self.db.pool)
            .await
            .map_err(|e| anyhow::anyhow!("reading {}: {e}", view.name))?;
        Ok(row.map(|r| view.convert(&r)))
    }

    /// The room codes of a view, and nothing else: cheap enough to read every few seconds to find
    /// hard deletes.
    pub async fn keys(&self, view: View) -> anyhow::Result<std::collections::HashSet<String>> {
        use futures_util::TryStreamExt;
        let sql = format!("SELECT room_code FROM {}", view.name);
        let mut rows = sqlx::query(&sql).fetch(&self.db.pool);
        let mut keys = std::collections::HashSet::new();
        while let Some(row) = rows
            .try_next()
            .await
            .map_err(|e| anyhow::anyhow!("reading {}: {e}", view.name))?
        {
            if let Some(code) = crate::db::text(&row, "room_code")? {
                keys.insert(code);
            }
        }
        Ok(keys)
    }

    /// All rows after `after` by room code, at most `limit`: one page of a keyset read.
    pub async fn page(
        &self,
        view: View,
        after: &str,
        limit: i64,
    ) -> anyhow::Result<Vec<SourceRow>> {
        let sql = self.db.sql(&format!(
            "SELECT {} FROM {} WHERE room_code > ? ORDER BY room_code LIMIT ?",
            view.columns(),
            view.name
        ));
        let rows = sqlx::query(&sql)
            .bind(after)
            .bind(limit)
            .fetch_all(&self.db.pool)
            .await
            .map_err(|e| anyhow::anyhow!("reading {}: {e}", view.name))?;
        Ok(rows.iter().map(|r| view.convert(r)).collect())
    }
}
