//! The optional columns of the views (docs/SOURCE_CONTRACT.md, "Optional columns") → a
//! [`ListingDetails`]. A view may leave any of them out: the reader asks for the ones the view
//! has ([`super::optional`]) and a missing one reads as NULL, so a view written before these
//! columns existed keeps working unchanged.
//!
//! Rules that belong to the value, not to a platform field (a date that is no date, an
//! orientation the housing family does not name, a URL that is not http(s)), are checked here and
//! name the column, its value and the rule. Ranges of fields the renthouse family carries are
//! the platform's rules (`crate::plan::rules`), checked on the payload like every other field.

use chrono::NaiveDate;

use super::row::Reader;
use crate::model::{Commission, FlatsTag, ListingDetails, Money};

/// Optional columns of both views, in the order of the contract.
pub const COMMON: &[&str] = &[
    "pay_type",
    "fee_remark",
    "max_lease_date",
    "min_rent_days",
    "free_deposit_begin",
    "free_deposit_end",
    "commission_centi",
    "commission_type",
    "room_store_no",
    "detail_address",
    "features",
    "video",
    "orientation",
    "decoration",
    "elevator",
    "floor_type",
    "listing_date",
    "tags",
];
pub const DISPERSION: &[&str] = &["flat_building", "flat_unit", "room_num", "flat_configs"];
pub const CONCENTRATION: &[&str] = &["max_deposit_fen", "room_max_area_centi"];

/// The optional columns a view of `kind` may have.
pub fn columns(kind: FlatsTag) -> Vec<&'static str> {
    let own = match kind {
        FlatsTag::Dispersion => DISPERSION,
        FlatsTag::Concentration => CONCENTRATION,
    };
    COMMON.iter().chain(own).copied().collect()
}

/// The ten orientations the housing family names (spec §4.2, `orientation`).
pub const ORIENTATIONS: [&str; 10] = [
    "东", "南", "西", "北", "东南", "东北", "西南", "西北", "南北", "东西",
];
/// Most tags (and features) one listing may have, and their length: the platform publishes no
/// limit, so this bounds what an operator's row can make us send.
pub const MAX_TAGS: usize = 20;
pub const MAX_TAG_CHARS: usize = 32;
const MAX_URL_CHARS: usize = 1024;
const MAX_DOOR_CHARS: usize = 32;

/// A value as a rule break shows it: quoted, and cut at 40 characters, so a runaway value from
/// the operator's database never makes a runaway message.
fn shown(s: &str) -> String {
    let mut cut: String = s.chars().take(40).collect();
    if cut.len() < s.len() {
        cut.push('…');
    }
    format!("{cut:?}")
}

impl Reader<'_> {
    fn opt_text(&mut self, col: &str) -> Option<String> {
        self.has(col).then(|| self.text(col)).flatten()
    }

    fn opt_int(&mut self, col: &str) -> Option<i64> {
        self.has(col).then(|| self.int(col)).flatten()
    }

    fn opt_money(&mut self, col: &str) -> Option<Money> {
        self.has(col).then(|| self.money(col)).flatten()
    }

    fn opt_date(&mut self, col: &str) -> Option<NaiveDate> {
        let s = self.opt_text(col)?;
        match NaiveDate::parse_from_str(&s, "%Y-%m-%d") {
            Ok(d) if s.len() == 10 => Some(d),
            _ => {
                self.break_at(col, format!("{} is not a date YYYY-MM-DD", shown(&s)));
                None
            }
        }
    }

    /// A comma-separated list of short words, bounded in count and length.
    fn opt_words(&mut self, col: &str, max: usize, max_chars: usize) -> Vec<String> {
        if !self.has(col) {
            return Vec::new();
        }
        let words = self.list(col, ',');
        if words.len() > max {
            self.break_at(
                col,
                format!("{} items: at most {max} are allowed", words.len()),
            );
        }
        if let Some(w) = words.iter().find(|w| w.chars().count() > max_chars) {
            self.break_at(
                col,
                format!("{} is longer than {max_chars} characters", shown(w)),
            );
        }
        words
    }

    fn opt_url(&mut self, col: &str) -> Option<String> {
        let s = self.opt_text(col)?;
        let scheme = s.starts_with("https://") || s.starts_with("http://");
        if !scheme || s.chars().count() > MAX_URL_CHARS || s.contains(char::is_whitespace) {
            self.break_at(
                col,
                format!(
                    "{} must be an http(s) URL of at most {MAX_URL_CHARS} characters",
                    shown(&s)
                ),
            );
        }
        Some(s)
    }

    fn opt_short(&mut self, col: &str, max_chars: usize) -> Option<String> {
        let s = self.opt_text(col)?;
        if s.chars().count() > max_chars {
            self.break_at(
                col,
                format!("{} is longer than {max_chars} characters", shown(&s)),
            );
        }
        Some(s)
    }
}

