//! Every JPEG is decoded here, with `jpeg-decoder`:
//!
//! - **Reduced scale.** A JPEG stores 8×8 blocks of frequencies; decoding only the lowest 4×4, 2×2
//!   or 1×1 of each block yields the image at 1/2, 1/4 or 1/8 size for a fraction of the work and
//!   memory (libjpeg's `scale_denom`, libvips' shrink-on-load).
//! - **CMYK and YCCK.** Photoshop stores the inks inverted (Adobe APP14); `jpeg-decoder` hands back
//!   ink amounts (0 = no ink), which is what ICC CMYK profiles expect.
//! - **Correct colours.** zune-jpeg (the decoder inside `image` 0.25) decodes flat 4:2:0 files
//!   with optimized Huffman tables as green where libjpeg sees red; at full size `jpeg-decoder`
//!   is as fast on this machine (210 ms against 222 ms for 20 MP), so it takes every JPEG.

use std::io::Cursor;

use image::metadata::Orientation;
use jpeg_decoder::{CodingProcess, Decoder, PixelFormat};

use super::decode::{check_size, Decoded, Probe};
use super::raster::{Raster, Samples};
use super::PhotoError;

fn corrupt(e: jpeg_decoder::Error) -> PhotoError {
    PhotoError::Corrupt(e.to_string())
}

/// The IDCT scale (8 = full, 4 = half…) that keeps the long edge at or above the decode floor
/// for `long_edge`, as `jpeg-decoder` chooses it.
fn idct_size(w: u32, h: u32, long_edge: u32) -> u32 {
    let long_edge = decode_floor(long_edge);
    let long = w.max(h);
    for size in [1, 2, 4] {
        if (long * size).div_ceil(8) >= long_edge {
            return size;
        }
    }
    8
}

/// A reduced-scale decode keeps at least this multiple of the target's long edge.
/// `jpeg-decoder`'s reduced IDCTs alias: decoded at 1/2 to just above the target, a 6028 px photo
/// scored 82.6 (SSIMULACRA2) against 85.1 decoded whole; with the Lanczos step left at least a
/// third of the work, the difference is gone (`docs/BENCHMARKS.md`).
const SHRINK_HEADROOM: f64 = 1.5;

/// The long edge a reduced-scale decode must keep.
fn decode_floor(long_edge: u32) -> u32 {
    (f64::from(long_edge) * SHRINK_HEADROOM).round() as u32
}

struct Header {
    w: u32,
    h: u32,
    components: u64,
    progressive: bool,
}

fn header(
    bytes: &[u8],
    decoder: &mut Decoder<Cursor<&[u8]>>,
    max_pixels: u64,
) -> Result<Header, PhotoError> {
    // `jpeg-decoder` panics on component counts other than 1, 3 and 4: refuse them first.
    match sof_components(bytes) {
        Some(1 | 3 | 4) => {}
        Some(n) => return Err(PhotoError::Unsupported(format!("JPEG with {n} components"))),
        None => return Err(PhotoError::Corrupt("no JPEG frame header".into())),
    }
    decoder.read_info().map_err(corrupt)?;
    let info = decoder
        .info()
        .ok_or_else(|| PhotoError::Corrupt("no JPEG frame header".into()))?;
    let (w, h) = (u32::from(info.width), u32::from(info.height));
    check_size(w, h, max_pixels)?;
    Ok(Header {
        w,
        h,
        components: info.pixel_format.pixel_bytes() as u64,
        progressive: info.coding_process == CodingProcess::DctProgressive,
    })
}

/// The component count in the frame header, walking the markers before it.
fn sof_components(bytes: &[u8]) -> Option<u8> {
    let mut at = 2;
    loop {
        let (&ff, &marker) = (bytes.get(at)?, bytes.get(at + 1)?);
        if ff != 0xFF {
            return None;
        }
        if marker == 0xFF {
            at += 1; // fill byte
            continue;
        }
        let len = usize::from(u16::from_be_bytes([
            *bytes.get(at + 2)?,
            *bytes.get(at + 3)?,
        ]));
        // SOF0–SOF15, except DHT (C4), JPG (C8) and DAC (CC).
        if (0xC0..=0xCF).contains(&marker) && !matches!(marker, 0xC4 | 0xC8 | 0xCC) {
            return bytes.get(at + 9).copied();
        }
        if marker == 0xDA {
            return None; // a scan before any frame header
        }
        at += 2 + len;
    }
}

pub fn probe(bytes: &[u8], long_edge: u32, max_pixels: u64) -> Result<Probe, PhotoError> {
    let mut decoder = Decoder::new(Cursor::new(bytes));
    let hd = header(bytes, &mut decoder, max_pixels)?;
    let size = u64::from(idct_size(hd.w, hd.h, long_edge));
    let full = u64::from(hd.w) * u64::from(hd.h);
    let scaled = full * size * size / 64;
    // Component planes plus the interleaved output; a progressive file also keeps every
    // coefficient (2 bytes each) of the whole image until the last scan.
    let mut peak = scaled * hd.components * 2 + scaled * 3;
    if hd.progressive {
        peak += full * hd.components * 2;
    }
    Ok(Probe {
        in_size: (hd.w, hd.h),
        peak_bytes: peak,
    })
}

/// Decodes at the smallest scale whose long edge still reaches `long_edge`.
pub fn decode(bytes: &[u8], long_edge: u32, max_pixels: u64) -> Result<Decoded, PhotoError> {
    let mut decoder = Decoder::new(Cursor::new(bytes));
    let hd = header(bytes, &mut decoder, max_pixels)?;
    // Decoded buffers at the pixel cap, whatever the file claims.
    decoder.set_max_decoding_buffer_size(
        usize::try_from(max_pixels.saturating_mul(4)).unwrap_or(usize::MAX),
    );
    let target = u16::try_from(decode_floor(long_edge)).unwrap_or(u16::MAX);
    let (sw, sh) = decoder.scale(target, target).map_err(corrupt)?;
    let pixels = decoder.decode().map_err(corrupt)?;
    let info = decoder
        .info()
        .ok_or_else(|| PhotoError::Corrupt("no JPEG frame header".into()))?;
    let (sw, sh) = (u32::from(sw), u32::from(sh));
    let raster = match info.pixel_format {
        PixelFormat::L8 => Raster::new(sw, sh, Samples::Gray, pixels)?,
        // 12-bit JPEGs: keep the high byte of each big-endian sample.
        PixelFormat::L16 => Raster::new(
            sw,
            sh,
            Samples::Gray,
            pixels.chunks_exact(2).map(|s| s[0]).collect(),
        )?,
        PixelFormat::RGB24 => Raster::new(sw, sh, Samples::Rgb, pixels)?,
        PixelFormat::CMYK32 => Raster::new(sw, sh, Samples::Cmyk, pixels)?,
    };
    let orientation = decoder
        .exif_data()
        .and_then(Orientation::from_exif_chunk)
        .unwrap_or(Orientation::NoTransforms);
    Ok(Decoded {
        raster,
        icc: decoder.icc_profile(),
        orientation,
        in_size: (hd.w, hd.h),
    })
}
