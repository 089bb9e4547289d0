//! What each renthouse method does once its payload passed the rules: the platform's business
//! checks (known community, images it issued, a room that exists) and the state it keeps.

use base64::Engine;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::answer::Answer;
use super::store::{room_key, Store, StoredBill, StoredImage, StoredOperator, StoredRoom};
use crate::plan::rules::image_kind;

/// The host of issued image URLs: `.invalid` can never resolve, so nothing leaves the machine.
const IMAGE_HOST: &str = "http://ecopublic-sandbox.invalid";

pub fn apply(store: &mut Store, app_id: &str, method: &str, biz: &Value, today: &str) -> Answer {
    let short = method.trim_start_matches("alipay.eco.renthouse.");
    let text = |f: &str| biz.get(f).and_then(Value::as_str).map(str::to_string);
    let int = |f: &str| biz.get(f).and_then(Value::as_i64);
    match short {
        "ka.baseinfo.sync" => match text("ka_code") {
            Some(code) => match store
                .operators
                .get_mut(&code)
                .filter(|o| o.app_id == app_id)
            {
                Some(op) => {
                    if let Some(name) = text("ka_name") {
                        op.ka_name = name;
                    }
                    Answer::success(method, json!({ "ka_code": code }))
                }
                None => unknown(method, "ka_code", "operator"),
            },
            None => {
                let code = ka_code(store.next_id());
                let op = StoredOperator {
                    ka_name: text("ka_name").unwrap_or_default(),
                    app_id: app_id.to_string(),
                    ..Default::default()
                };
                store.operators.insert(code.clone(), op);
                Answer::success(method, json!({ "ka_code": code }))
            }
        },
        "ka.baseinfo.query" => {
            let op = text("ka_code").and_then(|c| store.operators.get(&c).map(|o| (c, o)));
            match op.filter(|(_, o)| o.app_id == app_id) {
                Some((code, op)) => Answer::success(
                    method,
                    json!({ "ka_code": code, "ka_name": op.ka_name, "valid": "1" }),
                ),
                None => unknown(method, "ka_code", "operator"),
            }
        }
        "ka.service.create" => match text("ka_code")
            .and_then(|c| store.operators.get_mut(&c))
            .filter(|o| o.app_id == app_id)
        {
            Some(op) => {
                op.services.insert(
                    int("type").unwrap_or(0),
                    text("address").unwrap_or_default(),
                );
                Answer::success(method, json!({}))
            }
            None => unknown(method, "ka_code", "operator"),
        },
        "community.info.sync" => {
            // Observed live: ids are numeric strings and status came back as a JSON string.
            let id = (1000 + store.next_id()).to_string();
            store.communities.insert(id.clone(), biz.clone());
            Answer::success(method, json!({ "comm_req_id": id, "status": "1" }))
        }
        "community.baseinfo.sync" => {
            if let Some(code) = text("community_code") {
                store.community_codes.insert(code);
            }
            Answer::success(method, json!({}))
        }
        "common.image.upload" => upload(store, app_id, method, biz, today),
        "room.dispersion.sync" => room_sync(store, method, biz, 1),
        "room.concentration.sync" => room_sync(store, method, biz, 2),
        "room.state.sync" => {
            let code = text("room_code").unwrap_or_default();
            let tag = int("flats_tag").unwrap_or(1);
            match store.rooms.get_mut(&room_key(tag, &code)) {
                Some(room) => {
                    room.room_status = int("room_status").unwrap_or(room.room_status);
                    room.rent_status = int("rent_status").unwrap_or(room.rent_status);
                    room.state_calls += 1;
                    Answer::success(method, json!({}))
                }
                None => unknown(method, "room_code", "room"),
            }
        }
        "reservation.feedback.sync" => {
            let no = text("reservation_no").unwrap_or_default();
            let before = store
                .reservations
                .get(&no)
                .and_then(|r| r["reserve_status"].as_str());
            // Spec §2.8: CANCEL only after a SUCCESS.
            if text("reserve_status").as_deref() == Some("CANCEL") && before != Some("SUCCESS") {
                return Answer::error(
                    method,
                    "40004",
                    "isv.reserve-status-invalid",
                    "reserve_status: CANCEL is allowed only after SUCCESS",
                );
            }
            store.reservations.insert(no, biz.clone());
            Answer::success(method, json!({}))
        }
        "lease.order.sync" => {
            store
                .leases
                .insert(text("lease_code").unwrap_or_default(), biz.clone());
            Answer::success(method, json!({}))
        }
        "lease.state.sync" => match text("lease_code").and_then(|c| store.leases.get_mut(&c)) {
            Some(lease) => {
                lease["lease_status"] = json!(int("lease_status"));
                Answer::success(method, json!({}))
            }
            None => unknown(method, "lease_code", "lease"),
        },
        "bill.order.sync" => bill_push(store, method, biz),
        "bill.order.download" | "renter.idinfo.query" | "renter.zhima.query" => {
            Answer::success(method, json!({ "status_value": "1" }))
        }
        _ => Answer::success(method, json!({})),
    }
}

