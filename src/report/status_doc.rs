//! The status report as a document: the outbox, failures grouped by code and message, rooms
//! live with older values, held delists, photo warnings with previews, and the tasks.

use super::doc::{Cell, Doc, Table, Tone};
use super::{Lang, StatusReport};

const STATUSES: [&str; 6] = ["pending", "leased", "retry", "done", "failed", "invalid"];

impl StatusReport {
    pub fn doc(&self) -> Doc {
        let lang = self.meta.lang;
        let mut doc = Doc::new(lang, "rentsync status", &self.meta);
        outbox(&mut doc, self);
        failures(&mut doc, self);
        live_older(&mut doc, self);
        holds(&mut doc, self);
        photos(&mut doc, self);
        other_warnings(&mut doc, self);
        tasks(&mut doc, self);
        doc
    }
}

fn outbox(doc: &mut Doc, r: &StatusReport) {
    let lang = doc.lang;
    doc.heading("Outbox");
    let mut headers = vec!["Tenant"];
    headers.extend(STATUSES);
    let mut table = Table::new("status", lang, &headers);
    for (tenant, counts) in &r.items {
        let mut row = vec![Cell::Text(tenant.clone())];
        row.extend(
            STATUSES
                .iter()
                .map(|s| Cell::Num(counts.get(*s).copied().unwrap_or(0))),
        );
        table.row(row);
    }
    doc.table(table);
    match r.oldest_pending_secs {
        Some(s) => doc.para(
            format!(
                "{}: {s} {}",
                lang.t("Oldest waiting item"),
                lang.t("seconds")
            ),
            Tone::Plain,
        ),
        None => doc.para(lang.t("Nothing waiting."), Tone::Good),
    }
    if let Some(d) = &r.daemon {
        doc.para(format!("{}: {d}", lang.t("Daemon")), Tone::Plain);
    }
}

fn failures(doc: &mut Doc, r: &StatusReport) {
    let lang = doc.lang;
    doc.heading("Failures, by code and message");
    if r.failure_groups.is_empty() && r.failures_not_grouped == 0 {
        doc.para(lang.t("No failures."), Tone::Good);
        return;
    }
    let mut table = Table::new(
        "failures",
        lang,
        &[
            "Tenant", "Status", "Code", "Message", "Count", "First", "Last", "Rooms",
        ],
    );
    for g in &r.failure_groups {
        let rooms: Vec<String> = g
            .rooms
            .iter()
            .map(|x| match &x.source {
                Some(s) => format!("{}: {s}", x.room_code),
                None => x.room_code.clone(),
            })
            .collect();
        table.row(vec![
            Cell::Text(g.tenant.clone()),
            Cell::Bad(lang.t(status_label(&g.status)).to_string()),
            Cell::Code(g.code.clone()),
            Cell::Text(g.message.clone()),
            Cell::Num(g.count as i64),
            Cell::Text(g.first.clone()),
            Cell::Text(g.last.clone()),
            Cell::Lines(rooms, g.count.saturating_sub(g.rooms.len() as u64)),
        ]);
    }
    table.more = r.failures_not_grouped;
    doc.table(table);
    doc.para(
        lang.t("After fixing the cause: `rentsync retry` (failed), `rentsync retry --invalid` (rule breaks)."),
        Tone::Plain,
    );
}

fn live_older(doc: &mut Doc, r: &StatusReport) {
    if r.live_with_older_values.is_empty() {
        return;
    }
    let lang = doc.lang;
    doc.heading("Rooms live with older values");
    for (tenant, n) in &r.live_with_older_values {
        // One line per tenant that scripts and people grep for, in English as logs are.
        doc.para(
            format!("{tenant}: {n} invalid room(s) live with older values"),
            Tone::Bad,
        );
    }
    let mut table = Table::new(
        "live-older",
        lang,
        &[
            "Tenant",
            "Room",
            "Community",
            "Name",
            "Price (yuan/month)",
            "Rule",
            "Last accepted",
        ],
    );
    for x in &r.live_with_older_rooms.items {
        table.row(vec![
            Cell::Text(x.tenant.clone()),
            Cell::Code(x.room.room_code.clone()),
            Cell::Text(x.room.community.clone()),
            Cell::Text(x.room.name.clone()),
            Cell::Text(x.room.price.clone()),
            Cell::Text(x.reason.clone()),
            Cell::Text(x.last_accepted.clone().unwrap_or_else(|| "—".into())),
        ]);
    }
    table.more = r.live_with_older_rooms.more;
    doc.table(table);
    doc.para(
        lang.t("invalid_listings = \"off_shelf\" takes them off shelf until the source is fixed."),
        Tone::Plain,
    );
}

fn holds(doc: &mut Doc, r: &StatusReport) {
    if r.delist_holds.is_empty() {
        return;
    }
    let lang = doc.lang;
    doc.heading("Delists held by the mass-delist guard");
    for h in &r.delist_holds {
        doc.para(
            format!(
                "{}: mass delist HELD on {}: {} of {} live rooms gone from the view",
                h.tenant, h.view, h.gone, h.live
            ),
            Tone::Bad,
        );
    }
    let mut table = Table::new(
        "holds",
        lang,
        &["Tenant", "View", "Gone", "Live", "Since", "Confirmed"],
    );
    for h in &r.delist_holds {
        table.row(vec![
            Cell::Text(h.tenant.clone()),
            Cell::Code(h.view.clone()),
            Cell::Num(h.gone),
            Cell::Num(h.live),
            Cell::Text(super::china_time(h.since_us)),
            Cell::Text(lang.t(if h.confirmed { "yes" } else { "no" }).to_string()),
        ]);
    }
    doc.table(table);
    doc.para(
        lang.t("Check the view; if the deletes are real, run `rentsync delist --confirm`."),
        Tone::Plain,
    );
}

