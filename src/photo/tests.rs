use image::{ImageEncoder, Rgb, RgbImage, Rgba, RgbaImage};
use jpeg_encoder::{ColorType, Encoder};

use super::*;

/// A photo-like image that compresses badly: smooth gradients plus noise.
fn noisy(w: u32, h: u32) -> Raster {
    let mut seed = 12345u32;
    let img = RgbImage::from_fn(w, h, |x, y| {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
        let n = (seed >> 24) as u8 / 4;
        Rgb([
            (x % 256) as u8 ^ n,
            (y % 256) as u8 ^ n,
            ((x + y) % 256) as u8 ^ n,
        ])
    });
    rgb(img)
}

fn rgb(img: RgbImage) -> Raster {
    let (w, h) = img.dimensions();
    Raster::new(w, h, Samples::Rgb, img.into_raw()).unwrap()
}

fn flat(w: u32, h: u32, px: [u8; 3]) -> Raster {
    rgb(RgbImage::from_pixel(w, h, Rgb(px)))
}

fn png(img: &RgbaImage, icc: Option<Vec<u8>>) -> Vec<u8> {
    let mut out = Vec::new();
    let mut enc = image::codecs::png::PngEncoder::new(&mut out);
    if let Some(icc) = icc {
        enc.set_icc_profile(icc).unwrap();
    }
    enc.write_image(
        img.as_raw(),
        img.width(),
        img.height(),
        image::ExtendedColorType::Rgba8,
    )
    .unwrap();
    out
}

/// A JPEG of raw samples (RGB or CMYK ink amounts), optionally with an ICC profile.
fn jpeg_of(data: &[u8], w: u16, h: u16, color: ColorType, icc: Option<&[u8]>) -> Vec<u8> {
    let mut out = Vec::new();
    let mut enc = Encoder::new(&mut out, 95);
    if let Some(icc) = icc {
        enc.add_icc_profile(icc).unwrap();
    }
    enc.encode(data, w, h, color).unwrap();
    out
}

/// A JPEG with an EXIF APP1 segment holding only the orientation tag.
fn jpeg_with_orientation(img: &Raster, orientation: u16) -> Vec<u8> {
    let jpeg = encode_jpeg(img, 90.0).unwrap();
    let mut tiff = b"MM\0*\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01".to_vec();
    tiff.extend_from_slice(&orientation.to_be_bytes());
    tiff.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&tiff);
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xE1];
    out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&jpeg[2..]);
    out
}

fn upright(bytes: &[u8], long_edge: u32) -> Upright {
    let settings = PhotoSettings {
        long_edge,
        ..Default::default()
    };
    upright_srgb(bytes, &settings, &Deadline::none()).unwrap()
}

fn pixel(r: &Raster, x: u32, y: u32) -> [u8; 3] {
    let i = ((y * r.width + x) * 3) as usize;
    [r.data[i], r.data[i + 1], r.data[i + 2]]
}

fn close(a: [u8; 3], b: [u8; 3], tolerance: i32) -> bool {
    a.iter()
        .zip(b)
        .all(|(x, y)| (i32::from(*x) - i32::from(y)).abs() <= tolerance)
}

#[test]
fn output_fits_the_budget_in_few_encodes_and_caps_the_long_edge() {
    let src = encode_jpeg(&noisy(3600, 2400), 95.0).unwrap();
    let settings = PhotoSettings {
        max_bytes: 300_000,
        ..Default::default()
    };
    let p = process(&src, &settings).unwrap();
    assert!(p.jpeg.len() <= 300_000, "{} bytes", p.jpeg.len());
    assert!(p.out_size.0 <= 2560 && p.out_size.1 <= 2560);
    // Noise barely compresses: this one needs the shrink path too, and still few encodes.
    assert!(p.out_size.0 < 2560, "{:?}", p.out_size);
    // The proxy already shows the lowest quality far over at 2560 px, and its measured points
    // place the quality at the smaller size: the whole image is encoded once (three before).
    assert!(p.encodes <= 2, "{} whole-image encodes", p.encodes);
    assert!(p.proxy_encodes <= 8, "{} proxy encodes", p.proxy_encodes);
    assert!(p.jpeg.starts_with(&[0xFF, 0xD8]));
}

