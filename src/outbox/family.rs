//! Which platform family last served each tenant, so a tenant moved to the other family (config
//! `family`) has its rooms sent whole on the new one. The outbox's `synced_*` describe what the
//! *old* family shows: kept, they would make every unchanged room look done, and nothing would
//! reach the new family; acted on, a room gone from the source would be taken off shelf on the
//! new family where it never was. So a switch forgets them: each room is added once on the new
//! family, and nothing is called on the old one (taking rooms off it is a separate step). A room
//! that left the source is not sent to the new family at all.

use super::Outbox;

/// Cache kind of the record: one row per tenant.
const KIND: &str = "family";
const KEY: &str = "served_by";

/// A family change found at start-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FamilySwitch {
    pub from: String,
    pub to: String,
    /// Items whose synced state was forgotten: they are sent whole on the new family.
    pub items: u64,
}

impl Outbox {
    /// The family that last served `tenant`: recorded, or, in a state database from before the
    /// record existed, told by the housing family's ids (only that family stores them).
    pub async fn served_family(&self, tenant: &str) -> anyhow::Result<Option<String>> {
        if let Some(f) = self.cache_get(tenant, KIND, KEY).await? {
            return Ok(Some(f));
        }
        let (synced,): (i64,) = sqlx::query_as(&self.db.sql(
            "SELECT COUNT(*) FROM rentsync_items WHERE tenant = ? AND synced_state IS NOT NULL",
        ))
        .bind(tenant)
        .fetch_one(&self.db.pool)
        .await?;
        if synced == 0 {
            return Ok(None);
        }
        let (housing,): (i64,) = sqlx::query_as(&self.db.sql(
            "SELECT COUNT(*) FROM rentsync_cache WHERE tenant = ? \
             AND kind IN ('hs_housing_id', 'hs_apartment_id', 'hs_adding')",
        ))
        .bind(tenant)
        .fetch_one(&self.db.pool)
        .await?;
        Ok(Some(
            if housing > 0 { "housing" } else { "renthouse" }.into(),
        ))
    }

    /// Records that `family` serves `tenant`; when another family served it before, first
    /// forgets what every item's platform shows (see the module doc). Forget, then record: a
    /// crash in between forgets again on the next start, which is harmless.
    pub async fn switch_family(
        &self,
        tenant: &str,
        family: &str,
    ) -> anyhow::Result<Option<FamilySwitch>> {
        let before = self.served_family(tenant).await?;
        let switch = match &before {
            Some(from) if from.as_str() != family => {
                // Every item is left done with its hash cleared, and the watermarks dropped: the
                // next read of the views queues each room still there as changed, and a room gone
                // from the source is never sent (the take-off pass looks only at synced items).
                // A lease held across the switch is fenced off: its worker finishes nothing.
                let r = sqlx::query(&self.db.sql(
                    "UPDATE rentsync_items SET synced_payload_hash = NULL, synced_state = NULL, \
                     content_hash = '', \
                     status = CASE WHEN status = 'invalid' THEN 'invalid' ELSE 'done' END, \
                     attempts = 0, next_attempt_us = 0, lease_owner = NULL, lease_expires_us = NULL, \
                     fencing = fencing + 1, warnings = NULL WHERE tenant = ?",
                ))
                .bind(tenant)
                .execute(&self.db.pool)
                .await?;
                sqlx::query(
                    &self
                        .db
                        .sql("DELETE FROM rentsync_watermarks WHERE tenant = ?"),
                )
                .bind(tenant)
                .execute(&self.db.pool)
                .await?;
                Some(FamilySwitch {
                    from: from.clone(),
                    to: family.to_string(),
                    items: r.rows_affected(),
                })
            }
            _ => None,
        };
        if before.as_deref() != Some(family) {
            self.cache_replace(tenant, KIND, KEY, family).await?;
        }
        Ok(switch)
    }
}

#[cfg(test)]
mod tests {
    use super::super::Outbox;

    #[tokio::test]
    async fn a_fresh_tenant_has_no_family_and_a_recorded_one_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("state.db").display());
        let outbox = Outbox::open(&url, 2).await.unwrap();
        assert_eq!(outbox.served_family("t").await.unwrap(), None);
        assert_eq!(outbox.switch_family("t", "renthouse").await.unwrap(), None);
        assert_eq!(
            outbox.served_family("t").await.unwrap().as_deref(),
            Some("renthouse")
        );
        let s = outbox.switch_family("t", "housing").await.unwrap();
        assert_eq!(
            s.map(|s| (s.from, s.to)),
            Some(("renthouse".into(), "housing".into()))
        );
        assert_eq!(outbox.switch_family("t", "housing").await.unwrap(), None);
    }
}
