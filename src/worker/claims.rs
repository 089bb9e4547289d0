//! The claim loop's one body, shared by the daemon (`tenant_loop`) and the one-shot drain
//! (`drain_once`): items are claimed only for free workers, in batches, divided between the kinds
//! by the time each has left at its method's rate, and each is handed to a task of its own.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::{work_item, TenantCtx};
use crate::model::FlatsTag;
use crate::outbox::{ClaimMix, Outbox};
use crate::plan::kind_label;
use crate::platform::Stage;

/// How often the backlogs are counted again for the weights.
const REWEIGH: Duration = Duration::from_secs(1);

pub(super) struct Claims {
    /// One per worker; a claimed item holds one until its outcome is recorded, so nothing waits
    /// leased in memory.
    permits: Arc<Semaphore>,
    /// A claim is a transaction, and one per finished item would queue behind every worker's
    /// writes (on SQLite, one connection); waiting for half the workers left a quarter of them
    /// idle on average. So a claim waits for a quarter.
    batch: usize,
    mix: ClaimMix,
    weighed: Option<Instant>,
    pub tasks: JoinSet<anyhow::Result<()>>,
}

impl Claims {
    pub fn new(concurrency: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(concurrency)),
            batch: (concurrency / 4).max(1),
            mix: ClaimMix::default(),
            weighed: None,
            tasks: JoinSet::new(),
        }
    }

    pub fn free(&self) -> usize {
        self.permits.available_permits()
    }

    /// Enough workers are free for a claim: a batch of them, or all when none is busy.
    pub fn ready(&self) -> bool {
        let free = self.free();
        free > 0 && (free >= self.batch || self.tasks.is_empty())
    }

    /// Claims an item per free worker and starts each; returns how many were claimed and how
    /// many were asked for.
    pub async fn claim(
        &mut self,
        tenant: &Arc<TenantCtx>,
        outbox: &Outbox,
        owner: &str,
        lease: Duration,
    ) -> anyhow::Result<(usize, usize)> {
        self.reweigh(tenant, outbox).await;
        let free = self.free();
        let items = outbox
            .claim_mixed(&tenant.name, owner, free, lease, &mut self.mix)
            .await?;
        let claimed = items.len();
        for item in items {
            // A permit per claimed item: there are `free` of them, so this never waits.
            let permit = self.permits.clone().acquire_owned().await?;
            let (tenant, outbox) = (tenant.clone(), outbox.clone());
            self.tasks.spawn(async move {
                let r = work_item(&tenant, &outbox, item).await;
                drop(permit);
                r
            });
        }
        Ok((claimed, free))
    }

    /// Weighs each kind by its time left: its backlog over the rate of its room method now.
    /// A failed count keeps the old weights: the claim itself says whether the database works.
    async fn reweigh(&mut self, tenant: &TenantCtx, outbox: &Outbox) {
        if self.weighed.is_some_and(|t| t.elapsed() < REWEIGH) {
            return;
        }
        self.weighed = Some(Instant::now());
        let backlog = match outbox.backlog(&tenant.name).await {
            Ok(b) => b,
            Err(e) => {
                tracing::debug!(tenant = %tenant.name, error = %e, "backlog not counted");
                return;
            }
        };
        for tag in [FlatsTag::Dispersion, FlatsTag::Concentration] {
            let kind = kind_label(tag);
            let rate = tenant
                .limits
                .rate(tenant.platform.stage_method(Stage::Room(tag)));
            let left = backlog.get(kind).copied().unwrap_or(0) as f64;
            self.mix.set_weight(kind, left / rate);
        }
        tracing::debug!(tenant = %tenant.name, ?backlog, shares = ?self.mix.shares(), "claims weighed");
    }

    /// Waits for every task in flight and reports the outcomes that were not recorded.
    pub async fn finish_all(&mut self, tenant: &TenantCtx) {
        while let Some(r) = self.tasks.join_next().await {
            super::scheduler::report(tenant, r);
        }
    }
}
