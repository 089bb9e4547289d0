//! `rentsync fixtures --db URL --listings N`: (re)creates the sample operator schema with the
//! contract views and fills it with generated listings. It DROPS the sample tables first: point it
//! only at a scratch database, never at an operator's.

use std::process::ExitCode;

use crate::db::{redact, Db};
use crate::fixtures::{generate, load_schema, GenOptions};

#[derive(Debug, clap::Args)]
pub struct FixturesArgs {
    /// Scratch database URL (postgres://, mysql://, sqlite://).
    #[arg(long)]
    pub db: String,
    /// Listings to generate (whole flats + shared bedrooms + room types).
    #[arg(long, default_value_t = 300)]
    pub listings: usize,
    /// Random seed: the same seed makes the same listings.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Share of listings that break a platform rule.
    #[arg(long, default_value_t = 0.02)]
    pub broken_rate: f64,
}

pub async fn run(args: FixturesArgs) -> anyhow::Result<ExitCode> {
    let db = Db::connect(&args.db, 2).await?;
    load_schema(&db).await?;
    let started = std::time::Instant::now();
    let stats = generate(
        &db,
        &GenOptions {
            listings: args.listings,
            seed: args.seed,
            broken_rate: args.broken_rate,
            ..Default::default()
        },
    )
    .await?;
    println!(
        "{}: {} listings ({} whole flats, {} bedrooms, {} room types, {} rooms), {} photos, {} meant to break rules; {} leases, {} bills, {} booking answers; in {:.1} s",
        redact(&args.db),
        stats.listings(),
        stats.whole_flats,
        stats.bedrooms,
        stats.room_types,
        stats.rooms,
        stats.photos,
        stats.broken,
        stats.leases,
        stats.bills,
        stats.booking_answers,
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}
