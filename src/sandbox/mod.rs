//! Our local emulation of the Alipay OpenAPI gateway for the renthouse and housing families.
//!
//! It is as strict as the platform, on purpose: it verifies request signatures with the app's
//! public key, signs answers with its own key (an official SDK accepts them), checks every field
//! with the same rules the planner uses, refuses images it did not issue and communities it does
//! not know, and enforces a per-method call rate. It also misbehaves on request (see [`faults`]),
//! and keeps what it accepted so a test can compare the platform's end state with the source.

mod answer;
mod faults;
mod gateway;
pub mod housing;
mod housing_fields;
mod limits;
mod methods;
mod multipart;
mod spi;
mod stats;
mod store;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::alipay::keys::{AppPrivateKey, PublicKey};
use crate::secret::Secret;

pub use faults::{Fault, FaultConfig, Faults};

/// Largest request body the gateway reads; beyond it the answer is HTTP 413.
const MAX_BODY_BYTES: usize = 24 << 20;
pub use limits::LimitConfig;
pub use store::{Store, StoredBill, StoredRoom};

#[derive(Debug, Clone)]
pub struct SandboxConfig {
    pub app_public_key: PublicKey,
    pub platform_private_key: AppPrivateKey,
    /// When set, only this app may call.
    pub app_id: Option<String>,
    /// When set, every call must carry one of these `app_auth_token`s (an ISV acting for operators).
    pub app_auth_tokens: Option<Vec<Secret>>,
    pub limits: LimitConfig,
    pub faults: FaultConfig,
    pub max_image_bytes: usize,
    pub max_clock_skew: Duration,
    /// Community codes the platform already knows (from its CommunityInfos list).
    pub community_codes: Vec<String>,
    /// Where accepted state is kept between runs; memory only when unset.
    pub state_file: Option<PathBuf>,
    /// The SPI content key (AES) that encrypts `bookPhone` in callbacks `/sandbox/spi/send` sends.
    pub spi_aes_key: Option<crate::spi::aes::ContentKey>,
}

impl SandboxConfig {
    pub fn new(app_public_key: PublicKey, platform_private_key: AppPrivateKey) -> Self {
        Self {
            app_public_key,
            platform_private_key,
            app_id: None,
            app_auth_tokens: None,
            limits: LimitConfig::default(),
            faults: FaultConfig::default(),
            max_image_bytes: crate::plan::rules::MAX_IMAGE_BYTES,
            max_clock_skew: Duration::from_secs(15 * 60),
            community_codes: Vec::new(),
            state_file: None,
            spi_aes_key: None,
        }
    }
}

/// A copy of what the trade methods stored.
#[derive(Debug, Clone, Default)]
pub struct TradeState {
    /// `lease_code` → the last accepted lease.order.sync (its status updated by lease.state.sync).
    pub leases: std::collections::BTreeMap<String, Value>,
    pub bills: std::collections::BTreeMap<String, StoredBill>,
    pub reservations: std::collections::BTreeMap<String, Value>,
    /// Pushes that repeated a `trade_id`.
    pub bill_repeats: u64,
}

/// Shared by every request handler.
#[derive(Clone)]
pub struct SandboxState(Arc<Inner>);

pub struct Inner {
    cfg: SandboxConfig,
    // A std mutex: every critical section is a map update without await points.
    store: Mutex<Store>,
    dirty: AtomicBool,
    limits: limits::Limits,
    faults: faults::Faults,
    stats: stats::Stats,
    /// Signs the "wrongly signed" fault answers: a valid RSA signature by the wrong key. Made on
    /// first use, since a 2048-bit key takes a while and most sandboxes never forge.
    forger: std::sync::OnceLock<AppPrivateKey>,
    /// The last callback `/sandbox/spi/send` sent, for `"repeat": true`.
    last_spi: Mutex<Option<spi::LastSend>>,
}

impl std::ops::Deref for SandboxState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl SandboxState {
    pub fn new(cfg: SandboxConfig) -> anyhow::Result<Self> {
        let mut store = match &cfg.state_file {
            Some(path) => Store::load(path)?,
            None => Store::default(),
        };
        store
            .community_codes
            .extend(cfg.community_codes.iter().cloned());
        Ok(Self(Arc::new(Inner {
            limits: limits::Limits::new(&cfg.limits)?,
            faults: faults::Faults::new(cfg.faults.clone()),
            stats: stats::Stats::default(),
            store: Mutex::new(store),
            last_spi: Mutex::new(None),
            dirty: AtomicBool::new(false),
            forger: {
                // Made now when forgeries are configured: a first forged answer delayed by key
                // generation would reach the client as a timeout instead.
                let lock = std::sync::OnceLock::new();
                if cfg.faults.bad_signature > 0.0 {
                    let _ = lock.set(AppPrivateKey::generate(2048)?);
                }
                lock
            },
            cfg,
        })))
    }

