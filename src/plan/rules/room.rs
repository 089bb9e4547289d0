//! Rules of `room.dispersion.sync`, `room.concentration.sync` and `room.state.sync` (spec §2.5–2.7,
//! seed guide 1.6.3). Ranges are the published ones; required-ness marked "(inferred)" in the spec
//! is enforced too, because a listing without rent or layout is useless to a tenant.

use super::check::Fields;
use super::Context;

/// How many days ahead `checkin_time` may lie.
pub const CHECKIN_MAX_DAYS: i64 = 185;
pub const MAX_IMAGES: usize = 10;
pub const MAX_INTRO_CHARS: usize = 400;

/// Fields both room families share, with the same meaning and limits.
fn shared(f: &mut Fields, ctx: &Context) {
    f.one_of(&["community_code", "comm_req_id"]);
    f.string("community_code", false, 64);
    f.string("comm_req_id", false, 64);
    f.int_enum("rent_type", true, &[1, 2]);
    f.int_enum("room_status", true, &[0, 1]);
    f.int_enum("rent_status", true, &[1, 2]);
    f.int("bedroom_count", true, 1, 26);
    f.int("parlor_count", true, 0, 10);
    f.int("toilet_count", true, 0, 10);
    f.decimal("room_area", false, 5.0, 300.0);
    f.decimal("room_amount", true, 100.0, 35000.0);
    f.decimal("foregift_amount", false, 0.0, 420000.0);
    f.int_enum("pay_type", false, &[1, 2]);
    f.string("fee_remark", false, 400);
    if let Some(d) = f.date("checkin_time", true) {
        let days = (d - ctx.today).num_days();
        if !(1..=CHECKIN_MAX_DAYS).contains(&days) {
            f.invalid(
                "checkin_time",
                format!("must be after today and at most {CHECKIN_MAX_DAYS} days ahead"),
            );
        }
    }
    f.date("max_lease_time", false);
    f.int("min_rent_days", false, 1, 3650);
    let begin = f.date("free_begin_date", false);
    let end = f.date("free_end_date", false);
    if let (Some(b), Some(e)) = (begin, end) {
        if b > e {
            f.invalid("free_end_date", "must not be before free_begin_date");
        }
    }
    f.string_list("images", false, 0, MAX_IMAGES);
    f.string("intro", false, MAX_INTRO_CHARS);
    f.string_list("room_configs", false, 0, 32);
    f.string("owners_name", false, 64);
    if let Some(tel) = f.string("owners_tel", false, 32) {
        if !tel.starts_with("400") || !tel.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
            f.invalid(
                "owners_tel",
                "must be a 400 number (digits, starting with 400)",
            );
        }
    }
    f.string("ali_short_num", false, 32);
    f.decimal("commission", false, 0.0, 1_000_000.0);
    f.str_enum("commission_type", false, &["p", "m"]);
    f.string("room_store_no", false, 64);
    f.string("detail_address", false, 1024);
    f.string_list("feature", false, 0, 32);
    f.string("video", false, 1024);
    f.object_list("other_amount", false, 0, 20, other_amount);
}

fn other_amount(f: &mut Fields) {
    f.string("name", true, 32);
    f.decimal("amount", true, 0.0, 1_000_000.0);
    f.string("unit", false, 16);
}

fn floors(f: &mut Fields, total_is_string: bool) {
    let floor = f.int("floor_count", false, 1, 99);
    let total = if total_is_string {
        f.string("total_floor_count", false, 3)
            .and_then(|s| match s.parse::<i64>() {
                Ok(n) if (1..=99).contains(&n) => Some(n),
                _ => {
                    f.invalid("total_floor_count", "must be a number from 1 to 99");
                    None
                }
            })
    } else {
        f.int("total_floor_count", false, 1, 99)
    };
    if let (Some(fl), Some(t)) = (floor, total) {
        if fl > t {
            f.invalid("floor_count", "must not exceed total_floor_count");
        }
    }
}

/// 分散式 整租 (whole flat) and 合租 (one bedroom of a shared flat).
pub fn dispersion(f: &mut Fields, ctx: &Context) {
    // The SDK says Long, integrations sent strings; both reach the platform.
    f.key("room_code", true, 64);
    shared(f, ctx);
    floors(f, true);
    f.decimal("flat_area", false, 5.0, 300.0);
    f.string("flat_building", false, 32);
    f.string("flat_unit", false, 32);
    f.string("room_num", false, 32);
    let shared_flat = f.int_enum("rent_type", false, &[1, 2]) == Some(2);
    let name = f.string("room_name", shared_flat, 1);
    if name.is_some_and(|n| !n.bytes().all(|b| b.is_ascii_uppercase())) {
        f.invalid("room_name", "must be one letter A-Z");
    }
    f.int("room_face", shared_flat, 1, 10);
    f.string_list("flat_configs", false, 0, 32);
    f.object_list("pay_type_list", false, 0, 10, |p| {
        p.int_enum("pay_type", true, &[1, 2]);
        p.int_enum("lease_term", false, &[1, 3, 6, 12]);
        p.decimal("room_amount", true, 100.0, 35000.0);
        p.decimal("foregift_amount", false, 0.0, 420000.0);
        p.decimal("service_amount", false, 0.0, 1_000_000.0);
        p.str_enum("service_type", false, &["m", "y"]);
        p.object_list("other_amount", false, 0, 20, other_amount);
    });
}

/// 集中式: one room type of an apartment building, with its rooms.
pub fn concentration(f: &mut Fields, ctx: &Context) {
    f.string("room_code", true, 64);
    shared(f, ctx);
    floors(f, false);
    f.string("nickname", ctx.adding, 64);
    f.decimal("max_amount", ctx.adding, 100.0, 35000.0);
    f.decimal("max_deposit_amount", false, 0.0, 420000.0);
    f.decimal("room_max_area", false, 5.0, 300.0);
    let all = f.int("all_room_num", false, 0, 100_000);
    let can = f.int("can_rent_num", false, 0, 100_000);
    if let (Some(a), Some(c)) = (all, can) {
        if c > a {
            f.invalid("can_rent_num", "must not exceed all_room_num");
        }
    }
    f.object_list("room_info_list", false, 0, 1000, |r| {
        r.string("room_code", false, 64);
        r.string("ka_room_id", false, 64);
        r.string("room_num", true, 32);
        r.date("deposit_end_time", false);
    });
    f.object_list("pay_type_list", false, 0, 10, |p| {
        p.int_enum("pay_type", true, &[1, 2]);
        p.decimal("room_amount", true, 100.0, 35000.0);
        p.decimal("max_amount", false, 100.0, 35000.0);
        p.decimal("foregift_amount", false, 0.0, 420000.0);
        p.decimal("max_deposit_amount", false, 0.0, 420000.0);
        p.object_list("other_amount", false, 0, 20, other_amount);
    });
}

/// 上下架: on/off shelf and rented/vacant of a room already synced.
pub fn state(f: &mut Fields) {
    f.string("room_code", true, 64);
    f.int_enum("room_status", true, &[0, 1]);
    f.int_enum("rent_status", false, &[1, 2]);
    f.int_enum("flats_tag", true, &[1, 2]);
}
