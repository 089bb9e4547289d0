//! The operator's side: the two contract views (`docs/SOURCE_CONTRACT.md`), read-only.
//!
//! Changes are found by a keyset read on `(updated_at_us, room_code)`, restarted each poll from the
//! watermark minus an overlap window measured on the database's own clock, so a transaction that
//! commits after a later one is still seen; hashes make the re-read rows cost nothing downstream.
//! A full scan (keyset on `room_code`) catches deletes and anything older than the window.

mod details;
mod lists;
mod merge;
mod optional;
mod row;

pub use details::{MAX_TAGS, MAX_TAG_CHARS, ORIENTATIONS};
pub use lists::{FEES, FEE_COLUMNS, PAY_PLANS, PAY_PLAN_COLUMNS};
pub use row::SourceRow;

use std::sync::Arc;

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

    /// The optional columns (docs/SOURCE_CONTRACT.md) a view of this kind may have.
    pub fn optional_columns(self) -> Vec<&'static str> {
        details::columns(self.kind)
    }

    /// The contract's required column names of this view, in the order rentsync reads them.
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
    /// The optional columns and child views this database has, found on first read.
    offered: Arc<optional::Offered>,
}

/// Connections a source may hold: a scan streams a view and its two child views on three, and
/// the dry-run scans both views at once.
const READ_CONNECTIONS: u32 = 6;

/// Where a keyset read stands.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cursor {
    pub updated_at_us: i64,
    pub room_code: String,
}

impl Source {
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        Ok(Self::new(Db::connect_reader(url, READ_CONNECTIONS).await?))
    }

    /// Connects on first read (see [`Db::connect_lazy`]).
    pub fn connect_lazy(url: &str) -> anyhow::Result<Self> {
        Ok(Self::new(Db::connect_lazy_reader(url, READ_CONNECTIONS)?))
    }

    pub fn new(db: Db) -> Self {
        Self {
            db,
            offered: Arc::default(),
        }
    }

    /// The select list of `view`: its required columns and the optional ones it has.
    async fn select_list(&self, view: View) -> anyhow::Result<String> {
        let extra = self.offered.columns(&self.db, view.name, view.kind).await?;
        let mut cols = view.columns();
        for c in extra {
            cols.push_str(", ");
            cols.push_str(c);
        }
        Ok(cols)
    }

    /// The optional columns `view` has, as found on this database.
    pub async fn offered_columns(&self, view: View) -> anyhow::Result<Vec<&'static str>> {
        Ok(self
            .offered
            .columns(&self.db, view.name, view.kind)
            .await?
            .to_vec())
    }

    /// Whether the child views (`rentsync_room_pay_plans`, `rentsync_room_fees`) exist.
    pub async fn child_views(&self) -> anyhow::Result<(bool, bool)> {
        Ok((
            self.offered.pay_plans(&self.db).await?,
            self.offered.fees(&self.db).await?,
        ))
    }

    /// Converts rows and fills their lists from the child views that exist.
    async fn finish(&self, view: View, rows: &[AnyRow]) -> anyhow::Result<Vec<SourceRow>> {
        let mut out: Vec<SourceRow> = rows.iter().map(|r| view.convert(r)).collect();
        let plans = self.offered.pay_plans(&self.db).await?;
        let fees = self.offered.fees(&self.db).await?;
        lists::attach(&self.db, plans, fees, view.kind, &mut out).await?;
        Ok(out)
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
            self.select_list(view).await?,
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
        self.finish(view, &rows).await
    }

    /// Every row of a view in one streaming read, delivered in batches of `batch` through a
    /// bounded channel: memory stays flat in the number of rooms, and the database evaluates the
    /// view once (a keyset on a computed `room_code` would make it evaluate the view per page).
    /// The child views that exist are streamed beside it, each once, and merged by room code
    /// (`merge`).
    pub fn scan(
        &self,
        view: View,
        batch: usize,
    ) -> tokio::sync::mpsc::Receiver<anyhow::Result<Vec<SourceRow>>> {
        // One batch read ahead while one is planned: with both views of a dry-run streaming at
        // once, four ahead held ~40 MB more at 1,000,000 listings than at 100,000 and read no faster.
        let (tx, rx) = tokio::sync::mpsc::channel(1);
        let me = self.clone();
        tokio::spawn(async move {
            if let Err(e) = me.stream(view, batch.max(1), &tx).await {
                let _ = tx.send(Err(e)).await;
            }
        });
        rx
    }

    async fn stream(
        &self,
        view: View,
        batch: usize,
        tx: &tokio::sync::mpsc::Sender<anyhow::Result<Vec<SourceRow>>>,
    ) -> anyhow::Result<()> {
        use futures_util::TryStreamExt;
        let cols = self.select_list(view).await?;
        let (plans, fees) = self.child_views().await?;
        let mut children = merge::ChildStreams::open(&self.db, plans, fees, view.kind);
        let sql = if children.any() {
            format!(
                "SELECT {cols} FROM {} ORDER BY {}",
                view.name,
                self.db.dialect.bytewise("room_code")
            )
        } else {
            format!("SELECT {cols} FROM {}", view.name)
        };
        let mut rows = sqlx::query(&sql).fetch(&self.db.pool);
        let mut buf = Vec::with_capacity(batch.min(10_000));
        loop {
            let next = rows
                .try_next()
                .await
                .map_err(|e| anyhow::anyhow!("reading {}: {e}", view.name))?;
            let end = next.is_none();
            buf.extend(next);
            if buf.len() >= batch || (end && !buf.is_empty()) {
                let mut done: Vec<SourceRow> = buf.drain(..).map(|r| view.convert(&r)).collect();
                children.fill(&mut done).await?;
                if tx.send(Ok(done)).await.is_err() {
                    return Ok(());
                }
            }
            if end {
                return Ok(());
            }
        }
    }

    /// The row of one room, as read (for `rentsync explain`).
    pub async fn row(&self, view: View, room_code: &str) -> anyhow::Result<Option<SourceRow>> {
        let sql = self.db.sql(&format!(
            "SELECT {} FROM {} WHERE room_code = ?",
            self.select_list(view).await?,
            view.name
        ));
        let row = sqlx::query(&sql)
            .bind(room_code)
            .fetch_optional(&self.db.pool)
            .await
            .map_err(|e| anyhow::anyhow!("reading {}: {e}", view.name))?;
        match row {
            Some(r) => Ok(self.finish(view, &[r]).await?.pop()),
            None => Ok(None),
        }
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
            self.select_list(view).await?,
            view.name
        ));
        let rows = sqlx::query(&sql)
            .bind(after)
            .bind(limit)
            .fetch_all(&self.db.pool)
            .await
            .map_err(|e| anyhow::anyhow!("reading {}: {e}", view.name))?;
        self.finish(view, &rows).await
    }
}
