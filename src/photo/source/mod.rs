//! Where a photo's bytes come from: a path (inside the tenant's `photo_dir`), `file://` (also
//! inside it) or `http(s)://` (public addresses, or networks the tenant allows). Photo locations
//! come from the operator's database, so they are untrusted (architecture decision 13): every
//! read is confined, capped and bounded in time, and a refusal names the rule that refused it so
//! the warning on the room says what to fix.

mod address;
mod local;
mod remote;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Semaphore;

pub use address::AddressPolicy;
pub use local::LocalRoot;
pub use remote::{Fetched, Validators};

/// Sources larger than this are not read at all (a phone photo is 3–20 MB).
pub const MAX_SOURCE_BYTES: u64 = 64 << 20;

/// Remote fetches at once per host: one slow CDN must not hold every worker, and an operator's
/// own photo server is not hammered by a resync of thousands of rooms.
pub const FETCHES_PER_HOST: usize = 4;

/// Why a photo's bytes could not be had. `rule` is set when we refused (the photo may exist, but
/// policy says no); without it the source itself failed (missing file, HTTP 404, timeout).
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("{}", self.render())]
pub struct SourceError {
    pub rule: Option<&'static str>,
    pub detail: String,
    /// Worth another try later (a timeout, a refused connection, HTTP 5xx): the room waits for
    /// the photo instead of going out without it.
    pub transient: bool,
}

impl SourceError {
    pub fn refused(rule: &'static str, detail: impl Into<String>) -> Self {
        Self {
            rule: Some(rule),
            detail: detail.into(),
            transient: false,
        }
    }

    pub fn unreadable(detail: impl Into<String>) -> Self {
        Self {
            rule: None,
            detail: detail.into(),
            transient: false,
        }
    }

    pub fn transient(detail: impl Into<String>) -> Self {
        Self {
            transient: true,
            ..Self::unreadable(detail)
        }
    }

    fn render(&self) -> String {
        match self.rule {
            Some(rule) => format!("refused by rule {rule}: {}", self.detail),
            None => self.detail.clone(),
        }
    }

    /// A short label for metrics.
    pub fn reason(&self) -> &'static str {
        if self.rule.is_some() {
            "refused"
        } else {
            "unreadable"
        }
    }
}

/// How long a photo source may take.
#[derive(Debug, Clone, Copy)]
pub struct Deadlines {
    pub connect: Duration,
    /// The whole fetch, redirects and body included, or the whole read of a local file.
    pub total: Duration,
}

impl Default for Deadlines {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(5),
            total: Duration::from_secs(30),
        }
    }
}

/// One tenant's photo sources: where local files may be, which addresses URLs may reach.
pub struct PhotoSource {
    local: LocalRoot,
    policy: Arc<AddressPolicy>,
    http: reqwest::Client,
    deadlines: Deadlines,
    // A std mutex: looked up and cloned without await points; the semaphores bound the fetches.
    hosts: Mutex<HashMap<String, Arc<Semaphore>>>,
}

impl PhotoSource {
    pub fn new(local: LocalRoot, policy: AddressPolicy, deadlines: Deadlines) -> Self {
        let policy = Arc::new(policy);
        Self {
            local,
            http: remote::client(Arc::clone(&policy), deadlines.connect),
            policy,
            deadlines,
            hosts: Mutex::new(HashMap::new()),
        }
    }

    /// The daemon's rule: local photos inside `photo_dir` only (none without one), public
    /// addresses plus `allow`.
    pub fn for_tenant(photo_dir: Option<PathBuf>, allow: AddressPolicy) -> Self {
        let local = match photo_dir {
            Some(d) => LocalRoot::Confined(d),
            None => LocalRoot::Refused,
        };
        Self::new(local, allow, Deadlines::default())
    }

    /// Reads or downloads one photo.
    pub async fn fetch(&self, location: &str) -> Result<Vec<u8>, SourceError> {
        match self.fetch_if_changed(location, None).await? {
            Fetched::Body { bytes, .. } => Ok(bytes),
            // Only answered to a conditional request, and this one had no validators.
            Fetched::NotModified => Err(SourceError::unreadable("fetch answered 304 unasked")),
        }
    }

    /// Like `fetch`; for a URL with `prior` validators, `NotModified` when the server says the
    /// copy we saw is still current.
    pub async fn fetch_if_changed(
        &self,
        location: &str,
        prior: Option<&Validators>,
    ) -> Result<Fetched, SourceError> {
        if !is_remote(location) {
            let path = local::resolve(&self.local, location)?;
            let bytes = local::read(path, location, self.deadlines.total).await?;
            return Ok(Fetched::Body {
                bytes,
                validators: Validators::default(),
            });
        }
        let permit = self.host_permits(location);
        let _permit = permit
            .acquire()
            .await
            .map_err(|_| SourceError::transient("photo fetches are shutting down"))?;
        let get = remote::get(&self.http, &self.policy, location, prior);
        match tokio::time::timeout(self.deadlines.total, get).await {
            Ok(r) => r,
            Err(_) => Err(SourceError::transient(format!(
                "fetch timed out after {:?}",
                self.deadlines.total
            ))),
        }
    }

    fn host_permits(&self, location: &str) -> Arc<Semaphore> {
        let host = reqwest::Url::parse(location)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_default();
        let mut hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
        // Forget hosts nobody is fetching from, so the map stays as small as the work in flight.
        if hosts.len() > 256 {
            hosts.retain(|_, s| Arc::strong_count(s) > 1);
        }
        Arc::clone(
            hosts
                .entry(host)
                .or_insert_with(|| Arc::new(Semaphore::new(FETCHES_PER_HOST))),
        )
    }
}

/// Whether a photo location is fetched over the network.
pub fn is_remote(location: &str) -> bool {
    let lower = location.get(..8).unwrap_or(location).to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

#[cfg(test)]
mod tests;
