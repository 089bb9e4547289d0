//! A report as a document: headings, paragraphs, summary cards and tables of cells. Each report
//! builds one `Doc` in the language asked for; the terminal, Markdown and HTML printers turn it
//! into text, so the three formats always say the same things in the same order. JSON is printed
//! from the report's data instead, because programs want the data, not the layout.

use super::Lang;

/// Rooms listed per section; the rest are counted in an "and N more" line, so a report on
/// 100,000 rooms stays readable (and small).
pub const LIST_LIMIT: usize = 200;

#[derive(Debug, Clone)]
pub struct Doc {
    pub lang: Lang,
    pub title: String,
    /// Label → value lines under the title: when, which version, which tenants.
    pub meta: Vec<(String, String)>,
    pub blocks: Vec<Block>,
}

#[derive(Debug, Clone)]
pub enum Block {
    /// A tenant's section starts: HTML marks it with `data-tenant`.
    Tenant(String),
    Heading(String),
    Para(String, Tone),
    /// Label, count, and whether a non-zero count is bad news.
    Cards(Vec<(String, u64, bool)>),
    Table(Table),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Plain,
    Good,
    Bad,
}

#[derive(Debug, Clone)]
pub struct Table {
    /// The HTML class, which tests and stylesheets find it by.
    pub class: &'static str,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
    /// Rows left out (beyond [`LIST_LIMIT`]).
    pub more: u64,
}

#[derive(Debug, Clone)]
pub enum Cell {
    Text(String),
    /// Names from code or the platform: field names, codes, source columns.
    Code(String),
    Num(i64),
    /// Several lines in one cell (changes, rooms), and how many more were left out.
    Lines(Vec<String>, u64),
    /// A picture (a `data:` URI) with its text for the formats that cannot show it.
    Image {
        uri: String,
        alt: String,
    },
    Bad(String),
}

impl Cell {
    /// The cell as plain text, for the terminal and Markdown.
    pub fn text(&self) -> String {
        match self {
            Cell::Text(s) | Cell::Code(s) | Cell::Bad(s) => s.clone(),
            Cell::Num(n) => n.to_string(),
            Cell::Lines(l, 0) => l.join("; "),
            Cell::Lines(l, more) => format!("{}; … (+{more})", l.join("; ")),
            Cell::Image { alt, .. } => alt.clone(),
        }
    }
}

impl Table {
    pub fn new(class: &'static str, lang: Lang, headers: &[&'static str]) -> Self {
        Self {
            class,
            headers: headers.iter().map(|h| lang.t(h).to_string()).collect(),
            rows: Vec::new(),
            more: 0,
        }
    }

    pub fn row(&mut self, cells: Vec<Cell>) {
        self.rows.push(cells);
    }
}

impl Doc {
    pub fn new(lang: Lang, title: &'static str, meta: &super::ReportMeta) -> Self {
        Self {
            lang,
            title: lang.t(title).to_string(),
            meta: meta.lines(lang),
            blocks: Vec::new(),
        }
    }

    pub fn heading(&mut self, text: &'static str) {
        self.blocks
            .push(Block::Heading(self.lang.t(text).to_string()));
    }

    pub fn para(&mut self, text: impl Into<String>, tone: Tone) {
        self.blocks.push(Block::Para(text.into(), tone));
    }

    pub fn table(&mut self, table: Table) {
        self.blocks.push(Block::Table(table));
    }

    /// "and 12 more", in the report's language.
    pub fn more_line(lang: Lang, n: u64) -> String {
        lang.t("and {n} more").replace("{n}", &n.to_string())
    }
}
