//! The small vocabulary every platform rule is written in: read one field of a `biz_content`
//! object, check its type and range, and record a [`Violation`] naming the field and the rule.
//!
//! Each reader returns the value when it is present and well-typed, so cross-field rules
//! (one-of, floor ≤ total floors) can build on what was already read without re-parsing.

use chrono::NaiveDate;
use serde_json::{Map, Value};

/// One broken rule: which field, what the rule says, and the platform's answer for it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Violation {
    pub field: String,
    pub rule: String,
    pub code: &'static str,
    pub sub_code: &'static str,
}

impl Violation {
    pub fn missing(field: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            rule: "is required".into(),
            code: "40001",
            sub_code: "isv.missing-parameter",
        }
    }

    pub fn invalid(field: impl Into<String>, rule: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            rule: rule.into(),
            code: "40002",
            sub_code: "isv.invalid-parameter",
        }
    }

    /// The platform's human text for this break: field first, so logs group well.
    pub fn message(&self) -> String {
        format!("{}: {}", self.field, self.rule)
    }
}

/// Reads fields of one JSON object (a `biz_content` or an element of a nested list).
pub struct Fields<'a> {
    obj: &'a Map<String, Value>,
    prefix: String,
    pub out: Vec<Violation>,
}

impl<'a> Fields<'a> {
    pub fn new(obj: &'a Map<String, Value>) -> Self {
        Self {
            obj,
            prefix: String::new(),
            out: Vec::new(),
        }
    }

    fn nested(obj: &'a Map<String, Value>, prefix: String) -> Self {
        Self {
            obj,
            prefix,
            out: Vec::new(),
        }
    }

    pub fn name(&self, field: &str) -> String {
        format!("{}{}", self.prefix, field)
    }

    pub fn has(&self, field: &str) -> bool {
        self.get(field).is_some()
    }

