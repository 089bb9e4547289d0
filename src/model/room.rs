//! Rooms as the operator knows them. Money is kept in fen (分) as an integer, so no float ever
//! rounds a rent; the platform's yuan strings are made at the wire boundary.

use chrono::NaiveDate;

use super::{CommunityRef, ListingDetails};

/// 上架 / 下架: whether the listing shows on the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum RoomState {
    OnShelf,
    OffShelf,
}

/// 未租 / 已租.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum RentStatus {
    Vacant,
    Rented,
}

/// 分散式 / 集中式: which namespace a room code lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum FlatsTag {
    Dispersion,
    Concentration,
}

/// 整租 / 合租.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum RentType {
    Whole,
    Shared,
}

/// An amount in fen (分): 250050 is ¥2500.50.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct Money(pub i64);

impl Money {
    /// `-0.50` for −50 fen: the sign is kept even when the whole yuan part is zero.
    pub fn yuan(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let fen = self.0.unsigned_abs();
        format!("{sign}{}.{:02}", fen / 100, fen % 100)
    }
}

/// 户型: bedrooms, living rooms, bathrooms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Layout {
    pub bedrooms: u8,
    pub parlors: u8,
    pub toilets: u8,
}

/// The bedroom of a 合租 listing: a letter A–Z and its orientation (朝向 code).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SharedBedroom {
    pub name: char,
    pub face: u8,
}

/// 分散式: a whole flat (整租) or one bedroom of a shared flat (合租).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DispersionRoom {
    pub room_code: String,
    pub community: CommunityRef,
    pub shared: Option<SharedBedroom>,
    pub layout: Layout,
    /// m² × 100, like money, so areas compare exactly.
    pub room_area_centi: Option<i64>,
    pub flat_area_centi: Option<i64>,
    pub floor: Option<u8>,
    pub total_floors: Option<u8>,
    pub rent: Money,
    pub deposit: Option<Money>,
    pub checkin: NaiveDate,
    pub images: Vec<String>,
    pub intro: Option<String>,
    pub room_configs: Vec<String>,
    pub owners_name: Option<String>,
    pub owners_tel: Option<String>,
    pub state: RoomState,
    pub rent_status: RentStatus,
    /// Optional fields (payment plans, fees, door plate, …); left out of the JSON when empty.
    #[serde(default, skip_serializing_if = "ListingDetails::is_empty")]
    pub details: ListingDetails,
}

/// 集中式: one room type of an apartment building, and its rooms.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ConcentrationRoom {
    pub room_code: String,
    pub community: CommunityRef,
    pub nickname: String,
    pub layout: Layout,
    pub room_area_centi: Option<i64>,
    pub rent: Money,
    pub max_rent: Money,
    pub deposit: Option<Money>,
    pub checkin: NaiveDate,
    pub images: Vec<String>,
    pub intro: Option<String>,
    pub room_configs: Vec<String>,
    pub owners_tel: Option<String>,
    /// Door numbers of the rooms of this type.
    pub room_numbers: Vec<String>,
    pub can_rent: u32,
    pub state: RoomState,
    pub rent_status: RentStatus,
    /// Optional fields (payment plans, fees, door plate, …); left out of the JSON when empty.
    #[serde(default, skip_serializing_if = "ListingDetails::is_empty")]
    pub details: ListingDetails,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Room {
    Dispersion(DispersionRoom),
    Concentration(ConcentrationRoom),
}

impl Room {
    pub fn code(&self) -> &str {
        match self {
            Room::Dispersion(r) => &r.room_code,
            Room::Concentration(r) => &r.room_code,
        }
    }

    pub fn flats_tag(&self) -> FlatsTag {
        match self {
            Room::Dispersion(_) => FlatsTag::Dispersion,
            Room::Concentration(_) => FlatsTag::Concentration,
        }
    }

    /// On or off shelf, and let or vacant.
    pub fn state(&self) -> (RoomState, RentStatus) {
        match self {
            Room::Dispersion(r) => (r.state, r.rent_status),
            Room::Concentration(r) => (r.state, r.rent_status),
        }
    }

    pub fn set_state(&mut self, state: RoomState, rent: RentStatus) {
        match self {
            Room::Dispersion(r) => {
                r.state = state;
                r.rent_status = rent;
            }
            Room::Concentration(r) => {
                r.state = state;
                r.rent_status = rent;
            }
        }
    }

    /// `f` sees the room with its state fixed (on shelf, vacant), which is then put back: the
    /// content hashes leave the state out without copying the room.
    pub fn with_fixed_state<T>(&mut self, f: impl FnOnce(&Self) -> T) -> T {
        let (state, rent) = self.state();
        self.set_state(RoomState::OnShelf, RentStatus::Vacant);
        let out = f(self);
        self.set_state(state, rent);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::Money;

    #[test]
    fn money_prints_yuan_with_two_decimals() {
        assert_eq!(Money(250050).yuan(), "2500.50");
        assert_eq!(Money(10000).yuan(), "100.00");
        assert_eq!(Money(5).yuan(), "0.05");
        assert_eq!(Money(-50).yuan(), "-0.50");
        assert_eq!(Money(-150000).yuan(), "-1500.00");
        assert_eq!(Money(i64::MIN).yuan(), "-92233720368547758.08");
    }
}
