//! A local TOP gateway (`/router/rest`) for the demo and the tests, as strict as the real one
//! where we know what it checks (spec §1.3–1.7): signature by the request's own `sign_method`,
//! timestamp within 10 minutes (UTC+8), app key, session, required fields and enums of the seeds.
//! It answers with seed-shaped data: scripted lease orders (`life`) that move on with
//! `POST /sandbox/tmall/advance` or on a schedule, and escrow invitations created and modified.
//!
//! Faults are queued one-shots per method (a ban of N seconds, an `isp.*` error, an answer that
//! never comes after the write was applied), so a test says exactly what happens to which call.
//! A ban, once given, refuses every call of that method until it ends, as the real gateway does;
//! every call is logged with its arrival time so a test can prove none came during a ban.

mod life;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::NaiveDateTime;
use serde::Deserialize;
use serde_json::{json, Value};

use super::escrow::{
    OperateType, SecondHandOrderOperateRequest, SecondHandOrderOperateResponse, METHOD as OPERATE,
};
use super::lease::{EtcLeaseOrderDTO, QueryStatusDTO, QueryType, METHOD as LEASE_QUERY};
use super::sign::{verify, SignMethod};
use crate::secret::Secret;

pub use life::SCRIPTED;

#[derive(Debug, Clone)]
pub struct TopSandboxConfig {
    pub app_key: String,
    pub app_secret: Secret,
    /// When set, every call must carry this session.
    pub session: Option<Secret>,
    pub max_clock_skew: Duration,
    /// Lease orders move one snapshot on per this interval, besides `advance`.
    pub advance_every: Option<Duration>,
}

impl TopSandboxConfig {
    pub fn new(app_key: impl Into<String>, app_secret: Secret) -> Self {
        Self {
            app_key: app_key.into(),
            app_secret,
            session: None,
            max_clock_skew: Duration::from_secs(600),
            advance_every: None,
        }
    }
}

/// A one-shot fault for the next call of a method.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TopFault {
    /// Code 7 with "This ban will last for N more seconds"; calls stay refused for N s.
    Ban { secs: u64 },
    /// Code 15 `isp.top-remote-connection-timeout`, after the call was applied.
    IspAfterApply,
    /// The call is applied, then the answer hangs for `ms` (the client times out).
    HangAfterApply { ms: u64 },
}

#[derive(Debug, Clone)]
pub struct CallRecord {
    pub at: Instant,
    pub method: String,
    /// `ok`, `code N`, or `business CODE`.
    pub outcome: String,
}

struct Lease {
    steps: Vec<EtcLeaseOrderDTO>,
    manual: usize,
    born: Instant,
}

#[derive(Default)]
struct Store {
    leases: BTreeMap<String, Lease>,
    escrows: BTreeMap<String, SecondHandOrderOperateRequest>,
    creates_by_source_no: HashMap<String, u32>,
    next_order: u64,
    calls: Vec<CallRecord>,
    bans: HashMap<String, Instant>,
    faults: HashMap<String, Vec<TopFault>>,
}

#[derive(Clone)]
pub struct TopSandbox {
    cfg: Arc<TopSandboxConfig>,
    // A std mutex: held for bookkeeping only, never across an await.
    store: Arc<Mutex<Store>>,
}

/// Platform error answer.
fn top_error(code: i64, msg: &str, sub_code: Option<&str>, sub_msg: Option<&str>) -> Value {
    let mut e = json!({"code": code, "msg": msg, "request_id": "sandbox"});
    if let Some(s) = sub_code {
        e["sub_code"] = json!(s);
    }
    if let Some(s) = sub_msg {
        e["sub_msg"] = json!(s);
    }
    json!({ "error_response": e })
}

fn business_error(code: &str, message: &str) -> Value {
    json!({"result": {"is_success": false, "code": code, "message": message}, "request_id": "sandbox"})
}

fn success<T: serde::Serialize>(data: &T) -> Value {
    json!({"result": {"is_success": true, "code": "0", "data": data}, "request_id": "sandbox"})
}

