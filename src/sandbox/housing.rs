//! The `alipay.commerce.housing.*` methods in the sandbox: what the platform checks (every
//! business field a string, required keys, decimal money, known community, attachment and
//! listing ids) and the objects it keeps, so tests compare end states. Adds are counted per
//! `external_id`: the platform may not refuse a second add (spec §9.4), so the sandbox accepts
//! it as a second listing, and a duplicate shows up in `adds` instead of being hidden.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::answer::Answer;
use super::multipart::FilePart;
use crate::plan::rules::image_kind;

/// 5 MB: the old upload's limit, the only published one (spec §5.5).
const MAX_FILE_BYTES: usize = 5 << 20;

/// Fields only `*.add` carries; a `modify` that sends one is refused (spec §4.2).
const HOUSE_ADD_ONLY: [&str; 10] = [
    "external_id",
    "bed_room",
    "living_room",
    "kitchen",
    "bath_room",
    "doorplate_number",
    "construction_year",
    "source_company",
    "house_program_id",
    "page",
];

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StoredListing {
    pub external_id: String,
    /// The apartment of an apartment room.
    pub parent: Option<String>,
    /// Every field as last sent: add, then each modify merged over it.
    pub fields: Map<String, Value>,
    pub online: bool,
    pub modify_calls: u64,
    pub online_calls: u64,
    pub offline_calls: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct HousingStore {
    pub communities: BTreeMap<String, Value>,
    /// `attachment_id` → size in bytes.
    pub attachments: HashMap<String, usize>,
    /// By `housing_id`.
    pub houses: BTreeMap<String, StoredListing>,
    /// By `apartment_id`.
    pub apartments: BTreeMap<String, StoredListing>,
    /// By `apartment_house_id`.
    pub apartment_rooms: BTreeMap<String, StoredListing>,
    /// `house:<external_id>` (or `apartment:`, `apartment_room:`) → add calls accepted.
    pub adds: BTreeMap<String, u64>,
    pub next_id: u64,
}

impl HousingStore {
    fn id(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}{:010}", self.next_id)
    }

    /// The listing with this external id (the newest, if it was added twice).
    pub fn house_by_external(&self, external: &str) -> Option<(&String, &StoredListing)> {
        self.houses
            .iter()
            .rev()
            .find(|(_, h)| h.external_id == external)
    }
}

fn bad(method: &str, msg: String) -> Answer {
    Answer::error(method, "40002", "isv.invalid-parameter", msg)
}

fn missing(method: &str, field: &str) -> Answer {
    Answer::error(
        method,
        "40001",
        "isv.missing-parameter",
        format!("{field}: missing required parameter"),
    )
}

fn not_exist(method: &str, field: &str, what: &str) -> Answer {
    Answer::error(
        method,
        "40004",
        &format!("isv.{what}-not-exist"),
        format!("{field}: no such {what} on the platform"),
    )
}

/// Every business field is a string, a list of strings is a list; only paging is a number.
fn types_ok(method: &str, biz: &Map<String, Value>) -> Result<(), Answer> {
    for (k, v) in biz {
        let ok = match (k.as_str(), v) {
            ("page_num" | "page_size", Value::Number(_)) => true,
            (_, Value::String(_)) => true,
            (_, Value::Array(items)) => items.iter().all(Value::is_string),
            _ => false,
        };
        if !ok {
            return Err(bad(method, format!("{k}: must be a string (got {v})")));
        }
    }
    Ok(())
}

fn text<'a>(biz: &'a Map<String, Value>, k: &str) -> Option<&'a str> {
    biz.get(k).and_then(Value::as_str).filter(|s| !s.is_empty())
}

fn need<'a>(method: &str, biz: &'a Map<String, Value>, k: &str) -> Result<&'a str, Answer> {
    text(biz, k).ok_or_else(|| missing(method, k))
}

