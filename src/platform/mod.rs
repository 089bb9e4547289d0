//! The platform as the engine sees it: resolve a community, upload a photo, upsert a room, set its
//! state. The seed guide's `alipay.eco.renthouse.*` room methods were withdrawn from the SDKs and
//! `alipay.commerce.housing.*` replaced them (architecture decision 10), so each tenant is served by
//! one implementation of this trait, and the engine never knows which.

mod renthouse;

use async_trait::async_trait;

use crate::alipay::AlipayError;
use crate::model::{Community, CommunityRef, FlatsTag, RentStatus, Room, RoomState};

pub use renthouse::{
    community_request, room_payload, state_request, RenthousePlatform, RoomPayload,
};

#[async_trait]
pub trait Platform: Send + Sync {
    /// A short name for logs and metrics, e.g. `renthouse`.
    fn family(&self) -> &'static str;

    /// Submits a community and returns how rooms can name it.
    async fn sync_community(&self, community: &Community) -> Result<CommunityRef, AlipayError>;

    /// Uploads one photo (already within the platform's size and format rules); returns its URL.
    async fn upload_photo(&self, bytes: &[u8]) -> Result<String, AlipayError>;

    /// Creates or updates a room, keyed by its room code.
    async fn upsert_room(&self, room: &Room, adding: bool) -> Result<(), AlipayError>;

    /// Flips on/off shelf and rented/vacant without resending the room.
    async fn set_room_state(
        &self,
        room_code: &str,
        flats_tag: FlatsTag,
        state: RoomState,
        rent_status: RentStatus,
    ) -> Result<(), AlipayError>;
}
