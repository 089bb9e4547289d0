//! The byte budget: the highest JPEG quality whose output fits, in few encodes.
//!
//! Quality here is continuous: the quantization tables (the standard's Annex K tables) are
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

/// The JPEG standard's tables (ITU T.81 Annex K), scaled by libjpeg's formula from a fractional
/// quality (baseline: entries 1..=255). Measured against N. Robidoux's table (ImageMagick's) at
/// the same byte budget, they score higher on SSIMULACRA2 (docs/BENCHMARKS.md).
fn tables(quality: f32) -> ([u16; 64], [u16; 64]) {
    const LUMA: [u16; 64] = [
        16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69,
        56, 14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81,
        104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
    ];
    const CHROMA: [u16; 64] = [
        17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99, 99,
        99, 47, 66, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
        99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
    ];
    let q = quality.clamp(1.0, 100.0);
    let scale = if q < 50.0 {
        5000.0 / q
    } else {
        200.0 - 2.0 * q
    };
    let scaled = |v: u16| (f32::from(v) * scale / 100.0).round().clamp(1.0, 255.0) as u16;
    (LUMA.map(scaled), CHROMA.map(scaled))
}

/// One baseline JPEG of a grey or RGB raster (4:4:4 for colour), no metadata.
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
    // Full-resolution chroma (4:4:4) at every quality. At the same byte budget it scored 1.5–3
    // points higher on SSIMULACRA2 than 4:2:0 on our corpus: the metric, like the eye on a
    // listing's red sofa, punishes smeared colour edges more than coarser luma steps. Setting it
    // explicitly also removes the encoder's own switch at quality 90, a cliff in the size curve.
    enc.set_sampling_factor(SamplingFactor::F_1_1);
    enc.set_optimized_huffman_tables(true);
    let (luma, chroma) = tables(quality);
    enc.set_quantization_tables(
        QuantizationTableType::Custom(Box::new(luma)),
        QuantizationTableType::Custom(Box::new(chroma)),
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
    /// Encodes of the whole image.
    pub encodes: u32,
    /// Encodes of the quarter-height proxy that located the quality first.
    pub proxy_encodes: u32,
}

/// Typical d ln(size) / d ln(100 − q) for photographs (steeper near the top, flatter below 80).
const TYPICAL_SLOPE: f64 = -1.6;
/// Bits per pixel a detailed photo takes at quality 95 (4:4:4, these tables): the start of the
/// size model before anything is measured.
const BPP_AT_95: f64 = 3.0;
/// The smallest move in x = ln(100 − q) when extrapolating: below it the tables barely change.
const MIN_STEP: f64 = 0.1;
/// When a search stops: how far under the budget it aims (so a prediction slightly off still
/// fits), what share of the budget is close enough (a further encode would buy too little: the
/// tables' rounding makes the size curve a staircase with steps of several per cent), and how
/// many encodes it may spend.
#[derive(Clone, Copy)]
struct Goal {
    aim: f64,
    close: f64,
    tries: u32,
}

/// Searching the whole image without a proxy.
const WHOLE: Goal = Goal {
    aim: 0.985,
    close: 0.95,
    tries: 5,
};
/// Locating the quality on the proxy: its size predicts the whole's to a few per cent, so it
/// aims lower and need not be exact.
const ON_PROXY: Goal = Goal {
    aim: 0.97,
    close: 0.95,
    tries: 4,
};
/// Confirming on the whole image where the proxy pointed.
const AFTER_PROXY: Goal = Goal {
    aim: 0.985,
    close: 0.93,
    tries: 3,
};
/// Images from this size on locate their quality on a proxy first (see `proxy`).
const PROXY_MIN_PIXELS: u64 = 1_200_000;
/// The proxy keeps one band of 16 rows in this many.
const PROXY_STRIDE: u32 = 4;

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
fn predict(m: &Measured, target: f64, reach: f64, typical: f64) -> Option<f64> {
    match (m.under, m.over) {
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
        (None, Some(o)) => Some((o.x + (target - o.y) / m.slope(o, typical)).max(o.x + reach)),
        (Some(u), None) => Some((u.x + (target - u.y) / m.slope(u, typical)).min(u.x - reach)),
        (None, None) => None,
    }
}

/// What one search measured.
#[derive(Default)]
struct Measured {
    /// The highest quality that fitted, and its file.
    best: Option<(f32, Vec<u8>)>,
    /// The point of `best`, and the lowest quality that did not fit.
    under: Option<Point>,
    over: Option<Point>,
    /// The point replaced last on either side, for a measured slope.
    before: Option<Point>,
    encodes: u32,
}

