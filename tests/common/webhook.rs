//! A loopback webhook receiver, as an operator would run one: it checks `X-Rentsync-Signature`,
//! drops repeats by event id, and fails a share of first deliveries on request (HTTP 503) to make
//! the sender retry.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use serde_json::Value;

#[derive(Default)]
pub struct Received {
    /// event id → the first acknowledged body.
    pub acked: BTreeMap<String, Value>,
    /// Deliveries of an event already acknowledged (at-least-once after a crash).
    pub repeats: HashMap<String, usize>,
    /// Deliveries answered 503 on purpose.
    pub failed: usize,
    /// Deliveries whose signature did not match.
    pub bad_signatures: usize,
}

#[derive(Clone)]
struct Hook {
    key: Vec<u8>,
    fail_rate: f64,
    got: Arc<Mutex<Received>>,
}

pub struct Webhook {
    pub url: String,
    pub got: Arc<Mutex<Received>>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl Webhook {
    pub async fn start(key: &[u8], fail_rate: f64) -> Self {
        let got = Arc::new(Mutex::new(Received::default()));
        let hook = Hook {
            key: key.to_vec(),
            fail_rate,
            got: got.clone(),
        };
        let app = Router::new().route("/hook", post(receive)).with_state(hook);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Self {
            url,
            got,
            _stop: tx,
        }
    }

    pub fn acked(&self) -> usize {
        self.got.lock().unwrap().acked.len()
    }
}

async fn receive(State(h): State<Hook>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let sig = headers
        .get("x-rentsync-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let want = rentsync::spi::deliver::webhook::signature(&h.key, &body);
    let mut got = h.got.lock().unwrap();
    if sig != want {
        got.bad_signatures += 1;
        return StatusCode::UNAUTHORIZED;
    }
    let Ok(v) = serde_json::from_slice::<Value>(&body) else {
        return StatusCode::BAD_REQUEST;
    };
    let id = v["event_id"].as_str().unwrap_or_default().to_string();
    if got.acked.contains_key(&id) {
        *got.repeats.entry(id).or_default() += 1;
        return StatusCode::OK;
    }
    if rand::random::<f64>() < h.fail_rate {
        got.failed += 1;
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    got.acked.insert(id, v);
    StatusCode::OK
}
