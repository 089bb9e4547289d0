//! The views of `check`, compared with `docs/SOURCE_CONTRACT.md`: every contract column present,
//! and of the contract's type: BIGINT columns an integer type, the others text. A NUMERIC money
//! column would otherwise fail every read with a driver message that names neither the view nor
//! the column. SQLite declares no types on view columns, so there only presence is checked.

use super::Report;
use crate::db::{Db, Dialect};
use crate::source::VIEWS;

/// The contract's BIGINT columns (required and optional); every other contract column is TEXT.
const INTEGER_COLUMNS: [&str; 24] = [
    "pay_type",
    "min_rent_days",
    "commission_centi",
    "elevator",
    "max_deposit_fen",
    "room_max_area_centi",
    "lng_e6",
    "lat_e6",
    "bedrooms",
    "parlors",
    "toilets",
    "room_area_centi",
    "flat_area_centi",
    "floor",
    "total_floors",
    "rent_fen",
    "max_rent_fen",
    "deposit_fen",
    "room_face",
    "on_shelf",
    "rented",
    "active",
    "updated_at_us",
    "can_rent",
];

fn is_integer_type(t: &str) -> bool {
    matches!(
        t,
        "bigint" | "integer" | "int" | "smallint" | "tinyint" | "mediumint" | "int8" | "int4"
    )
}

fn is_text_type(t: &str) -> bool {
    t.contains("char") || t.contains("text")
}

pub(super) async fn compare(tenant: &str, db: &Db, report: &mut Report) {
    // The optional columns and child views a view has: a misspelt column is otherwise simply
    // not read, so the operator sees here which ones rentsync found.
    let source = crate::source::Source::new(db.clone());
    for v in VIEWS {
        let what = format!("tenant {tenant}: view {}", v.name);
        let optional = match source.offered_columns(v).await {
            Ok(found) => {
                let absent: Vec<&str> = v
                    .optional_columns()
                    .into_iter()
                    .filter(|c| !found.contains(c))
                    .collect();
                report.line(
                    true,
                    format!(
                        "{what}: {} of {} optional columns present{}",
                        found.len(),
                        found.len() + absent.len(),
                        if absent.is_empty() {
                            String::new()
                        } else {
                            format!(" (not given: {})", absent.join(", "))
                        }
                    ),
                );
                found
            }
            Err(e) => {
                report.line(false, format!("{what}: optional columns: {e:#}"));
                Vec::new()
            }
        };
        let columns: Vec<String> = v
            .contract_columns()
            .into_iter()
            .chain(optional.iter().map(|c| c.to_string()))
            .collect();
        let integer = |c: &str| INTEGER_COLUMNS.contains(&c);
        compare_view(tenant, db, v.name, &columns, &integer, report).await;
    }
    match source.child_views().await {
        Ok((plans, fees)) => {
            let given = |yes: bool| if yes { "present" } else { "not given" };
            report.line(
                true,
                format!(
                    "tenant {tenant}: child views: {} {}, {} {}",
                    crate::source::PAY_PLANS,
                    given(plans),
                    crate::source::FEES,
                    given(fees)
                ),
            );
        }
        Err(e) => report.line(false, format!("tenant {tenant}: child views: {e:#}")),
    }
}

/// The trade views (docs/TRADE.md), when `[tenant.trade]` is enabled: the same checks.
pub(super) async fn compare_trade(
    tenant: &str,
    db: &Db,
    trade: &crate::trade::TradeConfig,
    report: &mut Report,
) {
    use crate::trade::view;
    let mut views = Vec::new();
    if trade.lease_views {
        views.push((view::LEASES, view::LEASE_COLUMNS));
        views.push((view::BILLS, view::BILL_COLUMNS));
    }
    if trade.booking_feedback_view {
        views.push((view::BOOKING_FEEDBACK, view::BOOKING_FEEDBACK_COLUMNS));
    }
    for (name, columns) in views {
        let columns: Vec<String> = columns.split(',').map(|c| c.trim().to_string()).collect();
        compare_view(tenant, db, name, &columns, &view::is_integer_column, report).await;
    }
}

/// One view: every contract column present, each of the contract's type.
async fn compare_view(
    tenant: &str,
    db: &Db,
    name: &str,
    columns: &[String],
    integer: &dyn Fn(&str) -> bool,
    report: &mut Report,
) {
    let what = format!("tenant {tenant}: view {name}");
    // No rows: presence is checked here, types below, where the message can name them.
    let sql = format!("SELECT {} FROM {name} LIMIT 0", columns.join(", "));
    if let Err(e) = sqlx::query(&sql).fetch_all(&db.pool).await {
        report.line(
            false,
            format!("{what}: SELECT of the contract columns failed: {e}"),
        );
        return;
    }
    let types = match column_types(db, name).await {
        Ok(t) => t,
        Err(e) => {
            report.line(false, format!("{what}: cannot read its column types: {e}"));
            return;
        }
    };
    let mut wrong = Vec::new();
    for col in columns {
        let Some((_, ty)) = types.iter().find(|(c, _)| c == col) else {
            continue;
        };
        let integer = integer(col);
        let fits = if integer {
            is_integer_type(ty)
        } else {
            is_text_type(ty)
        };
        if !fits {
            let want = if integer { "BIGINT" } else { "TEXT" };
            wrong.push(format!("{col} is {ty}, the contract says {want}"));
        }
    }
    if wrong.is_empty() {
        report.line(
            true,
            format!("{what}: columns and types match the contract"),
        );
    } else {
        report.line(
            false,
            format!(
                "{what}: {}; CAST them in the view (docs/SOURCE_CONTRACT.md)",
                wrong.join("; ")
            ),
        );
    }
}

/// Column names and lower-case type names of `view`; empty on SQLite (no declared types).
async fn column_types(db: &Db, view: &str) -> Result<Vec<(String, String)>, sqlx::Error> {
    let sql = match db.dialect {
        Dialect::Sqlite => return Ok(Vec::new()),
        Dialect::Postgres => {
            "SELECT CAST(column_name AS TEXT), CAST(data_type AS TEXT) FROM information_schema.columns \
             WHERE table_name = $1 AND table_schema = ANY (current_schemas(false))"
        }
        Dialect::Mysql => {
            "SELECT CAST(column_name AS CHAR), CAST(data_type AS CHAR) FROM information_schema.columns \
             WHERE table_name = ? AND table_schema = DATABASE()"
        }
    };
    let rows = sqlx::query(sql).bind(view).fetch_all(&db.pool).await?;
    Ok(rows
        .iter()
        .filter_map(|r| Some((cell(r, 0)?.to_lowercase(), cell(r, 1)?.to_lowercase())))
        .collect())
}

/// A text cell by position; MySQL hands information_schema text to `Any` as bytes.
fn cell(r: &sqlx::any::AnyRow, i: usize) -> Option<String> {
    use sqlx::Row;
    r.try_get::<String, _>(i).ok().or_else(|| {
        r.try_get::<Vec<u8>, _>(i)
            .ok()
            .map(|b| String::from_utf8_lossy(&b).into_owned())
    })
}
