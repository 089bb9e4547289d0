//! The platform's side of the SPI (spec §3): `POST /sandbox/spi/send` sends a callback to the
//! address an app registered with `ka.service.create`, as the platform would, a signed form
//! (`rsaCheckV2` content, SHA1withRSA unless `sign_type` says `RSA2`) with `bookPhone` AES-encrypted
//! under the app's SPI key. On request it misbehaves: `forge` signs with another key, `unsigned`
//! sends no signature, `repeat` sends the last callback again byte for byte.
//!
//! Body: `{"app_id": "...", "type": 1, "params": {...}, "sign_type": "RSA2"?, "forge"?, "unsigned"?,
//! "repeat"?}`. Answer: `{"status": <http status>, "answer": <receiver's JSON or text>, "url": ...}`.

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::SandboxState;
use crate::alipay::sign::{sign, sign_content, SignType};
use crate::alipay::AppPrivateKey;

/// Longest the sandbox waits for the receiver.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// Of the receiver's answer, only this much is read.
const MAX_ANSWER_BYTES: usize = 64 << 10;

#[derive(Debug, Deserialize)]
pub struct SendRequest {
    #[serde(default)]
    pub app_id: Option<String>,
    #[serde(rename = "type", default)]
    pub callback_type: Option<i64>,
    #[serde(default)]
    pub params: Map<String, Value>,
    #[serde(default)]
    pub sign_type: Option<String>,
    #[serde(default)]
    pub forge: bool,
    #[serde(default)]
    pub unsigned: bool,
    #[serde(default)]
    pub repeat: bool,
}

/// The last callback sent: where and the exact body.
#[derive(Debug, Clone, Default)]
pub struct LastSend {
    pub url: String,
    pub body: String,
}

fn bad(message: &str) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({ "error": message }))).into_response()
}

pub async fn send(State(sb): State<SandboxState>, Json(req): Json<SendRequest>) -> Response {
    let (url, body) = if req.repeat {
        let last = sb
            .last_spi
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        match last {
            Some(l) => (l.url, l.body),
            None => return bad("nothing was sent yet to repeat"),
        }
    } else {
        match build(&sb, &req) {
            Ok(v) => v,
            Err(e) => return bad(&e),
        }
    };
    *sb.last_spi.lock().unwrap_or_else(|p| p.into_inner()) = Some(LastSend {
        url: url.clone(),
        body: body.clone(),
    });
    let client = match reqwest::Client::builder()
        .timeout(SEND_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
    {
        Ok(c) => c,
        Err(e) => return bad(&e.to_string()),
    };
    let sent = client
        .post(&url)
        .header(
            "content-type",
            "application/x-www-form-urlencoded;charset=utf-8",
        )
        .body(body)
        .send()
        .await;
    match sent {
        Ok(mut r) => {
            let status = r.status().as_u16();
            let mut bytes = Vec::new();
            while bytes.len() < MAX_ANSWER_BYTES {
                match r.chunk().await {
                    Ok(Some(c)) => bytes.extend_from_slice(&c),
                    _ => break,
                }
            }
            let text = String::from_utf8_lossy(&bytes).into_owned();
            let answer = serde_json::from_str(&text).unwrap_or(Value::String(text));
            Json(json!({ "status": status, "answer": answer, "url": url })).into_response()
        }
        Err(e) => (
            StatusCode::BAD_GATEWAY,
            Json(json!({ "error": format!("the registered address did not answer: {e}"), "url": url })),
        )
            .into_response(),
    }
}

/// The registered address and the signed form body.
fn build(sb: &SandboxState, req: &SendRequest) -> Result<(String, String), String> {
    let app_id = req.app_id.clone().unwrap_or_default();
    let ty = req.callback_type.ok_or("type is required")?;
    let url = {
        let store = sb.store.lock().unwrap_or_else(|p| p.into_inner());
        store
            .operators
            .values()
            .filter(|o| o.app_id == app_id)
            .find_map(|o| o.services.get(&ty).cloned())
            .ok_or_else(|| format!("app {app_id:?} registered no address for type {ty}"))?
    };
    let mut params: Vec<(String, String)> = Vec::new();
    for (k, v) in &req.params {
        let text = match v {
            Value::String(s) => s.clone(),
            Value::Null => continue,
            other => other.to_string(),
        };
        let text = if k == "bookPhone" {
            match &sb.cfg.spi_aes_key {
                Some(key) => key.encrypt(&text),
                None => return Err("bookPhone needs the sandbox's --spi-aes-key-file".into()),
            }
        } else {
            text
        };
        params.push((k.clone(), text));
    }
    let sign_type = match req.sign_type.as_deref() {
        None | Some("") => None,
        Some("RSA") => Some(SignType::Rsa),
        Some("RSA2") => Some(SignType::Rsa2),
        Some(other) => return Err(format!("sign_type {other:?} is not RSA or RSA2")),
    };
    if let Some(st) = sign_type {
        params.push(("sign_type".into(), st.as_str().into()));
    }
    if !req.unsigned {
        let content = sign_content(params.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let key = if req.forge {
            sb.forger.get_or_init(|| {
                AppPrivateKey::generate(2048)
                    .unwrap_or_else(|_| sb.cfg.platform_private_key.clone())
            })
        } else {
            &sb.cfg.platform_private_key
        };
        let s = sign(key, sign_type.unwrap_or(SignType::Rsa), content.as_bytes());
        params.push(("sign".into(), s));
    }
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&params)
        .finish();
    Ok((url, body))
}
