//! The family part of a tenant's dry-run: which platform family serves it, the source columns
//! that family cannot carry (and how many rows fill them), for `housing` the fields of its add
//! methods that no row fills, and listings whose add-only fields changed since their add (the
//! platform keeps the added values). Kept apart from the rest of the plan so each printer adds
//! one call.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use serde::Serialize;

use super::html::esc;
use super::BreakGroup;

/// Rooms named per add-only field; the count is always complete.
const SAMPLE_ROOMS: usize = 20;

#[derive(Debug, Default, Serialize)]
pub struct FamilyCoverage {
    pub family: String,
    /// Source columns the family has no field for, with the rows that give them a value.
    pub cannot_carry: Vec<ColumnGap>,
    /// `housing` only: per add method, the fields no row of the views fills.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unfilled: Vec<MethodGap>,
    /// `housing` only: add-only fields whose source value changed since the listing was added.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub add_only_changed: Vec<BreakGroup>,
    #[serde(skip)]
    filled: BTreeMap<&'static str, BTreeSet<String>>,
    #[serde(skip)]
    methods: Vec<(&'static str, &'static [&'static str])>,
    #[serde(skip)]
    changed: BTreeMap<String, BreakGroup>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ColumnGap {
    pub column: String,
    pub rows: u64,
    pub why: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct MethodGap {
    pub method: String,
    pub fields: Vec<String>,
}

impl FamilyCoverage {
    pub fn new(family: &str) -> Self {
        let cannot_carry = crate::plan::coverage::uncarried(family)
            .map(|u| ColumnGap {
                column: u.column.into(),
                rows: 0,
                why: u.why.into(),
            })
            .collect();
        Self {
            family: family.into(),
            cannot_carry,
            methods: if family == "housing" {
                crate::plan::coverage::housing_methods().to_vec()
            } else {
                Vec::new()
            },
            ..Default::default()
        }
    }

    /// Counts a row's values in the columns the family cannot carry.
    pub fn row(&mut self, listing: &crate::plan::Listing) {
        for (gap, u) in self
            .cannot_carry
            .iter_mut()
            .zip(crate::plan::coverage::uncarried(&self.family))
        {
            if (u.filled)(listing) {
                gap.rows += 1;
            }
        }
    }

    /// Notes the fields one row fills of an add method.
    pub fn filled(&mut self, method: &'static str, fields: BTreeSet<String>) {
        self.filled.entry(method).or_default().extend(fields);
    }

    pub fn add_only_changed(&mut self, room: &str, field: &str, added_with: &str) {
        let g = self
            .changed
            .entry(field.to_string())
            .or_insert_with(|| BreakGroup {
                field: field.to_string(),
                rule: format!(
                    "changed since {added_with}: add-only, the platform keeps the value it was added with"
                ),
                ..Default::default()
            });
        g.rooms += 1;
        if g.sample.len() < SAMPLE_ROOMS {
            g.sample.push(room.to_string());
        }
    }

    pub fn finish(&mut self) {
        let filled = std::mem::take(&mut self.filled);
        self.unfilled = self
            .methods
            .iter()
            .map(|(method, all)| MethodGap {
                method: method.to_string(),
                fields: all
                    .iter()
                    .filter(|f| !filled.get(method).is_some_and(|s| s.contains(**f)))
                    .map(|f| f.to_string())
                    .collect(),
            })
            .collect();
        self.add_only_changed = std::mem::take(&mut self.changed).into_values().collect();
    }

    pub fn table(&self, out: &mut String) {
        let _ = writeln!(out, "  platform family: {}", self.family);
        let gaps: Vec<_> = self.cannot_carry.iter().filter(|g| g.rows > 0).collect();
        if !gaps.is_empty() {
            let _ = writeln!(out, "  source columns {} cannot carry:", self.family);
            for g in gaps {
                let _ = writeln!(out, "    {:>7} rows  {}: {}", g.rows, g.column, g.why);
            }
        }
        for m in self.unfilled.iter().filter(|m| !m.fields.is_empty()) {
            let _ = writeln!(
                out,
                "  {} fields the views do not fill ({}): {}",
                m.method,
                m.fields.len(),
                m.fields.join(", ")
            );
        }
        if !self.add_only_changed.is_empty() {
            let _ = writeln!(out, "  add-only fields changed since the add:");
            for g in &self.add_only_changed {
                let _ = writeln!(
                    out,
                    "    {:>7} rooms  {}: {}  (e.g. {})",
                    g.rooms,
                    g.field,
                    g.rule,
                    g.sample
                        .iter()
                        .take(5)
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
        }
    }

    pub fn markdown(&self, out: &mut String) {
        let _ = writeln!(out, "\nPlatform family: `{}`.", self.family);
        let gaps: Vec<_> = self.cannot_carry.iter().filter(|g| g.rows > 0).collect();
        if !gaps.is_empty() {
            let _ = writeln!(
                out,
                "\n### Source columns `{}` cannot carry\n\n| Column | Rows | Why |\n|---|---:|---|",
                self.family
            );
            for g in gaps {
                let _ = writeln!(out, "| `{}` | {} | {} |", g.column, g.rows, g.why);
            }
        }
        let unfilled: Vec<_> = self
            .unfilled
            .iter()
            .filter(|m| !m.fields.is_empty())
            .collect();
        if !unfilled.is_empty() {
            let _ = writeln!(
                out,
                "\n### Fields the views do not fill\n\n| Method | Fields |\n|---|---|"
            );
            for m in unfilled {
                let _ = writeln!(out, "| `{}` | {} |", m.method, m.fields.join(", "));
            }
        }
        if !self.add_only_changed.is_empty() {
            let _ = writeln!(
                out,
                "\n### Add-only fields changed since the add\n\n| Field | Rule | Rooms | Examples |\n|---|---|---:|---|"
            );
            for g in &self.add_only_changed {
                let _ = writeln!(
                    out,
                    "| `{}` | {} | {} | {} |",
                    g.field,
                    g.rule,
                    g.rooms,
                    g.sample
                        .iter()
                        .take(5)
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
        }
    }

    pub fn html(&self, b: &mut String) {
        let _ = write!(
            b,
            "<p class=\"family\">Platform family: <code>{}</code></p>",
            esc(&self.family)
        );
        let gaps: Vec<_> = self.cannot_carry.iter().filter(|g| g.rows > 0).collect();
        if !gaps.is_empty() {
            let _ = write!(
                b,
                "<h3>Source columns <code>{}</code> cannot carry</h3><table class=\"cannot-carry\"><tr><th>Column</th><th>Rows</th><th>Why</th></tr>",
                esc(&self.family)
            );
            for g in gaps {
                let _ = write!(
                    b,
                    "<tr><td><code>{}</code></td><td class=\"n\">{}</td><td>{}</td></tr>",
                    esc(&g.column),
                    g.rows,
                    esc(&g.why)
                );
            }
            b.push_str("</table>");
        }
        let unfilled: Vec<_> = self
            .unfilled
            .iter()
            .filter(|m| !m.fields.is_empty())
            .collect();
        if !unfilled.is_empty() {
            b.push_str("<h3>Fields the views do not fill</h3><table class=\"unfilled\"><tr><th>Method</th><th>Fields</th></tr>");
            for m in unfilled {
                let _ = write!(
                    b,
                    "<tr><td><code>{}</code></td><td>{}</td></tr>",
                    esc(&m.method),
                    esc(&m.fields.join(", "))
                );
            }
            b.push_str("</table>");
        }
        if !self.add_only_changed.is_empty() {
            b.push_str("<h3>Add-only fields changed since the add</h3><table class=\"add-only\"><tr><th>Field</th><th>Rule</th><th>Rooms</th><th>Rooms affected (first 20)</th></tr>");
            for g in &self.add_only_changed {
                let _ = write!(
                    b,
                    "<tr><td><code>{}</code></td><td>{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
                    esc(&g.field),
                    esc(&g.rule),
                    g.rooms,
                    esc(&g.sample.join(", "))
                );
            }
            b.push_str("</table>");
        }
    }
}
