//! Rate limits per (tenant, API method), GCRA via governor. The tenant's configured rate is split
//! between the live replicas (decision 8: together they respect the limit). A throttling answer
//! pauses the method for every worker of this replica at once, instead of each request
//! discovering the limit on its own; the pause grows while the platform keeps refusing, and the
//! rate is halved (down to a quarter), then won back a step per 50 calls that go through.

use std::collections::{BTreeMap, HashMap};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use governor::{DefaultDirectRateLimiter, Quota};

#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateConfig {
    /// Calls per second for each method without its own entry.
    #[serde(default = "default_qps")]
    pub qps: f64,
    #[serde(default = "default_burst")]
    pub burst: u32,
    /// Full method name → calls per second.
    #[serde(default)]
    pub method_qps: BTreeMap<String, f64>,
}

fn default_qps() -> f64 {
    10.0
}

fn default_burst() -> u32 {
    1
}

impl Default for RateConfig {
    fn default() -> Self {
        Self {
            qps: default_qps(),
            burst: default_burst(),
            method_qps: BTreeMap::new(),
        }
    }
}

struct Method {
    replicas: u32,
    /// Share of the configured rate in use: 1.0, lowered on throttling, raised on success.
    factor: f64,
    successes: u32,
    limiter: Arc<DefaultDirectRateLimiter>,
    paused_until: Option<Instant>,
    strikes: u32,
}

const MIN_FACTOR: f64 = 0.25;
const RECOVER_AFTER: u32 = 50;

pub struct Limits {
    cfg: RateConfig,
    replicas: AtomicU32,
    // A std mutex: held to look up or swap a limiter, never across an await.
    methods: Mutex<HashMap<String, Method>>,
}

impl Limits {
    pub fn new(cfg: RateConfig) -> Self {
        Self {
            cfg,
            replicas: AtomicU32::new(1),
            methods: Mutex::new(HashMap::new()),
        }
    }

    pub fn set_replicas(&self, n: u32) {
        self.replicas.store(n.max(1), Ordering::Relaxed);
    }

    fn quota(&self, method: &str, replicas: u32, factor: f64) -> Quota {
        let qps = self
            .cfg
            .method_qps
            .get(method)
            .copied()
            .unwrap_or(self.cfg.qps);
        let share = (qps * factor / replicas as f64).max(0.01);
        let burst = NonZeroU32::new(self.cfg.burst.max(1)).unwrap_or(NonZeroU32::MIN);
        Quota::with_period(Duration::from_secs_f64(1.0 / share))
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
            .allow_burst(burst)
    }

    /// Waits until a call of `method` is allowed: past any pause, then through the limiter.
    pub async fn acquire(&self, method: &str) {
        loop {
            let (limiter, pause) = {
                let replicas = self.replicas.load(Ordering::Relaxed);
                let mut map = self.methods.lock().unwrap_or_else(|p| p.into_inner());
                let m = map.entry(method.to_string()).or_insert_with(|| Method {
                    replicas,
                    factor: 1.0,
                    successes: 0,
                    limiter: Arc::new(DefaultDirectRateLimiter::direct(
                        self.quota(method, replicas, 1.0),
                    )),
                    paused_until: None,
                    strikes: 0,
                });
                if m.replicas != replicas {
                    m.replicas = replicas;
                    m.limiter = Arc::new(DefaultDirectRateLimiter::direct(
                        self.quota(method, replicas, m.factor),
                    ));
                }
                (m.limiter.clone(), m.paused_until)
            };
            if let Some(until) = pause {
                let now = Instant::now();
                if until > now {
                    tokio::time::sleep(until - now).await;
                    continue;
                }
            }
            limiter.until_ready().await;
            return;
        }
    }

    /// The platform said 40005: pause this method for everyone, longer on each repeat.
    pub fn throttled(&self, method: &str) -> Duration {
        let mut map = self.methods.lock().unwrap_or_else(|p| p.into_inner());
        let Some(m) = map.get_mut(method) else {
            return Duration::ZERO;
        };
        m.strikes = (m.strikes + 1).min(6);
        let pause = Duration::from_millis(500 << m.strikes);
        m.paused_until = Some(Instant::now() + pause);
        m.successes = 0;
        if m.factor > MIN_FACTOR {
            m.factor = (m.factor / 2.0).max(MIN_FACTOR);
            m.limiter = Arc::new(DefaultDirectRateLimiter::direct(
                self.quota(method, m.replicas, m.factor),
            ));
        }
        pause
    }

    /// The share of the configured rate `method` runs at now (1.0 unless throttled lately).
    pub fn factor(&self, method: &str) -> f64 {
        let map = self.methods.lock().unwrap_or_else(|p| p.into_inner());
        map.get(method).map_or(1.0, |m| m.factor)
    }

    /// A call went through: the method is no longer being refused.
    pub fn succeeded(&self, method: &str) {
        let mut map = self.methods.lock().unwrap_or_else(|p| p.into_inner());
        let Some(m) = map.get_mut(method) else {
            return;
        };
        m.strikes = 0;
        if m.factor < 1.0 {
            m.successes += 1;
            if m.successes >= RECOVER_AFTER {
                m.successes = 0;
                m.factor = (m.factor * 1.25).min(1.0);
                let quota = self.quota(method, m.replicas, m.factor);
                m.limiter = Arc::new(DefaultDirectRateLimiter::direct(quota));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttling_pauses_halves_the_rate_and_success_wins_it_back() {
        let l = Limits::new(RateConfig::default());
        futures_util::FutureExt::now_or_never(l.acquire("m")).expect("first call is free");
        assert_eq!(l.factor("m"), 1.0);
        let p1 = l.throttled("m");
        let p2 = l.throttled("m");
        assert!(p2 > p1, "the pause grows while refusals continue");
        assert_eq!(l.factor("m"), 0.25);
        l.throttled("m");
        assert_eq!(l.factor("m"), MIN_FACTOR, "never below a quarter");
        for _ in 0..RECOVER_AFTER {
            l.succeeded("m");
        }
        assert!((l.factor("m") - 0.3125).abs() < 1e-9);
    }
}
