//! The lease orders the operator lists: the contract view `rentsync_tmall_leases` (one column,
//! `lease_order_no`) in the tenant's source database, read before each poll round when
//! `[tenant.tmall] lease_view = true`. A listed order is followed; one the view stops listing is
//! no longer polled (its recorded history stays). Orders added by hand (`tmall lease watch`) are
//! never dropped by the view.

use std::collections::BTreeSet;

use sqlx::Row;

use crate::db::Db;

/// The view's name (docs/SOURCE_CONTRACT.md).
pub const VIEW: &str = "rentsync_tmall_leases";
/// The most lease orders read from the view in one round: a runaway view cannot make the poller
/// hold or query without bound.
pub const MAX_LISTED: usize = 20_000;

/// What [`follow_listed`] changed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Followed {
    pub added: usize,
    pub dropped: usize,
    /// Values the view listed that are not lease order numbers (named in the log).
    pub refused: usize,
}

/// A lease order number as TOP takes it: 1–64 letters, digits, `-` or `_`.
fn valid(no: &str) -> bool {
    (1..=64).contains(&no.len())
        && no
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The lease order numbers the view lists (at most [`MAX_LISTED`]), and how many values were
/// refused.
pub async fn read_listed(source: &Db) -> anyhow::Result<(BTreeSet<String>, usize)> {
    let sql = format!("SELECT lease_order_no FROM {VIEW} LIMIT {}", MAX_LISTED + 1);
    let rows = sqlx::query(&sql)
        .fetch_all(&source.pool)
        .await
        .map_err(|e| anyhow::anyhow!("reading {VIEW}: {e}"))?;
    if rows.len() > MAX_LISTED {
        tracing::warn!(
            view = VIEW,
            max = MAX_LISTED,
            "TmallLeaseViewTooLong: only the first {MAX_LISTED} lease orders are followed"
        );
    }
    let mut listed = BTreeSet::new();
    let mut refused = 0;
    for row in rows.iter().take(MAX_LISTED) {
        let no = crate::db::text(row, "lease_order_no")?.unwrap_or_default();
        let no = no.trim();
        if valid(no) {
            listed.insert(no.to_string());
        } else {
            refused += 1;
            let shown: String = no.chars().take(80).collect();
            tracing::warn!(view = VIEW, column = "lease_order_no", value = %shown,
                "TmallLeaseRefused: not a lease order number (1-64 of A-Z a-z 0-9 - _); not followed");
        }
    }
    Ok((listed, refused))
}

/// Makes the followed set of `tenant` match the view: listed orders are added (or marked as
/// listed when followed by hand already), orders the view added before and lists no more are
/// dropped.
pub async fn follow_listed(
    state: &Db,
    tenant: &str,
    listed: &BTreeSet<String>,
) -> anyhow::Result<Followed> {
    let mut out = Followed::default();
    let d = state.dialect;
    let rows = sqlx::query(
        &state.sql("SELECT lease_order_no, listed FROM rentsync_tmall_watch WHERE tenant = ?"),
    )
    .bind(tenant)
    .fetch_all(&state.pool)
    .await?;
    let mut known = std::collections::BTreeMap::new();
    for r in &rows {
        let no: String = r.try_get("lease_order_no")?;
        let from_view: i64 = r.try_get("listed")?;
        known.insert(no, from_view != 0);
    }
    for no in listed {
        match known.get(no) {
            Some(true) => {}
            // Followed by hand: stays, and is not dropped when the view drops it either.
            Some(false) => {}
            None => {
                let sql = format!(
                    "{} INTO rentsync_tmall_watch (tenant, lease_order_no, added_us, listed) \
                     VALUES (?, ?, {}, 1){}",
                    d.insert_ignore(),
                    d.now_expr(),
                    d.on_conflict_ignore()
                );
                let done = sqlx::query(&state.sql(&sql))
                    .bind(tenant)
                    .bind(no)
                    .execute(&state.pool)
                    .await?;
                out.added += done.rows_affected() as usize;
            }
        }
    }
    for (no, from_view) in &known {
        if *from_view && !listed.contains(no) {
            let done = sqlx::query(&state.sql(
                "DELETE FROM rentsync_tmall_watch WHERE tenant = ? AND lease_order_no = ? AND listed = 1",
            ))
            .bind(tenant)
            .bind(no)
            .execute(&state.pool)
            .await?;
            out.dropped += done.rows_affected() as usize;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::valid;

    #[test]
    fn lease_order_numbers_are_checked() {
        assert!(valid("LEASE-SIGN"));
        assert!(valid("2026120712345678_01"));
        assert!(!valid(""));
        assert!(!valid("x'; DROP TABLE t; --"));
        assert!(!valid(&"9".repeat(65)));
    }
}
