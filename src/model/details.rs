//! The rest of a listing: payment plans, fees, lease limits, door plate, links and the housing
//! family's own descriptors. All of it is optional in the views, so every field here is too, and
//! an empty value is left out of the JSON: a listing that has none of it hashes exactly as it did
//! before these fields existed, and a room changes its content hash only when one of them changes.
//!
//! Which family carries which field is decided at the wire (`crate::platform`), not here.

use chrono::NaiveDate;

use super::Money;

/// The child views the lists come from (docs/SOURCE_CONTRACT.md), named here so the planner can
/// point a rule break at them without importing the source.
pub const PAY_PLANS_VIEW: &str = "rentsync_room_pay_plans";
pub const FEES_VIEW: &str = "rentsync_room_fees";

/// 付一 / 付二 and friends: one payment plan with its own rent and deposit (`pay_type_list`).
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PayPlan {
    /// 付款方式-付: 1 monthly, 2 every two months.
    pub pay_type: i64,
    /// 可租期 in months: 1, 3, 6 or 12 (a year or more). 分散式 only.
    pub lease_term_months: Option<i64>,
    pub rent: Money,
    /// The highest rent of a 集中式 room type under this plan.
    pub max_rent: Option<Money>,
    pub deposit: Option<Money>,
    /// The highest deposit of a 集中式 room type under this plan.
    pub max_deposit: Option<Money>,
    /// 服务费, per `service_unit`. 分散式 only.
    pub service: Option<Money>,
    /// `m` a month, `y` a year.
    pub service_unit: Option<String>,
}

/// 其它费用: one named fee beyond rent and deposit.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Fee {
    pub name: String,
    pub amount: Money,
    /// The fee's unit as the platform shows it, e.g. `元/月`.
    pub unit: Option<String>,
}

/// 佣金: a percentage (in hundredths of a percent) or an amount in fen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Commission {
    /// 250 is 2.50 %.
    PercentCenti(i64),
    Amount(Money),
}

impl Commission {
    /// The decimal the platform takes (`"2.50"` percent, or yuan).
    pub fn decimal(self) -> String {
        match self {
            Commission::PercentCenti(v) | Commission::Amount(Money(v)) => Money(v).yuan(),
        }
    }

    /// The value as the view gives it: hundredths of a percent, or fen.
    pub fn centi(self) -> i64 {
        match self {
            Commission::PercentCenti(v) | Commission::Amount(Money(v)) => v,
        }
    }

    /// `p` 百分比 or `m` 金额.
    pub fn kind_code(self) -> &'static str {
        match self {
            Commission::PercentCenti(_) => "p",
            Commission::Amount(_) => "m",
        }
    }
}

/// Everything optional about a listing beyond the core the views always had.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct ListingDetails {
    /// 付款方式 of the single price (1 付一, 2 付二).
    pub pay_type: Option<i64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pay_plans: Vec<PayPlan>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fees: Vec<Fee>,
    pub fee_remark: Option<String>,
    /// 可签约至: leases may run until this day.
    pub lease_until: Option<NaiveDate>,
    pub min_rent_days: Option<i64>,
    /// 免押金: the deposit-free period.
    pub free_deposit_from: Option<NaiveDate>,
    pub free_deposit_until: Option<NaiveDate>,
    /// 门牌: building (栋), unit (单元) and door (室). 分散式 only.
    pub building_no: Option<String>,
    pub unit_no: Option<String>,
    pub door_no: Option<String>,
    /// Shared-area amenity codes of a 合租 flat.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub flat_configs: Vec<String>,
    pub commission: Option<Commission>,
    /// 店铺编号 of the store that lets the room.
    pub store_no: Option<String>,
    /// The operator's own detail page (http(s) URL).
    pub detail_url: Option<String>,
    /// Platform services the listing supports.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub features: Vec<String>,
    /// A video of the listing (http(s) URL).
    pub video_url: Option<String>,
    /// The highest deposit of a 集中式 room type.
    pub max_deposit: Option<Money>,
    /// The largest room of a 集中式 room type, m² × 100.
    pub max_area_centi: Option<i64>,
    /// 朝向 as the housing family names it (东, 南, …, 东西).
    pub orientation: Option<String>,
    /// 装修情况, e.g. 精装修.
    pub decoration: Option<String>,
    /// Whether the building has a lift.
    pub elevator: Option<bool>,
    /// 楼层区间 code, e.g. `LOW`.
    pub floor_band: Option<String>,
    /// 挂牌时间.
    pub listing_date: Option<NaiveDate>,
    /// Short feature tags (房源标签).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

impl ListingDetails {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_details_serialise_to_nothing_so_old_hashes_hold() {
        assert_eq!(
            serde_json::to_string(&ListingDetails::default()).unwrap(),
            "{}"
        );
        let d = ListingDetails {
            min_rent_days: Some(30),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_string(&d).unwrap(),
            r#"{"min_rent_days":30}"#
        );
    }

    #[test]
    fn commission_goes_out_as_a_decimal_with_its_kind() {
        assert_eq!(Commission::PercentCenti(250).decimal(), "2.50");
        assert_eq!(Commission::PercentCenti(250).kind_code(), "p");
        assert_eq!(Commission::Amount(Money(150000)).decimal(), "1500.00");
        assert_eq!(Commission::Amount(Money(1)).kind_code(), "m");
    }
}
