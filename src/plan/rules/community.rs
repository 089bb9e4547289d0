//! Rules of `community.info.sync` (spec §2.3) and `community.baseinfo.sync` (§2.9).

use super::check::Fields;

/// 小区同步: a name, a city and district (code or name), and one way to place it on a map.
pub fn info(f: &mut Fields) {
    f.string("community_name", true, 128);
    f.one_of(&["city_code", "city_name"]);
    f.one_of(&["district_code", "district_name"]);
    division_code(f, "city_code");
    f.string("city_name", false, 64);
    division_code(f, "district_code");
    f.string("district_name", false, 64);
    f.one_of(&["address", "community_locations", "poi"]);
    f.string("address", false, 256);
    f.string("poi", false, 64);
    if let Some(loc) = f.string("community_locations", false, 64) {
        if parse_location(loc).is_none() {
            f.invalid(
                "community_locations",
                "must be longitude|latitude, e.g. 113.672470|34.793300",
            );
        }
        f.str_enum("coordsys", true, &["0", "1"]);
    } else {
        f.str_enum("coordsys", false, &["0", "1"]);
    }
}

/// 小区大楼信息同步: master data of a community or building the platform already knows by code.
pub fn baseinfo(f: &mut Fields) {
    f.string("community_code", true, 64);
    f.string("community_name", true, 128);
    f.one_of(&["city_code", "city_name"]);
    division_code(f, "city_code");
    division_code(f, "district_code");
    for name in [
        "city_name",
        "district_name",
        "bus_code",
        "bus_name",
        "community_nong",
        "community_street",
    ] {
        f.string(name, false, 128);
    }
    for (lat, lng) in [
        ("city_lat", "city_lng"),
        ("district_lat", "district_lng"),
        ("bus_lat", "bus_lng"),
        ("community_lat", "community_lng"),
    ] {
        coordinate(f, lat, 90.0);
        coordinate(f, lng, 180.0);
    }
    f.int("bus_radius", false, 0, 100_000);
    f.str_enum("community_tag", false, &["1", "2"]);
    f.string_list("subway_stations", false, 0, 100);
}

/// 国标码: the six-digit national administrative-division code.
fn division_code(f: &mut Fields, field: &str) {
    if let Some(code) = f.string(field, false, 12) {
        if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
            f.invalid(field, "must be a six-digit national division code (国标码)");
        }
    }
}

fn coordinate(f: &mut Fields, field: &str, bound: f64) {
    if let Some(s) = f.string(field, false, 32) {
        if !s.parse::<f64>().is_ok_and(|x| x.abs() <= bound) {
            f.invalid(field, format!("must be a number from -{bound} to {bound}"));
        }
    }
}

/// `lng|lat` with both in range.
pub fn parse_location(s: &str) -> Option<(f64, f64)> {
    let (lng, lat) = s.split_once('|')?;
    let lng: f64 = lng.trim().parse().ok()?;
    let lat: f64 = lat.trim().parse().ok()?;
    (lng.abs() <= 180.0 && lat.abs() <= 90.0).then_some((lng, lat))
}
