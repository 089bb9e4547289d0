//! The stages of one room, in dependency order: community → photos → room upsert → state.
//!
//! Each successful platform call is recorded at once (under the item's fencing token), so a crash
//! between two calls repeats neither. A whole room is resent only when its content changed; a
//! state flip alone goes through `room.state.sync`.

use std::future::Future;
use std::time::{Duration, Instant};

use backon::{ExponentialBuilder, Retryable};
use rand::Rng;
use sha2::{Digest, Sha256};

use super::photos::fetch;
use super::TenantCtx;
use crate::alipay::{AlipayError, ErrorClass};
use crate::model::{CommunityRef, RentStatus, Room, RoomState};
use crate::outbox::{ClaimedItem, Finish, Outbox};
use crate::plan::hash_json;
use crate::platform::room_payload;

/// Why a stage stopped.
enum Stop {
    Platform(AlipayError),
    Lost,
    Internal(anyhow::Error),
}

impl From<AlipayError> for Stop {
    fn from(e: AlipayError) -> Self {
        Stop::Platform(e)
    }
}

impl From<anyhow::Error> for Stop {
    fn from(e: anyhow::Error) -> Self {
        Stop::Internal(e)
    }
}

/// Works one claimed item and says how to leave it.
pub async fn process(ctx: &TenantCtx, outbox: &Outbox, item: &ClaimedItem) -> Finish {
    match run(ctx, outbox, item).await {
        Ok(warnings) => Finish::Done { warnings },
        Err(Stop::Lost) => Finish::Release,
        Err(Stop::Internal(e)) => Finish::Retry {
            delay_us: backoff_us(item.attempts, ctx.max_backoff),
            code: "internal".into(),
            message: format!("{e:#}"),
        },
        Err(Stop::Platform(e)) => {
            let code = match e.codes() {
                Some((c, s)) => format!("{c} {s}"),
                None => e.outcome_label(),
            };
            let message = e.to_string();
            match e.class() {
                ErrorClass::Permanent => Finish::Failed { code, message },
                ErrorClass::Credentials => {
                    ctx.pause_refused(Duration::from_secs(60), format!("{code}: {message}"));
                    Finish::Retry {
                        delay_us: 60_000_000,
                        code,
                        message,
                    }
                }
                ErrorClass::Transient | ErrorClass::Throttled => Finish::Retry {
                    delay_us: backoff_us(item.attempts, ctx.max_backoff),
                    code,
                    message,
                },
            }
        }
    }
}

async fn run(ctx: &TenantCtx, outbox: &Outbox, item: &ClaimedItem) -> Result<Option<String>, Stop> {
    let listing = &item.listing;
    let state_label = item.state.clone();
    let key = item.key.as_str();

    if !listing.active {
        // Gone from the source: never listed means nothing to do; listed means off shelf.
        if item.synced_state.is_some() && item.synced_state.as_deref() != Some(&state_label) {
            let synced = item.synced_payload_hash.as_deref().unwrap_or("");
            state_sync(ctx, outbox, item, synced).await?;
        }
        return Ok(None);
    }

    let community = community(ctx, outbox, item).await?;
    let (images, warnings) = photos(ctx, outbox, item).await?;
    let room = listing.resolve(community, images, ctx.today());
    let payload_hash = content_hash(&room);

    if item.synced_payload_hash.as_deref() != Some(&payload_hash) {
        let adding = item.synced_payload_hash.is_none();
        let method = room_payload(&room).method();
        call(ctx, outbox, method, key, || {
            ctx.platform.upsert_room(&room, adding)
        })
        .await?;
        progress(outbox, item, &payload_hash, &state_label).await?;
    } else if item.synced_state.as_deref() != Some(&state_label) {
        state_sync(ctx, outbox, item, &payload_hash).await?;
    }
    Ok((!warnings.is_empty()).then(|| warnings.join("; ")))
}

/// `room.state.sync` alone: on/off shelf and rented/vacant, the content left as it is.
async fn state_sync(
    ctx: &TenantCtx,
    outbox: &Outbox,
    item: &ClaimedItem,
    payload_hash: &str,
) -> Result<(), Stop> {
    let (state, rent) = item.listing.desired_state();
    let (key, tag) = (item.key.as_str(), item.listing.kind());
    call(
        ctx,
        outbox,
        "alipay.eco.renthouse.room.state.sync",
        key,
        || ctx.platform.set_room_state(key, tag, state, rent),
    )
    .await?;
    progress(outbox, item, payload_hash, &item.state).await
}

async fn progress(
    outbox: &Outbox,
    item: &ClaimedItem,
    payload: &str,
    state: &str,
) -> Result<(), Stop> {
    if outbox.record_progress(item, payload, state).await? {
        Ok(())
    } else {
        Err(Stop::Lost)
    }
}

/// The room's content, state left out, as the platform would receive it.
fn content_hash(room: &Room) -> String {
    let mut r = room.clone();
    match &mut r {
        Room::Dispersion(d) => {
            d.state = RoomState::OnShelf;
            d.rent_status = RentStatus::Vacant;
        }
        Room::Concentration(c) => {
            c.state = RoomState::OnShelf;
            c.rent_status = RentStatus::Vacant;
        }
    }
    hash_json(&room_payload(&r))
}

