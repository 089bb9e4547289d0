//! Rate limits per (tenant, API method), GCRA. The tenant's configured rate is split between the
//! live replicas (decision 8: together they respect the limit). A change of share (a replica joins
//! or leaves, a throttle halves the rate) changes the spacing of the next calls only: the
//! theoretical arrival time carries over, so a re-pace never grants a fresh burst, and every
//! waiter re-reads the spacing when it wakes instead of holding on to an old limiter.
//!
//! Throttling answers (`40005`) are weighed by their share of the recent answers. A stray one
//! (under [`SLOW_DOWN_SHARE`] of the last seconds' answers: the platform's own hiccup, or a burst
//! of another app on a shared limit) costs only its own retry: slowing every worker down for it
//! cost a quarter of the rate for the rest of a run at 3 % stray throttling. When refusals are
//! frequent, we are above the platform's real limit: the rate drops by [`DECREASE`] (at most
//! once a second, so the answers of calls already in flight count once), down to a quarter, and
//! refusals that go on despite it pause the method for every worker, longer each time. The rate
//! is won back with time, [`RECOVER_PER_SEC`] of the configured rate per second once refusals
//! have stopped: from a quarter to over 90 % within 10 s of the last throttle.

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
    /// Share of the configured rate in use: 1.0, lowered on throttling, raised with time.
    factor: f64,
    /// The recent answers and refusals: this second's and the last one's.
    window: Window,
    last_decrease: Option<Instant>,
    last_raise: Instant,
    /// Time between two calls at the current share.
    interval: Duration,
    /// When the next call is due if calls came evenly spaced (GCRA's theoretical arrival time).
    tat: Instant,
    paused_until: Option<Instant>,
    strikes: u32,
}

const MIN_FACTOR: f64 = 0.25;
/// Share of recent answers that were throttles above which the rate goes down.
pub const SLOW_DOWN_SHARE: f64 = 0.10;
/// The fewest answers a share is taken of: at low rates, two throttles in a row are not 100 %.
const MIN_SAMPLE: u32 = 20;
/// The fewest throttles in the window that can slow a method: a method called a few times a
/// second (community syncs) reaches 10 % of 20 with two stray refusals.
const MIN_THROTTLES: u32 = 3;
/// What a decrease multiplies the rate by.
const DECREASE: f64 = 0.7;
/// Share of the configured rate won back per second, from [`RECOVER_DELAY`] after the last
/// decrease: from a quarter to 90 % in 8.5 s.
const RECOVER_PER_SEC: f64 = 0.1;
/// How long refusals must have stopped before the rate is won back.
const RECOVER_DELAY: Duration = Duration::from_secs(2);

/// Answers and throttles over the current and the previous second.
#[derive(Default)]
struct Window {
    start: Option<Instant>,
    answers: [u32; 2],
    throttles: [u32; 2],
}

impl Window {
    fn roll(&mut self, now: Instant) {
        let start = *self.start.get_or_insert(now);
        let age = now.saturating_duration_since(start);
        if age >= Duration::from_secs(2) {
            *self = Window {
                start: Some(now),
                ..Default::default()
            };
        } else if age >= Duration::from_secs(1) {
            self.answers = [0, self.answers[0]];
            self.throttles = [0, self.throttles[0]];
            self.start = Some(start + Duration::from_secs(1));
        }
    }

    fn throttles(&self) -> u32 {
        self.throttles[0] + self.throttles[1]
    }

    fn throttle_share(&self) -> f64 {
        let answers = self.answers[0] + self.answers[1];
        self.throttles() as f64 / answers.max(MIN_SAMPLE) as f64
    }
}

