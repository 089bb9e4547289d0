//! The child views of a full scan, read once each and merged into the rooms. A child view whose
//! `room_code` is computed (as the contract's examples are) cannot use an index, so the database
//! evaluates the whole view for every `room_code IN (…)` query: a full scan of 100,000 rooms
//! spent 35 s of its 38 s there. Instead the scan reads the room view and each child view once,
//! all sorted by room code byte by byte, and pairs them as they stream: memory stays flat.

use std::cmp::Ordering;

use futures_util::TryStreamExt;
use sqlx::any::AnyRow;
use tokio::sync::mpsc;

use super::lists::{self, FEES, FEE_COLUMNS, PAY_PLANS, PAY_PLAN_COLUMNS};
use super::SourceRow;
use crate::db::Db;
use crate::model::{Fee, FlatsTag, PayPlan};
use crate::plan::kind_label;
use crate::plan::rules::Violation;

/// One room's elements of a child view, with the breaks of each.
struct Group<T> {
    code: String,
    items: Vec<(T, Vec<Violation>)>,
}

/// A child view streamed in room-code order, one room's group at a time.
pub(super) struct Children<T> {
    rx: mpsc::Receiver<anyhow::Result<Group<T>>>,
    next: Option<Group<T>>,
    done: bool,
}

impl<T: Send + 'static> Children<T> {
    fn stream(
        db: Db,
        view: &'static str,
        columns: &'static str,
        order: &'static str,
        kind: FlatsTag,
        keep: usize,
        convert: fn(&AnyRow) -> (T, Vec<Violation>),
    ) -> Self {
        let (tx, rx) = mpsc::channel(256);
        tokio::spawn(async move {
            let sql = db.sql(&format!(
                "SELECT {columns} FROM {view} WHERE room_kind = ? ORDER BY {}, {order}",
                db.dialect.bytewise("room_code")
            ));
            let mut rows = sqlx::query(&sql).bind(kind_label(kind)).fetch(&db.pool);
            let mut group: Option<Group<T>> = None;
            loop {
                let row = match rows.try_next().await {
                    Ok(Some(row)) => row,
                    Ok(None) => break,
                    Err(e) => {
                        let _ = tx.send(Err(anyhow::anyhow!("reading {view}: {e}"))).await;
                        return;
                    }
                };
                let code = match crate::db::text(&row, "room_code") {
                    Ok(code) => code.unwrap_or_default(),
                    Err(e) => {
                        let _ = tx.send(Err(anyhow::anyhow!("reading {view}: {e}"))).await;
                        return;
                    }
                };
                if let Some(done) = group.take_if(|g| g.code != code) {
                    if tx.send(Ok(done)).await.is_err() {
                        return;
                    }
                }
                let g = group.get_or_insert_with(|| Group {
                    code,
                    items: Vec::new(),
                });
                // One more than the platform takes: too many is a rule break, never a silent cut.
                if g.items.len() < keep {
                    g.items.push(convert(&row));
                }
            }
            if let Some(g) = group {
                let _ = tx.send(Ok(g)).await;
            }
        });
        Self {
            rx,
            next: None,
            done: false,
        }
    }

    /// The elements of room `code`. Codes must be asked for in ascending byte order; child rows
    /// of rooms never asked for (not in the room view) are passed over.
    async fn take(&mut self, code: &str) -> anyhow::Result<Vec<(T, Vec<Violation>)>> {
        loop {
            if self.next.is_none() {
                if self.done {
                    return Ok(Vec::new());
                }
                match self.rx.recv().await {
                    Some(g) => self.next = Some(g?),
                    None => {
                        self.done = true;
                        return Ok(Vec::new());
                    }
                }
            }
            match self.next.as_ref().map(|g| g.code.as_str().cmp(code)) {
                Some(Ordering::Less) => self.next = None,
                Some(Ordering::Equal) => {
                    return Ok(self.next.take().map(|g| g.items).unwrap_or_default())
                }
                _ => return Ok(Vec::new()),
            }
        }
    }
}

/// The child views of one kind that exist, streaming.
pub(super) struct ChildStreams {
    plans: Option<Children<PayPlan>>,
    fees: Option<Children<Fee>>,
}

impl ChildStreams {
    pub(super) fn open(db: &Db, plans: bool, fees: bool, kind: FlatsTag) -> Self {
        Self {
            plans: plans.then(|| {
                Children::stream(
                    db.clone(),
                    PAY_PLANS,
                    PAY_PLAN_COLUMNS,
                    "plan_no",
                    kind,
                    lists::KEEP_PLANS,
                    lists::plan,
                )
            }),
            fees: fees.then(|| {
                Children::stream(
                    db.clone(),
                    FEES,
                    FEE_COLUMNS,
                    "fee_no",
                    kind,
                    lists::KEEP_FEES,
                    lists::fee,
                )
            }),
        }
    }

    pub(super) fn any(&self) -> bool {
        self.plans.is_some() || self.fees.is_some()
    }

    /// Fills the lists of `rows`, which come in ascending byte order of their room codes.
    pub(super) async fn fill(&mut self, rows: &mut [SourceRow]) -> anyhow::Result<()> {
        for row in rows {
            let code = row.listing.room_code().to_string();
            if let Some(c) = &mut self.plans {
                for (p, breaks) in c.take(&code).await? {
                    lists::details(&mut row.listing.room).pay_plans.push(p);
                    row.breaks.extend(breaks);
                }
            }
            if let Some(c) = &mut self.fees {
                for (f, breaks) in c.take(&code).await? {
                    lists::details(&mut row.listing.room).fees.push(f);
                    row.breaks.extend(breaks);
                }
            }
        }
        Ok(())
    }
}
