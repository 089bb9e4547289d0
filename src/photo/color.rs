//! Colour management: whatever the source's colour space, the platform shows the JPEG as sRGB, so
//! the pixels must be sRGB. An embedded ICC profile (Adobe RGB, Display P3, a printer's CMYK…) is
//! converted with Little CMS (`lcms2`, the engine behind Pillow, ImageMagick and libvips), with
//! the perceptual intent; an untagged RGB photo is taken as sRGB, as browsers do.
//!
//! We first used `moxcms` (pure Rust): it matched lcms on RGB profiles but rendered the shadows of
//! a press CMYK profile (Ghostscript's default) visibly lighter, 48.8 against 84.1 on SSIMULACRA2
//! (docs/BENCHMARKS.md).
//!
//! CMYK without a profile has no defined colour. We follow the browsers' convention (Chrome and
//! Firefox show such files with the naive formula R = (1 − C)(1 − K), and so on), because that is
//! what the operator saw when they looked at the file; a guessed press profile would make it
//! darker than anything they ever saw.

use lcms2::{ColorSpaceSignature, Intent, PixelFormat, Profile, Transform};

use super::raster::{Raster, Samples};
use super::PhotoError;

/// What was done to the colours, for the preview and the logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Colour {
    /// No profile: taken as sRGB (grey as sRGB grey).
    Untagged,
    /// The embedded profile was converted to sRGB.
    Converted(DataColour),
    /// CMYK without a profile, by the browsers' naive formula.
    CmykNaive,
    /// The embedded profile could not be used (unreadable, or not for these samples).
    ProfileIgnored(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataColour {
    Rgb,
    Cmyk,
}

impl std::fmt::Display for Colour {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Colour::Untagged => f.write_str("sRGB (untagged)"),
            Colour::Converted(DataColour::Rgb) => f.write_str("RGB profile -> sRGB"),
            Colour::Converted(DataColour::Cmyk) => f.write_str("CMYK profile -> sRGB"),
            Colour::CmykNaive => f.write_str("CMYK without profile -> sRGB (naive)"),
            Colour::ProfileIgnored(why) => write!(f, "profile ignored ({why})"),
        }
    }
}

/// The raster in sRGB (grey stays grey): CMYK always becomes RGB.
pub fn to_srgb(raster: Raster, icc: Option<&[u8]>) -> Result<(Raster, Colour), PhotoError> {
    let Some(icc) = icc else {
        return fallback(raster);
    };
    let profile = match Profile::new_icc(icc) {
        Ok(p) => p,
        Err(e) => {
            let (raster, colour) = fallback(raster)?;
            let note = Colour::ProfileIgnored(format!("unreadable: {e}"));
            return Ok((
                raster,
                if colour == Colour::Untagged {
                    note
                } else {
                    colour
                },
            ));
        }
    };
    let (format, kind) = match (raster.samples, profile.color_space()) {
        (Samples::Rgb, ColorSpaceSignature::RgbData) => (PixelFormat::RGB_8, DataColour::Rgb),
        // Ink amounts, 0 = no ink: lcms's plain CMYK_8.
        (Samples::Cmyk, ColorSpaceSignature::CmykData) => (PixelFormat::CMYK_8, DataColour::Cmyk),
        // A grey photo's tone curve is close to sRGB's; converting it would only cost time.
        (Samples::Gray, _) => return Ok((raster, Colour::Untagged)),
        (samples, space) => {
            let why = format!("a {space:?} profile on {samples:?} samples");
            let (raster, _) = fallback(raster)?;
            return Ok((raster, Colour::ProfileIgnored(why)));
        }
    };
    let transform: Transform<u8, u8> = Transform::new(
        &profile,
        format,
        &Profile::new_srgb(),
        PixelFormat::RGB_8,
        Intent::Perceptual,
    )
    .map_err(|e| PhotoError::Corrupt(format!("colour profile: {e}")))?;
    let mut rgb = vec![0u8; raster.width as usize * raster.height as usize * 3];
    transform.transform_pixels(&raster.data, &mut rgb);
    Ok((
        Raster::new(raster.width, raster.height, Samples::Rgb, rgb)?,
        Colour::Converted(kind),
    ))
}

/// Untagged: RGB and grey as they are, CMYK by the naive formula.
fn fallback(raster: Raster) -> Result<(Raster, Colour), PhotoError> {
    if raster.samples != Samples::Cmyk {
        return Ok((raster, Colour::Untagged));
    }
    let mut rgb = Vec::with_capacity(raster.data.len() / 4 * 3);
    for px in raster.data.chunks_exact(4) {
        let white = 255 - u32::from(px[3]);
        for &ink in &px[..3] {
            rgb.push(((255 - u32::from(ink)) * white / 255) as u8);
        }
    }
    Ok((
        Raster::new(raster.width, raster.height, Samples::Rgb, rgb)?,
        Colour::CmykNaive,
    ))
}
