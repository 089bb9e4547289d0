//! 小区 `community.add` / `community.batchquery` (§4.1). A community is found by name and
//! district first (the platform may not de-duplicate adds, §6), then added; its `community_id`
//! is what listings name.

use crate::alipay::client::ApiRequest;

/// 小区新增: creates one community; answers its `community_id` at once (no review stage).
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct CommunityAdd {
    /// 外部小区编码: our normalized community key.
    pub external_id: Option<String>,
    pub community_name: Option<String>,
    pub community_address: Option<String>,
    /// 6-digit division codes (§2.3: format inferred); the province is the city's first two digits.
    pub province_code: Option<String>,
    pub city_code: Option<String>,
    pub district_code: Option<String>,
    /// Decimal degrees as strings; the coordinate system is not stated (§9.5).
    pub latitude: Option<String>,
    pub longitude: Option<String>,
    /// `TAKE_EFFECT` or `INVALID`: the only published enumeration of the family.
    pub community_status: Option<String>,
    /// Default `COMMUNITY`.
    pub community_type: Option<String>,
}

impl ApiRequest for CommunityAdd {
    const METHOD: &'static str = "alipay.commerce.housing.community.add";
    type Response = CommunityAddResponse;
}

#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct CommunityAddResponse {
    pub community_id: Option<String>,
}

/// 小区分页查询 by city, district and name. Paging numbers are the family's only integers.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct CommunityBatchQuery {
    pub city_code: Option<String>,
    pub district_code: Option<String>,
    pub community_name: Option<String>,
    pub page_num: Option<i64>,
    pub page_size: Option<i64>,
}

impl ApiRequest for CommunityBatchQuery {
    const METHOD: &'static str = "alipay.commerce.housing.community.batchquery";
    type Response = CommunityBatchQueryResponse;
}

#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct CommunityBatchQueryResponse {
    #[serde(deserialize_with = "super::list_or_one")]
    pub list: Vec<CommunityModel>,
    pub page_num: Option<i64>,
    pub page_size: Option<i64>,
    pub total: Option<i64>,
}

/// One community as the platform shows it (the fields rentsync reads; others are ignored).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct CommunityModel {
    pub community_id: Option<String>,
    pub external_id: Option<String>,
    pub community_name: Option<String>,
    pub city_code: Option<String>,
    pub district_code: Option<String>,
    pub community_status: Option<String>,
}
