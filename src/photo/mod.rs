//! The photo pipeline: any operator photo → one JPEG within the platform's byte budget, at the
//! highest quality that fits. The folders read as the data flow:
//!
//! `source` (path or `file://` inside `photo_dir`, `http(s)://` to allowed addresses) → `decode` (format sniffed from the bytes; large JPEGs
//! decoded at reduced scale by `jpeg`) → `raster` (cap the long edge, never upscale) → `color`
//! (embedded ICC profile or CMYK → sRGB) → `raster` (EXIF orientation) → `budget` (the highest
//! quality that fits, in at most three encodes; downscale only when even the lowest does not).
//! Metadata is never copied: GPS positions in phone photos are private.
//!
//! Resizing comes before colour conversion and orientation so that both touch the small image.
//! `pool` runs jobs on the blocking pool under a shared decoded-memory budget and a timeout.

mod budget;
mod color;
mod decode;
mod jpeg;
mod pool;
mod raster;
mod source;

use std::time::{Duration, Instant};

pub use budget::{encode_jpeg, fit, Fitted};
pub use color::Colour;
pub use decode::{decode, probe, Decoded, Probe};
pub use pool::{return_freed_memory, Pool, PoolConfig, DEFAULT_MEMORY_MB};
pub use raster::{Raster, Samples};
pub use source::{
    is_remote, AddressPolicy, Deadlines, Fetched, LocalRoot, PhotoSource, SourceError, Validators,
    MAX_SOURCE_BYTES,
};

/// What the pipeline aims for; part of the photo cache key, so a change re-processes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoSettings {
    /// Output budget in bytes of JPEG (the base64 text is 4/3 of it).
    pub max_bytes: usize,
    /// Longest edge of the output, in pixels; never upscaled.
    pub long_edge: u32,
    pub max_quality: u8,
    pub min_quality: u8,
    /// Refuse inputs with more pixels than this (decompression bombs).
    pub max_pixels: u64,
}

impl Default for PhotoSettings {
    fn default() -> Self {
        Self {
            max_bytes: 700_000,
            long_edge: 2560,
            max_quality: 95,
            min_quality: 60,
            max_pixels: 100_000_000,
        }
    }
}

impl PhotoSettings {
    /// A short, stable text of the settings for cache keys.
    pub fn key(&self) -> String {
        format!(
            "v2:{}:{}:{}-{}",
            self.max_bytes, self.long_edge, self.min_quality, self.max_quality
        )
    }
}

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum PhotoError {
    #[error("unsupported format ({0}): convert it to JPEG")]
    Unsupported(String),
    #[error("cannot decode: {0}")]
    Corrupt(String),
    #[error("{width}x{height} is more than the {max} pixels allowed")]
    TooLarge { width: u32, height: u32, max: u64 },
    #[error("cannot encode: {0}")]
    Encode(String),
    #[error("does not fit in {max} bytes even at {width}x{height}")]
    DoesNotFit { max: usize, width: u32, height: u32 },
    #[error("took longer than {0:?}")]
    Timeout(Duration),
}

impl PhotoError {
    /// A short label for metrics.
    pub fn reason(&self) -> &'static str {
        match self {
            PhotoError::Unsupported(_) => "unsupported",
            PhotoError::Corrupt(_) => "corrupt",
            PhotoError::TooLarge { .. } => "too_large",
            PhotoError::Encode(_) => "encode",
            PhotoError::DoesNotFit { .. } => "does_not_fit",
            PhotoError::Timeout(_) => "timeout",
        }
    }
}

/// When a photo job must give up. Checked between steps: a decode or an encode is not cut short,
/// but nothing new starts after the deadline.
#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    at: Option<Instant>,
    limit: Duration,
}

impl Deadline {
    pub fn none() -> Self {
        Self {
            at: None,
            limit: Duration::MAX,
        }
    }

    pub fn after(limit: Duration) -> Self {
        Self {
            at: Instant::now().checked_add(limit),
            limit,
        }
    }

