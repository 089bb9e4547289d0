//! Whether a tenant can work, and why not: its source, its key files, its state. A tenant with a
//! problem is paused on its own while the others go on; readiness, metrics and the log show it.
//! The log gets one line when a tenant stops working and one when it works again, however often
//! the failing step is retried in between, so a broken tenant does not flood the journal.

use std::collections::BTreeMap;
use std::sync::Mutex;

/// The parts of a tenant that can fail; each names the config key an operator would look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Part {
    /// `source_database`: connection or read of the contract views.
    Source,
    /// `private_key_file` / `platform_public_key_file`.
    Keys,
    /// `state_database`: its writes (claims, outcomes) fail, e.g. a full disk.
    State,
}

impl Part {
    pub fn label(self) -> &'static str {
        match self {
            Part::Source => "source_database",
            Part::Keys => "key files",
            Part::State => "state_database",
        }
    }
}

pub struct TenantHealth {
    tenant: String,
    // A std mutex: read and written without await points.
    problems: Mutex<BTreeMap<Part, String>>,
}

impl TenantHealth {
    pub fn new(tenant: &str) -> Self {
        Self {
            tenant: tenant.to_string(),
            problems: Mutex::new(BTreeMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<Part, String>> {
        self.problems.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `part` failed with `cause` (already free of secrets). Logs only when the tenant was working.
    pub fn failed(&self, part: Part, cause: String) {
        let mut p = self.lock();
        let was_up = p.is_empty();
        p.insert(part, cause.clone());
        if was_up {
            tracing::error!(tenant = %self.tenant, part = part.label(), error = %cause,
                "tenant paused: it cannot work until this is fixed; retrying with backoff, the other tenants go on");
        } else {
            tracing::debug!(tenant = %self.tenant, part = part.label(), error = %cause, "tenant still failing");
        }
    }

    /// `part` works again. Logs when that makes the whole tenant work again.
    pub fn recovered(&self, part: Part) {
        let mut p = self.lock();
        if p.remove(&part).is_some() && p.is_empty() {
            tracing::info!(tenant = %self.tenant, part = part.label(), "tenant resumed");
        }
    }

    pub fn is_up(&self) -> bool {
        self.lock().is_empty()
    }

    /// Whether anything but `part` keeps the tenant from working.
    pub fn blocked_except(&self, part: Part) -> bool {
        self.lock().keys().any(|p| *p != part)
    }

    pub fn has(&self, part: Part) -> bool {
        self.lock().contains_key(&part)
    }

    /// One line per problem: `source_database: cannot connect to …`.
    pub fn problems(&self) -> Vec<String> {
        self.lock()
            .iter()
            .map(|(part, cause)| format!("{}: {cause}", part.label()))
            .collect()
    }
}
