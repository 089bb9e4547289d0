//! The stages of one room, in dependency order: community → photos → room upsert → state.
//!
//! Before a call that can change what the platform shows, the item's `synced_*` are marked
//! unconfirmed; a confirmed answer records the real values, a refusal puts the old ones back. So a
//! crash or a lost answer leaves the room "maybe live", and an off-shelf still follows. A whole room
//! is resent only when its content changed; a state flip alone goes through `room.state.sync`.
//! The exact payload is checked against the platform's rules right before it is sent, and the
//! lease is checked before every call: nothing invalid leaves, and a worker that lost its lease
//! stops.

use std::future::Future;
use std::time::{Duration, Instant};

use rand::Rng;
use sha2::{Digest, Sha256};

use super::photos::{self as photo_source, Sourced};
use super::TenantCtx;
use crate::alipay::{AlipayError, ErrorClass};
use crate::model::{CommunityRef, RoomState};
use crate::outbox::{maybe_live, ClaimedItem, Finish, Outbox, UNCONFIRMED};
use crate::plan::rules::{self, Context};
use crate::plan::{hash_json, state_label, InvalidListings};
use crate::platform::{room_payload, Stage};

/// Why a stage stopped.
enum Stop {
    Platform(AlipayError),
    Lost,
    /// The listing breaks a rule: the message names room, field and rule.
    Invalid(String),
    /// Parked without a call (the platform rejected the room's community): kept as failed.
    Parked {
        code: String,
        message: String,
    },
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

/// What the platform shows, as far as this worker knows, updated call by call.
struct Synced {
    payload: Option<String>,
    state: Option<String>,
}

/// Works one claimed item and says how to leave it.
pub async fn process(ctx: &TenantCtx, outbox: &Outbox, item: &ClaimedItem) -> Finish {
    match run(ctx, outbox, item).await {
        Ok(warnings) => Finish::Done { warnings },
        Err(Stop::Lost) => Finish::Release,
        Err(Stop::Invalid(message)) => Finish::Invalid { message },
        Err(Stop::Parked { code, message }) => Finish::Failed { code, message },
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
            // A signed success we cannot read was applied by the platform; re-sending it forever
            // changes nothing. After a few tries it is parked with the (redacted) answer.
            if e.is_undecodable() && item.attempts + 1 >= UNDECODABLE_TRIES {
                return Finish::Failed {
                    code: "undecodable".into(),
                    message,
                };
            }
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
    let mut synced = Synced {
        payload: item.synced_payload_hash.clone(),
        state: item.synced_state.clone(),
    };

    if !listing.active {
        // Gone from the source: never listed means nothing to do; maybe listed means off shelf.
        if synced.state.is_some() && synced.state.as_deref() != Some(&state_label) {
            state_sync(ctx, outbox, item, &mut synced, false).await?;
        }
        return Ok(None);
    }
    if let Some(reason) = &item.invalid_reason {
        return Err(invalid(ctx, outbox, item, &mut synced, reason.clone()).await);
    }

    let community = community(ctx, outbox, item).await?;
    let (images, warnings) = photos(ctx, outbox, item).await?;
    let mut room = listing.resolve(community, images, ctx.today());
    let payload_hash = room.with_fixed_state(|r| hash_json(&room_payload(r)));

    if synced.payload.as_deref() != Some(&payload_hash) {
        let payload = room_payload(&room);
        let method = payload.method();
        let adding = synced.payload.is_none();
        let check = Context {
            today: ctx.today(),
            // An unconfirmed add may not have landed: check as the platform checks a new room.
            adding: adding || synced.payload.as_deref() == Some(UNCONFIRMED),
            max_image_bytes: rules::MAX_IMAGE_BYTES,
        };
        let value = serde_json::to_value(&payload).map_err(anyhow::Error::from)?;
        let breaks = rules::check(method, &value, &check).map_err(anyhow::Error::from)?;
        if !breaks.is_empty() {
            let message = crate::plan::breaks_text(listing, &breaks);
            return Err(invalid(ctx, outbox, item, &mut synced, message).await);
        }
        // What went out, kept for `rentsync explain` (the room as resolved: ids, photos, state).
        let sent = serde_json::to_string(&room).map_err(anyhow::Error::from)?;
        send(
            ctx,
            outbox,
            item,
            &mut synced,
            Some((&payload_hash, &sent)),
            &state_label,
            ctx.platform.stage_method(Stage::Room(room.flats_tag())),
            || ctx.platform.upsert_room(&room, adding),
        )
        .await?;
    } else if synced.state.as_deref() != Some(&state_label) {
        state_sync(ctx, outbox, item, &mut synced, false).await?;
    }
    // Checked on every pass, not only when content is sent: the warning stays while it holds.
    let mut warnings = warnings;
    warnings.extend(ctx.platform.add_only_drift(&room).await?);
    Ok((!warnings.is_empty()).then(|| warnings.join("; ")))
}

/// A listing that breaks a rule is never sent. If it may be live, it stays at its older values
/// or, by the tenant's policy, goes off shelf.
async fn invalid(
    ctx: &TenantCtx,
    outbox: &Outbox,
    item: &ClaimedItem,
    synced: &mut Synced,
    message: String,
) -> Stop {
    if ctx.invalid_listings == InvalidListings::OffShelf && maybe_live(synced.state.as_deref()) {
        if let Err(stop) = state_sync(ctx, outbox, item, synced, true).await {
            return stop;
        }
    }
    Stop::Invalid(message)
}

/// `room.state.sync` alone: on/off shelf and rented/vacant, the content left as it is.
/// `off_shelf` forces off shelf whatever the listing wants (an invalid room under that policy).
async fn state_sync(
    ctx: &TenantCtx,
    outbox: &Outbox,
    item: &ClaimedItem,
    synced: &mut Synced,
    off_shelf: bool,
) -> Result<(), Stop> {
    let (mut state, rent) = item.listing.desired_state();
    if off_shelf {
        state = RoomState::OffShelf;
    }
    let label = state_label(state, rent);
    let (key, tag) = (item.key.as_str(), item.listing.kind());
    let method = ctx.platform.stage_method(Stage::State(tag));
    let sent = send(ctx, outbox, item, synced, None, &label, method, || {
        ctx.platform.set_room_state(key, tag, state, rent)
    })
    .await;
    match sent {
        Err(Stop::Platform(e)) if room_missing(&e) => {
            // The platform has no such room: nothing of it is listed. Off shelf is reached; on
            // shelf needs the whole room sent again.
            synced.payload = None;
            synced.state = None;
            if !outbox.restore_synced(item, None, None).await? {
                return Err(Stop::Lost);
            }
            if state == RoomState::OffShelf {
                Ok(())
            } else {
                Err(Stop::Internal(anyhow::anyhow!(
                    "room {key} is not on the platform; it will be sent whole"
                )))
            }
        }
        other => other,
    }
}

fn room_missing(e: &AlipayError) -> bool {
    e.codes()
        .is_some_and(|(code, sub)| code == "40004" && sub == "isv.room-not-exist")
}

/// A call that can change what the platform shows: marked unconfirmed before, recorded after
/// the answer. `payload` is the content's hash and the room as sent; `None` for a state call,
/// which leaves the content as it is.
#[allow(clippy::too_many_arguments)]
async fn send<T, F, Fut>(
    ctx: &TenantCtx,
    outbox: &Outbox,
    item: &ClaimedItem,
    synced: &mut Synced,
    payload: Option<(&str, &str)>,
    state: &str,
    method: &str,
    f: F,
) -> Result<T, Stop>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<T, AlipayError>>,
{
    let (before_payload, before_state) = (synced.payload.clone(), synced.state.clone());
    let marked = synced.state.as_deref() == Some(UNCONFIRMED)
        && (payload.is_none() || synced.payload.as_deref() == Some(UNCONFIRMED));
    if !marked {
        let mark_payload = payload.map(|_| UNCONFIRMED);
        if !outbox
            .record_progress(item, mark_payload, None, Some(UNCONFIRMED))
            .await?
        {
            return Err(Stop::Lost);
        }
        if payload.is_some() {
            synced.payload = Some(UNCONFIRMED.into());
        }
        synced.state = Some(UNCONFIRMED.into());
    }
    match call(ctx, outbox, item, method, f).await {
        Ok(v) => {
            let (hash, sent) = (payload.map(|p| p.0), payload.map(|p| p.1));
            if !outbox
                .record_progress(item, hash, sent, Some(state))
                .await?
            {
                return Err(Stop::Lost);
            }
            if let Some((p, _)) = payload {
                synced.payload = Some(p.into());
            }
            synced.state = Some(state.into());
            Ok(v)
        }
        Err(Stop::Platform(e)) if refused(&e) => {
            // A signed refusal: the platform applied nothing, so it shows what it showed before.
            synced.payload = before_payload;
            synced.state = before_state;
            if !outbox
                .restore_synced(item, synced.payload.as_deref(), synced.state.as_deref())
                .await?
            {
                return Err(Stop::Lost);
            }
            Err(Stop::Platform(e))
        }
        Err(e) => Err(e),
    }
}

/// The platform answered and refused the call: nothing of it was applied.
fn refused(e: &AlipayError) -> bool {
    e.codes().is_some() && e.class() != ErrorClass::Transient
}

/// The community reference: the operator's own code, a cached one, or a fresh community sync.
async fn community(
    ctx: &TenantCtx,
    outbox: &Outbox,
    item: &ClaimedItem,
) -> Result<CommunityRef, Stop> {
    let listing = &item.listing;
    if let Some(code) = listing
        .community_code
        .as_ref()
        .filter(|_| ctx.platform.takes_community_codes())
    {
        return Ok(CommunityRef::Code(code.clone()));
    }
    let kind = ctx.platform.cache_kind("community");
    let key = community_key(listing);
    let cached = |v: Option<String>| v.and_then(|v| serde_json::from_str::<CommunityRef>(&v).ok());
    // A community synced already needs no lock: rooms of one community go through side by side.
    if let Some(r) = cached(outbox.cache_get(&ctx.name, &kind, &key).await?) {
        return community_reviewed(ctx, outbox, r).await;
    }
    // One sync per community even when many of its rooms are worked at once; the rooms that
    // waited find it cached.
    let lock = ctx.locks.get(&format!("community:{key}"));
    let guard = lock.lock().await;
    if let Some(r) = cached(outbox.cache_get(&ctx.name, &kind, &key).await?) {
        drop(guard);
        return community_reviewed(ctx, outbox, r).await;
    }
    let c = &listing.community;
    let r = call(
        ctx,
        outbox,
        item,
        ctx.platform.stage_method(Stage::Community),
        || ctx.platform.sync_community(c),
    )
    .await?;
    let stored = outbox
        .cache_put(
            &ctx.name,
            &kind,
            &key,
            &serde_json::to_string(&r).map_err(anyhow::Error::from)?,
        )
        .await?;
    drop(guard);
    community_reviewed(ctx, outbox, serde_json::from_str(&stored).unwrap_or(r)).await
}

/// A community request the platform rejected (type-5 callback, `spi::community`) parks the room.
async fn community_reviewed(
    ctx: &TenantCtx,
    outbox: &Outbox,
    r: CommunityRef,
) -> Result<CommunityRef, Stop> {
    if let CommunityRef::RequestId(id) = &r {
        if let Some(review) = outbox.community_review(&ctx.name, id).await? {
            if review.rejected() {
                return Err(Stop::Parked {
                    code: crate::outbox::REJECTED_CODE.into(),
                    message: format!(
                        "the platform rejected community request {id}: {}",
                        if review.remark.is_empty() {
                            "no remark"
                        } else {
                            review.remark.as_str()
                        }
                    ),
                });
            }
        }
    }
    Ok(r)
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

/// Tries of an item whose answer is a signed success that does not decode.
const UNDECODABLE_TRIES: i64 = 3;

/// Photo URLs in order; photos that cannot be used (or that a rule refuses) are skipped with a
/// warning naming the room, the photo and why, so the room still syncs with the rest.
async fn photos(
    ctx: &TenantCtx,
    outbox: &Outbox,
    item: &ClaimedItem,
) -> Result<(Vec<String>, Vec<String>), Stop> {
    let mut urls = Vec::new();
    let mut warnings = Vec::new();
    let photo_kind = ctx.platform.cache_kind("photo");
    for (i, location) in item.listing.photos.iter().enumerate() {
        let bytes = match photo_source::source(ctx, outbox, location).await? {
            Ok(Sourced::Fresh(b)) => b,
            Ok(Sourced::Uploaded(url)) => {
                ctx.metrics.photo("not_modified", 0);
                urls.push(url);
                continue;
            }
            Err(e) if e.transient => {
                // Publishing without it would drop the photo until the row changes again.
                ctx.metrics.photo("retried", 0);
                return Err(Stop::Internal(anyhow::anyhow!(
                    "{}; the room waits for it",
                    photo_source::warning(&item.key, i, location, &e)
                )));
            }
            Err(e) => {
                ctx.metrics.photo(e.reason(), 0);
                tracing::warn!(tenant = %ctx.name, room = %item.key, photo = %location, error = %e, "photo not used");
                warnings.push(photo_source::warning(&item.key, i, location, &e));
                continue;
            }
        };
        let key = photo_source::upload_key(ctx, &photo_source::content_hash(&bytes));
        if let Some(url) = outbox.cache_get(&ctx.name, &photo_kind, &key).await? {
            ctx.metrics.photo("cached", 0);
            urls.push(url);
            continue;
        }
        // One upload per photo content; whoever waited here finds it cached.
        let lock = ctx.locks.get(&format!("photo:{key}"));
        let _guard = lock.lock().await;
        if let Some(url) = outbox.cache_get(&ctx.name, &photo_kind, &key).await? {
            ctx.metrics.photo("cached", 0);
            urls.push(url);
            continue;
        }
        let in_bytes = bytes.len();
        let jpeg = match photo_source::prepare(ctx, bytes).await {
            Ok(p) => {
                ctx.metrics.photo("processed", p.encodes);
                p.jpeg
            }
            Err(e) => {
                ctx.metrics.photo(e.reason(), 0);
                warnings.push(photo_source::warning(&item.key, i, location, &e));
                continue;
            }
        };
        let url = call(
            ctx,
            outbox,
            item,
            ctx.platform.stage_method(Stage::Photo),
            || ctx.platform.upload_photo(&jpeg),
        )
        .await?;
        ctx.metrics.photo_bytes(in_bytes as u64, jpeg.len() as u64);
        urls.push(outbox.cache_put(&ctx.name, &photo_kind, &key, &url).await?);
    }
    Ok((urls, warnings))
}

/// One platform call: lease check, limiter, a couple of quick retries for transient failures,
/// the call log. The lease is checked again after every wait, right before the call.
async fn call<T, F, Fut>(
    ctx: &TenantCtx,
    outbox: &Outbox,
    item: &ClaimedItem,
    method: &str,
    f: F,
) -> Result<T, Stop>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<T, AlipayError>>,
{
    const QUICK_RETRIES: u32 = 2;
    let mut delay = Duration::from_millis(200);
    let mut attempt = 0;
    loop {
        // A stop while waiting out a pause gives the lease back at once.
        if !ctx.wait_unpaused().await {
            return Err(Stop::Lost);
        }
        ctx.limits.acquire(method).await;
        if !item.lease.holds() {
            return Err(Stop::Lost);
        }
        let started = Instant::now();
        let r = f().await;
        let outcome = match &r {
            Ok(_) => "success".to_string(),
            Err(e) => e.outcome_label(),
        };
        let ms = started.elapsed().as_millis() as i64;
        if let Err(e) = outbox
            .log_call(&ctx.name, method, &item.key, &outcome, ms)
            .await
        {
            tracing::warn!(error = %e, "call log not written");
        }
        ctx.metrics.record(method, &outcome, started.elapsed());
        ctx.answer_checked(r.as_ref().err().is_some_and(AlipayError::is_bad_signature));
        ctx.gateway_answered(r.as_ref().err().and_then(AlipayError::http_status));
        match r {
            Ok(v) => {
                ctx.limits.succeeded(method);
                return Ok(v);
            }
            Err(e) if e.class() == ErrorClass::Throttled => {
                let pause = ctx.limits.throttled(method);
                ctx.metrics.throttled(pause);
                if pause.is_zero() {
                    tracing::info!(tenant = %ctx.name, method, room = %item.key, "platform throttled a call; it is retried");
                } else {
                    tracing::warn!(tenant = %ctx.name, method, ?pause, "platform keeps throttling us; pausing the method");
                }
                return Err(Stop::Platform(e));
            }
            // An undecodable success was applied: sending it again at once only repeats it.
            Err(e)
                if e.class() == ErrorClass::Transient
                    && !e.is_undecodable()
                    && attempt < QUICK_RETRIES =>
            {
                attempt += 1;
                let jittered = rand::thread_rng().gen_range(delay / 2..=delay);
                tokio::time::sleep(jittered).await;
                delay = (delay * 2).min(Duration::from_secs(2));
            }
            Err(e) => return Err(Stop::Platform(e)),
        }
    }
}

/// Exponential backoff with full jitter: uniform in [0, min(cap, 1 s · 2^attempts)].
pub fn backoff_us(attempts: i64, cap: Duration) -> i64 {
    let ceiling = Duration::from_secs(1)
        .saturating_mul(1u32 << attempts.clamp(0, 20) as u32)
        .min(cap);
    let us = ceiling.as_micros() as i64;
    rand::thread_rng().gen_range(0..=us.max(1))
}
