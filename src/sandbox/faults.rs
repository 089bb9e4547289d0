//! Fault injection: the sandbox misbehaves on purpose, at configured rates and from a seed, so a
//! test run can be repeated. Faults before the call are failures the platform never saw; faults
//! after it (a lost or corrupted answer) happen to calls the platform did apply, which is what
//! makes retries produce duplicates in real life.

use std::sync::Mutex;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct FaultConfig {
    pub seed: u64,
    /// Added to every answer.
    pub latency_ms: u64,
    /// Extra latency drawn uniformly from 0..=jitter_ms.
    pub jitter_ms: u64,
    /// Rates in 0.0..=1.0.
    pub http_5xx: f64,
    pub service_unavailable: f64,
    /// Rate of `40005` answers beyond the real flow control (throttling bursts).
    pub throttle: f64,
    pub timeout: f64,
    pub drop: f64,
    pub malformed: f64,
    pub bad_signature: f64,
    /// How long a "timeout" answer hangs before it is dropped.
    pub hang_ms: u64,
    /// Methods the latency and faults apply to, by their name's end (`room.state.sync`); every
    /// method when empty.
    pub methods: Vec<String>,
}

/// What to do to one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    None,
    /// HTTP 502 before the call is applied.
    Http5xx,
    /// `20000 isp.unknow-error` before the call is applied.
    ServiceUnavailable,
    /// `40005 isv.method-call-limited` before the call is applied.
    Throttle,
    /// The call is applied, then the answer never comes (the client times out).
    Timeout,
    /// The call is applied, then the connection is cut mid-answer.
    Drop,
    /// The call is applied, then the answer is not JSON.
    Malformed,
    /// The call is applied, then the answer is signed with the wrong key.
    BadSignature,
}

pub struct Faults {
    // A std mutex: the critical section is a few random draws, never held across an await.
    inner: Mutex<(FaultConfig, StdRng)>,
}

impl Faults {
    pub fn new(cfg: FaultConfig) -> Self {
        let rng = StdRng::seed_from_u64(cfg.seed);
        Self {
            inner: Mutex::new((cfg, rng)),
        }
    }

    /// New fault rates from now on (a test turns a misbehaving platform into a healthy one).
    pub fn set(&self, cfg: FaultConfig) {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner.1 = StdRng::seed_from_u64(cfg.seed);
        inner.0 = cfg;
    }

    /// Draws the latency and the fault of one call of `method`.
    pub fn draw(&self, method: &str) -> (Duration, Fault) {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let (c, rng) = &mut *inner;
        let jitter = if c.jitter_ms > 0 {
            rng.gen_range(0..=c.jitter_ms)
        } else {
            0
        };
        let latency = Duration::from_millis(c.latency_ms + jitter);
        let roll: f64 = rng.gen();
        if !c.methods.is_empty() && !c.methods.iter().any(|m| method.ends_with(m.as_str())) {
            return (Duration::ZERO, Fault::None);
        }
        let table = [
            (c.http_5xx, Fault::Http5xx),
            (c.service_unavailable, Fault::ServiceUnavailable),
            (c.throttle, Fault::Throttle),
            (c.timeout, Fault::Timeout),
            (c.drop, Fault::Drop),
            (c.malformed, Fault::Malformed),
            (c.bad_signature, Fault::BadSignature),
        ];
        let mut acc = 0.0;
        for (rate, fault) in table {
            acc += rate;
            if roll < acc {
                return (latency, fault);
            }
        }
        (latency, Fault::None)
    }

    pub fn hang(&self) -> Duration {
        let hang_ms = self
            .inner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .0
            .hang_ms;
        Duration::from_millis(if hang_ms == 0 { 60_000 } else { hang_ms })
    }
}
