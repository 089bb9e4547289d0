//! The dry-run report as a document: per tenant the counts, the rooms behind them (with the
//! fields that change), and the rule breaks grouped by rule with each room's source value.

use super::doc::{Block, Cell, Doc, Table, Tone};
use super::rooms::{Bounded, RoomLine};
use super::{DryRunReport, Lang, TenantPlan};

impl DryRunReport {
    pub fn doc(&self) -> Doc {
        let lang = self.meta.lang;
        let mut doc = Doc::new(lang, "rentsync dry-run", &self.meta);
        for t in &self.tenants {
            tenant(&mut doc, t);
        }
        if !self.unreadable.is_empty() {
            doc.heading("Tenants not planned");
            let mut table = Table::new("unreadable", lang, &["Tenant", "Error"]);
            for u in &self.unreadable {
                table.row(vec![
                    Cell::Text(u.tenant.clone()),
                    Cell::Bad(u.error.clone()),
                ]);
            }
            doc.table(table);
        }
        doc
    }
}

fn tenant(doc: &mut Doc, t: &TenantPlan) {
    let lang = doc.lang;
    doc.blocks.push(Block::Tenant(t.tenant.clone()));
    doc.para(
        format!("{} {}", t.rows, lang.t("rows read from the source")),
        Tone::Plain,
    );
    doc.blocks.push(Block::Cards(
        t.actions()
            .iter()
            .map(|(label, n, bad)| (lang.t(label).to_string(), *n, *bad))
            .collect(),
    ));
    rooms(doc, "Rooms to create", "creates", &t.creates);
    rooms(doc, "Rooms to update", "updates", &t.updates);
    rooms(
        doc,
        "Rooms whose state changes",
        "state-changes",
        &t.state_changes,
    );
    rooms(doc, "Rooms to take off shelf", "take-offs", &t.take_offs);
    for h in &t.delists_held {
        doc.para(
            format!(
                "{}: {} {}/{} — {}",
                h.view,
                lang.t("mass delist HELD: rooms gone of live rooms"),
                h.gone,
                h.live,
                lang.t("Check the view; if the deletes are real, run `rentsync delist --confirm`.")
            ),
            Tone::Bad,
        );
    }
    if t.live_with_older_values > 0 {
        doc.para(
            format!(
                "{} {}. {}",
                t.live_with_older_values,
                lang.t("invalid room(s) live with older values (see `rentsync status`)"),
                lang.t("invalid_listings = \"off_shelf\" takes them off shelf until the source is fixed.")
            ),
            Tone::Bad,
        );
    }
    t.coverage.doc(doc);
    if t.breaks.is_empty() && t.breaks_not_grouped == 0 {
        doc.para(lang.t("No listing breaks a platform rule."), Tone::Good);
        return;
    }
    doc.heading("Rule breaks, by rule");
    let mut table = Table::new(
        "breaks",
        lang,
        &["Field", "Rule", "Rooms", "Rooms affected"],
    );
    for g in &t.breaks {
        let lines: Vec<String> = g
            .listed
            .iter()
            .map(|r| match &r.source {
                Some(s) => format!("{}: {s}", r.room_code),
                None => r.room_code.clone(),
            })
            .collect();
        table.row(vec![
            Cell::Code(crate::plan::rules::titled(&g.field)),
            Cell::Text(g.rule.clone()),
            Cell::Num(g.rooms as i64),
            Cell::Lines(lines, g.rooms.saturating_sub(g.listed.len() as u64)),
        ]);
    }
    table.more = t.breaks_not_grouped;
    doc.table(table);
}

/// A section of rooms, left out when empty.
fn rooms(doc: &mut Doc, title: &'static str, class: &'static str, list: &Bounded<RoomLine>) {
    if list.total() == 0 {
        return;
    }
    let lang = doc.lang;
    doc.heading(title);
    let with_changes = list.items.iter().any(|r| !r.changes.is_empty());
    let mut headers = vec![
        "Room",
        "Kind",
        "Community",
        "Name",
        "Price (yuan/month)",
        "State",
    ];
    if with_changes {
        headers.push("Changes (old → new)");
    }
    let mut table = Table::new(class, lang, &headers);
    for r in &list.items {
        table.row(room_cells(lang, r, with_changes));
    }
    table.more = list.more;
    doc.table(table);
}

pub fn room_cells(lang: Lang, r: &RoomLine, with_changes: bool) -> Vec<Cell> {
    let mut cells = vec![
        Cell::Code(r.room_code.clone()),
        Cell::Text(lang.t(kind_label(&r.kind)).to_string()),
        Cell::Text(r.community.clone()),
        Cell::Text(r.name.clone()),
        Cell::Text(r.price.clone()),
        Cell::Text(lang.state(&r.state)),
    ];
    if with_changes {
        cells.push(Cell::Lines(
            r.changes
                .iter()
                .map(|c| match c.field.as_str() {
                    "state" => format!(
                        "{}: {} → {}",
                        lang.t("State"),
                        lang.state(&c.old),
                        lang.state(&c.new)
                    ),
                    _ => c.text(),
                })
                .collect(),
            0,
        ));
    }
    cells
}

fn kind_label(kind: &str) -> &'static str {
    match kind {
        "concentration" => "concentration",
        _ => "dispersion",
    }
}
