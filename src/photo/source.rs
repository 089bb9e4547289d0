//! Where a photo's bytes come from: a path (relative to the tenant's `photo_dir`), `file://` or
//! `http(s)://`. Every read is capped, so a wrong URL pointing at a video or an endless stream costs
//! at most the cap, and HTTP has connect and total timeouts (set on the client, see `client`).

use std::path::Path;
use std::time::Duration;

/// Sources larger than this are not read at all (a phone photo is 3–20 MB).
pub const MAX_SOURCE_BYTES: u64 = 64 << 20;

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SourceError(pub String);

/// An HTTP client for photo sources: 5 s to connect, 30 s for the whole body.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap_or_default()
}

pub async fn fetch(
    http: &reqwest::Client,
    photo_dir: Option<&Path>,
    location: &str,
) -> Result<Vec<u8>, SourceError> {
    if location.starts_with("http://") || location.starts_with("https://") {
        return fetch_http(http, location).await;
    }
    let path = location.strip_prefix("file://").unwrap_or(location);
    let path = match photo_dir {
        Some(dir) if Path::new(path).is_relative() => dir.join(path),
        _ => Path::new(path).to_path_buf(),
    };
    let meta = tokio::fs::metadata(&path)
        .await
        .map_err(|e| SourceError(format!("cannot read {}: {e}", path.display())))?;
    if meta.len() > MAX_SOURCE_BYTES {
        return Err(SourceError(format!(
            "{} bytes is larger than the {MAX_SOURCE_BYTES}-byte cap",
            meta.len()
        )));
    }
    tokio::fs::read(&path)
        .await
        .map_err(|e| SourceError(format!("cannot read {}: {e}", path.display())))
}

async fn fetch_http(http: &reqwest::Client, url: &str) -> Result<Vec<u8>, SourceError> {
    let failed = |e: reqwest::Error| {
        let why = if e.is_timeout() {
            "timed out"
        } else {
            "failed"
        };
        SourceError(format!("fetch {why}: {}", e.without_url()))
    };
    let mut resp = http.get(url).send().await.map_err(failed)?;
    if !resp.status().is_success() {
        return Err(SourceError(format!(
            "fetch answered HTTP {}",
            resp.status()
        )));
    }
    let too_large = || SourceError(format!("larger than the {MAX_SOURCE_BYTES}-byte cap"));
    if resp.content_length().is_some_and(|n| n > MAX_SOURCE_BYTES) {
        return Err(too_large());
    }
    // The declared length may be absent or wrong: count what actually arrives.
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(failed)? {
        if (body.len() + chunk.len()) as u64 > MAX_SOURCE_BYTES {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
