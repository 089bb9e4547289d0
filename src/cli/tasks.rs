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
    // Lease, bill and booking-feedback syncs, for a tenant with a [tenant.trade] block (the
    // views are read only when it is enabled; a decision queued by `rentsync booking feedback`
    // is worked either way).
    if cfg.trade.is_none() {
        return out;
    }
    match cfg
        .client_config()
        .and_then(crate::alipay::AlipayClient::new)
    {
        Ok(client) => {
            let ctx = rt.tenants.iter().find(|t| t.name == tenant).cloned();
            let source = ctx
                .as_ref()
                .and_then(|c| c.source.as_ref())
                .map(|s| s.db.clone());
            out.extend(crate::trade::handlers::handlers(
                crate::trade::handlers::TradeCalls {
                    client,
                    ctx,
                    source,
                },
            ));
        }
        Err(e) => tracing::error!(%tenant, error = %format!("{e:#}"),
            "trade syncs cannot start; they wait in the outbox"),
    }
    out
}
