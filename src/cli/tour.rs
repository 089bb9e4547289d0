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
use crate::report::text_table::TextTable;
use crate::sandbox::{SandboxConfig, SandboxState};

pub(super) const PHOTO: &[u8] = include_bytes!("../../tests/data/room.jpg");

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
    let mut tour = Steps::default();

    let ka = client
        .call(&KaInfoSync {
            ka_name: Some("示例公寓 Example Apartments".into()),
            ..Default::default()
        })
        .await;
    let ka_code = tour
        .show(
            "ka.baseinfo.sync (register the operator)",
            ka.map(|r| r.ka_code),
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
        tour.show(&format!("ka.service.create type {kind} ({what})"), r);
    }
    let q = client
        .call(&KaInfoQuery {
            ka_code: ka_code.clone(),
        })
        .await;
    tour.show("ka.baseinfo.query", q);

    let community = Community {
        name: "阳光花园 Sunshine Garden".into(),
        city: Division::Code("330100".into()),
        district: Division::Name("西湖区".into()),
        place: Place::Address("杭州市西湖区文三路 100 号".into()),
    };
    let comm = tour
        .show(
            "community.info.sync (小区 → comm_req_id)",
            platform.sync_community(&community).await,
        )
        .unwrap_or(CommunityRef::Code("unknown".into()));

    let url = tour
        .show(
            &format!("common.image.upload ({} byte JPEG, base64)", PHOTO.len()),
            platform.upload_photo(PHOTO).await,
        )
        .unwrap_or_default();

    let (whole, bedroom, apartment) = rooms(&comm, &url);
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
        tour.show(label, platform.upsert_room(&room, true).await);
    }
    let r = platform
        .set_room_state(
            "100001",
            FlatsTag::Dispersion,
            RoomState::OffShelf,
            RentStatus::Rented,
        )
        .await;
    tour.show("room.state.sync 100001 → off shelf, rented", r);

    tour.print("What the operator's integration sends, and the platform's answers:");
    println!();
    let cheap = Room::Dispersion(DispersionRoom {
        room_code: "100003".into(),
        rent: Money(5_000),
        ..whole.clone()
    });
    tour.refusal("rent of ¥50.00", platform.upsert_room(&cheap, true).await);
    let foreign = Room::Dispersion(DispersionRoom {
        room_code: "100004".into(),
        images: vec!["http://elsewhere.example/x.jpg".into()],
        ..whole.clone()
    });
    tour.refusal(
        "an image the platform did not issue",
        platform.upsert_room(&foreign, true).await,
    );
    tour.refusal(
        "a photo of 800,000 bytes",
        platform.upload_photo(&vec![0xFF; 800_000]).await,
    );

    tour.print("What the platform refuses (each answer names the field and the rule):");
    println!("\nEnd state on the sandbox:");
    let mut rooms = TextTable::new(&[
        "kind",
        "room_code",
        "上下架",
        "出租",
        "images",
        "租金 (yuan)",
    ]);
    for room in sandbox.rooms() {
        rooms.row(vec![
            if room.flats_tag == 1 {
                "分散式"
            } else {
                "集中式"
            }
            .into(),
            room.room_code.clone(),
            if room.room_status == 1 {
                "上架 on shelf"
            } else {
                "下架 off shelf"
            }
            .into(),
            if room.rent_status == 2 {
                "已租 rented"
            } else {
                "未租 vacant"
            }
            .into(),
            room.images.len().to_string(),
            room.biz_content["room_amount"]
                .as_str()
                .unwrap_or("?")
                .into(),
        ]);
    }
    print!("{}", rooms.render(2));
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

/// The steps of one section: each call, its outcome and the platform's answer as a table row.
#[derive(Default)]
pub(super) struct Steps {
    table: Option<TextTable>,
    pub(super) failures: u32,
}

impl Steps {
    fn rows(&mut self) -> &mut TextTable {
        self.table
            .get_or_insert_with(|| TextTable::new(&["result", "step", "answer"]))
    }

