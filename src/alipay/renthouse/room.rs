//! Listings (房源): scattered flats and shared rooms (分散式, spec §2.5), centralised apartment
//! room types (集中式, §2.6) and the shelf/rent state of either (§2.7). Both room syncs are
//! upserts keyed by `room_code`, the operator's own listing ID.

use super::Empty;
use crate::alipay::client::ApiRequest;

/// 分散式(整租/合租)房源同步 scattered listing upsert; for 合租 shared renting each bedroom is its
/// own listing with its own `room_code`, `room_name` and `room_face`.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct DispersionRoomSync {
    /// KA内部存储的房源编号 the operator's listing ID (upsert key). The SDK declares it Long here
    /// (String in every other model), but integrations send strings such as `"100001"` or
    /// `"R123"`, so it is a String; digits-only codes are the safe choice.
    pub room_code: String,
    /// 小区同步请求号 community sync request number from community.info.sync; this or `community_code`.
    pub comm_req_id: Option<String>,
    /// 小区Code community code from the platform's CommunityInfos list; this or `comm_req_id`.
    pub community_code: Option<String>,
    /// 出租类型 rent type: 1 整租 whole flat, 2 合租 shared.
    pub rent_type: Option<i64>,
    /// 房源初始上下架状态 initial shelf state: 1 上架 listed, 0 下架 unlisted.
    pub room_status: Option<i64>,
    /// 出租状态 rent status: 1 未租 vacant, 2 已租 rented.
    pub rent_status: Option<i64>,
    /// 户型-房 bedrooms, 1–26.
    pub bedroom_count: Option<i64>,
    /// 户型-厅 living rooms, 0–10.
    pub parlor_count: Option<i64>,
    /// 户型-卫 bathrooms, 0–10.
    pub toilet_count: Option<i64>,
    /// 公寓面积 flat area in m², "5.00"–"300.00".
    pub flat_area: Option<String>,
    /// 房间面积 room area in m², "5.00"–"300.00".
    pub room_area: Option<String>,
    /// 所在楼层 floor, 1–99 and not above `total_floor_count`.
    pub floor_count: Option<i64>,
    /// 房屋总楼层 floors of the building, 1–99; a String in this model (Long in concentration).
    pub total_floor_count: Option<String>,
    /// 门牌-栋 building number.
    pub flat_building: Option<String>,
    /// 门牌-单元 unit number.
    pub flat_unit: Option<String>,
    /// 门牌-室 door number.
    pub room_num: Option<String>,
    /// 合租房间名称 bedroom name for 合租, one letter A–Z (required for 合租, unused for 整租).
    pub room_name: Option<String>,
    /// 合租房间朝向 bedroom orientation for 合租 (enumeration not published).
    pub room_face: Option<i64>,
    /// 租金 monthly rent in yuan, "100.00"–"35000.00".
    pub room_amount: Option<String>,
    /// 押金 deposit in yuan, "0"–"420000.00".
    pub foregift_amount: Option<String>,
    /// 付款方式-付 payment period: 1 付一 monthly, 2 付二 every two months.
    pub pay_type: Option<i64>,
    /// 多种付款方式 price plans; when given they override `pay_type`/`room_amount`/`foregift_amount`.
    pub pay_type_list: Option<Vec<DispersionPayType>>,
    /// 其它费用 other fees.
    pub other_amount: Option<Vec<OtherAmount>>,
    /// 费用说明 fee notes.
    pub fee_remark: Option<String>,
    /// 可入住时间 available from (`YYYY-MM-DD`), after today and at most 185 days ahead.
    pub checkin_time: Option<String>,
    /// 可签约至 can be leased until (`YYYY-MM-DD`).
    pub max_lease_time: Option<String>,
    /// 多少天起可租 minimum rental days.
    pub min_rent_days: Option<i64>,
    /// 免押金开始时间 deposit-free period start (`YYYY-MM-DD`).
    pub free_begin_date: Option<String>,
    /// 免押金结束时间 deposit-free period end (`YYYY-MM-DD`).
    pub free_end_date: Option<String>,
    /// 房源图片 image URLs from common.image.upload, 0–10, jpg/png/jpeg.
    pub images: Option<Vec<String>>,
    /// 房源描述 description (400 characters at most, as documented for concentration).
    pub intro: Option<String>,
    /// 房间配置 in-room amenity codes (spec §2.10), e.g. 2 空调 A/C, 11 床 bed, 13 衣柜 wardrobe.
    pub room_configs: Option<Vec<String>>,
    /// 公共区域配置 shared-area amenity codes for 合租 only (spec §2.10), e.g. 1 WIFI, 4 洗衣机 washer.
    pub flat_configs: Option<Vec<String>>,
    /// 管家姓名 agent name.
    pub owners_name: Option<String>,
    /// 管家手机号码 agent phone; must start with 400.
    pub owners_tel: Option<String>,
    /// 阿里短号 Alibaba short number.
    pub ali_short_num: Option<String>,
    /// 佣金 commission, a percentage or an amount per `commission_type`.
    pub commission: Option<String>,
    /// 佣金类型 commission type: `p` 百分比 percentage, `m` 金额 amount.
    pub commission_type: Option<String>,
    /// 房源对应的店铺编号 store number of the listing.
    pub room_store_no: Option<String>,
    /// 详情页跳转地址 detail-page URL; without it the page agreed at onboarding or a default is used.
    pub detail_address: Option<String>,
    /// 房源所支持的平台服务 platform services the listing supports.
    pub feature: Option<Vec<String>>,
    /// 房源视频地址 video URL.
    pub video: Option<String>,
}