/// Yuan as a decimal string with at most two decimals, above zero.
fn money(method: &str, biz: &Map<String, Value>, k: &str) -> Result<(), Answer> {
    let Some(v) = text(biz, k) else {
        return Ok(());
    };
    let (whole, frac) = v.split_once('.').unwrap_or((v, ""));
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(frac) || frac.len() > 2 {
        return Err(bad(method, format!("{k}: {v:?} is not an amount in yuan")));
    }
    if v.parse::<f64>().map_or(true, |x| x <= 0.0) && k != "deposit" {
        return Err(bad(method, format!("{k}: {v:?} must be above 0")));
    }
    Ok(())
}

fn division(method: &str, biz: &Map<String, Value>, k: &str) -> Result<(), Answer> {
    let v = need(method, biz, k)?;
    if v.len() != 6 || !v.chars().all(|c| c.is_ascii_digit()) {
        return Err(bad(
            method,
            format!("{k}: {v:?} is not a 6-digit division code"),
        ));
    }
    Ok(())
}

fn pictures(
    store: &HousingStore,
    method: &str,
    biz: &Map<String, Value>,
    k: &str,
) -> Result<(), Answer> {
    for (i, id) in biz
        .get(k)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        if !id
            .as_str()
            .is_some_and(|id| store.attachments.contains_key(id))
        {
            return Err(not_exist(method, &format!("{k}[{i}]"), "attachment"));
        }
    }
    Ok(())
}

fn merge(into: &mut Map<String, Value>, from: &Map<String, Value>) {
    for (k, v) in from {
        into.insert(k.clone(), v.clone());
    }
}

pub fn apply(
    store: &mut HousingStore,
    method: &str,
    biz: &Value,
    file: Option<&FilePart>,
) -> Answer {
    let empty = Map::new();
    let biz = biz.as_object().unwrap_or(&empty);
    match run(store, method, biz, file) {
        Ok(a) | Err(a) => a,
    }
}

