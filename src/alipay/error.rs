//! What can go wrong with one gateway call, and what the caller should do about it.
//!
//! The class decides the worker's move (architecture decision 6): `Transient` and `Throttled` retry
//! with backoff, `Permanent` parks the item with the platform's words, `Credentials` pauses the whole
//! tenant, because every other call of that tenant would fail the same way.
//!
//! Only the platform's own signed codes decide permanence. An HTTP status is what the path between
//! us and the platform said (a proxy's 403, a load balancer's 408, a captive portal's 404): it is
//! transient, and when it persists the worker pauses the tenant with the status as the reason.
//! Unsigned answers are transient whatever code they carry (see `response`).

use std::time::Duration;

use super::response::ResponseError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorClass {
    Transient,
    Throttled,
    Permanent,
    Credentials,
}

#[derive(Debug, thiserror::Error)]
pub enum AlipayError {
    #[error("{method}: transport error: {detail}")]
    Transport { method: String, detail: String },
    #[error("{method}: no answer within {timeout:?}")]
    Timeout { method: String, timeout: Duration },
    /// An HTTP error instead of a gateway answer; `gateway` is the configured URL (no query).
    #[error("{method}: HTTP status {status} from {gateway}")]
    HttpStatus {
        method: String,
        status: u16,
        gateway: String,
    },
    #[error("{method}: platform answered {code} {sub_code}: {sub_msg} ({msg})")]
    Platform {
        method: String,
        code: String,
        msg: String,
        sub_code: String,
        sub_msg: String,
    },
    #[error("{method}: {source}")]
    Response {
        method: String,
        source: ResponseError,
    },
    /// A signed success whose node is not what the method returns. `raw` is the node, redacted.
    #[error("{method}: cannot read the response node: {detail}; answer: {raw}")]
    Decode {
        method: String,
        detail: String,
        raw: String,
    },
    #[error("{method}: cannot encode biz_content: {detail}")]
    Encode { method: String, detail: String },
}

impl AlipayError {
    pub fn class(&self) -> ErrorClass {
        match self {
            AlipayError::Transport { .. }
            | AlipayError::Timeout { .. }
            | AlipayError::Decode { .. } => ErrorClass::Transient,
            AlipayError::HttpStatus { status, .. } => match status {
                429 => ErrorClass::Throttled,
                _ => ErrorClass::Transient,
            },
            AlipayError::Platform { code, sub_code, .. } => classify(code, sub_code),
            // A body that is not JSON, or whose signature fails or is missing, is never taken; one
            // such answer is a broken proxy or tampering in transit and the call is retried. A
            // wrong platform key fails every call: the worker alerts when they keep coming.
            AlipayError::Response { .. } => ErrorClass::Transient,
            AlipayError::Encode { .. } => ErrorClass::Permanent,
        }
    }

    pub fn method(&self) -> &str {
        match self {
            AlipayError::Transport { method, .. }
            | AlipayError::Timeout { method, .. }
            | AlipayError::HttpStatus { method, .. }
            | AlipayError::Platform { method, .. }
            | AlipayError::Response { method, .. }
            | AlipayError::Decode { method, .. }
            | AlipayError::Encode { method, .. } => method,
        }
    }

    /// An answer whose signature did not verify or was missing.
    pub fn is_bad_signature(&self) -> bool {
        matches!(
            self,
            AlipayError::Response {
                source: ResponseError::BadSignature
                    | ResponseError::Unsigned
                    | ResponseError::UnsignedError { .. },
                ..
            }
        )
    }

    /// The HTTP status and gateway when the answer was an HTTP error, not a gateway answer.
    pub fn http_status(&self) -> Option<(u16, &str)> {
        match self {
            AlipayError::HttpStatus {
                status, gateway, ..
            } => Some((*status, gateway)),
            _ => None,
        }
    }

    /// A signed success the method's response type cannot read.
    pub fn is_undecodable(&self) -> bool {
        matches!(self, AlipayError::Decode { .. })
    }

