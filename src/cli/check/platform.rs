//! The signed call of `check`: `ka.baseinfo.query` for a code nobody has. It changes nothing,
//! and any answer the platform signs and we verify proves the gateway URL, the app key, `app_id`
//! and the platform key together. A business error ("no such operator") is therefore fine;
//! refused credentials, an HTTP error or an answer that fails verification are not.

use super::Report;
use crate::alipay::error::{classify, ErrorClass};
use crate::alipay::response::ResponseError;
use crate::alipay::{AlipayClient, AlipayError};
use crate::config::TenantConfig;

const METHOD: &str = "alipay.eco.renthouse.ka.baseinfo.query";
const PROBE: &str = r#"{"ka_code":"rentsync-check-probe"}"#;

pub(super) async fn signed_call(t: &TenantConfig, report: &mut Report) {
    let Ok(cfg) = t.client_config() else {
        report.line(
            false,
            format!(
                "tenant {}: signed call not made: the keys do not load",
                t.name
            ),
        );
        return;
    };
    let client = match AlipayClient::new(cfg) {
        Ok(c) => c,
        Err(e) => return report.line(false, format!("tenant {}: {e:#}", t.name)),
    };
    let what = format!("tenant {}: signed call {METHOD} to {}", t.name, t.gateway);
    match client.call_raw(METHOD, PROBE).await {
        Ok(_) => report.line(true, format!("{what}: answered")),
        Err(e) => {
            let (ok, text) = judge(t, &e);
            report.line(ok, format!("{what}: {text}"));
        }
    }
}

fn judge(t: &TenantConfig, e: &AlipayError) -> (bool, String) {
    match e {
        AlipayError::Platform { .. } if e.class() == ErrorClass::Credentials => (
            false,
            format!(
                "the platform refused the credentials ({e}); check that private_key_file {} is \
                 the key whose public half is uploaded for app_id {}",
                t.private_key_file.display(),
                t.app_id
            ),
        ),
        // The gateway leaves credential refusals unsigned: not believed by the worker, but the
        // likeliest cause to name here.
        AlipayError::Response {
            source: ResponseError::UnsignedError { code, sub_code, .. },
            ..
        } if classify(code, sub_code) == ErrorClass::Credentials => (
            false,
            format!(
                "the gateway refused the credentials in an unsigned answer ({e}); check that \
                 private_key_file {} is the key whose public half is uploaded for app_id {}",
                t.private_key_file.display(),
                t.app_id
            ),
        ),
        AlipayError::Platform { .. } => (
            true,
            format!("answered and verified (a business answer, expected: {e})"),
        ),
        AlipayError::Response { .. } => (
            false,
            format!(
                "the answer did not verify ({e}); is platform_public_key_file {} the \
                 platform's public key for app_id {}?",
                t.platform_public_key_file.display(),
                t.app_id
            ),
        ),
        AlipayError::HttpStatus { status, .. } => (
            false,
            format!("HTTP {status}: is the gateway URL right (…/gateway.do)?"),
        ),
        _ => (false, format!("no usable answer: {e}")),
    }
}
