//! Rules of `common.image.upload` (spec §2.4, seed guide 1.6.3.1): base64 of a real JPEG or PNG of at
//! most 700 KB. We read "700 KB" as 700,000 bytes of decoded file, the stricter of the two readings.

use base64::Engine;

use super::check::{Fields, Violation};

/// The default decoded-size limit; the sandbox and the photo pipeline can be configured lower.
pub const MAX_IMAGE_BYTES: usize = 700_000;

pub fn upload(f: &mut Fields, max_bytes: usize) {
    let file_type = f.str_enum("file_type", true, &["1", "2"]);
    f.boolean("is_public", false);
    // Base64 of 700 KB is ~933 KB of text; allow for line breaks some encoders add.
    let Some(b64) = f.string("file_base", true, max_bytes * 2) else {
        return;
    };
    let compact: String = b64.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(compact) else {
        f.invalid("file_base", "must be standard base64");
        return;
    };
    if bytes.len() > max_bytes {
        f.push(Violation {
            field: f.name("file_base"),
            rule: format!(
                "decoded file is {} bytes; at most {max_bytes} allowed",
                bytes.len()
            ),
            code: "40002",
            sub_code: "isv.invalid-file-size",
        });
    }
    if file_type == Some("1") && image_kind(&bytes).is_none() {
        f.push(Violation {
            field: f.name("file_base"),
            rule: "must be a JPEG or PNG image".into(),
            code: "40002",
            sub_code: "isv.invalid-file-extension",
        });
    }
}

/// "jpg" or "png" when the bytes really are one: magic number and a proper end, so a truncated
/// upload is refused too.
pub fn image_kind(bytes: &[u8]) -> Option<&'static str> {
    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n";
    if bytes.len() > 4 && bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        // Trailing padding after EOI happens in the wild; look for it near the end.
        let tail = &bytes[bytes.len().saturating_sub(64)..];
        return tail.windows(2).any(|w| w == [0xFF, 0xD9]).then_some("jpg");
    }
    if bytes.starts_with(PNG) && bytes.len() >= PNG.len() + 8 + 12 {
        let ihdr = &bytes[PNG.len() + 4..PNG.len() + 8] == b"IHDR";
        let iend = bytes.windows(4).rev().take(64).any(|w| w == b"IEND");
        return (ihdr && iend).then_some("png");
    }
    None
}
