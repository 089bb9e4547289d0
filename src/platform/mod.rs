//! The platform as the engine sees it: resolve a community, upload a photo, upsert a room, set its
//! state. The seed guide's `alipay.eco.renthouse.*` room methods were withdrawn from the SDKs and
//! `alipay.commerce.housing.*` replaced them (architecture decision 10), so each tenant is served by
//! one implementation of this trait, and the engine never knows which.

mod carry;
pub mod housing;
mod renthouse;

use async_trait::async_trait;

use crate::alipay::AlipayError;
use crate::model::{Community, CommunityRef, FlatsTag, RentStatus, Room, RoomState};

pub use carry::uncarried;
pub use housing::ids::{IdStore, OutboxIds};
pub use housing::settings::HousingSettings;
pub use housing::HousingPlatform;
pub use renthouse::{
    community_request, room_payload, state_request, RenthousePlatform, RoomPayload,
};

/// A stage of the worker, to name the method its calls are limited and logged under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Community,
    Photo,
    Room(FlatsTag),
    State(FlatsTag),
}

#[async_trait]
pub trait Platform: Send + Sync {
    /// A short name for logs and metrics, e.g. `renthouse`.
    fn family(&self) -> &'static str;

    /// The method a stage's calls are rate-limited, logged and counted under. A family whose
    /// stage makes several calls (add, then online) names the one that stands for the stage.
    fn stage_method(&self, stage: Stage) -> &'static str {
        match stage {
            Stage::Community => "alipay.eco.renthouse.community.info.sync",
            Stage::Photo => "alipay.eco.renthouse.common.image.upload",
            Stage::Room(FlatsTag::Dispersion) => "alipay.eco.renthouse.room.dispersion.sync",
            Stage::Room(FlatsTag::Concentration) => "alipay.eco.renthouse.room.concentration.sync",
            Stage::State(_) => "alipay.eco.renthouse.room.state.sync",
        }
    }

    /// The cache kind under which the worker keeps this family's community references and photo
    /// ids (`what` is `community` or `photo`): a renthouse URL is no housing `attachment_id`,
    /// so a tenant that switches family must not reuse one for the other.
    fn cache_kind(&self, what: &str) -> String {
        what.to_string()
    }

    /// Whether the operator's own `community_code` column names a community on this family.
    fn takes_community_codes(&self) -> bool {
        true
    }

    /// Submits a community and returns how rooms can name it.
    async fn sync_community(&self, community: &Community) -> Result<CommunityRef, AlipayError>;

    /// Uploads one photo (already within the platform's size and format rules); returns its URL.
    async fn upload_photo(&self, bytes: &[u8]) -> Result<String, AlipayError>;

    /// Creates or updates a room, keyed by its room code.
    async fn upsert_room(&self, room: &Room, adding: bool) -> Result<(), AlipayError>;

    /// One warning per field of `room` that this family cannot change after the room was added
    /// and that differs from what the add sent (naming room, field, source column and values).
    /// Families that upsert have none.
    async fn add_only_drift(&self, _room: &Room) -> Result<Vec<String>, AlipayError> {
        Ok(Vec::new())
    }

    /// Flips on/off shelf and rented/vacant without resending the room.
    async fn set_room_state(
        &self,
        room_code: &str,
        flats_tag: FlatsTag,
        state: RoomState,
        rent_status: RentStatus,
    ) -> Result<(), AlipayError>;
}
