//! `tmall.alihouse.trade.rent.lease.query` (天猫好房etc查询租约单意向状态, seed 002): a lease
//! order's intention status, its bills by phase or number, and commission settlement.
//! Every field of the seed is here, typed; money is fen (`Fen`), timestamps are epoch
//! milliseconds as the platform sends them.

use serde::{Deserialize, Serialize};

use super::wire::{fen_as_string, number_enum, string_enum, Fen, YesNo};
use super::TopRequest;

pub const METHOD: &str = "tmall.alihouse.trade.rent.lease.query";

number_enum!(
    /// `QueryStatusDTO.type`: what the query returns.
    QueryType {
        /// 0 查租约单.
        Lease = 0,
        /// 1 按账期查账单 (needs `phase`).
        BillsByPhase = 1,
        /// 2 查租约单且按账单编号查账单 (needs `bill_no_list`).
        BillsByNumber = 2,
        /// 3 查询分佣信息.
        Settlement = 3,
    }
);

/// The request object, sent as the JSON string of the `querystatusreq` form field.
#[allow(clippy::upper_case_acronyms)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueryStatusDTO {
    /// 租约单号, required.
    pub lease_order_no: String,
    /// 账单编号集合.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bill_no_list: Option<Vec<String>>,
    /// 账期.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<i64>,
    /// Required.
    #[serde(rename = "type")]
    pub query_type: QueryType,
    /// 经营主体ID, required.
    pub merchant_open_id: i64,
}

impl QueryStatusDTO {
    /// The seed's rules, checked before anything is sent; each refusal names field and rule.
    pub fn validate(&self) -> Result<(), super::TopError> {
        let bad = |field: &str, rule: &str| {
            Err(super::TopError::Invalid {
                method: METHOD.into(),
                problems: vec![format!("querystatusreq.{field}: {rule}")],
            })
        };
        if self.lease_order_no.trim().is_empty() {
            return bad("lease_order_no", "is required");
        }
        if let QueryType::Other(n) = self.query_type {
            return bad("type", &format!("must be 0..3, not {n}"));
        }
        if self.query_type == QueryType::BillsByPhase && self.phase.is_none() {
            return bad("phase", "is required when type is 1 (bills by phase)");
        }
        if self.query_type == QueryType::BillsByNumber
            && self.bill_no_list.as_ref().is_none_or(|l| l.is_empty())
        {
            return bad(
                "bill_no_list",
                "is required when type is 2 (bills by number)",
            );
        }
        Ok(())
    }
}

string_enum!(
    /// `EtcLeaseOrderDTO.status` (租约单状态).
    LeaseStatus {
        /// 租客发起.
        TenantInitiate = "TENANT_INITIATE",
        /// 房东确认.
        LandlordConfirm = "LANDLORD_CONFIRM",
        /// 房东发起.
        LandlordInitiate = "LANDLORD_INITIATE",
        /// 意向达成.
        Achievement = "ACHIEVEMENT",
        /// 签约完成.
        SignFinish = "SIGN_FINISH",
        /// 租约到期.
        Expire = "EXPIRE",
        /// 租约关闭.
        Closed = "CLOSED",
    }
);

number_enum!(
    /// `HouseBillDTO.bill_type` (账单类型): the seed's 15 types.
    BillType {
        Deposit = 0,
        Rent = 1,
        Refund = 2,
        ExtraCharge = 3,
        EarnestMoney = 4,
        Water = 5,
        Electricity = 6,
        Gas = 7,
        HotWater = 8,
        ColdWater = 9,
        CheckOutPayable = 10,
        CheckOutReceivable = 11,
        DepositWaiver = 12,
        RentWaiver = 13,
        Other14 = 14,
    }
);

string_enum!(
    /// `HouseBillDTO.status` (账单状态).
    BillStatus {
        /// 待确认.
        Init = "INIT",
        /// 待支付.
        Payable = "PAYABLE",
        /// 支付成功.
        Succeed = "SUCCEED",
        /// 关闭.
        Closed = "CLOSED",
    }
);

number_enum!(
    /// `EtcLeaseOrderDTO.payable` (可支付状态).
    Payability {
        NothingPayable = 0,
        BillPayable = 1,
        BillPaying = 2,
    }
);

