//! The three contract views of the trade syncs (docs/SOURCE_CONTRACT.md): `rentsync_leases`,
//! `rentsync_bills` and `rentsync_booking_feedback`, read from the tenant's source database and
//! turned into the wire requests of spec §2.8–2.9.
//!
//! Conversion is lenient like the room views': a value that cannot be read becomes a
//! [`Problem`] of that row (naming the column, its value and the rule), never an error that would
//! stop the other rows. Money is an integer number of fen (分) in the view and a yuan decimal
//! string on the wire ("2500", "2500.5", "3000.05"), converted here and nowhere else.
//! Phone and ID numbers and the tenant's name are never shown in a problem: their value is
//! written as withheld.

use sqlx::any::AnyRow;
use sqlx::Row;

use crate::alipay::renthouse::{Bill, LeaseOrderSync, ReservationFeedbackSync};
use crate::db::Db;
use crate::plan::rules::Violation;

pub const LEASES: &str = "rentsync_leases";
pub const BILLS: &str = "rentsync_bills";
pub const BOOKING_FEEDBACK: &str = "rentsync_booking_feedback";

/// The most rows read from one view in one scan: a runaway view cannot make a scan hold or
/// queue without bound (the rest waits for the view to shrink; the log says so).
pub const MAX_ROWS: usize = 100_000;

pub const LEASE_COLUMNS: &str = "lease_code, room_code, room_num, flats_tag, renter_name, \
    renter_phone, renter_gender, card_type, card_no, begin_date, end_date, lease_create_time, \
    lease_status, lease_type, pay_type, rent_fen, deposit_fen, free_deposit, rebate_fen, \
    rent_include_fees, other_fee_desc, rent_day_desc, furniture_items, renew_lease, renew_num, \
    original_lease_code, remark";

pub const BILL_COLUMNS: &str = "bill_no, lease_no, bill_type, bill_status, bill_fen, paid_fen, \
    min_pay_fen, discount_fen, deduction_fen, pay_status, pay_time, bill_create_time, \
    deadline_time, start_date, end_date, bill_desc, memo, pay_lock, pay_lock_memo";

pub const BOOKING_FEEDBACK_COLUMNS: &str = "reservation_no, room_code, reserve_status, \
    out_biz_no, final_look_time, looker_name, looker_phone, audit_comment";

/// The BIGINT columns of the three views; every other column is TEXT (`rentsync check`).
const INTEGER_COLUMNS: &[&str] = &[
    "flats_tag",
    "renter_gender",
    "card_type",
    "lease_status",
    "lease_type",
    "pay_type",
    "rent_fen",
    "deposit_fen",
    "free_deposit",
    "rebate_fen",
    "renew_lease",
    "renew_num",
    "bill_type",
    "bill_status",
    "bill_fen",
    "paid_fen",
    "min_pay_fen",
    "discount_fen",
    "deduction_fen",
    "pay_status",
    "pay_lock",
];

/// True for a BIGINT column of the trade views.
pub fn is_integer_column(column: &str) -> bool {
    INTEGER_COLUMNS.contains(&column)
}

/// Columns whose values are personal data: never shown.
const PRIVATE: [&str; 4] = ["renter_phone", "card_no", "renter_name", "looker_phone"];

/// One thing wrong with a row: the column, its value as shown, and the rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub column: String,
    pub value: String,
    pub rule: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "column {} = {}: {}", self.column, self.value, self.rule)
    }
}

/// A row of a view, converted: the wire request, its problems, and where each wire field came
/// from (so a platform rule broken by a field is reported on its source column).
#[derive(Debug, Clone)]
pub struct Converted<T> {
    pub key: String,
    pub wire: T,
    pub problems: Vec<Problem>,
    origins: Vec<(&'static str, &'static str, String)>,
}

impl<T> Converted<T> {
    /// The problem a broken platform rule makes, on the column the field came from. `field` may
    /// carry a list prefix (`bills[3].bill_amount`).
    pub fn explain(&self, v: &Violation) -> Problem {
        let field = v.field.rsplit('.').next().unwrap_or(&v.field);
        match self.origins.iter().find(|(wire, _, _)| *wire == field) {
            Some((_, column, shown)) => Problem {
                column: (*column).to_string(),
                value: shown.clone(),
                rule: format!("{} ({field} on the wire)", v.rule),
            },
            None => Problem {
                column: field.to_string(),
                value: "(not set)".into(),
                rule: v.rule.clone(),
            },
        }
    }

    /// All problems, those of the platform's rules included, as one line.
    pub fn message(&self, what: &str, violations: &[Violation]) -> String {
        let mut all: Vec<String> = self.problems.iter().map(Problem::to_string).collect();
        all.extend(violations.iter().map(|v| self.explain(v).to_string()));
        format!("{what} {}: {}", shown_key(&self.key), all.join("; "))
    }
}

