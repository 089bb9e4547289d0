//! The OpenAPI gateway client: builds the common parameters, signs, posts, checks the answer.
//!
//! One client serves one tenant (app id, keys, optional `app_auth_token`). It holds no rate limit
//! and retries nothing: those belong to the worker, which knows whether an item is still wanted.
//! Parameters travel as the Python SDK sends them (common ones and `sign` in the query string,
//! `biz_content` in the form body); the gateway accepts every SDK's layout (spec §1.3).

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset, Utc};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::error::AlipayError;
use super::housing::{FileUpload, FileUploadResponse};
use super::keys::{AppPrivateKey, PublicKey};
use super::response::{check, Status};
use super::sign::{sign, sign_content, SignType};
use crate::secret::Secret;

/// Answers larger than this are not gateway answers (the biggest real node is a few KB).
const MAX_RESPONSE_BYTES: usize = 4 << 20;

/// A typed OpenAPI method: its request is the `biz_content`, its response the node's business fields.
pub trait ApiRequest: Serialize {
    const METHOD: &'static str;
    type Response: DeserializeOwned;
}

#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// e.g. `https://openapi.alipay.com/gateway.do`, or the sandbox's `http://127.0.0.1:PORT/gateway.do`.
    pub gateway: String,
    pub app_id: String,
    pub private_key: AppPrivateKey,
    pub platform_public_key: PublicKey,
    pub sign_type: SignType,
    /// Set when an ISV calls on behalf of an operator (third-party authorisation).
    pub app_auth_token: Option<Secret>,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
}

impl ClientConfig {
    pub fn new(
        gateway: impl Into<String>,
        app_id: impl Into<String>,
        private_key: AppPrivateKey,
        platform_public_key: PublicKey,
    ) -> Self {
        Self {
            gateway: gateway.into(),
            app_id: app_id.into(),
            private_key,
            platform_public_key,
            sign_type: SignType::Rsa2,
            app_auth_token: None,
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(30),
        }
    }
}

/// A checked successful answer: the node text as signed, and how long the call took.
#[derive(Debug, Clone)]
pub struct Answer {
    pub node: String,
    pub latency: Duration,
}

#[derive(Clone)]
pub struct AlipayClient {
    http: reqwest::Client,
    cfg: Arc<ClientConfig>,
}