impl ApiRequest for DispersionRoomSync {
    const METHOD: &'static str = "alipay.eco.renthouse.room.dispersion.sync";
    type Response = Empty;
}

/// 分散式付款方式 one price plan of a scattered listing (SDK EcoDisRenthousepayTypeList).
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct DispersionPayType {
    /// 付款方式-付 payment period: 1 付一 monthly, 2 付二 every two months.
    pub pay_type: Option<i64>,
    /// 可租期 lease term in months: 1, 3, 6 半年 half a year, 12 一年及以上 a year or more.
    pub lease_term: Option<i64>,
    /// 租金 monthly rent in yuan.
    pub room_amount: Option<String>,
    /// 押金 deposit in yuan.
    pub foregift_amount: Option<String>,
    /// 服务费 service fee in yuan.
    pub service_amount: Option<String>,
    /// 服务费单位 service-fee unit: `m` 每月 per month, `y` 每年 per year.
    pub service_type: Option<String>,
    /// 其它费用 other fees of this plan.
    pub other_amount: Option<Vec<OtherAmount>>,
}

/// 租房平台其他费用 one other fee (SDK EcoRenthouseOtherAmount).
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct OtherAmount {
    /// 费用名称 fee name.
    pub name: Option<String>,
    /// 费用金额 amount in yuan.
    pub amount: Option<String>,
    /// 费用单位 fee unit (observed `"元"`).
    pub unit: Option<String>,
}

