//! Canonical types, in the platform's terms but free of wire names. This floor imports nothing of
//! ours: the source produces these, the planner and the platform families consume them.

mod community;
mod room;

pub use community::{Community, CommunityRef, Division, Place};
pub use room::{
    ConcentrationRoom, DispersionRoom, FlatsTag, Layout, Money, RentStatus, RentType, Room,
    RoomState, SharedBedroom,
};
