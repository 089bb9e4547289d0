//! Self-contained HTML (inline CSS, no scripts, nothing fetched) for reports people forward:
//! per tenant a summary, rule breaks grouped by rule with the rooms affected, and failures with
//! the platform's own message.

use std::fmt::Write;

use super::{DryRunReport, StatusReport};

/// Escapes text for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#1d2733}\
h1{font-size:1.6em}h2{border-bottom:2px solid #1677ff;padding-bottom:.2em;margin-top:1.6em}\
table{border-collapse:collapse;width:100%;margin:.6em 0}th,td{border:1px solid #d0d7de;padding:.35em .6em;text-align:left;vertical-align:top}\
th{background:#f3f6fa}td.n{text-align:right;font-variant-numeric:tabular-nums}\
.bad{color:#b42318}.ok{color:#067647}code{background:#f3f6fa;padding:0 .25em;border-radius:3px}\
.cards{display:flex;gap:.8em;flex-wrap:wrap}.card{border:1px solid #d0d7de;border-radius:6px;padding:.6em 1em;min-width:9em}\
.card b{display:block;font-size:1.5em}";

fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>{}</title><style>{STYLE}</style></head>\n<body>\n<h1>{}</h1>\n{body}</body></html>\n",
        esc(title),
        esc(title)
    )
}

pub fn dry_run(r: &DryRunReport) -> String {
    let mut b = String::new();
    for t in &r.tenants {
        let _ = write!(
            b,
            "<section class=\"tenant\" data-tenant=\"{}\"><h2>Tenant {}</h2>",
            esc(&t.tenant),
            esc(&t.tenant)
        );
        let _ = write!(
            b,
            "<p>{} rows read from the source.</p><div class=\"cards\">",
            t.rows
        );
        for (label, n) in t.actions() {
            let class = if label.starts_with("invalid") && n > 0 {
                "bad"
            } else {
                "ok"
            };
            let _ = write!(
                b,
                "<div class=\"card {class}\" data-action=\"{}\"><b>{n}</b>{}</div>",
                esc(label),
                esc(label)
            );
        }
        b.push_str("</div>");
        if let Some(line) = t.uncarried_line() {
            let _ = write!(b, "<p class=\"uncarried\">{}</p>", esc(&line));
        }
        if t.breaks.is_empty() {
            b.push_str("<p class=\"ok\">No listing breaks a platform rule.</p>");
        } else {
            b.push_str("<h3>Rule breaks, by rule</h3><table class=\"breaks\"><tr><th>Field</th><th>Rule</th><th>Rooms</th><th>Rooms affected (first 20)</th></tr>");
            for g in &t.breaks {
                let _ = write!(
                    b,
                    "<tr><td><code>{}</code> {}</td><td>{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
                    esc(&g.field),
                    esc(crate::plan::rules::title(&g.field).unwrap_or("")),
                    esc(&g.rule),
                    g.rooms,
                    esc(&g.sample.join(", "))
                );
            }
            b.push_str("</table>");
        }
        b.push_str("</section>\n");
    }
    page("rentsync dry-run", &b)
}

pub fn status(r: &StatusReport) -> String {
    let statuses = ["pending", "leased", "retry", "done", "failed", "invalid"];
    let mut b = String::from("<h2>Outbox</h2><table class=\"status\"><tr><th>Tenant</th>");
    for s in statuses {
        let _ = write!(b, "<th>{s}</th>");
    }
    b.push_str("</tr>");
    for (tenant, counts) in &r.items {
        let _ = write!(
            b,
            "<tr data-tenant=\"{}\"><td>{}</td>",
            esc(tenant),
            esc(tenant)
        );
        for s in statuses {
            let _ = write!(
                b,
                "<td class=\"n\">{}</td>",
                counts.get(s).copied().unwrap_or(0)
            );
        }
        b.push_str("</tr>");
    }
    b.push_str("</table>");
    match r.oldest_pending_secs {
        Some(s) => {
            let _ = write!(b, "<p>Oldest waiting item: {s} s.</p>");
        }
        None => b.push_str("<p class=\"ok\">Nothing waiting.</p>"),
    }
    if !r.recent_failures.is_empty() {
        b.push_str("<h2>Recent failures</h2><table class=\"failures\"><tr><th>Tenant</th><th>Kind</th><th>Room</th><th>Status</th><th>Attempts</th><th>Code</th><th>Platform message</th></tr>");
        for f in &r.recent_failures {
            let _ = write!(
                b,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"bad\">{}</td><td class=\"n\">{}</td><td><code>{}</code></td><td>{}</td></tr>",
                esc(&f.tenant),
                esc(&f.kind),
                esc(&f.room_code),
                esc(&f.status),
                f.attempts,
                esc(&f.code),
                esc(&f.message)
            );
        }
        b.push_str("</table>");
    }
    if !r.recent_warnings.is_empty() {
        b.push_str("<h2>Synced with warnings</h2><table class=\"warnings\"><tr><th>Tenant</th><th>Kind</th><th>Room</th><th>Warning</th></tr>");
        for w in &r.recent_warnings {
            for line in w.warnings.split("; ") {
                let _ = write!(
                    b,
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    esc(&w.tenant),
                    esc(&w.kind),
                    esc(&w.room_code),
                    esc(line)
                );
            }
        }
        b.push_str("</table>");
    }
    page("rentsync status", &b)
}
