//! Bytes → pixels in the source's colour space, its ICC profile and its EXIF orientation. The
//! format is sniffed from the bytes; HEIC/AVIF are named and refused with advice (no maintained
//! pure-Rust HEIC decoder); alpha is flattened on white (the platform shows JPEGs on white).
//!
//! JPEGs go to `jpeg.rs`: those far larger than the target are decoded at 1/2, 1/4 or 1/8 scale by
//! the IDCT itself, so a 48 MP photo bound for 2560 px never exists at full size in memory. Other
//! formats go through `image`.

use std::io::Cursor;

use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader};

use super::jpeg;
use super::raster::{Raster, Samples};
use super::PhotoError;

/// Longest edge any input may have, whatever its pixel count.
pub const MAX_EDGE: u32 = 30_000;

/// A decoded photo, not yet resized, converted or turned upright.
#[derive(Debug)]
pub struct Decoded {
    pub raster: Raster,
    pub icc: Option<Vec<u8>>,
    pub orientation: Orientation,
    /// The source's stored size, before any reduced-scale decoding.
    pub in_size: (u32, u32),
}

/// What decoding a photo will take, read from its header alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Probe {
    pub in_size: (u32, u32),
    /// Bytes the decode holds at its peak (decoder buffers and the decoded raster).
    pub peak_bytes: u64,
}

/// What the first bytes say, for the error of an unsupported file.
fn sniff(bytes: &[u8]) -> String {
    if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
        let brand = String::from_utf8_lossy(&bytes[8..12]).to_string();
        return match brand.as_str() {
            "heic" | "heix" | "hevc" | "heim" | "heis" | "mif1" | "msf1" => "HEIC".into(),
            "avif" | "avis" => "AVIF".into(),
            other => format!("ISO media, brand {other}"),
        };
    }
    match image::guess_format(bytes) {
        Ok(f) => format!("{f:?}"),
        Err(_) => "not an image".into(),
    }
}

fn format_of(bytes: &[u8]) -> Result<ImageFormat, PhotoError> {
    let format = match image::guess_format(bytes) {
        Ok(
            f @ (ImageFormat::Jpeg
            | ImageFormat::Png
            | ImageFormat::WebP
            | ImageFormat::Gif
            | ImageFormat::Bmp),
        ) => f,
        _ => return Err(PhotoError::Unsupported(sniff(bytes))),
    };
    // Decoders pad a cut-off JPEG with grey rather than fail: require the end marker, as the
    // platform's upload check does, so a half-copied file is an error, not half a photo.
    if matches!(format, ImageFormat::Jpeg | ImageFormat::Png)
        && crate::plan::rules::image_kind(bytes).is_none()
    {
        return Err(PhotoError::Corrupt(format!(
            "truncated {format:?}: no end marker"
        )));
    }
    Ok(format)
}

pub fn check_size(w: u32, h: u32, max_pixels: u64) -> Result<(), PhotoError> {
    if u64::from(w) * u64::from(h) > max_pixels || w > MAX_EDGE || h > MAX_EDGE {
        return Err(PhotoError::TooLarge {
            width: w,
            height: h,
            max: max_pixels,
        });
    }
    Ok(())
}

/// Reads the header only: the size, and the memory the decode will need.
pub fn probe(bytes: &[u8], long_edge: u32, max_pixels: u64) -> Result<Probe, PhotoError> {
    if format_of(bytes)? == ImageFormat::Jpeg {
        return jpeg::probe(bytes, long_edge, max_pixels);
    }
    let decoder = reader(bytes, format_of(bytes)?, max_pixels)?;
    let (w, h) = decoder.dimensions();
    check_size(w, h, max_pixels)?;
    // The decoded image, then its 8-bit RGB copy.
    let peak = decoder.total_bytes() + u64::from(w) * u64::from(h) * 3;
    Ok(Probe {
        in_size: (w, h),
        peak_bytes: peak,
    })
}

fn reader(
    bytes: &[u8],
    format: ImageFormat,
    max_pixels: u64,
) -> Result<Box<dyn ImageDecoder + '_>, PhotoError> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_EDGE);
    limits.max_image_height = Some(MAX_EDGE);
    // Decoded RGBA16 at the pixel cap, plus the decoder's own buffers.
    limits.max_alloc = Some(max_pixels.saturating_mul(8).saturating_add(64 << 20));
    reader.limits(limits);
    let decoder = reader
        .into_decoder()
        .map_err(|e| PhotoError::Corrupt(e.to_string()))?;
    Ok(Box::new(decoder))
}

/// Decodes a photo bound for at most `long_edge` pixels on its long side.
pub fn decode(bytes: &[u8], long_edge: u32, max_pixels: u64) -> Result<Decoded, PhotoError> {
    let format = format_of(bytes)?;
    if format == ImageFormat::Jpeg {
        return jpeg::decode(bytes, long_edge, max_pixels);
    }
    let mut decoder = reader(bytes, format, max_pixels)?;
    let (w, h) = decoder.dimensions();
    check_size(w, h, max_pixels)?;
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let icc = decoder.icc_profile().ok().flatten();
    let img = DynamicImage::from_decoder(decoder).map_err(|e| match e {
        image::ImageError::Limits(_) => PhotoError::TooLarge {
            width: w,
            height: h,
            max: max_pixels,
        },
        other => PhotoError::Corrupt(other.to_string()),
    })?;
    Ok(Decoded {
        raster: flatten(img)?,
        icc,
        orientation,
        in_size: (w, h),
    })
}

/// 8-bit grey or RGB, with any alpha composited over white.
fn flatten(img: DynamicImage) -> Result<Raster, PhotoError> {
    let (w, h) = (img.width(), img.height());
    let grey = matches!(
        img,
        DynamicImage::ImageLuma8(_)
            | DynamicImage::ImageLumaA8(_)
            | DynamicImage::ImageLuma16(_)
            | DynamicImage::ImageLumaA16(_)
    );
    if !img.color().has_alpha() {
        return if grey {
            Raster::new(w, h, Samples::Gray, img.into_luma8().into_raw())
        } else {
            Raster::new(w, h, Samples::Rgb, img.into_rgb8().into_raw())
        };
    }
    let over_white = |c: u8, a: u32| ((u32::from(c) * a + 255 * (255 - a) + 127) / 255) as u8;
    if grey {
        let la = img.into_luma_alpha8();
        let data = la.pixels().map(|p| over_white(p[0], u32::from(p[1])));
        return Raster::new(w, h, Samples::Gray, data.collect());
    }
    let rgba = img.into_rgba8();
    let mut data = Vec::with_capacity(w as usize * h as usize * 3);
    for p in rgba.pixels() {
        let a = u32::from(p[3]);
        data.extend([
            over_white(p[0], a),
            over_white(p[1], a),
            over_white(p[2], a),
        ]);
    }
    Raster::new(w, h, Samples::Rgb, data)
}