    pub fn router(&self) -> Router {
        Router::new()
            .route("/gateway.do", post(gateway::handle))
            .route("/sandbox/rooms", get(rooms))
            .route("/sandbox/stats", get(stats))
            .route("/sandbox/state", get(state))
            .route("/sandbox/spi/send", post(spi::send))
            // The platform takes files up to 5 MB: base64 and URL-encoding can triple that.
            .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
            .with_state(self.clone())
    }

    /// A copy of the accepted rooms, for in-process tests.
    /// Changes the fault rates of a running sandbox.
    pub fn set_faults(&self, cfg: FaultConfig) {
        self.faults.set(cfg);
    }

    pub fn rooms(&self) -> Vec<StoredRoom> {
        self.store
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .rooms
            .values()
            .cloned()
            .collect()
    }

    /// A copy of the housing family's objects, for in-process tests.
    pub fn housing(&self) -> housing::HousingStore {
        self.store
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .housing
            .clone()
    }

    /// What the trade methods stored (leases, bills, booking answers), for in-process tests.
    pub fn trade(&self) -> TradeState {
        let store = self.store.lock().unwrap_or_else(|p| p.into_inner());
        TradeState {
            leases: store.leases.clone(),
            bills: store.bills.clone(),
            reservations: store.reservations.clone(),
            bill_repeats: store.bill_repeats,
        }
    }

    pub fn stats_json(&self) -> Value {
        self.stats.to_json()
    }

    /// Writes the store to its file if anything changed since the last flush.
    pub fn flush(&self) -> anyhow::Result<()> {
        let Some(path) = &self.cfg.state_file else {
            return Ok(());
        };
        if self.dirty.swap(false, Ordering::Relaxed) {
            self.store
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .save(path)?;
        }
        Ok(())
    }

    /// Serves until `shutdown` resolves; flushes the state file every second and at the end.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        self.serve_with(listener, Router::new(), shutdown).await
    }

    /// Like `serve`, with more routes beside the gateway's (the TOP gateway of `tmall::sandbox`).
    pub async fn serve_with(
        self,
        listener: tokio::net::TcpListener,
        extra: Router,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let flusher = {
            let sb = self.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_secs(1));
                loop {
                    tick.tick().await;
                    if let Err(e) = sb.flush() {
                        tracing::warn!(error = %e, "sandbox state file not written");
                    }
                }
            })
        };
        let result = axum::serve(listener, self.router().merge(extra))
            .with_graceful_shutdown(shutdown)
            .await;
        flusher.abort();
        self.flush()?;
        Ok(result?)
    }
}

fn room_json(r: &StoredRoom) -> Value {
    json!({
        "room_code": r.room_code,
        "flats_tag": r.flats_tag,
        "biz_content": r.biz_content,
        "room_status": r.room_status,
        "rent_status": r.rent_status,
        "images": r.images,
        "room_calls": r.room_calls,
        "state_calls": r.state_calls,
    })
}

async fn rooms(State(sb): State<SandboxState>) -> Json<Value> {
    Json(Value::Array(sb.rooms().iter().map(room_json).collect()))
}

async fn stats(State(sb): State<SandboxState>) -> Json<Value> {
    Json(sb.stats_json())
}

async fn state(State(sb): State<SandboxState>) -> Json<Value> {
    let store = sb.store.lock().unwrap_or_else(|p| p.into_inner());
    Json(json!({
        "communities": store.communities,
        "community_codes": store.community_codes,
        "operators": store.operators,
        "images": store.images.len(),
        "leases": store.leases.len(),
        "reservations": store.reservations.len(),
        "bill_pushes": store.bill_pushes.len(),
        "bills": store.bills,
        "bill_repeats": store.bill_repeats,
        "lease_codes": store.leases.keys().collect::<Vec<_>>(),
        "reservation_answers": store.reservations.iter()
            .map(|(k, v)| (k.clone(), v["reserve_status"].clone()))
            .collect::<std::collections::BTreeMap<_, _>>(),
        // Both families' listings in one snapshot, so a test compares their end states.
        "rooms": store.rooms.values().map(room_json).collect::<Vec<_>>(),
        "housing": {
            "communities": store.housing.communities,
            "attachments": store.housing.attachments.len(),
            "houses": store.housing.houses,
            "apartments": store.housing.apartments,
            "apartment_rooms": store.housing.apartment_rooms,
            "adds": store.housing.adds,
        },
    }))
}