impl Measured {
    /// The slope through `p` and the point before it, else `typical`.
    fn slope(&self, p: Point, typical: f64) -> f64 {
        match self.before {
            // Points too close measure the tables' rounding, not the slope.
            Some(b) if (p.x - b.x).abs() > 0.1 => ((p.y - b.y) / (p.x - b.x)).clamp(-6.0, -0.3),
            _ => typical,
        }
    }
}

/// The highest quality in `lo..=hi` whose encode fits `budget`, starting at `start`.
fn search(
    encode: &mut dyn FnMut(f32) -> Result<Vec<u8>, PhotoError>,
    budget: usize,
    (lo, hi): (f32, f32),
    start: f32,
    typical: f64,
    goal: Goal,
    deadline: &Deadline,
) -> Result<Measured, PhotoError> {
    let target = (budget as f64 * goal.aim).ln();
    let mut m = Measured::default();
    let mut q = start.clamp(lo, hi);
    let mut reach = MIN_STEP;
    for _ in 0..goal.tries {
        deadline.check()?;
        m.encodes += 1;
        let jpeg = encode(q)?;
        tracing::debug!(quality = q, bytes = jpeg.len(), budget, "photo encode");
        let point = Point {
            x: x_of(q),
            y: (jpeg.len() as f64).ln(),
        };
        if jpeg.len() <= budget {
            let close = jpeg.len() as f64 >= budget as f64 * goal.close;
            if m.best.as_ref().is_none_or(|(b, _)| q > *b) {
                m.before = m.under;
                m.under = Some(point);
                m.best = Some((q, jpeg));
            }
            if q >= hi || close {
                break;
            }
        } else {
            if m.over.is_none_or(|o| point.x > o.x) {
                m.before = m.over;
                m.over = Some(point);
            }
            if q <= lo {
                break;
            }
        }
        if let (Some(u), Some(o)) = (m.under, m.over) {
            // A bracket this narrow is one step of the tables' staircase.
            if q_of(o.x) - q_of(u.x) < 0.6 {
                break;
            }
        }
        let Some(x) = predict(&m, target, reach, typical) else {
            break;
        };
        reach *= 2.5;
        let next = q_of(x).clamp(lo, hi);
        if (next - q).abs() < 0.05 {
            break;
        }
        q = next;
    }
    Ok(m)
}

/// Every `PROXY_STRIDE`-th band of 16 rows (one 4:2:0 MCU row): a quarter of the image that
/// compresses like the whole, so the quality can be located at a quarter of the cost of each
/// encode. Returns the proxy and how many times larger the whole is.
fn proxy(img: &Raster) -> Result<(Raster, f64), PhotoError> {
    let row = img.width as usize * img.samples.channels();
    let mut data = Vec::with_capacity(img.data.len() / PROXY_STRIDE as usize + row * 16);
    for (band, rows) in img.data.chunks(row * 16).enumerate() {
        if band as u32 % PROXY_STRIDE == 0 {
            data.extend_from_slice(rows);
        }
    }
    let height = (data.len() / row) as u32;
    let ratio = f64::from(img.height) / f64::from(height);
    Ok((Raster::new(img.width, height, img.samples, data)?, ratio))
}

/// How far over its share of the budget the proxy must be at the lowest quality before the whole
/// image is not tried at that size: the proxy predicts the whole to a few per cent.
const PROXY_SURE_OVER: f64 = 1.08;

/// Where the whole image's search starts after the proxy's: the quality the proxy's measured
/// points give for the whole's aim, not the proxy's best fit. That best often lies just under the
/// proxy's budget, or well under it when the proxy ran out of tries, and the whole then took
/// a second and a third encode to correct what the proxy's bracket already said.
fn proxy_start(m: &Measured, scaled: usize, (lo, hi): (f32, f32)) -> f32 {
    let best = m.best.as_ref().map_or(lo, |(q, _)| *q);
    let (Some(u), Some(o)) = (m.under, m.over) else {
        return best;
    };
    let target = (scaled as f64 * AFTER_PROXY.aim).ln();
    if (o.y - u.y).abs() < 1e-9 {
        return best;
    }
    let x = o.x + (target - o.y) * (u.x - o.x) / (u.y - o.y);
    // Within the bracket the proxy measured, or a short step below its best fit when that fit
    // lies above the whole's aim (its line through the bracket goes on smoothly that far).
    let x = x.clamp(o.x.min(u.x), o.x.max(u.x) + MIN_STEP);
    q_of(x).clamp(lo, hi)
}

