//! Request signing and signature checks, exactly as spec §1.5 and §1.10.
//!
//! The signed text is every non-empty parameter except `sign`, sorted by key in byte order, joined
//! as raw (not URL-encoded) `k=v` pairs with `&`. `sign_type` stays in for requests; only checks of
//! the platform's notifications in `rsaCheckV1` style drop it, and that is the caller's choice.

use std::collections::BTreeMap;
use std::str::FromStr;

use base64::Engine;
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::signature::{SignatureEncoding, Signer, Verifier};
use sha1::Sha1;
use sha2::Sha256;

use super::keys::{AppPrivateKey, PublicKey};

/// `RSA2` is SHA256withRSA (the default everywhere); `RSA` is SHA1withRSA, kept for old apps and
/// for SPI callbacks, which the platform signed with SHA-1 in every integration seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
pub enum SignType {
    #[default]
    #[serde(rename = "RSA2")]
    Rsa2,
    #[serde(rename = "RSA")]
    Rsa,
}

impl SignType {
    pub fn as_str(self) -> &'static str {
        match self {
            SignType::Rsa2 => "RSA2",
            SignType::Rsa => "RSA",
        }
    }
}

impl FromStr for SignType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "RSA2" => Ok(SignType::Rsa2),
            "RSA" => Ok(SignType::Rsa),
            other => Err(format!("unknown sign_type {other:?} (RSA2 or RSA)")),
        }
    }
}

/// The text that gets signed: sorted `k=v` pairs of every non-empty parameter except `sign`.
pub fn sign_content<'a>(params: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let sorted: BTreeMap<&str, &str> = params
        .into_iter()
        .filter(|(k, v)| !k.is_empty() && !v.is_empty() && *k != "sign")
        .collect();
    let mut out = String::new();
    for (k, v) in sorted {
        if !out.is_empty() {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    out
}

/// RSASSA-PKCS1-v1_5 over the UTF-8 bytes of `content`, base64 with padding, no line breaks.
pub fn sign(key: &AppPrivateKey, sign_type: SignType, content: &[u8]) -> String {
    let sig: Box<[u8]> = match sign_type {
        SignType::Rsa2 => SigningKey::<Sha256>::new(key.rsa().clone())
            .sign(content)
            .to_bytes(),
        SignType::Rsa => SigningKey::<Sha1>::new(key.rsa().clone())
            .sign(content)
            .to_bytes(),
    };
    base64::engine::general_purpose::STANDARD.encode(sig)
}

/// True when `sign_b64` is a valid signature of `content`. Bad base64 is simply not valid.
pub fn verify(key: &PublicKey, sign_type: SignType, content: &[u8], sign_b64: &str) -> bool {
    let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(sign_b64.trim()) else {
        return false;
    };
    let Ok(sig) = Signature::try_from(raw.as_slice()) else {
        return false;
    };
    match sign_type {
        SignType::Rsa2 => VerifyingKey::<Sha256>::new(key.rsa().clone())
            .verify(content, &sig)
            .is_ok(),
        SignType::Rsa => VerifyingKey::<Sha1>::new(key.rsa().clone())
            .verify(content, &sig)
            .is_ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Appendix B of the spec: throwaway keys, produced with the official Python SDK and openssl.
    pub(crate) const KAT_PRIVATE_KEY: &str =
        include_str!("../../tests/data/kat_app_private_pkcs1.pem");
    const KAT_SIGN: &str = "VTVQDZecRevr5E8+tefpF/nKiHYdGEL82rFFNJl+gUFDvI0onLPezqq7+k42/p6cl4cmrTodAYqKrdPArcbyZP9qYjZX+fYxthZGCgJuZ55fJWR9af/K3CGkG5BXX7d8soT8KF3oWFzOyOnE97t8HKBZaBeOWiCV171wEHfTp6Ol9eJm0tWVTkx00cb0IfhIKw5eH4YQU8xbdeAfimGuMkHsNvRMvJlt8FYEYHapuEooC9Px1PoqrYA0KhTIlqubU30yKHU8XDNmT/lh4CxMl9pmvD/dUuVTYE+iQgiPYaFmQv0sNCv0rWiYj8Ex3ONathWH3cEukdnyjXVIOueq9g==";
    const KAT_CONTENT: &str = r#"app_id=2021000000000000&biz_content={"flats_tag":1,"rent_status":1,"room_code":"R1001","room_status":1}&charset=utf-8&format=json&method=alipay.eco.renthouse.room.state.sync&sign_type=RSA2&timestamp=2024-07-01 12:00:00&version=1.0"#;

    fn kat_params() -> Vec<(&'static str, &'static str)> {
        vec![
            ("timestamp", "2024-07-01 12:00:00"),
            ("method", "alipay.eco.renthouse.room.state.sync"),
            ("app_id", "2021000000000000"),
            ("sign_type", "RSA2"),
            ("charset", "utf-8"),
            ("version", "1.0"),
            ("format", "json"),
            ("notify_url", ""),
            (
                "biz_content",
                r#"{"flats_tag":1,"rent_status":1,"room_code":"R1001","room_status":1}"#,
            ),
        ]
    }

    #[test]
    fn sign_content_sorts_and_drops_empty_values_and_sign() {
        let mut params = kat_params();
        params.push(("sign", "ignored"));
        assert_eq!(sign_content(params), KAT_CONTENT);
    }

    #[test]
    fn appendix_b_request_signature_is_reproduced_from_pkcs1_and_pkcs8() {
        let key = AppPrivateKey::parse(KAT_PRIVATE_KEY, "kat").expect("KAT key parses");
        assert_eq!(sign(&key, SignType::Rsa2, KAT_CONTENT.as_bytes()), KAT_SIGN);
        let pkcs8 = key.to_pkcs8_pem().expect("re-encode");
        let key8 = AppPrivateKey::parse(&pkcs8, "kat8").expect("PKCS#8 parses");
        assert_eq!(
            sign(&key8, SignType::Rsa2, KAT_CONTENT.as_bytes()),
            KAT_SIGN
        );
        assert!(verify(
            &key.public_key(),
            SignType::Rsa2,
            KAT_CONTENT.as_bytes(),
            KAT_SIGN
        ));
    }

    #[test]
    fn rsa_sha1_signatures_verify_and_do_not_cross_with_rsa2() {
        let key = AppPrivateKey::parse(KAT_PRIVATE_KEY, "kat").expect("KAT key parses");
        let s1 = sign(&key, SignType::Rsa, b"a=1");
        assert!(verify(&key.public_key(), SignType::Rsa, b"a=1", &s1));
        assert!(!verify(&key.public_key(), SignType::Rsa2, b"a=1", &s1));
        assert!(!verify(&key.public_key(), SignType::Rsa, b"a=2", &s1));
        assert!(!verify(
            &key.public_key(),
            SignType::Rsa,
            b"a=1",
            "not base64!"
        ));
    }
}