impl TopSandbox {
    pub fn new(cfg: TopSandboxConfig) -> Self {
        let now = Instant::now();
        let leases = SCRIPTED
            .iter()
            .filter_map(|no| {
                life::script(no).map(|steps| {
                    (
                        no.to_string(),
                        Lease {
                            steps,
                            manual: 0,
                            born: now,
                        },
                    )
                })
            })
            .collect();
        Self {
            cfg: Arc::new(cfg),
            store: Arc::new(Mutex::new(Store {
                leases,
                next_order: 1,
                ..Store::default()
            })),
        }
    }

    fn store(&self) -> std::sync::MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn router(&self) -> Router {
        Router::new()
            .route("/router/rest", post(handle))
            .route("/sandbox/tmall/advance", post(advance))
            .route("/sandbox/tmall/fault", post(fault))
            .route("/sandbox/tmall/state", get(state))
            .with_state(self.clone())
    }

    /// Queues a one-shot fault for the next call of `method`.
    pub fn inject(&self, method: &str, fault: TopFault) {
        self.store()
            .faults
            .entry(method.into())
            .or_default()
            .push(fault);
    }

    /// Moves a lease order one snapshot on; false when it is unknown or at its last.
    pub fn advance(&self, lease_order_no: &str) -> bool {
        let mut s = self.store();
        match s.leases.get_mut(lease_order_no) {
            Some(l) if l.manual + 1 < l.steps.len() => {
                l.manual += 1;
                true
            }
            _ => false,
        }
    }

    pub fn calls(&self) -> Vec<CallRecord> {
        self.store().calls.clone()
    }

    /// How many CREATEs arrived for a `source_no`: a test's proof against duplicates.
    pub fn creates(&self, source_no: &str) -> u32 {
        self.store()
            .creates_by_source_no
            .get(source_no)
            .copied()
            .unwrap_or(0)
    }

    pub fn escrow(&self, house_order_no: &str) -> Option<SecondHandOrderOperateRequest> {
        self.store().escrows.get(house_order_no).cloned()
    }

    fn lease_now(&self, no: &str) -> Option<EtcLeaseOrderDTO> {
        let s = self.store();
        let l = s.leases.get(no)?;
        let by_clock = self
            .cfg
            .advance_every
            .map(|every| (l.born.elapsed().as_secs_f64() / every.as_secs_f64().max(0.001)) as usize)
            .unwrap_or(0);
        let i = l.manual.max(by_clock).min(l.steps.len() - 1);
        Some(l.steps[i].clone())
    }

