//! The SPI endpoint of `rentsync run` (`[spi] listen`): `POST /spi/{tenant}/{type}`, one route per
//! callback type and tenant. A callback is believed only when the platform signed it (see
//! [`super::verify`]); it is then stored once and its deliveries queued *before* the answer, so
//! `{"code":1}` means "kept". A repeat of a stored event is answered `{"code":1}` and adds nothing.
//!
//! Every request is untrusted: a per-source-address rate limit, a bounded body, a deadline on the
//! whole request, and answers that never say why (`{"code":0}`); the reason goes to the log as a
//! bounded label, without the parameters.

use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use governor::{DefaultKeyedRateLimiter, Quota};
use serde_json::{json, Map, Value};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::aes::{ContentKey, DataKey};
use super::callback::{CallbackType, PHONE_PARAMS};
use super::verify::{check, Refusal};
use crate::alipay::PublicKey;
use crate::config::Config;
use crate::outbox::Outbox;

/// Most form parameters one callback may carry.
const MAX_PARAMS: usize = 64;
/// Longest decrypted phone number accepted.
const MAX_PHONE_CHARS: usize = 32;

/// One tenant's side of the endpoint.
pub struct TenantSpi {
    pub name: String,
    pub platform: PublicKey,
    pub aes: Option<ContentKey>,
    /// Task kinds each accepted callback is queued as (none: stored only).
    pub kinds: Vec<&'static str>,
    /// Wakes the tenant's task loop once a delivery is queued.
    pub wake: Arc<Notify>,
}

#[derive(Clone)]
pub struct SpiState(Arc<Inner>);

pub struct Inner {
    outbox: Outbox,
    tenants: HashMap<String, Arc<TenantSpi>>,
    data_key: DataKey,
    max_skew: Duration,
    max_body: usize,
    timeout: Duration,
    /// Keyed GCRA: its state per address is a few bytes, and stale keys are dropped by `tidy`.
    limiter: DefaultKeyedRateLimiter<IpAddr>,
}

impl SpiState {
    /// The endpoint of every tenant of `cfg` with `[tenant.spi]`; `wakes` by tenant name.
    pub fn from_config(
        cfg: &Config,
        outbox: Outbox,
        wakes: &HashMap<String, Arc<Notify>>,
    ) -> anyhow::Result<Self> {
        let mut tenants = HashMap::new();
        for t in &cfg.tenants {
            let Some(spi) = &t.spi else { continue };
            // A tenant whose keys do not load is left out (its callbacks are refused, so the
            // platform sends them again after the fix and a reload); the others are served.
            let (platform, aes) = match tenant_keys(&t.platform_public_key_file, spi) {
                Ok(k) => k,
                Err(e) => {
                    tracing::error!(tenant = %t.name, error = %format!("{e:#}"),
                        "SPI callbacks of this tenant are refused until its keys load");
                    continue;
                }
            };
            tenants.insert(
                t.name.clone(),
                Arc::new(TenantSpi {
                    name: t.name.clone(),
                    platform,
                    aes,
                    kinds: super::deliver::kinds(spi.deliver.as_ref()),
                    wake: wakes.get(&t.name).cloned().unwrap_or_default(),
                }),
            );
        }
        let rate = cfg.spi.rate_per_addr.max(0.001);
        let quota = Quota::with_period(Duration::from_secs_f64(1.0 / rate))
            .ok_or_else(|| anyhow::anyhow!("spi.rate_per_addr {rate} is too high"))?
            .allow_burst(NonZeroU32::new(rate.ceil() as u32).unwrap_or(NonZeroU32::MIN));
        Ok(Self(Arc::new(Inner {
            outbox,
            tenants,
            data_key: super::aes::data_key(cfg)?,
            max_skew: Duration::from_secs(cfg.spi.max_skew_secs),
            max_body: cfg.spi.max_body_bytes,
            timeout: cfg.spi.request_timeout(),
            limiter: DefaultKeyedRateLimiter::keyed(quota),
        })))
    }

    pub fn router(&self) -> Router {
        Router::new()
            .route("/spi/{tenant}/{kind}", post(receive))
            .with_state(self.clone())
    }

    /// Queues the deliveries of callbacks stored but never queued (a crash between the two
    /// writes); run before the endpoint opens.
    pub async fn sweep(&self) -> anyhow::Result<usize> {
        let mut n = 0;
        for t in self.0.tenants.values() {
            let swept = super::deliver::sweep(&self.0.outbox, &t.name, &t.kinds).await?;
            if swept > 0 {
                tracing::info!(tenant = %t.name, callbacks = swept,
                    "queued deliveries of callbacks stored before a crash");
                t.wake.notify_one();
            }
            n += swept;
        }
        Ok(n)
    }

    /// Serves until `stop`; sweeps first.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        stop: CancellationToken,
    ) -> anyhow::Result<()> {
        self.sweep().await?;
        let tidy = {
            let s = self.clone();
            let stop = stop.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_secs(60));
                loop {
                    tokio::select! {
                        _ = tick.tick() => {
                            s.0.limiter.retain_recent();
                            s.0.limiter.shrink_to_fit();
                        }
                        _ = stop.cancelled() => return,
                    }
                }
            })
        };
        let app = self
            .router()
            .into_make_service_with_connect_info::<SocketAddr>();
        let result = axum::serve(listener, app)
            .with_graceful_shutdown(async move { stop.cancelled().await })
            .await;
        tidy.abort();
        Ok(result?)
    }
}

