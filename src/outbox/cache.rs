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

impl Outbox {
    /// Several keys of one kind at once (the dry-run reads one per room), in chunks that stay
    /// within every backend's limit on bound parameters.
    pub async fn cache_get_many(
        &self,
        tenant: &str,
        kind: &str,
        keys: &[&str],
    ) -> anyhow::Result<std::collections::HashMap<String, String>> {
        let mut out = std::collections::HashMap::new();
        for chunk in keys.chunks(500) {
            let marks = vec!["?"; chunk.len()].join(", ");
            let sql = self.db.sql(&format!(
                "SELECT cache_key, value FROM rentsync_cache WHERE tenant = ? AND kind = ? \
                 AND cache_key IN ({marks})"
            ));
            let mut q = sqlx::query(&sql).bind(tenant).bind(kind);
            for k in chunk {
                q = q.bind(*k);
            }
            for row in q.fetch_all(&self.db.pool).await? {
                use sqlx::Row;
                let key: String = row.try_get("cache_key")?;
                if let Some(v) = crate::db::text(&row, "value")? {
                    out.insert(key, v);
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::super::Outbox;

    #[tokio::test]
    async fn a_value_that_cannot_be_stored_is_an_error_not_a_silent_loss() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("state.db").display());
        let outbox = Outbox::open(&url, 2).await.unwrap();
        assert_eq!(
            outbox.cache_put("t", "k", "key", "first").await.unwrap(),
            "first"
        );
        assert_eq!(
            outbox.cache_put("t", "k", "key", "second").await.unwrap(),
            "first",
            "the first writer wins"
        );
        // A write the database refuses (as PostgreSQL refuses a kind longer than its column).
        sqlx::query(
            "CREATE TRIGGER refuse BEFORE INSERT ON rentsync_cache WHEN NEW.cache_key = 'key2' \
             BEGIN SELECT RAISE(ABORT, 'refused'); END",
        )
        .execute(&outbox.db.pool)
        .await
        .unwrap();
        assert!(outbox.cache_put("t", "k", "key2", "v").await.is_err());
    }
}
