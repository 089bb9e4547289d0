//! A listing as read from the source, before the platform has given it a community reference or
//! photo URLs, and the hashes that let a re-read cost nothing.
//!
//! Two hashes, because the platform has two ways in: a change of content (rent, photos, text)
//! needs the whole room resent, a change of state alone (on/off shelf, rented/vacant) needs only
//! `room.state.sync`. Sending a whole room for a state flip would cost a room call per flip.

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::model::{
    Community, CommunityRef, FlatsTag, ListingDetails, Money, RentStatus, Room, RoomState,
};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Listing {
    /// The room with placeholders: `community` and `images` are filled by the worker.
    pub room: Room,
    /// The operator's community id: rooms sharing it share one community sync.
    pub community_key: String,
    pub community: Community,
    /// The platform's community code, when the operator already has one.
    pub community_code: Option<String>,
    /// Photo locations in display order (path, file:// or http(s)://).
    pub photos: Vec<String>,
    /// False when the room left the source or was marked inactive: it goes off shelf.
    pub active: bool,
}

/// What the platform should show: `on`/`off` shelf and `vacant`/`rented`.
pub fn state_label(state: RoomState, rent: RentStatus) -> String {
    let shelf = match state {
        RoomState::OnShelf => "on",
        RoomState::OffShelf => "off",
    };
    let rent = match rent {
        RentStatus::Vacant => "vacant",
        RentStatus::Rented => "rented",
    };
    format!("{shelf}/{rent}")
}

impl Listing {
    pub fn kind(&self) -> FlatsTag {
        self.room.flats_tag()
    }

    pub fn kind_label(&self) -> &'static str {
        kind_label(self.kind())
    }

    pub fn room_code(&self) -> &str {
        self.room.code()
    }

    /// The state the platform should end in: an inactive listing is off shelf whatever the
    /// operator's flag says.
    pub fn desired_state(&self) -> (RoomState, RentStatus) {
        let (state, rent) = self.room.state();
        if self.active {
            (state, rent)
        } else {
            (RoomState::OffShelf, rent)
        }
    }

    pub fn state(&self) -> String {
        let (s, r) = self.desired_state();
        state_label(s, r)
    }

    /// Hash of everything but the room's state, so a state flip leaves it unchanged (the state
    /// has its own column). `active` stays in: an archived room and the same room restored can
    /// have the same content and the same state (off shelf), and the restore must still reach
    /// the worker, which adds a room it never sent. The hash of a live listing is what it always
    /// was (`active` serialized as true), so an upgrade resends nothing.
    /// The state is set to fixed values for the hash and put back, rather than hashing a copy:
    /// a copy per listing cost a tenth of a 1,000,000-listing dry-run.
    pub fn content_hash(&mut self) -> String {
        let (state, rent) = self.room.state();
        self.room.set_state(RoomState::OnShelf, RentStatus::Vacant);
        let hash = hash_json(self);
        self.room.set_state(state, rent);
        hash
    }

    /// The room ready to send: community and photo URLs resolved, state as desired, and a
    /// check-in date the platform accepts (it must lie after today: "available now" is tomorrow).
    pub fn resolve(&self, community: CommunityRef, images: Vec<String>, today: NaiveDate) -> Room {
        let mut room = self.room.clone();
        let (state, rent) = self.desired_state();
        room.set_state(state, rent);
        let tomorrow = today + Days::new(1);
        match &mut room {
            Room::Dispersion(r) => {
                r.community = community;
                r.images = images;
                r.checkin = r.checkin.max(tomorrow);
            }
            Room::Concentration(r) => {
                r.community = community;
                r.images = images;
                r.checkin = r.checkin.max(tomorrow);
            }
        }
        room
    }
}

pub fn kind_label(tag: FlatsTag) -> &'static str {
    match tag {
        FlatsTag::Dispersion => "dispersion",
        FlatsTag::Concentration => "concentration",
    }
}

/// SHA-256 of the compact JSON, hex. serde_json writes struct fields in declaration order, so
/// the same value always hashes the same.
pub fn hash_json<T: Serialize>(value: &T) -> String {
    let bytes = serde_json::to_vec(value).unwrap_or_default();
    hex::encode(Sha256::digest(&bytes))
}

