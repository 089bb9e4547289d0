//! The byte budget: the highest JPEG quality whose output fits, in few encodes.
//!
//! Quality here is continuous: the quantization tables (N. Robidoux's, as ImageMagick uses) are
//! scaled by the libjpeg formula from a fractional quality, so the search can land just under the
//! budget instead of on the integer quality below it (near the top, one integer step of quality
//! can be 30 % of the size).
//!
//! Size follows quality smoothly: ln(size) is close to linear in ln(100 − q), the log of the
//! quantizer scale. The first encode is at the top quality; the second at the quality a typical
//! slope predicts; the rest interpolate between the measured points (regula falsi), aiming 1 %
//! under the budget and stopping once within 4 % of it. A blind bisection would take 6–7 encodes.

use jpeg_encoder::{ColorType, Encoder, QuantizationTableType, SamplingFactor};

use super::raster::{Raster, Samples};
use super::{Deadline, PhotoError, PhotoSettings};

/// N. Robidoux's table (ImageMagick's default), used for luma and chroma alike.
const ROBIDOUX: [u16; 64] = [
    16, 16, 16, 18, 25, 37, 56, 85, 16, 17, 20, 27, 34, 40, 53, 75, 16, 20, 24, 31, 43, 62, 91,
    135, 18, 27, 31, 40, 53, 74, 106, 156, 25, 34, 43, 53, 69, 94, 131, 189, 37, 40, 62, 74, 94,
    124, 169, 238, 56, 53, 91, 106, 131, 169, 226, 311, 85, 75, 135, 156, 189, 238, 311, 418,
];

/// The table for a fractional quality, by libjpeg's scaling (baseline: entries 1..=255).
fn table(quality: f32) -> [u16; 64] {
    let q = quality.clamp(1.0, 100.0);
    let scale = if q < 50.0 {
        5000.0 / q
    } else {
        200.0 - 2.0 * q
    };
    ROBIDOUX.map(|v| (f32::from(v) * scale / 100.0).round().clamp(1.0, 255.0) as u16)
}

/// One baseline JPEG of a grey or RGB raster (4:2:0 for colour), no metadata.
pub fn encode_jpeg(img: &Raster, quality: f32) -> Result<Vec<u8>, PhotoError> {
    let (w, h) = img.dimensions();
    let (w16, h16) = match (u16::try_from(w), u16::try_from(h)) {
        (Ok(a), Ok(b)) => (a, b),
        _ => {
            return Err(PhotoError::Encode(format!(
                "{w}x{h} is beyond JPEG's 65535 limit"
            )))
        }
    };
    let color = match img.samples {
        Samples::Gray => ColorType::Luma,
        Samples::Rgb => ColorType::Rgb,
        Samples::Cmyk => return Err(PhotoError::Encode("CMYK must be converted first".into())),
    };
    let mut out = Vec::with_capacity((w as usize * h as usize) / 4);
    // With custom tables the quality byte only picks the default subsampling; we set it.
    let mut enc = Encoder::new(&mut out, quality as u8);
    // 4:2:0 at every quality. The encoder's default switches to 4:4:4 at 90, which puts a cliff
    // of +75 % in the size curve right where photos land, and at a fixed byte budget the bytes
    // buy more as luma quantization than as full-resolution chroma.
    enc.set_sampling_factor(SamplingFactor::F_2_2);
    enc.set_optimized_huffman_tables(true);
    let t = table(quality);
    enc.set_quantization_tables(
        QuantizationTableType::Custom(Box::new(t)),
        QuantizationTableType::Custom(Box::new(t)),
    );
    enc.encode(&img.data, w16, h16, color)
        .map_err(|e| PhotoError::Encode(e.to_string()))?;
    Ok(out)
}

/// A JPEG that fits, with how it was made.
#[derive(Debug, Clone)]
pub struct Fitted {
    pub jpeg: Vec<u8>,
    pub size: (u32, u32),
    pub quality: f32,
    pub encodes: u32,
}

/// Typical d ln(size) / d ln(100 − q) for photographs (steeper near the top, flatter below 80).
const TYPICAL_SLOPE: f64 = -1.6;
/// Bits per pixel a detailed photo takes at quality 95 (4:2:0, these tables): the start of the
/// size model before anything is measured.
const BPP_AT_95: f64 = 3.0;
/// The smallest move in x = ln(100 − q) when extrapolating: below it the tables barely change.
const MIN_STEP: f64 = 0.1;
/// Encodes per image size before settling for the best that fitted.
const MAX_TRIES: u32 = 5;
/// Close enough: within this share of the budget, a further encode buys too little.
const CLOSE: f64 = 0.96;
/// Aim this far under the budget, so a prediction that is slightly off still fits.
const AIM: f64 = 0.985;

fn x_of(q: f32) -> f64 {
    (100.0 - f64::from(q)).max(0.5).ln()
}

fn q_of(x: f64) -> f32 {
    (100.0 - x.exp()) as f32
}

/// A measured encode: x = ln(100 − q), y = ln(bytes).
#[derive(Clone, Copy)]
struct Point {
    x: f64,
    y: f64,
}

