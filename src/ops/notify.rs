//! systemd's notify protocol: READY once migrations ran and the first poll finished, RELOADING
//! and READY around a reload, STOPPING on shutdown, and WATCHDOG pings that come only while every
//! tenant's scheduler loop turns over, so a stuck loop gets the service restarted. A long backlog
//! or a hung call does not stop a loop from turning (see `worker::scheduler`). Outside systemd (no
//! NOTIFY_SOCKET) every call is a no-op.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sd_notify::NotifyState;

pub fn ready() {
    let _ = sd_notify::notify(false, &[NotifyState::Ready]);
}

pub fn reloading() {
    let _ = sd_notify::notify(false, &[NotifyState::Reloading]);
}

pub fn stopping() {
    let _ = sd_notify::notify(false, &[NotifyState::Stopping]);
}

pub fn status(text: &str) {
    let _ = sd_notify::notify(false, &[NotifyState::Status(text)]);
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// The scheduler loops' beats, by loop name, read by the watchdog task. With no loop registered
/// (starting, between two runtimes of a reload) the process counts as alive.
#[derive(Default)]
pub struct Liveness {
    // A std mutex: a map insert per turn, never held across an await.
    beats: Mutex<HashMap<String, u64>>,
}

impl Liveness {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, u64>> {
        self.beats.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Loop `name` turned over.
    pub fn beat(&self, name: &str) {
        let now = now_ms();
        let mut beats = self.lock();
        match beats.get_mut(name) {
            Some(t) => *t = now,
            None => {
                beats.insert(name.to_string(), now);
            }
        }
    }

    /// Forgets every loop: the runtime they belonged to stopped.
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// Since the loop that beat longest ago last did, and its name.
    fn oldest(&self) -> Option<(String, Duration)> {
        let now = now_ms();
        self.lock()
            .iter()
            .min_by_key(|(_, t)| **t)
            .map(|(n, t)| (n.clone(), Duration::from_millis(now.saturating_sub(*t))))
    }
}

/// `WATCHDOG_USEC`, for this process: as libsystemd reads it, a missing `WATCHDOG_PID` means
/// the watchdog is meant for whoever reads the variable.
fn watchdog_interval() -> Option<Duration> {
    let usec: u64 = std::env::var("WATCHDOG_USEC").ok()?.parse().ok()?;
    if let Ok(pid) = std::env::var("WATCHDOG_PID") {
        if pid.parse::<u32>().ok()? != std::process::id() {
            return None;
        }
    }
    (usec > 0).then(|| Duration::from_micros(usec))
}

/// Pings the watchdog at half its interval (as sd_watchdog_enabled(3) advises), but only while
/// every loop beat within the interval.
pub fn spawn_watchdog(liveness: Arc<Liveness>) {
    let Some(interval) = watchdog_interval() else {
        return;
    };
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(interval / 2).await;
            match liveness.oldest() {
                Some((name, age)) if age >= interval => tracing::error!(loop_name = %name,
                    stuck_for = ?age, "scheduler loop stuck: withholding the watchdog ping"),
                _ => {
                    let _ = sd_notify::notify(false, &[NotifyState::Watchdog]);
                }
            }
        }
    });
}
