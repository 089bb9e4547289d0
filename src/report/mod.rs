//! Reports people read: the dry-run plan and the outbox status, each printable as a terminal
//! table, JSON or Markdown. One data structure per report, one printer per format.

mod dry_run;
mod status;

pub use dry_run::{BreakGroup, DryRunReport, TenantPlan};
pub use status::StatusReport;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum Format {
    #[default]
    Table,
    Json,
    Markdown,
}
