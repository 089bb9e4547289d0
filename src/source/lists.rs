//! The child views: lists that belong to one room, one row per element. The rooms changed between
//! scans get theirs for a batch of rooms at a time (`room_code IN (…)`); a full scan reads each
//! child view once and merges it (`merge`). Both are optional; a database without them gives
//! rooms without lists.
//!
//! A child row's change must move its room's `updated_at_us` (the example views take the
//! greatest time of the room's plans and fees): the room is what rentsync re-reads.

use std::collections::HashMap;

use sqlx::any::AnyRow;

use super::row::Reader;
use super::SourceRow;
use crate::db::Db;
use crate::model::{Fee, FlatsTag, PayPlan, Room};
use crate::plan::kind_label;
use crate::plan::rules::Violation;

pub const PAY_PLANS: &str = crate::model::PAY_PLANS_VIEW;
pub const FEES: &str = crate::model::FEES_VIEW;
pub const PAY_PLAN_COLUMNS: &str = "room_kind, room_code, plan_no, pay_type, lease_term_months, \
    rent_fen, max_rent_fen, deposit_fen, max_deposit_fen, service_fen, service_unit";
pub const FEE_COLUMNS: &str = "room_kind, room_code, fee_no, name, amount_fen, unit";

/// Elements kept per room: one more than the platform takes (10 plans, 20 fees), so a room with
/// too many is a rule break naming the list, never a silent cut, and memory stays bounded.
pub(super) const KEEP_PLANS: usize = 11;
pub(super) const KEEP_FEES: usize = 21;
/// Rooms per child query. A child view whose `room_code` is computed (as the examples' are) is
/// evaluated once per query, so fewer, larger queries cost less: 5,000 keeps 20,000 rooms to
/// four queries per child view, and every database takes that many parameters.
pub(super) const CHUNK: usize = 5000;

/// Moves a child row's breaks under the child view's name, with the element's number.
fn child_breaks(
    view: &str,
    no: i64,
    breaks: Vec<Violation>,
) -> impl Iterator<Item = Violation> + '_ {
    breaks.into_iter().map(move |mut b| {
        let col = b.field.trim_start_matches("source.").to_string();
        b.field = format!("source.{view}.{col}");
        b.rule = format!("row {no}: {}", b.rule);
        b
    })
}

pub(super) fn plan(row: &AnyRow) -> (PayPlan, Vec<Violation>) {
    let mut r = Reader::new(row);
    let pay_type = r.int("pay_type");
    let rent = r.money("rent_fen");
    let no = r.int("plan_no").unwrap_or(0);
    if pay_type.is_none() {
        r.break_at("pay_type", "NULL: every plan needs pay_type 1 or 2".into());
    }
    if rent.is_none() {
        r.break_at("rent_fen", "NULL: every plan needs its rent".into());
    }
    let p = PayPlan {
        pay_type: pay_type.unwrap_or(0),
        lease_term_months: r.int("lease_term_months"),
        rent: rent.unwrap_or(crate::model::Money(0)),
        max_rent: r.money("max_rent_fen"),
        deposit: r.money("deposit_fen"),
        max_deposit: r.money("max_deposit_fen"),
        service: r.money("service_fen"),
        service_unit: r.text("service_unit"),
    };
    let breaks = child_breaks(PAY_PLANS, no, r.breaks).collect();
    (p, breaks)
}

pub(super) fn fee(row: &AnyRow) -> (Fee, Vec<Violation>) {
    let mut r = Reader::new(row);
    let no = r.int("fee_no").unwrap_or(0);
    let name = r.text("name");
    let amount = r.money("amount_fen");
    if name.is_none() {
        r.break_at("name", "NULL: every fee needs a name".into());
    }
    if amount.is_none() {
        r.break_at("amount_fen", "NULL: every fee needs its amount".into());
    }
    let f = Fee {
        name: name.unwrap_or_default(),
        amount: amount.unwrap_or(crate::model::Money(0)),
        unit: r.text("unit"),
    };
    let breaks = child_breaks(FEES, no, r.breaks).collect();
    (f, breaks)
}

/// Streams the child rows of `codes` through `each`: rows are never all held at once.
async fn read(
    db: &Db,
    view: &str,
    columns: &str,
    order: &str,
    kind: FlatsTag,
    codes: &[&str],
    mut each: impl FnMut(&AnyRow) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    use futures_util::TryStreamExt;
    let marks = vec!["?"; codes.len()].join(", ");
    let sql = db.sql(&format!(
        "SELECT {columns} FROM {view} WHERE room_kind = ? AND room_code IN ({marks}) \
         ORDER BY room_code, {order}"
    ));
    let mut q = sqlx::query(&sql).bind(kind_label(kind));
    for c in codes {
        q = q.bind(*c);
    }
    let mut rows = q.fetch(&db.pool);
    while let Some(row) = rows
        .try_next()
        .await
        .map_err(|e| anyhow::anyhow!("reading {view}: {e}"))?
    {
        each(&row)?;
    }
    Ok(())
}

pub(super) fn details(room: &mut Room) -> &mut crate::model::ListingDetails {
    match room {
        Room::Dispersion(r) => &mut r.details,
        Room::Concentration(r) => &mut r.details,
    }
}

/// Fills the rooms' payment plans and fees from the child views that exist.
pub(super) async fn attach(
    db: &Db,
    plans: bool,
    fees: bool,
    kind: FlatsTag,
    rows: &mut [SourceRow],
) -> anyhow::Result<()> {
    if rows.is_empty() || !(plans || fees) {
        return Ok(());
    }
    for chunk in rows.chunks_mut(CHUNK) {
        let at: HashMap<String, usize> = chunk
            .iter()
            .enumerate()
            .map(|(i, r)| (r.listing.room_code().to_string(), i))
            .collect();
        let codes: Vec<&str> = at.keys().map(String::as_str).collect();
        let room_of = |row: &AnyRow| -> anyhow::Result<Option<usize>> {
            let code = crate::db::text(row, "room_code")?.unwrap_or_default();
            Ok(at.get(&code).copied())
        };
        let mut got_plans: Vec<(usize, PayPlan, Vec<Violation>)> = Vec::new();
        if plans {
            let mut count: HashMap<usize, usize> = HashMap::new();
            read(
                db,
                PAY_PLANS,
                PAY_PLAN_COLUMNS,
                "plan_no",
                kind,
                &codes,
                |row| {
                    if let Some(i) = room_of(row)? {
                        let n = count.entry(i).or_default();
                        if *n < KEEP_PLANS {
                            *n += 1;
                            let (p, b) = plan(row);
                            got_plans.push((i, p, b));
                        }
                    }
                    Ok(())
                },
            )
            .await?;
        }
        let mut got_fees: Vec<(usize, Fee, Vec<Violation>)> = Vec::new();
        if fees {
            let mut count: HashMap<usize, usize> = HashMap::new();
            read(db, FEES, FEE_COLUMNS, "fee_no", kind, &codes, |row| {
                if let Some(i) = room_of(row)? {
                    let n = count.entry(i).or_default();
                    if *n < KEEP_FEES {
                        *n += 1;
                        let (f, b) = fee(row);
                        got_fees.push((i, f, b));
                    }
                }
                Ok(())
            })
            .await?;
        }
        for (i, p, breaks) in got_plans {
            details(&mut chunk[i].listing.room).pay_plans.push(p);
            chunk[i].breaks.extend(breaks);
        }
        for (i, f, breaks) in got_fees {
            details(&mut chunk[i].listing.room).fees.push(f);
            chunk[i].breaks.extend(breaks);
        }
    }
    Ok(())
}
