//! Counters a test reads to judge a client: calls per method and outcome, calls refused for rate,
//! and calls that overlapped for one room (which a correct engine never makes).

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use serde_json::{json, Value};

#[derive(Default)]
pub struct Stats {
    // A std mutex: counters are bumped without await points.
    inner: Mutex<Counters>,
}

#[derive(Default)]
struct Counters {
    calls: BTreeMap<String, BTreeMap<String, u64>>,
    in_flight: HashMap<String, u32>,
    concurrent_room_calls: u64,
}

/// Marks a room busy for as long as it lives.
pub struct RoomGuard<'a> {
    stats: &'a Stats,
    key: String,
}

impl Stats {
    fn lock(&self) -> std::sync::MutexGuard<'_, Counters> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn record(&self, method: &str, outcome: &str) {
        *self
            .lock()
            .calls
            .entry(method.to_string())
            .or_default()
            .entry(outcome.to_string())
            .or_default() += 1;
    }

    pub fn enter_room(&self, key: String) -> RoomGuard<'_> {
        let mut c = self.lock();
        let n = c.in_flight.entry(key.clone()).or_default();
        *n += 1;
        if *n > 1 {
            c.concurrent_room_calls += 1;
        }
        RoomGuard { stats: self, key }
    }

    pub fn to_json(&self) -> Value {
        let c = self.lock();
        let limited: u64 = c
            .calls
            .values()
            .flat_map(|o| o.iter())
            .filter(|(k, _)| k.starts_with("40005/"))
            .map(|(_, n)| n)
            .sum();
        let total: u64 = c.calls.values().flat_map(|o| o.values()).sum();
        json!({
            "calls": c.calls,
            "total_calls": total,
            "limited_calls": limited,
            "concurrent_room_calls": c.concurrent_room_calls,
        })
    }
}

impl Drop for RoomGuard<'_> {
    fn drop(&mut self) {
        let mut c = self.stats.lock();
        if let Some(n) = c.in_flight.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                c.in_flight.remove(&self.key);
            }
        }
    }
}
