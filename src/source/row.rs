//! One row of a contract view → a [`Listing`]. Conversion is lenient on purpose: a value that
//! cannot be read becomes a rule break on that room (named by field), never an error that would
//! stop the feed for every other room.

use chrono::NaiveDate;
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::model::{
    Community, CommunityRef, ConcentrationRoom, DispersionRoom, Division, FlatsTag, Layout, Money,
    Place, RentStatus, Room, RoomState, SharedBedroom,
};
use crate::plan::rules::Violation;
use crate::plan::Listing;

/// Columns both views share, in the order of `docs/SOURCE_CONTRACT.md`.
pub const COMMON_COLUMNS: &str = "room_code, community_key, community_name, city_code, city_name, \
    district_code, district_name, address, lng_e6, lat_e6, community_code, bedrooms, parlors, toilets, \
    room_area_centi, rent_fen, deposit_fen, checkin_date, intro, room_configs, owners_tel, photos, \
    on_shelf, rented, active, updated_at_us";

pub const DISPERSION_COLUMNS: &str =
    "rent_type, room_name, room_face, flat_area_centi, floor, total_floors, owners_name";
pub const CONCENTRATION_COLUMNS: &str = "nickname, max_rent_fen, room_numbers, can_rent";

/// Reads columns, collecting breaks instead of failing.
pub(super) struct Reader<'a> {
    row: &'a AnyRow,
    pub(super) breaks: Vec<Violation>,
}

impl<'a> Reader<'a> {
    pub(super) fn new(row: &'a AnyRow) -> Self {
        Self {
            row,
            breaks: Vec::new(),
        }
    }

    /// Whether the view has this column: optional columns a view leaves out read as NULL.
    pub(super) fn has(&self, col: &str) -> bool {
        self.row.try_column(col).is_ok()
    }

    pub(super) fn break_at(&mut self, col: &str, rule: String) {
        self.breaks
            .push(Violation::invalid(format!("source.{col}"), rule));
    }

    pub(super) fn text(&mut self, col: &str) -> Option<String> {
        match crate::db::text(self.row, col) {
            Ok(v) => v.filter(|s| !s.trim().is_empty()),
            Err(e) => {
                self.contract(col, "TEXT", e);
                None
            }
        }
    }

    pub(super) fn int(&mut self, col: &str) -> Option<i64> {
        match self.row.try_get::<Option<i64>, _>(col) {
            Ok(v) => v,
            Err(e) => {
                self.contract(col, "BIGINT", e);
                None
            }
        }
    }

    fn contract(&mut self, col: &str, ty: &str, e: sqlx::Error) {
        self.breaks.push(Violation::invalid(
            format!("source.{col}"),
            format!("the view must return {ty}: {e}"),
        ));
    }

    /// An amount in fen (分): never negative; the break names the column and its value.
    pub(super) fn money(&mut self, col: &str) -> Option<Money> {
        let v = self.int(col)?;
        if v < 0 {
            self.breaks.push(Violation::invalid(
                format!("source.{col}"),
                format!("{v} is negative: amounts in fen (分) must be 0 or more"),
            ));
        }
        Some(Money(v))
    }

    fn small(&mut self, col: &str) -> u8 {
        let v = self.int(col).unwrap_or(0);
        u8::try_from(v).unwrap_or_else(|_| {
            self.breaks
                .push(Violation::invalid(col, format!("{v} is out of range")));
            0
        })
    }

    fn flag(&mut self, col: &str) -> bool {
        self.int(col).unwrap_or(0) != 0
    }