/// Encodes `img` at the highest quality that fits `settings.max_bytes`.
pub fn fit(
    img: Raster,
    settings: &PhotoSettings,
    deadline: &Deadline,
) -> Result<Fitted, PhotoError> {
    let mut img = img.fit_long_edge(settings.long_edge)?;
    let budget = settings.max_bytes;
    let range = (
        f32::from(settings.min_quality.min(settings.max_quality)),
        f32::from(settings.max_quality),
    );
    let (mut encodes, mut proxy_encodes) = (0, 0);
    loop {
        let (w, h) = img.dimensions();
        let pixels = u64::from(w) * u64::from(h);
        let bpp = budget as f64 * 8.0 / pixels as f64;
        let mut start = q_of(x_of(95.0) + (bpp / BPP_AT_95).ln() / TYPICAL_SLOPE);
        if start > range.1 - 1.0 {
            start = range.1; // the top is about as likely to fit: try it, it may be the only encode
        }
        let mut typical = TYPICAL_SLOPE;
        // Set when the proxy alone shows that even the lowest quality is far too big.
        let mut hopeless: Option<Point> = None;
        if pixels >= PROXY_MIN_PIXELS {
            // Locate the quality on the proxy, then confirm on the whole image.
            let (small, ratio) = proxy(&img)?;
            let scaled = (budget as f64 / ratio) as usize;
            let mut enc = |q: f32| encode_jpeg(&small, q);
            let m = search(&mut enc, scaled, range, start, typical, ON_PROXY, deadline)?;
            proxy_encodes += m.encodes;
            start = proxy_start(&m, scaled, range);
            if let (Some(a), Some(b)) = (m.under.or(m.over), m.before) {
                if (a.x - b.x).abs() > 0.1 {
                    typical = ((a.y - b.y) / (a.x - b.x)).clamp(-6.0, -0.3);
                }
            }
            hopeless = m
                .over
                .filter(|o| m.best.is_none() && o.x >= x_of(range.0) - 1e-6)
                .filter(|o| o.y > (scaled as f64 * PROXY_SURE_OVER).ln())
                .map(|o| Point {
                    x: o.x,
                    y: o.y + ratio.ln(),
                });
        }
        let goal = if pixels >= PROXY_MIN_PIXELS {
            AFTER_PROXY
        } else {
            WHOLE
        };
        let (mut best, mut lowest_over) = match hopeless {
            Some(p) => (None, Some(p)),
            None => {
                let mut enc = |q: f32| encode_jpeg(&img, q);
                let m = search(&mut enc, budget, range, start, typical, goal, deadline)?;
                encodes += m.encodes;
                (m.best, m.over)
            }
        };
        if best.is_none() && lowest_over.is_some_and(|o| o.x < x_of(range.0) - 1e-6) {
            // Settle whether the lowest quality fits before giving up pixels.
            encodes += 1;
            let jpeg = encode_jpeg(&img, range.0)?;
            if jpeg.len() <= budget {
                best = Some((range.0, jpeg));
            } else {
                lowest_over = Some(Point {
                    x: x_of(range.0),
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
                proxy_encodes,
            });
        }
        // Even the lowest acceptable quality is too big: fewer pixels, then search again.
        if w.max(h) <= 64 {
            return Err(PhotoError::DoesNotFit {
                max: budget,
                width: w,
                height: h,
            });
        }
        let y_lowest = lowest_over.map_or(0.0, |o| o.y);
        let shrink = (((budget as f64).ln() - y_lowest).exp().sqrt() * 0.92).clamp(0.3, 0.95);
        let long = ((f64::from(w.max(h)) * shrink) as u32).max(64);
        img = img.fit_long_edge(long)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A proxy search that fitted at `under` (its best) and, if given, went over at `over`.
    fn measured(under: (f32, f64), over: Option<(f32, f64)>) -> Measured {
        let point = |(q, bytes): (f32, f64)| Point {
            x: x_of(q),
            y: bytes.ln(),
        };
        Measured {
            best: Some((under.0, Vec::new())),
            under: Some(point(under)),
            over: over.map(point),
            ..Default::default()
        }
    }

    #[test]
    fn the_whole_starts_where_the_proxy_points_for_its_aim() {
        // The proxy's best fit (88.7) lies just under its budget: the whole, a little larger in
        // proportion, starts a step lower, where the bracket's line meets the aim.
        let m = measured((88.7, 176_359.0), Some((90.2, 192_688.0)));
        let q = proxy_start(&m, 177_152, (60.0, 95.0));
        assert!(q < 88.7 && q > 88.3, "{q}");
        // Ran out of tries well under: the start moves up inside the bracket.
        let m = measured((60.0, 165_320.0), Some((66.6, 185_738.0)));
        let q = proxy_start(&m, 178_702, (60.0, 95.0));
        assert!(q > 62.0 && q < 66.6, "{q}");
        // Nothing over the budget measured: the best fit is the start.
        let m = measured((95.0, 100_000.0), None);
        assert_eq!(proxy_start(&m, 178_702, (60.0, 95.0)), 95.0);
    }
}
