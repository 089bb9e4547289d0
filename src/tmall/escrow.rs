//! `tmall.alihouse.trade.order.second.house.operate` (租房资金存管, etc发起邀约/修改邀约, seed 001):
//! create or modify a fund-escrow invitation.
//!
//! The seed marks most fields optional but says "发起邀约必填" (required on CREATE) for some and
//! "修改时必填" (required on MODIFY) for `house_order_no`: those rules are checked here, all at
//! once, before anything is sent. Identity card numbers, bank card numbers and phones are
//! [`Masked`]: their Debug and Display show only the ends, so no log or printout carries them;
//! only the wire serialisation has the full value.
//!
//! CREATE is not idempotent as far as anyone knows (spec §1.8: whether the backend dedups on
//! `source_no` is a gap). After a timeout or `isp.*` the client never resends it; see
//! [`EscrowOperate::how_to_check`].

use serde::{Deserialize, Serialize};

use super::wire::{string_enum, Fen, YesNo};
use super::{TopError, TopRequest};

pub const METHOD: &str = "tmall.alihouse.trade.order.second.house.operate";

/// A personal number (ID card, bank card, phone): the full value goes on the wire only.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Masked(pub String);

impl Masked {
    /// First 3 and last 4 characters of longer values, stars between; short values all stars.
    pub fn masked(&self) -> String {
        let chars: Vec<char> = self.0.chars().collect();
        if chars.len() < 8 {
            return "*".repeat(chars.len());
        }
        let head: String = chars[..3].iter().collect();
        let tail: String = chars[chars.len() - 4..].iter().collect();
        format!("{head}{}{tail}", "*".repeat(chars.len() - 7))
    }
}

impl std::fmt::Debug for Masked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.masked())
    }
}

impl std::fmt::Display for Masked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.masked())
    }
}

string_enum!(
    /// `operate_type`.
    OperateType { Create = "CREATE", Modify = "MODIFY" }
);

string_enum!(
    /// `house_contract_infos[].contract_type`.
    ContractType { Deposit = "DEPOSIT", Sales = "SALES" }
);

string_enum!(
    /// `depository_amount_types[]`: the funds held under the escrow agreement.
    DepositoryAmountType { DepositPay = "deposit_pay", DownPay = "down_pay", BalancePay = "balance_pay" }
);

string_enum!(
    /// `service_type`: the service template.
    ServiceType { FundEscrow = "fundEscrow", FundEscrowMortgage = "fundEscrow_mortgage" }
);

/// A buyer or landlord (`UserInfoDTO`).
#[allow(clippy::upper_case_acronyms)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserInfoDTO {
    pub name: String,
    /// 1 身份证.
    pub cert_type: i64,
    pub card_no: Masked,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<Masked>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// 外部ID.
    pub out_id: String,
}

/// One house-payment contract (`SecondHandOperateContractInfoDTO`).
#[allow(clippy::upper_case_acronyms)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SecondHandOperateContractInfoDTO {
    /// 是否线上签约.
    pub contract_online_flag: YesNo,
    pub contract_type: ContractType,
    /// Comma-separated picture URLs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offline_contract_pics: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offline_contract_no: Option<String>,
}

/// The request object, sent as the JSON string of the `operate_request` form field. Field order
/// and placement follow the seed's Java example (the contact, house, deed, amount and payee fields
/// sit on this object, not inside the user lists).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecondHandOrderOperateRequest {
    /// 来源, required on CREATE (e.g. `LIANGCE_TRADE_CENTER`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// 案件号, required on CREATE.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_no: Option<String>,
    pub operate_type: OperateType,
    /// 订单号, required on MODIFY.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub house_order_no: Option<String>,
    /// 服务商品ID, required on CREATE.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub buyer_infos: Vec<UserInfoDTO>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer_phone: Option<Masked>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer_address: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub landlord_infos: Vec<UserInfoDTO>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub landlord_phone: Option<Masked>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub landlord_address: Option<String>,
    /// 房源地址, required on CREATE.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub house_address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub house_province: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub house_city: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub house_province_city_desc: Option<String>,
    /// 房产证件备案编号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deed_record_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deed_record_pics: Option<String>,
    /// 建筑面积 (a string on the wire, e.g. "120").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub construction_area: Option<String>,
    /// 套内面积.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cover_area: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub house_deal_price: Option<Fen>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deposit_amount: Option<Fen>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_pay_amount: Option<Fen>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loan_amount: Option<Fen>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub final_pay_amount: Option<Fen>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_fee_amount: Option<Fen>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_mortgage: Option<YesNo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_lease: Option<YesNo>,
    /// 物业交割保证金.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_deposit_amount: Option<Fen>,
    /// 房屋配套作价: the seed gives no unit; taken as fen like every other amount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub house_support_equipment_price: Option<Fen>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub house_support_remark: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_parking_space: Option<YesNo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parking_space_amount: Option<Fen>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub house_contract_online_flag: Option<YesNo>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub house_contract_infos: Vec<SecondHandOperateContractInfoDTO>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depository_amount_types: Vec<DepositoryAmountType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_provider_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_type: Option<ServiceType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub landlord_payee_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub landlord_payee_bankcard_no: Option<Masked>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub landlord_payee_bank_name: Option<String>,
    /// Hours: 24 (default), 36, 48 or 72.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign_over_time_hour: Option<i64>,
    /// 房东收款账号号主的身份证号, required on CREATE.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub landlord_payee_card_no: Option<Masked>,
    /// 服务人姓名, required on CREATE.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_provider_name: Option<String>,
    /// 服务人手机号, required on CREATE.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_provider_phone: Option<Masked>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_provider_card_no: Option<Masked>,
}

