//! What can go wrong with one TOP call, and what the caller should do about it (spec §1.7–1.8).
//!
//! Two layers can refuse a call: the gateway (`error_response`: code, sub_code) and the business
//! `result` of the API (`is_success: false` with its own `code`/`message`). Only the gateway layer
//! is classified here by code; business refusals are permanent because their codes are not
//! published (spec gap) and a blind retry of a refused write helps nobody.
//!
//! A flow-control ban names its length in `sub_msg` ("This ban will last for N more seconds"):
//! the client pauses that method for N s; a ban longer than the configured cap is a quota, not a
//! per-second limit, so the method is stopped and an alert raised instead of sleeping for hours.

use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorClass {
    /// Network, timeout, 5xx, unreadable body, `isp.*`, code 10: retry with backoff.
    Transient,
    /// Code 7 / `accesscontrol.*` / codes 4–6, 8: wait the ban out, then retry.
    Throttled,
    /// Wrong input or refused by the business layer: fix the request; never retried.
    Permanent,
    /// The session is missing, expired or wrong (26/27): re-authorise the shop.
    Session,
    /// App key, secret, signature, permission package or IP whitelist: an operator's console step.
    Credentials,
    /// A write whose outcome is not known (timeout or `isp.*` on CREATE): look it up, never resend.
    Unknown,
}

#[derive(Debug, thiserror::Error)]
pub enum TopError {
    #[error("{method}: transport error: {detail}")]
    Transport { method: String, detail: String },
    #[error("{method}: no answer within {timeout:?}")]
    Timeout { method: String, timeout: Duration },
    #[error("{method}: HTTP status {status} from {gateway}")]
    HttpStatus {
        method: String,
        status: u16,
        gateway: String,
    },
    #[error("{method}: the answer is not a TOP envelope: {detail}")]
    Malformed { method: String, detail: String },
    /// Boxed strings keep the error small enough to return by value everywhere.
    #[error("{method}: gateway refused: code {code} {msg}{}{}{}", opt(" ", sub_code.as_deref()), opt(": ", sub_msg.as_deref()), advice(*code, sub_code.as_deref()))]
    Platform {
        method: String,
        code: i64,
        msg: String,
        sub_code: Option<Box<str>>,
        sub_msg: Option<Box<str>>,
        request_id: Option<Box<str>>,
    },
    #[error("{method}: refused by the business layer: code {code:?}: {message:?}")]
    Business {
        method: String,
        code: Option<String>,
        message: Option<String>,
    },
    #[error("{method}: banned for {secs} s, longer than the {cap} s cap: calls of this method are stopped until the ban ends; check the daily quota in the TOP console (流量管理)")]
    BanTooLong { method: String, secs: u64, cap: u64 },
    #[error("{method}: stopped by a flow-control ban for another {secs} s (not called)")]
    MethodStopped { method: String, secs: u64 },
    /// Refused before sending: one `field: rule` per problem, every problem at once.
    #[error("{method}: not sent: {}", problems.join("; "))]
    Invalid {
        method: String,
        problems: Vec<String>,
    },
    /// The connection was never made, so nothing reached the gateway: safe to retry even a write.
    #[error("{method}: cannot connect: {detail}")]
    Connect { method: String, detail: String },
    #[error("{method}: the outcome is unknown ({detail}); nothing was resent. {how_to_check}")]
    UnknownOutcome {
        method: String,
        detail: String,
        how_to_check: String,
    },
    #[error("{method}: cannot read the answer: {detail}")]
    Decode { method: String, detail: String },
}

fn opt(prefix: &str, v: Option<&str>) -> String {
    v.filter(|s| !s.is_empty())
        .map(|s| format!("{prefix}{s}"))
        .unwrap_or_default()
}

/// The operator's next step for the refusals that need one, appended to the message.
fn advice(code: i64, sub_code: Option<&str>) -> &'static str {
    match classify(code, sub_code) {
        ErrorClass::Session => {
            "; re-authorise the shop (OAuth at oauth.taobao.com, or taobao.top.auth.token.create) \
             and write the new session to session_file"
        }
        ErrorClass::Credentials if matches!(code, 24 | 25) => {
            "; the signature did not verify: check app_secret_file and sign_method"
        }
        ErrorClass::Credentials if matches!(code, 28 | 29) => "; check app_key",
        ErrorClass::Credentials => {
            "; grant the API permission package or whitelist this IP in the TOP console"
        }
        _ if code == 31 => "; the host clock is more than 10 minutes off",
        _ => "",
    }
}

