//! Tenant checks and public-rental-housing progress (spec §2.9).

use super::{Empty, StatusValueResponse};
use crate::alipay::client::ApiRequest;

/// 租客查询支付宝授权状态 whether the tenant has authorised their identity to the operator.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct RenterIdinfoQuery {
    /// 身份证号 tenant ID-card number.
    pub card_no: Option<String>,
    /// 用户姓名 tenant name.
    pub user_name: Option<String>,
}

impl ApiRequest for RenterIdinfoQuery {
    const METHOD: &'static str = "alipay.eco.renthouse.renter.idinfo.query";
    type Response = StatusValueResponse;
}

/// 查询芝麻信用等级 the tenant's Zhima (芝麻) credit level, if authorised.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct RenterZhimaQuery {
    /// 身份证号 tenant ID-card number.
    pub card_no: Option<String>,
    /// 用户姓名 tenant name.
    pub user_name: Option<String>,
}

impl ApiRequest for RenterZhimaQuery {
    const METHOD: &'static str = "alipay.eco.renthouse.renter.zhima.query";
    type Response = StatusValueResponse;
}

/// 公租房申请进度同步 progress of a public-rental-housing (公租房) application.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct PublicrentApplyscheduleSync {
    /// 证件号-身份证号 applicant ID-card number.
    pub cert_no: Option<String>,
    /// 租客用户Id the tenant's user ID (despite the name, not an application ID).
    pub rent_id: Option<String>,
    /// 申请单进度列表 the application's steps.
    pub apply_schedule_list: Vec<ApplySchedule>,
}

impl ApiRequest for PublicrentApplyscheduleSync {
    const METHOD: &'static str = "alipay.eco.renthouse.publicrent.applyschedule.sync";
    type Response = Empty;
}

/// 申请单进度 one step of a public-rental application (SDK EcoApplySchedule).
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct ApplySchedule {
    /// 申请单号 application number.
    pub order_no: Option<String>,
    /// 审批顺序 position of this step in the approval order.
    pub order_num: Option<i64>,
    /// 审批阶段编码 step code.
    pub step: Option<String>,
    /// 审批阶段描述 step name, e.g. 初审 first review, 提交材料 documents, 市局审批 city bureau, 受理中心 service centre.
    pub step_desc: Option<String>,
    /// 审批阶段状态编码 step status code, e.g. `1`, `2`, `3`.
    pub status: Option<String>,
    /// 审批阶段状态描述 step status text: 审核中 in review, 通过 approved, 拒绝 rejected.
    pub status_desc: Option<String>,
    /// 审批时间 approval time (`yyyy-MM-dd HH:mm:ss`).
    pub audit_time: Option<String>,
    /// 批语 reviewer's comment.
    pub audit_comment: Option<String>,
    /// 编辑标识 edit flag: 0 不可编辑 not editable, 1 可编辑 editable, 2 需重新提交 must resubmit.
    pub edit_flag: Option<i64>,
}
