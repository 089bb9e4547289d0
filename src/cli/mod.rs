//! The command line: one file per subcommand. `main` parses, calls [`run`], and sets the exit code.

mod call;
mod check;
mod completions;
mod demo;
mod demo_housing;
mod demo_spi;
mod demo_tmall;
mod dry_run;
mod explain;
mod fixtures;
mod ka;
mod keygen;
mod photo;
mod resync;
pub mod run;
mod run_summary;
pub mod runtime;
mod sandbox;
mod spi;
mod status;
mod tasks;
mod tmall;
mod tour;
mod tour_housing;

pub use dry_run::dry_run;
pub use resync::{resync, ResyncSummary};
pub use run::Daemon;
pub use runtime::Runtime;
pub use status::{status_report, status_report_of};

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use keygen::{write_keys, KeySet};

#[derive(Debug, Parser)]
#[command(
    name = "rentsync",
    version,
    about = "Publish rental listings to the Alipay rental platform"
)]
pub struct Cli {
    /// More log output (-v info, -vv debug).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Only errors and the command's own result: no progress lines, no info or warning logs.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Sign and send one OpenAPI call, verify the answer, print its response node as JSON.
    Call(call::CallArgs),
    /// Run the local sandbox gateway.
    Sandbox(sandbox::SandboxArgs),
    /// Make throwaway key pairs (app and platform) for the demo and tests.
    Keygen(keygen::KeygenArgs),
    /// The main job on an embedded default: sandbox, sample SQLite operator database, resync, live changes.
    Demo(demo::DemoArgs),
    /// The daemon: follow the source and keep the platform in step.
    Run(run::RunArgs),
    /// One-shot: plan everything, work the outbox dry, print a summary.
    Resync(resync::ResyncArgs),
    /// What a resync would do and what the platform would refuse, without calling anything.
    DryRun(dry_run::DryRunArgs),
    /// The outbox: items by status, the oldest waiting, recent failures.
    Status(status::StatusArgs),
    /// Requeue failed items; with --invalid, plan invalid ones again from the source.
    Retry(status::RetryArgs),
    /// Why a room is or is not live: source row, plan and rule check, outbox item, last calls.
    Explain(explain::ExplainArgs),
    /// Delists held by the mass-delist guard; --confirm lets them go out.
    Delist(status::DelistArgs),
    /// Apply the state database's migrations.
    Migrate(status::MigrateArgs),
    /// Check config, keys, databases, views and gateways.
    Check(check::CheckArgs),
    /// Create the sample operator schema in a scratch database and fill it with listings.
    Fixtures(fixtures::FixturesArgs),
    /// Run the photo pipeline on files: one JPEG within the byte budget per input.
    Photo(photo::PhotoArgs),
    /// Tmall Haofang (天猫好房) over TOP: lease orders and fund-escrow invitations.
    Tmall(tmall::TmallArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) to standard output.
    Completions(completions::CompletionsArgs),
    /// Print the manual page (roff) to standard output: `rentsync man > rentsync.1`.
    Man,
    /// The operator (KA) account: sync, show, register the SPI callback addresses.
    Ka(ka::KaArgs),
    /// The platform's callbacks the SPI endpoint stored (phone numbers masked).
    Spi(spi::SpiArgs),
}

/// Where a subcommand finds its tenant: a config file, or flags for a one-off call.
#[derive(Debug, clap::Args)]
pub struct TenantArgs {
    /// Config file with [[tenant]] entries.
    #[arg(long, env = "RENTSYNC_CONFIG")]
    pub config: Option<PathBuf>,
    /// Which tenant of the config (needed when it has several).
    #[arg(long)]
    pub tenant: Option<String>,
    /// Gateway URL, e.g. https://openapi.alipay.com/gateway.do.
    #[arg(long)]
    pub gateway: Option<String>,
    /// The app's APPID on the open platform (2021...).
    #[arg(long)]
    pub app_id: Option<String>,
    /// App private key file: PKCS#1 or PKCS#8, PEM or bare base64.
    #[arg(long)]
    pub private_key: Option<PathBuf>,
    /// Platform (Alipay) public key file: X.509 SubjectPublicKeyInfo, PEM or bare base64.
    #[arg(long)]
    pub platform_public_key: Option<PathBuf>,
    /// File holding an app_auth_token, when an ISV calls for an operator.
    #[arg(long)]
    pub app_auth_token_file: Option<PathBuf>,
    /// RSA2 (SHA256withRSA, default) or RSA (SHA1withRSA).
    #[arg(long, default_value = "RSA2")]
    pub sign_type: crate::alipay::SignType,
}

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Call(args) => call::run(args).await,
        Command::Sandbox(args) => sandbox::run(args).await,
        Command::Keygen(args) => keygen::run(args),
        Command::Demo(args) => demo::run(args).await,
        Command::Run(args) => run::run(args).await,
        Command::Resync(args) => resync::run(args).await,
        Command::DryRun(args) => dry_run::run(args).await,
        Command::Status(args) => status::status(args).await,
        Command::Retry(args) => status::retry(args).await,
        Command::Delist(args) => status::delist(args).await,
        Command::Explain(args) => explain::run(args).await,
        Command::Migrate(args) => status::migrate(args).await,
        Command::Check(args) => check::run(args).await,
        Command::Fixtures(args) => fixtures::run(args).await,
        Command::Photo(args) => photo::run(args).await,
        Command::Tmall(args) => tmall::run(args).await,
        Command::Completions(args) => completions::completions(args),
        Command::Man => completions::man(),
        Command::Ka(args) => ka::run(args).await,
        Command::Spi(args) => spi::run(args).await,
    }
}

pub use completions::write_man;

/// JSON logs when stderr is not a terminal (systemd, CI), readable lines when it is; no colour
/// when `NO_COLOR` is set (<https://no-color.org>). `--quiet` keeps errors only and turns the
/// progress lines off.
pub fn init_logging(verbose: u8, quiet: bool) {
    use std::io::IsTerminal;
    crate::report::progress::set_quiet(quiet);
    let default = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("RENTSYNC_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(!no_color());
    if std::io::stderr().is_terminal() {
        builder.init();
    } else {
        builder.json().init();
    }
}

/// `NO_COLOR` set to anything but the empty string turns colour off.
pub fn no_color() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}