/// A key as it may appear in a message: at most 64 characters.
pub fn shown_key(key: &str) -> String {
    let mut s: String = key.chars().take(64).collect();
    if key.chars().count() > 64 {
        s.push('…');
    }
    s
}

struct Reader<'a> {
    row: &'a AnyRow,
    problems: Vec<Problem>,
    origins: Vec<(&'static str, &'static str, String)>,
}

impl<'a> Reader<'a> {
    fn new(row: &'a AnyRow) -> Self {
        Self {
            row,
            problems: Vec::new(),
            origins: Vec::new(),
        }
    }

    fn shown(column: &str, value: &str) -> String {
        if PRIVATE.contains(&column) {
            "(withheld: personal data)".into()
        } else {
            let cut: String = value.chars().take(80).collect();
            format!("{cut:?}")
        }
    }

    fn problem(&mut self, column: &str, value: String, rule: impl Into<String>) {
        self.problems.push(Problem {
            column: column.into(),
            value,
            rule: rule.into(),
        });
    }

    /// A TEXT column, trimmed; empty means absent. `wire` is the field it becomes.
    fn text(&mut self, column: &'static str, wire: &'static str) -> Option<String> {
        match crate::db::text(self.row, column) {
            Ok(v) => {
                let v = v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
                let shown = v
                    .as_deref()
                    .map_or("NULL".into(), |s| Self::shown(column, s));
                self.origins.push((wire, column, shown));
                v
            }
            Err(e) => {
                self.problem(
                    column,
                    "?".into(),
                    format!("the view must return TEXT: {e}"),
                );
                None
            }
        }
    }

    /// A BIGINT column.
    fn int(&mut self, column: &'static str, wire: &'static str) -> Option<i64> {
        match self.row.try_get::<Option<i64>, _>(column) {
            Ok(v) => {
                let shown = v.map_or("NULL".into(), |n| n.to_string());
                self.origins.push((wire, column, shown));
                v
            }
            Err(e) => {
                self.problem(
                    column,
                    "?".into(),
                    format!("the view must return BIGINT: {e}"),
                );
                None
            }
        }
    }

    /// A BIGINT enumeration the SDK declares String (`renter_gender`, `bill_type`).
    fn int_text(&mut self, column: &'static str, wire: &'static str) -> Option<String> {
        self.int(column, wire).map(|n| n.to_string())
    }

    /// An amount in fen, as the yuan string the wire takes.
    fn money(&mut self, column: &'static str, wire: &'static str) -> Option<String> {
        let fen = self.int(column, wire)?;
        if fen < 0 {
            self.problem(
                column,
                fen.to_string(),
                "amounts are in fen (分) and must be 0 or more",
            );
            return None;
        }
        Some(yuan(fen))
    }

    fn finish<T>(self, key: String, wire: T) -> Converted<T> {
        Converted {
            key,
            wire,
            problems: self.problems,
            origins: self.origins,
        }
    }
}

/// Fen as a yuan decimal string with no trailing zeros: 250000 → "2500", 250050 → "2500.5",
/// 300005 → "3000.05".
pub fn yuan(fen: i64) -> String {
    let (whole, cents) = (fen / 100, fen % 100);
    match cents {
        0 => whole.to_string(),
        c if c % 10 == 0 => format!("{whole}.{}", c / 10),
        c => format!("{whole}.{c:02}"),
    }
}

/// A comma-separated list of codes (`"1,2,5"`).
fn codes(s: Option<String>) -> Option<Vec<String>> {
    s.map(|s| {
        s.split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(String::from)
            .collect()
    })
}

pub fn lease(row: &AnyRow) -> Converted<LeaseOrderSync> {
    let mut r = Reader::new(row);
    let lease_code = r.text("lease_code", "lease_code").unwrap_or_default();
    let wire = LeaseOrderSync {
        lease_code: lease_code.clone(),
        room_code: r.text("room_code", "room_code"),
        room_num: r.text("room_num", "room_num"),
        flats_tag: r.int("flats_tag", "flats_tag"),
        renter_name: r.text("renter_name", "renter_name"),
        renter_phone: r.text("renter_phone", "renter_phone"),
        renter_gender: r.int_text("renter_gender", "renter_gender"),
        card_type: r.int("card_type", "card_type"),
        card_no: r.text("card_no", "card_no"),
        begin_date: r.text("begin_date", "begin_date"),
        end_date: r.text("end_date", "end_date"),
        lease_create_time: r.text("lease_create_time", "lease_create_time"),
        lease_status: r.int("lease_status", "lease_status"),
        lease_type: r.int("lease_type", "lease_type"),
        pay_type: r.int("pay_type", "pay_type"),
        sale_amount: r.money("rent_fen", "sale_amount"),
        foregift_amount: r.money("deposit_fen", "foregift_amount"),
        free_deposit: r.int("free_deposit", "free_deposit"),
        rebate_amount: r.money("rebate_fen", "rebate_amount"),
        rent_include_fee_desc: codes(r.text("rent_include_fees", "rent_include_fee_desc")),
        other_fee_desc: r.text("other_fee_desc", "other_fee_desc"),
        rent_day_desc: r.text("rent_day_desc", "rent_day_desc"),
        furniture_items: r.text("furniture_items", "furniture_items"),
        renew_lease: r.int("renew_lease", "renew_lease"),
        renew_num: r.int("renew_num", "renew_num"),
        original_lease_code: r.text("original_lease_code", "original_lease_code"),
        remark: r.text("remark", "remark"),
        ..Default::default()
    };
    r.finish(lease_code, wire)
}

