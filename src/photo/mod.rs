//! The photo pipeline: any operator photo → one JPEG within the platform's byte budget, at the
//! highest quality that fits. Decode (format sniffed from the bytes, never the name) → apply EXIF
//! orientation → flatten alpha on white → cap the long edge (never upscale) → encode under the
//! budget in at most three encodes (`budget.rs`), downscaling only when even the lowest quality
//! does not fit. Metadata is never copied: GPS positions in phone photos are private.
//!
//! CPU work runs on the blocking pool behind a semaphore sized to the cores (see `worker`), with
//! limits on dimensions and decoded bytes against decompression bombs.

mod budget;
mod decode;

use std::time::{Duration, Instant};

pub use budget::{encode_jpeg, fit, Fitted};
pub use decode::decode;

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
            max_quality: 92,
            min_quality: 60,
            max_pixels: 100_000_000,
        }
    }
}

impl PhotoSettings {
    /// A short, stable text of the settings for cache keys.
    pub fn key(&self) -> String {
        format!(
            "v1:{}:{}:{}-{}",
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
}

/// One processed photo and what it took.
#[derive(Debug, Clone)]
pub struct Processed {
    pub jpeg: Vec<u8>,
    pub in_bytes: usize,
    pub in_size: (u32, u32),
    pub out_size: (u32, u32),
    pub quality: u8,
    pub encodes: u32,
    pub elapsed: Duration,
}

/// Runs the whole pipeline on one photo's bytes.
pub fn process(bytes: &[u8], settings: &PhotoSettings) -> Result<Processed, PhotoError> {
    let started = Instant::now();
    let img = decode(bytes, settings.max_pixels)?;
    let in_size = (img.width(), img.height());
    let fitted = fit(img, settings)?;
    Ok(Processed {
        jpeg: fitted.jpeg,
        in_bytes: bytes.len(),
        in_size,
        out_size: fitted.size,
        quality: fitted.quality,
        encodes: fitted.encodes,
        elapsed: started.elapsed(),
    })
}

#[cfg(test)]
mod tests;
