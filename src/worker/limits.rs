//! Rate limits per (tenant, API method), GCRA. The tenant's configured rate is split between the
//! live replicas (decision 8: together they respect the limit). A change of share (a replica joins
//! or leaves, a throttle halves the rate) changes the spacing of the next calls only: the
//! theoretical arrival time carries over, so a re-pace never grants a fresh burst, and every
//! waiter re-reads the spacing when it wakes instead of holding on to an old limiter. A throttling answer
//! pauses the method for every worker of this replica at once, instead of each request
//! discovering the limit on its own; the pause grows while the platform keeps refusing, and the
//! rate is halved (down to a quarter), then won back a step per 50 calls that go through.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;
use std::time::Duration;

// Tokio's clock, so tests can run the pacing on paused time.
use tokio::time::Instant;

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
    /// Time between two calls at the current share.
    interval: Duration,
    /// When the next call is due if calls came evenly spaced (GCRA's theoretical arrival time).
    tat: Instant,
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

    fn interval(&self, method: &str, replicas: u32, factor: f64) -> Duration {
        let qps = self
            .cfg
            .method_qps
            .get(method)
            .copied()
            .unwrap_or(self.cfg.qps);
        let share = (qps * factor / replicas as f64).max(0.01);
        Duration::from_secs_f64(1.0 / share)
    }

    /// Waits until a call of `method` is allowed: past any pause, then at the method's spacing,
    /// with up to `burst` calls at once after a quiet spell.
    pub async fn acquire(&self, method: &str) {
        loop {
            let wait = {
                let replicas = self.replicas.load(Ordering::Relaxed);
                let mut map = self.methods.lock().unwrap_or_else(|p| p.into_inner());
                let now = Instant::now();
                let m = map.entry(method.to_string()).or_insert_with(|| Method {
                    replicas,
                    factor: 1.0,
                    successes: 0,
                    interval: self.interval(method, replicas, 1.0),
                    tat: now,
                    paused_until: None,
                    strikes: 0,
                });
                if m.replicas != replicas {
                    m.replicas = replicas;
                    m.interval = self.interval(method, replicas, m.factor);
                }
                match m.paused_until {
                    Some(until) if until > now => until - now,
                    _ => {
                        let tolerance = m.interval * self.cfg.burst.max(1).saturating_sub(1);
                        let earliest = m.tat.checked_sub(tolerance).unwrap_or(now);
                        if earliest <= now {
                            m.tat = m.tat.max(now) + m.interval;
                            return;
                        }
                        earliest - now
                    }
                }
            };
            tokio::time::sleep(wait).await;
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
            m.interval = self.interval(method, m.replicas, m.factor);
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
                m.interval = self.interval(method, m.replicas, m.factor);
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

    /// Calls granted in every one-second window of a run in which the share changes twice.
    #[tokio::test(start_paused = true)]
    async fn a_change_of_share_never_grants_a_burst() {
        let l = std::sync::Arc::new(Limits::new(RateConfig {
            qps: 20.0,
            burst: 1,
            method_qps: BTreeMap::new(),
        }));
        let start = Instant::now();
        let times = std::sync::Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for _ in 0..16 {
            let (l, times) = (l.clone(), times.clone());
            tasks.push(tokio::spawn(async move {
                while start.elapsed() < Duration::from_secs(6) {
                    l.acquire("m").await;
                    times.lock().unwrap().push(start.elapsed());
                }
            }));
        }
        // A second replica joins at 2 s (share 10/s), leaves at 4 s (back to 20/s).
        tokio::time::sleep(Duration::from_secs(2)).await;
        l.set_replicas(2);
        tokio::time::sleep(Duration::from_secs(2)).await;
        l.set_replicas(1);
        for t in tasks {
            t.await.unwrap();
        }
        let times = times.lock().unwrap().clone();
        let own_share = |at: Duration| {
            if (2.0..4.0).contains(&at.as_secs_f64()) {
                10
            } else {
                20
            }
        };
        for ms in (0..5000).step_by(50) {
            let from = Duration::from_millis(ms);
            let to = from + Duration::from_secs(1);
            let n = times.iter().filter(|t| **t >= from && **t < to).count();
            // The window's allowance: its share per second, plus the one call GCRA lets in at
            // the window's edge.
            let allowed = own_share(from).max(own_share(to - Duration::from_millis(1))) + 1;
            assert!(n <= allowed, "{n} calls in [{from:?}, {to:?}) > {allowed}");
        }
    }
}