string_enum!(
    /// `EtcLeaseOrderDTO.close_reason` (关闭原因).
    CloseReason {
        TenantCancelIntention = "TENANT_CANCEL_INTENTION",
        LandlordCancelIntention = "LANDLORD_CANCEL_INTENTION",
        TenantRejectIntention = "TENANT_REJECT_INTENTION",
        LandlordRejectIntention = "LANDLORD_REJECT_INTENTION",
        TenantConfirmIntentionOvertime = "TENANT_CONFIRM_INTENTION_OVERTIME",
        LandlordConfirmIntentionOvertime = "LANDLORD_CONFIRM_INTENTION_OVERTIME",
        /// 租客发起解约,房东同意关闭.
        TenantInitiateCancel = "TENANT_INITIATE_CANCEL",
        /// 租客发起解约,超时关闭.
        TenantInitiateCancelOvertime = "TENANT_INITIATE_CANCEL_OVERTIME",
    }
);

number_enum!(
    /// `terminate_role_type` (解约发起人角色).
    TerminateRole { Tenant = 1, Landlord = 2 }
);

number_enum!(
    /// `cancel_order_status` (解约单状态).
    CancelOrderStatus {
        PendingAudit = 0,
        AuditApproved = 10,
        Refunded = 20,
        AuditRejected = 30,
        RefundClosed = 40,
    }
);

/// One bill (`HouseBillDTO`).
#[allow(clippy::upper_case_acronyms)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HouseBillDTO {
    pub bill_no: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bill_type: Option<BillType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<Fen>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<BillStatus>,
    /// 是否支付中.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_lock: Option<YesNo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<i64>,
    /// 交租日, epoch ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pay_rent_mill_second: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_online: Option<YesNo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_overdue: Option<YesNo>,
    /// Paid: payment time; closed: closing time. Epoch ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finish_mill_second: Option<i64>,
}

/// Commission settlement (`SettleInfo`, 分佣信息).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SettleInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_settle: Option<YesNo>,
    /// 天猫好房结算流水号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settle_order_no: Option<String>,
    /// 网商银行代发流水号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer_order_no: Option<String>,
    /// Epoch ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settle_time: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settle_amount: Option<Fen>,
    /// 月租金.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rent_pay_price: Option<Fen>,
    /// 明目, e.g. 运营服务费.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settle_detailed: Option<String>,
    /// e.g. `B2C` (交易宝).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub biz_channel: Option<String>,
    /// 淘宝单号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tp_order_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commission_rule: Option<String>,
}

/// A red packet or coupon applied to a payment (`TpMarketingInfo`); its amount is fen in a string.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TpMarketingInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(
        default,
        with = "fen_as_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub amount: Option<Fen>,
}

/// Marketing tied to bills (`BillMarketInfo`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BillMarketInfo {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bill_no_list: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pay_order_no: Option<String>,
    /// 红包.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sbt_info_list: Vec<TpMarketingInfo>,
    /// 优惠券.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub discount_info_list: Vec<TpMarketingInfo>,
}

/// The answer's `data` (`EtcLeaseOrderDTO`).
#[allow(clippy::upper_case_acronyms)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EtcLeaseOrderDTO {
    pub lease_order_no: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<LeaseStatus>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bill_dto_list: Vec<HouseBillDTO>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payable: Option<Payability>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub close_reason: Option<CloseReason>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub settle_info_list: Vec<SettleInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oaid: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bill_market_info_list: Vec<BillMarketInfo>,
    /// 是否支持房东发起解约.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub support_landlord_terminate: Option<YesNo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terminate_role_type: Option<TerminateRole>,
    /// 解约单号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancel_order_no: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancel_order_status: Option<CancelOrderStatus>,
    /// 解约审核意见.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terminate_audit_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trade_init_broker_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub house_service_broker_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kpi_belong_broker_id: Option<i64>,
    /// e.g. 1 直营.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub biz_belong: Option<i64>,
    /// e.g. `through_train` (直通车).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub biz_label: Option<String>,
}

/// The typed call: `querystatusreq` in, `EtcLeaseOrderDTO` out. A read, so retried freely.
#[derive(Debug, Clone)]
pub struct LeaseQuery(pub QueryStatusDTO);

impl TopRequest for LeaseQuery {
    const METHOD: &'static str = METHOD;
    type Data = EtcLeaseOrderDTO;

