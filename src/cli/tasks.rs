//! Which task handlers a tenant's task loop runs: one per configured hand-off or sync (the SPI
//! deliveries, the lease, bill and booking-feedback syncs). Built from the config here, at the
//! top, so the worker below knows handlers only by their trait.

use std::sync::Arc;

use super::runtime::Runtime;
use crate::worker::TaskHandler;

/// The handlers of `tenant`'s tasks; empty when it has none configured (no task loop then).
pub fn handlers(rt: &Runtime, tenant: &str) -> Vec<Arc<dyn TaskHandler>> {
    let Some(cfg) = rt.cfg.tenants.iter().find(|t| t.name == tenant) else {
        return Vec::new();
    };
    let mut out: Vec<Arc<dyn TaskHandler>> = Vec::new();
    // SPI deliveries (webhook, insert) of callbacks stored by the SPI endpoint.
    if let Some(deliver) = cfg.spi.as_ref().and_then(|s| s.deliver.as_ref()) {
        match crate::spi::aes::data_key(&rt.cfg)
            .and_then(|key| crate::spi::deliver::handlers(deliver, &key))
        {
            Ok(h) => out.extend(h),
            // Deliveries wait (visible in `status`) until the config is fixed and reloaded.
            Err(e) => tracing::error!(%tenant, error = %format!("{e:#}"),
                "SPI deliveries cannot start; they wait in the outbox"),
        }
    }
    out
}
