//! Finding and checking the signed part of a gateway answer (spec §1.7).
//!
//! The platform signs the exact bytes of the `<method>_response` node as they stand in the body, so
//! we never re-serialise: serde_json's `RawValue` hands back that very slice of the input. Top-level
//! keys are read as a list, not a map, so a body that carries the node twice is refused instead of
//! letting the last (unsigned) copy win.
//!
//! Only a signed answer is believed. The Java and .NET SDKs skip verification when an error node
//! carries a `sub_code` and no `sign` (spec §1.7 step 8); we read such a node the same way, so its
//! words reach the log, but return it as `UnsignedError`, never as the platform's verdict: anyone
//! on the path (a proxy, a captive portal, a forger) can write `{"error_response":{"code":"20001"}}`,
//! and taking it would let them pause a tenant or park items as failed. The worker treats it like
//! a bad signature: transient, counted, alerted on when it persists (issue 11).

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

use super::keys::PublicKey;
use super::sign::{verify, SignType};

/// The common fields of every response node.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct Status {
    #[serde(default, deserialize_with = "string_or_number")]
    pub code: String,
    #[serde(default)]
    pub msg: String,
    #[serde(default)]
    pub sub_code: String,
    #[serde(default)]
    pub sub_msg: String,
}

impl Status {
    pub fn is_success(&self) -> bool {
        self.code == "10000" && self.sub_code.is_empty()
    }
}

/// A response node whose signature has been checked.
#[derive(Debug)]
pub struct CheckedNode<'a> {
    /// The node's raw JSON text, exactly as signed.
    pub content: &'a str,
    pub status: Status,
    /// Always true: unsigned nodes are errors (`Unsigned`, `UnsignedError`). Kept so callers can
    /// assert it.
    pub signed: bool,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ResponseError {
    #[error("response is not a JSON object: {0}")]
    Malformed(String),
    #[error("response has no {0} or error_response node")]
    NoNode(String),
    #[error("response carries the {0} node more than once")]
    DuplicateNode(String),
    #[error("response signature does not verify with the platform public key")]
    BadSignature,
    #[error("response carries no signature")]
    Unsigned,
    /// An unsigned error node with a `sub_code`: the shape the SDKs let through, not believed.
    #[error("unsigned error answer {code} {sub_code}: {sub_msg} (not signed, so not taken)")]
    UnsignedError {
        code: String,
        sub_code: String,
        sub_msg: String,
    },
}

/// `alipay.eco.renthouse.room.state.sync` → `alipay_eco_renthouse_room_state_sync_response`.
pub fn node_name(method: &str) -> String {
    format!("{}_response", method.replace('.', "_"))
}

/// Extracts the method's node from `body` and checks its signature with `key`.
pub fn check<'a>(
    body: &'a str,
    method: &str,
    key: &PublicKey,
    sign_type: SignType,
) -> Result<CheckedNode<'a>, ResponseError> {
    let TopLevel(entries) =
        serde_json::from_str(body).map_err(|e| ResponseError::Malformed(e.to_string()))?;
    let wanted = node_name(method);
    let find = |name: &str| -> Result<Option<&'a RawValue>, ResponseError> {
        let mut hits = entries.iter().filter(|(k, _)| k == name).map(|(_, v)| *v);
        let first = hits.next();
        if hits.next().is_some() {
            return Err(ResponseError::DuplicateNode(name.to_string()));
        }
        Ok(first)
    };
    let node = match find(&wanted)? {
        Some(n) => n,
        None => find("error_response")?.ok_or(ResponseError::NoNode(wanted.clone()))?,
    };
    let sign = match find("sign")? {
        Some(raw) => serde_json::from_str::<String>(raw.get())
            .map_err(|_| ResponseError::Malformed("sign is not a string".into()))?,
        None => String::new(),
    };
    let content = node.get();
    // Encrypted answers carry the node as a quoted string; we never ask for encryption, so a
    // non-object node is only ever an error we cannot read.
    let status: Status = serde_json::from_str(content).map_err(|e| {
        ResponseError::Malformed(format!("{} is not a response object: {e}", wanted))
    })?;

    if sign.is_empty() {
        // The SDKs skip verification only for an error with a sub_code; we read it, never take it.
        if status.sub_code.is_empty() || status.is_success() {
            return Err(ResponseError::Unsigned);
        }
        return Err(ResponseError::UnsignedError {
            code: status.code,
            sub_code: status.sub_code,
            sub_msg: status.sub_msg,
        });
    }
    let ok = verify(key, sign_type, content.as_bytes(), &sign)
        // Java/.NET retry once with `\/` unescaped: some gateway paths signed the unescaped text.
        || (content.contains("\\/")
            && verify(key, sign_type, content.replace("\\/", "/").as_bytes(), &sign));
    if !ok {
        return Err(ResponseError::BadSignature);
    }
    Ok(CheckedNode {
        content,
        status,
        signed: true,
    })
}

/// The top-level members of a body, in order, duplicates kept.
struct TopLevel<'a>(Vec<(String, &'a RawValue)>);

