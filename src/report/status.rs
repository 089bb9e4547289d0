//! `rentsync status`: the outbox by tenant and status, the oldest waiting item, recent failures,
//! and rooms synced with warnings (photos skipped or refused, each naming the room, photo and why).

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::Serialize;

use super::Format;
use crate::outbox::{FailureRow, TaskCount, TaskRow, WarningRow};

#[derive(Debug, Default, Serialize)]
pub struct StatusReport {
    /// tenant → status → items.
    pub items: BTreeMap<String, BTreeMap<String, i64>>,
    pub oldest_pending_secs: Option<i64>,
    pub recent_failures: Vec<FailureRow>,
    /// tenant → invalid rooms the platform may still show at their older values.
    pub live_with_older_values: BTreeMap<String, i64>,
    /// Delists held by the mass-delist guard.
    pub delist_holds: Vec<crate::outbox::DelistHold>,
    /// The running daemon's readiness (`/readyz`), when one answers.
    pub daemon: Option<String>,
    pub recent_warnings: Vec<WarningRow>,
    /// Tasks (deliveries, lease and bill syncs, feedback) per tenant, kind and status.
    pub tasks: Vec<TaskCount>,
    /// Tasks given up ("dead": refused, or out of attempts), newest first.
    pub dead_tasks: Vec<TaskRow>,
    /// Tasks whose source row breaks a rule (never sent until it is fixed), newest first.
    pub invalid_tasks: Vec<TaskRow>,
    /// Stored SPI callbacks: (tenant, type, count).
    pub callbacks: Vec<(String, String, i64)>,
}

impl StatusReport {
    pub fn render(&self, format: Format) -> String {
        match format {
            Format::Json => serde_json::to_string_pretty(self).unwrap_or_default(),
            Format::Markdown | Format::Table => self.table(format == Format::Markdown),
            Format::Html => super::html::status(self),
        }
    }

    fn table(&self, markdown: bool) -> String {
        let statuses = ["pending", "leased", "retry", "done", "failed", "invalid"];
        let mut out = String::new();
        if markdown {
            let _ = writeln!(out, "| Tenant | {} |", statuses.join(" | "));
            let _ = writeln!(out, "|---|{}", "---:|".repeat(statuses.len()));
        } else {
            let _ = write!(out, "{:<16}", "tenant");
            for s in statuses {
                let _ = write!(out, "{s:>10}");
            }
            out.push('\n');
        }
        for (tenant, counts) in &self.items {
            let cells: Vec<String> = statuses
                .iter()
                .map(|s| counts.get(*s).copied().unwrap_or(0).to_string())
                .collect();
            if markdown {
                let _ = writeln!(out, "| {tenant} | {} |", cells.join(" | "));
            } else {
                let _ = write!(out, "{tenant:<16}");
                for c in cells {
                    let _ = write!(out, "{c:>10}");
                }
                out.push('\n');
            }
        }
        match self.oldest_pending_secs {
            Some(s) => {
                let _ = writeln!(out, "\noldest waiting item: {s} s");
            }
            None => {
                let _ = writeln!(out, "\nnothing waiting");
            }
        }
        if let Some(d) = &self.daemon {
            let _ = writeln!(out, "daemon {d}");
        }
        for (tenant, n) in &self.live_with_older_values {
            let _ = writeln!(
                out,
                "{tenant}: {n} invalid room(s) live with older values (invalid_listings = \"off_shelf\" takes them off)"
            );
        }
        for h in &self.delist_holds {
            let _ = writeln!(
                out,
                "{}: mass delist HELD on {}: {} of {} live rooms gone from the view{}; check the view, \
                 then `rentsync delist --confirm` if the deletes are real",
                h.tenant,
                h.view,
                h.gone,
                h.live,
                if h.confirmed { " (confirmed, goes out at the next scan)" } else { "" }
            );
        }
        if !self.recent_failures.is_empty() {
            let _ = writeln!(out, "\nrecent failures:");
            for f in &self.recent_failures {
                let live = if f.live_with_older_values {
                    " [live with older values]"
                } else {
                    ""
                };
                let _ = writeln!(
                    out,
                    "  {} {} {} {}{live} (attempts {}): {} {}",
                    f.tenant, f.kind, f.room_code, f.status, f.attempts, f.code, f.message
                );
            }
        }
        self.tasks_table(&mut out);
        if !self.recent_warnings.is_empty() {
            let _ = writeln!(out, "\nsynced with warnings:");
            for w in &self.recent_warnings {
                for line in w.warnings.split("; ") {
                    let _ = writeln!(out, "  {} {} {}: {line}", w.tenant, w.kind, w.room_code);
                }
            }
        }
        out
    }

    /// Tasks by kind and status, the dead ones with their last error, and stored callbacks.
    fn tasks_table(&self, out: &mut String) {
        if !self.callbacks.is_empty() {
            let _ = writeln!(out, "\nSPI callbacks stored:");
            for (tenant, ty, n) in &self.callbacks {
                let _ = writeln!(out, "  {tenant:<16}{ty:<20}{n:>8}");
            }
        }
        if !self.tasks.is_empty() {
            let _ = writeln!(out, "\ntasks:");
            for t in &self.tasks {
                let _ = writeln!(
                    out,
                    "  {:<16}{:<20}{:<10}{:>8}",
                    t.tenant, t.kind, t.status, t.count
                );
            }
        }
        if !self.dead_tasks.is_empty() {
            let _ = writeln!(
                out,
                "\ndead tasks (`rentsync retry --tasks` works them again):"
            );
            for t in &self.dead_tasks {
                let _ = writeln!(
                    out,
                    "  {} {} {} (attempts {}): {} {}",
                    t.tenant,
                    t.kind,
                    t.key,
                    t.attempts,
                    t.last_code.as_deref().unwrap_or("-"),
                    t.last_error.as_deref().unwrap_or("")
                );
            }
        }
        if !self.invalid_tasks.is_empty() {
            let _ = writeln!(
                out,
                "\ntasks that break a rule (fix the source row; they are never sent as they are):"
            );
            for t in &self.invalid_tasks {
                let _ = writeln!(
                    out,
                    "  {} {} {}: {}",
                    t.tenant,
                    t.kind,
                    t.key,
                    t.last_error.as_deref().unwrap_or("")
                );
            }
        }
    }
}
