//! The `alipay.eco.renthouse.*` family: canonical rooms become the seed guide's wire models.
//! The payload builders are public so the planner can check (and hash) exactly what would be sent.

use async_trait::async_trait;
use base64::Engine;

use super::Platform;
use crate::alipay::error::redact_answer;
use crate::alipay::renthouse::{
    CommunityInfoSync, ConcentrationPayType, ConcentrationRoomInfo, ConcentrationRoomSync,
    DispersionPayType, DispersionRoomSync, ImageUpload, OtherAmount, RoomStateSync,
};
use crate::alipay::{AlipayClient, AlipayError};
use crate::model::{
    Community, CommunityRef, Division, Fee, FlatsTag, ListingDetails, Money, Place, RentStatus,
    RentType, Room, RoomState,
};

pub struct RenthousePlatform {
    client: AlipayClient,
}

impl RenthousePlatform {
    pub fn new(client: AlipayClient) -> Self {
        Self { client }
    }
}

#[async_trait]
impl Platform for RenthousePlatform {
    fn family(&self) -> &'static str {
        "renthouse"
    }

    async fn sync_community(&self, community: &Community) -> Result<CommunityRef, AlipayError> {
        let (answer, node) = self
            .client
            .call_with_node(&community_request(community))
            .await?;
        match answer.comm_req_id {
            Some(id) if !id.is_empty() => Ok(CommunityRef::RequestId(id)),
            _ => Err(AlipayError::Decode {
                method: "alipay.eco.renthouse.community.info.sync".into(),
                detail: "success without comm_req_id".into(),
                raw: redact_answer(&node),
            }),
        }
    }

    async fn upload_photo(&self, bytes: &[u8]) -> Result<String, AlipayError> {
        let req = ImageUpload {
            file_base: base64::engine::general_purpose::STANDARD.encode(bytes),
            file_type: "1".into(),
            is_public: Some(true),
        };
        let (answer, node) = self.client.call_with_node(&req).await?;
        answer
            .url
            .filter(|u| !u.is_empty())
            .ok_or_else(|| AlipayError::Decode {
                method: "alipay.eco.renthouse.common.image.upload".into(),
                detail: "success without url".into(),
                raw: redact_answer(&node),
            })
    }

    /// `room.*.sync` is an upsert by room code, so `adding` changes nothing here.
    async fn upsert_room(&self, room: &Room, _adding: bool) -> Result<(), AlipayError> {
        match room_payload(room) {
            RoomPayload::Dispersion(p) => self.client.call(&p).await.map(drop),
            RoomPayload::Concentration(p) => self.client.call(&p).await.map(drop),
        }
    }

    async fn set_room_state(
        &self,
        room_code: &str,
        flats_tag: FlatsTag,
        state: RoomState,
        rent_status: RentStatus,
    ) -> Result<(), AlipayError> {
        let req = state_request(room_code, flats_tag, state, rent_status);
        self.client.call(&req).await.map(drop)
    }
}

pub fn community_request(c: &Community) -> CommunityInfoSync {
    let mut req = CommunityInfoSync {
        community_name: Some(c.name.clone()),
        ..Default::default()
    };
    match &c.city {
        Division::Code(code) => req.city_code = Some(code.clone()),
        Division::Name(name) => req.city_name = Some(name.clone()),
    }
    match &c.district {
        Division::Code(code) => req.district_code = Some(code.clone()),
        Division::Name(name) => req.district_name = Some(name.clone()),
    }
    match &c.place {
        Place::Address(a) => req.address = Some(a.clone()),
        Place::Coordinates { lng, lat } => {
            req.community_locations = Some(format!("{lng:.6}|{lat:.6}"));
            req.coordsys = Some("1".into());
        }
        Place::Poi(p) => req.poi = Some(p.clone()),
    }
    req
}

/// What a room sync sends.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(untagged)]
pub enum RoomPayload {
    Dispersion(DispersionRoomSync),
    Concentration(ConcentrationRoomSync),
}

impl RoomPayload {
    pub fn method(&self) -> &'static str {
        use crate::alipay::ApiRequest;
        match self {
            RoomPayload::Dispersion(_) => DispersionRoomSync::METHOD,
            RoomPayload::Concentration(_) => ConcentrationRoomSync::METHOD,
        }
    }
}