#[test]
fn a_small_photo_keeps_its_size_and_top_quality() {
    let src = encode_jpeg(&noisy(400, 300), 95.0).unwrap();
    let p = process(&src, &PhotoSettings::default()).unwrap();
    assert_eq!(
        p.out_size,
        (400, 300),
        "never upscaled, never shrunk without need"
    );
    assert_eq!((p.quality, p.encodes), (95.0, 1));
}

#[test]
fn exif_orientations_are_applied() {
    let img = rgb(RgbImage::from_fn(40, 20, |x, _| {
        if x < 20 {
            Rgb([255, 0, 0])
        } else {
            Rgb([0, 0, 255])
        }
    }));
    for (o, size) in [(1, (40, 20)), (3, (40, 20)), (6, (20, 40)), (8, (20, 40))] {
        let out = upright(&jpeg_with_orientation(&img, o), 2560);
        assert_eq!(out.raster.dimensions(), size, "orientation {o}");
    }
    // 3 is a half turn: the red half moves from the left to the right.
    let turned = upright(&jpeg_with_orientation(&img, 3), 2560).raster;
    let (right, left) = (pixel(&turned, 35, 10), pixel(&turned, 5, 10));
    assert!(right[0] > 200 && left[2] > 200, "{right:?} {left:?}");
}

#[test]
fn a_large_jpeg_is_decoded_at_reduced_scale_and_still_turned_upright() {
    // 6000 px wide, bound for 1000: the IDCT at 2/8 gives 1500 ≥ 1000 (1/8 would give 750).
    let src = jpeg_with_orientation(&noisy(6000, 400), 6);
    let out = upright(&src, 1000);
    assert_eq!(out.in_size, (6000, 400));
    assert_eq!(out.decoded_size, (1500, 100));
    assert_eq!(
        out.raster.dimensions(),
        (67, 1000),
        "orientation 6 on the reduced path"
    );
    let settings = PhotoSettings::default();
    let probe = probe(&src, 1000, settings.max_pixels).unwrap();
    assert!(
        probe.peak_bytes < 6000 * 400 * 3,
        "the memory charged is that of the reduced decode: {}",
        probe.peak_bytes
    );
}

#[test]
fn alpha_is_flattened_on_white() {
    let img = RgbaImage::from_fn(8, 8, |x, _| {
        if x < 4 {
            Rgba([0, 0, 0, 0])
        } else {
            Rgba([0, 0, 0, 255])
        }
    });
    let out = upright(&png(&img, None), 2560).raster;
    assert_eq!(
        pixel(&out, 0, 0),
        [255, 255, 255],
        "transparent becomes white"
    );
    assert_eq!(pixel(&out, 7, 0), [0, 0, 0]);
}

/// sRGB's pure red as Adobe RGB (1998) and Display P3 numbers (published conversions): a photo
/// tagged with those profiles must come out as sRGB red, not as the duller red its numbers read
/// as when the profile is ignored.
#[test]
fn wide_gamut_profiles_are_converted_to_srgb() {
    let cases = [
        (
            "Adobe RGB",
            moxcms::ColorProfile::new_adobe_rgb(),
            [219, 0, 0],
        ),
        (
            "Display P3",
            moxcms::ColorProfile::new_display_p3(),
            [234, 51, 35],
        ),
    ];
    for (name, profile, numbers) in cases {
        let icc = profile.encode().unwrap();
        let raster = flat(32, 32, numbers);
        let jpeg = jpeg_of(&raster.data, 32, 32, ColorType::Rgb, Some(&icc));
        let out = upright(&jpeg, 2560);
        assert_eq!(
            out.colour,
            Colour::Converted(color::DataColour::Rgb),
            "{name}"
        );
        let got = pixel(&out.raster, 16, 16);
        assert!(close(got, [255, 0, 0], 8), "{name} JPEG: {got:?}");

        let rgba = RgbaImage::from_pixel(8, 8, Rgba([numbers[0], numbers[1], numbers[2], 255]));
        let out = upright(&png(&rgba, Some(icc)), 2560);
        let got = pixel(&out.raster, 4, 4);
        assert!(close(got, [255, 0, 0], 3), "{name} PNG: {got:?}");
    }
    // Untagged numbers are taken as sRGB, unchanged.
    let jpeg = jpeg_of(
        &flat(16, 16, [219, 0, 0]).data,
        16,
        16,
        ColorType::Rgb,
        None,
    );
    let out = upright(&jpeg, 2560);
    assert_eq!(out.colour, Colour::Untagged);
    assert!(close(pixel(&out.raster, 8, 8), [219, 0, 0], 6));
}