fn upload(store: &mut Store, app_id: &str, method: &str, biz: &Value, today: &str) -> Answer {
    let b64: String = biz["file_base"]
        .as_str()
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    // The rules already proved this decodes; an error here would be a sandbox bug.
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap_or_default();
    let kind = image_kind(&bytes).unwrap_or("html");
    // A new URL on every call, as on the platform: a retried upload leaves an orphan.
    let digest = Sha256::digest(&bytes);
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    let url = format!(
        "{IMAGE_HOST}/eco/renthouse/{app_id}/{today}/1/{hex}{:03}.{kind}",
        store.next_id() % 1000
    );
    store.images.insert(
        url.clone(),
        StoredImage {
            bytes: bytes.len(),
            kind: kind.into(),
        },
    );
    Answer::success(method, json!({ "url": url }))
}

fn room_sync(store: &mut Store, method: &str, biz: &Value, flats_tag: i64) -> Answer {
    // Seed guide 1.6: "房源同步接口中的小区编码必须在平台中存在".
    let code = biz["community_code"].as_str();
    let req = biz["comm_req_id"].as_str();
    if !store.knows_community(code, req) {
        let field = if code.is_some() {
            "community_code"
        } else {
            "comm_req_id"
        };
        return unknown(method, field, "community");
    }
    let images: Vec<String> = biz["images"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    if let Some(i) = images.iter().position(|u| !store.images.contains_key(u)) {
        return Answer::error(
            method,
            "40004",
            "isv.image-not-exist",
            format!("images[{i}]: not an image uploaded with common.image.upload"),
        );
    }
    let room_code = match &biz["room_code"] {
        Value::Number(n) => n.to_string(),
        v => v.as_str().unwrap_or_default().to_string(),
    };
    let key = room_key(flats_tag, &room_code);
    let (room_calls, state_calls) = store
        .rooms
        .get(&key)
        .map_or((0, 0), |r| (r.room_calls, r.state_calls));
    store.rooms.insert(
        key,
        StoredRoom {
            room_code,
            flats_tag,
            biz_content: biz.clone(),
            room_status: biz["room_status"].as_i64().unwrap_or(0),
            rent_status: biz["rent_status"].as_i64().unwrap_or(1),
            images,
            room_calls: room_calls + 1,
            state_calls,
        },
    );
    Answer::success(method, json!({}))
}

/// A push answered by `trade_id`: a repeat gets the first answer and stores nothing; a new one
/// needs every bill's lease on the platform and stores the bills.
fn bill_push(store: &mut Store, method: &str, biz: &Value) -> Answer {
    let trade_id = biz["trade_id"].as_str().unwrap_or_default().to_string();
    if let Some(first) = store.bill_pushes.get(&trade_id) {
        store.bill_repeats += 1;
        return Answer::success(method, first.clone());
    }
    let bills: Vec<&Value> = biz["bills"].as_array().into_iter().flatten().collect();
    for (i, b) in bills.iter().enumerate() {
        let lease = b["lease_no"].as_str().unwrap_or_default();
        if !store.leases.contains_key(lease) {
            return unknown(method, &format!("bills[{i}].lease_no"), "lease");
        }
    }
    let mut list = Vec::with_capacity(bills.len());
    for b in bills {
        let no = b["bill_no"].as_str().unwrap_or_default().to_string();
        let pushes = store.bills.get(&no).map_or(0, |s| s.pushes);
        store.bills.insert(
            no.clone(),
            StoredBill {
                bill: b.clone(),
                pushes: pushes + 1,
                trade_id: trade_id.clone(),
            },
        );
        list.push(json!({ "billNo": no, "status": "1" }).to_string());
    }
    let answer = json!({ "result_bill_list": list });
    store.bill_pushes.insert(trade_id, answer.clone());
    Answer::success(method, answer)
}

fn unknown(method: &str, field: &str, what: &str) -> Answer {
    Answer::error(
        method,
        "40004",
        match what {
            "community" => "isv.community-not-exist",
            "room" => "isv.room-not-exist",
            "lease" => "isv.lease-not-exist",
            _ => "isv.ka-not-exist",
        },
        format!("{field}: no such {what} on the platform"),
    )
}

/// 17 letters and digits, like the `aMNjHqSxnNLVDIcfE` seen live.
fn ka_code(n: u64) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let x = Sha256::digest(n.to_be_bytes());
    let mut out = String::with_capacity(17);
    for b in &x[..17] {
        out.push(ALPHABET[*b as usize % ALPHABET.len()] as char);
    }
    out
}
