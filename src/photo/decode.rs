//! Bytes → an upright sRGB-ish RGB image. The format is sniffed from the bytes; HEIC/AVIF are named
//! and refused with advice (no maintained pure-Rust HEIC decoder); alpha is flattened on white (the
//! platform shows JPEGs on white). Embedded ICC profiles are not converted yet: wide-gamut and
//! CMYK photos keep the decoder's reading of their numbers (see docs/PHOTOS.md).

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, RgbImage};

use super::PhotoError;

/// Longest edge any input may have, whatever its pixel count.
const MAX_EDGE: u32 = 30_000;

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

pub fn decode(bytes: &[u8], max_pixels: u64) -> Result<RgbImage, PhotoError> {
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
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_EDGE);
    limits.max_image_height = Some(MAX_EDGE);
    // Decoded RGBA16 at the pixel cap, plus the decoder's own buffers.
    limits.max_alloc = Some(max_pixels.saturating_mul(8).saturating_add(64 << 20));
    reader.limits(limits);
    let mut decoder = reader
        .into_decoder()
        .map_err(|e| PhotoError::Corrupt(e.to_string()))?;
    let (w, h) = decoder.dimensions();
    if u64::from(w) * u64::from(h) > max_pixels {
        return Err(PhotoError::TooLarge {
            width: w,
            height: h,
            max: max_pixels,
        });
    }
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut img = DynamicImage::from_decoder(decoder).map_err(|e| match e {
        image::ImageError::Limits(_) => PhotoError::TooLarge {
            width: w,
            height: h,
            max: max_pixels,
        },
        other => PhotoError::Corrupt(other.to_string()),
    })?;
    img.apply_orientation(orientation);
    Ok(flatten(img))
}

/// RGB, with any alpha composited over white.
fn flatten(img: DynamicImage) -> RgbImage {
    if !img.color().has_alpha() {
        return img.to_rgb8();
    }
    let rgba = img.to_rgba8();
    let (w, h) = rgba.dimensions();
    let mut out = RgbImage::new(w, h);
    for (dst, src) in out.pixels_mut().zip(rgba.pixels()) {
        let a = u32::from(src[3]);
        for c in 0..3 {
            dst[c] = ((u32::from(src[c]) * a + 255 * (255 - a) + 127) / 255) as u8;
        }
    }
    out
}
