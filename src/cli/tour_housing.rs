//! `rentsync demo --tour --family housing`: the `alipay.commerce.housing.*` family against a
//! sandbox on loopback with fresh throwaway keys, the way the engine drives it (community found
//! or added, photo uploaded as multipart, listings added once then modified by platform id,
//! on/off shelf by `online`/`offline`), then what the platform refuses, each answer printed as a
//! table row. Needs nothing but the checkout.

use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use super::tour::{flatten_json, Answer, Steps, PHOTO};
use crate::alipay::housing::{
    HouseOnline, HouseRentalModify, HouseRentalQuery, HouseRentalQueryResponse,
};
use crate::alipay::{AlipayClient, AppPrivateKey, ClientConfig};
use crate::model::{
    Community, CommunityRef, DispersionRoom, Division, FlatsTag, Layout, Money, Place, RentStatus,
    Room, RoomState,
};
use crate::platform::{HousingPlatform, HousingSettings, IdStore, Platform};
use crate::report::text_table::TextTable;
use crate::sandbox::{SandboxConfig, SandboxState};

/// The platform ids of the tour, in memory: the daemon keeps them in the state database.
#[derive(Default)]
struct TourIds(Mutex<HashMap<(String, String), String>>);

#[async_trait]
impl IdStore for TourIds {
    async fn get(&self, kind: &str, key: &str) -> anyhow::Result<Option<String>> {
        let ids = self.0.lock().unwrap_or_else(|p| p.into_inner());
        Ok(ids.get(&(kind.to_string(), key.to_string())).cloned())
    }
    async fn put(&self, kind: &str, key: &str, value: &str) -> anyhow::Result<String> {
        let mut ids = self.0.lock().unwrap_or_else(|p| p.into_inner());
        Ok(ids
            .entry((kind.to_string(), key.to_string()))
            .or_insert_with(|| value.to_string())
            .clone())
    }
    async fn replace(&self, kind: &str, key: &str, value: &str) -> anyhow::Result<()> {
        let mut ids = self.0.lock().unwrap_or_else(|p| p.into_inner());
        ids.insert((kind.to_string(), key.to_string()), value.to_string());
        Ok(())
    }
}

/// A community as this family names it: by `community_id`.
struct CommunityId(CommunityRef);

impl Answer for CommunityId {
    fn answer(&self) -> String {
        match &self.0 {
            CommunityRef::Code(id) | CommunityRef::RequestId(id) => format!("community_id {id}"),
        }
    }
}

impl Answer for Vec<String> {
    fn answer(&self) -> String {
        if self.is_empty() {
            "no warning".into()
        } else {
            self.join("\n")
        }
    }
}

impl Answer for HouseRentalQueryResponse {
    fn answer(&self) -> String {
        let v = |o: &Option<String>| o.clone().unwrap_or_else(|| "?".into());
        format!(
            "housing_id {}, external_id {}, status {}, rent {}",
            v(&self.housing_id),
            v(&self.external_id),
            v(&self.status),
            v(&self.rent)
        )
    }
}

impl Answer for crate::alipay::housing::Empty {
    fn answer(&self) -> String {
        "accepted".into()
    }
}

impl Answer for crate::alipay::client::Answer {
    fn answer(&self) -> String {
        self.node.clone()
    }
}

