//! Items that were synced with warnings (photos skipped or refused), for `status` and reports: a
//! warning is not a failure, but the operator has something to fix, and the warning says what.

use serde::Serialize;
use sqlx::Row;

use super::Outbox;

/// One item's warnings, as stored when it was last worked.
#[derive(Debug, Clone, Serialize)]
pub struct WarningRow {
    pub tenant: String,
    pub kind: String,
    pub room_code: String,
    /// One warning per `; `-separated part, each naming the room, the photo and why.
    pub warnings: String,
}

impl Outbox {
    /// The most recently worked items that carry warnings.
    pub async fn warnings(&self, limit: i64) -> anyhow::Result<Vec<WarningRow>> {
        self.warnings_of(None, limit).await
    }

    /// As [`Outbox::warnings`], for one tenant when given (`--tenant`).
    pub async fn warnings_of(
        &self,
        tenant: Option<&str>,
        limit: i64,
    ) -> anyhow::Result<Vec<WarningRow>> {
        let sql = format!(
            "SELECT tenant, kind, item_key, warnings FROM rentsync_items \
             WHERE warnings IS NOT NULL AND warnings <> ''{} ORDER BY updated_us DESC LIMIT ?",
            super::tenant_clause(tenant)
        );
        let sql = self.db.sql(&sql);
        let mut q = sqlx::query(&sql);
        if let Some(t) = tenant {
            q = q.bind(t);
        }
        let rows = q.bind(limit).fetch_all(&self.db.pool).await?;
        rows.into_iter()
            .map(|r| {
                Ok(WarningRow {
                    tenant: r.try_get("tenant")?,
                    kind: r.try_get("kind")?,
                    room_code: r.try_get("item_key")?,
                    warnings: crate::db::text(&r, "warnings")?.unwrap_or_default(),
                })
            })
            .collect()
    }
}