pub fn bill(row: &AnyRow) -> Converted<Bill> {
    let mut r = Reader::new(row);
    let bill_no = r.text("bill_no", "bill_no").unwrap_or_default();
    let wire = Bill {
        bill_no: bill_no.clone(),
        lease_no: r.text("lease_no", "lease_no"),
        bill_type: r.int_text("bill_type", "bill_type"),
        bill_status: r.int("bill_status", "bill_status"),
        bill_amount: r.money("bill_fen", "bill_amount"),
        paid_amount: r.money("paid_fen", "paid_amount"),
        min_pay_amount: r.money("min_pay_fen", "min_pay_amount"),
        discount_amount: r.money("discount_fen", "discount_amount"),
        deduction_amount: r.money("deduction_fen", "deduction_amount"),
        pay_status: r.int("pay_status", "pay_status"),
        pay_time: r.text("pay_time", "pay_time"),
        bill_create_time: r.text("bill_create_time", "bill_create_time"),
        deadline_date: r.text("deadline_time", "deadline_date"),
        start_date: r.text("start_date", "start_date"),
        end_date: r.text("end_date", "end_date"),
        bill_desc: r.text("bill_desc", "bill_desc"),
        memo: r.text("memo", "memo"),
        pay_lock: r.int("pay_lock", "pay_lock"),
        pay_lock_memo: r.text("pay_lock_memo", "pay_lock_memo"),
    };
    r.finish(bill_no, wire)
}

pub fn booking_feedback(row: &AnyRow) -> Converted<ReservationFeedbackSync> {
    let mut r = Reader::new(row);
    let no = r
        .text("reservation_no", "reservation_no")
        .unwrap_or_default();
    let wire = ReservationFeedbackSync {
        reservation_no: no.clone(),
        room_code: r.text("room_code", "room_code"),
        reserve_status: r.text("reserve_status", "reserve_status"),
        out_biz_no: r.text("out_biz_no", "out_biz_no"),
        final_look_time: r.text("final_look_time", "final_look_time"),
        looker_name: r.text("looker_name", "looker_name"),
        looker_phone: r.text("looker_phone", "looker_phone"),
        audit_comment: r.text("audit_comment", "audit_comment"),
    };
    r.finish(no, wire)
}

/// Every row of `view` (at most [`MAX_ROWS`]), converted by `convert`.
pub async fn read_all<T>(
    source: &Db,
    view: &str,
    columns: &str,
    convert: fn(&AnyRow) -> Converted<T>,
) -> anyhow::Result<Vec<Converted<T>>> {
    let sql = format!("SELECT {columns} FROM {view} LIMIT {}", MAX_ROWS + 1);
    let rows = sqlx::query(&sql)
        .fetch_all(&source.pool)
        .await
        .map_err(|e| anyhow::anyhow!("reading {view}: {e}"))?;
    if rows.len() > MAX_ROWS {
        tracing::warn!(
            view,
            max = MAX_ROWS,
            "TradeViewTooLong: only the first {MAX_ROWS} rows are read"
        );
    }
    Ok(rows.iter().take(MAX_ROWS).map(convert).collect())
}

/// The row of one key (`key_column` = `key`), converted; `None` when the view has none.
pub async fn read_one<T>(
    source: &Db,
    view: &str,
    columns: &str,
    key_column: &str,
    key: &str,
    convert: fn(&AnyRow) -> Converted<T>,
) -> anyhow::Result<Option<Converted<T>>> {
    let sql = source.sql(&format!(
        "SELECT {columns} FROM {view} WHERE {key_column} = ?"
    ));
    let row = sqlx::query(&sql)
        .bind(key)
        .fetch_optional(&source.pool)
        .await
        .map_err(|e| anyhow::anyhow!("reading {view}: {e}"))?;
    Ok(row.as_ref().map(convert))
}

#[cfg(test)]
mod tests {
    use super::yuan;

    #[test]
    fn fen_become_yuan_strings_without_trailing_zeros() {
        assert_eq!(yuan(250_000), "2500");
        assert_eq!(yuan(250_050), "2500.5");
        assert_eq!(yuan(300_005), "3000.05");
        assert_eq!(yuan(5), "0.05");
        assert_eq!(yuan(0), "0");
    }
}