impl AlipayClient {
    pub fn new(cfg: ClientConfig) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .use_rustls_tls()
            .connect_timeout(cfg.connect_timeout)
            .timeout(cfg.request_timeout)
            .user_agent(concat!("rentsync/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            http,
            cfg: Arc::new(cfg),
        })
    }

    pub fn config(&self) -> &ClientConfig {
        &self.cfg
    }

    /// Calls a typed method and decodes the business fields of a successful answer.
    pub async fn call<R: ApiRequest>(&self, req: &R) -> Result<R::Response, AlipayError> {
        self.call_with_node(req).await.map(|(r, _)| r)
    }

    /// Like `call`, also returning the node's text, for callers that check the fields further
    /// and must quote the answer when it is not usable.
    pub async fn call_with_node<R: ApiRequest>(
        &self,
        req: &R,
    ) -> Result<(R::Response, String), AlipayError> {
        let biz = serde_json::to_string(req).map_err(|e| AlipayError::Encode {
            method: R::METHOD.into(),
            detail: e.to_string(),
        })?;
        let answer = self.call_raw(R::METHOD, &biz).await?;
        match serde_json::from_str(&answer.node) {
            Ok(r) => Ok((r, answer.node)),
            Err(e) => Err(AlipayError::Decode {
                method: R::METHOD.into(),
                detail: e.to_string(),
                raw: super::error::redact_answer(&answer.node),
            }),
        }
    }

    /// Calls any method with a ready `biz_content` JSON text (used by `rentsync call`).
    pub async fn call_raw(&self, method: &str, biz_content: &str) -> Result<Answer, AlipayError> {
        let started = Instant::now();
        let params = self.signed_params(method, biz_content, Utc::now());
        let (query, body): (Vec<_>, Vec<_>) =
            params.into_iter().partition(|(k, _)| k != "biz_content");
        let form = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&body)
            .finish();
        let request = self
            .http
            .post(self.gateway_url(method, &query)?)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded;charset=utf-8",
            )
            .body(form);
        self.send(method, started, request).await
    }

    /// `alipay.commerce.housing.file.upload`, the one multipart method (housing spec §2.2): the
    /// common parameters and `sign` in the query string, the signed text parts and the unsigned
    /// file part in the body.
    pub async fn upload(
        &self,
        file: &FileUpload,
    ) -> Result<(FileUploadResponse, String), AlipayError> {
        let method = super::housing::file::METHOD;
        let started = Instant::now();
        let texts = file.text_parts();
        let mut params = self.signed_params_with(method, &texts, Utc::now());
        params.retain(|(k, _)| !texts.iter().any(|(t, _)| t == k));
        let boundary = format!("rentsync{:032x}", rand::random::<u128>());
        let body = multipart_body(&boundary, &texts, file);
        let request = self
            .http
            .post(self.gateway_url(method, &params)?)
            .header(
                reqwest::header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body);
        let answer = self.send(method, started, request).await?;
        match serde_json::from_str(&answer.node) {
            Ok(r) => Ok((r, answer.node)),
            Err(e) => Err(AlipayError::Decode {
                method: method.into(),
                detail: e.to_string(),
                raw: super::error::redact_answer(&answer.node),
            }),
        }
    }

    fn gateway_url(
        &self,
        method: &str,
        query: &[(String, String)],
    ) -> Result<reqwest::Url, AlipayError> {
        let mut url =
            reqwest::Url::parse(&self.cfg.gateway).map_err(|e| AlipayError::Transport {
                method: method.into(),
                detail: format!("gateway URL {:?}: {e}", self.cfg.gateway),
            })?;
        url.query_pairs_mut().extend_pairs(query);
        Ok(url)
    }

    /// Sends a built request and checks the answer: HTTP status, size cap, signature, code.
    async fn send(
        &self,
        method: &str,
        started: Instant,
        request: reqwest::RequestBuilder,
    ) -> Result<Answer, AlipayError> {
        let transport = |e: reqwest::Error| {
            if e.is_timeout() {
                AlipayError::Timeout {
                    method: method.into(),
                    timeout: self.cfg.request_timeout,
                }
            } else {
                AlipayError::Transport {
                    method: method.into(),
                    // without_url: the query string carries the app_auth_token; the configured
                    // gateway (no query) names where the call went.
                    detail: format!(
                        "gateway {}: {}",
                        self.cfg.gateway,
                        error_chain(&e.without_url())
                    ),
                }
            }
        };
        let mut resp = request.send().await.map_err(transport)?;
        let status = resp.status();
        if !status.is_success() {
            return Err(AlipayError::HttpStatus {
                method: method.into(),
                status: status.as_u16(),
                gateway: self.cfg.gateway.clone(),
            });
        }
        // Counted while it streams: a declared length can be absent or wrong, and a body past the
        // cap is not a gateway answer, however long it goes on.
        let too_large = || AlipayError::Transport {
            method: method.into(),
            detail: format!("answer larger than {MAX_RESPONSE_BYTES} bytes"),
        };
        if resp
            .content_length()
            .is_some_and(|n| n > MAX_RESPONSE_BYTES as u64)
        {
            return Err(too_large());
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(transport)? {
            if bytes.len() + chunk.len() > MAX_RESPONSE_BYTES {
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        let text = String::from_utf8_lossy(&bytes);
        let node = check(
            &text,
            method,
            &self.cfg.platform_public_key,
            self.cfg.sign_type,
        )
        .map_err(|source| AlipayError::Response {
            method: method.into(),
            source,
        })?;
        if !node.status.is_success() {
            let Status {
                code,
                msg,
                sub_code,
                sub_msg,
            } = node.status;
            return Err(AlipayError::Platform {
                method: method.into(),
                code,
                msg,
                sub_code,
                sub_msg,
            });
        }
        Ok(Answer {
            node: node.content.to_string(),
            latency: started.elapsed(),
        })
    }

    /// Every parameter of one request, `sign` included. Pure, so tests can pin the timestamp.
    pub fn signed_params(
        &self,
        method: &str,
        biz_content: &str,
        now: DateTime<Utc>,
    ) -> Vec<(String, String)> {
        self.signed_params_with(method, &[("biz_content", biz_content)], now)
    }

    /// The common parameters plus `extra` (`biz_content`, or a multipart call's text parts), all
    /// signed together; empty values are neither sent nor signed. Pure, like `signed_params`.
    pub fn signed_params_with(
        &self,
        method: &str,
        extra: &[(&str, &str)],
        now: DateTime<Utc>,
    ) -> Vec<(String, String)> {
        let cfg = &self.cfg;
        let mut params: Vec<(String, String)> = [
            ("app_id", cfg.app_id.as_str()),
            ("method", method),
            ("format", "json"),
            ("charset", "utf-8"),
            ("sign_type", cfg.sign_type.as_str()),
            ("version", "1.0"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        params.push(("timestamp".into(), china_timestamp(now)));
        if let Some(token) = cfg.app_auth_token.as_ref().filter(|t| !t.is_empty()) {
            params.push(("app_auth_token".into(), token.expose().to_string()));
        }
        for (k, v) in extra.iter().filter(|(_, v)| !v.is_empty()) {
            params.push((k.to_string(), v.to_string()));
        }
        let content = sign_content(params.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let signature = sign(&cfg.private_key, cfg.sign_type, content.as_bytes());
        params.push(("sign".into(), signature));
        params
    }
}

/// A `multipart/form-data` body as the SDKs lay it out (housing spec §2.2): each text part with
/// `text/plain; charset=utf-8`, then `file_content` with its file name, MIME type and
/// `Content-Transfer-Encoding: binary`.
pub fn multipart_body(boundary: &str, texts: &[(&str, &str)], file: &FileUpload) -> Vec<u8> {
    let mut out = Vec::with_capacity(file.bytes.len() + 512);
    for (k, v) in texts {
        out.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{v}\r\n"
            )
            .as_bytes(),
        );
    }
    // Quotes and line breaks in a file name would end the header early; ours are generated.
    let name: String = file
        .file_name
        .chars()
        .filter(|c| !matches!(c, '"' | '\r' | '\n'))
        .collect();
    out.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file_content\"; filename=\"{name}\"\r\nContent-Type: {}\r\nContent-Transfer-Encoding: binary\r\n\r\n",
            file.mime
        )
        .as_bytes(),
    );
    out.extend_from_slice(&file.bytes);
    out.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    out
}

/// `yyyy-MM-dd HH:mm:ss` in China time (UTC+8, no DST), whatever the host's zone.
pub fn china_timestamp(now: DateTime<Utc>) -> String {
    now.with_timezone(&china())
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

pub fn china() -> FixedOffset {
    // 8 hours is a valid offset; east_opt only fails beyond ±24 h.
    FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

/// An error and its causes, each said once: many errors repeat their source's text in their own.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        cur = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn timestamp_is_china_time_across_midnight_and_leap_days() {
        let t = Utc.with_ymd_and_hms(2024, 2, 28, 16, 30, 5).unwrap();
        assert_eq!(china_timestamp(t), "2024-02-29 00:30:05");
        let t = Utc.with_ymd_and_hms(2023, 12, 31, 23, 59, 59).unwrap();
        assert_eq!(china_timestamp(t), "2024-01-01 07:59:59");
    }

    #[test]
    fn signed_params_match_appendix_b() {
        let key = AppPrivateKey::parse(
            include_str!("../../tests/data/kat_app_private_pkcs1.pem"),
            "kat",
        )
        .unwrap();
        let platform = key.public_key();
        let client = AlipayClient::new(ClientConfig::new(
            "http://127.0.0.1:1/gateway.do",
            "2021000000000000",
            key,
            platform,
        ))
        .unwrap();
        let now = Utc.with_ymd_and_hms(2024, 7, 1, 4, 0, 0).unwrap();
        let params = client.signed_params(
            "alipay.eco.renthouse.room.state.sync",
            r#"{"flats_tag":1,"rent_status":1,"room_code":"R1001","room_status":1}"#,
            now,
        );
        let sign = &params.iter().find(|(k, _)| k == "sign").unwrap().1;
        assert!(sign.starts_with("VTVQDZecRevr5E8+tefpF"));
        assert!(params
            .iter()
            .any(|(k, v)| k == "timestamp" && v == "2024-07-01 12:00:00"));
    }

    fn kat_client() -> AlipayClient {
        let key = AppPrivateKey::parse(
            include_str!("../../tests/data/kat_app_private_pkcs1.pem"),
            "kat",
        )
        .unwrap();
        let platform = key.public_key();
        AlipayClient::new(ClientConfig::new(
            "http://127.0.0.1:1/gateway.do",
            "2021000000000000",
            key,
            platform,
        ))
        .unwrap()
    }

    #[test]
    fn multipart_signature_covers_the_text_parts_and_not_the_file() {
        let client = kat_client();
        let now = Utc.with_ymd_and_hms(2025, 6, 1, 4, 0, 0).unwrap();
        let file = FileUpload {
            attachment_category: "HOUSE_PIC".into(),
            attachment_type: "IMAGE".into(),
            file_name: "a.jpg".into(),
            mime: "image/jpeg".into(),
            bytes: vec![0xFF, 0xD8, 0xFF, 1, 2, 3],
        };
        let method = crate::alipay::housing::file::METHOD;
        let params = client.signed_params_with(method, &file.text_parts(), now);
        let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        let sign = get("sign").unwrap();
        let content = sign_content(params.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        assert_eq!(
            content,
            "app_id=2021000000000000&attachment_category=HOUSE_PIC&attachment_type=IMAGE&charset=utf-8&format=json&method=alipay.commerce.housing.file.upload&sign_type=RSA2&timestamp=2025-06-01 12:00:00&version=1.0"
        );
        let public = client.config().platform_public_key.clone();
        assert!(crate::alipay::sign::verify(
            &public,
            SignType::Rsa2,
            content.as_bytes(),
            &sign
        ));
        // A changed text part no longer verifies; other file bytes sign the same.
        let tampered = content.replace("HOUSE_PIC", "AGENT_PHOTO");
        assert!(!crate::alipay::sign::verify(
            &public,
            SignType::Rsa2,
            tampered.as_bytes(),
            &sign
        ));
        let other = FileUpload {
            bytes: vec![9; 100],
            ..file.clone()
        };
        let again = client.signed_params_with(method, &other.text_parts(), now);
        assert_eq!(
            again
                .iter()
                .find(|(k, _)| k == "sign")
                .map(|(_, v)| v.clone()),
            Some(sign)
        );
        assert!(get("biz_content").is_none());
    }

    #[test]
    fn multipart_body_has_text_parts_then_the_binary_file_part() {
        let file = FileUpload {
            attachment_category: "HOUSE_PIC".into(),
            attachment_type: String::new(),
            file_name: "p\"1.jpg".into(),
            mime: "image/jpeg".into(),
            bytes: vec![0xFF, 0xD8, 0x00, 0xFF],
        };
        let body = multipart_body("B", &file.text_parts(), &file);
        let text = String::from_utf8_lossy(&body);
        assert!(text.starts_with(
            "--B\r\nContent-Disposition: form-data; name=\"attachment_category\"\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHOUSE_PIC\r\n--B\r\n"
        ));
        assert!(
            !text.contains("attachment_type"),
            "empty parts are not sent"
        );
        assert!(text.contains("name=\"file_content\"; filename=\"p1.jpg\"\r\nContent-Type: image/jpeg\r\nContent-Transfer-Encoding: binary\r\n\r\n"));
        assert!(body.windows(4).any(|w| w == [0xFF, 0xD8, 0x00, 0xFF]));
        assert!(text.ends_with("\r\n--B--\r\n"));
    }
}
