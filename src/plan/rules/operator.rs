//! Rules of the operator (KA) methods: `ka.baseinfo.sync`, `ka.baseinfo.query`, `ka.service.create`
//! (spec §2.1, §2.2, §3.1).

use super::check::Fields;

/// Without a `ka_code` the call creates the operator, so it needs a name.
pub fn info_sync(f: &mut Fields) {
    let updating = f.string("ka_code", false, 64).is_some();
    f.string("ka_name", !updating, 128);
}

pub fn info_query(f: &mut Fields) {
    f.string("ka_code", true, 64);
}

/// Callback types: 1 viewing booking, 2 lease confirmation, 3 phone record, 4 payment page, and
/// the observed 5, community status.
pub fn service_create(f: &mut Fields) {
    f.string("ka_code", true, 64);
    f.int_enum("type", true, &[1, 2, 3, 4, 5]);
    if let Some(addr) = f.string("address", true, 1024) {
        if !(addr.starts_with("https://") || addr.starts_with("http://")) {
            f.invalid(
                "address",
                "must be an http(s) URL of the operator's endpoint",
            );
        }
    }
}
