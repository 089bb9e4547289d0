//! Running photo jobs: on the blocking pool (decoding and encoding are CPU work that would stall
//! the async workers), at most one per core, under a decoded-memory budget shared by all jobs of all
//! tenants, and with a time limit each.
//!
//! The budget is what bounds the daemon's memory: a 48 MP photo's decode is charged before it
//! starts (from its header, see `decode::probe`), and waits while others hold the budget. A job
//! larger than the whole budget runs alone rather than never.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;

use super::{probe, process_until, Deadline, PhotoError, PhotoSettings, Processed};

#[derive(Debug, Clone)]
pub struct PoolConfig {
    /// Jobs at once; default: the number of cores.
    pub jobs: usize,
    /// Decoded bytes all running jobs may hold together.
    pub memory_bytes: u64,
    /// Per photo, from the moment its job starts.
    pub timeout: Duration,
}

impl Default for PoolConfig {
    fn default() -> Self {
        Self {
            jobs: std::thread::available_parallelism().map_or(2, |n| n.get()),
            memory_bytes: DEFAULT_MEMORY_MB << 20,
            timeout: Duration::from_secs(60),
        }
    }
}

/// Makes freed photo buffers go back to the system. glibc serves large allocations with their own
/// mappings, but raises that threshold after each large free (up to 32 MiB), so a decoded photo
/// of tens of MB soon lands in the heap, where its pages stay counted in the process's memory long
/// after it is freed. Pinned at 1 MiB, two jobs on 20 MP photos peaked at 232 MB instead of
/// 357 MB, at the same speed (docs/BENCHMARKS.md). Called once at start, before any thread.
pub fn return_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; it is called before other threads exist.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

/// The default decoded-memory budget, in MiB: two 20 MP photos at once, a 48 MP one alone, so a
/// daemon on a small VM stays near 300 MB however large the operator's photos are.
pub const DEFAULT_MEMORY_MB: u64 = 256;

/// Budget permits are MiB.
const UNIT: u64 = 1 << 20;

#[derive(Debug)]
pub struct Pool {
    jobs: Arc<Semaphore>,
    memory: Arc<Semaphore>,
    memory_units: u32,
    timeout: Duration,
}

impl Pool {
    pub fn new(config: PoolConfig) -> Self {
        let memory_units = (config.memory_bytes / UNIT).clamp(1, u64::from(u32::MAX >> 4)) as u32;
        Self {
            jobs: Arc::new(Semaphore::new(config.jobs.max(1))),
            memory: Arc::new(Semaphore::new(memory_units as usize)),
            memory_units,
            timeout: config.timeout,
        }
    }

    /// Decoded bytes held by running jobs now.
    pub fn memory_in_use(&self) -> u64 {
        u64::from(self.memory_units).saturating_sub(self.memory.available_permits() as u64) * UNIT
    }

    pub async fn process(
        &self,
        bytes: Vec<u8>,
        settings: PhotoSettings,
    ) -> Result<Processed, PhotoError> {
        let closed = || PhotoError::Encode("photo pool closed".into());
        // The header alone: cheap enough for the async thread.
        let need = probe(&bytes, settings.long_edge, settings.max_pixels)?.peak_bytes;
        let units = (need.div_ceil(UNIT) as u32).clamp(1, self.memory_units);
        let memory = Arc::clone(&self.memory)
            .acquire_many_owned(units)
            .await
            .map_err(|_| closed())?;
        let job = Arc::clone(&self.jobs)
            .acquire_owned()
            .await
            .map_err(|_| closed())?;
        let limit = self.timeout;
        let task = tokio::task::spawn_blocking(move || {
            // The permits live as long as the work, even if the caller stops waiting for it.
            let _held = (memory, job);
            process_until(&bytes, &settings, &Deadline::after(limit))
        });
        // The deadline is checked between steps; this covers a single step that overruns.
        match tokio::time::timeout(limit + Duration::from_secs(5), task).await {
            Ok(Ok(result)) => result,
            Ok(Err(e)) => Err(PhotoError::Corrupt(format!("photo job failed: {e}"))),
            Err(_) => Err(PhotoError::Timeout(limit)),
        }
    }
}
