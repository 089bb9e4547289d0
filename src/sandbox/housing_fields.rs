//! The housing family's field formats, as the sandbox holds every add and modify to them: dates
//! `yyyy-MM-dd`, areas as m² decimals, ranges in order, orientation one of the ten the family
//! names, the lift as 有/无, the floor band an upper-case code, lists bounded, and the fields the
//! family deleted (spec §2.4.4) refused. The SDK publishes no more than that; what it leaves
//! open (status words, rent units) is the tenant's configuration and is not judged here.

use serde_json::{Map, Value};

use crate::source::ORIENTATIONS;

/// Items a list field may hold: no limit is published; this keeps a runaway list visible.
const MAX_LIST: usize = 50;

fn text<'a>(biz: &'a Map<String, Value>, k: &str) -> Option<&'a str> {
    biz.get(k).and_then(Value::as_str).filter(|s| !s.is_empty())
}

fn decimal(biz: &Map<String, Value>, k: &str) -> Result<Option<f64>, String> {
    let Some(v) = text(biz, k) else {
        return Ok(None);
    };
    match crate::plan::rules::parse_decimal(v) {
        Some(x) => Ok(Some(x)),
        None => Err(format!("{k}: {v:?} is not a decimal with at most 2 places")),
    }
}

fn date(biz: &Map<String, Value>, k: &str) -> Result<(), String> {
    let Some(v) = text(biz, k) else {
        return Ok(());
    };
    match chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d") {
        Ok(_) if v.len() == 10 => Ok(()),
        _ => Err(format!("{k}: {v:?} is not a date yyyy-MM-dd")),
    }
}

fn ordered(biz: &Map<String, Value>, low: &str, high: &str) -> Result<(), String> {
    if let (Some(l), Some(h)) = (decimal(biz, low)?, decimal(biz, high)?) {
        if l > h {
            return Err(format!("{high}: below {low}"));
        }
    }
    Ok(())
}

fn common(biz: &Map<String, Value>) -> Result<(), String> {
    if let Some(o) = text(biz, "orientation") {
        if !ORIENTATIONS.contains(&o) {
            return Err(format!(
                "orientation: {o:?} is not one of {}",
                ORIENTATIONS.join(" ")
            ));
        }
    }
    for (k, v) in biz {
        if let Some(items) = v.as_array() {
            if items.len() > MAX_LIST {
                return Err(format!("{k}: {} items, at most {MAX_LIST}", items.len()));
            }
        }
    }
    Ok(())
}

/// The format rules of one housing add or modify (`short` without the family prefix).
pub fn check(short: &str, biz: &Map<String, Value>) -> Result<(), String> {
    match short {
        "house.rental.add" | "house.rental.modify" => {
            common(biz)?;
            date(biz, "listing_date")?;
            date(biz, "check_in_time")?;
            decimal(biz, "constructed_area")?;
            decimal(biz, "internal_area")?;
            if let Some(e) = text(biz, "elevator") {
                if e != "有" && e != "无" {
                    return Err(format!("elevator: {e:?} is not 有 or 无"));
                }
            }
            if let Some(f) = text(biz, "floor_range") {
                if !f.bytes().all(|b| b.is_ascii_uppercase() || b == b'_') {
                    return Err(format!("floor_range: {f:?} is not a code such as LOW"));
                }
            }
            if text(biz, "doorplate_number").is_some_and(|d| d.chars().count() > 64) {
                return Err("doorplate_number: longer than 64 characters".into());
            }
            Ok(())
        }
        "apartment.add" | "apartment.modify" => {
            common(biz)?;
            for k in [
                "housing_type",
                "intentional_application",
                "qualification_requirements",
            ] {
                if biz.contains_key(k) {
                    return Err(format!("{k}: the field was deleted"));
                }
            }
            ordered(biz, "rent_start", "rent_end")?;
            ordered(biz, "usable_area_start", "usable_area_end")
        }
        "apartment.rental.add" | "apartment.rental.modify" => {
            common(biz)?;
            if short == "apartment.rental.add" && biz.contains_key("verification_code") {
                return Err("verification_code: the field is deprecated on add".into());
            }
            date(biz, "check_in_time")?;
            decimal(biz, "internal_area").map(drop)
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn housing_fields_are_held_to_their_formats() {
        let ok = obj(
            json!({"orientation": "南北", "elevator": "有", "floor_range": "LOW",
            "listing_date": "2026-10-01", "constructed_area": "90.55"}),
        );
        assert_eq!(check("house.rental.add", &ok), Ok(()));
        for (k, v) in [
            ("orientation", "上"),
            ("elevator", "yes"),
            ("floor_range", "low"),
            ("listing_date", "2026-1-1"),
            ("internal_area", "70.234"),
        ] {
            let bad = obj(json!({ k: v }));
            let e = check("house.rental.modify", &bad).expect_err(k);
            assert!(e.starts_with(k), "{e}");
        }
        let range = obj(json!({"usable_area_start": "40.00", "usable_area_end": "30.00"}));
        assert!(check("apartment.modify", &range).is_err());
        let deleted = obj(json!({"housing_type": "x"}));
        assert!(check("apartment.add", &deleted).is_err());
    }
}