/// The next x to try, from what was measured so far. `reach` is the smallest move when only one
/// side is known; it grows with each miss, so a flat stretch of the size curve (the tables'
/// rounding makes it a staircase) is crossed in a few encodes.
fn predict(
    under: Option<Point>,
    over: Option<Point>,
    before: Option<Point>,
    target: f64,
    reach: f64,
) -> Option<f64> {
    match (under, over) {
        // Both sides measured: interpolate (regula falsi), kept off the ends of the bracket so
        // the bracket shrinks from both sides.
        (Some(u), Some(o)) => {
            let x = if (o.y - u.y).abs() > 1e-9 {
                o.x + (target - o.y) * (u.x - o.x) / (u.y - o.y)
            } else {
                (o.x + u.x) / 2.0
            };
            let margin = (u.x - o.x).abs() * 0.15;
            Some(x.clamp(o.x.min(u.x) + margin, o.x.max(u.x) - margin))
        }
        (None, Some(o)) => Some((o.x + (target - o.y) / slope(o, before)).max(o.x + reach)),
        (Some(u), None) => Some((u.x + (target - u.y) / slope(u, before)).min(u.x - reach)),
        (None, None) => None,
    }
}

/// The slope through two points on the same side of the target, else the typical one.
fn slope(p: Point, before: Option<Point>) -> f64 {
    match before {
        // Points too close measure the tables' rounding, not the slope.
        Some(b) if (p.x - b.x).abs() > 0.1 => ((p.y - b.y) / (p.x - b.x)).clamp(-6.0, -0.3),
        _ => TYPICAL_SLOPE,
    }
}

/// Encodes `img` at the highest quality that fits `settings.max_bytes`.
pub fn fit(
    img: Raster,
    settings: &PhotoSettings,
    deadline: &Deadline,
) -> Result<Fitted, PhotoError> {
    let mut img = img.fit_long_edge(settings.long_edge)?;
    let budget = settings.max_bytes;
    let hi = f32::from(settings.max_quality);
    let lo = f32::from(settings.min_quality.min(settings.max_quality));
    let target = (budget as f64 * AIM).ln();
    let mut encodes = 0;
    loop {
        let (w, h) = img.dimensions();
        let bpp = budget as f64 * 8.0 / (f64::from(w) * f64::from(h));
        let first = x_of(95.0) + (bpp / BPP_AT_95).ln() / TYPICAL_SLOPE;
        let mut q = q_of(first).clamp(lo, hi);
        if q > hi - 1.0 {
            q = hi; // the top is about as likely to fit: try it, it may be the only encode
        }
        let mut best: Option<(f32, Vec<u8>)> = None;
        let (mut under, mut over, mut before) = (None, None::<Point>, None);
        let mut tried_lo = false;
        let mut reach = MIN_STEP;
        for _ in 0..MAX_TRIES {
            deadline.check()?;
            encodes += 1;
            let jpeg = encode_jpeg(&img, q)?;
            tracing::debug!(
                quality = q,
                bytes = jpeg.len(),
                budget,
                width = w,
                height = h,
                "photo encode"
            );
            tried_lo |= q <= lo;
            let point = Point {
                x: x_of(q),
                y: (jpeg.len() as f64).ln(),
            };
            if jpeg.len() <= budget {
                let close = jpeg.len() as f64 >= budget as f64 * CLOSE;
                if best.as_ref().is_none_or(|(b, _)| q > *b) {
                    before = under;
                    under = Some(point);
                    best = Some((q, jpeg));
                }
                if q >= hi || close {
                    break;
                }
            } else {
                if over.is_none_or(|o: Point| point.x > o.x) {
                    before = over;
                    over = Some(point);
                }
                if q <= lo {
                    break;
                }
            }
            if let (Some(u), Some(o)) = (under, over) {
                // A bracket this narrow is one step of the tables' staircase.
                if q_of(o.x) - q_of(u.x) < 0.6 {
                    break;
                }
            }
            let Some(x) = predict(under, over, before, target, reach) else {
                break;
            };
            reach *= 2.5;
            let next = q_of(x).clamp(lo, hi);
            if (next - q).abs() < 0.05 {
                break;
            }
            q = next;
        }
        if best.is_none() && !tried_lo {
            // Settle whether the lowest quality fits before giving up pixels.
            encodes += 1;
            let jpeg = encode_jpeg(&img, lo)?;
            if jpeg.len() <= budget {
                best = Some((lo, jpeg));
            } else {
                over = Some(Point {
                    x: x_of(lo),
                    y: (jpeg.len() as f64).ln(),
                });
            }
        }
        if let Some((quality, jpeg)) = best {
            return Ok(Fitted {
                jpeg,
                size: img.dimensions(),
                quality,
                encodes,
            });
        }
        // Even the lowest acceptable quality is too big: fewer pixels, then search again.
        let y_lowest = over.map_or(0.0, |o| o.y);
        if w.max(h) <= 64 {
            return Err(PhotoError::DoesNotFit {
                max: budget,
                width: w,
                height: h,
            });
        }
        let shrink = (((budget as f64).ln() - y_lowest).exp().sqrt() * 0.92).clamp(0.3, 0.95);
        let long = ((f64::from(w.max(h)) * shrink) as u32).max(64);
        img = img.fit_long_edge(long)?;
    }
}