fn community_fields(c: &CommunityRef) -> (Option<String>, Option<String>) {
    match c {
        CommunityRef::Code(code) => (Some(code.clone()), None),
        CommunityRef::RequestId(id) => (None, Some(id.clone())),
    }
}

fn state_codes(state: RoomState, rent: RentStatus) -> (i64, i64) {
    let room_status = match state {
        RoomState::OnShelf => 1,
        RoomState::OffShelf => 0,
    };
    let rent_status = match rent {
        RentStatus::Vacant => 1,
        RentStatus::Rented => 2,
    };
    (room_status, rent_status)
}

fn area(centi: Option<i64>) -> Option<String> {
    centi.map(|c| crate::model::Money(c).yuan())
}

/// The full room, always: on modify the platform keeps omitted fields, so sending everything
/// makes every call an idempotent upsert.
pub fn room_payload(room: &Room) -> RoomPayload {
    match room {
        Room::Dispersion(r) => {
            let (community_code, comm_req_id) = community_fields(&r.community);
            let (room_status, rent_status) = state_codes(r.state, r.rent_status);
            let rent_type = match r.shared {
                Some(_) => RentType::Shared,
                None => RentType::Whole,
            };
            let mut p = DispersionRoomSync {
                room_code: r.room_code.clone(),
                community_code,
                comm_req_id,
                rent_type: Some(if rent_type == RentType::Whole { 1 } else { 2 }),
                room_status: Some(room_status),
                rent_status: Some(rent_status),
                bedroom_count: Some(r.layout.bedrooms.into()),
                parlor_count: Some(r.layout.parlors.into()),
                toilet_count: Some(r.layout.toilets.into()),
                room_area: area(r.room_area_centi),
                flat_area: area(r.flat_area_centi),
                floor_count: r.floor.map(Into::into),
                total_floor_count: r.total_floors.map(|t| t.to_string()),
                room_name: r.shared.as_ref().map(|s| s.name.to_string()),
                room_face: r.shared.as_ref().map(|s| s.face.into()),
                room_amount: Some(r.rent.yuan()),
                foregift_amount: r.deposit.map(|d| d.yuan()),
                checkin_time: Some(r.checkin.format("%Y-%m-%d").to_string()),
                images: Some(r.images.clone()),
                intro: r.intro.clone(),
                room_configs: (!r.room_configs.is_empty()).then(|| r.room_configs.clone()),
                owners_name: r.owners_name.clone(),
                owners_tel: r.owners_tel.clone(),
                ..Default::default()
            };
            let d = &r.details;
            let e = Extras::of(d);
            p.pay_type = d.pay_type;
            p.pay_type_list = list(&d.pay_plans, |plan| DispersionPayType {
                pay_type: Some(plan.pay_type),
                lease_term: plan.lease_term_months,
                room_amount: Some(plan.rent.yuan()),
                foregift_amount: plan.deposit.map(Money::yuan),
                service_amount: plan.service.map(Money::yuan),
                service_type: plan.service_unit.clone(),
                other_amount: None,
            });
            p.other_amount = e.other_amount;
            p.fee_remark = e.fee_remark;
            p.max_lease_time = e.max_lease_time;
            p.min_rent_days = d.min_rent_days;
            p.free_begin_date = e.free_begin_date;
            p.free_end_date = e.free_end_date;
            p.commission = e.commission;
            p.commission_type = e.commission_type;
            p.room_store_no = d.store_no.clone();
            p.detail_address = d.detail_url.clone();
            p.feature = e.feature;
            p.video = d.video_url.clone();
            p.flat_building = d.building_no.clone();
            p.flat_unit = d.unit_no.clone();
            p.room_num = d.door_no.clone();
            p.flat_configs = (!d.flat_configs.is_empty()).then(|| d.flat_configs.clone());
            RoomPayload::Dispersion(p)
        }
        Room::Concentration(r) => {
            let (community_code, comm_req_id) = community_fields(&r.community);
            let (room_status, rent_status) = state_codes(r.state, r.rent_status);
            let mut p = ConcentrationRoomSync {
                room_code: r.room_code.clone(),
                community_code,
                comm_req_id,
                rent_type: Some(1),
                room_status: Some(room_status),
                rent_status: Some(rent_status),
                bedroom_count: Some(r.layout.bedrooms.into()),
                parlor_count: Some(r.layout.parlors.into()),
                toilet_count: Some(r.layout.toilets.into()),
                room_area: area(r.room_area_centi),
                room_amount: Some(r.rent.yuan()),
                max_amount: Some(r.max_rent.yuan()),
                foregift_amount: r.deposit.map(|d| d.yuan()),
                nickname: Some(r.nickname.clone()),
                checkin_time: Some(r.checkin.format("%Y-%m-%d").to_string()),
                images: Some(r.images.clone()),
                intro: r.intro.clone(),
                room_configs: (!r.room_configs.is_empty()).then(|| r.room_configs.clone()),
                owners_tel: r.owners_tel.clone(),
                all_room_num: Some(r.room_numbers.len() as i64),
                can_rent_num: Some(r.can_rent.into()),
                room_info_list: Some(
                    r.room_numbers
                        .iter()
                        .map(|n| ConcentrationRoomInfo {
                            room_num: Some(n.clone()),
                            ..Default::default()
                        })
                        .collect(),
                ),
                ..Default::default()
            };
            let d = &r.details;
            let e = Extras::of(d);
            p.pay_type = d.pay_type;
            p.pay_type_list = list(&d.pay_plans, |plan| ConcentrationPayType {
                pay_type: Some(plan.pay_type),
                room_amount: Some(plan.rent.yuan()),
                max_amount: plan.max_rent.map(Money::yuan),
                foregift_amount: plan.deposit.map(Money::yuan),
                max_deposit_amount: plan.max_deposit.map(Money::yuan),
                other_amount: None,
            });
            p.other_amount = e.other_amount;
            p.fee_remark = e.fee_remark;
            p.max_lease_time = e.max_lease_time;
            p.min_rent_days = d.min_rent_days;
            p.free_begin_date = e.free_begin_date;
            p.free_end_date = e.free_end_date;
            p.commission = e.commission;
            p.commission_type = e.commission_type;
            p.room_store_no = d.store_no.clone();
            p.detail_address = d.detail_url.clone();
            p.feature = e.feature;
            p.video = d.video_url.clone();
            p.max_deposit_amount = d.max_deposit.map(Money::yuan);
            p.room_max_area = area(d.max_area_centi);
            RoomPayload::Concentration(p)
        }
    }
}