    pub fn check(&self) -> Result<(), PhotoError> {
        match self.at {
            Some(at) if Instant::now() > at => Err(PhotoError::Timeout(self.limit)),
            _ => Ok(()),
        }
    }
}

/// One processed photo and what it took.
#[derive(Debug, Clone)]
pub struct Processed {
    pub jpeg: Vec<u8>,
    pub in_bytes: usize,
    pub in_size: (u32, u32),
    /// The size the decoder produced: smaller than `in_size` when a JPEG was decoded at 1/2–1/8.
    pub decoded_size: (u32, u32),
    pub out_size: (u32, u32),
    pub colour: Colour,
    /// Fractional: the tables are scaled continuously (see `budget`).
    pub quality: f32,
    /// Encodes of the whole image.
    pub encodes: u32,
    /// Encodes of the quarter-height proxy that located the quality first (each about a quarter
    /// of the cost).
    pub proxy_encodes: u32,
    pub elapsed: Duration,
}

/// Runs the whole pipeline on one photo's bytes, with no time limit.
pub fn process(bytes: &[u8], settings: &PhotoSettings) -> Result<Processed, PhotoError> {
    process_until(bytes, settings, &Deadline::none())
}

/// Runs the whole pipeline on one photo's bytes, giving up at `deadline`. A decoder that panics
/// on a hostile file is an error for that photo, not the end of the process.
pub fn process_until(
    bytes: &[u8],
    settings: &PhotoSettings,
    deadline: &Deadline,
) -> Result<Processed, PhotoError> {
    std::panic::catch_unwind(|| pipeline(bytes, settings, deadline)).unwrap_or_else(|_| {
        Err(PhotoError::Corrupt(
            "the decoder failed on this file".into(),
        ))
    })
}

fn pipeline(
    bytes: &[u8],
    settings: &PhotoSettings,
    deadline: &Deadline,
) -> Result<Processed, PhotoError> {
    let started = Instant::now();
    let pixels = upright_srgb(bytes, settings, deadline)?;
    let fitted = fit(pixels.raster, settings, deadline)?;
    Ok(Processed {
        jpeg: fitted.jpeg,
        in_bytes: bytes.len(),
        in_size: pixels.in_size,
        decoded_size: pixels.decoded_size,
        out_size: fitted.size,
        colour: pixels.colour,
        quality: fitted.quality,
        encodes: fitted.encodes,
        proxy_encodes: fitted.proxy_encodes,
        elapsed: started.elapsed(),
    })
}

/// A photo's pixels ready to encode: within the long edge, sRGB, upright.
pub struct Upright {
    pub raster: Raster,
    pub colour: Colour,
    pub in_size: (u32, u32),
    pub decoded_size: (u32, u32),
}

/// Everything before the encoder: decode (at reduced scale when it can), cap the long edge,
/// convert to sRGB, turn upright.
pub fn upright_srgb(
    bytes: &[u8],
    settings: &PhotoSettings,
    deadline: &Deadline,
) -> Result<Upright, PhotoError> {
    let t0 = Instant::now();
    let decoded = decode(bytes, settings.long_edge, settings.max_pixels)?;
    deadline.check()?;
    let decoded_size = decoded.raster.dimensions();
    let t1 = Instant::now();
    let small = decoded.raster.fit_long_edge(settings.long_edge)?;
    deadline.check()?;
    let t2 = Instant::now();
    let (srgb, colour) = color::to_srgb(small, decoded.icc.as_deref())?;
    let t3 = Instant::now();
    let raster = srgb.orient(decoded.orientation)?;
    tracing::debug!(
        decode_ms = (t1 - t0).as_millis() as u64,
        resize_ms = (t2 - t1).as_millis() as u64,
        colour_ms = (t3 - t2).as_millis() as u64,
        orient_ms = t3.elapsed().as_millis() as u64,
        "photo prepared"
    );
    Ok(Upright {
        raster,
        colour,
        in_size: decoded.in_size,
        decoded_size,
    })
}

#[cfg(test)]
mod tests;
