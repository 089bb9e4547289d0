//! Rent bills (spec §2.9): bill.order.sync pushes up to 50 bills, bill.order.download queries
//! the merchant's reconciliation file.

use super::StatusValueResponse;
use crate::alipay::client::ApiRequest;

/// 账单同步 push 1–50 rent bills; `trade_id` is the idempotency key of the call.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct BillOrderSync {
    /// ka请求的唯一标志 request ID, unique per call (idempotency key), at most 64 characters of `[A-Za-z0-9_]`.
    pub trade_id: String,
    /// 账单条数 number of bills, 1–50, must equal `bills.len()`. The SDK declares it String, so
    /// it is written as a JSON string (`"3"`) and read from either a string or a number.
    #[serde(
        serialize_with = "super::i64_as_string",
        deserialize_with = "super::i64_lenient"
    )]
    pub bill_number: i64,
    /// 账单明细 the bills, 1–50.
    pub bills: Vec<Bill>,
}

impl ApiRequest for BillOrderSync {
    const METHOD: &'static str = "alipay.eco.renthouse.bill.order.sync";
    type Response = BillOrderSyncResponse;
}

/// 账单 one rent bill (SDK AlipayEcoRenthouseBill).
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Bill {
    /// 账单编号 bill number, unique per KA (key).
    pub bill_no: String,
    /// 租约编号 the operator's lease number.
    pub lease_no: Option<String>,
    /// 账单类型 bill type (a string): `10001` 房屋租金 rent, `10002` 其他费用 other fee,
    /// `20001` 房屋押金 rent deposit, `20002` 其他押金 other deposit.
    pub bill_type: Option<String>,
    /// 账单状态 bill status: 0 正常 normal, 1 作废 void, 2 关闭 closed.
    pub bill_status: Option<i64>,
    /// 账单金额 bill amount in yuan.
    pub bill_amount: Option<String>,
    /// 已支付金额 amount already paid in yuan.
    pub paid_amount: Option<String>,
    /// 最低支付金额 minimum payment in yuan.
    pub min_pay_amount: Option<String>,
    /// 优惠金额 discount in yuan.
    pub discount_amount: Option<String>,
    /// 定金抵扣金额 booking-deposit deduction in yuan.
    pub deduction_amount: Option<String>,
    /// 支付状态 payment status: 0 未支付 unpaid, 1 已支付 paid.
    pub pay_status: Option<i64>,
    /// 账单支付时间 payment time (`yyyy-MM-dd HH:mm:ss`).
    pub pay_time: Option<String>,
    /// 账单创建时间 creation time (`yyyy-MM-dd HH:mm:ss`).
    pub bill_create_time: Option<String>,
    /// 最后付款时间 payment deadline (`yyyy-MM-dd HH:mm:ss`).
    pub deadline_date: Option<String>,
    /// 开始时间 billing period start (`YYYY-MM-DD`).
    pub start_date: Option<String>,
    /// 结束时间 billing period end (`YYYY-MM-DD`).
    pub end_date: Option<String>,
    /// 账单描述 description shown to the tenant, e.g. 八月房屋租金 August rent.
    pub bill_desc: Option<String>,
    /// 其他未涵盖信息 other information.
    pub memo: Option<String>,
    /// 支付锁 payment lock: 1 禁止tp发起支付 the tenant may not pay through the platform.
    pub pay_lock: Option<i64>,
    /// 禁止支付原因 reason for the lock, shown to the tenant.
    pub pay_lock_memo: Option<String>,
}

/// Answer of bill.order.sync.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct BillOrderSyncResponse {
    /// 账单结果列表 one string per bill carrying `billNo` 账单编号 and `status` (1 成功 success);
    /// the inner format is not documented, so it is kept raw.
    pub result_bill_list: Vec<String>,
}

/// 商户对账文件下载 query the merchant's bill (reconciliation) file for a day.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct BillOrderDownload {
    /// 查询日期 query date.
    pub bill_date: Option<String>,
    /// 商户编号 merchant number.
    pub merchant_no: Option<String>,
}

impl ApiRequest for BillOrderDownload {
    const METHOD: &'static str = "alipay.eco.renthouse.bill.order.download";
    type Response = StatusValueResponse;
}