#[test]
fn cmyk_without_a_profile_follows_the_browsers() {
    // Ink amounts: magenta + yellow is red; half black alone is mid grey.
    let mut data = Vec::new();
    for x in 0..32 {
        data.extend(if x < 16 {
            [0, 255, 255, 0]
        } else {
            [0, 0, 0, 128]
        });
    }
    let data = data.repeat(16);
    for color in [ColorType::Cmyk, ColorType::CmykAsYcck] {
        let jpeg = jpeg_of(&data, 32, 16, color, None);
        // Through the resize too: its 4th sample is ink, not alpha (a resizer premultiplying by
        // it turned every K = 0 pixel black).
        let out = upright(&jpeg, 24);
        assert_eq!(out.raster.dimensions(), (24, 12));
        assert_eq!(out.colour, Colour::CmykNaive, "{color:?}");
        assert!(
            close(pixel(&out.raster, 3, 6), [255, 0, 0], 8),
            "{color:?}: {:?}",
            pixel(&out.raster, 3, 6)
        );
        assert!(
            close(pixel(&out.raster, 21, 6), [127, 127, 127], 8),
            "{color:?}: {:?}",
            pixel(&out.raster, 21, 6)
        );
    }
}

/// A press profile (Ghostscript's default CMYK, from Debian's libgs-common, which
/// scripts/test.sh installs): solid magenta + yellow prints as a warm red that is darker than
/// the naive formula's pure red.
#[test]
fn cmyk_with_a_press_profile_is_converted() {
    let path = "/usr/share/color/icc/ghostscript/default_cmyk.icc";
    let icc = std::fs::read(path)
        .unwrap_or_else(|e| panic!("{path}: {e} (install Debian's libgs-common)"));
    let data = [0u8, 255, 255, 0].repeat(16 * 16);
    let jpeg = jpeg_of(&data, 16, 16, ColorType::Cmyk, Some(&icc));
    let out = upright(&jpeg, 12);
    assert_eq!(out.colour, Colour::Converted(color::DataColour::Cmyk));
    let [r, g, b] = pixel(&out.raster, 6, 6);
    assert!(r > 180 && g < 90 && b < 90, "a red: {:?}", [r, g, b]);
    assert!(r < 250 || g > 10, "not the naive pure red: {:?}", [r, g, b]);
}

#[test]
fn grey_stays_grey_and_sixteen_bit_png_is_read() {
    let grey = Raster::new(16, 16, Samples::Gray, vec![100; 256]).unwrap();
    let jpeg = encode_jpeg(&grey, 90.0).unwrap();
    let out = upright(&jpeg, 2560);
    assert_eq!(out.raster.samples, Samples::Gray);
    let p = process(&jpeg, &PhotoSettings::default()).unwrap();
    assert!(p.jpeg.len() < 2000, "one component, not three");

    let img = image::ImageBuffer::<Rgb<u16>, _>::from_pixel(8, 8, Rgb([65535u16, 32768, 0]));
    let mut bytes = Vec::new();
    image::codecs::png::PngEncoder::new(&mut bytes)
        .write_image(
            bytemuck_bytes(img.as_raw()).as_slice(),
            8,
            8,
            image::ExtendedColorType::Rgb16,
        )
        .unwrap();
    let out = upright(&bytes, 2560);
    assert!(close(pixel(&out.raster, 1, 1), [255, 128, 0], 1));
}

/// u16 samples as the native-endian bytes `write_image` takes.
fn bytemuck_bytes(samples: &[u16]) -> Vec<u8> {
    samples.iter().flat_map(|s| s.to_ne_bytes()).collect()
}

