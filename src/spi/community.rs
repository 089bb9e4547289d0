//! Community status callbacks (type 5, 小区状态同步): the platform's review of a community that
//! `community.info.sync` submitted, recorded with [`Outbox::community_review_put`]. The rooms of a
//! rejected community are parked by the room worker; an approving callback later, or a change of
//! the community in the source (a new community key, so a new submission), lets them go again.

use std::collections::BTreeMap;

use crate::outbox::{CommunityStatus, Outbox};

fn first<'a>(params: &'a BTreeMap<String, String>, names: &[&str]) -> Option<&'a str> {
    names
        .iter()
        .find_map(|n| params.get(*n).map(String::as_str).filter(|v| !v.is_empty()))
}

/// Records a community status callback; an approval requeues the rooms parked for a rejection.
pub async fn apply(
    outbox: &Outbox,
    tenant: &str,
    params: &BTreeMap<String, String>,
) -> anyhow::Result<()> {
    let Some(id) = first(params, &["commReqId", "comm_req_id"]) else {
        tracing::warn!(%tenant, "community status callback without commReqId; stored only");
        return Ok(());
    };
    let status = CommunityStatus {
        status: first(params, &["status", "commStatus"])
            .unwrap_or_default()
            .to_string(),
        remark: first(params, &["remark"])
            .unwrap_or_default()
            .chars()
            .take(500)
            .collect(),
    };
    let requeued = outbox.community_review_put(tenant, id, &status).await?;
    if status.rejected() {
        tracing::warn!(%tenant, comm_req_id = %id, "the platform rejected a community; its rooms wait");
    } else {
        tracing::info!(%tenant, comm_req_id = %id, rooms = requeued, "community approved; its rooms go again");
    }
    Ok(())
}
