//! The `alipay.commerce.housing.*` family (spec `alipay-commerce-housing.md`): add once with our
//! `external_id`, then modify by the platform id the add returned; on/off shelf by
//! `house.online`/`offline` and `apartment.online`/`offline`.
//!
//! The ids live in the state database ([`ids::IdStore`]). A marker is written before every add;
//! an add whose answer was lost (crash, timeout, cut connection) leaves the marker without an id,
//! and the next attempt asks the platform (`*.query` by `external_id`) instead of adding again.
//! That is what keeps "repeat at most one call" true for a family that has no upsert.

pub mod add_only;
pub mod ids;
pub mod payload;
pub mod settings;

use std::sync::Arc;

use async_trait::async_trait;

use super::{Platform, Stage};
use crate::alipay::error::redact_answer;
use crate::alipay::housing::{
    ApartmentModify, ApartmentOffline, ApartmentOnline, ApartmentQuery, ApartmentRentalModify,
    ApartmentRentalQuery, CommunityAdd, CommunityBatchQuery, FileUpload, HouseOffline, HouseOnline,
    HouseRentalModify, HouseRentalQuery,
};
use crate::alipay::{AlipayClient, AlipayError};
use crate::model::{
    Community, CommunityRef, ConcentrationRoom, DispersionRoom, FlatsTag, Place, RentStatus, Room,
    RoomState,
};
use ids::IdStore;
use payload::{shows, Location};
use settings::HousingSettings;

// Cache kinds: the column is VARCHAR(16) on PostgreSQL and MySQL, so every kind stays within 16.
const HOUSING_ID: &str = "hs_housing_id";
const APARTMENT_ID: &str = "hs_apartment_id";
const APARTMENT_HOUSE_ID: &str = "hs_apt_house_id";
/// Written before an add: "an add may have landed".
const ADDING: &str = "hs_adding";
/// `on` or `off`, as last confirmed, so an unchanged shelf state costs no call.
const SHELF: &str = "hs_shelf";
/// A community id → where it is, for apartments (which carry codes, not a community id).
const LOCATION: &str = "hs_location";

pub struct HousingPlatform {
    client: AlipayClient,
    ids: Arc<dyn IdStore>,
    settings: HousingSettings,
}

impl HousingPlatform {
    pub fn new(client: AlipayClient, ids: Arc<dyn IdStore>, settings: HousingSettings) -> Self {
        Self {
            client,
            ids,
            settings,
        }
    }
}

/// A state database failure inside a platform call: transient, the item is retried.
fn store_error(e: anyhow::Error) -> AlipayError {
    AlipayError::Transport {
        method: "state database".into(),
        detail: format!("{e:#}"),
    }
}

fn missing(method: &str, field: &str, node: &str) -> AlipayError {
    AlipayError::Decode {
        method: method.into(),
        detail: format!("success without {field}"),
        raw: redact_answer(node),
    }
}

/// The platform answered that it has no such object.
fn not_found(e: &AlipayError) -> bool {
    e.codes()
        .is_some_and(|(code, sub)| code == "40004" && sub.ends_with("not-exist"))
}

/// What the worker reads as "the platform has no such room": it then sends the room whole.
fn room_not_on_platform(method: &str, code: &str) -> AlipayError {
    AlipayError::Platform {
        method: method.into(),
        code: "40004".into(),
        msg: "Business Failed".into(),
        sub_code: "isv.room-not-exist".into(),
        sub_msg: format!("room {code}: no platform id recorded or found"),
    }
}

impl HousingPlatform {
    async fn get(&self, kind: &str, key: &str) -> Result<Option<String>, AlipayError> {
        self.ids.get(kind, key).await.map_err(store_error)
    }

    async fn put(&self, kind: &str, key: &str, value: &str) -> Result<String, AlipayError> {
        self.ids.put(kind, key, value).await.map_err(store_error)
    }

    /// The platform id of `key`: recorded, or, when an add may have landed unrecorded, looked up.
    async fn known_id<F, Fut>(
        &self,
        kind: &str,
        key: &str,
        lookup: F,
    ) -> Result<Option<String>, AlipayError>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<Option<String>, AlipayError>>,
    {
        if let Some(id) = self.get(kind, key).await? {
            return Ok(Some(id));
        }
        if self.get(ADDING, &format!("{kind}:{key}")).await?.is_none() {
            return Ok(None);
        }
        match lookup().await? {
            Some(id) => Ok(Some(self.put(kind, key, &id).await?)),
            None => Ok(None),
        }
    }

    /// Marks, adds, records. The marker goes first so a lost answer is looked up, not re-added.
    async fn add<F, Fut>(&self, kind: &str, key: &str, add: F) -> Result<String, AlipayError>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<String, AlipayError>>,
    {
        self.put(ADDING, &format!("{kind}:{key}"), "1").await?;
        let id = add().await?;
        self.put(kind, key, &id).await
    }