impl Listing {
    /// The source column and value behind a platform field, so a rule break names what the
    /// operator must fix: `room_amount` → `rent_fen = 5000`. Personal data (phone, name) is named
    /// by column only. `None` for fields the source does not set directly.
    pub fn source_of(&self, field: &str) -> Option<String> {
        if let Some(s) = self.list_source_of(field) {
            return Some(s);
        }
        let leaf = field.rsplit('.').next().unwrap_or(field);
        let leaf = leaf.split('[').next().unwrap_or(leaf);
        let opt = |v: Option<i64>| v.map_or("NULL".to_string(), |v| v.to_string());
        let (col, value) = match &self.room {
            Room::Dispersion(r) => match leaf {
                "room_amount" => ("rent_fen", r.rent.0.to_string()),
                "foregift_amount" => ("deposit_fen", opt(r.deposit.map(|m| m.0))),
                "room_area" => ("room_area_centi", opt(r.room_area_centi)),
                "flat_area" => ("flat_area_centi", opt(r.flat_area_centi)),
                "bedroom_count" => ("bedrooms", r.layout.bedrooms.to_string()),
                "parlor_count" => ("parlors", r.layout.parlors.to_string()),
                "toilet_count" => ("toilets", r.layout.toilets.to_string()),
                "floor_count" => ("floor", opt(r.floor.map(i64::from))),
                "total_floor_count" => ("total_floors", opt(r.total_floors.map(i64::from))),
                "checkin_time" => ("checkin_date", r.checkin.to_string()),
                "intro" => ("intro", format!("{} characters", char_count(&r.intro))),
                "room_face" => (
                    "room_face",
                    opt(r.shared.as_ref().map(|s| i64::from(s.face))),
                ),
                _ => return self.common_source_of(leaf),
            },
            Room::Concentration(r) => match leaf {
                "room_amount" => ("rent_fen", r.rent.0.to_string()),
                "max_amount" => ("max_rent_fen", r.max_rent.0.to_string()),
                "foregift_amount" => ("deposit_fen", opt(r.deposit.map(|m| m.0))),
                "max_deposit_amount" => {
                    ("max_deposit_fen", opt(r.details.max_deposit.map(|m| m.0)))
                }
                "room_area" => ("room_area_centi", opt(r.room_area_centi)),
                "room_max_area" => ("room_max_area_centi", opt(r.details.max_area_centi)),
                "bedroom_count" => ("bedrooms", r.layout.bedrooms.to_string()),
                "parlor_count" => ("parlors", r.layout.parlors.to_string()),
                "toilet_count" => ("toilets", r.layout.toilets.to_string()),
                "checkin_time" => ("checkin_date", r.checkin.to_string()),
                "intro" => ("intro", format!("{} characters", char_count(&r.intro))),
                "nickname" => ("nickname", quoted(&r.nickname)),
                "can_rent_num" => ("can_rent", r.can_rent.to_string()),
                _ => return self.common_source_of(leaf),
            },
        };
        Some(format!("{col} = {value}"))
    }

