//! Property tests of the answer parser and verifier (`alipay::response::check`): random bytes and
//! random JSON shapes never make it panic, and nothing is ever accepted unless its signature
//! verifies over the exact node text returned, whatever code the node claims.

use std::sync::OnceLock;

use proptest::prelude::*;
use rentsync::alipay::response::{check, node_name, ResponseError};
use rentsync::alipay::sign::{sign, verify, SignType};
use rentsync::alipay::AppPrivateKey;
use serde_json::{json, Value};

const METHOD: &str = "alipay.eco.renthouse.room.state.sync";

fn key() -> &'static AppPrivateKey {
    static KEY: OnceLock<AppPrivateKey> = OnceLock::new();
    KEY.get_or_init(|| AppPrivateKey::generate(1024).expect("keygen"))
}

/// Whatever `check` says about `body`, an accepted node is signed and its signature verifies.
fn never_accepts_unsigned(body: &str) -> Result<(), TestCaseError> {
    let public = key().public_key();
    if let Ok(node) = check(body, METHOD, &public, SignType::Rsa2) {
        prop_assert!(node.signed);
        let v: Value = serde_json::from_str(body).expect("accepted bodies are JSON");
        let sig = v["sign"].as_str().unwrap_or("");
        prop_assert!(!sig.is_empty(), "accepted without a sign: {body}");
        let ok = verify(&public, SignType::Rsa2, node.content.as_bytes(), sig)
            || verify(
                &public,
                SignType::Rsa2,
                node.content.replace("\\/", "/").as_bytes(),
                sig,
            );
        prop_assert!(ok, "accepted with a signature that does not verify: {body}");
    }
    Ok(())
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        "[ -~]{0,12}".prop_map(Value::String),
        "\\PC{0,8}".prop_map(Value::String),
        prop_oneof![
            Just("10000"),
            Just("20000"),
            Just("20001"),
            Just("40004"),
            Just("")
        ]
        .prop_map(|s| Value::String(s.into())),
    ]
}

fn shape() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((field_name(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

fn field_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("code".to_string()),
        Just("msg".to_string()),
        Just("sub_code".to_string()),
        Just("sub_msg".to_string()),
        Just("sign".to_string()),
        Just(node_name(METHOD)),
        Just("error_response".to_string()),
        "[a-z_]{1,10}",
    ]
}

/// A node: mostly a response object with random status fields, sometimes any shape.
fn node() -> impl Strategy<Value = Value> {
    let status = (
        prop::option::of(leaf()),
        prop::option::of(leaf()),
        prop::option::of(leaf()),
        prop::collection::vec((field_name(), shape()), 0..3),
    )
        .prop_map(|(code, msg, sub_code, extra)| {
            let mut m = serde_json::Map::new();
            for (k, v) in [("code", code), ("msg", msg), ("sub_code", sub_code)] {
                if let Some(v) = v {
                    m.insert(k.into(), v);
                }
            }
            for (k, v) in extra {
                m.insert(k, v);
            }
            Value::Object(m)
        });
    prop_oneof![4 => status, 1 => shape()]
}

/// How the body is signed.
#[derive(Debug, Clone)]
enum Signing {
    None,
    Empty,
    Garbage(String),
    /// A valid signature over other content.
    OverOther(String),
    /// A valid signature over the node as written.
    Valid,
    /// Valid, then the node is changed after signing.
    ValidThenTampered,
}

fn signing() -> impl Strategy<Value = Signing> {
    prop_oneof![
        Just(Signing::None),
        Just(Signing::Empty),
        "[A-Za-z0-9+/=]{0,64}".prop_map(Signing::Garbage),
        "[ -~]{0,20}".prop_map(Signing::OverOther),
        Just(Signing::Valid),
        Just(Signing::ValidThenTampered),
    ]
}

fn body(node_key: &str, node: &Value, signing: &Signing, ws: &str) -> String {
    let text = node.to_string();
    let sig = match signing {
        Signing::None => None,
        Signing::Empty => Some(String::new()),
        Signing::Garbage(g) => Some(g.clone()),
        Signing::OverOther(o) => Some(sign(key(), SignType::Rsa2, o.as_bytes())),
        Signing::Valid | Signing::ValidThenTampered => {
            Some(sign(key(), SignType::Rsa2, text.as_bytes()))
        }
    };
    let written = match signing {
        // Same JSON value, different bytes: the signature covers bytes, not meaning.
        Signing::ValidThenTampered => format!("{ws}{text} "),
        _ => text,
    };
    match sig {
        Some(s) => format!(r#"{{"{node_key}":{ws}{written}{ws},"sign":"{s}"}}"#),
        None => format!(r#"{{"{node_key}":{written}}}"#),
    }
}

/// Whether the node's common fields have the types `Status` reads.
fn readable_status(node: &Value) -> bool {
    let code_ok = node
        .get("code")
        .is_none_or(|c| c.is_string() || c.is_number() || c.is_null());
    code_ok
        && ["msg", "sub_code", "sub_msg"]
            .iter()
            .all(|k| node.get(*k).is_none_or(Value::is_string))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic_nor_pass(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let text = String::from_utf8_lossy(&bytes);
        never_accepts_unsigned(&text)?;
    }

    #[test]
    fn random_json_never_panics_nor_passes_unsigned(v in shape()) {
        never_accepts_unsigned(&v.to_string())?;
    }

    #[test]
    fn random_answers_are_accepted_only_when_signed(
        node in node(),
        which in prop_oneof![Just(node_name(METHOD)), Just("error_response".to_string()), "[a-z_]{1,12}_response"],
        signing in signing(),
        ws in prop_oneof![Just(""), Just(" "), Just("\n  ")],
    ) {
        let b = body(&which, &node, &signing, ws);
        never_accepts_unsigned(&b)?;
        let r = check(&b, METHOD, &key().public_key(), SignType::Rsa2);
        match (&signing, &r) {
            // A signed node that is an object under a name we read must be accepted as is.
            (Signing::Valid, _) if node.is_object()
                && (which == node_name(METHOD) || which == "error_response")
                && readable_status(&node) => {
                let want = node.to_string();
                let got = r.as_ref().map(|n| n.content);
                prop_assert_eq!(got, Ok(want.as_str()), "{}", b);
            }
            (Signing::None | Signing::Empty, Err(e)) => {
                prop_assert!(
                    matches!(e, ResponseError::Unsigned | ResponseError::UnsignedError { .. }
                        | ResponseError::Malformed(_) | ResponseError::NoNode(_)),
                    "{e:?}: {b}"
                );
            }
            _ => {}
        }
    }
}
