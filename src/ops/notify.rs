//! systemd's notify protocol: READY once migrations ran and the first poll finished, RELOADING
//! and READY around a reload, STOPPING on shutdown, and WATCHDOG pings that come only while the
//! worker loop is alive, so a stuck loop gets the service restarted. Outside systemd (no
//! NOTIFY_SOCKET) every call is a no-op.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
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

/// The worker loop's heartbeat, read by the watchdog task.
#[derive(Default)]
pub struct Liveness {
    last_tick_ms: AtomicU64,
}

impl Liveness {
    pub fn tick(&self) {
        self.last_tick_ms.store(now_ms(), Ordering::Relaxed);
    }

    fn age(&self) -> Duration {
        Duration::from_millis(now_ms().saturating_sub(self.last_tick_ms.load(Ordering::Relaxed)))
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

/// Pings the watchdog at half its interval, but only while the loop ticked within the interval.
pub fn spawn_watchdog(liveness: Arc<Liveness>) {
    let Some(interval) = watchdog_interval() else {
        return;
    };
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(interval / 2).await;
            if liveness.age() < interval {
                let _ = sd_notify::notify(false, &[NotifyState::Watchdog]);
            } else {
                tracing::error!(stuck_for = ?liveness.age(), "worker loop stuck: withholding the watchdog ping");
            }
        }
    });
}