    /// Keeps what an add is about to send of its add-only fields, replacing what an earlier
    /// attempt kept: an add that did land is found by query later and never re-sent, so the
    /// last attempt's values are the ones the platform holds.
    async fn keep_add_only<A: serde::Serialize, F: serde::Serialize>(
        &self,
        what: &str,
        code: &str,
        add: &A,
        fields: &F,
    ) -> Result<(), AlipayError> {
        let text = serde_json::to_string(&add_only::snapshot(add, fields))
            .map_err(|e| store_error(e.into()))?;
        self.ids
            .replace(add_only::KIND, &format!("{what}:{code}"), &text)
            .await
            .map_err(store_error)
    }

    /// Warnings for the add-only fields of `what:code` that differ from what its add sent.
    async fn drift<A: serde::Serialize, F: serde::Serialize>(
        &self,
        what: &str,
        code: &str,
        add: &A,
        fields: &F,
    ) -> Result<Vec<String>, AlipayError> {
        let Some(text) = self.get(add_only::KIND, &format!("{what}:{code}")).await? else {
            // Added before snapshots were kept: nothing to compare with.
            return Ok(Vec::new());
        };
        let added: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&text).map_err(|e| store_error(e.into()))?;
        let method = if what == "house" {
            "house.rental.add"
        } else {
            "apartment.add"
        };
        Ok(add_only::changes(&added, &add_only::snapshot(add, fields))
            .iter()
            .map(|c| add_only::warning(code, method, c))
            .collect())
    }

    async fn housing_id(&self, code: &str) -> Result<Option<String>, AlipayError> {
        self.known_id(HOUSING_ID, code, || async {
            let q = HouseRentalQuery {
                external_id: Some(code.to_string()),
                housing_id: None,
            };
            match self.client.call(&q).await {
                Ok(r) => Ok(r.housing_id.filter(|id| !id.is_empty())),
                Err(e) if not_found(&e) => Ok(None),
                Err(e) => Err(e),
            }
        })
        .await
    }

    async fn apartment_id(&self, code: &str) -> Result<Option<String>, AlipayError> {
        self.known_id(APARTMENT_ID, code, || async {
            let q = ApartmentQuery {
                external_id: Some(code.to_string()),
                apartment_id: None,
            };
            match self.client.call(&q).await {
                Ok(r) => Ok(r.apartment_id.filter(|id| !id.is_empty())),
                Err(e) if not_found(&e) => Ok(None),
                Err(e) => Err(e),
            }
        })
        .await
    }

    async fn apartment_house_id(&self, external: &str) -> Result<Option<String>, AlipayError> {
        self.known_id(APARTMENT_HOUSE_ID, external, || async {
            let q = ApartmentRentalQuery {
                external_id: Some(external.to_string()),
                apartment_house_id: None,
            };
            match self.client.call(&q).await {
                Ok(r) => Ok(r.apartment_house_id.filter(|id| !id.is_empty())),
                Err(e) if not_found(&e) => Ok(None),
                Err(e) => Err(e),
            }
        })
        .await
    }

    /// Puts a listing or apartment on or off shelf, unless it already is.
    async fn shelf(
        &self,
        tag: FlatsTag,
        code: &str,
        id: &str,
        state: RoomState,
        rent: RentStatus,
    ) -> Result<(), AlipayError> {
        let want = if shows(state, rent) { "on" } else { "off" };
        let key = format!("{}:{code}:{id}", crate::plan::kind_label(tag));
        if self.get(SHELF, &key).await?.as_deref() == Some(want) {
            return Ok(());
        }
        let s = &self.settings;
        let reason = if state == RoomState::OnShelf {
            &s.rented_reason
        } else {
            &s.offline_reason
        };
        match (tag, want) {
            (FlatsTag::Dispersion, "on") => self
                .client
                .call(&HouseOnline {
                    housing_id: id.into(),
                    house_source: Some(s.house_source.clone()),
                })
                .await
                .map(drop)?,
            (FlatsTag::Dispersion, _) => self
                .client
                .call(&HouseOffline {
                    housing_id: id.into(),
                    house_source: Some(s.house_source.clone()),
                    reason: Some(reason.clone()),
                })
                .await
                .map(drop)?,
            (FlatsTag::Concentration, "on") => self
                .client
                .call(&ApartmentOnline {
                    apartment_id: id.into(),
                })
                .await
                .map(drop)?,
            (FlatsTag::Concentration, _) => self
                .client
                .call(&ApartmentOffline {
                    apartment_id: id.into(),
                    reason: Some(reason.clone()),
                })
                .await
                .map(drop)?,
        }
        self.ids
            .replace(SHELF, &key, want)
            .await
            .map_err(store_error)
    }

    async fn upsert_house(&self, r: &DispersionRoom) -> Result<(), AlipayError> {
        let community_id = community_id(&r.community);
        let id = match self.housing_id(&r.room_code).await? {
            Some(id) => {
                let modify = HouseRentalModify {
                    housing_id: id.clone(),
                    fields: payload::house_fields(r, community_id, &self.settings),
                };
                self.client.call(&modify).await?;
                id
            }
            None => {
                let add = payload::house_add(r, community_id, &self.settings);
                self.keep_add_only("house", &r.room_code, &add, &add.fields)
                    .await?;
                self.add(HOUSING_ID, &r.room_code, || async {
                    let (answer, node) = self.client.call_with_node(&add).await?;
                    answer
                        .housing_id
                        .filter(|id| !id.is_empty())
                        .ok_or_else(|| {
                            missing(
                                "alipay.commerce.housing.house.rental.add",
                                "housing_id",
                                &node,
                            )
                        })
                })
                .await?
            }
        };
        self.shelf(
            FlatsTag::Dispersion,
            &r.room_code,
            &id,
            r.state,
            r.rent_status,
        )
        .await
    }

    async fn upsert_apartment(&self, r: &ConcentrationRoom) -> Result<(), AlipayError> {
        let apartment_id = match self.apartment_id(&r.room_code).await? {
            Some(id) => {
                let modify = ApartmentModify {
                    apartment_id: id.clone(),
                    fields: payload::apartment_fields(r, &self.settings),
                };
                self.client.call(&modify).await?;
                id
            }
            None => {
                let community_id = community_id(&r.community);
                let at: Location = match self.get(LOCATION, community_id).await? {
                    Some(text) => serde_json::from_str(&text).map_err(|e| store_error(e.into()))?,
                    None => {
                        return Err(AlipayError::Encode {
                            method: "alipay.commerce.housing.apartment.add".into(),
                            detail: format!(
                                "community {community_id}: its location is not recorded"
                            ),
                        })
                    }
                };
                let add = payload::apartment_add(r, &at, &self.settings);
                self.keep_add_only("apartment", &r.room_code, &add, &add.fields)
                    .await?;
                self.add(APARTMENT_ID, &r.room_code, || async {
                    let (answer, node) = self.client.call_with_node(&add).await?;
                    answer
                        .apartment_id
                        .filter(|id| !id.is_empty())
                        .ok_or_else(|| {
                            missing(
                                "alipay.commerce.housing.apartment.add",
                                "apartment_id",
                                &node,
                            )
                        })
                })
                .await?
            }
        };
        for door in &r.room_numbers {
            let external = payload::apartment_room_id(r, door);
            match self.apartment_house_id(&external).await? {
                Some(id) => {
                    let modify = ApartmentRentalModify {
                        apartment_house_id: id,
                        fields: payload::rental_fields(r, door, &self.settings),
                    };
                    self.client.call(&modify).await?;
                }
                None => {
                    let add = payload::rental_add(r, &apartment_id, door, &self.settings);
                    self.add(APARTMENT_HOUSE_ID, &external, || async {
                        let (answer, node) = self.client.call_with_node(&add).await?;
                        answer
                            .apartment_house_id
                            .filter(|id| !id.is_empty())
                            .ok_or_else(|| {
                                missing(
                                    "alipay.commerce.housing.apartment.rental.add",
                                    "apartment_house_id",
                                    &node,
                                )
                            })
                    })
                    .await?;
                }
            }
        }
        self.shelf(
            FlatsTag::Concentration,
            &r.room_code,
            &apartment_id,
            r.state,
            r.rent_status,
        )
        .await
    }
}

