//! A photo's bytes, from where the source says it is, through the photo pipeline (`src/photo/`) on
//! the shared photo pool, and checked as the platform checks an upload.
//!
//! Remote photos are fetched conditionally: the validators (ETag, Last-Modified) and content hash
//! of the last copy seen are kept per URL in the state database (`photo_source` cache entries, keyed by the URL's hash), so
//! when the server answers 304 the upload cached for that content is reused and nothing is
//! downloaded or processed again.

use sha2::{Digest, Sha256};

use super::TenantCtx;
use crate::outbox::Outbox;
use crate::photo::{is_remote, Fetched, PhotoError, Processed, SourceError, Validators};
use crate::plan::rules::image_kind;

/// Where one photo stands before processing.
pub enum Sourced {
    /// The server says the copy we uploaded is current: the platform's URL for it.
    Uploaded(String),
    /// Fresh bytes to process (or to find in the upload cache by content).
    Fresh(Vec<u8>),
}

/// What we remember of a remote photo: how its server names this version, and its content.
#[derive(serde::Serialize, serde::Deserialize)]
struct Seen {
    #[serde(flatten)]
    validators: Validators,
    sha: String,
}

const SEEN: &str = "photo_source";

/// Cache keys are at most 128 characters and URLs are not: entries are keyed by the URL's hash.
fn seen_key(location: &str) -> String {
    hex::encode(Sha256::digest(location.as_bytes()))
}

/// The content part of the upload cache key (the settings are appended by the caller).
pub fn content_hash(bytes: &[u8]) -> String {
    hex::encode(&Sha256::digest(bytes)[..20])
}

/// The upload cache key of a content hash under the tenant's current photo settings: a photo
/// shared by many rooms is processed and uploaded once, and a settings change processes it again.
pub fn upload_key(ctx: &TenantCtx, sha: &str) -> String {
    format!("{sha}:{}", ctx.photo.key())
}

/// Reads or fetches one photo. The outer error is the state database; the inner one is the
/// photo's own problem, which becomes a warning on the room.
pub async fn source(
    ctx: &TenantCtx,
    outbox: &Outbox,
    location: &str,
) -> anyhow::Result<Result<Sourced, SourceError>> {
    if !is_remote(location) {
        return Ok(ctx.photo_source.fetch(location).await.map(Sourced::Fresh));
    }
    let seen: Option<Seen> = outbox
        .cache_get(&ctx.name, SEEN, &seen_key(location))
        .await?
        .and_then(|v| serde_json::from_str(&v).ok());
    if let Some(seen) = &seen {
        match ctx
            .photo_source
            .fetch_if_changed(location, Some(&seen.validators))
            .await
        {
            Ok(Fetched::NotModified) => {
                let key = upload_key(ctx, &seen.sha);
                let kind = ctx.platform.cache_kind("photo");
                if let Some(url) = outbox.cache_get(&ctx.name, &kind, &key).await? {
                    return Ok(Ok(Sourced::Uploaded(url)));
                }
                // Unchanged, but never uploaded under these settings: we need the bytes after all.
            }
            Ok(Fetched::Body { bytes, validators }) => {
                remember(ctx, outbox, location, validators, &bytes).await?;
                return Ok(Ok(Sourced::Fresh(bytes)));
            }
            Err(e) => return Ok(Err(e)),
        }
    }
    match ctx.photo_source.fetch_if_changed(location, None).await {
        Ok(Fetched::Body { bytes, validators }) => {
            remember(ctx, outbox, location, validators, &bytes).await?;
            Ok(Ok(Sourced::Fresh(bytes)))
        }
        Ok(Fetched::NotModified) => Ok(Err(SourceError::unreadable("fetch answered 304 unasked"))),
        Err(e) => Ok(Err(e)),
    }
}

async fn remember(
    ctx: &TenantCtx,
    outbox: &Outbox,
    location: &str,
    validators: Validators,
    bytes: &[u8],
) -> anyhow::Result<()> {
    if validators.is_empty() {
        return Ok(());
    }
    let seen = Seen {
        validators,
        sha: content_hash(bytes),
    };
    outbox
        .cache_replace(
            &ctx.name,
            SEEN,
            &seen_key(location),
            &serde_json::to_string(&seen)?,
        )
        .await
}

/// The warning for a photo that was not used: the room, the photo and why (with the rule, when a
/// rule refused it).
pub fn warning(room: &str, index: usize, location: &str, why: &dyn std::fmt::Display) -> String {
    format!("room {room}: photo {} ({location}): {why}", index + 1)
}

/// The source bytes → a JPEG within the tenant's budget, checked as the platform checks it.
pub async fn prepare(ctx: &TenantCtx, bytes: Vec<u8>) -> Result<Processed, PhotoError> {
    let processed = ctx.photo_pool.process(bytes, ctx.photo.clone()).await?;
    if image_kind(&processed.jpeg).is_none() || processed.jpeg.len() > ctx.photo.max_bytes {
        return Err(PhotoError::Encode(
            "the pipeline produced a file the platform would refuse".into(),
        ));
    }
    Ok(processed)
}