pub async fn run(qps: f64) -> anyhow::Result<ExitCode> {
    println!(
        "rentsync demo: a local sandbox gateway, fresh throwaway keys, the housing (alipay.commerce.housing.*) API tour\n"
    );
    let app = AppPrivateKey::generate(2048)?;
    let platform_key = AppPrivateKey::generate(2048)?;
    let mut sandbox_cfg = SandboxConfig::new(app.public_key(), platform_key.clone());
    sandbox_cfg.limits.qps = qps;
    let sandbox = SandboxState::new(sandbox_cfg)?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let gateway = format!("http://{}/gateway.do", listener.local_addr()?);
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(sandbox.clone().serve(listener, async {
        let _ = stop_rx.await;
    }));
    println!("sandbox: {gateway}\n");

    let client = AlipayClient::new(ClientConfig::new(
        &gateway,
        "2021000000000000",
        app,
        platform_key.public_key(),
    ))?;
    let mut settings = HousingSettings {
        source_company: Some("示例公寓 Example Apartments".into()),
        ..Default::default()
    };
    settings
        .division_codes
        .insert("西湖区".into(), "330106".into());
    let platform = HousingPlatform::new(client.clone(), Arc::new(TourIds::default()), settings);
    let mut tour = Steps::default();

    let community = Community {
        name: "阳光花园 Sunshine Garden".into(),
        city: Division::Code("330100".into()),
        district: Division::Name("西湖区".into()),
        place: Place::Address("杭州市西湖区文三路 100 号".into()),
    };
    let comm = tour
        .show(
            "community.batchquery, then community.add (小区 → community_id)",
            platform.sync_community(&community).await.map(CommunityId),
        )
        .map_or(CommunityRef::Code("unknown".into()), |c| c.0);
    tour.show(
        "the same community again: found by community.batchquery, not added twice",
        platform.sync_community(&community).await.map(CommunityId),
    );
    let attachment = tour
        .show(
            &format!(
                "file.upload ({} byte JPEG, multipart → attachment_id)",
                PHOTO.len()
            ),
            platform.upload_photo(PHOTO).await,
        )
        .unwrap_or_default();

    let (whole, bedroom, apartment) = super::tour::rooms(&comm, &attachment);
    // The housing family takes the flat's own area beside the room's.
    let whole = DispersionRoom {
        flat_area_centi: Some(7200),
        ..whole
    };
    let bedroom = DispersionRoom {
        flat_area_centi: Some(7200),
        ..bedroom
    };
    for (label, room) in [
        (
            "house.rental.add + house.online: 整租 whole flat 100001",
            Room::Dispersion(whole.clone()),
        ),
        (
            "house.rental.add + house.online: 合租 bedroom A 100002",
            Room::Dispersion(bedroom),
        ),
        (
            "apartment.add + 3 × apartment.rental.add + apartment.online: 集中式 T2001",
            Room::Concentration(apartment),
        ),
    ] {
        tour.show(label, platform.upsert_room(&room, true).await);
    }
    let dearer = Room::Dispersion(DispersionRoom {
        rent: Money(460_000),
        ..whole.clone()
    });
    tour.show(
        "house.rental.modify 100001: rent ¥4600 (by the housing_id the add returned)",
        platform.upsert_room(&dearer, false).await,
    );
    let bigger = Room::Dispersion(DispersionRoom {
        rent: Money(460_000),
        layout: Layout {
            bedrooms: 3,
            ..whole.layout
        },
        ..whole.clone()
    });
    tour.show(
        "100001 now has 3 bedrooms: add-only, reported as a warning",
        platform.add_only_drift(&bigger).await,
    );
    tour.show(
        "house.offline 100001 (let: the family has no rented flag)",
        platform
            .set_room_state(
                "100001",
                FlatsTag::Dispersion,
                RoomState::OnShelf,
                RentStatus::Rented,
            )
            .await,
    );
    tour.show(
        "house.rental.query by external_id 100001",
        client
            .call(&HouseRentalQuery {
                external_id: Some("100001".into()),
                housing_id: None,
            })
            .await,
    );
    tour.print("What the operator's integration sends, and the platform's answers:");
    println!();

    let housing_id = sandbox
        .housing()
        .house_by_external("100001")
        .map(|(id, _)| id.clone())
        .unwrap_or_default();
    tour.refusal(
        "house.rental.modify that sends bed_room (add only)",
        client
            .call_raw(
                "alipay.commerce.housing.house.rental.modify",
                &serde_json::json!({"housing_id": housing_id, "bed_room": "3"}).to_string(),
            )
            .await,
    );
    tour.refusal(
        "rent as a JSON number, not a string",
        client
            .call_raw(
                "alipay.commerce.housing.house.rental.modify",
                &serde_json::json!({"housing_id": housing_id, "rent": 4600}).to_string(),
            )
            .await,
    );
    tour.refusal(
        "a picture the platform did not issue",
        client
            .call(&HouseRentalModify {
                housing_id: housing_id.clone(),
                fields: crate::alipay::housing::HouseRentalFields {
                    house_pic: Some(vec!["A-elsewhere".into()]),
                    ..Default::default()
                },
            })
            .await,
    );
    tour.refusal(
        "house.online of an unknown housing_id",
        client
            .call(&HouseOnline {
                housing_id: "H404".into(),
                house_source: Some("RENT".into()),
            })
            .await,
    );
    tour.refusal(
        "file.upload of bytes that are no image",
        platform.upload_photo(b"not an image").await,
    );
    tour.print("What the platform refuses (each answer names the field and the rule):");

    let store = sandbox.housing();
    println!("\nEnd state on the sandbox: house.rental listings");
    let mut houses = TextTable::new(&[
        "external_id",
        "housing_id",
        "上下架",
        "rent (yuan)",
        "bed_room",
        "house_pic",
        "adds",
        "modifies",
    ]);
    let text =
        |v: Option<&serde_json::Value>| v.and_then(|v| v.as_str()).unwrap_or("-").to_string();
    for (id, h) in &store.houses {
        houses.row(vec![
            h.external_id.clone(),
            id.clone(),
            if h.online {
                "上架 online"
            } else {
                "下架 offline"
            }
            .into(),
            text(h.fields.get("rent")),
            text(h.fields.get("bed_room")),
            h.fields
                .get("house_pic")
                .and_then(|p| p.as_array())
                .map_or(0, Vec::len)
                .to_string(),
            store
                .adds
                .get(&format!("house:{}", h.external_id))
                .copied()
                .unwrap_or(0)
                .to_string(),
            h.modify_calls.to_string(),
        ]);
    }
    print!("{}", houses.render(2));
    println!("\nApartments and their rooms");
    let mut apartments = TextTable::new(&[
        "external_id",
        "apartment_id",
        "上下架",
        "rent_start–rent_end",
        "rooms",
    ]);
    for (id, a) in &store.apartments {
        apartments.row(vec![
            a.external_id.clone(),
            id.clone(),
            if a.online {
                "上架 online"
            } else {
                "下架 offline"
            }
            .into(),
            format!(
                "{}–{}",
                text(a.fields.get("rent_start")),
                text(a.fields.get("rent_end"))
            ),
            store
                .apartment_rooms
                .values()
                .filter(|r| r.parent.as_deref() == Some(id.as_str()))
                .map(|r| text(r.fields.get("doorplate_number")))
                .collect::<Vec<_>>()
                .join(", "),
        ]);
    }
    print!("{}", apartments.render(2));
    println!("\nCalls by method and outcome:");
    let mut calls = TextTable::new(&["method / outcome", "calls"]);
    flatten_json("", &sandbox.stats_json()["calls"], &mut calls);
    print!("{}", calls.render(2));
    let failures = tour.failures;
    let _ = stop_tx.send(());
    server.await??;
    if failures > 0 {
        println!("\n{failures} step(s) failed");
        return Ok(ExitCode::FAILURE);
    }
    println!("\nAll steps answered as expected.");
    Ok(ExitCode::SUCCESS)
}