    /// An element of `pay_type_list` or `other_amount`: the child view's row and column.
    fn list_source_of(&self, field: &str) -> Option<String> {
        let (list, rest) = field.split_once('[')?;
        let (index, leaf) = rest.split_once("].")?;
        let i: usize = index.parse().ok()?;
        let details = self.details();
        let opt = |v: Option<Money>| v.map_or("NULL".to_string(), |m| m.0.to_string());
        let (view, col, value) = match list {
            "pay_type_list" => {
                let p = details.pay_plans.get(i)?;
                let (col, value) = match leaf {
                    "pay_type" => ("pay_type", p.pay_type.to_string()),
                    "lease_term" => (
                        "lease_term_months",
                        p.lease_term_months.map_or("NULL".into(), |v| v.to_string()),
                    ),
                    "room_amount" => ("rent_fen", p.rent.0.to_string()),
                    "max_amount" => ("max_rent_fen", opt(p.max_rent)),
                    "foregift_amount" => ("deposit_fen", opt(p.deposit)),
                    "max_deposit_amount" => ("max_deposit_fen", opt(p.max_deposit)),
                    "service_amount" => ("service_fen", opt(p.service)),
                    "service_type" => (
                        "service_unit",
                        p.service_unit.as_deref().map_or("NULL".into(), quoted),
                    ),
                    _ => return None,
                };
                (crate::model::PAY_PLANS_VIEW, col, value)
            }
            "other_amount" => {
                let f = details.fees.get(i)?;
                let (col, value) = match leaf {
                    "name" => ("name", quoted(&f.name)),
                    "amount" => ("amount_fen", f.amount.0.to_string()),
                    "unit" => ("unit", f.unit.as_deref().map_or("NULL".into(), quoted)),
                    _ => return None,
                };
                (crate::model::FEES_VIEW, col, value)
            }
            _ => return None,
        };
        Some(format!("{view}.{col} of row {} = {value}", i + 1))
    }

    fn details(&self) -> &ListingDetails {
        match &self.room {
            Room::Dispersion(r) => &r.details,
            Room::Concentration(r) => &r.details,
        }
    }

    fn common_source_of(&self, leaf: &str) -> Option<String> {
        let d = self.details();
        let text = |v: &Option<String>| v.as_deref().map_or("NULL".to_string(), quoted);
        let date = |v: Option<NaiveDate>| v.map_or("NULL".to_string(), |d| d.to_string());
        let num = |v: Option<i64>| v.map_or("NULL".to_string(), |v| v.to_string());
        Some(match leaf {
            "pay_type" => format!("pay_type = {}", num(d.pay_type)),
            "fee_remark" => format!("fee_remark = {} characters", char_count(&d.fee_remark)),
            "max_lease_time" => format!("max_lease_date = {}", date(d.lease_until)),
            "min_rent_days" => format!("min_rent_days = {}", num(d.min_rent_days)),
            "free_begin_date" => format!("free_deposit_begin = {}", date(d.free_deposit_from)),
            "free_end_date" => format!("free_deposit_end = {}", date(d.free_deposit_until)),
            "flat_building" => format!("flat_building = {}", text(&d.building_no)),
            "flat_unit" => format!("flat_unit = {}", text(&d.unit_no)),
            "room_num" => format!("room_num = {}", text(&d.door_no)),
            "flat_configs" => format!("flat_configs = {:?}", d.flat_configs.join(",")),
            "commission" | "commission_type" => match d.commission {
                Some(c) => format!(
                    "commission_centi = {}, commission_type = {}",
                    c.centi(),
                    c.kind_code()
                ),
                None => "commission_centi = NULL".to_string(),
            },
            "room_store_no" => format!("room_store_no = {}", text(&d.store_no)),
            "detail_address" => format!("detail_address = {}", text(&d.detail_url)),
            "feature" => format!("features = {} item(s)", d.features.len()),
            "video" => format!("video = {}", text(&d.video_url)),
            "pay_type_list" => format!(
                "{} = {} row(s)",
                crate::model::PAY_PLANS_VIEW,
                d.pay_plans.len()
            ),
            "other_amount" => format!("{} = {} row(s)", crate::model::FEES_VIEW, d.fees.len()),
            "images" | "photos" => format!("photos = {} location(s)", self.photos.len()),
            "room_configs" => "room_configs".to_string(),
            // Personal data: the column, never the value.
            "owners_tel" => "owners_tel (value withheld)".to_string(),
            "owners_name" => "owners_name (value withheld)".to_string(),
            "community_name" => format!("community_name = {:?}", self.community.name),
            _ => return None,
        })
    }
}

/// An operator's text as a message shows it: quoted and cut at 40 characters.
fn quoted(s: &str) -> String {
    let mut cut: String = s.chars().take(40).collect();
    if cut.len() < s.len() {
        cut.push('…');
    }
    format!("{cut:?}")
}

fn char_count(s: &Option<String>) -> usize {
    s.as_deref().map_or(0, |s| s.chars().count())
}