/// 集中式房源同步 centralised apartment upsert: one call per room type (房型), keyed by
/// `room_code`; individual rooms go in `room_info_list`. Fields required on add (新增) keep
/// their last value when omitted on modify (修改).
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct ConcentrationRoomSync {
    /// 房型编号 the operator's room-type code (upsert key).
    pub room_code: String,
    /// 小区同步请求号 building sync request number from community.info.sync; this or `community_code`.
    pub comm_req_id: Option<String>,
    /// 小区Code building code from the platform's CommunityInfos list; this or `comm_req_id`.
    pub community_code: Option<String>,
    /// 公寓别名 apartment alias; required on add.
    pub nickname: Option<String>,
    /// 出租类型 rent type: 1 整租 whole flat, 2 合租 shared.
    pub rent_type: Option<i64>,
    /// 房源初始上下架状态 initial shelf state: 1 上架 listed, 0 下架 unlisted.
    pub room_status: Option<i64>,
    /// 出租状态 rent status: 1 未租 vacant, 2 已租 rented (ignored when `can_rent_num` is given).
    pub rent_status: Option<i64>,
    /// 户型-房 bedrooms, 1–26.
    pub bedroom_count: Option<i64>,
    /// 户型-厅 living rooms, 0–10.
    pub parlor_count: Option<i64>,
    /// 户型-卫 bathrooms, 0–10.
    pub toilet_count: Option<i64>,
    /// 房间面积 room area in m², "5.00"–"300.00" (the smallest of the type).
    pub room_area: Option<String>,
    /// 房间最大面积 largest room area of the type in m².
    pub room_max_area: Option<String>,
    /// 所在楼层 floor, not above `total_floor_count`.
    pub floor_count: Option<i64>,
    /// 房屋总楼层 floors of the building; a Long in this model (String in dispersion).
    pub total_floor_count: Option<i64>,
    /// 总计房间数量 total rooms of this type.
    pub all_room_num: Option<i64>,
    /// 可租房间数量 rooms available; 0 hides the type on the front end.
    pub can_rent_num: Option<i64>,
    /// 租金 monthly rent in yuan, "100.00"–"35000.00" (the lowest of the type).
    pub room_amount: Option<String>,
    /// 集中式最高价格 highest monthly rent of the type in yuan; required on add.
    pub max_amount: Option<String>,
    /// 押金 deposit in yuan, "0"–"420000.00".
    pub foregift_amount: Option<String>,
    /// 最大押金 highest deposit in yuan.
    pub max_deposit_amount: Option<String>,
    /// 付款方式-付 payment period: 1 付一 monthly, 2 付二 every two months.
    pub pay_type: Option<i64>,
    /// 多种付款方式 price plans; when given they override the single `pay_type` fields.
    pub pay_type_list: Option<Vec<ConcentrationPayType>>,
    /// 其它费用 other fees.
    pub other_amount: Option<Vec<OtherAmount>>,
    /// 费用说明 fee notes.
    pub fee_remark: Option<String>,
    /// 可入住时间 available from (`YYYY-MM-DD`), after today and at most 185 days ahead.
    pub checkin_time: Option<String>,
    /// 可签约至 can be leased until (`YYYY-MM-DD`).
    pub max_lease_time: Option<String>,
    /// 多少天起可租 minimum rental days.
    pub min_rent_days: Option<i64>,
    /// 免押金开始时间 deposit-free period start (`YYYY-MM-DD`).
    pub free_begin_date: Option<String>,
    /// 免押金结束时间 deposit-free period end (`YYYY-MM-DD`).
    pub free_end_date: Option<String>,
    /// 房源图片 image URLs from common.image.upload, 0–10, jpg/png/jpeg.
    pub images: Option<Vec<String>>,
    /// 房源描述 description, at most 400 characters.
    pub intro: Option<String>,
    /// 房间配置 in-room amenity codes (spec §2.10), e.g. 2 空调 A/C, 11 床 bed, 13 衣柜 wardrobe.
    pub room_configs: Option<Vec<String>>,
    /// 管家姓名 agent name.
    pub owners_name: Option<String>,
    /// 管家手机号码 agent phone; must start with 400.
    pub owners_tel: Option<String>,
    /// 阿里短号 Alibaba short number.
    pub ali_short_num: Option<String>,
    /// 佣金 commission, a percentage or an amount per `commission_type`.
    pub commission: Option<String>,
    /// 佣金类型 commission type: `p` 百分比 percentage, `m` 金额 amount.
    pub commission_type: Option<String>,
    /// 房源对应的店铺编号 store number of the listing.
    pub room_store_no: Option<String>,
    /// 集中式房间列表 the individual rooms of this type.
    pub room_info_list: Option<Vec<ConcentrationRoomInfo>>,
    /// 详情页跳转地址 detail-page URL; without it the page agreed at onboarding or a default is used.
    pub detail_address: Option<String>,
    /// 房源所支持的平台服务 platform services the listing supports.
    pub feature: Option<Vec<String>>,
    /// 房源视频地址 video URL.
    pub video: Option<String>,
}

impl ApiRequest for ConcentrationRoomSync {
    const METHOD: &'static str = "alipay.eco.renthouse.room.concentration.sync";
    type Response = Empty;
}

/// 集中式房间 one room of a centralised room type (SDK EcoRenthouseRoomInfoList).
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct ConcentrationRoomInfo {
    /// KA房源编号 listing code (the room type's `room_code`).
    pub room_code: Option<String>,
    /// KA房间ID the operator's room ID.
    pub ka_room_id: Option<String>,
    /// KA房间号 room number.
    pub room_num: Option<String>,
    /// 免押金到期日 deposit-free end date (`YYYY-MM-DD`).
    pub deposit_end_time: Option<String>,
}

/// 集中式付款方式 one price plan of a centralised room type (SDK EcoCenRenthousepayTypeList).
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct ConcentrationPayType {
    /// 付款方式-付 payment period: 1 付一 monthly, 2 付二 every two months.
    pub pay_type: Option<i64>,
    /// 租金 lowest monthly rent in yuan.
    pub room_amount: Option<String>,
    /// 最高价格 highest monthly rent in yuan, 2 decimals.
    pub max_amount: Option<String>,
    /// 最小押金 lowest deposit in yuan.
    pub foregift_amount: Option<String>,
    /// 最大押金 highest deposit in yuan.
    pub max_deposit_amount: Option<String>,
    /// 其它费用 other fees of this plan.
    pub other_amount: Option<Vec<OtherAmount>>,
}

/// 房源上下架 put a listing on or off the shelf and set its rent status.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct RoomStateSync {
    /// KA房源编号 the listing ID used in the room sync.
    pub room_code: String,
    /// 是否上架 shelf state: 1 上架 listed, 0 下架 unlisted.
    pub room_status: i64,
    /// 出租状态 rent status: 1 未租 vacant, 2 已租 rented.
    pub rent_status: Option<i64>,
    /// 房源类型 listing kind, selecting the `room_code` namespace: 1 分散式 dispersion, 2 集中式 concentration.
    pub flats_tag: i64,
}

impl ApiRequest for RoomStateSync {
    const METHOD: &'static str = "alipay.eco.renthouse.room.state.sync";
    type Response = Empty;
}