#[test]
fn bad_inputs_are_clear_errors() {
    let jpeg = encode_jpeg(&noisy(64, 64), 90.0).unwrap();
    let max = 1_000_000;
    assert!(matches!(
        decode(&jpeg[..jpeg.len() / 3], 2560, max),
        Err(PhotoError::Corrupt(_))
    ));
    let heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic".to_vec();
    assert_eq!(
        decode(&heic, 2560, max).unwrap_err(),
        PhotoError::Unsupported("HEIC".into())
    );
    assert!(matches!(
        decode(b"hello", 2560, max),
        Err(PhotoError::Unsupported(_))
    ));
    assert!(matches!(
        decode(&jpeg, 2560, 1_000),
        Err(PhotoError::TooLarge {
            width: 64,
            height: 64,
            ..
        })
    ));
    // A frame header with two components: jpeg-decoder would panic; we refuse it.
    let mut two = jpeg.clone();
    let sof = two.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
    two[sof + 9] = 2;
    assert!(process(&two, &PhotoSettings::default()).is_err());
    assert!(PhotoError::Unsupported("HEIC".into())
        .to_string()
        .contains("convert it to JPEG"));
}

#[test]
fn a_photo_past_its_deadline_stops_with_a_timeout() {
    let src = encode_jpeg(&noisy(800, 600), 95.0).unwrap();
    let deadline = Deadline::after(std::time::Duration::ZERO);
    std::thread::sleep(std::time::Duration::from_millis(2));
    assert!(matches!(
        process_until(&src, &PhotoSettings::default(), &deadline),
        Err(PhotoError::Timeout(_))
    ));
}

#[tokio::test]
async fn the_pool_charges_the_memory_budget_and_gives_it_back() {
    let pool = Pool::new(PoolConfig {
        jobs: 2,
        memory_bytes: 64 << 20,
        timeout: std::time::Duration::from_secs(30),
    });
    // A job larger than the whole budget still runs (alone), rather than waiting for ever.
    let big = encode_jpeg(&noisy(3000, 2000), 90.0).unwrap();
    let small = encode_jpeg(&noisy(300, 200), 90.0).unwrap();
    let (a, b) = tokio::join!(
        pool.process(big, PhotoSettings::default()),
        pool.process(small, PhotoSettings::default())
    );
    let a = a.unwrap();
    assert!(
        a.jpeg.len() <= 700_000 && a.out_size.0 <= 2560,
        "{:?}",
        a.out_size
    );
    assert_eq!(b.unwrap().out_size, (300, 200));
    assert_eq!(pool.memory_in_use(), 0);
}

#[test]
fn settings_change_the_cache_key() {
    let a = PhotoSettings::default();
    let b = PhotoSettings {
        long_edge: 1600,
        ..Default::default()
    };
    assert_ne!(a.key(), b.key());
}

/// zune-jpeg 0.5 (inside `image`) decodes a flat 4:2:0 JPEG with optimized Huffman tables as
/// green; libjpeg reads it as red. Every JPEG goes through jpeg-decoder.
#[test]
fn flat_subsampled_jpegs_decode_to_the_colours_they_were_made_from() {
    for (w, h) in [(40u16, 20u16), (64, 64), (300, 200)] {
        let red = flat(u32::from(w), u32::from(h), [255, 0, 0]);
        let mut jpeg = Vec::new();
        let mut enc = Encoder::new(&mut jpeg, 90);
        enc.set_sampling_factor(jpeg_encoder::SamplingFactor::F_2_2);
        enc.set_optimized_huffman_tables(true);
        enc.encode(&red.data, w, h, ColorType::Rgb).unwrap();
        let out = upright(&jpeg, 2560);
        let got = pixel(&out.raster, 1, 1);
        assert!(close(got, [255, 0, 0], 4), "{w}x{h}: {got:?}");
        // And our own output, 4:4:4, round-trips too.
        let ours = encode_jpeg(&red, 90.0).unwrap();
        let got = pixel(&upright(&ours, 2560).raster, 1, 1);
        assert!(close(got, [255, 0, 0], 4), "{w}x{h} ours: {got:?}");
    }
}
