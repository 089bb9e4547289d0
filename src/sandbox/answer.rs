//! How the sandbox answers: a response node, signed with the platform key exactly as the real
//! gateway signs it (the signature covers the node text as written into the body).

use serde_json::{json, Map, Value};

use crate::alipay::keys::AppPrivateKey;
use crate::alipay::response::node_name;
use crate::alipay::sign::{sign, SignType};
use crate::plan::rules::Violation;

/// A platform answer before it is written out.
#[derive(Debug, Clone)]
pub struct Answer {
    /// `<method>_response`, or `error_response` for gateway-level refusals.
    pub node: String,
    pub fields: Map<String, Value>,
    /// Gateway-level refusals (bad signature, unknown app) go out unsigned, as the real gateway's
    /// `error_response` may: it cannot know it is talking to the app it claims to be.
    pub signed: bool,
}

impl Answer {
    pub fn success(method: &str, business: Value) -> Self {
        let mut fields = Map::new();
        fields.insert("code".into(), json!("10000"));
        fields.insert("msg".into(), json!("Success"));
        if let Value::Object(extra) = business {
            fields.extend(extra);
        }
        Self {
            node: node_name(method),
            fields,
            signed: true,
        }
    }

    pub fn error(method: &str, code: &str, sub_code: &str, sub_msg: impl Into<String>) -> Self {
        let fields = json!({
            "code": code,
            "msg": msg_for(code),
            "sub_code": sub_code,
            "sub_msg": sub_msg.into(),
        });
        Self {
            node: node_name(method),
            fields: fields.as_object().cloned().unwrap_or_default(),
            signed: true,
        }
    }

    /// A refusal before the caller is authenticated.
    pub fn gateway_error(code: &str, sub_code: &str, sub_msg: impl Into<String>) -> Self {
        Self {
            node: "error_response".into(),
            signed: false,
            ..Self::error("error", code, sub_code, sub_msg)
        }
    }

    /// The answer to a payload that breaks rules: the first break's codes, every break named.
    pub fn violations(method: &str, breaks: &[Violation]) -> Self {
        let first = &breaks[0];
        let all: Vec<String> = breaks.iter().map(Violation::message).collect();
        Self::error(method, first.code, first.sub_code, all.join("; "))
    }

    pub fn code(&self) -> &str {
        self.fields
            .get("code")
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    pub fn outcome(&self) -> String {
        match self.fields.get("sub_code").and_then(Value::as_str) {
            Some(sub) => format!("{}/{}", self.code(), sub),
            None => "success".into(),
        }
    }

    /// The HTTP body. `forge` signs with a key that is not the platform's (a fault).
    pub fn body(&self, key: &AppPrivateKey, forge: Option<&AppPrivateKey>) -> String {
        let node = Value::Object(self.fields.clone()).to_string();
        if !self.signed {
            return format!(r#"{{"{}":{node}}}"#, self.node);
        }
        let signature = sign(forge.unwrap_or(key), SignType::Rsa2, node.as_bytes());
        format!(r#"{{"{}":{node},"sign":"{signature}"}}"#, self.node)
    }
}

fn msg_for(code: &str) -> &'static str {
    match code {
        "20000" => "Service Currently Unavailable",
        "20001" => "Insufficient Token Permissions",
        "40001" => "Missing Required Arguments",
        "40002" => "Invalid Arguments",
        "40004" => "Business Failed",
        "40005" => "Call Limited",
        "40006" => "Insufficient Permissions",
        _ => "Unknown",
    }
}
