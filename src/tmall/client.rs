//! The TOP gateway client (`/router/rest`): common parameters, signature, one form POST, both
//! error layers, and the retry policy of spec §1.8.
//!
//! Every parameter travels in the form body, none in the URL: the session is then never part of
//! a URL that an error message, a proxy log or reqwest's own errors could print. The gateway
//! accepts this layout (spec §1.2). Answers are asked for as `format=json&simplify=true`, so a
//! success is the bare `{result, request_id}` and an error still `{error_response}`.
//!
//! Retries live here, unlike the Alipay client, because TOP's bans are per method and per app and
//! must hold every caller back at once (the [`Gate`]); a query is retried on transient errors; a
//! write that is not idempotent never is, and its unknown outcome is reported as such.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::Rng as _;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::bans::BanBook;
use super::error::{ErrorClass, TopError};
use super::gate::Gate;
use super::sign::{sign, SignMethod};
use super::wire::{lenient_i64, Simplified};
use crate::secret::Secret;
use crate::worker::RateConfig;

const MAX_RESPONSE_BYTES: usize = 4 << 20;

/// A typed TOP method: its business parameters in, its `result.data` out.
pub trait TopRequest {
    const METHOD: &'static str;
    type Data: DeserializeOwned;
    /// The business parameters, checked: a request that breaks a rule is refused here.
    fn params(&self) -> Result<Vec<(&'static str, String)>, TopError>;
    /// Whether sending it twice does no harm (queries; writes that set the same values).
    fn idempotent(&self) -> bool {
        true
    }
    /// For writes: how an operator finds out whether a call with an unknown outcome took effect.
    fn how_to_check(&self) -> String {
        String::new()
    }
}

/// A complex parameter as the compact JSON string TOP wants (spec §1.4); `None` fields are
/// skipped by the models' serde attributes.
pub fn json_param<T: Serialize>(method: &str, v: &T) -> Result<String, TopError> {
    serde_json::to_string(v).map_err(|e| TopError::Decode {
        method: method.into(),
        detail: format!("cannot encode the request: {e}"),
    })
}

#[derive(Debug, Clone)]
pub struct TopConfig {
    /// e.g. `https://eco.taobao.com/router/rest`, or the sandbox's `http://127.0.0.1:PORT/router/rest`.
    pub gateway: String,
    pub app_key: String,
    pub app_secret: Secret,
    /// The shop's OAuth access token, when the APIs need one (spec §1.9).
    pub session: Option<Secret>,
    pub sign_method: SignMethod,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    /// Bans up to this long are waited out; longer ones stop the method and alert.
    pub max_ban: Duration,
    /// Tries per call for transient errors and short bans (queries and idempotent writes).
    pub max_attempts: u32,
    /// First backoff step; doubled per attempt, full jitter.
    pub backoff_base: Duration,
    pub rates: RateConfig,
    pub app_qps: Option<f64>,
}

impl TopConfig {
    pub fn new(gateway: impl Into<String>, app_key: impl Into<String>, secret: Secret) -> Self {
        Self {
            gateway: gateway.into(),
            app_key: app_key.into(),
            app_secret: secret,
            session: None,
            sign_method: SignMethod::HmacSha256,
            connect_timeout: Duration::from_secs(15),
            request_timeout: Duration::from_secs(30),
            max_ban: Duration::from_secs(60),
            max_attempts: 4,
            backoff_base: Duration::from_millis(200),
            rates: RateConfig::default(),
            app_qps: None,
        }
    }
}

#[derive(Clone)]
pub struct TopClient {
    http: reqwest::Client,
    cfg: Arc<TopConfig>,
    gate: Arc<Gate>,
    /// Bans shared with the other replicas, when the client has a state database.
    bans: Option<Arc<BanBook>>,
}

#[derive(Debug, Deserialize)]
struct ErrorResponse {
    #[serde(deserialize_with = "lenient_i64")]
    code: i64,
    #[serde(default)]
    msg: String,
    #[serde(default)]
    sub_code: Option<String>,
    #[serde(default)]
    sub_msg: Option<String>,
    #[serde(default)]
    request_id: Option<String>,
}

impl TopClient {
    pub fn new(cfg: TopConfig) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .use_rustls_tls()
            .connect_timeout(cfg.connect_timeout)
            .timeout(cfg.request_timeout)
            .user_agent(concat!("rentsync/", env!("CARGO_PKG_VERSION")))
            .build()?;
        let gate = Arc::new(Gate::new(cfg.rates.clone(), cfg.app_qps));
        Ok(Self {
            http,
            cfg: Arc::new(cfg),
            gate,
            bans: None,
        })
    }

    /// Shares the bans this client hears with every process using the same state database and
    /// app, and honours theirs.
    pub fn with_shared_bans(mut self, db: crate::db::Db) -> Self {
        self.bans = Some(Arc::new(BanBook::new(db, self.cfg.app_key.clone())));
        self
    }