fn blank(s: Option<&str>) -> bool {
    s.is_none_or(|s| s.trim().is_empty())
}

impl SecondHandOrderOperateRequest {
    /// Every broken rule, as `operate_request.FIELD: RULE`; empty when the request may be sent.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut need = |field: &str, missing: bool, rule: &str| {
            if missing {
                out.push(format!("operate_request.{field}: {rule}"));
            }
        };
        match &self.operate_type {
            OperateType::Create => {
                let r = "is required when operate_type is CREATE (发起邀约必填)";
                need("source", blank(self.source.as_deref()), r);
                need("source_no", blank(self.source_no.as_deref()), r);
                need("item_id", self.item_id.is_none(), r);
                need("house_address", blank(self.house_address.as_deref()), r);
                need(
                    "landlord_payee_card_no",
                    blank(self.landlord_payee_card_no.as_ref().map(|m| m.0.as_str())),
                    r,
                );
                need(
                    "service_provider_name",
                    blank(self.service_provider_name.as_deref()),
                    r,
                );
                need(
                    "service_provider_phone",
                    blank(self.service_provider_phone.as_ref().map(|m| m.0.as_str())),
                    r,
                );
            }
            OperateType::Modify => need(
                "house_order_no",
                blank(self.house_order_no.as_deref()),
                "is required when operate_type is MODIFY (修改时必填)",
            ),
            OperateType::Other(v) => {
                out.push(format!(
                    "operate_request.operate_type: must be CREATE or MODIFY, not {v:?}"
                ));
            }
        }
        for (list, users) in [
            ("buyer_infos", &self.buyer_infos),
            ("landlord_infos", &self.landlord_infos),
        ] {
            for (i, u) in users.iter().enumerate() {
                let f = |name: &str| format!("operate_request.{list}[{i}].{name}");
                if u.name.trim().is_empty() {
                    out.push(format!("{}: is required", f("name")));
                }
                if u.card_no.0.trim().is_empty() {
                    out.push(format!("{}: is required", f("card_no")));
                }
                if u.out_id.trim().is_empty() {
                    out.push(format!("{}: is required", f("out_id")));
                }
                if u.cert_type != 1 {
                    out.push(format!(
                        "{}: must be 1 (身份证), not {}",
                        f("cert_type"),
                        u.cert_type
                    ));
                }
            }
        }
        for (i, c) in self.house_contract_infos.iter().enumerate() {
            if let YesNo::Other(v) = &c.contract_online_flag {
                out.push(format!("operate_request.house_contract_infos[{i}].contract_online_flag: must be Y or N, not {v:?}"));
            }
            if let ContractType::Other(v) = &c.contract_type {
                out.push(format!("operate_request.house_contract_infos[{i}].contract_type: must be DEPOSIT or SALES, not {v:?}"));
            }
        }
        for t in &self.depository_amount_types {
            if let DepositoryAmountType::Other(v) = t {
                out.push(format!("operate_request.depository_amount_types: {v:?} is not deposit_pay, down_pay or balance_pay"));
            }
        }
        if let Some(ServiceType::Other(v)) = &self.service_type {
            out.push(format!("operate_request.service_type: must be fundEscrow or fundEscrow_mortgage, not {v:?}"));
        }
        if let Some(h) = self.sign_over_time_hour {
            if ![24, 36, 48, 72].contains(&h) {
                out.push(format!(
                    "operate_request.sign_over_time_hour: must be 24, 36, 48 or 72, not {h}"
                ));
            }
        }
        for (field, flag) in [
            ("has_mortgage", &self.has_mortgage),
            ("has_lease", &self.has_lease),
            ("include_parking_space", &self.include_parking_space),
            (
                "house_contract_online_flag",
                &self.house_contract_online_flag,
            ),
        ] {
            if let Some(YesNo::Other(v)) = flag {
                out.push(format!(
                    "operate_request.{field}: must be Y or N, not {v:?}"
                ));
            }
        }
        for (field, amount) in [
            ("house_deal_price", self.house_deal_price),
            ("deposit_amount", self.deposit_amount),
            ("first_pay_amount", self.first_pay_amount),
            ("loan_amount", self.loan_amount),
            ("final_pay_amount", self.final_pay_amount),
            ("service_fee_amount", self.service_fee_amount),
            ("delivery_deposit_amount", self.delivery_deposit_amount),
            (
                "house_support_equipment_price",
                self.house_support_equipment_price,
            ),
            ("parking_space_amount", self.parking_space_amount),
        ] {
            if amount.is_some_and(|a| a.0 < 0) {
                out.push(format!(
                    "operate_request.{field}: must not be negative (fen)"
                ));
            }
        }
        out
    }
}

