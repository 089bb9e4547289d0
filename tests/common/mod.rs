//! The shared harness: a sandbox on a loopback port, a client for it, and the keys on disk for the
//! CLI and the official SDK. Keys are made once per test binary, since RSA key generation is slow.
#![allow(dead_code)]

pub mod daemon;
pub mod engine;
pub mod fake_gateway;
pub mod housing;
pub mod photo_server;
pub mod spi;
pub mod webhook;

use std::path::PathBuf;
use std::sync::OnceLock;

use rentsync::alipay::sign::{sign, sign_content, SignType};
use rentsync::alipay::{AlipayClient, AppPrivateKey, ClientConfig};
use rentsync::sandbox::{SandboxConfig, SandboxState};
use serde_json::Value;

pub const APP_ID: &str = "2021000000000000";

pub struct Keys {
    pub app: AppPrivateKey,
    pub platform: AppPrivateKey,
    pub dir: PathBuf,
}

impl Keys {
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

/// app_private_key.pem (PKCS#1), app_private_key_pkcs8.pem, app_public_key.pem,
/// platform_private_key.pem, platform_public_key.pem.
pub fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("rentsync-test-keys-{}", std::process::id()));
        let set = rentsync::cli::write_keys(&dir, 2048).expect("write test keys");
        let app = AppPrivateKey::from_file(&set.app_private).expect("app key");
        let platform = AppPrivateKey::from_file(&set.platform_private).expect("platform key");
        Keys { app, platform, dir }
    })
}

pub struct Harness {
    pub sandbox: SandboxState,
    pub gateway: String,
    pub base: String,
    pub client: AlipayClient,
    _stop: tokio::sync::oneshot::Sender<()>,
}

pub fn sandbox_config() -> SandboxConfig {
    let k = keys();
    let mut cfg = SandboxConfig::new(k.app.public_key(), k.platform.clone());
    cfg.limits.qps = 0.0;
    cfg
}

pub fn client_config(gateway: &str) -> ClientConfig {
    let k = keys();
    let mut cfg = ClientConfig::new(gateway, APP_ID, k.app.clone(), k.platform.public_key());
    cfg.request_timeout = std::time::Duration::from_secs(5);
    cfg
}

impl Harness {
    pub async fn start() -> Self {
        Self::with(|_| {}).await
    }

    pub async fn with(tweak: impl FnOnce(&mut SandboxConfig)) -> Self {
        let mut cfg = sandbox_config();
        tweak(&mut cfg);
        let sandbox = SandboxState::new(cfg).expect("sandbox");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let gateway = format!("{base}/gateway.do");
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(sandbox.clone().serve(listener, async {
            let _ = rx.await;
        }));
        let client = AlipayClient::new(client_config(&gateway)).expect("client");
        Self {
            sandbox,
            gateway,
            base,
            client,
            _stop: tx,
        }
    }

    /// Posts hand-made parameters (signed with the app key unless `sign` is already given), for
    /// tests of the gateway's own checks. Returns the parsed body.
    pub async fn post_params(&self, mut params: Vec<(String, String)>) -> Value {
        if !params.iter().any(|(k, _)| k == "sign") {
            let content = sign_content(params.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            let s = sign(&keys().app, SignType::Rsa2, content.as_bytes());
            params.push(("sign".into(), s));
        }
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&params)
            .finish();
        let text = reqwest::Client::new()
            .post(&self.gateway)
            .header(
                "content-type",
                "application/x-www-form-urlencoded;charset=utf-8",
            )
            .body(body)
            .send()
            .await
            .expect("post")
            .text()
            .await
            .expect("body");
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
    }

    pub async fn get_json(&self, path: &str) -> Value {
        let text = reqwest::get(format!("{}{path}", self.base))
            .await
            .expect("get")
            .text()
            .await
            .expect("body");
        serde_json::from_str(&text).expect("json")
    }
}

/// The common parameters of a well-formed request (unsigned).
pub fn common_params(method: &str, biz: &str) -> Vec<(String, String)> {
    let now = chrono::Utc::now();
    [
        ("app_id", APP_ID.to_string()),
        ("method", method.to_string()),
        ("format", "json".into()),
        ("charset", "utf-8".into()),
        ("sign_type", "RSA2".into()),
        ("timestamp", rentsync::alipay::client::china_timestamp(now)),
        ("version", "1.0".into()),
        ("biz_content", biz.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// The single node of an answer (method node or error_response).
pub fn node(body: &Value) -> &Value {
    body.as_object()
        .and_then(|o| o.iter().find(|(k, _)| k.ends_with("_response")))
        .map(|(_, v)| v)
        .expect("a *_response node")
}

/// China's date `days` from today, as the platform counts.
pub fn china_date(days: i64) -> String {
    let today = chrono::Utc::now()
        .with_timezone(&rentsync::alipay::client::china())
        .date_naive();
    (today + chrono::Duration::days(days))
        .format("%Y-%m-%d")
        .to_string()
}
