//! `POST /gateway.do`: the checks the real gateway makes, in its order. Common parameters, then
//! the signature, then the operator's token, then flow control, then the business rules. Every
//! refusal names the parameter or field it is about.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDateTime, TimeZone, Utc};
use serde_json::Value;

use super::answer::Answer;
use super::faults::Fault;
use super::multipart::{self, FilePart};
use super::{methods, SandboxState};
use crate::alipay::client::china;
use crate::alipay::keys::AppPrivateKey;
use crate::alipay::sign::{sign_content, verify, SignType};
use crate::plan::rules::{self, Context};

pub async fn handle(
    State(sb): State<SandboxState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (params, file) = match collect_params(query.as_deref(), &headers, &body) {
        Ok(p) => p,
        Err(answer) => return sb.reply("unknown", answer, Fault::None).await,
    };
    let method = params.get("method").cloned().unwrap_or_default();
    if let Err(answer) = sb.check_common(&params) {
        return sb.reply(&method, answer, Fault::None).await;
    }
    let app_id = params.get("app_id").cloned().unwrap_or_default();
    if !sb.limits.allow(&app_id, &method) {
        let answer = Answer::error(
            &method,
            "40005",
            "isv.method-call-limited",
            format!("{method}: call rate above the limit of this app"),
        );
        return sb.reply(&method, answer, Fault::None).await;
    }

    let (latency, fault) = sb.faults.draw(&method);
    let room = room_of(&method, &params);
    let _in_flight = room.map(|key| sb.stats.enter_room(key));
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    match fault {
        Fault::Http5xx => {
            sb.stats.record(&method, "fault/http_502");
            return (StatusCode::BAD_GATEWAY, "<html>502 Bad Gateway</html>").into_response();
        }
        Fault::Throttle => {
            sb.stats.record(&method, "fault/throttle");
            let answer = Answer::error(
                &method,
                "40005",
                "isv.method-call-limited",
                "injected throttling burst",
            );
            return sb.reply_uncounted(answer).await;
        }
        Fault::ServiceUnavailable => {
            let answer = Answer::error(
                &method,
                "20000",
                "isp.unknow-error",
                "系统繁忙 busy, retry later",
            );
            return sb.reply(&method, answer, Fault::None).await;
        }
        _ => {}
    }
    let answer = if method.starts_with(crate::alipay::housing::PREFIX) {
        sb.housing_business(&method, &params, file.as_ref())
    } else {
        sb.business(&method, &app_id, params.get("biz_content"))
    };
    sb.reply(&method, answer, fault).await
}

/// Query string and form body together; a parameter given twice is refused, since the two copies
/// could differ between what was signed and what is used. A multipart body (only `file.upload`
/// takes one) adds its text parts as parameters, signed like the rest, and sets its file apart.
fn collect_params(
    query: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(BTreeMap<String, String>, Option<FilePart>), Answer> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let query_pairs = form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .map(|(k, v)| (k.to_string(), v.to_string()));
    let (pairs, file): (Vec<(String, String)>, _) = if content_type.starts_with("multipart/") {
        let upload = query_pairs
            .clone()
            .any(|(k, v)| k == "method" && v == crate::alipay::housing::file::METHOD);
        if !upload {
            return Err(Answer::gateway_error(
                "40002",
                "isv.invalid-parameter",
                "only file.upload takes a multipart body; other methods take a form body",
            ));
        }
        let parts = multipart::boundary(content_type)
            .ok_or_else(|| "Content-Type: multipart without a boundary".to_string())
            .and_then(|b| multipart::parse(body, &b))
            .map_err(|e| {
                Answer::gateway_error(
                    "40002",
                    "isv.invalid-parameter",
                    format!("multipart body: {e}"),
                )
            })?;
        (query_pairs.chain(parts.texts).collect(), parts.file)
    } else {
        let form = form_urlencoded::parse(body).map(|(k, v)| (k.to_string(), v.to_string()));
        (query_pairs.chain(form).collect(), None)
    };
    let mut params = BTreeMap::new();
    for (k, v) in pairs {
        if params.contains_key(&k) {
            return Err(Answer::gateway_error(
                "40002",
                "isv.invalid-parameter",
                format!("{k}: given more than once"),
            ));
        }
        params.insert(k, v);
    }
    Ok((params, file))
}

/// The room a call is about, to catch two calls for one room at the same time.
fn room_of(method: &str, params: &BTreeMap<String, String>) -> Option<String> {
    let tag = match method {
        "alipay.eco.renthouse.room.dispersion.sync" => "1",
        "alipay.eco.renthouse.room.concentration.sync" => "2",
        "alipay.eco.renthouse.room.state.sync" => "?",
        _ => return None,
    };
    let biz: Value = serde_json::from_str(params.get("biz_content")?).ok()?;
    let code = match &biz["room_code"] {
        Value::Number(n) => n.to_string(),
        v => v.as_str()?.to_string(),
    };
    let tag = if tag == "?" {
        biz["flats_tag"].as_i64()?.to_string()
    } else {
        tag.to_string()
    };
    Some(format!("{tag}:{code}"))
}

