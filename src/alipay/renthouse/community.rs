//! Communities (小区) and buildings (大楼) (spec §2.3 and §2.9). Per the 2017 guide, 小区
//! (compounds) carry 分散式 dispersion listings and 大楼 (buildings) carry 集中式 concentration
//! listings; the two must not be mixed.

use super::Empty;
use crate::alipay::client::ApiRequest;

/// 小区同步 submit a community; the answer's `comm_req_id` can be used in room syncs at once
/// (the platform reviews the community asynchronously).
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct CommunityInfoSync {
    /// 小区名称 community name.
    pub community_name: Option<String>,
    /// 城市国标码 city national division code; give this or `city_name`.
    pub city_code: Option<String>,
    /// 城市名称 city name; give this or `city_code`.
    pub city_name: Option<String>,
    /// 行政区县国标码 district national division code; give this or `district_name`.
    pub district_code: Option<String>,
    /// 行政区县名称 district name; give this or `district_code`.
    pub district_name: Option<String>,
    /// 小区地址 address; give one of address / `community_locations` / `poi`.
    pub address: Option<String>,
    /// 经纬度 longitude then latitude joined by `|`, e.g. `113.672470|34.793300`.
    pub community_locations: Option<String>,
    /// 坐标系 coordinate system of `community_locations`: `0` 百度 Baidu, `1` 高德 AMap.
    pub coordsys: Option<String>,
    /// POI编号 POI number; give one of address / `community_locations` / `poi`.
    pub poi: Option<String>,
}

impl ApiRequest for CommunityInfoSync {
    const METHOD: &'static str = "alipay.eco.renthouse.community.info.sync";
    type Response = CommunityInfoSyncResponse;
}

/// Answer of community.info.sync.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct CommunityInfoSyncResponse {
    /// 小区同步请求号 community sync request number (observed numeric strings, e.g. `"1857"`).
    pub comm_req_id: Option<String>,
    /// 小区同步状态 sync status; enumeration unpublished. SDK type Long, observed as `"1"` (a
    /// string) right after submission, hence the lenient reader.
    #[serde(deserialize_with = "super::opt_i64_lenient", default)]
    pub status: Option<i64>,
    /// 小区审核拒绝原因 audit rejection reason (added to the SDK 2020-08).
    pub remark: Option<String>,
}

/// 小区大楼信息同步 community/building master data (city, district, business district, community).
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct CommunityBaseinfoSync {
    /// 城市编码 city code.
    pub city_code: Option<String>,
    /// 城市名称 city name.
    pub city_name: Option<String>,
    /// 城市所在纬度 city latitude.
    pub city_lat: Option<String>,
    /// 城市所在经度 city longitude.
    pub city_lng: Option<String>,
    /// 行政区域编码 district code.
    pub district_code: Option<String>,
    /// 行政区域名称 district name.
    pub district_name: Option<String>,
    /// 行政区域所在纬度 district latitude.
    pub district_lat: Option<String>,
    /// 行政区域所在经度 district longitude.
    pub district_lng: Option<String>,
    /// 商圈编码 business-district code.
    pub bus_code: Option<String>,
    /// 商圈名称 business-district name.
    pub bus_name: Option<String>,
    /// 商圈所在纬度 business-district latitude.
    pub bus_lat: Option<String>,
    /// 商圈所在经度 business-district longitude.
    pub bus_lng: Option<String>,
    /// 商圈覆盖半径 business-district radius in metres (the only Long of this model).
    pub bus_radius: Option<i64>,
    /// 小区/大楼编码 community or building code.
    pub community_code: Option<String>,
    /// 小区/大楼名称 community or building name.
    pub community_name: Option<String>,
    /// 小区/大楼所在纬度 community or building latitude.
    pub community_lat: Option<String>,
    /// 小区/大楼所在经度 community or building longitude.
    pub community_lng: Option<String>,
    /// 小区/大楼弄号 lane number.
    pub community_nong: Option<String>,
    /// 小区/大楼街道 street.
    pub community_street: Option<String>,
    /// 小区/大楼标识类型 kind: `1` 小区 compound, `2` 大楼 building.
    pub community_tag: Option<String>,
    /// 地铁线地铁站关系 metro line–station pairs.
    pub subway_stations: Option<Vec<String>>,
}

impl ApiRequest for CommunityBaseinfoSync {
    const METHOD: &'static str = "alipay.eco.renthouse.community.baseinfo.sync";
    type Response = Empty;
}