/// The gateway layer's verdict on (code, sub_code).
pub fn classify(code: i64, sub_code: Option<&str>) -> ErrorClass {
    let sub = sub_code.unwrap_or("");
    if code == 7 || matches!(code, 4 | 5 | 6 | 8) || sub.starts_with("accesscontrol.") {
        return ErrorClass::Throttled;
    }
    if matches!(code, 26 | 27) || sub.contains("session") {
        return ErrorClass::Session;
    }
    if sub.starts_with("isp.") || code == 10 {
        return ErrorClass::Transient;
    }
    if matches!(code, 11 | 12 | 13 | 24 | 25 | 28 | 29) || sub.starts_with("isv.permission") {
        return ErrorClass::Credentials;
    }
    ErrorClass::Permanent
}

/// N from "This ban will last for N more seconds" (the wording the gateway and every community
/// client agree on); `None` when the text has no such number.
pub fn ban_seconds(sub_msg: &str) -> Option<u64> {
    let rest = &sub_msg[sub_msg.find("last for ")? + "last for ".len()..];
    let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
    let n = digits.parse().ok()?;
    rest[digits.len()..]
        .trim_start()
        .starts_with("more second")
        .then_some(n)
}

impl TopError {
    pub fn class(&self) -> ErrorClass {
        match self {
            TopError::Transport { .. }
            | TopError::Connect { .. }
            | TopError::Timeout { .. }
            | TopError::Malformed { .. }
            | TopError::HttpStatus { .. } => ErrorClass::Transient,
            TopError::Platform { code, sub_code, .. } => classify(*code, sub_code.as_deref()),
            TopError::BanTooLong { .. } | TopError::MethodStopped { .. } => ErrorClass::Throttled,
            TopError::Business { .. } | TopError::Invalid { .. } | TopError::Decode { .. } => {
                ErrorClass::Permanent
            }
            TopError::UnknownOutcome { .. } => ErrorClass::Unknown,
        }
    }

    /// How long the gateway asked us to stay away, when it said.
    pub fn ban(&self) -> Option<Duration> {
        match self {
            TopError::Platform { sub_msg, .. } if self.class() == ErrorClass::Throttled => sub_msg
                .as_deref()
                .and_then(ban_seconds)
                .map(Duration::from_secs),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ban_seconds_reads_the_gateway_wording() {
        assert_eq!(
            ban_seconds("This ban will last for 2 more seconds"),
            Some(2)
        );
        assert_eq!(
            ban_seconds("This ban will last for 31062 more seconds"),
            Some(31062)
        );
        assert_eq!(ban_seconds("This ban will last for soon"), None);
        assert_eq!(ban_seconds("App Call Limited"), None);
    }

    #[test]
    fn classes_follow_the_spec_table() {
        use ErrorClass::*;
        let cases: &[(i64, Option<&str>, ErrorClass)] = &[
            (
                7,
                Some("accesscontrol.limited-by-app-api-access-count"),
                Throttled,
            ),
            (
                15,
                Some("accesscontrol.limited-by-dynamic-access-count"),
                Throttled,
            ),
            (15, Some("isp.top-remote-connection-timeout"), Transient),
            (
                15,
                Some("isp.top-remote-connection-timeout-tmall"),
                Transient,
            ),
            (10, None, Transient),
            (15, Some("isv.invalid-parameter"), Permanent),
            (50, Some("isv.invalid-parameter"), Permanent),
            (27, Some("invalid-sessionkey"), Session),
            (26, None, Session),
            (15, Some("session-expired"), Session),
            (11, Some("isv.permission-api-package-limit"), Credentials),
            (25, None, Credentials),
            (29, None, Credentials),
            (31, None, Permanent),
            (40, None, Permanent),
        ];
        for (code, sub, want) in cases {
            assert_eq!(classify(*code, *sub), *want, "{code} {sub:?}");
        }
    }

    #[test]
    fn session_refusal_names_the_reauthorisation_step() {
        let e = TopError::Platform {
            method: "m".into(),
            code: 27,
            msg: "Invalid session".into(),
            sub_code: Some("invalid-sessionkey".into()),
            sub_msg: None,
            request_id: None,
        };
        let text = e.to_string();
        assert!(
            text.contains("re-authorise") && text.contains("session_file"),
            "{text}"
        );
    }
}