    /// Takes in the bans other replicas heard (at most once per [`super::bans::REFRESH`]). A
    /// state database that cannot be read leaves this process's own view of the bans.
    async fn read_shared_bans(&self) {
        let Some(book) = self.bans.as_ref().filter(|b| b.due()) else {
            return;
        };
        match book.running().await {
            Ok(bans) => {
                for b in bans {
                    self.gate.ban(&b.method, b.left, b.stopped);
                }
            }
            Err(e) => tracing::warn!(error = %format!("{e:#}"), "shared Tmall bans not read"),
        }
    }

    async fn share_ban(&self, method: &str, length: Duration, stopped: bool) {
        if let Some(book) = &self.bans {
            if let Err(e) = book.record(method, length, stopped).await {
                tracing::warn!(method, error = %format!("{e:#}"), "Tmall ban not shared with the other replicas");
            }
        }
    }

    pub fn config(&self) -> &TopConfig {
        &self.cfg
    }

    pub fn gate(&self) -> &Gate {
        &self.gate
    }

    /// Calls a typed method under the retry policy and returns its `result.data`.
    pub async fn call<R: TopRequest>(&self, req: &R) -> Result<R::Data, TopError> {
        let method = R::METHOD;
        let params = req.params()?;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            self.read_shared_bans().await;
            if let Err(left) = self.gate.admit(method).await {
                return Err(TopError::MethodStopped {
                    method: method.into(),
                    secs: left.as_secs().max(1),
                });
            }
            let err = match self.send::<R::Data>(method, &params, Utc::now()).await {
                Ok(data) => {
                    self.gate.succeeded(method);
                    return Ok(data);
                }
                Err(e) => e,
            };
            let last = attempt >= self.cfg.max_attempts.max(1);
            match err.class() {
                ErrorClass::Throttled => {
                    // No number in the message: a per-second limit is the usual cause.
                    let ban = err.ban().unwrap_or(Duration::from_secs(1));
                    if ban > self.cfg.max_ban {
                        self.gate.ban(method, ban, true);
                        self.share_ban(method, ban, true).await;
                        tracing::error!(method, ban_secs = ban.as_secs(), cap_secs = self.cfg.max_ban.as_secs(),
                            "TopMethodStopped: flow-control ban longer than the cap; method stopped");
                        return Err(TopError::BanTooLong {
                            method: method.into(),
                            secs: ban.as_secs(),
                            cap: self.cfg.max_ban.as_secs(),
                        });
                    }
                    self.gate.ban(method, ban, false);
                    self.share_ban(method, ban, false).await;
                    tracing::warn!(
                        method,
                        ban_secs = ban.as_secs(),
                        "TopMethodBanned: pausing the method"
                    );
                    // The throttled call did nothing, so even a CREATE may go again.
                    if last {
                        return Err(err);
                    }
                }
                ErrorClass::Transient => {
                    let never_sent = matches!(err, TopError::Connect { .. });
                    if !req.idempotent() && !never_sent {
                        return Err(TopError::UnknownOutcome {
                            method: method.into(),
                            detail: err.to_string(),
                            how_to_check: req.how_to_check(),
                        });
                    }
                    if last {
                        return Err(err);
                    }
                    let cap = self.cfg.backoff_base * 2u32.saturating_pow(attempt - 1);
                    let wait = cap.mul_f64(rand::thread_rng().gen_range(0.5..=1.0));
                    tracing::warn!(method, attempt, error = %err, "TopCallRetried");
                    tokio::time::sleep(wait).await;
                }
                _ => return Err(err),
            }
        }
    }

    /// Every parameter of one request, `sign` included. Pure, so tests can pin the timestamp.
    pub fn signed_params(
        &self,
        method: &str,
        business: &[(&str, String)],
        now: DateTime<Utc>,
    ) -> BTreeMap<String, String> {
        let cfg = &self.cfg;
        let mut p = BTreeMap::new();
        let mut put = |k: &str, v: String| {
            // Empty values are neither sent nor signed (spec §1.4).
            if !v.is_empty() {
                p.insert(k.to_string(), v);
            }
        };
        put("method", method.into());
        put("app_key", cfg.app_key.clone());
        put("timestamp", crate::alipay::client::china_timestamp(now));
        put("v", "2.0".into());
        put("format", "json".into());
        put("simplify", "true".into());
        put("sign_method", cfg.sign_method.as_str().into());
        if let Some(s) = &cfg.session {
            put("session", s.expose().to_string());
        }
        for (k, v) in business {
            put(k, v.clone());
        }
        let signature = sign(&p, cfg.sign_method, cfg.app_secret.expose());
        p.insert("sign".into(), signature);
        p
    }

    async fn send<T: DeserializeOwned>(
        &self,
        method: &str,
        business: &[(&str, String)],
        now: DateTime<Utc>,
    ) -> Result<T, TopError> {
        let params = self.signed_params(method, business, now);
        let form = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&params)
            .finish();
        let gateway = &self.cfg.gateway;
        let transport = |e: reqwest::Error| {
            let e = e.without_url();
            if e.is_timeout() {
                TopError::Timeout {
                    method: method.into(),
                    timeout: self.cfg.request_timeout,
                }
            } else if e.is_connect() {
                TopError::Connect {
                    method: method.into(),
                    detail: format!("gateway {gateway}: {e}"),
                }
            } else {
                TopError::Transport {
                    method: method.into(),
                    detail: format!("gateway {gateway}: {e}"),
                }
            }
        };
        let mut resp = self
            .http
            .post(gateway.as_str())
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded;charset=utf-8",
            )
            .body(form)
            .send()
            .await
            .map_err(transport)?;
        let status = resp.status();
        if !status.is_success() {
            return Err(TopError::HttpStatus {
                method: method.into(),
                status: status.as_u16(),
                gateway: gateway.clone(),
            });
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(transport)? {
            if bytes.len() + chunk.len() > MAX_RESPONSE_BYTES {
                return Err(TopError::Malformed {
                    method: method.into(),
                    detail: format!("answer larger than {MAX_RESPONSE_BYTES} bytes"),
                });
            }
            bytes.extend_from_slice(&chunk);
        }
        parse_answer(method, &bytes)
    }
}