/// The answer's `data` (`SecondHandOrderOperateResponse`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SecondHandOrderOperateResponse {
    /// 服务模板ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template_id: Option<String>,
    /// 履约单号: what MODIFY needs later.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub house_order_no: Option<String>,
    /// 买家应约地址.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer_url: Option<String>,
    /// 房东应约地址.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub landlord_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_id: Option<i64>,
}

/// The typed call.
#[derive(Debug, Clone)]
pub struct EscrowOperate(pub SecondHandOrderOperateRequest);

impl TopRequest for EscrowOperate {
    const METHOD: &'static str = METHOD;
    type Data = SecondHandOrderOperateResponse;

    fn params(&self) -> Result<Vec<(&'static str, String)>, TopError> {
        let problems = self.0.problems();
        if !problems.is_empty() {
            return Err(TopError::Invalid {
                method: METHOD.into(),
                problems,
            });
        }
        Ok(vec![(
            "operate_request",
            super::client::json_param(METHOD, &self.0)?,
        )])
    }

    /// MODIFY sets the same values again when repeated; CREATE could open a second invitation.
    fn idempotent(&self) -> bool {
        self.0.operate_type == OperateType::Modify
    }

    fn how_to_check(&self) -> String {
        format!(
            "The invitation may exist: find it by source {:?} and source_no {:?} in the Tmall \
             Haofang merchant console (or ask the platform with the request_id) before creating \
             again; once its house_order_no is known, change it with MODIFY",
            self.0.source.as_deref().unwrap_or(""),
            self.0.source_no.as_deref().unwrap_or("")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn seed_create() -> SecondHandOrderOperateRequest {
        serde_json::from_str(include_str!("../../tests/data/tmall/escrow_create.json")).unwrap()
    }

    #[test]
    fn the_seed_example_passes_and_keeps_amounts_in_fen() {
        let r = seed_create();
        assert!(r.problems().is_empty(), "{:?}", r.problems());
        assert_eq!(r.house_deal_price, Some(Fen(100_000_000)));
        let wire = serde_json::to_string(&r).unwrap();
        assert!(wire.contains(r#""house_deal_price":100000000"#));
    }

    #[test]
    fn create_without_its_required_fields_names_each() {
        let mut r = seed_create();
        r.source = None;
        r.item_id = None;
        r.house_address = Some("  ".into());
        r.service_provider_phone = None;
        let p = r.problems().join("\n");
        for f in [
            "source:",
            "item_id",
            "house_address",
            "service_provider_phone",
        ] {
            assert!(p.contains(f), "{f} missing in {p}");
        }
        assert!(!p.contains("source_no"), "{p}");
        assert!(p.contains("CREATE"));
    }

    #[test]
    fn modify_needs_house_order_no_only() {
        let r: SecondHandOrderOperateRequest =
            serde_json::from_str(r#"{"operate_type":"MODIFY","store_id":1}"#).unwrap();
        assert_eq!(
            r.problems(),
            vec!["operate_request.house_order_no: is required when operate_type is MODIFY (修改时必填)"]
        );
    }

    #[test]
    fn enums_and_ranges_are_checked() {
        let mut r = seed_create();
        r.sign_over_time_hour = Some(12);
        r.service_type = Some(ServiceType::Other("x".into()));
        r.deposit_amount = Some(Fen(-1));
        r.depository_amount_types = vec![DepositoryAmountType::Other("{}".into())];
        let p = r.problems().join("\n");
        for f in [
            "sign_over_time_hour",
            "service_type",
            "deposit_amount",
            "depository_amount_types",
        ] {
            assert!(p.contains(f), "{f} missing in {p}");
        }
    }

    #[test]
    fn debug_masks_cards_and_phones() {
        let r = seed_create();
        let d = format!("{r:?}");
        assert!(!d.contains("420106199001011234"), "{d}");
        assert!(!d.contains("18612345678"), "{d}");
        assert!(d.contains("186****5678"), "{d}");
        assert_eq!(Masked("1234".into()).masked(), "****");
    }
}
