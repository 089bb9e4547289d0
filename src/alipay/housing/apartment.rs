//! 集中式 `apartment.*` and `apartment.rental.*` (§4.4, §4.5). The apartment stands for one of
//! our room types (it has price and area ranges and a layout, spec §8.2); each door number of
//! that type is an `apartment.rental` room under it. Both are added once with our
//! `external_id` and modified by the platform id.

use crate::alipay::client::ApiRequest;

/// Every field `apartment.add` takes (spec §4.4), the deleted ones (§2.4.4) left out.
pub const ADD_FIELDS: [&str; 44] = [
    "external_id",
    "apartment_name",
    "apartment_address",
    "province_code",
    "city_code",
    "district_code",
    "business_district",
    "source_company",
    "status",
    "property_title",
    "property_description",
    "rent_start",
    "rent_end",
    "rent_unit",
    "usable_area_start",
    "usable_area_end",
    "floor_start",
    "floor_end",
    "bed_room",
    "living_room",
    "kitchen",
    "bath_room",
    "construction_year",
    "owner_id",
    "owner_name",
    "verification_code",
    "orientation",
    "house_structure",
    "elevator_to_unit_ratio",
    "apartment_img",
    "apartment_video",
    "apartment_vr",
    "apartment_facilities",
    "apartment_services",
    "accommodation",
    "house_label",
    "property_features",
    "viewing_time",
    "contact_person",
    "contact_person_phone",
    "contact_persons_photo",
    "house_program_id",
    "page",
    "other",
];

/// Every field `apartment.rental.add` takes (spec §4.5), the deprecated `verification_code` left
/// out.
pub const RENTAL_ADD_FIELDS: [&str; 13] = [
    "apartment_id",
    "external_id",
    "name",
    "doorplate_number",
    "rent",
    "rent_unit",
    "deposit",
    "payment_method",
    "internal_area",
    "orientation",
    "has_private_bathroom",
    "check_in_time",
    "status",
];

/// Apartment fields both `add` and `modify` carry.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct ApartmentFields {
    pub status: Option<String>,
    pub property_title: Option<String>,
    /// 户型介绍.
    pub property_description: Option<String>,
    /// Yuan, lowest and highest rent of the type.
    pub rent_start: Option<String>,
    pub rent_end: Option<String>,
    pub rent_unit: Option<String>,
    /// m².
    pub usable_area_start: Option<String>,
    pub usable_area_end: Option<String>,
    /// 居室.
    pub bed_room: Option<String>,
    pub apartment_img: Option<Vec<String>>,
    pub apartment_facilities: Option<Vec<String>>,
    pub contact_person_phone: Option<String>,
    /// 朝向.
    pub orientation: Option<String>,
    /// Tags: a list here, a string in the batch-query DTO (§2.4.2).
    pub house_label: Option<Vec<String>>,
}

/// 公寓新增.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct ApartmentAdd {
    pub external_id: String,
    pub apartment_name: Option<String>,
    pub apartment_address: Option<String>,
    pub province_code: Option<String>,
    pub city_code: Option<String>,
    pub district_code: Option<String>,
    pub source_company: Option<String>,
    pub living_room: Option<String>,
    pub bath_room: Option<String>,
    #[serde(flatten)]
    pub fields: ApartmentFields,
}

impl ApiRequest for ApartmentAdd {
    const METHOD: &'static str = "alipay.commerce.housing.apartment.add";
    type Response = ApartmentAddResponse;
}

#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct ApartmentAddResponse {
    pub apartment_id: Option<String>,
}

/// 公寓更新, keyed by `apartment_id`.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct ApartmentModify {
    pub apartment_id: String,
    #[serde(flatten)]
    pub fields: ApartmentFields,
}

impl ApiRequest for ApartmentModify {
    const METHOD: &'static str = "alipay.commerce.housing.apartment.modify";
    type Response = super::Empty;
}

/// 公寓查询 by `apartment_id` or our `external_id`.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct ApartmentQuery {
    pub apartment_id: Option<String>,
    pub external_id: Option<String>,
}

impl ApiRequest for ApartmentQuery {
    const METHOD: &'static str = "alipay.commerce.housing.apartment.query";
    type Response = ApartmentQueryResponse;
}

#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct ApartmentQueryResponse {
    pub apartment_id: Option<String>,
    pub external_id: Option<String>,
    pub status: Option<String>,
}

/// Room fields both `apartment.rental.add` and `modify` carry.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct ApartmentRentalFields {
    /// The room's own name (described "公寓名称", a copy-paste slip, §2.4.3).
    pub name: Option<String>,
    /// Yuan.
    pub rent: Option<String>,
    pub rent_unit: Option<String>,
    pub deposit: Option<String>,
    pub payment_method: Option<String>,
    pub internal_area: Option<String>,
    /// 朝向.
    pub orientation: Option<String>,
    pub check_in_time: Option<String>,
    /// The only lever for a room's availability: rooms have no online/offline (§7).
    pub status: Option<String>,
}

/// 公寓房源新增.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct ApartmentRentalAdd {
    pub apartment_id: String,
    pub external_id: String,
    pub doorplate_number: Option<String>,
    #[serde(flatten)]
    pub fields: ApartmentRentalFields,
}

impl ApiRequest for ApartmentRentalAdd {
    const METHOD: &'static str = "alipay.commerce.housing.apartment.rental.add";
    type Response = ApartmentRentalAddResponse;
}

#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct ApartmentRentalAddResponse {
    pub apartment_house_id: Option<String>,
}

/// 公寓房源修改, keyed by `apartment_house_id` (the platform's id, whatever the SDK text says).
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct ApartmentRentalModify {
    pub apartment_house_id: String,
    #[serde(flatten)]
    pub fields: ApartmentRentalFields,
}

impl ApiRequest for ApartmentRentalModify {
    const METHOD: &'static str = "alipay.commerce.housing.apartment.rental.modify";
    type Response = super::Empty;
}

/// 公寓房源查询 by `apartment_house_id` or our `external_id`.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct ApartmentRentalQuery {
    pub apartment_house_id: Option<String>,
    pub external_id: Option<String>,
}

impl ApiRequest for ApartmentRentalQuery {
    const METHOD: &'static str = "alipay.commerce.housing.apartment.rental.query";
    type Response = ApartmentRentalQueryResponse;
}

#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct ApartmentRentalQueryResponse {
    pub apartment_house_id: Option<String>,
    pub apartment_id: Option<String>,
    pub external_id: Option<String>,
    pub status: Option<String>,
}