fn run(
    store: &mut HousingStore,
    method: &str,
    biz: &Map<String, Value>,
    file: Option<&FilePart>,
) -> Result<Answer, Answer> {
    types_ok(method, biz)?;
    let short = method.trim_start_matches(crate::alipay::housing::PREFIX);
    super::housing_fields::check(short, biz).map_err(|msg| bad(method, msg))?;
    let ok = |v: Value| Ok(Answer::success(method, v));
    match short {
        "community.add" => {
            need(method, biz, "community_name")?;
            division(method, biz, "city_code")?;
            division(method, biz, "district_code")?;
            if let Some(s) = text(biz, "community_status") {
                if s != "TAKE_EFFECT" && s != "INVALID" {
                    return Err(bad(
                        method,
                        format!("community_status: {s:?} is not TAKE_EFFECT or INVALID"),
                    ));
                }
            }
            let id = store.id("C");
            store
                .communities
                .insert(id.clone(), Value::Object(biz.clone()));
            ok(json!({ "community_id": id }))
        }
        "community.batchquery" => {
            let want = |k: &str, c: &Value| text(biz, k).is_none_or(|w| c[k].as_str() == Some(w));
            let list: Vec<Value> = store
                .communities
                .iter()
                .filter(|(_, c)| {
                    want("city_code", c) && want("district_code", c) && want("community_name", c)
                })
                .map(|(id, c)| {
                    let mut c = c.clone();
                    c["community_id"] = json!(id);
                    c
                })
                .collect();
            ok(json!({ "list": list, "page_num": 1, "page_size": list.len(), "total": list.len() }))
        }
        "community.query" => {
            let id = need(method, biz, "community_id")?;
            match store.communities.get(id) {
                Some(c) => ok(c.clone()),
                None => Err(not_exist(method, "community_id", "community")),
            }
        }
        "file.upload" => {
            need(method, biz, "attachment_category")?;
            need(method, biz, "attachment_type")?;
            let file = file.ok_or_else(|| missing(method, "file_content"))?;
            if file.name != "file_content" {
                return Err(bad(
                    method,
                    format!("{}: unknown file part (file_content)", file.name),
                ));
            }
            if file.bytes.len() > MAX_FILE_BYTES {
                return Err(bad(
                    method,
                    format!(
                        "file_content: {} bytes, above {MAX_FILE_BYTES}",
                        file.bytes.len()
                    ),
                ));
            }
            if image_kind(&file.bytes).is_none() {
                return Err(bad(method, "file_content: not a JPEG or PNG image".into()));
            }
            let id = store.id("A");
            store.attachments.insert(id.clone(), file.bytes.len());
            ok(json!({ "attachment_id": id }))
        }
        "house.rental.add" => {
            let external = need(method, biz, "external_id")?.to_string();
            let community = need(method, biz, "community_id")?;
            if !store.communities.contains_key(community) {
                return Err(not_exist(method, "community_id", "community"));
            }
            need(method, biz, "rent")?;
            money(method, biz, "rent")?;
            money(method, biz, "deposit")?;
            pictures(store, method, biz, "house_pic")?;
            let id = store.id("H");
            *store.adds.entry(format!("house:{external}")).or_default() += 1;
            store.houses.insert(
                id.clone(),
                StoredListing {
                    external_id: external,
                    fields: biz.clone(),
                    ..Default::default()
                },
            );
            ok(json!({ "housing_id": id }))
        }
        "house.rental.modify" => {
            let id = need(method, biz, "housing_id")?.to_string();
            if let Some(k) = HOUSE_ADD_ONLY.iter().find(|k| biz.contains_key(**k)) {
                return Err(bad(method, format!("{k}: cannot be modified (add only)")));
            }
            if let Some(c) = text(biz, "community_id") {
                if !store.communities.contains_key(c) {
                    return Err(not_exist(method, "community_id", "community"));
                }
            }
            money(method, biz, "rent")?;
            money(method, biz, "deposit")?;
            pictures(store, method, biz, "house_pic")?;
            let h = store
                .houses
                .get_mut(&id)
                .ok_or_else(|| not_exist(method, "housing_id", "house"))?;
            merge(&mut h.fields, biz);
            h.modify_calls += 1;
            ok(json!({}))
        }
        "house.rental.query" => {
            let found = match (text(biz, "housing_id"), text(biz, "external_id")) {
                (Some(id), None) => store.houses.get_key_value(id),
                (None, Some(ext)) => store.house_by_external(ext),
                _ => {
                    return Err(bad(
                        method,
                        "housing_id, external_id: exactly one is required".into(),
                    ))
                }
            };
            let (id, h) = found.ok_or_else(|| not_exist(method, "housing_id", "house"))?;
            let mut v = Value::Object(h.fields.clone());
            v["housing_id"] = json!(id);
            ok(v)
        }
        "house.online" | "house.offline" => {
            let id = need(method, biz, "housing_id")?.to_string();
            need(method, biz, "house_source")?;
            let h = store
                .houses
                .get_mut(&id)
                .ok_or_else(|| not_exist(method, "housing_id", "house"))?;
            if short == "house.online" {
                h.online = true;
                h.online_calls += 1;
            } else {
                h.online = false;
                h.offline_calls += 1;
            }
            ok(json!({}))
        }
        "apartment.add" => {
            let external = need(method, biz, "external_id")?.to_string();
            need(method, biz, "apartment_name")?;
            division(method, biz, "province_code")?;
            division(method, biz, "city_code")?;
            division(method, biz, "district_code")?;
            money(method, biz, "rent_start")?;
            money(method, biz, "rent_end")?;
            pictures(store, method, biz, "apartment_img")?;
            let id = store.id("P");
            *store
                .adds
                .entry(format!("apartment:{external}"))
                .or_default() += 1;
            store.apartments.insert(
                id.clone(),
                StoredListing {
                    external_id: external,
                    fields: biz.clone(),
                    ..Default::default()
                },
            );
            ok(json!({ "apartment_id": id }))
        }
        "apartment.modify" => {
            let id = need(method, biz, "apartment_id")?.to_string();
            money(method, biz, "rent_start")?;
            money(method, biz, "rent_end")?;
            pictures(store, method, biz, "apartment_img")?;
            let a = store
                .apartments
                .get_mut(&id)
                .ok_or_else(|| not_exist(method, "apartment_id", "apartment"))?;
            merge(&mut a.fields, biz);
            a.modify_calls += 1;
            ok(json!({}))
        }
        "apartment.query" => {
            let found = match (text(biz, "apartment_id"), text(biz, "external_id")) {
                (Some(id), _) => store.apartments.get_key_value(id),
                (None, Some(ext)) => store
                    .apartments
                    .iter()
                    .rev()
                    .find(|(_, a)| a.external_id == ext),
                _ => return Err(missing(method, "apartment_id")),
            };
            let (id, a) = found.ok_or_else(|| not_exist(method, "apartment_id", "apartment"))?;
            let mut v = Value::Object(a.fields.clone());
            v["apartment_id"] = json!(id);
            ok(v)
        }
        "apartment.online" | "apartment.offline" => {
            let id = need(method, biz, "apartment_id")?.to_string();
            let a = store
                .apartments
                .get_mut(&id)
                .ok_or_else(|| not_exist(method, "apartment_id", "apartment"))?;
            if short == "apartment.online" {
                a.online = true;
                a.online_calls += 1;
            } else {
                a.online = false;
                a.offline_calls += 1;
            }
            ok(json!({}))
        }
        "apartment.rental.add" => {
            let parent = need(method, biz, "apartment_id")?.to_string();
            if !store.apartments.contains_key(&parent) {
                return Err(not_exist(method, "apartment_id", "apartment"));
            }
            let external = need(method, biz, "external_id")?.to_string();
            need(method, biz, "rent")?;
            money(method, biz, "rent")?;
            money(method, biz, "deposit")?;
            let id = store.id("R");
            *store
                .adds
                .entry(format!("apartment_room:{external}"))
                .or_default() += 1;
            store.apartment_rooms.insert(
                id.clone(),
                StoredListing {
                    external_id: external,
                    parent: Some(parent),
                    fields: biz.clone(),
                    ..Default::default()
                },
            );
            ok(json!({ "apartment_house_id": id }))
        }
        "apartment.rental.modify" => {
            let id = need(method, biz, "apartment_house_id")?.to_string();
            for k in ["apartment_id", "external_id", "doorplate_number"] {
                if biz.contains_key(k) {
                    return Err(bad(method, format!("{k}: cannot be modified (add only)")));
                }
            }
            money(method, biz, "rent")?;
            money(method, biz, "deposit")?;
            let r = store
                .apartment_rooms
                .get_mut(&id)
                .ok_or_else(|| not_exist(method, "apartment_house_id", "apartment-house"))?;
            merge(&mut r.fields, biz);
            r.modify_calls += 1;
            ok(json!({}))
        }
        "apartment.rental.query" => {
            let found = match (text(biz, "apartment_house_id"), text(biz, "external_id")) {
                (Some(id), _) => store.apartment_rooms.get_key_value(id),
                (None, Some(ext)) => store
                    .apartment_rooms
                    .iter()
                    .rev()
                    .find(|(_, r)| r.external_id == ext),
                _ => return Err(missing(method, "apartment_house_id")),
            };
            let (id, r) =
                found.ok_or_else(|| not_exist(method, "apartment_house_id", "apartment-house"))?;
            let mut v = Value::Object(r.fields.clone());
            v["apartment_house_id"] = json!(id);
            ok(v)
        }
        _ => Err(Answer::error(
            method,
            "40002",
            "isv.invalid-method",
            format!("method: {method} is not served"),
        )),
    }
}
