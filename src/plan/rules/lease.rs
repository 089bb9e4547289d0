//! Rules of the lease, bill and renter methods (spec §2.8, §2.9).

use super::check::Fields;

pub fn reservation_feedback(f: &mut Fields) {
    f.string("reservation_no", true, 64);
    f.string("room_code", true, 64);
    f.str_enum("reserve_status", true, &["SUCCESS", "FAIL", "CANCEL"]);
    f.string("out_biz_no", false, 64);
    f.datetime("final_look_time", false);
    f.string("looker_name", false, 64);
    f.string("looker_phone", false, 32);
    f.string("audit_comment", false, 400);
}

pub fn lease_order(f: &mut Fields) {
    f.string("lease_code", true, 64);
    f.string("room_code", true, 64);
    let concentration = f.int_enum("flats_tag", true, &[1, 2]) == Some(2);
    f.string("room_num", concentration, 32);
    f.string("renter_name", true, 64);
    f.string("renter_phone", true, 32);
    f.str_enum("renter_gender", false, &["1", "2"]);
    // Eight ID types are listed, but only 0 (ID card) is supported (spec §2.9).
    if f.int("card_type", false, 0, 8).is_some_and(|t| t != 0) {
        f.invalid("card_type", "only 0 (ID card) is supported");
    }
    f.string("card_no", false, 32);
    let begin = f.date("begin_date", true);
    let end = f.date("end_date", true);
    if let (Some(b), Some(e)) = (begin, end) {
        if e < b {
            f.invalid("end_date", "must not be before begin_date");
        }
    }
    f.datetime("lease_create_time", false);
    f.int("lease_status", false, 0, 3);
    f.int_enum("lease_type", false, &[1, 2]);
    f.int("pay_type", false, 1, 12);
    f.decimal("sale_amount", true, 0.0, 10_000_000.0);
    f.decimal("foregift_amount", false, 0.0, 10_000_000.0);
    f.int_enum("free_deposit", false, &[0, 1]);
    f.decimal("rebate_amount", false, 0.0, 10_000_000.0);
    if let Some(items) = f.string_list("rent_include_fee_desc", false, 0, 9) {
        if items.iter().any(|c| !matches!(c.parse::<u8>(), Ok(1..=9))) {
            f.invalid("rent_include_fee_desc", "codes must be 1 to 9");
        }
    }
    f.string("other_fee_desc", false, 400);
    f.string("rent_day_desc", false, 400);
    f.string("furniture_items", false, 256);
    f.string("images", false, 4096);
    f.int_enum("renew_lease", false, &[0, 1]);
    f.int("renew_num", false, 0, 1000);
    f.string("original_lease_code", false, 64);
    f.string("remark", false, 400);
}

pub fn lease_state(f: &mut Fields) {
    f.string("lease_code", true, 64);
    f.int("lease_status", true, 0, 3);
}

/// `trade_id` is the idempotency key of one push; `bill_number` must equal the bills sent.
pub fn bill_order(f: &mut Fields) {
    if let Some(id) = f.string("trade_id", true, 64) {
        if !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            f.invalid("trade_id", "must be letters, digits and _ only");
        }
    }
    // The SDK declares bill_number a String holding a number.
    let declared = f
        .string("bill_number", true, 2)
        .and_then(|n| match n.parse::<i64>() {
            Ok(v) if (1..=50).contains(&v) => Some(v),
            _ => {
                f.invalid("bill_number", "must be a number from 1 to 50");
                None
            }
        });
    let sent = f.object_list("bills", true, 1, 50, |b| {
        b.string("bill_no", true, 64);
        b.string("lease_no", true, 64);
        b.str_enum("bill_type", true, &["10001", "10002", "20001", "20002"]);
        b.int_enum("bill_status", false, &[0, 1, 2]);
        b.decimal("bill_amount", true, 0.0, 10_000_000.0);
        for money in [
            "paid_amount",
            "min_pay_amount",
            "discount_amount",
            "deduction_amount",
        ] {
            b.decimal(money, false, 0.0, 10_000_000.0);
        }
        b.int_enum("pay_status", false, &[0, 1]);
        b.datetime("pay_time", false);
        b.datetime("bill_create_time", false);
        b.datetime("deadline_date", false);
        b.date("start_date", false);
        b.date("end_date", false);
        b.string("bill_desc", false, 400);
        b.string("memo", false, 400);
        b.int_enum("pay_lock", false, &[0, 1]);
        b.string("pay_lock_memo", false, 400);
    });
    if let (Some(d), Some(s)) = (declared, sent) {
        if d as usize != s {
            f.invalid("bill_number", format!("is {d} but {s} bills were sent"));
        }
    }
}

pub fn bill_download(f: &mut Fields) {
    f.date("bill_date", true);
    f.string("merchant_no", true, 64);
}

pub fn renter_query(f: &mut Fields) {
    f.string("card_no", true, 32);
    f.string("user_name", true, 64);
}

pub fn applyschedule(f: &mut Fields) {
    f.string("cert_no", true, 32);
    f.string("rent_id", true, 64);
    f.object_list("apply_schedule_list", true, 1, 100, |s| {
        s.string("order_no", true, 64);
        s.int("order_num", false, 0, i64::MAX);
        s.string("step", true, 32);
        s.string("step_desc", false, 256);
        s.string("status", true, 32);
        s.string("status_desc", false, 256);
        s.datetime("audit_time", false);
        s.string("audit_comment", false, 400);
        s.int_enum("edit_flag", false, &[0, 1, 2]);
    });
}
