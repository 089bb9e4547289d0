//! The terminal and Markdown printers of a [`Doc`]. The terminal lines columns up by display width
//! (a 汉字 takes two columns); Markdown escapes the pipes and line breaks that would end a cell.

use std::fmt::Write;

use super::doc::{Block, Cell, Doc, Tone};
use super::text_table::TextTable;

pub fn terminal(doc: &Doc) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", doc.title);
    for (k, v) in &doc.meta {
        let _ = writeln!(out, "  {k}: {v}");
    }
    for b in &doc.blocks {
        match b {
            Block::Tenant(name) => {
                let _ = writeln!(out, "\n== {} {name} ==", doc.lang.t("Tenant"));
            }
            Block::Heading(h) => {
                let _ = writeln!(out, "\n{h}:");
            }
            Block::Para(p, tone) => {
                let mark = if *tone == Tone::Bad { "! " } else { "" };
                let _ = writeln!(out, "  {mark}{p}");
            }
            Block::Cards(cards) => {
                let mut t = TextTable::new(&[doc.lang.t("Action"), doc.lang.t("Rooms")]);
                for (label, n, _) in cards {
                    t.row(vec![label.clone(), n.to_string()]);
                }
                out.push_str(&t.render(2));
            }
            Block::Table(table) => {
                let headers: Vec<&str> = table.headers.iter().map(String::as_str).collect();
                let mut t = TextTable::new(&headers);
                for r in &table.rows {
                    t.row(r.iter().map(|c| one_line(&terminal_cell(c))).collect());
                }
                out.push_str(&t.render(2));
                if table.more > 0 {
                    let _ = writeln!(out, "  … {}", Doc::more_line(doc.lang, table.more));
                }
            }
        }
    }
    out
}

pub fn markdown(doc: &Doc) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {}\n", doc.title);
    for (k, v) in &doc.meta {
        let _ = writeln!(out, "- {k}: {}", cell(v));
    }
    for b in &doc.blocks {
        match b {
            Block::Tenant(name) => {
                let _ = writeln!(out, "\n## {} `{name}`", doc.lang.t("Tenant"));
            }
            Block::Heading(h) => {
                let _ = writeln!(out, "\n### {h}");
            }
            Block::Para(p, tone) => {
                let p = if *tone == Tone::Bad {
                    format!("**{p}**")
                } else {
                    p.clone()
                };
                let _ = writeln!(out, "\n{p}");
            }
            Block::Cards(cards) => {
                let _ = writeln!(
                    out,
                    "\n| {} | {} |\n|---|---:|",
                    doc.lang.t("Action"),
                    doc.lang.t("Rooms")
                );
                for (label, n, _) in cards {
                    let _ = writeln!(out, "| {} | {n} |", cell(label));
                }
            }
            Block::Table(table) => {
                let _ = writeln!(
                    out,
                    "\n| {} |\n|{}",
                    table
                        .headers
                        .iter()
                        .map(|h| cell(h))
                        .collect::<Vec<_>>()
                        .join(" | "),
                    "---|".repeat(table.headers.len())
                );
                for r in &table.rows {
                    let cells: Vec<String> = r.iter().map(|c| cell(&c.text())).collect();
                    let _ = writeln!(out, "| {} |", cells.join(" | "));
                }
                if table.more > 0 {
                    let _ = writeln!(out, "\n…{}", Doc::more_line(doc.lang, table.more));
                }
            }
        }
    }
    out
}

/// Rooms a terminal cell lists before it only counts: a row stays one readable line.
const TERMINAL_LINES: usize = 8;

fn terminal_cell(c: &Cell) -> String {
    match c {
        Cell::Lines(lines, more) if lines.len() > TERMINAL_LINES => format!(
            "{}; … (+{})",
            lines[..TERMINAL_LINES].join("; "),
            (lines.len() - TERMINAL_LINES) as u64 + more
        ),
        other => other.text(),
    }
}

/// Control characters (a newline in a platform message) would break a terminal row.
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn cell(s: &str) -> String {
    one_line(s).replace('|', "\\|")
}
