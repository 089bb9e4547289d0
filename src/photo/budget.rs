//! The byte budget: the highest JPEG quality whose output fits, found in at most three encodes.
//!
//! JPEG size grows roughly exponentially with quality over the useful range, so ln(size) is close
//! to linear in q. The first encode is at the top quality; if it does not fit, the second is at the
//! quality a typical slope predicts, and the third interpolates between the two measured points
//! (a secant on ln(size)). Blind bisection over 60–92 would need five or six encodes.

use fast_image_resize::images::Image;
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::RgbImage;
use jpeg_encoder::{ColorType, Encoder, QuantizationTableType};

use super::{PhotoError, PhotoSettings};

/// Typical d ln(size) / d quality between q 60 and 92 for photographs.
const TYPICAL_SLOPE: f64 = 0.045;

pub fn encode_jpeg(img: &RgbImage, quality: u8) -> Result<Vec<u8>, PhotoError> {
    let (w, h) = img.dimensions();
    let (w16, h16) = match (u16::try_from(w), u16::try_from(h)) {
        (Ok(a), Ok(b)) => (a, b),
        _ => {
            return Err(PhotoError::Encode(format!(
                "{w}x{h} is beyond JPEG's 65535 limit"
            )))
        }
    };
    let mut out = Vec::with_capacity((w as usize * h as usize) / 4);
    let mut enc = Encoder::new(&mut out, quality);
    enc.set_optimized_huffman_tables(true);
    // Robidoux's tables: better detail than the Annex K ones at the same size.
    enc.set_quantization_tables(
        QuantizationTableType::ImageMagick,
        QuantizationTableType::ImageMagick,
    );
    enc.encode(img.as_raw(), w16, h16, ColorType::Rgb)
        .map_err(|e| PhotoError::Encode(e.to_string()))?;
    Ok(out)
}

/// Shrinks so the long edge is at most `long_edge` (never enlarges), with Lanczos3.
pub fn resize_to(img: RgbImage, long_edge: u32) -> Result<RgbImage, PhotoError> {
    let (w, h) = img.dimensions();
    let long = w.max(h);
    if long <= long_edge {
        return Ok(img);
    }
    let scale = f64::from(long_edge) / f64::from(long);
    let (nw, nh) = (
        ((f64::from(w) * scale).round() as u32).max(1),
        ((f64::from(h) * scale).round() as u32).max(1),
    );
    let src = Image::from_vec_u8(w, h, img.into_raw(), PixelType::U8x3)
        .map_err(|e| PhotoError::Encode(e.to_string()))?;
    let mut dst = Image::new(nw, nh, PixelType::U8x3);
    Resizer::new()
        .resize(
            &src,
            &mut dst,
            &ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3)),
        )
        .map_err(|e| PhotoError::Encode(e.to_string()))?;
    RgbImage::from_raw(nw, nh, dst.into_vec())
        .ok_or_else(|| PhotoError::Encode("resize buffer".into()))
}

/// A JPEG that fits, with how it was made.
#[derive(Debug, Clone)]
pub struct Fitted {
    pub jpeg: Vec<u8>,
    pub size: (u32, u32),
    pub quality: u8,
    pub encodes: u32,
}

/// Encodes `img` at the highest quality that fits `settings.max_bytes`.
pub fn fit(img: RgbImage, settings: &PhotoSettings) -> Result<Fitted, PhotoError> {
    let mut img = resize_to(img, settings.long_edge)?;
    let budget = settings.max_bytes;
    let (lo, hi) = (
        settings.min_quality.min(settings.max_quality),
        settings.max_quality,
    );
    let mut encodes = 0;
    loop {
        let mut enc = |q: u8| -> Result<Vec<u8>, PhotoError> {
            encodes += 1;
            encode_jpeg(&img, q)
        };
        let top = enc(hi)?;
        if top.len() <= budget {
            return Ok(Fitted {
                jpeg: top,
                size: img.dimensions(),
                quality: hi,
                encodes,
            });
        }
        let ln_budget = (budget as f64).ln();
        let ln_top = (top.len() as f64).ln();
        let step = ((ln_top - ln_budget) / TYPICAL_SLOPE).ceil() as i32 + 1;
        let q2 = (i32::from(hi) - step).clamp(i32::from(lo), i32::from(hi) - 1) as u8;
        let second = enc(q2)?;
        let ln_second = (second.len() as f64).ln();
        // The measured slope between the two points (guarded against flat or inverted curves).
        let slope = ((ln_top - ln_second) / f64::from(hi - q2)).max(0.005);
        if second.len() <= budget {
            let q3 = q2 as i32 + ((ln_budget - ln_second) / slope).floor() as i32;
            if q3 > q2 as i32 && q3 < hi as i32 {
                let third = enc(q3 as u8)?;
                if third.len() <= budget {
                    return Ok(Fitted {
                        jpeg: third,
                        size: img.dimensions(),
                        quality: q3 as u8,
                        encodes,
                    });
                }
            }
            return Ok(Fitted {
                jpeg: second,
                size: img.dimensions(),
                quality: q2,
                encodes,
            });
        }
        if q2 > lo {
            let q3 =
                (q2 as i32 - ((ln_second - ln_budget) / slope).ceil() as i32).max(lo as i32) as u8;
            let third = enc(q3)?;
            if third.len() <= budget {
                return Ok(Fitted {
                    jpeg: third,
                    size: img.dimensions(),
                    quality: q3,
                    encodes,
                });
            }
        }
        // Even the lowest acceptable quality is too big: fewer pixels, then search again.
        let (w, h) = img.dimensions();
        if w.max(h) <= 64 {
            return Err(PhotoError::DoesNotFit {
                max: budget,
                width: w,
                height: h,
            });
        }
        let shrink = ((budget as f64 / second.len() as f64).sqrt() * 0.92).clamp(0.3, 0.95);
        let long = ((f64::from(w.max(h)) * shrink) as u32).max(64);
        img = resize_to(img, long)?;
    }
}
