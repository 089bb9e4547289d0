//! `[tenant.trade]`: whether `rentsync run` reads the tenant's trade views (docs/TRADE.md) and
//! how often. The tasks themselves (and `rentsync booking feedback`) need no setting here.

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TradeConfig {
    /// Read the views and send what changed (off by default: the views must exist first).
    #[serde(default)]
    pub enabled: bool,
    /// Seconds between two scans of the views.
    #[serde(default = "default_poll_secs")]
    pub poll_secs: f64,
    /// Read `rentsync_leases` and `rentsync_bills`.
    #[serde(default = "yes")]
    pub lease_views: bool,
    /// Read `rentsync_booking_feedback`.
    #[serde(default = "yes")]
    pub booking_feedback_view: bool,
}

fn default_poll_secs() -> f64 {
    30.0
}

fn yes() -> bool {
    true
}

impl TradeConfig {
    /// Problems of this block, prefixed by the caller with the tenant's name.
    pub fn problems(&self, source_database: Option<&str>) -> Vec<String> {
        let mut out = Vec::new();
        if !(self.poll_secs.is_finite() && self.poll_secs >= 0.1) {
            out.push("trade.poll_secs must be 0.1 or more".to_string());
        }
        if self.enabled && source_database.is_none() {
            out.push("trade.enabled needs the tenant's source_database (the views)".to_string());
        }
        out
    }

    pub fn every(&self) -> std::time::Duration {
        std::time::Duration::from_secs_f64(self.poll_secs.max(0.1))
    }
}
