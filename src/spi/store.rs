//! The callbacks in the state database (`rentsync_spi_callbacks`, migration 7): stored once by
//! their dedupe key before they are answered, and marked `queued` once their deliveries are tasks.

use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::outbox::Outbox;

/// One stored callback. `params` is the form as JSON without `sign` or the phone number;
/// `phone_enc` is the phone sealed with the data key.
#[derive(Debug, Clone, Serialize)]
pub struct StoredCallback {
    pub tenant: String,
    pub event_id: String,
    pub callback_type: String,
    pub params: String,
    #[serde(skip)]
    pub phone_enc: Option<String>,
    pub queued: bool,
    pub received_us: i64,
}

const COLUMNS: &str = "tenant, event_id, callback_type, params, phone_enc, queued, received_us";

fn callback_row(row: &AnyRow) -> anyhow::Result<StoredCallback> {
    Ok(StoredCallback {
        tenant: row.try_get("tenant")?,
        event_id: row.try_get("event_id")?,
        callback_type: row.try_get("callback_type")?,
        params: crate::db::text(row, "params")?.unwrap_or_default(),
        phone_enc: crate::db::text(row, "phone_enc")?,
        queued: row.try_get::<i64, _>("queued")? != 0,
        received_us: row.try_get("received_us")?,
    })
}

impl Outbox {
    /// Stores a callback once; false when its `event_id` is already stored (a repeat).
    pub async fn spi_store(
        &self,
        tenant: &str,
        event_id: &str,
        callback_type: &str,
        params: &str,
        phone_enc: Option<&str>,
    ) -> anyhow::Result<bool> {
        let d = self.db.dialect;
        let sql = self.db.sql(&format!(
            "{} INTO rentsync_spi_callbacks (tenant, event_id, callback_type, params, phone_enc, \
             queued, received_us) VALUES (?, ?, ?, ?, ?, 0, {}){}",
            d.insert_ignore(),
            d.now_expr(),
            d.on_conflict_ignore()
        ));
        let done = sqlx::query(&sql)
            .bind(tenant)
            .bind(event_id)
            .bind(callback_type)
            .bind(params)
            .bind(phone_enc)
            .execute(&self.db.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records that the deliveries of `event_id` are tasks now.
    pub async fn spi_mark_queued(&self, tenant: &str, event_id: &str) -> anyhow::Result<()> {
        sqlx::query(
            &self.db.sql(
                "UPDATE rentsync_spi_callbacks SET queued = 1 WHERE tenant = ? AND event_id = ?",
            ),
        )
        .bind(tenant)
        .bind(event_id)
        .execute(&self.db.pool)
        .await?;
        Ok(())
    }

    /// Stored callbacks whose deliveries were never queued, oldest first.
    pub async fn spi_unqueued(
        &self,
        tenant: &str,
        limit: usize,
    ) -> anyhow::Result<Vec<StoredCallback>> {
        let rows = sqlx::query(&self.db.sql(&format!(
            "SELECT {COLUMNS} FROM rentsync_spi_callbacks WHERE queued = 0 AND tenant = ? \
             ORDER BY received_us LIMIT {}",
            limit.max(1)
        )))
        .bind(tenant)
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter().map(callback_row).collect()
    }

    pub async fn spi_get(
        &self,
        tenant: &str,
        event_id: &str,
    ) -> anyhow::Result<Option<StoredCallback>> {
        let row = sqlx::query(&self.db.sql(&format!(
            "SELECT {COLUMNS} FROM rentsync_spi_callbacks WHERE tenant = ? AND event_id = ?"
        )))
        .bind(tenant)
        .bind(event_id)
        .fetch_optional(&self.db.pool)
        .await?;
        row.as_ref().map(callback_row).transpose()
    }

    /// Callbacks newest first, filtered by tenant and type when given.
    pub async fn spi_list(
        &self,
        tenant: Option<&str>,
        callback_type: Option<&str>,
        limit: usize,
    ) -> anyhow::Result<Vec<StoredCallback>> {
        let mut filter = String::new();
        let mut binds = Vec::new();
        for (col, v) in [("tenant", tenant), ("callback_type", callback_type)] {
            if let Some(v) = v {
                filter.push_str(&format!(" AND {col} = ?"));
                binds.push(v);
            }
        }
        let sql = self.db.sql(&format!(
            "SELECT {COLUMNS} FROM rentsync_spi_callbacks WHERE 1 = 1{filter} \
             ORDER BY received_us DESC, event_id LIMIT {}",
            limit.max(1)
        ));
        let mut q = sqlx::query(&sql);
        for b in binds {
            q = q.bind(b);
        }
        let rows = q.fetch_all(&self.db.pool).await?;
        rows.iter().map(callback_row).collect()
    }

    /// Callbacks per tenant and type (status, metrics).
    pub async fn spi_counts(&self) -> anyhow::Result<Vec<(String, String, i64)>> {
        let rows = sqlx::query(
            "SELECT tenant, callback_type, COUNT(*) AS n FROM rentsync_spi_callbacks \
             GROUP BY tenant, callback_type ORDER BY tenant, callback_type",
        )
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("tenant")?,
                    r.try_get("callback_type")?,
                    r.try_get("n")?,
                ))
            })
            .collect()
    }
}

/// A phone number for screens: the first three and last two digits.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() < 7 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 2..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 5))
}

#[cfg(test)]
mod tests {
    #[test]
    fn masked_phones_keep_five_digits_at_most() {
        assert_eq!(super::mask_phone("13800138000"), "138******00");
        assert_eq!(super::mask_phone("12345"), "*****");
    }
}
