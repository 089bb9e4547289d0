//! Cache entries that change over time (a remote photo's validators), as opposed to `cache_put`'s
//! first-writer-wins entries (an upload's URL, a community's reference).

use super::Outbox;

impl Outbox {
    /// Sets `key` to `value`, whatever it held. Two writers racing leave one of the two values,
    /// which is fine for what this holds: either is a version the server sent.
    pub async fn cache_replace(
        &self,
        tenant: &str,
        kind: &str,
        key: &str,
        value: &str,
    ) -> anyhow::Result<()> {
        sqlx::query(
            &self
                .db
                .sql("DELETE FROM rentsync_cache WHERE tenant = ? AND kind = ? AND cache_key = ?"),
        )
        .bind(tenant)
        .bind(kind)
        .bind(key)
        .execute(&self.db.pool)
        .await?;
        self.cache_put(tenant, kind, key, value).await?;
        Ok(())
    }
}
