use image::{ImageEncoder, Rgb, RgbImage, Rgba, RgbaImage};

use super::*;

/// A photo-like image that compresses badly: smooth gradients plus noise.
fn noisy(w: u32, h: u32) -> RgbImage {
    let mut seed = 12345u32;
    RgbImage::from_fn(w, h, |x, y| {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
        let n = (seed >> 24) as u8 / 4;
        Rgb([
            (x % 256) as u8 ^ n,
            (y % 256) as u8 ^ n,
            ((x + y) % 256) as u8 ^ n,
        ])
    })
}

fn png(img: &RgbaImage) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(
            img.as_raw(),
            img.width(),
            img.height(),
            image::ExtendedColorType::Rgba8,
        )
        .unwrap();
    out
}

/// A JPEG with an EXIF APP1 segment holding only the orientation tag.
fn jpeg_with_orientation(img: &RgbImage, orientation: u16) -> Vec<u8> {
    let jpeg = encode_jpeg(img, 90).unwrap();
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

#[test]
fn output_fits_the_budget_in_few_encodes_and_caps_the_long_edge() {
    let src = encode_jpeg(&noisy(3600, 2400), 95).unwrap();
    let settings = PhotoSettings {
        max_bytes: 300_000,
        ..Default::default()
    };
    let p = process(&src, &settings).unwrap();
    assert!(p.jpeg.len() <= 300_000, "{} bytes", p.jpeg.len());
    assert_eq!(
        p.out_size.0.max(p.out_size.1),
        2560.min(p.out_size.0.max(p.out_size.1))
    );
    assert!(p.out_size.0 <= 2560 && p.out_size.1 <= 2560);
    assert!(p.encodes <= 6, "{} encodes", p.encodes);
    assert!(p.jpeg.starts_with(&[0xFF, 0xD8]));
}

#[test]
fn a_small_photo_keeps_its_size_and_top_quality() {
    let src = encode_jpeg(&noisy(400, 300), 95).unwrap();
    let p = process(&src, &PhotoSettings::default()).unwrap();
    assert_eq!(
        p.out_size,
        (400, 300),
        "never upscaled, never shrunk without need"
    );
    assert_eq!((p.quality, p.encodes), (92, 1));
}

#[test]
fn exif_orientations_are_applied() {
    let img = RgbImage::from_fn(40, 20, |x, _| {
        if x < 20 {
            Rgb([255, 0, 0])
        } else {
            Rgb([0, 0, 255])
        }
    });
    for (o, size) in [(1, (40, 20)), (3, (40, 20)), (6, (20, 40)), (8, (20, 40))] {
        let out = decode(&jpeg_with_orientation(&img, o), 1_000_000).unwrap();
        assert_eq!(out.dimensions(), size, "orientation {o}");
    }
    // 3 is a half turn: the red half moves from the left to the right.
    let turned = decode(&jpeg_with_orientation(&img, 3), 1_000_000).unwrap();
    assert!(turned.get_pixel(35, 10)[0] > 200 && turned.get_pixel(5, 10)[2] > 200);
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
    let out = decode(&png(&img), 1_000).unwrap();
    assert_eq!(
        out.get_pixel(0, 0),
        &Rgb([255, 255, 255]),
        "transparent becomes white"
    );
    assert_eq!(out.get_pixel(7, 0), &Rgb([0, 0, 0]));
}

#[test]
fn bad_inputs_are_clear_errors() {
    let jpeg = encode_jpeg(&noisy(64, 64), 90).unwrap();
    assert!(matches!(
        decode(&jpeg[..jpeg.len() / 3], 1_000_000),
        Err(PhotoError::Corrupt(_))
    ));
    let heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic".to_vec();
    assert_eq!(
        decode(&heic, 1_000_000).unwrap_err(),
        PhotoError::Unsupported("HEIC".into())
    );
    assert!(matches!(
        decode(b"hello", 1_000_000),
        Err(PhotoError::Unsupported(_))
    ));
    assert!(matches!(
        decode(&jpeg, 1_000),
        Err(PhotoError::TooLarge {
            width: 64,
            height: 64,
            ..
        })
    ));
    assert!(PhotoError::Unsupported("HEIC".into())
        .to_string()
        .contains("convert it to JPEG"));
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
