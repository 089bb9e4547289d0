//! Decoded pixels in the source's own colour space, 8 bits per sample: grey, RGB or CMYK (ink
//! amounts, 0 = no ink). Resizing happens here, before colour conversion and orientation, so both
//! of those touch the small image rather than the source's tens of megapixels.

use fast_image_resize::images::Image;
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::metadata::Orientation;
use image::{DynamicImage, GrayImage, RgbImage};

use super::PhotoError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Samples {
    Gray,
    Rgb,
    Cmyk,
}

impl Samples {
    pub fn channels(self) -> usize {
        match self {
            Samples::Gray => 1,
            Samples::Rgb => 3,
            Samples::Cmyk => 4,
        }
    }

    fn pixel_type(self) -> PixelType {
        match self {
            Samples::Gray => PixelType::U8,
            Samples::Rgb => PixelType::U8x3,
            Samples::Cmyk => PixelType::U8x4,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Raster {
    pub width: u32,
    pub height: u32,
    pub samples: Samples,
    pub data: Vec<u8>,
}

impl Raster {
    pub fn new(
        width: u32,
        height: u32,
        samples: Samples,
        data: Vec<u8>,
    ) -> Result<Self, PhotoError> {
        if data.len() != width as usize * height as usize * samples.channels() {
            return Err(PhotoError::Corrupt(format!(
                "decoder returned {} bytes for {width}x{height}",
                data.len()
            )));
        }
        Ok(Self {
            width,
            height,
            samples,
            data,
        })
    }

    pub fn dimensions(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    /// Shrinks so the long edge is at most `long_edge` (never enlarges), with Lanczos3.
    pub fn fit_long_edge(self, long_edge: u32) -> Result<Self, PhotoError> {
        let long = self.width.max(self.height);
        if long <= long_edge {
            return Ok(self);
        }
        let scale = f64::from(long_edge) / f64::from(long);
        let (nw, nh) = (
            ((f64::from(self.width) * scale).round() as u32).max(1),
            ((f64::from(self.height) * scale).round() as u32).max(1),
        );
        let pixel = self.samples.pixel_type();
        let src = Image::from_vec_u8(self.width, self.height, self.data, pixel)
            .map_err(|e| PhotoError::Encode(e.to_string()))?;
        let mut dst = Image::new(nw, nh, pixel);
        Resizer::new()
            .resize(
                &src,
                &mut dst,
                // The 4th sample is black ink, not alpha: never premultiply by it.
                &ResizeOptions::new()
                    .resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3))
                    .use_alpha(false),
            )
            .map_err(|e| PhotoError::Encode(e.to_string()))?;
        Raster::new(nw, nh, self.samples, dst.into_vec())
    }

    /// Turns the image upright. Grey and RGB only: orientation runs after colour conversion.
    pub fn orient(self, orientation: Orientation) -> Result<Self, PhotoError> {
        if orientation == Orientation::NoTransforms {
            return Ok(self);
        }
        let (w, h, samples) = (self.width, self.height, self.samples);
        let bad = || PhotoError::Encode("orientation buffer".into());
        let mut img = match samples {
            Samples::Gray => {
                DynamicImage::ImageLuma8(GrayImage::from_raw(w, h, self.data).ok_or_else(bad)?)
            }
            Samples::Rgb => {
                DynamicImage::ImageRgb8(RgbImage::from_raw(w, h, self.data).ok_or_else(bad)?)
            }
            Samples::Cmyk => {
                return Err(PhotoError::Encode("orient CMYK before converting".into()))
            }
        };
        img.apply_orientation(orientation);
        let (w, h) = (img.width(), img.height());
        let data = match img {
            DynamicImage::ImageLuma8(g) => g.into_raw(),
            other => other.into_rgb8().into_raw(),
        };
        Raster::new(w, h, samples, data)
    }
}
