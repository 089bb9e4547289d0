//! Delists held by the mass-delist guard: one row per (tenant, view) while a scan would take
//! more than the allowed share of live rooms off shelf. The row is the alert (status, `/readyz`,
//! metrics) and the place `rentsync delist --confirm` writes its consent.

use serde::Serialize;
use sqlx::Row;

use super::Outbox;

/// One held delist, for status, readiness and metrics.
#[derive(Debug, Clone, Serialize)]
pub struct DelistHold {
    pub tenant: String,
    pub view: String,
    /// Rooms the scan would take off shelf.
    pub gone: i64,
    /// Rooms that may be live on the platform.
    pub live: i64,
    pub since_us: i64,
    pub confirmed: bool,
}

impl Outbox {
    /// Records (or refreshes) a hold; true when an operator has confirmed it, so the delists
    /// may go ahead.
    pub async fn hold_delists(
        &self,
        tenant: &str,
        view: &str,
        gone: i64,
        live: i64,
    ) -> anyhow::Result<bool> {
        let updated = sqlx::query(&self.db.sql(
            "UPDATE rentsync_delist_holds SET gone = ?, live = ? WHERE tenant = ? AND view_name = ?",
        ))
        .bind(gone)
        .bind(live)
        .bind(tenant)
        .bind(view)
        .execute(&self.db.pool)
        .await?;
        if updated.rows_affected() == 0 {
            let now = self.db.now_us().await?;
            sqlx::query(&self.db.sql(&format!(
                "{} INTO rentsync_delist_holds (tenant, view_name, gone, live, since_us, confirmed) \
                 VALUES (?, ?, ?, ?, ?, 0){}",
                self.db.dialect.insert_ignore(),
                self.db.dialect.on_conflict_ignore()
            )))
            .bind(tenant)
            .bind(view)
            .bind(gone)
            .bind(live)
            .bind(now)
            .execute(&self.db.pool)
            .await?;
        }
        let (confirmed,): (i64,) =
            sqlx::query_as(&self.db.sql(
                "SELECT confirmed FROM rentsync_delist_holds WHERE tenant = ? AND view_name = ?",
            ))
            .bind(tenant)
            .bind(view)
            .fetch_one(&self.db.pool)
            .await?;
        Ok(confirmed != 0)
    }

    /// The rows came back, or the delists went out.
    pub async fn clear_delist_hold(&self, tenant: &str, view: &str) -> anyhow::Result<()> {
        sqlx::query(
            &self
                .db
                .sql("DELETE FROM rentsync_delist_holds WHERE tenant = ? AND view_name = ?"),
        )
        .bind(tenant)
        .bind(view)
        .execute(&self.db.pool)
        .await?;
        Ok(())
    }

    /// `rentsync delist --confirm`: the next scan takes the held rooms off shelf.
    pub async fn confirm_delists(&self, tenant: Option<&str>) -> anyhow::Result<u64> {
        let sql = format!(
            "UPDATE rentsync_delist_holds SET confirmed = 1{}",
            if tenant.is_some() {
                " WHERE tenant = ?"
            } else {
                ""
            }
        );
        let sql = self.db.sql(&sql);
        let mut q = sqlx::query(&sql);
        if let Some(t) = tenant {
            q = q.bind(t);
        }
        Ok(q.execute(&self.db.pool).await?.rows_affected())
    }

    pub async fn delist_holds(&self) -> anyhow::Result<Vec<DelistHold>> {
        let rows = sqlx::query(
            "SELECT tenant, view_name, gone, live, since_us, confirmed FROM rentsync_delist_holds \
             ORDER BY tenant, view_name",
        )
        .fetch_all(&self.db.pool)
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(DelistHold {
                    tenant: r.try_get("tenant")?,
                    view: r.try_get("view_name")?,
                    gone: r.try_get("gone")?,
                    live: r.try_get("live")?,
                    since_us: r.try_get("since_us")?,
                    confirmed: r.try_get::<i64, _>("confirmed")? != 0,
                })
            })
            .collect()
    }
}