/// The theoretical arrival time after a call granted at `now`. A waiter woken late (timer
/// granularity, a busy runtime) keeps the schedule instead of pushing it back by its lateness: at
/// 50/s, 1 ms late per call capped the rate at 47.6/s. Lateness over one interval is idleness,
/// never a credit for a burst.
fn next_arrival(tat: Instant, now: Instant, interval: Duration) -> Instant {
    let behind = now.saturating_duration_since(tat);
    (if behind < interval { tat } else { now }) + interval
}

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
                    window: Window::default(),
                    last_decrease: None,
                    last_raise: now,
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
                            m.tat = next_arrival(m.tat, now, m.interval);
                            return;
                        }
                        earliest - now
                    }
                }
            };
            tokio::time::sleep(wait).await;
        }
    }

    /// The platform said 40005. Returns how long the method is paused for every worker (zero for
    /// a stray refusal).
    pub fn throttled(&self, method: &str) -> Duration {
        let mut map = self.methods.lock().unwrap_or_else(|p| p.into_inner());
        let Some(m) = map.get_mut(method) else {
            return Duration::ZERO;
        };
        let now = Instant::now();
        m.window.roll(now);
        m.window.answers[0] += 1;
        m.window.throttles[0] += 1;
        if m.window.throttle_share() < SLOW_DOWN_SHARE || m.window.throttles() < MIN_THROTTLES {
            return Duration::ZERO;
        }
        let recent = m
            .last_decrease
            .is_some_and(|t| now.saturating_duration_since(t) < Duration::from_secs(1));
        if recent {
            // Answers of calls sent before the last decrease: it is already accounted for.
            return m
                .paused_until
                .map_or(Duration::ZERO, |u| u.saturating_duration_since(now));
        }
        // Refusals that go on past a decrease made a second or two ago: pause, longer each time.
        let persisting = m
            .last_decrease
            .is_some_and(|t| now.saturating_duration_since(t) < Duration::from_secs(3));
        m.strikes = if persisting {
            (m.strikes + 1).min(6)
        } else {
            0
        };
        m.last_decrease = Some(now);
        m.last_raise = now;
        if m.factor > MIN_FACTOR {
            m.factor = (m.factor * DECREASE).max(MIN_FACTOR);
            m.interval = self.interval(method, m.replicas, m.factor);
        }
        if m.strikes == 0 {
            return Duration::ZERO;
        }
        let pause = Duration::from_millis(250 << (m.strikes - 1));
        m.paused_until = Some(now + pause);
        pause
    }

    /// Calls per second this replica may make of `method` now: its configured rate, its share
    /// among the replicas, and any slowdown after throttling.
    pub fn rate(&self, method: &str) -> f64 {
        let replicas = self.replicas.load(Ordering::Relaxed);
        1.0 / self
            .interval(method, replicas, self.factor(method))
            .as_secs_f64()
    }

    /// The share of the configured rate `method` runs at now (1.0 unless throttled lately).
    pub fn factor(&self, method: &str) -> f64 {
        let map = self.methods.lock().unwrap_or_else(|p| p.into_inner());
        map.get(method).map_or(1.0, |m| m.factor)
    }

    /// A call went through: counted in the window, and the rate won back with the time since
    /// the last decrease.
    pub fn succeeded(&self, method: &str) {
        let mut map = self.methods.lock().unwrap_or_else(|p| p.into_inner());
        let Some(m) = map.get_mut(method) else {
            return;
        };
        let now = Instant::now();
        m.window.roll(now);
        m.window.answers[0] += 1;
        let settled = m
            .last_decrease
            .is_none_or(|t| now.saturating_duration_since(t) >= RECOVER_DELAY);
        if !settled {
            m.last_raise = now;
        } else if m.factor < 1.0 {
            let since = now.saturating_duration_since(m.last_raise);
            m.factor = (m.factor + RECOVER_PER_SEC * since.as_secs_f64()).min(1.0);
            m.last_raise = now;
            m.interval = self.interval(method, m.replicas, m.factor);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits::new(RateConfig {
            qps: 50.0,
            burst: 1,
            method_qps: BTreeMap::new(),
        })
    }

    fn first_call(l: &Limits) {
        futures_util::FutureExt::now_or_never(l.acquire("m")).expect("first call is free");
    }

    #[tokio::test(start_paused = true)]
    async fn stray_throttles_cost_nothing_but_their_retry() {
        let l = limits();
        first_call(&l);
        // 3 % of answers refused, over 20 s at 50 calls/s.
        for i in 0..1000 {
            tokio::time::advance(Duration::from_millis(20)).await;
            if i % 33 == 0 {
                assert_eq!(
                    l.throttled("m"),
                    Duration::ZERO,
                    "a stray refusal paused the method"
                );
            } else {
                l.succeeded("m");
            }
        }
        assert_eq!(l.factor("m"), 1.0, "stray refusals slowed the method down");
    }

    // A method called a few times a second (community syncs) reaches a 10 % share with two
    // refusals; two stray ones must not slow it, nor pause its rooms behind it.
    #[tokio::test(start_paused = true)]
    async fn two_stray_throttles_do_not_slow_a_quiet_method() {
        let l = limits();
        first_call(&l);
        for i in 0..16 {
            tokio::time::advance(Duration::from_millis(250)).await;
            if i == 12 || i == 14 {
                assert_eq!(
                    l.throttled("m"),
                    Duration::ZERO,
                    "a stray refusal paused it"
                );
                assert_eq!(l.factor("m"), 1.0, "stray refusals slowed a quiet method");
            } else {
                l.succeeded("m");
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn frequent_throttles_slow_down_pause_and_time_wins_the_rate_back() {
        let l = limits();
        first_call(&l);
        // Half the answers refused: above the platform's real limit.
        let mut paused = Duration::ZERO;
        for i in 0..200 {
            tokio::time::advance(Duration::from_millis(20)).await;
            if i % 2 == 0 {
                paused = paused.max(l.throttled("m"));
            } else {
                l.succeeded("m");
            }
        }
        assert_eq!(l.factor("m"), MIN_FACTOR, "never below a quarter");
        assert!(
            paused > Duration::ZERO,
            "refusals that went on never paused the method"
        );
        // The refusals stop: within 10 s the method is back above 90 % of its rate.
        for _ in 0..500 {
            tokio::time::advance(Duration::from_millis(20)).await;
            l.succeeded("m");
        }
        assert!(l.factor("m") >= 0.9, "{}", l.factor("m"));
    }

    #[tokio::test(start_paused = true)]
    async fn refusals_in_flight_count_once() {
        let l = limits();
        first_call(&l);
        for _ in 0..30 {
            l.succeeded("m");
        }
        // 16 workers' calls refused at once: one decrease, no pause.
        for _ in 0..16 {
            assert_eq!(l.throttled("m"), Duration::ZERO);
        }
        assert!((l.factor("m") - DECREASE).abs() < 1e-9, "{}", l.factor("m"));
    }

    /// Waiters woken a millisecond late each (as a busy runtime wakes them) still get the
    /// configured rate, and never more than it.
    #[test]
    fn late_wakeups_do_not_lower_the_rate() {
        let interval = Duration::from_millis(20);
        let start = Instant::now();
        let (mut tat, mut now, mut granted) = (start, start, 0);
        while now < start + Duration::from_secs(10) {
            now = now.max(tat) + Duration::from_millis(1);
            tat = next_arrival(tat, now, interval);
            granted += 1;
        }
        assert!(
            (500..=501).contains(&granted),
            "{granted} calls in 10 s at 50/s"
        );
        // After a quiet spell the schedule starts from now: no burst.
        let later = tat + Duration::from_secs(5);
        assert_eq!(next_arrival(tat, later, interval), later + interval);
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
