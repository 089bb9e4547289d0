//! The housing family's unpublished values (spec §9): attachment categories, status words,
//! `house_source`, rent units, 整租/合租 words, and the division codes of cities and districts the
//! operator names only by name. None of them is documented, so each is a per-tenant setting with
//! the best guess as default, and changing one needs no release.

use std::collections::BTreeMap;

use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HousingSettings {
    /// `file.upload` `attachment_category` of listing photos.
    pub attachment_category: String,
    /// `file.upload` `attachment_type` of listing photos.
    pub attachment_type: String,
    /// `house.online`/`offline` `house_source` of rental listings.
    pub house_source: String,
    /// `status` sent with a listing, apartment or room that should show.
    pub status_on_shelf: String,
    /// `status` of one that should not.
    pub status_off_shelf: String,
    /// `status` of an apartment room that is let (rooms have no online/offline, §7).
    pub status_rented: String,
    /// `offline` `reason` when the operator takes a listing off shelf.
    pub offline_reason: String,
    /// `offline` `reason` when a listing is let (the family has no rented flag, §7).
    pub rented_reason: String,
    pub renting_type_whole: String,
    pub renting_type_shared: String,
    pub rent_unit: String,
    pub community_type: String,
    /// Shown on the listing as its source (`source_company`, add-only).
    pub source_company: Option<String>,
    /// Division name → 6-digit code, for cities and districts the views give only by name: the
    /// family takes codes only (§6).
    pub division_codes: BTreeMap<String, String>,
}

impl Default for HousingSettings {
    fn default() -> Self {
        Self {
            attachment_category: "HOUSE_PIC".into(),
            attachment_type: "IMAGE".into(),
            house_source: "RENT".into(),
            status_on_shelf: "上架".into(),
            status_off_shelf: "下架".into(),
            status_rented: "已租".into(),
            offline_reason: "运营方下架".into(),
            rented_reason: "已出租".into(),
            renting_type_whole: "整租".into(),
            renting_type_shared: "合租".into(),
            rent_unit: "月".into(),
            community_type: "COMMUNITY".into(),
            source_company: None,
            division_codes: BTreeMap::new(),
        }
    }
}
