//! Viewing bookings, leases and lease status (spec §2.8, §2.9).

use super::Empty;
use crate::alipay::client::ApiRequest;

/// 预约反馈 the operator's answer to a viewing booking received over the SPI.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct ReservationFeedbackSync {
    /// 预约单流水号 the platform's booking serial number, unique per booking (key).
    pub reservation_no: String,
    /// 商户端房源编号 the operator's listing code.
    pub room_code: Option<String>,
    /// 预约状态 booking outcome: `SUCCESS` 预约成功 booked, `FAIL` 预约失败 failed,
    /// `CANCEL` 预约取消 cancelled (only after a SUCCESS).
    pub reserve_status: Option<String>,
    /// 外部订单号 the operator's own order number.
    pub out_biz_no: Option<String>,
    /// 商户确认的看房时间 viewing time fixed by the operator, when it differs from the tenant's choice.
    pub final_look_time: Option<String>,
    /// 带看房人姓名 name of the agent who shows the flat.
    pub looker_name: Option<String>,
    /// 带看房人电话 phone of that agent.
    pub looker_phone: Option<String>,
    /// 备注 remark.
    pub audit_comment: Option<String>,
}

impl ApiRequest for ReservationFeedbackSync {
    const METHOD: &'static str = "alipay.eco.renthouse.reservation.feedback.sync";
    type Response = Empty;
}

/// 租约同步 lease upsert, keyed by the operator's `lease_code`.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct LeaseOrderSync {
    /// KA租约业务号 the operator's lease number (key).
    pub lease_code: String,
    /// 房源编号 listing code: the flat's code if `flats_tag` = 1, the room type's if 2.
    pub room_code: Option<String>,
    /// 房间号 room number; required for 集中式 concentration.
    pub room_num: Option<String>,
    /// 房源类型 listing kind: 1 分散式 dispersion, 2 集中式 concentration.
    pub flats_tag: Option<i64>,
    /// 用户姓名 tenant name.
    pub renter_name: Option<String>,
    /// 用户手机号 tenant phone.
    pub renter_phone: Option<String>,
    /// 用户性别 tenant gender (a string): `1` 男 male, `2` 女 female.
    pub renter_gender: Option<String>,
    /// 证件类型 ID type, default 0: 0 身份证 ID card (the only one supported), 1 护照 passport,
    /// 2 军人身份证 military, 3 港澳通行证 HK/Macao, 4 台湾通行证 Taiwan, 5 临时身份证 temporary,
    /// 6 户口簿 household register, 7 警官证 police, 8 外国人永久居住证 foreign permanent resident.
    pub card_type: Option<i64>,
    /// 证件编号 ID number.
    pub card_no: Option<String>,
    /// 租约开始时间 lease start (`YYYY-MM-DD`).
    pub begin_date: Option<String>,
    /// 租约结束时间 lease end (`YYYY-MM-DD`).
    pub end_date: Option<String>,
    /// 租约创建时间 lease creation time (`yyyy-MM-dd HH:mm:ss`); the platform uses now if absent.
    pub lease_create_time: Option<String>,
    /// 租约状态 lease status: 0 未确认 unconfirmed, 1 已确认 confirmed, 2 已退房 checked out, 3 已撤销 revoked.
    pub lease_status: Option<i64>,
    /// 租约类型 lease type: 1 电子合约 electronic (default), 2 纸质合约 paper.
    pub lease_type: Option<i64>,
    /// 租金付款方式 payment period: 1–12 = 付一 … 付十二 (every 1 to 12 months).
    pub pay_type: Option<i64>,
    /// 租金金额 monthly rent in yuan, e.g. "2500", "2500.5", "3000.05".
    pub sale_amount: Option<String>,
    /// 押金金额 deposit in yuan.
    pub foregift_amount: Option<String>,
    /// 是否免押金 deposit-free: 0 不免押金 no (default), 1 免押金 yes.
    pub free_deposit: Option<i64>,
    /// 信用减免金额 credit rebate in yuan.
    pub rebate_amount: Option<String>,
    /// 租金包含相关费用 included in rent: 1 水费 water, 2 电费 electricity, 3 煤气费 gas, 4 有线电视费
    /// cable TV, 5 网络宽带费 broadband, 6 物业管理费 property management, 7 室内设施维修费 repairs,
    /// 8 保洁费 cleaning, 9 暖气费 heating.
    pub rent_include_fee_desc: Option<Vec<String>>,
    /// 其他费用描述 other fees.
    pub other_fee_desc: Option<String>,
    /// 收租日描述 rent-day description.
    pub rent_day_desc: Option<String>,
    /// 家具清单 furniture codes 1–22 (1 床 bed … 12 空调 A/C … 22 热水器 water heater).
    pub furniture_items: Option<String>,
    /// 租约相关图片url路径 lease image URLs from common.image.upload, 0–10, jpg/png/jpeg. A single
    /// String in the SDK (unlike the rooms' list); the separator for several URLs is undocumented.
    pub images: Option<String>,
    /// 预览合同二进制流 base64 of the contract preview HTML.
    pub attach_file: Option<String>,
    /// 是否续租 renewal: 0 不是续租 not a renewal (default), 1 是续租 renewal.
    pub renew_lease: Option<i64>,
    /// 第几期续租 which renewal period this is.
    pub renew_num: Option<i64>,
    /// 续租原KA租约业务号 `lease_code` of the first period, for renewals.
    pub original_lease_code: Option<String>,
    /// 定金信息 booking-deposit terms.
    pub book_info: Option<BookInfo>,
    /// 描述 remark.
    pub remark: Option<String>,
}

impl ApiRequest for LeaseOrderSync {
    const METHOD: &'static str = "alipay.eco.renthouse.lease.order.sync";
    type Response = Empty;
}

/// 定金信息 booking-deposit terms of a lease (SDK AlipayEcoRenthouseBookInfo).
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct BookInfo {
    /// 定金金额 booking deposit in yuan.
    pub book_amount: Option<String>,
    /// 约定月租金额 agreed monthly rent in yuan.
    pub book_sale_amount: Option<String>,
    /// 约定最晚签约日 latest signing date (`YYYY-MM-DD`).
    pub latest_signing_date: Option<String>,
    /// 约定租约开始时间 agreed lease start (`YYYY-MM-DD`).
    pub lease_begin_date: Option<String>,
    /// 约定租约结束时间 agreed lease end (`YYYY-MM-DD`).
    pub lease_end_date: Option<String>,
    /// 备注 remark.
    pub remark: Option<String>,
}

/// 租约状态同步 change the status of a lease.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct LeaseStateSync {
    /// 租约编号 the operator's lease number (key).
    pub lease_code: String,
    /// 租约状态 lease status: 0 未确认 unconfirmed, 1 已确认 confirmed, 2 已退房 checked out, 3 已撤销 revoked.
    pub lease_status: Option<i64>,
    /// 租约电子合同图片 base64 of a contract image (jpg, png, jpeg, bmp).
    pub lease_ca_file: Option<String>,
}

impl ApiRequest for LeaseStateSync {
    const METHOD: &'static str = "alipay.eco.renthouse.lease.state.sync";
    type Response = Empty;
}