    /// The gateway's checks, in the order the real one is believed to make them.
    fn check_system(&self, p: &BTreeMap<String, String>) -> Result<(), Value> {
        let need = |k: &str, code: i64, msg: &str| {
            p.get(k)
                .filter(|v| !v.is_empty())
                .ok_or_else(|| top_error(code, msg, None, None))
        };
        need("method", 21, "Missing Method")?;
        let app_key = need("app_key", 28, "Missing App Key")?;
        if *app_key != self.cfg.app_key {
            return Err(top_error(29, "Invalid App Key", None, None));
        }
        need("sign", 24, "Missing Signature")?;
        let ts = need("timestamp", 30, "Missing Timestamp")?;
        let v = need("v", 32, "Missing Version")?;
        if v != "2.0" {
            return Err(top_error(33, "Invalid Version", None, None));
        }
        // TOP's server default is md5 when sign_method is absent; we always send it.
        let method = match p.get("sign_method") {
            None => SignMethod::Md5,
            Some(m) => SignMethod::parse(m).ok_or_else(|| {
                top_error(
                    25,
                    "Invalid Signature",
                    Some("isv.invalid-signature"),
                    Some("unknown sign_method"),
                )
            })?,
        };
        if !verify(p, method, self.cfg.app_secret.expose()) {
            return Err(top_error(25, "Invalid Signature", None, None));
        }
        let sent = NaiveDateTime::parse_from_str(ts, "%Y-%m-%d %H:%M:%S").map_err(|_| {
            top_error(
                31,
                "Invalid Timestamp",
                None,
                Some("expected yyyy-MM-dd HH:mm:ss"),
            )
        })?;
        let now = chrono::Utc::now()
            .with_timezone(&crate::alipay::client::china())
            .naive_local();
        let skew = (now - sent).num_seconds().unsigned_abs();
        if skew > self.cfg.max_clock_skew.as_secs() {
            return Err(top_error(
                31,
                "Invalid Timestamp",
                None,
                Some("timestamp is more than 10 minutes off"),
            ));
        }
        if p.get("format").map(String::as_str) != Some("json") {
            return Err(top_error(
                23,
                "Invalid Format",
                None,
                Some("the sandbox answers format=json only"),
            ));
        }
        if let Some(want) = &self.cfg.session {
            match p.get("session") {
                None => return Err(top_error(26, "Missing Session", None, None)),
                Some(s) if s != want.expose() => {
                    return Err(top_error(
                        27,
                        "Invalid Session",
                        Some("invalid-sessionkey"),
                        Some("session expired or wrong"),
                    ))
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn answer(&self, p: &BTreeMap<String, String>) -> (Value, Option<u64>) {
        if let Err(e) = self.check_system(p) {
            return (e, None);
        }
        let method = p.get("method").cloned().unwrap_or_default();
        let fault = {
            let mut s = self.store();
            if let Some(until) = s.bans.get(&method).copied() {
                let now = Instant::now();
                if until > now {
                    let left = (until - now).as_secs_f64().ceil() as u64;
                    return (ban_answer(left), None);
                }
            }
            let f = s
                .faults
                .get_mut(&method)
                .and_then(|q| (!q.is_empty()).then(|| q.remove(0)));
            if let Some(TopFault::Ban { secs }) = f {
                s.bans
                    .insert(method.clone(), Instant::now() + Duration::from_secs(secs));
                return (ban_answer(secs), None);
            }
            f
        };
        let answer = match method.as_str() {
            LEASE_QUERY => self.lease_query(p),
            OPERATE => self.operate(p),
            _ => top_error(22, "Invalid Method", None, Some("the sandbox serves tmall.alihouse.trade.rent.lease.query and tmall.alihouse.trade.order.second.house.operate")),
        };
        match fault {
            Some(TopFault::IspAfterApply) => (
                top_error(
                    15,
                    "Remote service error",
                    Some("isp.top-remote-connection-timeout"),
                    Some("remote connection timeout"),
                ),
                None,
            ),
            Some(TopFault::HangAfterApply { ms }) => (answer, Some(ms)),
            _ => (answer, None),
        }
    }

    fn lease_query(&self, p: &BTreeMap<String, String>) -> Value {
        let Some(raw) = p.get("querystatusreq") else {
            return top_error(
                40,
                "Missing Required Arguments",
                Some("isv.missing-parameter"),
                Some("querystatusreq"),
            );
        };
        let q: QueryStatusDTO = match serde_json::from_str(raw) {
            Ok(q) => q,
            Err(e) => {
                return top_error(
                    41,
                    "Invalid Arguments",
                    Some("isv.invalid-parameter"),
                    Some(&format!("querystatusreq: {e}")),
                )
            }
        };
        if let Err(e) = q.validate() {
            return top_error(
                41,
                "Invalid Arguments",
                Some("isv.invalid-parameter"),
                Some(&e.to_string()),
            );
        }
        let Some(mut lease) = self.lease_now(&q.lease_order_no) else {
            return business_error("b1001-404", "租约单不存在");
        };
        match q.query_type {
            QueryType::BillsByPhase => lease.bill_dto_list.retain(|b| b.phase == q.phase),
            QueryType::BillsByNumber => {
                let wanted = q.bill_no_list.unwrap_or_default();
                lease.bill_dto_list.retain(|b| wanted.contains(&b.bill_no));
            }
            QueryType::Settlement => lease.bill_dto_list.clear(),
            _ => {}
        }
        if q.query_type != QueryType::Settlement {
            lease.settle_info_list.clear();
        }
        success(&lease)
    }

    fn operate(&self, p: &BTreeMap<String, String>) -> Value {
        let Some(raw) = p.get("operate_request") else {
            return top_error(
                40,
                "Missing Required Arguments",
                Some("isv.missing-parameter"),
                Some("operate_request"),
            );
        };
        let r: SecondHandOrderOperateRequest = match serde_json::from_str(raw) {
            Ok(r) => r,
            Err(e) => {
                return top_error(
                    41,
                    "Invalid Arguments",
                    Some("isv.invalid-parameter"),
                    Some(&format!("operate_request: {e}")),
                )
            }
        };
        let problems = r.problems();
        if !problems.is_empty() {
            return top_error(
                40,
                "Missing Required Arguments",
                Some("isv.missing-parameter"),
                Some(&problems.join("; ")),
            );
        }
        let mut s = self.store();
        let no = match r.operate_type {
            OperateType::Create => {
                let no = format!("HO{:08}", s.next_order);
                s.next_order += 1;
                *s.creates_by_source_no
                    .entry(r.source_no.clone().unwrap_or_default())
                    .or_default() += 1;
                no
            }
            _ => {
                let no = r.house_order_no.clone().unwrap_or_default();
                if !s.escrows.contains_key(&no) {
                    return business_error("4004", "订单不存在");
                }
                no
            }
        };
        let store_id = r.store_id;
        s.escrows.insert(no.clone(), r);
        success(&SecondHandOrderOperateResponse {
            template_id: Some("TPL-fundEscrow".into()),
            buyer_url: Some(format!("https://sandbox.invalid/escrow/{no}/buyer")),
            landlord_url: Some(format!("https://sandbox.invalid/escrow/{no}/landlord")),
            house_order_no: Some(no),
            store_id,
        })
    }
}

fn ban_answer(secs: u64) -> Value {
    top_error(
        7,
        "App Call Limited",
        Some("accesscontrol.limited-by-api-access-count"),
        Some(&format!("This ban will last for {secs} more seconds")),
    )
}

async fn handle(State(sb): State<TopSandbox>, body: axum::body::Bytes) -> Response {
    let params: BTreeMap<String, String> = form_urlencoded::parse(&body).into_owned().collect();
    let (answer, hang) = sb.answer(&params);
    let outcome = match (
        answer.get("error_response"),
        answer["result"]["is_success"].as_bool(),
    ) {
        (Some(e), _) => format!("code {}", e["code"]),
        (None, Some(false)) => format!("business {}", answer["result"]["code"]),
        _ => "ok".into(),
    };
    sb.store().calls.push(CallRecord {
        at: Instant::now(),
        method: params.get("method").cloned().unwrap_or_default(),
        outcome,
    });
    if let Some(ms) = hang {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    Json(answer).into_response()
}

#[derive(Deserialize)]
struct AdvanceReq {
    lease_order_no: String,
}

async fn advance(State(sb): State<TopSandbox>, Json(r): Json<AdvanceReq>) -> Json<Value> {
    let moved = sb.advance(&r.lease_order_no);
    Json(json!({ "advanced": moved, "lease": sb.lease_now(&r.lease_order_no) }))
}

#[derive(Deserialize)]
struct FaultReq {
    method: String,
    #[serde(flatten)]
    fault: TopFault,
}

async fn fault(State(sb): State<TopSandbox>, Json(r): Json<FaultReq>) -> Json<Value> {
    sb.inject(&r.method, r.fault);
    Json(json!({ "queued": true }))
}

async fn state(State(sb): State<TopSandbox>) -> Json<Value> {
    let s = sb.store();
    let calls: BTreeMap<&str, usize> = s.calls.iter().fold(BTreeMap::new(), |mut m, c| {
        *m.entry(c.method.as_str()).or_default() += 1;
        m
    });
    Json(json!({
        "leases": s.leases.keys().collect::<Vec<_>>(),
        "escrow_orders": s.escrows.keys().collect::<Vec<_>>(),
        "calls": calls,
    }))
}
