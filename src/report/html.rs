//! The HTML printer of a [`Doc`]: one self-contained file (inline CSS, no scripts, nothing
//! fetched; thumbnails are `data:` URIs) for reports people forward. It reads on a phone as on a
//! desktop: every table sits in a wrapper that scrolls sideways on its own, and long codes and
//! URLs wrap, so the page itself never scrolls sideways.

use std::fmt::Write;

use super::doc::{Block, Cell, Doc, Tone};

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

const STYLE: &str = "*{box-sizing:border-box}\
body{font:14px/1.45 system-ui,\"PingFang SC\",\"Noto Sans CJK SC\",sans-serif;margin:1.5em auto;padding:0 1em;max-width:1100px;color:#1d2733;overflow-wrap:anywhere}\
h1{font-size:1.6em;margin:.2em 0}h2{border-bottom:2px solid #1677ff;padding-bottom:.2em;margin-top:1.6em}h3{margin-top:1.4em}\
dl.meta{display:flex;flex-wrap:wrap;gap:.2em 1.4em;margin:.4em 0;color:#4b5868}dl.meta dt{font-weight:600}dl.meta dd{margin:0 0 0 .3em}\
dl.meta div{display:flex}\
.scroll{overflow-x:auto;max-width:100%;margin:.6em 0}\
table{border-collapse:collapse;min-width:100%}th,td{border:1px solid #d0d7de;padding:.35em .6em;text-align:left;vertical-align:top}\
th{background:#f3f6fa;white-space:nowrap}td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\
td{overflow-wrap:normal;word-break:normal;min-width:4.5em}td.s{white-space:nowrap}td.w{min-width:16em}td code{overflow-wrap:anywhere}\
details summary{cursor:pointer;color:#1677ff}\
.bad{color:#b42318}.ok{color:#067647}code{background:#f3f6fa;padding:0 .25em;border-radius:3px}\
.cards{display:flex;gap:.6em;flex-wrap:wrap}.card{border:1px solid #d0d7de;border-radius:6px;padding:.5em .9em;min-width:8em;flex:1 1 8em}\
.card b{display:block;font-size:1.5em}.more{color:#4b5868;font-style:italic}\
ul.lines{margin:0;padding-left:1.1em}img.thumb{display:block;max-width:120px;max-height:90px;width:auto;height:auto;border:1px solid #d0d7de}";

pub fn render(doc: &Doc) -> String {
    let mut b = String::new();
    let _ = write!(
        b,
        "<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head>\n<body>\n<h1>{}</h1>\n<dl class=\"meta\">",
        doc.lang.tag(),
        esc(&doc.title),
        esc(&doc.title)
    );
    for (k, v) in &doc.meta {
        let _ = write!(b, "<div><dt>{}</dt><dd>{}</dd></div>", esc(k), esc(v));
    }
    b.push_str("</dl>\n");
    let mut in_tenant = false;
    for block in &doc.blocks {
        match block {
            Block::Tenant(name) => {
                if in_tenant {
                    b.push_str("</section>\n");
                }
                in_tenant = true;
                let _ = write!(
                    b,
                    "<section class=\"tenant\" data-tenant=\"{}\"><h2>{} {}</h2>",
                    esc(name),
                    esc(doc.lang.t("Tenant")),
                    esc(name)
                );
            }
            Block::Heading(h) => {
                let tag = if in_tenant { "h3" } else { "h2" };
                let _ = write!(b, "<{tag}>{}</{tag}>", esc(h));
            }
            Block::Para(p, tone) => {
                let class = match tone {
                    Tone::Plain => "",
                    Tone::Good => " class=\"ok\"",
                    Tone::Bad => " class=\"bad\"",
                };
                let _ = write!(b, "<p{class}>{}</p>", esc(p));
            }
            Block::Cards(cards) => {
                b.push_str("<div class=\"cards\">");
                for (label, n, bad_when_any) in cards {
                    let class = if *bad_when_any && *n > 0 { "bad" } else { "ok" };
                    let _ = write!(
                        b,
                        "<div class=\"card {class}\"><b>{n}</b>{}</div>",
                        esc(label)
                    );
                }
                b.push_str("</div>");
            }
            Block::Table(t) => {
                let _ = write!(b, "<div class=\"scroll\"><table class=\"{}\"><tr>", t.class);
                for h in &t.headers {
                    let _ = write!(b, "<th>{}</th>", esc(h));
                }
                b.push_str("</tr>");
                for r in &t.rows {
                    b.push_str("<tr>");
                    for c in r {
                        cell(&mut b, c, doc.lang);
                    }
                    b.push_str("</tr>");
                }
                b.push_str("</table></div>");
                if t.more > 0 {
                    let _ = write!(
                        b,
                        "<p class=\"more\">… {}</p>",
                        esc(&Doc::more_line(doc.lang, t.more))
                    );
                }
            }
        }
        b.push('\n');
    }
    if in_tenant {
        b.push_str("</section>\n");
    }
    b.push_str("</body></html>\n");
    b
}

/// Cells up to this many characters do not wrap (a code, a time); longer ones get room to.
const SHORT: usize = 28;
/// Lines shown in a cell before the rest fold into a `<details>` (no script needed to open it).
const SHOWN_LINES: usize = 10;

/// The class of a text cell by its length.
fn width_class(s: &str) -> &'static str {
    match s.chars().count() {
        n if n <= SHORT => " class=\"s\"",
        n if n > 3 * SHORT => " class=\"w\"",
        _ => "",
    }
}

fn cell(b: &mut String, c: &Cell, lang: super::Lang) {
    let _ = match c {
        Cell::Text(s) => write!(b, "<td{}>{}</td>", width_class(s), esc(s)),
        Cell::Code(s) => write!(b, "<td{}><code>{}</code></td>", width_class(s), esc(s)),
        Cell::Num(n) => write!(b, "<td class=\"n\">{n}</td>"),
        Cell::Bad(s) => write!(
            b,
            "<td class=\"bad{}\">{}</td>",
            if s.chars().count() <= SHORT { " s" } else { "" },
            esc(s)
        ),
        Cell::Lines(lines, more) => {
            b.push_str("<td class=\"w\"><ul class=\"lines\">");
            for l in lines.iter().take(SHOWN_LINES) {
                let _ = write!(b, "<li>{}</li>", esc(l));
            }
            b.push_str("</ul>");
            let folded = lines.len().saturating_sub(SHOWN_LINES) as u64 + more;
            if folded > 0 {
                let _ = write!(
                    b,
                    "<details><summary>+{folded}</summary><ul class=\"lines\">"
                );
                for l in lines.iter().skip(SHOWN_LINES) {
                    let _ = write!(b, "<li>{}</li>", esc(l));
                }
                if *more > 0 {
                    let _ = write!(
                        b,
                        "<li class=\"more\">{}</li>",
                        esc(&Doc::more_line(lang, *more))
                    );
                }
                b.push_str("</ul></details>");
            }
            write!(b, "</td>")
        }
        Cell::Image { uri, alt } => write!(
            b,
            "<td><img class=\"thumb\" src=\"{}\" alt=\"{}\" title=\"{}\"></td>",
            esc(uri),
            esc(alt),
            esc(alt)
        ),
    };
}
