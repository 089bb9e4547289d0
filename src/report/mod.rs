//! Reports people read: the dry-run plan and the outbox status. Each report is data (printed as
//! JSON for programs) that builds one [`doc::Doc`] in the language asked for; one printer per
//! format turns the document into a terminal table, Markdown or a self-contained HTML page.

pub mod doc;
mod dry_run;
mod dry_run_doc;
pub mod family;
pub mod html;
mod lang;
pub mod photos;
pub mod progress;
pub mod rooms;
pub mod status;
mod status_doc;
pub mod text;
pub mod text_table;

use serde::Serialize;

pub use dry_run::{BreakGroup, BreakRoom, DryRunReport, HeldDelist, TenantPlan, UnreadableTenant};
pub use lang::Lang;
pub use status::{FailureGroup, StatusReport};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum Format {
    #[default]
    Table,
    Json,
    Markdown,
    /// One self-contained HTML file (use with `--out FILE`).
    Html,
}

/// What every report says about itself: when, by which version, for whom, in which language.
#[derive(Debug, Clone, Serialize)]
pub struct ReportMeta {
    /// UTC+8, the operators' clock.
    pub generated_at: String,
    pub version: String,
    pub lang: Lang,
    pub tenants: Vec<TenantMeta>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TenantMeta {
    pub name: String,
    /// The platform API family serving it: `renthouse` or `housing`.
    pub family: String,
}

impl Default for ReportMeta {
    fn default() -> Self {
        Self::new(Lang::from_env(), Vec::new())
    }
}

impl ReportMeta {
    pub fn new(lang: Lang, tenants: Vec<TenantMeta>) -> Self {
        Self {
            generated_at: china_time(chrono::Utc::now().timestamp_micros()),
            version: env!("CARGO_PKG_VERSION").to_string(),
            lang,
            tenants,
        }
    }

    /// The configured tenants (after `--tenant`) with their families.
    pub fn of_config(lang: Lang, cfg: &crate::config::Config, only: Option<&str>) -> Self {
        let tenants = cfg
            .tenants
            .iter()
            .filter(|t| only.is_none_or(|o| o == t.name))
            .map(|t| TenantMeta {
                name: t.name.clone(),
                family: match t.family {
                    crate::config::Family::Renthouse => "renthouse",
                    crate::config::Family::Housing => "housing",
                }
                .to_string(),
            })
            .collect();
        Self::new(lang, tenants)
    }

    /// The lines under a report's title.
    pub fn lines(&self, lang: Lang) -> Vec<(String, String)> {
        let mut out = vec![
            (lang.t("Generated").to_string(), self.generated_at.clone()),
            (
                lang.t("Version").to_string(),
                format!("rentsync {}", self.version),
            ),
        ];
        if !self.tenants.is_empty() {
            let list: Vec<String> = self
                .tenants
                .iter()
                .map(|t| format!("{} ({} {})", t.name, lang.t("Family"), t.family))
                .collect();
            out.push((lang.t("Tenants").to_string(), list.join(", ")));
        }
        out
    }
}

/// A time in µs since the epoch on the operators' clock: `2026-01-02 10:00:00 UTC+8`.
pub fn china_time(us: i64) -> String {
    chrono::DateTime::from_timestamp_micros(us)
        .map(|t| {
            t.with_timezone(&crate::alipay::client::china())
                .format("%Y-%m-%d %H:%M:%S UTC+8")
                .to_string()
        })
        .unwrap_or_else(|| us.to_string())
}

/// Writes a rendered report to `--out FILE`, or prints it.
pub fn emit(text: &str, out: Option<&std::path::Path>) -> anyhow::Result<()> {
    match out {
        Some(path) => std::fs::write(path, text)
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display())),
        None => {
            print!("{text}");
            Ok(())
        }
    }
}
