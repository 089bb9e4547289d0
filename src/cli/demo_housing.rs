//! The demo's live part on the housing family: a price change (a `house.rental.modify`), an
//! off-shelf (`house.offline`) and a deletion (`house.offline` too: the family has no delete),
//! each followed until the sandbox's housing objects show it.

use std::time::{Duration, Instant};

use super::demo::exec;
use crate::db::Db;
use crate::sandbox::housing::StoredListing;
use crate::sandbox::SandboxState;

/// Changes three listed whole flats in the source and waits for each on the platform.
pub async fn live_changes(operator: &Db, sandbox: &SandboxState) -> anyhow::Result<bool> {
    let store = sandbox.housing();
    // A whole flat's room code is its flat id followed by "00"; a 合租 bedroom has a rented_room.
    let listed: Vec<String> = store
        .houses
        .values()
        .filter(|h| {
            h.online && h.external_id.ends_with("00") && !h.fields.contains_key("rented_room")
        })
        .map(|h| h.external_id.clone())
        .collect();
    if listed.len() < 3 {
        println!("   not enough listed whole flats to change");
        return Ok(false);
    }
    let flat = |code: &str| code.trim_end_matches("00").to_string();
    let (a, b, c) = (&listed[0], &listed[1], &listed[2]);
    let old = store
        .house_by_external(a)
        .and_then(|(_, h)| h.fields.get("rent").cloned())
        .unwrap_or_default();
    let mut ok = true;
    exec(
        operator,
        &format!("UPDATE flats SET rent = rent + 100 WHERE id = {}", flat(a)),
    )
    .await?;
    ok &= wait(sandbox, "   price of house.rental", a, |h| {
        h.fields.get("rent") != Some(&old)
    })
    .await;
    exec(
        operator,
        &format!("UPDATE flats SET listed = FALSE WHERE id = {}", flat(b)),
    )
    .await?;
    ok &= wait(sandbox, "   offline    house.rental", b, |h| !h.online).await;
    exec(
        operator,
        &format!(
            "DELETE FROM photos WHERE owner_kind = 'flat' AND owner_id = {}",
            flat(c)
        ),
    )
    .await?;
    exec(
        operator,
        &format!("DELETE FROM flats WHERE id = {}", flat(c)),
    )
    .await?;
    ok &= wait(sandbox, "   deleted    house.rental", c, |h| !h.online).await;
    Ok(ok)
}

/// Waits until the sandbox shows the listing `external` as `done` says.
async fn wait(
    sandbox: &SandboxState,
    label: &str,
    external: &str,
    done: impl Fn(&StoredListing) -> bool,
) -> bool {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(30) {
        if sandbox
            .housing()
            .house_by_external(external)
            .is_some_and(|(_, h)| done(h))
        {
            println!(
                "{label} {external}: on the platform after {:.2} s",
                started.elapsed().as_secs_f64()
            );
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    println!("{label} {external}: NOT on the platform after 30 s");
    false
}

/// One line: what the housing family's platform holds, and the add calls it counted.
pub fn end_state(sandbox: &SandboxState) -> String {
    let s = sandbox.housing();
    let online = s.houses.values().filter(|h| h.online).count();
    let apartments_online = s.apartments.values().filter(|a| a.online).count();
    let duplicates = s.adds.values().filter(|n| **n > 1).count();
    format!(
        "end state on the platform: {} house.rental listings ({} online), {} apartments ({} online) with {} rooms, {} communities, {} attachments; listings added more than once: {}",
        s.houses.len(),
        online,
        s.apartments.len(),
        apartments_online,
        s.apartment_rooms.len(),
        s.communities.len(),
        s.attachments.len(),
        duplicates
    )
}