    fn params(&self) -> Result<Vec<(&'static str, String)>, super::TopError> {
        self.0.validate()?;
        Ok(vec![(
            "querystatusreq",
            super::client::json_param(METHOD, &self.0)?,
        )])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tmall::wire::Simplified;

    /// Seed 002's JSON-shaped example answer, every field.
    pub const SEED_ANSWER: &str = r#"{"result":{"message":"系统出错","code":"b1001-102","data":{
      "lease_order_no":"1232","status":"TENANT_INITIATE",
      "bill_dto_list":[{"bill_no":"123","bill_type":2,"amount":1000,"status":"INIT","is_lock":"Y","phase":1,
        "pay_rent_mill_second":12323,"is_online":"Y","is_overdue":"N","finish_mill_second":122323}],
      "payable":1,"close_reason":"TENANT_CANCEL_INTENTION",
      "settle_info_list":[{"is_settle":"Y","settle_order_no":"123123241343","transfer_order_no":"452541252452",
        "settle_time":1653148800000,"settle_amount":20000,"rent_pay_price":200000,"settle_detailed":"abc",
        "biz_channel":"B2C","tp_order_id":"2739706993540986035","commission_rule":"1"}],
      "oaid":"aw45aws5a454a45a5",
      "bill_market_info_list":[{"bill_no_list":["123"],"pay_order_no":"2143413413513515",
        "sbt_info_list":[{"id":"800001","amount":"2000"}],
        "discount_info_list":[{"id":"coupon_1231_123123","amount":"20000"}]}],
      "support_landlord_terminate":"Y","terminate_role_type":1,"cancel_order_no":"2022xxx",
      "cancel_order_status":0,"terminate_audit_reason":"同意","trade_init_broker_id":123,
      "house_service_broker_id":123,"kpi_belong_broker_id":123,"biz_belong":1,"biz_label":"through_train"},
      "is_success":true},"request_id":"r1"}"#;

    #[test]
    fn seed_answer_reads_into_types_with_money_in_fen() {
        let env: Simplified<EtcLeaseOrderDTO> = serde_json::from_str(SEED_ANSWER).unwrap();
        assert!(!env.result.refused());
        let d = env.result.data.unwrap();
        assert_eq!(d.status, Some(LeaseStatus::TenantInitiate));
        let b = &d.bill_dto_list[0];
        assert_eq!(b.bill_type, Some(BillType::Refund));
        assert_eq!(b.amount, Some(Fen(1000)));
        assert_eq!(b.status, Some(BillStatus::Init));
        assert_eq!(d.payable, Some(Payability::BillPayable));
        assert_eq!(d.close_reason, Some(CloseReason::TenantCancelIntention));
        assert_eq!(d.settle_info_list[0].settle_amount, Some(Fen(20000)));
        assert_eq!(
            d.bill_market_info_list[0].discount_info_list[0].amount,
            Some(Fen(20000))
        );
        assert_eq!(d.cancel_order_status, Some(CancelOrderStatus::PendingAudit));
        assert_eq!(d.terminate_role_type, Some(TerminateRole::Tenant));
        // Round trip: what the sandbox sends is what the client reads, string amounts included.
        let text = serde_json::to_string(&d).unwrap();
        assert!(text.contains(r#""amount":"2000""#), "{text}");
        assert_eq!(serde_json::from_str::<EtcLeaseOrderDTO>(&text).unwrap(), d);
    }

    #[test]
    fn there_are_fifteen_bill_types_seven_lease_and_four_bill_statuses() {
        assert_eq!(BillType::ALL.len(), 15);
        assert_eq!(LeaseStatus::ALL.len(), 7);
        assert_eq!(BillStatus::ALL.len(), 4);
        assert_eq!(CloseReason::ALL.len(), 8);
    }

    #[test]
    fn query_rules_name_the_field() {
        let mut q = QueryStatusDTO {
            lease_order_no: "L1".into(),
            bill_no_list: None,
            phase: None,
            query_type: QueryType::BillsByPhase,
            merchant_open_id: 1,
        };
        assert!(q
            .validate()
            .unwrap_err()
            .to_string()
            .contains("querystatusreq.phase"));
        q.query_type = QueryType::BillsByNumber;
        assert!(q
            .validate()
            .unwrap_err()
            .to_string()
            .contains("bill_no_list"));
        q.query_type = QueryType::Other(9);
        assert!(q.validate().unwrap_err().to_string().contains("type"));
        q.query_type = QueryType::Lease;
        q.validate().unwrap();
        assert_eq!(
            serde_json::to_string(&q).unwrap(),
            r#"{"lease_order_no":"L1","type":0,"merchant_open_id":1}"#
        );
    }
}
