//! Reports people read: the dry-run plan and the outbox status, each printable as a terminal
//! table, JSON or Markdown. One data structure per report, one printer per format.

mod dry_run;
pub mod family;
pub mod html;
pub mod progress;
mod status;
pub mod text_table;

pub use dry_run::{BreakGroup, DryRunReport, TenantPlan, UnreadableTenant};
pub use status::StatusReport;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum Format {
    #[default]
    Table,
    Json,
    Markdown,
    /// One self-contained HTML file (use with `--out FILE`).
    Html,
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