fn community_id(c: &CommunityRef) -> &str {
    match c {
        CommunityRef::Code(id) | CommunityRef::RequestId(id) => id,
    }
}

#[async_trait]
impl Platform for HousingPlatform {
    fn family(&self) -> &'static str {
        "housing"
    }

    fn stage_method(&self, stage: Stage) -> &'static str {
        match stage {
            Stage::Community => "alipay.commerce.housing.community.add",
            Stage::Photo => crate::alipay::housing::file::METHOD,
            Stage::Room(FlatsTag::Dispersion) => "alipay.commerce.housing.house.rental.add",
            Stage::Room(FlatsTag::Concentration) => "alipay.commerce.housing.apartment.add",
            Stage::State(FlatsTag::Dispersion) => "alipay.commerce.housing.house.online",
            Stage::State(FlatsTag::Concentration) => "alipay.commerce.housing.apartment.online",
        }
    }

    fn cache_kind(&self, what: &str) -> String {
        // `hs_community`, `hs_photo`: within the 16 characters of the kind column.
        format!("hs_{what}")
    }

    fn takes_community_codes(&self) -> bool {
        false
    }

    /// Found by name and district first (the platform may not de-duplicate, spec §6), added
    /// otherwise; either way its location is recorded for the apartments that need it.
    async fn sync_community(&self, c: &Community) -> Result<CommunityRef, AlipayError> {
        let at = payload::location(c, &self.settings).map_err(|detail| AlipayError::Encode {
            method: "alipay.commerce.housing.community.add".into(),
            detail,
        })?;
        let (city_code, district_code) = (at.city_code.clone(), at.district_code.clone());
        let query = CommunityBatchQuery {
            city_code: Some(city_code.clone()),
            district_code: Some(district_code.clone()),
            community_name: Some(c.name.clone()),
            page_num: Some(1),
            page_size: Some(50),
        };
        let found = self.client.call(&query).await?;
        let existing = found
            .list
            .into_iter()
            .filter(|m| m.community_name.as_deref() == Some(c.name.as_str()))
            .find_map(|m| m.community_id.filter(|id| !id.is_empty()));
        let id = match existing {
            Some(id) => id,
            None => {
                let (lat, lng) = match &c.place {
                    Place::Coordinates { lng, lat } => {
                        (Some(format!("{lat:.6}")), Some(format!("{lng:.6}")))
                    }
                    _ => (None, None),
                };
                let add = CommunityAdd {
                    external_id: None,
                    community_name: Some(c.name.clone()),
                    community_address: at.address.clone(),
                    province_code: Some(at.province_code.clone()),
                    city_code: Some(city_code),
                    district_code: Some(district_code),
                    latitude: lat,
                    longitude: lng,
                    community_status: Some("TAKE_EFFECT".into()),
                    community_type: Some(self.settings.community_type.clone()),
                };
                let (answer, node) = self.client.call_with_node(&add).await?;
                answer
                    .community_id
                    .filter(|id| !id.is_empty())
                    .ok_or_else(|| {
                        missing(
                            "alipay.commerce.housing.community.add",
                            "community_id",
                            &node,
                        )
                    })?
            }
        };
        let text = serde_json::to_string(&at).map_err(|e| store_error(e.into()))?;
        // First writer wins: a community's place does not change, and a replace (delete, then
        // insert) would leave a moment in which a concurrent apartment add finds nothing.
        self.put(LOCATION, &id, &text).await?;
        Ok(CommunityRef::Code(id))
    }

    async fn upload_photo(&self, bytes: &[u8]) -> Result<String, AlipayError> {
        let file = FileUpload {
            attachment_category: self.settings.attachment_category.clone(),
            attachment_type: self.settings.attachment_type.clone(),
            file_name: "photo.jpg".into(),
            // The worker re-encodes every photo to JPEG before it gets here.
            mime: "image/jpeg".into(),
            bytes: bytes.to_vec(),
        };
        let (answer, node) = self.client.upload(&file).await?;
        answer
            .attachment_id
            .filter(|id| !id.is_empty())
            .ok_or_else(|| missing(crate::alipay::housing::file::METHOD, "attachment_id", &node))
    }

    /// Add or modify by the recorded id, whatever `adding` says: a quick retry of a lost add
    /// arrives here with `adding` still true, and must look up, not add again.
    async fn upsert_room(&self, room: &Room, _adding: bool) -> Result<(), AlipayError> {
        match room {
            Room::Dispersion(r) => self.upsert_house(r).await,
            Room::Concentration(r) => self.upsert_apartment(r).await,
        }
    }

    async fn add_only_drift(&self, room: &Room) -> Result<Vec<String>, AlipayError> {
        match room {
            Room::Dispersion(r) => {
                let add = payload::house_add(r, community_id(&r.community), &self.settings);
                self.drift("house", &r.room_code, &add, &add.fields).await
            }
            Room::Concentration(r) => {
                let Some(text) = self.get(LOCATION, community_id(&r.community)).await? else {
                    return Ok(Vec::new());
                };
                let at: Location =
                    serde_json::from_str(&text).map_err(|e| store_error(e.into()))?;
                let add = payload::apartment_add(r, &at, &self.settings);
                self.drift("apartment", &r.room_code, &add, &add.fields)
                    .await
            }
        }
    }

    async fn set_room_state(
        &self,
        room_code: &str,
        flats_tag: FlatsTag,
        state: RoomState,
        rent_status: RentStatus,
    ) -> Result<(), AlipayError> {
        let id = match flats_tag {
            FlatsTag::Dispersion => self.housing_id(room_code).await?,
            FlatsTag::Concentration => self.apartment_id(room_code).await?,
        };
        match id {
            Some(id) => {
                self.shelf(flats_tag, room_code, &id, state, rent_status)
                    .await
            }
            None => Err(room_not_on_platform(
                self.stage_method(Stage::State(flats_tag)),
                room_code,
            )),
        }
    }
}