    pub(super) fn show<T: Answer>(&mut self, label: &str, r: Result<T, AlipayError>) -> Option<T> {
        match r {
            Ok(v) => {
                self.rows().row(vec!["ok".into(), label.into(), v.answer()]);
                Some(v)
            }
            Err(e) => {
                self.failures += 1;
                self.rows()
                    .row(vec!["FAIL".into(), label.into(), e.to_string()]);
                None
            }
        }
    }

    pub(super) fn refusal<T: Answer>(&mut self, label: &str, r: Result<T, AlipayError>) {
        match r {
            Ok(v) => {
                self.failures += 1;
                let answer = format!("accepted: {}", v.answer());
                self.rows().row(vec!["FAIL".into(), label.into(), answer]);
            }
            Err(e) => self
                .rows()
                .row(vec!["refused".into(), label.into(), e.to_string()]),
        }
    }

    /// Prints the section's table under its title and starts the next section.
    pub(super) fn print(&mut self, title: &str) {
        if let Some(t) = self.table.take() {
            println!("{title}");
            print!("{}", t.render(2));
        }
    }
}

/// A platform answer as a person reads it: the values, not Rust's debug form.
pub(super) trait Answer {
    fn answer(&self) -> String;
}

impl Answer for () {
    fn answer(&self) -> String {
        "accepted".into()
    }
}

impl Answer for String {
    fn answer(&self) -> String {
        self.clone()
    }
}

impl Answer for Option<String> {
    fn answer(&self) -> String {
        self.clone().unwrap_or_else(|| "(none)".into())
    }
}

impl Answer for CommunityRef {
    fn answer(&self) -> String {
        match self {
            CommunityRef::Code(c) => format!("community_code {c}"),
            CommunityRef::RequestId(id) => format!("comm_req_id {id}"),
        }
    }
}

impl Answer for crate::alipay::renthouse::Empty {
    fn answer(&self) -> String {
        "accepted".into()
    }
}

impl Answer for crate::alipay::renthouse::ka::KaInfoQueryResponse {
    fn answer(&self) -> String {
        let valid = match self.valid.as_deref() {
            Some("1") => "1 生效 active",
            Some("0") => "0 未生效 inactive",
            Some(other) => other,
            None => "?",
        };
        format!(
            "ka_code {}, ka_name {}, valid {valid}",
            self.ka_code.as_deref().unwrap_or("?"),
            self.ka_name.as_deref().unwrap_or("?")
        )
    }
}

/// One row per leaf of a JSON object, keyed by its path (`method / outcome`).
pub(super) fn flatten_json(path: &str, v: &serde_json::Value, out: &mut TextTable) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, v) in m {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path} / {k}")
                };
                flatten_json(&p, v, out);
            }
        }
        serde_json::Value::String(s) => out.row(vec![path.into(), s.clone()]),
        other => out.row(vec![path.into(), other.to_string()]),
    }
}

/// The three rooms both tours send: a whole flat, one of its bedrooms, and a room type of an
/// apartment project, in `comm` with the one photo the platform issued.
pub(super) fn rooms(
    comm: &CommunityRef,
    image: &str,
) -> (DispersionRoom, DispersionRoom, ConcentrationRoom) {
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
        images: vec![image.to_string()],
        intro: Some("南北通透，近地铁 two minutes to the metro".into()),
        room_configs: vec!["2".into(), "3".into(), "4".into()],
        owners_name: Some("王管家".into()),
        owners_tel: Some("4001234567".into()),
        state: RoomState::OnShelf,
        rent_status: RentStatus::Vacant,
        details: Default::default(),
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
        images: vec![image.to_string()],
        intro: Some("集中式公寓，拎包入住".into()),
        room_configs: vec!["2".into(), "11".into()],
        owners_tel: Some("4009876543".into()),
        room_numbers: vec!["301".into(), "302".into(), "305".into()],
        can_rent: 2,
        state: RoomState::OnShelf,
        rent_status: RentStatus::Vacant,
        details: Default::default(),
    };
    (whole, bedroom, apartment)
}
