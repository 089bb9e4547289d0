//! A listing as read from the source, before the platform has given it a community reference or
//! photo URLs, and the hashes that let a re-read cost nothing.
//!
//! Two hashes, because the platform has two ways in: a change of content (rent, photos, text)
//! needs the whole room resent, a change of state alone (on/off shelf, rented/vacant) needs only
//! `room.state.sync`. Sending a whole room for a state flip would cost a room call per flip.

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::model::{Community, CommunityRef, FlatsTag, RentStatus, Room, RoomState};

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
        let (state, rent) = match &self.room {
            Room::Dispersion(r) => (r.state, r.rent_status),
            Room::Concentration(r) => (r.state, r.rent_status),
        };
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

    /// Hash of everything but the state, so a state flip leaves it unchanged.
    pub fn content_hash(&self) -> String {
        let mut copy = self.clone();
        copy.active = true;
        set_state(&mut copy.room, RoomState::OnShelf, RentStatus::Vacant);
        hash_json(&copy)
    }

    /// The room ready to send: community and photo URLs resolved, state as desired, and a
    /// check-in date the platform accepts (it must lie after today: "available now" is tomorrow).
    pub fn resolve(&self, community: CommunityRef, images: Vec<String>, today: NaiveDate) -> Room {
        let mut room = self.room.clone();
        let (state, rent) = self.desired_state();
        set_state(&mut room, state, rent);
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

fn set_state(room: &mut Room, state: RoomState, rent: RentStatus) {
    match room {
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

/// SHA-256 of the compact JSON, hex. serde_json writes struct fields in declaration order, so
/// the same value always hashes the same.
pub fn hash_json<T: Serialize>(value: &T) -> String {
    let bytes = serde_json::to_vec(value).unwrap_or_default();
    hex::encode(Sha256::digest(&bytes))
}