/// The platform's public key and the AES key of one tenant.
fn tenant_keys(
    platform: &std::path::Path,
    spi: &super::TenantSpiConfig,
) -> anyhow::Result<(PublicKey, Option<ContentKey>)> {
    let platform = PublicKey::from_file(platform)
        .map_err(|e| anyhow::anyhow!("platform_public_key_file: {e}"))?;
    let aes = match &spi.aes_key_file {
        Some(p) => {
            Some(ContentKey::from_file(p).map_err(|e| anyhow::anyhow!("spi.aes_key_file: {e:#}"))?)
        }
        None => None,
    };
    Ok((platform, aes))
}

fn answer(ok: bool) -> Response {
    Json(json!({ "code": if ok { 1 } else { 0 } })).into_response()
}

fn refuse(status: StatusCode, why: Refusal, tenant: &str, kind: &str, peer: IpAddr) -> Response {
    tracing::warn!(%tenant, callback = %kind, %peer, reason = why.label(), "SPI callback refused");
    let mut r = answer(false);
    *r.status_mut() = status;
    r
}

async fn receive(
    State(s): State<SpiState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path((tenant, kind)): Path<(String, String)>,
    body: Body,
) -> Response {
    let peer = peer.ip();
    // Path values are the caller's: only bounded, known spellings reach the log.
    let shown_tenant = if s.0.tenants.contains_key(&tenant) {
        tenant.as_str()
    } else {
        "?"
    };
    let shown_kind = CallbackType::parse(&kind).map_or("?", CallbackType::as_str);
    if s.0.limiter.check_key(&peer).is_err() {
        return refuse(
            StatusCode::TOO_MANY_REQUESTS,
            Refusal::RateLimited,
            shown_tenant,
            shown_kind,
            peer,
        );
    }
    match tokio::time::timeout(s.0.timeout, accept(&s, &tenant, &kind, body)).await {
        Ok(Ok((event_id, new))) => {
            tracing::info!(tenant = %tenant, callback = %kind, event = %event_id.get(..16).unwrap_or(&event_id), new,
                "SPI callback accepted");
            answer(true)
        }
        Ok(Err(why)) => {
            let status = match why {
                Refusal::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
                Refusal::UnknownRoute => StatusCode::NOT_FOUND,
                Refusal::NotStored => StatusCode::SERVICE_UNAVAILABLE,
                _ => StatusCode::OK,
            };
            refuse(status, why, shown_tenant, shown_kind, peer)
        }
        Err(_) => refuse(
            StatusCode::REQUEST_TIMEOUT,
            Refusal::TooSlow,
            shown_tenant,
            shown_kind,
            peer,
        ),
    }
}

/// Verifies, stores and queues one callback; the event id and whether it was new.
async fn accept(
    s: &SpiState,
    tenant: &str,
    kind: &str,
    body: Body,
) -> Result<(String, bool), Refusal> {
    let (Some(t), Some(kind)) = (s.0.tenants.get(tenant), CallbackType::parse(kind)) else {
        return Err(Refusal::UnknownRoute);
    };
    let bytes = axum::body::to_bytes(body, s.0.max_body)
        .await
        .map_err(|_| Refusal::TooLarge)?;
    let params = parse_form(&bytes)?;
    check(&params, &t.platform, s.0.max_skew)?;
    let phone = match PHONE_PARAMS
        .iter()
        .find_map(|p| params.get(*p).filter(|v| !v.is_empty()))
    {
        None => None,
        Some(enc) => {
            let key = t.aes.as_ref().ok_or(Refusal::BadPhone)?;
            let phone = key.decrypt(enc).map_err(|_| Refusal::BadPhone)?;
            if phone.expose().chars().count() > MAX_PHONE_CHARS {
                return Err(Refusal::BadPhone);
            }
            Some(s.0.data_key.seal(phone.expose()))
        }
    };
    let event_id = kind.event_id(&t.name, &params);
    let kept: Map<String, Value> = params
        .iter()
        .filter(|(k, _)| k.as_str() != "sign" && !PHONE_PARAMS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    let kept = Value::Object(kept).to_string();
    let outbox = &s.0.outbox;
    // A review is applied before the callback is stored, so a crash between the two leaves it
    // unstored and the platform's repeat applies it again; a stored one is not applied twice.
    if kind == CallbackType::CommunityStatus {
        let stored = outbox
            .spi_get(&t.name, &event_id)
            .await
            .map_err(|e| store_failed(&t.name, e))?;
        if stored.is_none() {
            super::community::apply(outbox, &t.name, &params)
                .await
                .map_err(|e| store_failed(&t.name, e))?;
        }
    }
    let new = outbox
        .spi_store(&t.name, &event_id, kind.as_str(), &kept, phone.as_deref())
        .await
        .map_err(|e| store_failed(&t.name, e))?;
    // Also for a repeat: the first may have been stored by a process that died before queueing.
    super::deliver::queue(outbox, &t.name, &event_id, kind.as_str(), &t.kinds)
        .await
        .map_err(|e| store_failed(&t.name, e))?;
    if !t.kinds.is_empty() {
        t.wake.notify_one();
    }
    Ok((event_id, new))
}

fn store_failed(tenant: &str, e: anyhow::Error) -> Refusal {
    tracing::error!(%tenant, error = %format!("{e:#}"), "SPI callback not stored; the platform will send it again");
    Refusal::NotStored
}

/// The form body as a map; a repeated name, too many names or bad UTF-8 is malformed.
fn parse_form(bytes: &[u8]) -> Result<BTreeMap<String, String>, Refusal> {
    std::str::from_utf8(bytes).map_err(|_| Refusal::Malformed)?;
    let mut out = BTreeMap::new();
    for (k, v) in form_urlencoded::parse(bytes) {
        if out.len() >= MAX_PARAMS || out.insert(k.into_owned(), v.into_owned()).is_some() {
            return Err(Refusal::Malformed);
        }
    }
    Ok(out)
}
