//! Running as a service: `/metrics`, `/healthz` and `/readyz` on loopback, systemd readiness and
//! watchdog, and config reload. The HTTP side outlives reloads: it reads whichever runtime is
//! current.

mod metrics;
pub mod notify;
pub mod reload;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

use crate::cli::Runtime;

/// What the endpoints read.
#[derive(Default)]
pub struct OpsState {
    // A std mutex: swapped on reload, cloned out for each request; never held across an await.
    runtime: Mutex<Option<Arc<Runtime>>>,
    /// Set once the first full scan finished; cleared while stopping.
    pub started: AtomicBool,
}

impl OpsState {
    pub fn set_runtime(&self, rt: Option<Arc<Runtime>>) {
        *self.runtime.lock().unwrap_or_else(|p| p.into_inner()) = rt;
    }

    fn runtime(&self) -> Option<Arc<Runtime>> {
        self.runtime
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Ready when started, the state database answers, and every tenant works: not paused for
    /// refused credentials, its source read, its keys loaded. Returns the reasons when not, one
    /// line per tenant problem, naming the tenant.
    pub async fn readiness(&self) -> Result<(), Vec<String>> {
        let mut why = Vec::new();
        if !self.started.load(Ordering::Relaxed) {
            why.push("starting: first full scan not finished".to_string());
        }
        match self.runtime() {
            None => why.push("no runtime".into()),
            Some(rt) => {
                if let Err(e) = rt.outbox.db.now_us().await {
                    why.push(format!("state database unreachable: {e}"));
                }
                for t in &rt.tenants {
                    if let Some(reason) = t.pause_reason() {
                        why.push(format!("tenant {}: paused: {reason}", t.name));
                    }
                    if let Some(reason) = t.answers_failing() {
                        why.push(format!("tenant {}: {reason}", t.name));
                    }
                    for problem in t.health.problems() {
                        why.push(format!("tenant {}: paused: {problem}", t.name));
                    }
                    if t.health.is_up() && !t.source_ok.load(Ordering::Relaxed) {
                        why.push(format!(
                            "tenant {}: source_database: last read failed",
                            t.name
                        ));
                    }
                }
                for d in &rt.down {
                    why.push(format!("tenant {}: not running: {}", d.name, d.reason));
                }
                // Held delists need an operator: the view lost rows, or the deletes are real.
                for h in rt.outbox.delist_holds().await.unwrap_or_default() {
                    why.push(format!(
                        "tenant {}: mass delist held on {}: {} of {} live rooms gone; check the view, \
                         then `rentsync delist --confirm` if the deletes are real",
                        h.tenant, h.view, h.gone, h.live
                    ));
                }
            }
        }
        if why.is_empty() {
            Ok(())
        } else {
            Err(why)
        }
    }
}

pub fn router(state: Arc<OpsState>) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_handler))
        .with_state(state)
}

async fn readyz(State(s): State<Arc<OpsState>>) -> impl IntoResponse {
    match s.readiness().await {
        Ok(()) => (StatusCode::OK, "ready\n".to_string()),
        Err(why) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready:\n{}\n", why.join("\n")),
        ),
    }
}

async fn metrics_handler(State(s): State<Arc<OpsState>>) -> impl IntoResponse {
    let ready = s.readiness().await.is_ok();
    let body = match s.runtime() {
        Some(rt) => metrics::render(&rt, ready).await,
        None => String::from("rentsync_ready 0\n"),
    };
    ([("content-type", "text/plain; version=0.0.4")], body)
}

/// Serves the endpoints until the process ends.
pub async fn serve(listen: SocketAddr, state: Arc<OpsState>) -> anyhow::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {listen} for /metrics: {e}"))?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router(state)).await {
            tracing::error!(error = %e, "ops endpoint stopped");
        }
    });
    Ok(addr)
}
