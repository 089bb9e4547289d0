//! Benchmark helper for `scripts/bench-photos.sh` (not part of rentsync):
//!
//! - `photo-score icc-p3 OUT.icc` writes a Display P3 ICC profile (for the corpus's P3 photo);
//! - `photo-score score REF.png OUT.png...` prints, per output, SSIMULACRA2 and SSIM against the
//!   reference resized (Lanczos3) to the output's size. Both are 8-bit sRGB PNGs.

use std::process::ExitCode;

use fast_image_resize::images::Image;
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::RgbImage;
use ssimulacra2::{compute_frame_ssimulacra2, ColorPrimaries, Rgb, TransferCharacteristic};

type Res<T> = Result<T, String>;

fn load(path: &str) -> Res<RgbImage> {
    image::open(path)
        .map(|i| i.to_rgb8())
        .map_err(|e| format!("{path}: {e}"))
}

fn resize(img: &RgbImage, w: u32, h: u32) -> Res<RgbImage> {
    if img.dimensions() == (w, h) {
        return Ok(img.clone());
    }
    let src = Image::from_vec_u8(img.width(), img.height(), img.as_raw().clone(), PixelType::U8x3)
        .map_err(|e| e.to_string())?;
    let mut dst = Image::new(w, h, PixelType::U8x3);
    Resizer::new()
        .resize(
            &src,
            &mut dst,
            &ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3)),
        )
        .map_err(|e| e.to_string())?;
    RgbImage::from_raw(w, h, dst.into_vec()).ok_or_else(|| "resize".into())
}

fn frame(img: &RgbImage) -> Res<Rgb> {
    let data = img
        .pixels()
        .map(|p| p.0.map(|c| f32::from(c) / 255.0))
        .collect();
    Rgb::new(
        data,
        img.width() as usize,
        img.height() as usize,
        TransferCharacteristic::SRGB,
        ColorPrimaries::BT709,
    )
    .map_err(|e| format!("{e:?}"))
}

/// Mean SSIM of luma over 8×8 windows, stride 4 (Wang et al. 2004 constants).
fn ssim(a: &RgbImage, b: &RgbImage) -> f64 {
    let luma = |img: &RgbImage| -> Vec<f64> {
        img.pixels()
            .map(|p| 0.299 * f64::from(p[0]) + 0.587 * f64::from(p[1]) + 0.114 * f64::from(p[2]))
            .collect()
    };
    let (la, lb) = (luma(a), luma(b));
    let (w, h) = (a.width() as usize, a.height() as usize);
    let (c1, c2) = ((0.01f64 * 255.0).powi(2), (0.03f64 * 255.0).powi(2));
    let (mut sum, mut n) = (0.0, 0u64);
    for y in (0..h.saturating_sub(7)).step_by(4) {
        for x in (0..w.saturating_sub(7)).step_by(4) {
            let (mut ma, mut mb, mut va, mut vb, mut cov) = (0.0, 0.0, 0.0, 0.0, 0.0);
            for dy in 0..8 {
                for dx in 0..8 {
                    let i = (y + dy) * w + x + dx;
                    ma += la[i];
                    mb += lb[i];
                }
            }
            ma /= 64.0;
            mb /= 64.0;
            for dy in 0..8 {
                for dx in 0..8 {
                    let i = (y + dy) * w + x + dx;
                    va += (la[i] - ma).powi(2);
                    vb += (lb[i] - mb).powi(2);
                    cov += (la[i] - ma) * (lb[i] - mb);
                }
            }
            let (va, vb, cov) = (va / 63.0, vb / 63.0, cov / 63.0);
            sum += ((2.0 * ma * mb + c1) * (2.0 * cov + c2))
                / ((ma * ma + mb * mb + c1) * (va + vb + c2));
            n += 1;
        }
    }
    if n == 0 {
        1.0
    } else {
        sum / n as f64
    }
}

fn score(reference: &str, outputs: &[String]) -> Res<()> {
    let reference = load(reference)?;
    for out in outputs {
        let img = load(out)?;
        let (w, h) = img.dimensions();
        let r = resize(&reference, w, h)?;
        let s2 = compute_frame_ssimulacra2(frame(&r)?, frame(&img)?).map_err(|e| format!("{e:?}"))?;
        println!("{out}\t{s2:.3}\t{:.5}\t{w}x{h}", ssim(&r, &img));
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("icc-p3") if args.len() == 2 => moxcms::ColorProfile::new_display_p3()
            .encode()
            .map_err(|e| format!("{e:?}"))
            .and_then(|icc| std::fs::write(&args[1], icc).map_err(|e| e.to_string())),
        Some("score") if args.len() >= 3 => score(&args[1], &args[2..]),
        _ => Err("usage: photo-score icc-p3 OUT.icc | photo-score score REF.png OUT.png...".into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("photo-score: {e}");
            ExitCode::FAILURE
        }
    }
}
