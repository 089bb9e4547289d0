//! Operator (KA, 公寓运营商) master data and SPI address registration (spec §2.1, §2.2, §3.1).

use super::Empty;
use crate::alipay::client::ApiRequest;

/// ka基础信息维护 create or update the operator (KA): omit `ka_code` to create, give it to update.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct KaInfoSync {
    /// KA唯一编码 KA code: absent on create, required on update.
    pub ka_code: Option<String>,
    /// 公寓运营商名称 operator name: required on create, optional on update.
    pub ka_name: Option<String>,
}

impl ApiRequest for KaInfoSync {
    const METHOD: &'static str = "alipay.eco.renthouse.ka.baseinfo.sync";
    type Response = KaInfoSyncResponse;
}

/// Answer of ka.baseinfo.sync.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct KaInfoSyncResponse {
    /// KA唯一编码 KA code assigned by the platform (observed: 17 alphanumerics, e.g. `aMNjHqSxnNLVDIcfE`).
    pub ka_code: Option<String>,
}

/// ka基础信息获取 query the operator (KA) by its code.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct KaInfoQuery {
    /// KA唯一编码 KA code, as returned by ka.baseinfo.sync.
    pub ka_code: String,
}

impl ApiRequest for KaInfoQuery {
    const METHOD: &'static str = "alipay.eco.renthouse.ka.baseinfo.query";
    type Response = KaInfoQueryResponse;
}

/// Answer of ka.baseinfo.query (a pre-release answer was observed with `ka_code` only).
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct KaInfoQueryResponse {
    /// KA唯一编码 KA code.
    pub ka_code: Option<String>,
    /// 公寓运营商名称 operator name.
    pub ka_name: Option<String>,
    /// 是否生效 validity (a string): `1` 生效 active, `0` 未生效 inactive.
    pub valid: Option<String>,
}

/// ka服务地址注册 register one SPI callback address of the operator; call once per `type`.
/// All three fields make up one registration, so none is optional.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct KaServiceCreate {
    /// KA唯一编码 KA code from ka.baseinfo.sync.
    pub ka_code: String,
    /// 服务类型 callback type (wire name `type`): 1 预约看房 viewing booking, 2 确认租约 lease
    /// confirmation, 3 拨号记录 phone-call record, 4 支付页面url payment-page URL;
    /// observed but undocumented: 5 小区状态同步 community status sync.
    #[serde(rename = "type")]
    pub service_type: i64,
    /// 服务地址 callback address; integrations send the full http(s) URL of their endpoint.
    pub address: String,
}

impl ApiRequest for KaServiceCreate {
    const METHOD: &'static str = "alipay.eco.renthouse.ka.service.create";
    type Response = Empty;
}
