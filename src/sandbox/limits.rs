//! Flow control: a call rate per (app, method), as the platform answers `40005
//! isv.method-call-limited` beyond it. GCRA via governor, the same algorithm the client uses, so a
//! client that keeps to its configured rate is never refused.

use std::collections::BTreeMap;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::{DefaultKeyedRateLimiter, Quota};

#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitConfig {
    /// Calls per second for every method without its own entry; 0 turns flow control off.
    pub qps: f64,
    /// How many calls may arrive at once after a quiet spell; 0 means one second's worth (the
    /// platform states its limits as calls per second).
    pub burst: u32,
    /// Per-method overrides (full method name → calls per second).
    pub per_method: BTreeMap<String, f64>,
}

impl Default for LimitConfig {
    fn default() -> Self {
        Self {
            qps: 50.0,
            burst: 0,
            per_method: BTreeMap::new(),
        }
    }
}

pub struct Limits {
    default: Option<DefaultKeyedRateLimiter<String>>,
    per_method: BTreeMap<String, DefaultKeyedRateLimiter<String>>,
}

fn limiter(qps: f64, burst: u32) -> anyhow::Result<Option<DefaultKeyedRateLimiter<String>>> {
    if qps <= 0.0 {
        return Ok(None);
    }
    let period = Duration::from_secs_f64(1.0 / qps);
    let burst = if burst == 0 { qps.ceil() as u32 } else { burst };
    let quota = Quota::with_period(period)
        .ok_or_else(|| anyhow::anyhow!("qps {qps} is too high"))?
        .allow_burst(NonZeroU32::new(burst.max(1)).unwrap_or(NonZeroU32::MIN));
    Ok(Some(DefaultKeyedRateLimiter::keyed(quota)))
}

impl Limits {
    pub fn new(cfg: &LimitConfig) -> anyhow::Result<Self> {
        let mut per_method = BTreeMap::new();
        for (method, qps) in &cfg.per_method {
            if let Some(l) = limiter(*qps, cfg.burst)? {
                per_method.insert(method.clone(), l);
            }
        }
        Ok(Self {
            default: limiter(cfg.qps, cfg.burst)?,
            per_method,
        })
    }

    /// True when this call is within the limit (and counts it).
    pub fn allow(&self, app_id: &str, method: &str) -> bool {
        let key = format!("{app_id} {method}");
        match self.per_method.get(method).or(self.default.as_ref()) {
            Some(l) => l.check_key(&key).is_ok(),
            None => true,
        }
    }
}