/// The community reference: the operator's own code, a cached one, or a fresh community sync.
async fn community(
    ctx: &TenantCtx,
    outbox: &Outbox,
    item: &ClaimedItem,
) -> Result<CommunityRef, Stop> {
    let listing = &item.listing;
    if let Some(code) = &listing.community_code {
        return Ok(CommunityRef::Code(code.clone()));
    }
    let key = community_key(listing);
    // One sync per community even when many of its rooms are worked at once.
    let lock = ctx.locks.get(&format!("community:{key}"));
    let _guard = lock.lock().await;
    if let Some(v) = outbox.cache_get(&ctx.name, "community", &key).await? {
        if let Ok(r) = serde_json::from_str(&v) {
            return Ok(r);
        }
    }
    let c = &listing.community;
    let r = call(
        ctx,
        outbox,
        "alipay.eco.renthouse.community.info.sync",
        &item.key,
        || ctx.platform.sync_community(c),
    )
    .await?;
    let stored = outbox
        .cache_put(
            &ctx.name,
            "community",
            &key,
            &serde_json::to_string(&r).map_err(anyhow::Error::from)?,
        )
        .await?;
    Ok(serde_json::from_str(&stored).unwrap_or(r))
}

/// Normalized: case, spaces and punctuation do not make a second community.
pub fn community_key(listing: &crate::plan::Listing) -> String {
    let norm = |s: &str| -> String {
        s.chars()
            .filter(|c| !c.is_whitespace() && !c.is_ascii_punctuation())
            .flat_map(char::to_lowercase)
            .collect()
    };
    let c = &listing.community;
    let text = format!(
        "{}|{:?}|{:?}|{:?}",
        norm(&c.name),
        c.city,
        c.district,
        c.place
    );
    hex::encode(&Sha256::digest(text.as_bytes())[..16])
}

/// Photo URLs in order; photos that cannot be used are skipped with a warning, so the room still
/// syncs with the rest.
async fn photos(
    ctx: &TenantCtx,
    outbox: &Outbox,
    item: &ClaimedItem,
) -> Result<(Vec<String>, Vec<String>), Stop> {
    let mut urls = Vec::new();
    let mut warnings = Vec::new();
    for (i, location) in item.listing.photos.iter().enumerate() {
        let bytes = match fetch(ctx, location).await {
            Ok(b) => b,
            Err(e) => {
                ctx.metrics.photo("unreadable", 0);
                warnings.push(format!("photo {} ({location}): {e}", i + 1));
                continue;
            }
        };
        // Source bytes plus settings: a photo shared by many rooms is processed and uploaded once,
        // and changing a setting processes it again.
        let key = format!(
            "{}:{}",
            hex::encode(&Sha256::digest(&bytes)[..20]),
            ctx.photo.key()
        );
        let lock = ctx.locks.get(&format!("photo:{key}"));
        let _guard = lock.lock().await;
        if let Some(url) = outbox.cache_get(&ctx.name, "photo", &key).await? {
            ctx.metrics.photo("cached", 0);
            urls.push(url);
            continue;
        }
        let in_bytes = bytes.len();
        let jpeg = match super::photos::prepare(ctx, bytes).await {
            Ok(p) => {
                ctx.metrics.photo("processed", p.encodes);
                p.jpeg
            }
            Err(e) => {
                ctx.metrics.photo(e.reason(), 0);
                warnings.push(format!("photo {} ({location}): {e}", i + 1));
                continue;
            }
        };
        let url = call(
            ctx,
            outbox,
            "alipay.eco.renthouse.common.image.upload",
            &item.key,
            || ctx.platform.upload_photo(&jpeg),
        )
        .await?;
        ctx.metrics.photo_bytes(in_bytes as u64, jpeg.len() as u64);
        urls.push(outbox.cache_put(&ctx.name, "photo", &key, &url).await?);
    }
    Ok((urls, warnings))
}

/// One platform call: limiter, a couple of quick retries for transient failures, the call log.
async fn call<T, F, Fut>(
    ctx: &TenantCtx,
    outbox: &Outbox,
    method: &str,
    key: &str,
    f: F,
) -> Result<T, Stop>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<T, AlipayError>>,
{
    if !ctx.wait_unpaused().await {
        return Err(Stop::Lost);
    }
    let attempt = || async {
        ctx.limits.acquire(method).await;
        let started = Instant::now();
        let r = f().await;
        let outcome = match &r {
            Ok(_) => "success".to_string(),
            Err(e) => e.outcome_label(),
        };
        let ms = started.elapsed().as_millis() as i64;
        if let Err(e) = outbox.log_call(&ctx.name, method, key, &outcome, ms).await {
            tracing::warn!(error = %e, "call log not written");
        }
        ctx.metrics.record(method, &outcome, started.elapsed());
        ctx.answer_checked(r.as_ref().err().is_some_and(AlipayError::is_bad_signature));
        match &r {
            Ok(_) => ctx.limits.succeeded(method),
            Err(e) if e.class() == ErrorClass::Throttled => {
                let pause = ctx.limits.throttled(method);
                ctx.metrics.throttled(pause);
                tracing::warn!(tenant = %ctx.name, method, ?pause, "platform throttled us; pausing the method");
            }
            Err(_) => {}
        }
        r
    };
    let r = attempt
        .retry(
            ExponentialBuilder::default()
                .with_min_delay(Duration::from_millis(200))
                .with_max_delay(Duration::from_secs(2))
                .with_max_times(2)
                .with_jitter(),
        )
        .when(|e: &AlipayError| e.class() == ErrorClass::Transient)
        .await;
    Ok(r?)
}

/// Exponential backoff with full jitter: uniform in [0, min(cap, 1 s · 2^attempts)].
pub fn backoff_us(attempts: i64, cap: Duration) -> i64 {
    let ceiling = Duration::from_secs(1)
        .saturating_mul(1u32 << attempts.clamp(0, 20) as u32)
        .min(cap);
    let us = ceiling.as_micros() as i64;
    rand::thread_rng().gen_range(0..=us.max(1))
}
