//! Where the housing family's platform ids live: the state database (`rentsync_cache`), per
//! tenant, so every replica and every restart sees the ids an add returned. The family is
//! add-then-modify by platform id (spec §3), so losing an id would mean a second add.

use async_trait::async_trait;

use crate::outbox::Outbox;

#[async_trait]
pub trait IdStore: Send + Sync {
    async fn get(&self, kind: &str, key: &str) -> anyhow::Result<Option<String>>;
    /// First writer wins; returns the value kept.
    async fn put(&self, kind: &str, key: &str, value: &str) -> anyhow::Result<String>;
    /// Sets the value whatever it was.
    async fn replace(&self, kind: &str, key: &str, value: &str) -> anyhow::Result<()>;
}

/// One tenant's ids in the outbox's cache table.
pub struct OutboxIds {
    pub outbox: Outbox,
    pub tenant: String,
}

#[async_trait]
impl IdStore for OutboxIds {
    async fn get(&self, kind: &str, key: &str) -> anyhow::Result<Option<String>> {
        self.outbox.cache_get(&self.tenant, kind, key).await
    }
    async fn put(&self, kind: &str, key: &str, value: &str) -> anyhow::Result<String> {
        self.outbox.cache_put(&self.tenant, kind, key, value).await
    }
    async fn replace(&self, kind: &str, key: &str, value: &str) -> anyhow::Result<()> {
        self.outbox
            .cache_replace(&self.tenant, kind, key, value)
            .await
    }
}