fn list<T, U>(items: &[T], f: impl Fn(&T) -> U) -> Option<Vec<U>> {
    (!items.is_empty()).then(|| items.iter().map(f).collect())
}

/// The optional fields both room syncs carry alike, in wire form.
struct Extras {
    other_amount: Option<Vec<OtherAmount>>,
    fee_remark: Option<String>,
    max_lease_time: Option<String>,
    free_begin_date: Option<String>,
    free_end_date: Option<String>,
    commission: Option<String>,
    commission_type: Option<String>,
    feature: Option<Vec<String>>,
}

impl Extras {
    fn of(d: &ListingDetails) -> Self {
        let day = |v: Option<chrono::NaiveDate>| v.map(|d| d.format("%Y-%m-%d").to_string());
        Self {
            other_amount: list(&d.fees, |f: &Fee| OtherAmount {
                name: Some(f.name.clone()),
                amount: Some(f.amount.yuan()),
                unit: f.unit.clone(),
            }),
            fee_remark: d.fee_remark.clone(),
            max_lease_time: day(d.lease_until),
            free_begin_date: day(d.free_deposit_from),
            free_end_date: day(d.free_deposit_until),
            commission: d.commission.map(|c| c.decimal()),
            commission_type: d.commission.map(|c| c.kind_code().to_string()),
            feature: (!d.features.is_empty()).then(|| d.features.clone()),
        }
    }
}

pub fn state_request(
    room_code: &str,
    flats_tag: FlatsTag,
    state: RoomState,
    rent: RentStatus,
) -> RoomStateSync {
    let (room_status, rent_status) = state_codes(state, rent);
    RoomStateSync {
        room_code: room_code.to_string(),
        room_status,
        rent_status: Some(rent_status),
        flats_tag: match flats_tag {
            FlatsTag::Dispersion => 1,
            FlatsTag::Concentration => 2,
        },
    }
}
