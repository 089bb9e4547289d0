//! 租房 `house.rental.*` (§4.2): a dispersion listing (整租 or one bedroom of a 合租 flat). Added
//! once with our `external_id`, then modified by the platform's `housing_id`. Fields only `add`
//! carries (layout counts, door number, mini-program page) sit on [`HouseRentalAdd`] alone, so a
//! modify can never pretend to change them.

use crate::alipay::client::ApiRequest;

/// Every field `house.rental.add` takes (spec §4.2), for telling which of them the views leave
/// empty.
pub const ADD_FIELDS: [&str; 54] = [
    "external_id",
    "community_id",
    "status",
    "property_title",
    "property_description",
    "renting_type",
    "rented_room",
    "rent",
    "rent_unit",
    "deposit",
    "payment_method",
    "check_in_time",
    "listing_date",
    "bed_room",
    "living_room",
    "kitchen",
    "bath_room",
    "has_private_bathroom",
    "constructed_area",
    "internal_area",
    "orientation",
    "floor_level",
    "total_floors",
    "floor_range",
    "elevator",
    "elevator_to_unit_ratio",
    "doorplate_number",
    "construction_year",
    "building_category",
    "house_structure",
    "housing_type",
    "renovation",
    "current_condition_house",
    "parking_space",
    "property_rights",
    "power_of_attorney",
    "owner_id",
    "owner_name",
    "verification_code",
    "contact_person",
    "contact_person_phone",
    "contact_persons_photo",
    "source_company",
    "house_pic",
    "house_video",
    "house_vr_url",
    "house_label",
    "property_features",
    "accommodation",
    "rental_requirements",
    "viewing_time",
    "other",
    "house_program_id",
    "page",
];

/// The fields both `add` and `modify` carry.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct HouseRentalFields {
    /// The platform's `community_id` (小区ID(内部)).
    pub community_id: Option<String>,
    /// 房源状态: values unpublished (§7), from config.
    pub status: Option<String>,
    pub property_title: Option<String>,
    pub property_description: Option<String>,
    /// 整租 / 合租: values unpublished, from config.
    pub renting_type: Option<String>,
    /// 出租房间描述: the bedroom let in a 合租 flat.
    pub rented_room: Option<String>,
    /// Yuan per `rent_unit`, e.g. `"2500.00"`.
    pub rent: Option<String>,
    pub rent_unit: Option<String>,
    /// Yuan.
    pub deposit: Option<String>,
    pub payment_method: Option<String>,
    /// `yyyy-MM-dd` (inferred, §2.3).
    pub check_in_time: Option<String>,
    /// 挂牌时间 `yyyy-MM-dd`.
    pub listing_date: Option<String>,
    pub has_private_bathroom: Option<String>,
    /// m², e.g. `"90.55"`.
    pub constructed_area: Option<String>,
    pub internal_area: Option<String>,
    pub orientation: Option<String>,
    pub floor_level: Option<String>,
    pub total_floors: Option<String>,
    /// 楼层区间 code, e.g. `LOW`.
    pub floor_range: Option<String>,
    /// 电梯: 有 / 无 (the resale convention, §4.2).
    pub elevator: Option<String>,
    /// 装修情况.
    pub renovation: Option<String>,
    pub contact_person: Option<String>,
    pub contact_person_phone: Option<String>,
    /// `attachment_id`s from `file.upload`, first = cover (inferred, §5).
    pub house_pic: Option<Vec<String>>,
    pub accommodation: Option<Vec<String>>,
    /// Tags (房源标签, inferred).
    pub house_label: Option<Vec<String>>,
}

/// 租房新增.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct HouseRentalAdd {
    /// Our room code; cannot be changed later and is the key `house.rental.query` finds it by.
    pub external_id: String,
    pub bed_room: Option<String>,
    pub living_room: Option<String>,
    pub kitchen: Option<String>,
    pub bath_room: Option<String>,
    pub doorplate_number: Option<String>,
    pub source_company: Option<String>,
    pub house_program_id: Option<String>,
    pub page: Option<String>,
    #[serde(flatten)]
    pub fields: HouseRentalFields,
}

impl ApiRequest for HouseRentalAdd {
    const METHOD: &'static str = "alipay.commerce.housing.house.rental.add";
    type Response = HouseRentalAddResponse;
}

#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct HouseRentalAddResponse {
    pub housing_id: Option<String>,
}

/// 租房修改, keyed by the platform's `housing_id`.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct HouseRentalModify {
    pub housing_id: String,
    #[serde(flatten)]
    pub fields: HouseRentalFields,
}

impl ApiRequest for HouseRentalModify {
    const METHOD: &'static str = "alipay.commerce.housing.house.rental.modify";
    type Response = super::Empty;
}

/// 租房查询: exactly one of the two keys (二选一进行必传).
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct HouseRentalQuery {
    pub external_id: Option<String>,
    pub housing_id: Option<String>,
}

impl ApiRequest for HouseRentalQuery {
    const METHOD: &'static str = "alipay.commerce.housing.house.rental.query";
    type Response = HouseRentalQueryResponse;
}

/// The listing as the platform holds it (the fields rentsync reads).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct HouseRentalQueryResponse {
    pub housing_id: Option<String>,
    pub external_id: Option<String>,
    pub status: Option<String>,
    pub rent: Option<String>,
}
