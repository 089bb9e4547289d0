//! `rentsync photo IN... --out DIR`: runs the photo pipeline on files, so operators can preview what
//! the platform will get. One JPEG per input (same stem, `.jpg`), one line per file; exit 1 if any
//! failed.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::photo::{process, PhotoSettings};

#[derive(Debug, clap::Args)]
pub struct PhotoArgs {
    /// Input photos (JPEG, PNG, WebP, GIF, BMP; format read from the bytes).
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    #[arg(long)]
    pub out: PathBuf,
    /// Output budget in bytes.
    #[arg(long, default_value_t = 700_000)]
    pub max_bytes: usize,
    /// Longest edge of the output in pixels (never upscaled).
    #[arg(long, default_value_t = 2560)]
    pub long_edge: u32,
}

pub fn run(args: PhotoArgs) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(&args.out)?;
    let settings = PhotoSettings {
        max_bytes: args.max_bytes,
        long_edge: args.long_edge,
        ..Default::default()
    };
    let mut failed = 0;
    for input in &args.inputs {
        let name = input.display();
        let bytes = match std::fs::read(input) {
            Ok(b) => b,
            Err(e) => {
                println!("{name}: FAILED: cannot read: {e}");
                failed += 1;
                continue;
            }
        };
        match process(&bytes, &settings) {
            Ok(p) => {
                let stem = input
                    .file_stem()
                    .map_or("photo".into(), |s| s.to_string_lossy().into_owned());
                let out = args.out.join(format!("{stem}.jpg"));
                std::fs::write(&out, &p.jpeg)?;
                println!(
                    "{name}: {} bytes {}x{} -> {} bytes {}x{}, quality {}, {} encode(s), {} ms -> {}",
                    p.in_bytes,
                    p.in_size.0,
                    p.in_size.1,
                    p.jpeg.len(),
                    p.out_size.0,
                    p.out_size.1,
                    p.quality,
                    p.encodes,
                    p.elapsed.as_millis(),
                    out.display()
                );
            }
            Err(e) => {
                println!("{name}: FAILED: {e}");
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
