//! TOP request signing (spec §1.5): every parameter but `sign`, empty values dropped, sorted by
//! name in byte order, concatenated as `name value` pairs without separators, digested with the
//! app secret, hex in UPPERCASE. The `sign_method` value is itself one of the signed parameters,
//! so a signature made with one method never verifies under another.

use std::collections::BTreeMap;

use hmac::{Hmac, Mac};
use md5::{Digest, Md5};
use sha2::Sha256;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub enum SignMethod {
    /// `MD5(secret + concat + secret)`.
    #[serde(rename = "md5")]
    Md5,
    /// HMAC-MD5 keyed with the secret.
    #[serde(rename = "hmac")]
    Hmac,
    /// HMAC-SHA256 keyed with the secret; the official SDKs' default.
    #[default]
    #[serde(rename = "hmac-sha256")]
    HmacSha256,
}

impl SignMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            SignMethod::Md5 => "md5",
            SignMethod::Hmac => "hmac",
            SignMethod::HmacSha256 => "hmac-sha256",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "md5" => Some(SignMethod::Md5),
            "hmac" => Some(SignMethod::Hmac),
            "hmac-sha256" => Some(SignMethod::HmacSha256),
            _ => None,
        }
    }
}

impl std::str::FromStr for SignMethod {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s).ok_or_else(|| format!("{s:?} is not md5, hmac or hmac-sha256"))
    }
}

/// The exact text that is digested (secret excluded): what a signature mismatch is debugged with.
pub fn string_to_sign(params: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    // BTreeMap<String, _> iterates in byte order of the keys, which is the order TOP sorts in.
    for (k, v) in params {
        if k == "sign" || v.is_empty() {
            continue;
        }
        out.push_str(k);
        out.push_str(v);
    }
    out
}

/// The `sign` value for `params` (which must already hold `sign_method`).
pub fn sign(params: &BTreeMap<String, String>, method: SignMethod, secret: &str) -> String {
    let text = string_to_sign(params);
    let digest = match method {
        SignMethod::Md5 => {
            let mut h = Md5::new();
            h.update(secret.as_bytes());
            h.update(text.as_bytes());
            h.update(secret.as_bytes());
            h.finalize().to_vec()
        }
        SignMethod::Hmac => {
            // HMAC accepts keys of any length; new_from_slice cannot fail for it.
            let mut m = Hmac::<Md5>::new_from_slice(secret.as_bytes())
                .expect("HMAC takes keys of any length");
            m.update(text.as_bytes());
            m.finalize().into_bytes().to_vec()
        }
        SignMethod::HmacSha256 => {
            let mut m = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
                .expect("HMAC takes keys of any length");
            m.update(text.as_bytes());
            m.finalize().into_bytes().to_vec()
        }
    };
    hex::encode_upper(digest)
}

/// Checks a received `sign` in constant time over its bytes (used by the sandbox).
pub fn verify(params: &BTreeMap<String, String>, method: SignMethod, secret: &str) -> bool {
    let Some(got) = params.get("sign") else {
        return false;
    };
    let want = sign(params, method, secret);
    got.len() == want.len()
        && got
            .bytes()
            .zip(want.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Spec §1.5's parameters, with `sign_method` set to `method`.
    pub(crate) fn spec_params(method: SignMethod) -> BTreeMap<String, String> {
        [
            ("app_key", "12345678"),
            ("method", "tmall.alihouse.trade.rent.lease.query"),
            ("timestamp", "2024-01-01 12:00:00"),
            ("format", "json"),
            ("v", "2.0"),
            ("session", "test-session"),
            ("simplify", "true"),
            ("querystatusreq", r#"{"lease_order_no":"L123","type":0}"#),
            ("sign_method", method.as_str()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    #[test]
    fn spec_vector_md5() {
        let p = spec_params(SignMethod::Md5);
        assert_eq!(
            string_to_sign(&p),
            r#"app_key12345678formatjsonmethodtmall.alihouse.trade.rent.lease.queryquerystatusreq{"lease_order_no":"L123","type":0}sessiontest-sessionsign_methodmd5simplifytruetimestamp2024-01-01 12:00:00v2.0"#
        );
        assert_eq!(
            sign(&p, SignMethod::Md5, "helloworld"),
            "21E0BC9523E71FB3AC6954A732306E30"
        );
    }

    #[test]
    fn spec_vector_hmac_md5() {
        let p = spec_params(SignMethod::Hmac);
        assert_eq!(
            sign(&p, SignMethod::Hmac, "helloworld"),
            "D4D72D37B89C93C117FFAC54673F9659"
        );
    }

    #[test]
    fn spec_vector_hmac_sha256() {
        let p = spec_params(SignMethod::HmacSha256);
        assert_eq!(
            sign(&p, SignMethod::HmacSha256, "helloworld"),
            "D6865A13378E062EFA823467A005D4DD41E2D56863ED3019979A7E033EEF06C0"
        );
    }

    #[test]
    fn empty_values_and_sign_are_not_signed() {
        let mut p = spec_params(SignMethod::HmacSha256);
        let before = sign(&p, SignMethod::HmacSha256, "helloworld");
        p.insert("partner_id".into(), String::new());
        p.insert("sign".into(), "X".into());
        assert_eq!(sign(&p, SignMethod::HmacSha256, "helloworld"), before);
    }

    #[test]
    fn verify_refuses_a_wrong_secret_and_a_changed_value() {
        let mut p = spec_params(SignMethod::Hmac);
        let s = sign(&p, SignMethod::Hmac, "helloworld");
        p.insert("sign".into(), s);
        assert!(verify(&p, SignMethod::Hmac, "helloworld"));
        assert!(!verify(&p, SignMethod::Hmac, "hellOworld"));
        p.insert("v".into(), "2.1".into());
        assert!(!verify(&p, SignMethod::Hmac, "helloworld"));
    }
}