    /// The platform's code and sub_code, when the platform answered.
    pub fn codes(&self) -> Option<(&str, &str)> {
        match self {
            AlipayError::Platform { code, sub_code, .. } => Some((code, sub_code)),
            _ => None,
        }
    }

    /// A short, bounded label for metrics and logs.
    pub fn outcome_label(&self) -> String {
        match self {
            AlipayError::Transport { .. } => "transport".into(),
            AlipayError::Timeout { .. } => "timeout".into(),
            AlipayError::HttpStatus { status, .. } => format!("http_{status}"),
            AlipayError::Platform { code, .. } => format!("code_{code}"),
            AlipayError::Response { source, .. } => match source {
                ResponseError::BadSignature
                | ResponseError::Unsigned
                | ResponseError::UnsignedError { .. } => "bad_signature".into(),
                _ => "malformed".into(),
            },
            AlipayError::Decode { .. } => "decode".into(),
            AlipayError::Encode { .. } => "encode".into(),
        }
    }
}

/// Longest piece of an answer kept in an item's error.
const MAX_KEPT_ANSWER: usize = 1000;

/// An answer as it may be stored and shown: runs of six or more digits (phone numbers, ids) keep
/// their first three, and the text is cut at `MAX_KEPT_ANSWER` characters.
pub fn redact_answer(text: &str) -> String {
    let mut out = String::new();
    let mut digits = String::new();
    let flush = |digits: &mut String, out: &mut String| {
        if digits.len() >= 6 {
            out.push_str(&digits[..3]);
            out.push_str("****");
        } else {
            out.push_str(digits);
        }
        digits.clear();
    };
    for (i, c) in text.chars().enumerate() {
        if i >= MAX_KEPT_ANSWER {
            flush(&mut digits, &mut out);
            out.push('…');
            return out;
        }
        if c.is_ascii_digit() {
            digits.push(c);
        } else {
            flush(&mut digits, &mut out);
            out.push(c);
        }
    }
    flush(&mut digits, &mut out);
    out
}

/// Public error codes (spec §1.8).
pub fn classify(code: &str, sub_code: &str) -> ErrorClass {
    match code {
        "20000" => ErrorClass::Transient,
        "40005" => ErrorClass::Throttled,
        "20001" | "40006" => ErrorClass::Credentials,
        "40002" => match sub_code {
            "isv.invalid-signature"
            | "isv.invalid-app-id"
            | "isv.missing-signature-config"
            | "isv.invalid-signature-type"
            | "isv.not-support-app-auth"
            | "isv.forbidden-api"
            | "app-cert-expired" => ErrorClass::Credentials,
            // The clock was off: fixing it (or the next second) makes the same call pass.
            "isv.invalid-timestamp" | "isv.invalid-encrypt" => ErrorClass::Transient,
            _ => ErrorClass::Permanent,
        },
        _ => ErrorClass::Permanent,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_redacted_and_capped() {
        assert_eq!(
            redact_answer(r#"{"code":"10000","tel":"13912345678"}"#),
            r#"{"code":"10000","tel":"139****"}"#
        );
        let long = "x".repeat(5000);
        assert_eq!(redact_answer(&long).chars().count(), MAX_KEPT_ANSWER + 1);
    }

    #[test]
    fn public_codes_map_to_the_documented_retry_advice() {
        assert_eq!(classify("20000", "isp.unknow-error"), ErrorClass::Transient);
        assert_eq!(
            classify("40005", "isv.method-call-limited"),
            ErrorClass::Throttled
        );
        assert_eq!(
            classify("40001", "isv.missing-method"),
            ErrorClass::Permanent
        );
        assert_eq!(
            classify("40002", "isv.invalid-parameter"),
            ErrorClass::Permanent
        );
        assert_eq!(classify("40004", "anything"), ErrorClass::Permanent);
        assert_eq!(
            classify("20001", "aop.invalid-app-auth-token"),
            ErrorClass::Credentials
        );
        assert_eq!(
            classify("40006", "isv.insufficient-isv-permissions"),
            ErrorClass::Credentials
        );
        assert_eq!(
            classify("40002", "isv.invalid-signature"),
            ErrorClass::Credentials
        );
    }
}
