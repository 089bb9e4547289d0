//! Who may call which TOP method now: the client-side pacing (per method, and optionally for the
//! whole app) that keeps bans rare, and the bans the gateway handed out anyway.
//!
//! A ban is held here for every worker of this process at once: the first call that hears
//! "This ban will last for N more seconds" stops every other caller of that method from knocking
//! during those N seconds (knocking extends some bans). Bans longer than the cap stop the method
//! instead: callers get `MethodStopped` at once rather than sleeping for hours.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

// Tokio's clock, so tests can run bans on paused time.
use tokio::time::Instant;

use crate::worker::{Limits, RateConfig};

#[derive(Debug, Clone, Copy)]
struct Ban {
    until: Instant,
    /// Longer than the cap: callers are refused instead of made to wait.
    stopped: bool,
}

pub struct Gate {
    per_method: Limits,
    per_app: Option<Limits>,
    // A std mutex: held only to read or write one entry, never across an await.
    bans: Mutex<HashMap<String, Ban>>,
}

impl Gate {
    pub fn new(rates: RateConfig, app_qps: Option<f64>) -> Self {
        Self {
            per_method: Limits::new(rates),
            per_app: app_qps.map(|qps| {
                Limits::new(RateConfig {
                    qps,
                    burst: 1,
                    method_qps: Default::default(),
                })
            }),
            bans: Mutex::new(HashMap::new()),
        }
    }

    /// Waits out a short ban and the pacing; `Err(remaining)` when the method is stopped.
    pub async fn admit(&self, method: &str) -> Result<(), Duration> {
        loop {
            match self.ban_left(method) {
                Some((left, true)) => return Err(left),
                Some((left, false)) => tokio::time::sleep(left).await,
                None => break,
            }
        }
        if let Some(app) = &self.per_app {
            app.acquire("*").await;
        }
        self.per_method.acquire(method).await;
        // A ban may have arrived while this caller was paced; it must not slip through.
        match self.ban_left(method) {
            Some((left, true)) => Err(left),
            Some((left, false)) => {
                tokio::time::sleep(left).await;
                Ok(())
            }
            None => Ok(()),
        }
    }

    /// Time left of a ban on `method`, and whether it stops the method.
    pub fn ban_left(&self, method: &str) -> Option<(Duration, bool)> {
        let now = Instant::now();
        let bans = self.bans.lock().unwrap_or_else(|p| p.into_inner());
        bans.get(method)
            .filter(|b| b.until > now)
            .map(|b| (b.until - now, b.stopped))
    }

    /// Records a ban; a later, longer ban replaces a shorter one, never the other way round.
    pub fn ban(&self, method: &str, length: Duration, stopped: bool) {
        let until = Instant::now() + length;
        let mut bans = self.bans.lock().unwrap_or_else(|p| p.into_inner());
        let entry = bans
            .entry(method.to_string())
            .or_insert(Ban { until, stopped });
        if until >= entry.until {
            *entry = Ban { until, stopped };
        }
    }

    pub fn succeeded(&self, method: &str) {
        self.per_method.succeeded(method);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_short_ban_is_waited_out_and_a_long_one_refuses() {
        let gate = Gate::new(RateConfig::default(), None);
        gate.ban("m", Duration::from_secs(3), false);
        let t = Instant::now();
        gate.admit("m").await.unwrap();
        assert!(t.elapsed() >= Duration::from_secs(3));
        gate.admit("other").await.unwrap();
        gate.ban("m", Duration::from_secs(3600), true);
        let left = gate.admit("m").await.unwrap_err();
        assert!(left > Duration::from_secs(3500));
        // A shorter ban heard later does not shorten it.
        gate.ban("m", Duration::from_secs(1), false);
        assert!(gate.admit("m").await.is_err());
    }
}
