//! The family part of a tenant's dry-run: which platform family serves it, the source columns
//! that family cannot carry (and how many rows fill them), for `housing` the fields of its add
//! methods that no row fills, and listings whose add-only fields changed since their add (the
//! platform keeps the added values). Kept apart from the rest of the plan so each printer adds
//! one call.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::doc::{Cell, Doc, Table, Tone};

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
    pub add_only_changed: Vec<AddOnlyGroup>,
    #[serde(skip)]
    filled: BTreeMap<&'static str, BTreeSet<String>>,
    #[serde(skip)]
    methods: Vec<(&'static str, &'static [&'static str])>,
    #[serde(skip)]
    changed: BTreeMap<String, AddOnlyGroup>,
}

/// Rooms whose value of one add-only field changed since their add.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AddOnlyGroup {
    pub field: String,
    pub rule: String,
    /// All of them.
    pub rooms: u64,
    /// The first [`SAMPLE_ROOMS`].
    pub sample: Vec<String>,
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
        // The optional columns (docs/SOURCE_CONTRACT.md) the family has no field for.
        for column in crate::platform::uncarried(&self.family, &listing.room) {
            match self.cannot_carry.iter_mut().find(|g| g.column == column) {
                Some(gap) => gap.rows += 1,
                None => self.cannot_carry.push(ColumnGap {
                    column: column.into(),
                    rows: 1,
                    why: format!(
                        "an optional column the {} family has no field for (docs/FAMILIES.md)",
                        self.family
                    ),
                }),
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
            .or_insert_with(|| AddOnlyGroup {
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

    /// The family's part of a tenant's section, in every format the report prints.
    pub fn doc(&self, doc: &mut Doc) {
        let lang = doc.lang;
        doc.para(
            format!("{}: {}", lang.t("Platform family"), self.family),
            Tone::Plain,
        );
        let gaps: Vec<_> = self.cannot_carry.iter().filter(|g| g.rows > 0).collect();
        if !gaps.is_empty() {
            doc.heading("Source columns this family cannot carry");
            let mut table = Table::new("cannot-carry", lang, &["Column", "Rows", "Why"]);
            for g in gaps {
                table.row(vec![
                    Cell::Code(g.column.clone()),
                    Cell::Num(g.rows as i64),
                    Cell::Text(g.why.clone()),
                ]);
            }
            doc.table(table);
        }
        let unfilled: Vec<_> = self
            .unfilled
            .iter()
            .filter(|m| !m.fields.is_empty())
            .collect();
        if !unfilled.is_empty() {
            doc.heading("Fields the views do not fill");
            let mut table = Table::new("unfilled", lang, &["Method", "Fields"]);
            for m in unfilled {
                table.row(vec![
                    Cell::Code(m.method.clone()),
                    Cell::Text(m.fields.join(", ")),
                ]);
            }
            doc.table(table);
        }
        if !self.add_only_changed.is_empty() {
            doc.heading("Add-only fields changed since the add");
            let mut table = Table::new(
                "add-only",
                lang,
                &["Field", "Rule", "Rooms", "Rooms affected"],
            );
            for g in &self.add_only_changed {
                let left_out = g.rooms.saturating_sub(g.sample.len() as u64);
                table.row(vec![
                    Cell::Code(g.field.clone()),
                    Cell::Text(g.rule.clone()),
                    Cell::Num(g.rooms as i64),
                    Cell::Lines(g.sample.clone(), left_out),
                ]);
            }
            doc.table(table);
        }
    }
}
