//! 上架 / 下架 (§4.3, §7): listings and apartments go on and off shelf through their own methods;
//! rooms inside an apartment have none and use `status` instead.

use crate::alipay::client::ApiRequest;

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct HouseOnline {
    pub housing_id: String,
    /// 房源来源: rental vs resale (inferred); value unpublished, from config.
    pub house_source: Option<String>,
}

impl ApiRequest for HouseOnline {
    const METHOD: &'static str = "alipay.commerce.housing.house.online";
    type Response = super::Empty;
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct HouseOffline {
    pub housing_id: String,
    pub house_source: Option<String>,
    /// 下架原因, free text.
    pub reason: Option<String>,
}

impl ApiRequest for HouseOffline {
    const METHOD: &'static str = "alipay.commerce.housing.house.offline";
    type Response = super::Empty;
}

#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct ApartmentOnline {
    pub apartment_id: String,
}

impl ApiRequest for ApartmentOnline {
    const METHOD: &'static str = "alipay.commerce.housing.apartment.online";
    type Response = super::Empty;
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct ApartmentOffline {
    pub apartment_id: String,
    pub reason: Option<String>,
}

impl ApiRequest for ApartmentOffline {
    const METHOD: &'static str = "alipay.commerce.housing.apartment.offline";
    type Response = super::Empty;
}
