//! Scripted lease orders for the TOP sandbox: each is a list of snapshots that a lease order
//! passes through, so every lease status, bill type and bill status of seed 002 shows up in
//! some order's life. `advance` moves an order one snapshot on (or a schedule does).

use crate::tmall::lease::{
    BillStatus, BillType, CancelOrderStatus, CloseReason, EtcLeaseOrderDTO, HouseBillDTO,
    LeaseStatus, Payability, SettleInfo, TerminateRole,
};
use crate::tmall::wire::{Fen, YesNo};

/// The lease orders a fresh sandbox knows.
pub const SCRIPTED: &[&str] = &["LEASE-SIGN", "LEASE-FULL", "LEASE-CLOSE"];

const DAY_MS: i64 = 86_400_000;
const T0: i64 = 1_717_200_000_000; // 2024-06-01, a fixed clock: answers are reproducible.

fn bill(no: &str, t: BillType, fen: i64, phase: i64, s: BillStatus) -> HouseBillDTO {
    let done = matches!(s, BillStatus::Succeed | BillStatus::Closed);
    HouseBillDTO {
        bill_no: no.into(),
        bill_type: Some(t),
        amount: Some(Fen(fen)),
        status: Some(s),
        is_lock: Some(YesNo::No),
        phase: Some(phase),
        pay_rent_mill_second: Some(T0 + phase * 30 * DAY_MS),
        is_online: Some(YesNo::Yes),
        is_overdue: Some(YesNo::No),
        finish_mill_second: done.then_some(T0 + phase * 30 * DAY_MS + 3_600_000),
    }
}

fn order(no: &str, status: LeaseStatus, bills: Vec<HouseBillDTO>) -> EtcLeaseOrderDTO {
    let payable = if bills.iter().any(|b| b.is_lock == Some(YesNo::Yes)) {
        Payability::BillPaying
    } else if bills.iter().any(|b| b.status == Some(BillStatus::Payable)) {
        Payability::BillPayable
    } else {
        Payability::NothingPayable
    };
    EtcLeaseOrderDTO {
        lease_order_no: no.into(),
        status: Some(status),
        bill_dto_list: bills,
        payable: Some(payable),
        close_reason: None,
        settle_info_list: vec![],
        oaid: Some(format!("oaid-{no}")),
        bill_market_info_list: vec![],
        support_landlord_terminate: Some(YesNo::Yes),
        terminate_role_type: None,
        cancel_order_no: None,
        cancel_order_status: None,
        terminate_audit_reason: None,
        trade_init_broker_id: Some(123),
        house_service_broker_id: Some(123),
        kpi_belong_broker_id: Some(123),
        biz_belong: Some(1),
        biz_label: Some("through_train".into()),
    }
}

fn settled(no: &str) -> SettleInfo {
    SettleInfo {
        is_settle: Some(YesNo::Yes),
        settle_order_no: Some(format!("S-{no}")),
        transfer_order_no: Some(format!("T-{no}")),
        settle_time: Some(T0 + 2 * DAY_MS),
        settle_amount: Some(Fen(20_000)),
        rent_pay_price: Some(Fen(200_000)),
        settle_detailed: Some("运营服务费".into()),
        biz_channel: Some("B2C".into()),
        tp_order_id: Some("2739706993540986035".into()),
        commission_rule: Some("1".into()),
    }
}

/// TENANT_INITIATE → LANDLORD_CONFIRM → ACHIEVEMENT (bills payable, then one paying) → SIGN_FINISH
/// with deposit and first rent paid and the commission settled: the demo's order.
fn sign(no: &str) -> Vec<EtcLeaseOrderDTO> {
    use BillStatus::*;
    let bills = |d: BillStatus, r: BillStatus| {
        vec![
            bill(&format!("{no}-B0"), BillType::Deposit, 400_000, 1, d),
            bill(&format!("{no}-B1"), BillType::Rent, 200_000, 1, r),
        ]
    };
    let mut paying = bills(Succeed, Payable);
    paying[1].is_lock = Some(YesNo::Yes);
    let mut done = order(no, LeaseStatus::SignFinish, bills(Succeed, Succeed));
    done.settle_info_list = vec![settled(no)];
    vec![
        order(no, LeaseStatus::TenantInitiate, bills(Init, Init)),
        order(no, LeaseStatus::LandlordConfirm, bills(Init, Init)),
        order(no, LeaseStatus::Achievement, bills(Payable, Payable)),
        order(no, LeaseStatus::Achievement, paying),
        done,
    ]
}

/// LANDLORD_INITIATE with one bill of each of the 15 types → ACHIEVEMENT → SIGN_FINISH (some paid,
/// the waivers closed, one overdue) → the tenant terminates → EXPIRE.
fn full(no: &str) -> Vec<EtcLeaseOrderDTO> {
    let all = |f: &dyn Fn(BillType) -> BillStatus| {
        BillType::ALL
            .iter()
            .map(|&t| {
                bill(
                    &format!("{no}-B{}", t.code()),
                    t,
                    10_000 + t.code() * 100,
                    1,
                    f(t),
                )
            })
            .collect::<Vec<_>>()
    };
    let waiver = |t: BillType| matches!(t, BillType::DepositWaiver | BillType::RentWaiver);
    let mut signed = order(
        no,
        LeaseStatus::SignFinish,
        all(&|t| {
            if waiver(t) {
                BillStatus::Closed
            } else if t.code() % 2 == 0 {
                BillStatus::Succeed
            } else {
                BillStatus::Payable
            }
        }),
    );
    if let Some(b) = signed
        .bill_dto_list
        .iter_mut()
        .find(|b| b.status == Some(BillStatus::Payable))
    {
        b.is_overdue = Some(YesNo::Yes);
    }
    let mut expired = order(
        no,
        LeaseStatus::Expire,
        all(&|t| {
            if waiver(t) {
                BillStatus::Closed
            } else {
                BillStatus::Succeed
            }
        }),
    );
    expired.terminate_role_type = Some(TerminateRole::Tenant);
    expired.cancel_order_no = Some(format!("C-{no}"));
    expired.cancel_order_status = Some(CancelOrderStatus::Refunded);
    expired.terminate_audit_reason = Some("同意".into());
    expired.settle_info_list = vec![settled(no)];
    vec![
        order(
            no,
            LeaseStatus::LandlordInitiate,
            all(&|_| BillStatus::Init),
        ),
        order(no, LeaseStatus::Achievement, all(&|_| BillStatus::Payable)),
        signed,
        expired,
    ]
}

/// TENANT_INITIATE → CLOSED (the tenant cancelled the intention; the bills closed with it).
fn close(no: &str) -> Vec<EtcLeaseOrderDTO> {
    let b = |s| {
        vec![bill(
            &format!("{no}-B4"),
            BillType::EarnestMoney,
            50_000,
            1,
            s,
        )]
    };
    let mut closed = order(no, LeaseStatus::Closed, b(BillStatus::Closed));
    closed.close_reason = Some(CloseReason::TenantCancelIntention);
    vec![
        order(no, LeaseStatus::TenantInitiate, b(BillStatus::Init)),
        closed,
    ]
}

pub fn script(lease_order_no: &str) -> Option<Vec<EtcLeaseOrderDTO>> {
    match lease_order_no {
        "LEASE-SIGN" => Some(sign(lease_order_no)),
        "LEASE-FULL" => Some(full(lease_order_no)),
        "LEASE-CLOSE" => Some(close(lease_order_no)),
        _ => None,
    }
}