    /// A present, non-null, non-empty-string value.
    fn get(&self, field: &str) -> Option<&'a Value> {
        match self.obj.get(field) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.is_empty() => None,
            Some(v) => Some(v),
        }
    }

    pub fn invalid(&mut self, field: &str, rule: impl Into<String>) {
        self.out.push(Violation::invalid(self.name(field), rule));
    }

    pub fn push(&mut self, v: Violation) {
        self.out.push(v);
    }

    fn present(&mut self, field: &str, required: bool) -> Option<&'a Value> {
        let v = self.get(field);
        if v.is_none() && required {
            self.out.push(Violation::missing(self.name(field)));
        }
        v
    }

    /// A JSON string, at most `max_chars` characters (counted as characters, not bytes: 400 汉字 fit).
    pub fn string(&mut self, field: &str, required: bool, max_chars: usize) -> Option<&'a str> {
        match self.present(field, required)? {
            Value::String(s) if s.chars().count() <= max_chars => Some(s),
            Value::String(_) => {
                self.invalid(field, format!("must be at most {max_chars} characters"));
                None
            }
            _ => {
                self.invalid(field, "must be a JSON string");
                None
            }
        }
    }

    /// A key the SDK declares Long but integrations send as a string: either is accepted.
    pub fn key(&mut self, field: &str, required: bool, max_chars: usize) -> Option<String> {
        match self.present(field, required)? {
            Value::String(s) if s.chars().count() <= max_chars => Some(s.clone()),
            Value::Number(n) if n.is_u64() => Some(n.to_string()),
            _ => {
                self.invalid(
                    field,
                    format!("must be a string of at most {max_chars} characters or an integer"),
                );
                None
            }
        }
    }

    /// A JSON integer within `min..=max`.
    pub fn int(&mut self, field: &str, required: bool, min: i64, max: i64) -> Option<i64> {
        let v = self.present(field, required)?;
        match v.as_i64() {
            Some(n) if (min..=max).contains(&n) => Some(n),
            Some(_) => {
                self.invalid(field, format!("must be between {min} and {max}"));
                None
            }
            None => {
                self.invalid(field, "must be a JSON integer");
                None
            }
        }
    }

    /// A JSON integer out of a published enumeration.
    pub fn int_enum(&mut self, field: &str, required: bool, allowed: &[i64]) -> Option<i64> {
        let v = self.present(field, required)?;
        match v.as_i64() {
            Some(n) if allowed.contains(&n) => Some(n),
            Some(_) => {
                self.invalid(field, format!("must be one of {allowed:?}"));
                None
            }
            None => {
                self.invalid(field, "must be a JSON integer");
                None
            }
        }
    }

    /// A string out of a published enumeration.
    pub fn str_enum(&mut self, field: &str, required: bool, allowed: &[&str]) -> Option<&'a str> {
        let s = self.string(field, required, 64)?;
        if allowed.contains(&s) {
            Some(s)
        } else {
            self.invalid(field, format!("must be one of {allowed:?}"));
            None
        }
    }

    /// Yuan or m² as a decimal string with at most two decimals, within `min..=max`.
    pub fn decimal(&mut self, field: &str, required: bool, min: f64, max: f64) -> Option<f64> {
        let s = self.string(field, required, 32)?;
        match parse_decimal(s) {
            Some(x) if x >= min && x <= max => Some(x),
            _ => {
                self.invalid(
                    field,
                    format!("must be a decimal string from {min:.2} to {max:.2} with at most 2 decimals"),
                );
                None
            }
        }
    }

    /// A `YYYY-MM-DD` date string.
    pub fn date(&mut self, field: &str, required: bool) -> Option<NaiveDate> {
        let s = self.string(field, required, 10)?;
        match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            Ok(d) if s.len() == 10 => Some(d),
            _ => {
                self.invalid(field, "must be a date YYYY-MM-DD");
                None
            }
        }
    }

    /// A `yyyy-MM-dd HH:mm:ss` time string (`HH:mm` accepted where the platform shows minutes only).
    pub fn datetime(&mut self, field: &str, required: bool) -> Option<&'a str> {
        let s = self.string(field, required, 19)?;
        let ok = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").is_ok()
            || chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").is_ok();
        if ok {
            Some(s)
        } else {
            self.invalid(field, "must be a time yyyy-MM-dd HH:mm:ss");
            None
        }
    }

    /// A JSON array of strings, `min..=max` long, each at most `max_chars`.
    pub fn string_list(
        &mut self,
        field: &str,
        required: bool,
        min: usize,
        max: usize,
    ) -> Option<Vec<&'a str>> {
        let v = self.present(field, required)?;
        let Some(items) = v.as_array() else {
            self.invalid(field, "must be a JSON array of strings");
            return None;
        };
        let strings: Option<Vec<&str>> = items.iter().map(Value::as_str).collect();
        match strings {
            None => {
                self.invalid(field, "must be a JSON array of strings");
                None
            }
            Some(s) if s.len() < min || s.len() > max => {
                self.invalid(field, format!("must hold {min} to {max} items"));
                None
            }
            Some(s) => Some(s),
        }
    }

    /// A JSON array of objects, at most `max` long; `each` checks one element.
    pub fn object_list(
        &mut self,
        field: &str,
        required: bool,
        min: usize,
        max: usize,
        mut each: impl FnMut(&mut Fields<'a>),
    ) -> Option<usize> {
        let v = self.present(field, required)?;
        let Some(items) = v.as_array() else {
            self.invalid(field, "must be a JSON array of objects");
            return None;
        };
        if items.len() < min || items.len() > max {
            self.invalid(field, format!("must hold {min} to {max} items"));
            return None;
        }
        for (i, item) in items.iter().enumerate() {
            let Some(obj) = item.as_object() else {
                self.invalid(&format!("{field}[{i}]"), "must be a JSON object");
                continue;
            };
            let mut inner = Fields::nested(obj, format!("{}{field}[{i}].", self.prefix));
            each(&mut inner);
            self.out.append(&mut inner.out);
        }
        Some(items.len())
    }

    /// A JSON boolean.
    pub fn boolean(&mut self, field: &str, required: bool) -> Option<bool> {
        let v = self.present(field, required)?;
        match v.as_bool() {
            Some(b) => Some(b),
            None => {
                self.invalid(field, "must be true or false");
                None
            }
        }
    }

    /// Exactly one rule for "give at least one of these".
    pub fn one_of(&mut self, fields: &[&str]) {
        if !fields.iter().any(|f| self.has(f)) {
            let names: Vec<String> = fields.iter().map(|f| self.name(f)).collect();
            self.out.push(Violation {
                field: names.join("|"),
                rule: "one of these is required".into(),
                code: "40001",
                sub_code: "isv.missing-parameter",
            });
        }
    }
}

/// `"2500"`, `"2500.5"`, `"2500.50"`; not `"2500.505"`, `"1e3"`, `" 12"` or `"-1"`.
pub fn parse_decimal(s: &str) -> Option<f64> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() || !digits(int) || !digits(frac) || frac.len() > 2 || s.ends_with('.') {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_allow_at_most_two_places() {
        assert_eq!(parse_decimal("2500"), Some(2500.0));
        assert_eq!(parse_decimal("2500.5"), Some(2500.5));
        assert_eq!(parse_decimal("0.05"), Some(0.05));
        for bad in ["2500.505", "1e3", " 12", "-1", "12.", ".5", "", "1,000"] {
            assert_eq!(parse_decimal(bad), None, "{bad}");
        }
    }
}
