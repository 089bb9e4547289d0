//! The housing family's side of the engine harness: a config for it, and what the source says the
//! platform should show compared with the sandbox's housing objects.
#![allow(dead_code)]

use std::collections::HashMap;

use rentsync::model::{RentStatus, Room, RoomState};
use rentsync::plan::plan_with;
use rentsync::sandbox::housing::HousingStore;
use rentsync::source::{Source, VIEWS};

use super::engine::Env;

/// The environment's one tenant on the housing family, with the division codes of the fixtures'
/// cities and districts (the views give some only by name).
pub fn housing_text(env: &Env, request_timeout_secs: u64) -> String {
    env.config_text(500.0, request_timeout_secs)
        .replace("[tenant.rates]", "family = \"housing\"\n[tenant.rates]")
        + &rentsync::fixtures::division_codes_toml()
}

pub fn housing_config(env: &Env, request_timeout_secs: u64) -> rentsync::config::Config {
    rentsync::config::Config::parse(&housing_text(env, request_timeout_secs), env.dir.path())
        .expect("housing config")
}

/// A valid, active listing of the source as the platform should show it.
#[derive(Debug, Clone)]
pub struct Want {
    pub dispersion: bool,
    pub shows: bool,
    pub rent: String,
    pub rooms: usize,
}

pub async fn wanted(env: &Env) -> HashMap<String, Want> {
    let source = Source::connect(&env.op_url).await.expect("source");
    let today = chrono::Utc::now()
        .with_timezone(&rentsync::alipay::client::china())
        .date_naive();
    let mut out = HashMap::new();
    for view in VIEWS {
        let mut after = String::new();
        loop {
            let rows = source.page(view, &after, 1000).await.expect("page");
            let n = rows.len();
            if let Some(last) = rows.last() {
                after = last.listing.room_code().to_string();
            }
            for r in rows {
                let p = plan_with(r.listing, r.breaks, today);
                if !p.is_valid() || !p.listing.active {
                    continue;
                }
                let (state, rent) = p.listing.desired_state();
                let shows = state == RoomState::OnShelf && rent == RentStatus::Vacant;
                let (dispersion, yuan, rooms) = match &p.listing.room {
                    Room::Dispersion(d) => (true, d.rent.yuan(), 1),
                    Room::Concentration(c) => (false, c.rent.yuan(), c.room_numbers.len()),
                };
                out.insert(
                    p.listing.room_code().to_string(),
                    Want {
                        dispersion,
                        shows,
                        rent: yuan,
                        rooms,
                    },
                );
            }
            if n < 1000 {
                break;
            }
        }
    }
    out
}

/// What differs between the source and the sandbox's housing objects, one line each.
pub fn differences(want: &HashMap<String, Want>, store: &HousingStore) -> Vec<String> {
    let mut diffs = Vec::new();
    for (code, w) in want {
        let (kind, listing, rent_field) = if w.dispersion {
            (
                "house",
                store.house_by_external(code).map(|(_, h)| h),
                "rent",
            )
        } else {
            (
                "apartment",
                store.apartments.values().find(|a| &a.external_id == code),
                "rent_start",
            )
        };
        let adds = store
            .adds
            .get(&format!("{kind}:{code}"))
            .copied()
            .unwrap_or(0);
        if adds != 1 {
            diffs.push(format!("{code}: {adds} {kind}.add calls"));
        }
        let Some(l) = listing else {
            diffs.push(format!("{code}: missing on the platform"));
            continue;
        };
        if l.online != w.shows {
            diffs.push(format!(
                "{code}: online={} but source shows={}",
                l.online, w.shows
            ));
        }
        if l.fields[rent_field].as_str() != Some(w.rent.as_str()) {
            diffs.push(format!(
                "{code}: {rent_field} {} but source {}",
                l.fields[rent_field], w.rent
            ));
        }
        if !w.dispersion {
            let rooms = store
                .apartment_rooms
                .values()
                .filter(|r| r.external_id.starts_with(&format!("{code}#")))
                .count();
            if rooms != w.rooms {
                diffs.push(format!(
                    "{code}: {rooms} apartment rooms but source {}",
                    w.rooms
                ));
            }
        }
    }
    diffs.sort();
    diffs
}
