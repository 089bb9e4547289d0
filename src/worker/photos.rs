//! Getting a photo's bytes from where the source says it is (a path, `file://` or `http(s)://`),
//! with a size cap and timeouts, and running it through the photo pipeline (`src/photo/`) on the
//! blocking pool, at most one photo per core at a time: decoded pixels are the big memory user.

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

/// Photos processed at once, across tenants: one per core.
fn pool() -> &'static tokio::sync::Semaphore {
    static POOL: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        tokio::sync::Semaphore::new(cores)
    })
}

/// The source bytes → a JPEG within the tenant's budget, checked as the platform checks it.
pub async fn prepare(
    ctx: &TenantCtx,
    bytes: Vec<u8>,
) -> Result<crate::photo::Processed, PhotoError> {
    let _permit = pool()
        .acquire()
        .await
        .map_err(|_| PhotoError("photo pool closed".into()))?;
    let settings = ctx.photo.clone();
    let processed = tokio::task::spawn_blocking(move || crate::photo::process(&bytes, &settings))
        .await
        .map_err(|e| PhotoError(format!("photo task failed: {e}")))?
        .map_err(|e| PhotoError(e.to_string()))?;
    if image_kind(&processed.jpeg).is_none() || processed.jpeg.len() > ctx.photo.max_bytes {
        return Err(PhotoError(
            "the pipeline produced an unacceptable file".into(),
        ));
    }
    Ok(processed)
}