fn photos(doc: &mut Doc, r: &StatusReport) {
    if r.photo_rooms.is_empty() {
        return;
    }
    let lang = doc.lang;
    doc.heading("Photo warnings");
    let mut table = Table::new(
        "photos",
        lang,
        &[
            "Tenant", "Room", "Photo", "Location", "Preview", "As sent", "Warning",
        ],
    );
    for room in &r.photo_rooms {
        for p in &room.photos {
            let preview = match &p.preview {
                Some(v) => Cell::Image {
                    uri: v.thumbnail.clone(),
                    alt: format!("{} {} {}", room.room_code, lang.t("Photo"), p.index),
                },
                None => Cell::Text("—".into()),
            };
            let sent = match (&p.preview, &p.no_preview) {
                (Some(v), _) => Cell::Text(sent_text(lang, v)),
                // The reason is in the warning column already when it is the same.
                (None, Some(why))
                    if p.warning.as_ref().is_some_and(|w| w.contains(why.as_str())) =>
                {
                    Cell::Bad(lang.t("not used").to_string())
                }
                (None, Some(why)) => Cell::Bad(format!(
                    "{}: {}",
                    lang.t("not used"),
                    lang_t_owned(lang, why)
                )),
                (None, None) => Cell::Text("—".into()),
            };
            table.row(vec![
                Cell::Text(room.tenant.clone()),
                Cell::Code(room.room_code.clone()),
                Cell::Num(p.index as i64),
                Cell::Code(p.location.clone()),
                preview,
                sent,
                match &p.warning {
                    Some(w) => Cell::Bad(w.clone()),
                    None => Cell::Text("—".into()),
                },
            ]);
        }
    }
    doc.table(table);
}

/// Warnings that name no photo (an add-only field changed since the add, …), one a line.
fn other_warnings(doc: &mut Doc, r: &StatusReport) {
    if r.room_warnings.is_empty() {
        return;
    }
    let lang = doc.lang;
    doc.heading("Other warnings");
    let mut table = Table::new("warnings", lang, &["Tenant", "Room", "Warning"]);
    for w in &r.room_warnings {
        table.row(vec![
            Cell::Text(w.tenant.clone()),
            Cell::Code(w.room_code.clone()),
            Cell::Bad(w.warning.clone()),
        ]);
    }
    doc.table(table);
}

fn sent_text(lang: Lang, v: &super::photos::Preview) -> String {
    format!(
        "{} KB, {}×{}, {} {:.0}",
        v.bytes.div_ceil(1000),
        v.width,
        v.height,
        lang.t("quality"),
        v.quality
    )
}

/// The one reason the report itself writes is translated; the photo's own errors are not.
fn lang_t_owned(lang: Lang, s: &str) -> String {
    use super::photos::{SIZE_LIMIT, TIME_LIMIT};
    match s {
        SIZE_LIMIT => lang.t(SIZE_LIMIT).to_string(),
        TIME_LIMIT => lang.t(TIME_LIMIT).to_string(),
        _ => s.to_string(),
    }
}

fn tasks(doc: &mut Doc, r: &StatusReport) {
    let lang = doc.lang;
    if !r.callbacks.is_empty() {
        doc.heading("SPI callbacks stored");
        let mut table = Table::new("callbacks", lang, &["Tenant", "Type", "Count"]);
        for (tenant, ty, n) in &r.callbacks {
            table.row(vec![
                Cell::Text(tenant.clone()),
                Cell::Code(ty.clone()),
                Cell::Num(*n),
            ]);
        }
        doc.table(table);
    }
    if !r.tasks.is_empty() {
        doc.heading("Tasks");
        let mut table = Table::new("tasks", lang, &["Tenant", "Kind", "Status", "Count"]);
        for t in &r.tasks {
            table.row(vec![
                Cell::Text(t.tenant.clone()),
                Cell::Code(t.kind.clone()),
                Cell::Text(t.status.clone()),
                Cell::Num(t.count),
            ]);
        }
        doc.table(table);
    }
    if !r.dead_tasks.is_empty() {
        doc.heading("Dead tasks");
        let mut table = Table::new(
            "dead-tasks",
            lang,
            &["Tenant", "Kind", "Key", "Attempts", "Code", "Message"],
        );
        for t in &r.dead_tasks {
            table.row(vec![
                Cell::Text(t.tenant.clone()),
                Cell::Code(t.kind.clone()),
                Cell::Code(t.key.clone()),
                Cell::Num(t.attempts),
                Cell::Code(t.last_code.clone().unwrap_or_else(|| "-".into())),
                Cell::Text(t.last_error.clone().unwrap_or_default()),
            ]);
        }
        doc.table(table);
        doc.para("`rentsync retry --tasks`", Tone::Plain);
    }
    if !r.invalid_tasks.is_empty() {
        doc.heading("Tasks that break a rule");
        doc.para(
            lang.t("Fix the source row: they are never sent as they are."),
            Tone::Bad,
        );
        let mut table = Table::new("invalid-tasks", lang, &["Tenant", "Kind", "Key", "Message"]);
        for t in &r.invalid_tasks {
            table.row(vec![
                Cell::Text(t.tenant.clone()),
                Cell::Code(t.kind.clone()),
                Cell::Code(t.key.clone()),
                Cell::Bad(t.last_error.clone().unwrap_or_default()),
            ]);
        }
        doc.table(table);
    }
}

fn status_label(s: &str) -> &'static str {
    STATUSES.into_iter().find(|x| *x == s).unwrap_or("failed")
}
