//! What a dry-run found: per tenant, what would be created, updated, flipped, taken off shelf or
//! left alone, and every rule break grouped by rule with the rooms it affects.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::Serialize;

use super::Format;

/// Rooms named per rule break; the count is always complete.
const SAMPLE_ROOMS: usize = 20;

#[derive(Debug, Default, Serialize)]
pub struct DryRunReport {
    pub tenants: Vec<TenantPlan>,
    /// Tenants whose source could not be read: named, with the cause, and never planned.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unreadable: Vec<UnreadableTenant>,
}

#[derive(Debug, Clone, Serialize)]
pub struct UnreadableTenant {
    pub tenant: String,
    pub error: String,
}

#[derive(Debug, Default, Serialize)]
pub struct TenantPlan {
    pub tenant: String,
    /// The platform family that serves the tenant (`renthouse` or `housing`).
    pub family: String,
    pub rows: u64,
    pub create: u64,
    pub update: u64,
    pub state_change: u64,
    pub take_off: u64,
    pub unchanged: u64,
    pub invalid: u64,
    pub photos_to_process: u64,
    pub communities_to_resolve: u64,
    pub breaks: Vec<BreakGroup>,
    /// Filled source columns the family cannot carry, with the rooms that fill them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub uncarried: Vec<Uncarried>,
    #[serde(skip)]
    groups: BTreeMap<(String, String), BreakGroup>,
    #[serde(skip)]
    uncarried_counts: BTreeMap<(String, String), u64>,
}

/// A source column the tenant's family cannot carry, and how many rooms fill it.
#[derive(Debug, Clone, Serialize)]
pub struct Uncarried {
    /// `dispersion` or `concentration`: which view.
    pub view: String,
    pub column: String,
    pub rooms: u64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct BreakGroup {
    pub field: String,
    pub rule: String,
    pub rooms: u64,
    pub sample: Vec<String>,
}

impl TenantPlan {
    pub fn new(tenant: &str) -> Self {
        Self {
            tenant: tenant.to_string(),
            ..Default::default()
        }
    }

    pub fn add_break(&mut self, room: &str, field: &str, rule: &str) {
        let g = self
            .groups
            .entry((field.to_string(), rule.to_string()))
            .or_insert_with(|| BreakGroup {
                field: field.to_string(),
                rule: rule.to_string(),
                ..Default::default()
            });
        g.rooms += 1;
        if g.sample.len() < SAMPLE_ROOMS {
            g.sample.push(room.to_string());
        }
    }

    pub fn add_uncarried(&mut self, view: &str, column: &str) {
        *self
            .uncarried_counts
            .entry((view.to_string(), column.to_string()))
            .or_default() += 1;
    }

    /// `source columns family housing cannot carry: dispersion.min_rent_days (12 rooms), …`.
    pub fn uncarried_line(&self) -> Option<String> {
        if self.uncarried.is_empty() {
            return None;
        }
        let cols: Vec<String> = self
            .uncarried
            .iter()
            .map(|u| format!("{}.{} ({} rooms)", u.view, u.column, u.rooms))
            .collect();
        Some(format!(
            "source columns family {} cannot carry: {}",
            self.family,
            cols.join(", ")
        ))
    }

    /// The summary lines every format shows, in one order.
    pub fn actions(&self) -> [(&'static str, u64); 8] {
        [
            ("create", self.create),
            ("update", self.update),
            ("state change", self.state_change),
            ("take off shelf", self.take_off),
            ("unchanged", self.unchanged),
            ("invalid (never sent)", self.invalid),
            ("photos to process", self.photos_to_process),
            ("communities to resolve", self.communities_to_resolve),
        ]
    }

    pub fn finish(&mut self) {
        let mut groups: Vec<BreakGroup> = std::mem::take(&mut self.groups).into_values().collect();
        groups.sort_by(|a, b| b.rooms.cmp(&a.rooms).then(a.field.cmp(&b.field)));
        self.breaks = groups;
        self.uncarried = std::mem::take(&mut self.uncarried_counts)
            .into_iter()
            .map(|((view, column), rooms)| Uncarried {
                view,
                column,
                rooms,
            })
            .collect();
    }
}

impl DryRunReport {
    pub fn has_problems(&self) -> bool {
        !self.unreadable.is_empty() || self.tenants.iter().any(|t| t.invalid > 0)
    }

    pub fn render(&self, format: Format) -> String {
        match format {
            Format::Json => serde_json::to_string_pretty(self).unwrap_or_default(),
            Format::Markdown => self.markdown(),
            Format::Html => super::html::dry_run(self),
            Format::Table => self.table(),
        }
    }

    fn table(&self) -> String {
        let mut out = String::new();
        for t in &self.tenants {
            let _ = writeln!(out, "tenant {} ({} rows read)", t.tenant, t.rows);
            for (label, n) in t.actions() {
                let _ = writeln!(out, "  {label:<24}{n:>10}");
            }
            if !t.uncarried.is_empty() {
                let _ = writeln!(out, "  source columns family {} cannot carry:", t.family);
                for u in &t.uncarried {
                    let col = format!("{}.{}", u.view, u.column);
                    let _ = writeln!(out, "    {col:<44}{:>7} rooms", u.rooms);
                }
            }
            if !t.breaks.is_empty() {
                let _ = writeln!(out, "  rule breaks:");
                for b in &t.breaks {
                    let _ = writeln!(
                        out,
                        "    {:>7} rooms  {}: {}  (e.g. {})",
                        b.rooms,
                        crate::plan::rules::titled(&b.field),
                        b.rule,
                        b.sample
                            .iter()
                            .take(5)
                            .cloned()
                            .collect::<Vec<_>>()
                            .join(", ")
                    );
                }
            }
        }
        out
    }

    fn markdown(&self) -> String {
        let mut out = String::from("# rentsync dry-run\n");
        for t in &self.tenants {
            let _ = writeln!(out, "\n## Tenant `{}`\n\n{} rows read.\n", t.tenant, t.rows);
            let _ = writeln!(out, "| Action | Rooms |\n|---|---:|");
            for (label, n) in t.actions() {
                let _ = writeln!(out, "| {label} | {n} |");
            }
            if !t.uncarried.is_empty() {
                let _ = writeln!(
                    out,
                    "\nSource columns family `{}` cannot carry:\n",
                    t.family
                );
                for u in &t.uncarried {
                    let _ = writeln!(out, "- `{}.{}`: {} rooms", u.view, u.column, u.rooms);
                }
            }
            if !t.breaks.is_empty() {
                let _ = writeln!(
                    out,
                    "\n### Rule breaks\n\n| Field | Rule | Rooms | Examples |\n|---|---|---:|---|"
                );
                for b in &t.breaks {
                    let _ = writeln!(
                        out,
                        "| `{}` {} | {} | {} | {} |",
                        b.field,
                        crate::plan::rules::title(&b.field).unwrap_or(""),
                        b.rule.replace('|', "\\|"),
                        b.rooms,
                        b.sample
                            .iter()
                            .take(5)
                            .cloned()
                            .collect::<Vec<_>>()
                            .join(", ")
                    );
                }
            }
        }
        out
    }
}
