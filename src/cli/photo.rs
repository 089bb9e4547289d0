//! `rentsync photo IN... --out DIR`: runs the photo pipeline on files or URLs, so operators can
//! preview what the platform will get. One JPEG per input (same stem, `.jpg`), one line per input
//! in the order given; exit 1 if any failed. Inputs run concurrently on the same pool the daemon
//! uses (one job per core, shared memory budget, per-photo timeout).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use crate::photo::{
    AddressPolicy, Deadlines, LocalRoot, PhotoSettings, PhotoSource, Pool, PoolConfig, Processed,
};

#[derive(Debug, clap::Args)]
pub struct PhotoArgs {
    /// Input photos: paths, file:// or http(s):// URLs (JPEG, PNG, WebP, GIF, BMP; the format is
    /// read from the bytes).
    #[arg(required = true)]
    pub inputs: Vec<String>,
    #[arg(long)]
    pub out: PathBuf,
    /// Output budget in bytes of JPEG (the base64 text sent is 4/3 of it).
    #[arg(long, default_value_t = 700_000)]
    pub max_bytes: usize,
    /// Longest edge of the output in pixels (never upscaled).
    #[arg(long, default_value_t = 2560)]
    pub long_edge: u32,
    /// Photos processed at once (default: one per core).
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Longest a photo may take.
    #[arg(long, default_value_t = 60)]
    pub timeout_secs: u64,
    /// Decoded-image memory all running jobs may hold together, in MiB (as `worker.photo_memory_mb`).
    #[arg(long, default_value_t = crate::photo::DEFAULT_MEMORY_MB)]
    pub memory_mb: u64,
    /// Networks URLs may reach besides public addresses, as a tenant's `photo_hosts_allow`
    /// (e.g. `--allow-host 10.0.0.0/8`); repeatable.
    #[arg(long = "allow-host")]
    pub allow_hosts: Vec<String>,
}

pub async fn run(args: PhotoArgs) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(&args.out)?;
    let settings = PhotoSettings {
        max_bytes: args.max_bytes,
        long_edge: args.long_edge,
        ..Default::default()
    };
    let mut pool = PoolConfig {
        timeout: Duration::from_secs(args.timeout_secs.max(1)),
        memory_bytes: args.memory_mb.max(64) << 20,
        ..Default::default()
    };
    if let Some(jobs) = args.jobs {
        pool.jobs = jobs.max(1);
    }
    let pool = Pool::new(pool);
    // Paths typed on the command line are the operator's own: read wherever they are. URLs get
    // the daemon's address policy, so a preview shows what a tenant would fetch.
    let allow = AddressPolicy::parse(&args.allow_hosts)
        .map_err(|e| anyhow::anyhow!("--allow-host: {e}"))?;
    let source = PhotoSource::new(LocalRoot::Anywhere, allow, Deadlines::default());
    let jobs = args.inputs.iter().map(|input| {
        let (pool, source, settings) = (&pool, &source, settings.clone());
        async move {
            let bytes = source.fetch(input).await.map_err(|e| e.to_string())?;
            pool.process(bytes, settings)
                .await
                .map_err(|e| e.to_string())
        }
    });
    let results = futures_util::future::join_all(jobs).await;
    let mut failed = 0;
    for (input, result) in args.inputs.iter().zip(results) {
        match result {
            Ok(p) => {
                let out = args.out.join(format!("{}.jpg", stem(input)));
                std::fs::write(&out, &p.jpeg)?;
                println!("{input}: {} -> {}", describe(&p), out.display());
            }
            Err(e) => {
                println!("{input}: FAILED: {e}");
                failed += 1;
            }
        }
    }
    Ok(if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// The file name without extension, from a path or the last segment of a URL.
fn stem(input: &str) -> String {
    let path = input.split(['?', '#']).next().unwrap_or(input);
    let name = path.rsplit('/').next().unwrap_or(path);
    match Path::new(name).file_stem() {
        Some(s) if !s.is_empty() => s.to_string_lossy().into_owned(),
        _ => "photo".into(),
    }
}

fn describe(p: &Processed) -> String {
    let decoded = if p.decoded_size == p.in_size {
        String::new()
    } else {
        format!(" (decoded at {}x{})", p.decoded_size.0, p.decoded_size.1)
    };
    format!(
        "{} bytes {}x{}{decoded} -> {} bytes {}x{}, quality {:.1}, {} encode(s) + {} on the 1/4 proxy, {}, {} ms",
        p.in_bytes,
        p.in_size.0,
        p.in_size.1,
        p.jpeg.len(),
        p.out_size.0,
        p.out_size.1,
        p.quality,
        p.encodes,
        p.proxy_encodes,
        p.colour,
        p.elapsed.as_millis(),
    )
}