impl SandboxState {
    fn check_common(&self, p: &BTreeMap<String, String>) -> Result<(), Answer> {
        let missing = |name: &str, sub: &str| {
            Answer::gateway_error("40001", sub, format!("{name}: missing required parameter"))
        };
        let invalid = |sub: &str, msg: String| Answer::gateway_error("40002", sub, msg);
        let get = |k: &str| p.get(k).map(String::as_str).filter(|v| !v.is_empty());

        let method = get("method").ok_or_else(|| missing("method", "isv.missing-method"))?;
        let app_id = get("app_id").ok_or_else(|| missing("app_id", "isv.missing-app-id"))?;
        let sign_type =
            get("sign_type").ok_or_else(|| missing("sign_type", "isv.missing-signature-type"))?;
        let sign = get("sign").ok_or_else(|| missing("sign", "isv.missing-signature"))?;
        let timestamp =
            get("timestamp").ok_or_else(|| missing("timestamp", "isv.missing-timestamp"))?;
        let version = get("version").ok_or_else(|| missing("version", "isv.missing-version"))?;
        get("charset").ok_or_else(|| missing("charset", "isv.missing-charset"))?;

        if !crate::alipay::renthouse::METHODS.contains(&method)
            && !crate::alipay::housing::METHODS.contains(&method)
        {
            return Err(invalid(
                "isv.invalid-method",
                format!("method: {method} does not exist"),
            ));
        }
        if self
            .cfg
            .app_id
            .as_deref()
            .is_some_and(|want| want != app_id)
        {
            return Err(invalid(
                "isv.invalid-app-id",
                format!("app_id: {app_id} is not known"),
            ));
        }
        let sign_type: SignType = sign_type.parse().map_err(|e: String| {
            invalid("isv.invalid-signature-type", format!("sign_type: {e}"))
        })?;
        if get("charset").is_some_and(|c| !c.eq_ignore_ascii_case("utf-8")) {
            return Err(invalid(
                "isv.invalid-charset",
                "charset: only utf-8 is supported".into(),
            ));
        }
        if get("format").is_some_and(|f| !f.eq_ignore_ascii_case("json")) {
            return Err(invalid(
                "isv.invalid-format",
                "format: only json is supported".into(),
            ));
        }
        if version != "1.0" {
            return Err(invalid(
                "isv.invalid-parameter",
                "version: must be 1.0".into(),
            ));
        }
        if !self.timestamp_ok(timestamp) {
            return Err(invalid(
                "isv.invalid-timestamp",
                format!(
                    "timestamp: must be yyyy-MM-dd HH:mm:ss China time within {} s of now",
                    self.cfg.max_clock_skew.as_secs()
                ),
            ));
        }
        let content = sign_content(p.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        if !verify(
            &self.cfg.app_public_key,
            sign_type,
            content.as_bytes(),
            sign,
        ) {
            return Err(invalid(
                "isv.invalid-signature",
                "sign: does not verify with the app public key".into(),
            ));
        }
        if let Some(tokens) = &self.cfg.app_auth_tokens {
            let token = get("app_auth_token").unwrap_or("");
            if !tokens.iter().any(|t| t.expose() == token) {
                return Err(Answer::error(
                    method,
                    "20001",
                    "aop.invalid-app-auth-token",
                    "app_auth_token: missing or not granted by this operator",
                ));
            }
        }
        Ok(())
    }

    fn timestamp_ok(&self, ts: &str) -> bool {
        let Ok(local) = NaiveDateTime::parse_from_str(ts, "%Y-%m-%d %H:%M:%S") else {
            return false;
        };
        let Some(at) = china().from_local_datetime(&local).single() else {
            return false;
        };
        let skew = (Utc::now() - at.with_timezone(&Utc))
            .num_seconds()
            .unsigned_abs();
        ts.len() == 19 && skew <= self.cfg.max_clock_skew.as_secs()
    }

    /// Rules, then the method's own checks and state change.
    fn business(&self, method: &str, app_id: &str, biz: Option<&String>) -> Answer {
        let biz: Value = match biz.map(|b| serde_json::from_str(b)) {
            None => Value::Object(Default::default()),
            Some(Ok(v @ Value::Object(_))) => v,
            Some(_) => {
                return Answer::error(
                    method,
                    "40002",
                    "isv.invalid-parameter",
                    "biz_content: must be a JSON object",
                )
            }
        };
        let today = Utc::now().with_timezone(&china()).date_naive();
        // std mutex: held for a map update, never across an await.
        let mut store = self.store.lock().unwrap_or_else(|p| p.into_inner());
        let adding = method == "alipay.eco.renthouse.room.concentration.sync"
            && biz["room_code"]
                .as_str()
                .is_none_or(|code| store.room(2, code).is_none());
        let ctx = Context {
            today,
            adding,
            max_image_bytes: self.cfg.max_image_bytes,
        };
        match rules::check(method, &biz, &ctx) {
            Ok(breaks) if !breaks.is_empty() => return Answer::violations(method, &breaks),
            Ok(_) => {}
            Err(e) => {
                return Answer::error(method, "40002", "isv.invalid-parameter", e.to_string())
            }
        }
        let answer = methods::apply(&mut store, app_id, method, &biz, &today.to_string());
        if answer.code() == "10000" {
            self.dirty.store(true, std::sync::atomic::Ordering::Relaxed);
        }
        answer
    }

    /// A housing method: its `biz_content` (or, for `file.upload`, its text parts) and file.
    fn housing_business(
        &self,
        method: &str,
        params: &BTreeMap<String, String>,
        file: Option<&FilePart>,
    ) -> Answer {
        let biz: Value = if method == crate::alipay::housing::file::METHOD {
            let texts: serde_json::Map<String, Value> = ["attachment_category", "attachment_type"]
                .iter()
                .filter_map(|k| {
                    params
                        .get(*k)
                        .map(|v| (k.to_string(), Value::String(v.clone())))
                })
                .collect();
            Value::Object(texts)
        } else {
            match params.get("biz_content").map(|b| serde_json::from_str(b)) {
                Some(Ok(v @ Value::Object(_))) => v,
                None => {
                    return Answer::error(
                        method,
                        "40001",
                        "isv.missing-parameter",
                        "biz_content: missing required parameter",
                    )
                }
                Some(_) => {
                    return Answer::error(
                        method,
                        "40002",
                        "isv.invalid-parameter",
                        "biz_content: must be a JSON object",
                    )
                }
            }
        };
        let mut store = self.store.lock().unwrap_or_else(|p| p.into_inner());
        let answer = super::housing::apply(&mut store.housing, method, &biz, file);
        if answer.code() == "10000" {
            self.dirty.store(true, std::sync::atomic::Ordering::Relaxed);
        }
        answer
    }

    /// Writes an answer already counted under its fault.
    async fn reply_uncounted(&self, answer: Answer) -> Response {
        (
            [(header::CONTENT_TYPE, "application/json;charset=utf-8")],
            answer.body(&self.cfg.platform_private_key, None),
        )
            .into_response()
    }

    /// Writes the answer out, spoiling it as the drawn fault says.
    async fn reply(&self, method: &str, answer: Answer, fault: Fault) -> Response {
        let outcome = match fault {
            Fault::None => answer.outcome(),
            Fault::Timeout => "fault/timeout".into(),
            Fault::Drop => "fault/drop".into(),
            Fault::Malformed => "fault/malformed".into(),
            Fault::BadSignature => "fault/bad_signature".into(),
            other => format!("fault/{other:?}"),
        };
        self.stats.record(method, &outcome);
        let body = match fault {
            Fault::Timeout => {
                tokio::time::sleep(self.faults.hang()).await;
                return broken_body();
            }
            Fault::Drop => return broken_body(),
            Fault::Malformed => "<html><body>gateway busy</body></html>".to_string(),
            Fault::BadSignature => {
                let forger = self.forger.get_or_init(|| {
                    // Key generation fails only if the RNG does; the platform key is the last resort
                    // and would make this fault a no-op, which the fault counters would show.
                    AppPrivateKey::generate(2048)
                        .unwrap_or_else(|_| self.cfg.platform_private_key.clone())
                });
                answer.body(&self.cfg.platform_private_key, Some(forger))
            }
            _ => answer.body(&self.cfg.platform_private_key, None),
        };
        (
            [(header::CONTENT_TYPE, "application/json;charset=utf-8")],
            body,
        )
            .into_response()
    }
}

/// A response whose body fails mid-way: hyper cuts the connection, as a dying proxy would.
fn broken_body() -> Response {
    let stream = futures_util::stream::once(async {
        tokio::time::sleep(Duration::from_millis(1)).await;
        Err::<Bytes, std::io::Error>(std::io::Error::other(
            "connection dropped by fault injection",
        ))
    });
    (
        [(header::CONTENT_TYPE, "application/json;charset=utf-8")],
        Body::from_stream(stream),
    )
        .into_response()
}
