//! A plain text table for terminals: columns padded to the widest cell as the terminal draws it
//! (a 汉字 takes two columns), so Chinese and Latin text line up.

use unicode_width::UnicodeWidthStr;

#[derive(Debug, Clone, Default)]
pub struct TextTable {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl TextTable {
    pub fn new(headers: &[&str]) -> Self {
        Self {
            headers: headers.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Every line indented by `indent` spaces; a rule under the headers; no trailing blanks.
    pub fn render(&self, indent: usize) -> String {
        let columns = self.headers.len();
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.width()).collect();
        for r in &self.rows {
            for (i, c) in r.iter().take(columns).enumerate() {
                widths[i] = widths[i].max(c.width());
            }
        }
        let pad = " ".repeat(indent);
        let line = |cells: &[String]| -> String {
            let mut out = pad.clone();
            for (i, w) in widths.iter().enumerate() {
                let c = cells.get(i).map(String::as_str).unwrap_or("");
                out.push_str(c);
                if i + 1 < columns {
                    out.push_str(&" ".repeat(w - c.width() + 2));
                }
            }
            out.trim_end().to_string() + "\n"
        };
        let mut out = line(&self.headers);
        let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
        out.push_str(&line(&rule));
        for r in &self.rows {
            out.push_str(&line(r));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_cells_line_up_by_display_width() {
        let mut t = TextTable::new(&["kind", "room"]);
        t.row(vec!["分散式".into(), "100001".into()]);
        t.row(vec!["x".into(), "T2001".into()]);
        let text = t.render(2);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "  kind    room");
        assert_eq!(lines[1], "  ------  ------");
        assert_eq!(lines[2], "  分散式  100001");
        assert_eq!(lines[3], "  x       T2001");
    }
}
