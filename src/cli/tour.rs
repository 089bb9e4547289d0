//! `rentsync demo --tour`: starts a sandbox on loopback with fresh throwaway keys and walks the
//! renthouse API the way an operator's integration does (spec §2.0, "typical KA flow"), printing each call and
//! what the platform answered, rule breaks included. Needs nothing but the checkout.

use std::process::ExitCode;

use chrono::{Days, Utc};

use crate::alipay::renthouse::{KaInfoQuery, KaInfoSync, KaServiceCreate};
use crate::alipay::{AlipayClient, AlipayError, AppPrivateKey, ClientConfig};
use crate::model::{
    Community, CommunityRef, ConcentrationRoom, DispersionRoom, Division, FlatsTag, Layout, Money,
    Place, RentStatus, Room, RoomState, SharedBedroom,
};
use crate::platform::{Platform, RenthousePlatform};
use crate::sandbox::{SandboxConfig, SandboxState};

const PHOTO: &[u8] = include_bytes!("../../tests/data/room.jpg");

pub async fn run(qps: f64) -> anyhow::Result<ExitCode> {
    println!(
        "rentsync demo: a local sandbox gateway, fresh throwaway keys, the renthouse API tour\n"
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
    let platform = RenthousePlatform::new(client.clone());
    let mut failures = 0;

    let ka = client
        .call(&KaInfoSync {
            ka_name: Some("示例公寓 Example Apartments".into()),
            ..Default::default()
        })
        .await;
    let ka_code = show(
        "ka.baseinfo.sync (register the operator)",
        ka.map(|r| r.ka_code),
        &mut failures,
    )
    .flatten()
    .unwrap_or_default();
    for (kind, what) in [(1, "viewing bookings"), (3, "phone records")] {
        let r = client
            .call(&KaServiceCreate {
                ka_code: ka_code.clone(),
                service_type: kind,
                address: format!("https://operator.example/rentsync/spi/{kind}"),
            })
            .await;
        show(
            &format!("ka.service.create type {kind} ({what})"),
            r,
            &mut failures,
        );
    }
    let q = client
        .call(&KaInfoQuery {
            ka_code: ka_code.clone(),
        })
        .await;
    show("ka.baseinfo.query", q, &mut failures);

    let community = Community {
        name: "阳光花园 Sunshine Garden".into(),
        city: Division::Code("330100".into()),
        district: Division::Name("西湖区".into()),
        place: Place::Address("杭州市西湖区文三路 100 号".into()),
    };
    let comm = show(
        "community.info.sync (小区 → comm_req_id)",
        platform.sync_community(&community).await,
        &mut failures,
    )
    .unwrap_or(CommunityRef::Code("unknown".into()));

    let url = show(
        &format!("common.image.upload ({} byte JPEG, base64)", PHOTO.len()),
        platform.upload_photo(PHOTO).await,
        &mut failures,
    )
    .unwrap_or_default();

    let checkin = Utc::now().date_naive() + Days::new(2);
    let whole = DispersionRoom {
        room_code: "100001".into(),
        community: comm.clone(),
        shared: None,
        layout: Layout {
            bedrooms: 2,
            parlors: 1,
            toilets: 1,
        },
        room_area_centi: Some(6850),
        flat_area_centi: Some(6850),
        floor: Some(5),
        total_floors: Some(18),
        rent: Money(450_000),
        deposit: Some(Money(450_000)),
        checkin,
        images: vec![url.clone()],
        intro: Some("南北通透，近地铁 two minutes to the metro".into()),
        room_configs: vec!["2".into(), "3".into(), "4".into()],
        owners_name: Some("王管家".into()),
        owners_tel: Some("4001234567".into()),
        state: RoomState::OnShelf,
        rent_status: RentStatus::Vacant,
    };
    let bedroom = DispersionRoom {
        room_code: "100002".into(),
        shared: Some(SharedBedroom { name: 'A', face: 1 }),
        layout: Layout {
            bedrooms: 3,
            parlors: 1,
            toilets: 2,
        },
        rent: Money(180_050),
        room_area_centi: Some(1500),
        ..whole.clone()
    };
    let apartment = ConcentrationRoom {
        room_code: "T2001".into(),
        community: comm.clone(),
        nickname: "青年社区 Youth Loft".into(),
        layout: Layout {
            bedrooms: 1,
            parlors: 0,
            toilets: 1,
        },
        room_area_centi: Some(2500),
        rent: Money(260_000),
        max_rent: Money(320_000),
        deposit: Some(Money(260_000)),
        checkin,
        images: vec![url.clone()],
        intro: Some("集中式公寓，拎包入住".into()),
        room_configs: vec!["2".into(), "11".into()],
        owners_tel: Some("4009876543".into()),
        room_numbers: vec!["301".into(), "302".into(), "305".into()],
        can_rent: 2,
        state: RoomState::OnShelf,
        rent_status: RentStatus::Vacant,
    };
    for (label, room) in [
        (
            "room.dispersion.sync 整租 whole flat 100001",
            Room::Dispersion(whole.clone()),
        ),
        (
            "room.dispersion.sync 合租 bedroom A 100002",
            Room::Dispersion(bedroom),
        ),
        (
            "room.concentration.sync 集中式 room type T2001",
            Room::Concentration(apartment),
        ),
    ] {
        show(
            label,
            platform.upsert_room(&room, true).await,
            &mut failures,
        );
    }
    let r = platform
        .set_room_state(
            "100001",
            FlatsTag::Dispersion,
            RoomState::OffShelf,
            RentStatus::Rented,
        )
        .await;
    show(
        "room.state.sync 100001 → off shelf, rented",
        r,
        &mut failures,
    );

    println!("\nWhat the platform refuses (each answer names the field and the rule):");
    let cheap = Room::Dispersion(DispersionRoom {
        room_code: "100003".into(),
        rent: Money(5_000),
        ..whole.clone()
    });
    expect_refusal(
        "rent of ¥50.00",
        platform.upsert_room(&cheap, true).await,
        &mut failures,
    );
    let foreign = Room::Dispersion(DispersionRoom {
        room_code: "100004".into(),
        images: vec!["http://elsewhere.example/x.jpg".into()],
        ..whole.clone()
    });
    expect_refusal(
        "an image the platform did not issue",
        platform.upsert_room(&foreign, true).await,
        &mut failures,
    );
    expect_refusal(
        "a photo of 800,000 bytes",
        platform.upload_photo(&vec![0xFF; 800_000]).await,
        &mut failures,
    );

    println!("\nEnd state on the sandbox:");
    for room in sandbox.rooms() {
        println!(
            "  {} {:<8} on_shelf={} rented={} images={} rent={}",
            if room.flats_tag == 1 {
                "分散式"
            } else {
                "集中式"
            },
            room.room_code,
            room.room_status == 1,
            room.rent_status == 2,
            room.images.len(),
            room.biz_content["room_amount"].as_str().unwrap_or("?"),
        );
    }
    println!(
        "\nCalls by method and outcome: {}",
        sandbox.stats_json()["calls"]
    );
    let _ = stop_tx.send(());
    server.await??;
    if failures > 0 {
        println!("\n{failures} step(s) failed");
        return Ok(ExitCode::FAILURE);
    }
    println!("\nAll steps answered as expected.");
    Ok(ExitCode::SUCCESS)
}

fn show<T: std::fmt::Debug>(
    label: &str,
    r: Result<T, AlipayError>,
    failures: &mut u32,
) -> Option<T> {
    match r {
        Ok(v) => {
            println!("  ok    {label}: {v:?}");
            Some(v)
        }
        Err(e) => {
            *failures += 1;
            println!("  FAIL  {label}: {e}");
            None
        }
    }
}

fn expect_refusal<T: std::fmt::Debug>(label: &str, r: Result<T, AlipayError>, failures: &mut u32) {
    match r {
        Ok(v) => {
            *failures += 1;
            println!("  FAIL  {label} was accepted: {v:?}");
        }
        Err(e) => println!("  refused  {label}: {e}"),
    }
}