    pub(super) fn list(&mut self, col: &str, sep: char) -> Vec<String> {
        self.text(col)
            .map(|s| {
                s.split(sep)
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// `checkin_date`; missing means "available now" (the planner sends tomorrow).
    fn date(&mut self, col: &str) -> NaiveDate {
        match self.text(col) {
            None => NaiveDate::MIN,
            Some(s) => NaiveDate::parse_from_str(s.get(..10).unwrap_or(&s), "%Y-%m-%d")
                .unwrap_or_else(|_| {
                    self.breaks.push(Violation::invalid(
                        "checkin_time",
                        format!("{s:?} is not a date YYYY-MM-DD"),
                    ));
                    NaiveDate::MIN
                }),
        }
    }
}

fn division(code: Option<String>, name: Option<String>) -> Division {
    match (code, name) {
        (Some(c), _) => Division::Code(c),
        (None, Some(n)) => Division::Name(n),
        (None, None) => Division::Name(String::new()),
    }
}

struct Common {
    code: String,
    community_key: String,
    community: Community,
    community_code: Option<String>,
    layout: Layout,
    room_area: Option<i64>,
    rent: Money,
    deposit: Option<Money>,
    checkin: NaiveDate,
    intro: Option<String>,
    configs: Vec<String>,
    owners_tel: Option<String>,
    photos: Vec<String>,
    state: RoomState,
    rent_status: RentStatus,
    active: bool,
    updated_at_us: i64,
}

fn common(r: &mut Reader) -> Common {
    let code = r.text("room_code").unwrap_or_default();
    let place = match (r.text("address"), r.int("lng_e6"), r.int("lat_e6")) {
        (_, Some(lng), Some(lat)) => Place::Coordinates {
            lng: lng as f64 / 1e6,
            lat: lat as f64 / 1e6,
        },
        (Some(a), _, _) => Place::Address(a),
        _ => Place::Address(String::new()),
    };
    let city = division(r.text("city_code"), r.text("city_name"));
    let district = division(r.text("district_code"), r.text("district_name"));
    Common {
        community_key: r.text("community_key").unwrap_or_default(),
        community: Community {
            name: r.text("community_name").unwrap_or_default(),
            city,
            district,
            place,
        },
        community_code: r.text("community_code"),
        layout: Layout {
            bedrooms: r.small("bedrooms"),
            parlors: r.small("parlors"),
            toilets: r.small("toilets"),
        },
        room_area: r.int("room_area_centi"),
        rent: r.money("rent_fen").unwrap_or(Money(0)),
        deposit: r.money("deposit_fen"),
        checkin: r.date("checkin_date"),
        intro: r.text("intro"),
        configs: r.list("room_configs", ','),
        owners_tel: r.text("owners_tel"),
        photos: r.list("photos", '\n'),
        state: if r.flag("on_shelf") {
            RoomState::OnShelf
        } else {
            RoomState::OffShelf
        },
        rent_status: if r.flag("rented") {
            RentStatus::Rented
        } else {
            RentStatus::Vacant
        },
        active: r.flag("active"),
        updated_at_us: r.int("updated_at_us").unwrap_or(0),
        code,
    }
}

/// A converted row: the listing, breaks found while reading it, and its change time.
pub struct SourceRow {
    pub listing: Listing,
    pub breaks: Vec<Violation>,
    pub updated_at_us: i64,
}

fn finish(c: Common, room: Room, breaks: Vec<Violation>) -> SourceRow {
    SourceRow {
        listing: Listing {
            room,
            community_key: c.community_key,
            community: c.community,
            community_code: c.community_code,
            photos: c.photos,
            active: c.active,
        },
        breaks,
        updated_at_us: c.updated_at_us,
    }
}

pub fn dispersion(row: &AnyRow) -> SourceRow {
    let mut r = Reader::new(row);
    let c = common(&mut r);
    let shared = match r.text("rent_type").as_deref() {
        Some("whole") | None => None,
        Some("shared") => {
            let name = r.text("room_name").unwrap_or_default();
            let mut chars = name.chars();
            let letter = match (chars.next(), chars.next()) {
                (Some(ch), None) => ch,
                _ => {
                    r.breaks.push(Violation::invalid(
                        "room_name",
                        format!("{name:?} must be one letter A-Z"),
                    ));
                    'A'
                }
            };
            Some(SharedBedroom {
                name: letter,
                face: r.small("room_face"),
            })
        }
        Some(other) => {
            r.breaks.push(Violation::invalid(
                "rent_type",
                format!("{other:?} must be whole or shared"),
            ));
            None
        }
    };
    let room = DispersionRoom {
        room_code: c.code.clone(),
        community: CommunityRef::RequestId(String::new()),
        shared,
        layout: c.layout,
        room_area_centi: c.room_area,
        flat_area_centi: r.int("flat_area_centi"),
        floor: r.int("floor").map(|v| v.clamp(0, 255) as u8),
        total_floors: r.int("total_floors").map(|v| v.clamp(0, 255) as u8),
        rent: c.rent,
        deposit: c.deposit,
        checkin: c.checkin,
        images: Vec::new(),
        intro: c.intro.clone(),
        room_configs: c.configs.clone(),
        owners_name: r.text("owners_name"),
        owners_tel: c.owners_tel.clone(),
        state: c.state,
        rent_status: c.rent_status,
        details: super::details::read(&mut r, FlatsTag::Dispersion),
    };
    let breaks = r.breaks;
    finish(c, Room::Dispersion(room), breaks)
}

pub fn concentration(row: &AnyRow) -> SourceRow {
    let mut r = Reader::new(row);
    let c = common(&mut r);
    let room = ConcentrationRoom {
        room_code: c.code.clone(),
        community: CommunityRef::RequestId(String::new()),
        nickname: r.text("nickname").unwrap_or_default(),
        layout: c.layout,
        room_area_centi: c.room_area,
        rent: c.rent,
        max_rent: r.money("max_rent_fen").unwrap_or(c.rent),
        deposit: c.deposit,
        checkin: c.checkin,
        images: Vec::new(),
        intro: c.intro.clone(),
        room_configs: c.configs.clone(),
        owners_tel: c.owners_tel.clone(),
        room_numbers: r.list("room_numbers", ','),
        can_rent: r.int("can_rent").unwrap_or(0).clamp(0, u32::MAX as i64) as u32,
        state: c.state,
        rent_status: c.rent_status,
        details: super::details::read(&mut r, FlatsTag::Concentration),
    };
    let breaks = r.breaks;
    finish(c, Room::Concentration(room), breaks)
}