/// Both layers of an answer: `error_response` first (as the official converter does), then the
/// business `result`. A non-simplified `<method>_response` wrapper is taken off too.
pub fn parse_answer<T: DeserializeOwned>(method: &str, body: &[u8]) -> Result<T, TopError> {
    let malformed = |detail: String| TopError::Malformed {
        method: method.into(),
        detail,
    };
    let mut root: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| malformed(format!("not JSON: {e}")))?;
    if let Some(err) = root.get("error_response") {
        let e: ErrorResponse = serde_json::from_value(err.clone())
            .map_err(|e| malformed(format!("error_response: {e}")))?;
        return Err(TopError::Platform {
            method: method.into(),
            code: e.code,
            msg: e.msg,
            sub_code: e.sub_code.map(Into::into),
            sub_msg: e.sub_msg.map(Into::into),
            request_id: e.request_id.map(Into::into),
        });
    }
    let wrapper = format!("{}_response", method.replace('.', "_"));
    if let Some(inner) = root.get_mut(&wrapper) {
        root = inner.take();
    }
    if root.get("result").is_none() {
        return Err(malformed("neither error_response nor result".into()));
    }
    let env: Simplified<T> = serde_json::from_value(root).map_err(|e| TopError::Decode {
        method: method.into(),
        detail: e.to_string(),
    })?;
    if env.result.refused() {
        return Err(TopError::Business {
            method: method.into(),
            code: env.result.code,
            message: env.result.message,
        });
    }
    env.result.data.ok_or_else(|| TopError::Decode {
        method: method.into(),
        detail: "result has no data".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn client(method: SignMethod, session: Option<&str>) -> TopClient {
        let mut cfg = TopConfig::new(
            "http://127.0.0.1:1/router/rest",
            "12345678",
            Secret::new("helloworld"),
        );
        cfg.sign_method = method;
        cfg.session = session.map(Secret::new);
        TopClient::new(cfg).unwrap()
    }

    #[test]
    fn signed_params_reproduce_the_spec_vectors() {
        let now = Utc.with_ymd_and_hms(2024, 1, 1, 4, 0, 0).unwrap();
        for (m, want) in [
            (SignMethod::Md5, "21E0BC9523E71FB3AC6954A732306E30"),
            (SignMethod::Hmac, "D4D72D37B89C93C117FFAC54673F9659"),
            (
                SignMethod::HmacSha256,
                "D6865A13378E062EFA823467A005D4DD41E2D56863ED3019979A7E033EEF06C0",
            ),
        ] {
            let p = client(m, Some("test-session")).signed_params(
                "tmall.alihouse.trade.rent.lease.query",
                &[(
                    "querystatusreq",
                    r#"{"lease_order_no":"L123","type":0}"#.into(),
                )],
                now,
            );
            assert_eq!(p["timestamp"], "2024-01-01 12:00:00");
            assert_eq!(p["sign"], want, "{m:?}");
        }
    }

    #[test]
    fn both_error_layers_are_read() {
        let e = parse_answer::<serde_json::Value>("m", br#"{"error_response":{"code":"7","msg":"App Call Limited","sub_code":"accesscontrol.limited-by-api-access-count","sub_msg":"This ban will last for 2 more seconds"}}"#).unwrap_err();
        assert_eq!(e.class(), ErrorClass::Throttled);
        assert_eq!(e.ban(), Some(Duration::from_secs(2)));
        let e = parse_answer::<serde_json::Value>(
            "m",
            r#"{"result":{"is_success":false,"code":"b1001-102","message":"系统出错"}}"#.as_bytes(),
        )
        .unwrap_err();
        assert!(matches!(e, TopError::Business { .. }), "{e:?}");
        let ok: serde_json::Value = parse_answer(
            "a.b",
            br#"{"a_b_response":{"result":{"is_success":true,"data":{"x":1}}}}"#,
        )
        .unwrap();
        assert_eq!(ok["x"], 1);
        let e = parse_answer::<serde_json::Value>("m", b"<html>").unwrap_err();
        assert_eq!(e.class(), ErrorClass::Transient);
    }
}
