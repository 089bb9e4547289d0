//! Canonical types, in the platform's terms but free of wire names. This floor imports nothing of
//! ours: the source produces these, the planner and the platform families consume them.

mod community;
mod details;
mod room;

pub use community::{Community, CommunityRef, Division, Place};
pub use details::{Commission, Fee, ListingDetails, PayPlan, FEES_VIEW, PAY_PLANS_VIEW};
pub use room::{
    ConcentrationRoom, DispersionRoom, FlatsTag, Layout, Money, RentStatus, RentType, Room,
    RoomState, SharedBedroom,
};
