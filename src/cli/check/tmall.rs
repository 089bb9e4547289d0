//! The Tmall part of `check`: the tenant's TOP app secret (and session) load, and one signed
//! `tmall.alihouse.trade.rent.lease.query` for a lease order nobody has. A business answer ("no
//! such lease order") proves the gateway URL, app key, secret, sign method and session together;
//! a refused signature, app key or session is named with the console step that fixes it.

use super::Report;
use crate::config::TenantConfig;
use crate::tmall::lease::{LeaseQuery, QueryStatusDTO, QueryType, METHOD};
use crate::tmall::{ErrorClass, TopClient, TopError};

const PROBE: &str = "rentsync-check-probe";

pub(super) async fn signed_call(t: &TenantConfig, report: &mut Report) {
    let Some(tmall) = &t.tmall else { return };
    let client = match tmall.top_config().and_then(TopClient::new) {
        Ok(c) => c,
        Err(e) => return report.line(false, format!("tenant {}: tmall: {e:#}", t.name)),
    };
    report.line(true, format!("tenant {}: tmall secret loads", t.name));
    let Some(merchant_open_id) = tmall.merchant_open_id else {
        return report.line(
            false,
            format!(
                "tenant {}: tmall.merchant_open_id is not set: lease queries need it \
                 (经营主体ID from the ETC onboarding)",
                t.name
            ),
        );
    };
    let probe = LeaseQuery(QueryStatusDTO {
        lease_order_no: PROBE.into(),
        bill_no_list: None,
        phase: None,
        query_type: QueryType::Lease,
        merchant_open_id,
    });
    let what = format!(
        "tenant {}: tmall signed call {METHOD} to {}",
        t.name, tmall.gateway
    );
    match client.call(&probe).await {
        Ok(_) => report.line(true, format!("{what}: answered")),
        Err(e) => {
            let (ok, text) = judge(&e);
            report.line(ok, format!("{what}: {text}"));
        }
    }
}

fn judge(e: &TopError) -> (bool, String) {
    match (e, e.class()) {
        // The probe's lease order does not exist: the gateway accepted everything else.
        (TopError::Business { .. }, _) => {
            (true, format!("answered (a business answer, expected: {e})"))
        }
        // The error's own text names the fix (secret, sign method, session re-authorisation).
        (_, ErrorClass::Credentials | ErrorClass::Session) => (false, format!("refused ({e})")),
        (_, ErrorClass::Throttled) => (
            true,
            format!("answered with a rate-limit refusal, so the app is known ({e})"),
        ),
        _ => (false, format!("{e}")),
    }
}
