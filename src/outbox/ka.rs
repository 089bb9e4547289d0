//! The operator (KA) account in the state database (`rentsync_ka`, migration 7): the `ka_code`
//! the platform returned, the name it was synced with, and the SPI addresses registered, so
//! `rentsync ka sync|register` make no call when nothing changed.

use std::collections::BTreeMap;

use sqlx::Row;

use super::Outbox;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct KaAccount {
    pub tenant: String,
    pub ka_code: String,
    pub ka_name: String,
    /// Callback type number → registered address.
    pub services: BTreeMap<i64, String>,
}

impl Outbox {
    pub async fn ka_get(&self, tenant: &str) -> anyhow::Result<Option<KaAccount>> {
        let row =
            sqlx::query(&self.db.sql(
                "SELECT tenant, ka_code, ka_name, services FROM rentsync_ka WHERE tenant = ?",
            ))
            .bind(tenant)
            .fetch_optional(&self.db.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let services = crate::db::text(&row, "services")?
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default();
        Ok(Some(KaAccount {
            tenant: row.try_get("tenant")?,
            ka_code: row.try_get("ka_code")?,
            ka_name: crate::db::text(&row, "ka_name")?.unwrap_or_default(),
            services,
        }))
    }

    /// Writes the account, replacing what was there.
    pub async fn ka_put(&self, account: &KaAccount) -> anyhow::Result<()> {
        let services = serde_json::to_string(&account.services)?;
        let now = self.db.now_us().await?;
        let mut tx = self.db.pool.begin().await?;
        sqlx::query(&self.db.sql("DELETE FROM rentsync_ka WHERE tenant = ?"))
            .bind(&account.tenant)
            .execute(&mut *tx)
            .await?;
        sqlx::query(&self.db.sql(
            "INSERT INTO rentsync_ka (tenant, ka_code, ka_name, services, updated_us) \
             VALUES (?, ?, ?, ?, ?)",
        ))
        .bind(&account.tenant)
        .bind(&account.ka_code)
        .bind(&account.ka_name)
        .bind(services)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
