//! Is this callback the platform's? `rsaCheckV2` as both real integrations ran it (spec §1.10,
//! §3.2): the content is every parameter but `sign`, sorted, empty values skipped, `sign_type`
//! included when sent; SHA1withRSA when `sign_type` is absent or `RSA`, SHA256withRSA for `RSA2`.
//! A `timestamp`, when present, must be within the configured window of now.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{NaiveDateTime, TimeZone, Utc};

use crate::alipay::sign::{sign_content, verify, SignType};
use crate::alipay::PublicKey;

/// Why a callback was refused; logged (bounded, no values) and answered `{"code":0}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("unsigned")]
    Unsigned,
    #[error("unknown sign_type")]
    UnknownSignType,
    #[error("bad signature")]
    BadSignature,
    #[error("stale or malformed timestamp")]
    Stale,
    #[error("phone number does not decrypt")]
    BadPhone,
    #[error("no such tenant or callback type")]
    UnknownRoute,
    #[error("malformed body")]
    Malformed,
    #[error("too large")]
    TooLarge,
    #[error("rate limited")]
    RateLimited,
    #[error("too slow")]
    TooSlow,
    #[error("not stored")]
    NotStored,
}

impl Refusal {
    /// A bounded label for logs and metrics.
    pub fn label(self) -> &'static str {
        match self {
            Refusal::Unsigned => "unsigned",
            Refusal::UnknownSignType => "unknown_sign_type",
            Refusal::BadSignature => "bad_signature",
            Refusal::Stale => "stale",
            Refusal::BadPhone => "bad_phone",
            Refusal::UnknownRoute => "unknown_route",
            Refusal::Malformed => "malformed",
            Refusal::TooLarge => "too_large",
            Refusal::RateLimited => "rate_limited",
            Refusal::TooSlow => "timeout",
            Refusal::NotStored => "not_stored",
        }
    }
}

/// Checks the signature and the timestamp of `params` (the decoded form).
pub fn check(
    params: &BTreeMap<String, String>,
    platform: &PublicKey,
    max_skew: Duration,
) -> Result<SignType, Refusal> {
    let sign = params
        .get("sign")
        .filter(|s| !s.trim().is_empty())
        .ok_or(Refusal::Unsigned)?;
    let sign_type = match params.get("sign_type").map(String::as_str) {
        None | Some("") | Some("RSA") => SignType::Rsa,
        Some("RSA2") => SignType::Rsa2,
        Some(_) => return Err(Refusal::UnknownSignType),
    };
    let content = sign_content(params.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    if !verify(platform, sign_type, content.as_bytes(), sign) {
        return Err(Refusal::BadSignature);
    }
    if let Some(ts) = params.get("timestamp").filter(|t| !t.is_empty()) {
        if !fresh(ts, max_skew) {
            return Err(Refusal::Stale);
        }
    }
    Ok(sign_type)
}

/// `yyyy-MM-dd HH:mm:ss` in China time, within `max_skew` of now either way.
fn fresh(ts: &str, max_skew: Duration) -> bool {
    let Ok(local) = NaiveDateTime::parse_from_str(ts, "%Y-%m-%d %H:%M:%S") else {
        return false;
    };
    let Some(at) = crate::alipay::client::china()
        .from_local_datetime(&local)
        .single()
    else {
        return false;
    };
    let skew = (Utc::now() - at.with_timezone(&Utc))
        .num_seconds()
        .unsigned_abs();
    skew <= max_skew.as_secs()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alipay::sign::sign;
    use crate::alipay::AppPrivateKey;

    fn signed(key: &AppPrivateKey, st: Option<SignType>, ts: &str) -> BTreeMap<String, String> {
        let mut p: BTreeMap<String, String> = [
            ("aliUserId", "2088"),
            ("roomCode", "R1"),
            ("zhimaOpenId", ""),
            ("timestamp", ts),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        if let Some(st) = st {
            p.insert("sign_type".into(), st.as_str().into());
        }
        let content = sign_content(p.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let st = st.unwrap_or(SignType::Rsa);
        p.insert("sign".into(), sign(key, st, content.as_bytes()));
        p
    }

    #[test]
    fn rsa_rsa2_and_absent_sign_type_verify_and_forgeries_do_not() {
        let key = AppPrivateKey::generate(1024).unwrap();
        let other = AppPrivateKey::generate(1024).unwrap();
        let public = key.public_key();
        let skew = Duration::from_secs(300);
        let now = crate::alipay::client::china_timestamp(Utc::now());
        for st in [None, Some(SignType::Rsa), Some(SignType::Rsa2)] {
            assert!(
                check(&signed(&key, st, &now), &public, skew).is_ok(),
                "{st:?}"
            );
            assert_eq!(
                check(&signed(&other, st, &now), &public, skew),
                Err(Refusal::BadSignature)
            );
        }
        let mut p = signed(&key, Some(SignType::Rsa2), &now);
        p.insert("roomCode".into(), "R2".into());
        assert_eq!(check(&p, &public, skew), Err(Refusal::BadSignature));
        p.remove("sign");
        assert_eq!(check(&p, &public, skew), Err(Refusal::Unsigned));
        // Signed with SHA-1 but claiming RSA2: the content includes sign_type, so it fails.
        let mut p = signed(&key, Some(SignType::Rsa), &now);
        p.insert("sign_type".into(), "RSA2".into());
        assert_eq!(check(&p, &public, skew), Err(Refusal::BadSignature));
        let old = crate::alipay::client::china_timestamp(Utc::now() - chrono::Duration::hours(1));
        assert_eq!(
            check(&signed(&key, None, &old), &public, skew),
            Err(Refusal::Stale)
        );
        assert_eq!(
            check(&signed(&key, None, "yesterday"), &public, skew),
            Err(Refusal::Stale)
        );
    }
}
