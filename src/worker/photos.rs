//! A photo's bytes, from where the source says it is, through the photo pipeline (`src/photo/`) on
//! the shared photo pool, and checked as the platform checks an upload.

use super::TenantCtx;
use crate::photo::{PhotoError, Processed};
use crate::plan::rules::image_kind;

pub async fn fetch(ctx: &TenantCtx, location: &str) -> Result<Vec<u8>, crate::photo::SourceError> {
    crate::photo::fetch(&ctx.http, ctx.photo_dir.as_deref(), location).await
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
