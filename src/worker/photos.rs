//! Getting a photo's bytes from where the source says it is (a path, `file://` or `http(s)://`),
//! with a size cap and timeouts, and the checks the platform makes on an upload. Converting photos
//! that do not fit (too large, HEIC, CMYK…) is the photo pipeline's job (`src/photo/`, to come);
//! until then such a photo is skipped with a warning naming it, and the room syncs without it.

use std::path::Path;

use super::TenantCtx;
use crate::plan::rules::image_kind;

/// Sources larger than this are not read at all (a phone photo is 3–20 MB).
const MAX_SOURCE_BYTES: u64 = 64 << 20;

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct PhotoError(pub String);

pub async fn fetch(ctx: &TenantCtx, location: &str) -> Result<Vec<u8>, PhotoError> {
    if location.starts_with("http://") || location.starts_with("https://") {
        return fetch_http(ctx, location).await;
    }
    let path = location.strip_prefix("file://").unwrap_or(location);
    let path = match &ctx.photo_dir {
        Some(dir) if Path::new(path).is_relative() => dir.join(path),
        _ => Path::new(path).to_path_buf(),
    };
    let meta = tokio::fs::metadata(&path)
        .await
        .map_err(|e| PhotoError(format!("cannot read {}: {e}", path.display())))?;
    if meta.len() > MAX_SOURCE_BYTES {
        return Err(PhotoError(format!(
            "{} bytes is larger than the {MAX_SOURCE_BYTES}-byte cap",
            meta.len()
        )));
    }
    tokio::fs::read(&path)
        .await
        .map_err(|e| PhotoError(format!("cannot read {}: {e}", path.display())))
}

async fn fetch_http(ctx: &TenantCtx, url: &str) -> Result<Vec<u8>, PhotoError> {
    let resp = ctx
        .http
        .get(url)
        .send()
        .await
        .map_err(|e| PhotoError(format!("cannot fetch: {}", e.without_url())))?;
    if !resp.status().is_success() {
        return Err(PhotoError(format!("fetch answered HTTP {}", resp.status())));
    }
    if resp.content_length().is_some_and(|n| n > MAX_SOURCE_BYTES) {
        return Err(PhotoError("larger than the source size cap".into()));
    }
    let bytes = resp
        .bytes()
        .await
        .map_err(|e| PhotoError(format!("cannot fetch: {}", e.without_url())))?;
    Ok(bytes.to_vec())
}

/// What `common.image.upload` accepts: a real JPEG or PNG of at most `max_bytes`.
pub fn check(bytes: &[u8], max_bytes: usize) -> Result<(), PhotoError> {
    if image_kind(bytes).is_none() {
        return Err(PhotoError(
            "not a JPEG or PNG file (format read from its bytes)".into(),
        ));
    }
    if bytes.len() > max_bytes {
        return Err(PhotoError(format!(
            "{} bytes is over the platform's {max_bytes}-byte limit",
            bytes.len()
        )));
    }
    Ok(())
}