fn commission(r: &mut Reader) -> Option<Commission> {
    let value = r.opt_int("commission_centi");
    let kind = r.opt_text("commission_type");
    match (value, kind.as_deref()) {
        (None, None) => None,
        (Some(v), Some("p")) if (0..=10_000).contains(&v) => Some(Commission::PercentCenti(v)),
        (Some(v), Some("p")) => {
            r.break_at(
                "commission_centi",
                format!("{v} is not a percentage × 100 from 0 to 10000 (commission_type = p)"),
            );
            None
        }
        (Some(v), Some("m")) if v >= 0 => Some(Commission::Amount(Money(v))),
        (Some(v), Some("m")) => {
            r.break_at(
                "commission_centi",
                format!("{v} is negative: amounts in fen (分) must be 0 or more"),
            );
            None
        }
        (_, Some(k)) if k != "p" && k != "m" => {
            r.break_at(
                "commission_type",
                format!("{} must be p (percentage) or m (amount)", shown(k)),
            );
            None
        }
        (Some(v), None) => {
            r.break_at(
                "commission_type",
                format!("NULL while commission_centi = {v}: give p (percentage) or m (amount)"),
            );
            None
        }
        (None, Some(k)) => {
            r.break_at(
                "commission_centi",
                format!(
                    "NULL while commission_type = {}: give the commission",
                    shown(k)
                ),
            );
            None
        }
        _ => None,
    }
}

fn orientation(r: &mut Reader) -> Option<String> {
    let s = r.opt_text("orientation")?;
    if !ORIENTATIONS.contains(&s.as_str()) {
        r.break_at(
            "orientation",
            format!("{} must be one of {}", shown(&s), ORIENTATIONS.join(" ")),
        );
    }
    Some(s)
}

fn floor_band(r: &mut Reader) -> Option<String> {
    let s = r.opt_text("floor_type")?;
    let code = s.len() <= 32 && s.bytes().all(|b| b.is_ascii_uppercase() || b == b'_');
    if !code {
        r.break_at(
            "floor_type",
            format!(
                "{} must be an upper-case code such as LOW, MIDDLE or HIGH",
                shown(&s)
            ),
        );
    }
    Some(s)
}

fn elevator(r: &mut Reader) -> Option<bool> {
    match r.opt_int("elevator")? {
        0 => Some(false),
        1 => Some(true),
        v => {
            r.break_at("elevator", format!("{v} must be 0 (none) or 1 (a lift)"));
            None
        }
    }
}

/// Reads the optional columns a row has; breaks go to the reader, named by column.
pub(super) fn read(r: &mut Reader, kind: FlatsTag) -> ListingDetails {
    let mut d = ListingDetails {
        pay_type: r.opt_int("pay_type"),
        fee_remark: r.opt_text("fee_remark"),
        lease_until: r.opt_date("max_lease_date"),
        min_rent_days: r.opt_int("min_rent_days"),
        free_deposit_from: r.opt_date("free_deposit_begin"),
        free_deposit_until: r.opt_date("free_deposit_end"),
        commission: commission(r),
        store_no: r.opt_short("room_store_no", 64),
        detail_url: r.opt_url("detail_address"),
        features: r.opt_words("features", MAX_TAGS, MAX_TAG_CHARS),
        video_url: r.opt_url("video"),
        orientation: orientation(r),
        decoration: r.opt_short("decoration", 32),
        elevator: elevator(r),
        floor_band: floor_band(r),
        listing_date: r.opt_date("listing_date"),
        tags: r.opt_words("tags", MAX_TAGS, MAX_TAG_CHARS),
        ..Default::default()
    };
    match kind {
        FlatsTag::Dispersion => {
            d.building_no = r.opt_short("flat_building", MAX_DOOR_CHARS);
            d.unit_no = r.opt_short("flat_unit", MAX_DOOR_CHARS);
            d.door_no = r.opt_short("room_num", MAX_DOOR_CHARS);
            d.flat_configs = r.opt_words("flat_configs", 32, 32);
        }
        FlatsTag::Concentration => {
            d.max_deposit = r.opt_money("max_deposit_fen");
            d.max_area_centi = r.opt_int("room_max_area_centi");
        }
    }
    d
}

#[cfg(test)]
mod tests {
    use super::shown;

    #[test]
    fn a_runaway_value_is_cut_in_the_message() {
        assert_eq!(shown("南"), "\"南\"");
        let long = "装".repeat(10_000);
        let s = shown(&long);
        assert_eq!(s.chars().count(), 43, "{s}");
        assert!(s.ends_with("…\""));
    }
}
