//! The platform's review of a community submission, as type-5 SPI callbacks report it (kept in
//! the community cache by `comm_req_id`). The room worker reads it before a room sync: the rooms
//! of a rejected community are parked as failed with code [`REJECTED_CODE`] and the remark.
//!
//! The status values are not published (spec §2.3): a non-empty `remark` (小区审核拒绝原因, the
//! rejection reason) or one of [`REJECTED_STATUSES`] counts as rejected.

use super::Outbox;

pub const STATUS_KIND: &str = "community_status";
pub const REJECTED_CODE: &str = "community_rejected";
pub const REJECTED_STATUSES: &[&str] = &["2", "-1", "REJECT", "REJECTED", "FAIL", "FAILED"];

/// The review of one community submission.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CommunityStatus {
    pub status: String,
    pub remark: String,
}

impl CommunityStatus {
    pub fn rejected(&self) -> bool {
        !self.remark.trim().is_empty()
            || REJECTED_STATUSES
                .iter()
                .any(|s| s.eq_ignore_ascii_case(self.status.trim()))
    }
}

impl Outbox {
    /// The review the platform last sent for `comm_req_id`, if any.
    pub async fn community_review(
        &self,
        tenant: &str,
        comm_req_id: &str,
    ) -> anyhow::Result<Option<CommunityStatus>> {
        Ok(self
            .cache_get(tenant, STATUS_KIND, comm_req_id)
            .await?
            .and_then(|v| serde_json::from_str(&v).ok()))
    }

    /// Records a review. A rejection requeues the rooms last sent with this request id, so the
    /// worker parks them at once; an approval requeues the rooms parked for a rejection (those
    /// still rejected park again, without a call). Returns how many rooms were requeued.
    pub async fn community_review_put(
        &self,
        tenant: &str,
        comm_req_id: &str,
        review: &CommunityStatus,
    ) -> anyhow::Result<u64> {
        self.cache_replace(
            tenant,
            STATUS_KIND,
            comm_req_id,
            &serde_json::to_string(review)?,
        )
        .await?;
        let done = if review.rejected() {
            // The id is the caller's: only a plain one is matched inside the stored JSON.
            if comm_req_id.is_empty() || !comm_req_id.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Ok(0);
            }
            sqlx::query(&self.db.sql(
                "UPDATE rentsync_items SET status = 'pending', next_attempt_us = 0 \
                 WHERE tenant = ? AND status = 'done' AND last_sent LIKE ?",
            ))
            .bind(tenant)
            .bind(format!("%\"RequestId\":\"{comm_req_id}\"%"))
            .execute(&self.db.pool)
            .await?
        } else {
            sqlx::query(&self.db.sql(
                "UPDATE rentsync_items SET status = 'pending', attempts = 0, next_attempt_us = 0 \
                 WHERE tenant = ? AND status = 'failed' AND last_code = ?",
            ))
            .bind(tenant)
            .bind(REJECTED_CODE)
            .execute(&self.db.pool)
            .await?
        };
        Ok(done.rows_affected())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_remark_or_a_rejecting_status_is_a_rejection() {
        let s = |status: &str, remark: &str| CommunityStatus {
            status: status.into(),
            remark: remark.into(),
        };
        assert!(!s("1", "").rejected());
        assert!(s("1", "地址不详").rejected());
        assert!(s("reject", "").rejected());
        assert!(s("2", "").rejected());
    }
}