impl<'de> Deserialize<'de> for TopLevel<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = TopLevel<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, &'de RawValue>()? {
                    out.push((k, v));
                }
                Ok(TopLevel(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// `code` is a string on the wire, but a lenient reader costs nothing.
fn string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) => Ok(s),
        serde_json::Value::Number(n) => Ok(n.to_string()),
        serde_json::Value::Null => Ok(String::new()),
        other => Err(serde::de::Error::custom(format!(
            "code must be a string, got {other}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alipay::keys::AppPrivateKey;
    use crate::alipay::sign::sign;

    const METHOD: &str = "alipay.eco.renthouse.room.state.sync";

    fn kat_key() -> PublicKey {
        PublicKey::parse(
            include_str!("../../tests/data/kat_platform_public.b64"),
            "kat",
        )
        .expect("KAT public key parses")
    }

    #[test]
    fn appendix_b_response_verifies() {
        let sig = include_str!("../../tests/data/kat_response_sign.b64").trim();
        let body = format!(
            r#"{{"alipay_eco_renthouse_room_state_sync_response":{{"code":"10000","msg":"Success"}},"sign":"{sig}"}}"#
        );
        let node = check(&body, METHOD, &kat_key(), SignType::Rsa2).expect("verifies");
        assert_eq!(node.content, r#"{"code":"10000","msg":"Success"}"#);
        assert!(node.signed && node.status.is_success());

        let tampered = body.replace("Success", "Succe55");
        assert_eq!(
            check(&tampered, METHOD, &kat_key(), SignType::Rsa2).unwrap_err(),
            ResponseError::BadSignature
        );
    }

    fn signed_body(node: &str, key: &AppPrivateKey, spacing: &str) -> String {
        let s = sign(key, SignType::Rsa2, node.as_bytes());
        format!(
            r#"{{"{}"{spacing}:{spacing}{node}{spacing},"sign":"{s}"}}"#,
            node_name(METHOD)
        )
    }

    #[test]
    fn raw_node_is_verified_with_whitespace_escapes_and_braces_in_strings() {
        let key = AppPrivateKey::generate(1024).expect("keygen");
        let node = r#"{"code":"40004","msg":"Business Failed","sub_code":"x","sub_msg":"\u623f\u6e90/x {y} \"}\""}"#;
        let body = signed_body(node, &key, " \n ");
        let got = check(&body, METHOD, &key.public_key(), SignType::Rsa2).expect("verifies");
        assert_eq!(got.content, node);
        assert_eq!(got.status.sub_msg, "房源/x {y} \"}\"");
    }

    #[test]
    fn escaped_slash_fallback_is_honoured() {
        let key = AppPrivateKey::generate(1024).expect("keygen");
        let signed = r#"{"code":"10000","msg":"Success","url":"http://x/y.jpg"}"#;
        let s = sign(&key, SignType::Rsa2, signed.as_bytes());
        let body = format!(
            r#"{{"{}":{},"sign":"{s}"}}"#,
            node_name(METHOD),
            signed.replace('/', "\\/")
        );
        assert!(check(&body, METHOD, &key.public_key(), SignType::Rsa2).is_ok());
    }

    #[test]
    fn duplicate_node_is_refused() {
        let key = AppPrivateKey::generate(1024).expect("keygen");
        let node = r#"{"code":"10000","msg":"Success"}"#;
        let body = signed_body(node, &key, "");
        let forged = body.replacen(
            ",\"sign\"",
            &format!(
                ",\"{}\":{{\"code\":\"10000\",\"x\":1}},\"sign\"",
                node_name(METHOD)
            ),
            1,
        );
        assert_eq!(
            check(&forged, METHOD, &key.public_key(), SignType::Rsa2).unwrap_err(),
            ResponseError::DuplicateNode(node_name(METHOD))
        );
    }

    #[test]
    fn unsigned_answers_are_never_taken() {
        let key = kat_key();
        let err = r#"{"error_response":{"code":"40002","msg":"Invalid Arguments","sub_code":"isv.invalid-app-id","sub_msg":"bad"}}"#;
        assert_eq!(
            check(err, METHOD, &key, SignType::Rsa2).unwrap_err(),
            ResponseError::UnsignedError {
                code: "40002".into(),
                sub_code: "isv.invalid-app-id".into(),
                sub_msg: "bad".into()
            }
        );
        let no_sub = r#"{"error_response":{"code":"40004","msg":"Business Failed"}}"#;
        assert_eq!(
            check(no_sub, METHOD, &key, SignType::Rsa2).unwrap_err(),
            ResponseError::Unsigned
        );

        let ok =
            r#"{"alipay_eco_renthouse_room_state_sync_response":{"code":"10000","msg":"Success"}}"#;
        assert_eq!(
            check(ok, METHOD, &key, SignType::Rsa2).unwrap_err(),
            ResponseError::Unsigned
        );
        let ok_bad = r#"{"alipay_eco_renthouse_room_state_sync_response":{"code":"10000","msg":"Success"},"sign":"AAAA"}"#;
        assert_eq!(
            check(ok_bad, METHOD, &key, SignType::Rsa2).unwrap_err(),
            ResponseError::BadSignature
        );
        assert!(matches!(
            check("<html>502</html>", METHOD, &key, SignType::Rsa2),
            Err(ResponseError::Malformed(_))
        ));
    }
}
