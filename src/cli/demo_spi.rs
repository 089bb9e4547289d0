//! The demo's booking: the operator registers (`ka sync`, `ka register`), the sandbox sends a
//! viewing booking (预约看房) to the daemon's SPI endpoint like the platform, and a loopback webhook
//! (the operator's CRM) receives it, signed, with the phone decrypted. Printed masked.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde_json::{json, Value};

use super::runtime::Runtime;
use crate::alipay::AlipayClient;
use crate::spi::deliver::webhook::signature;
use crate::spi::store::mask_phone;

/// The demo's webhook key and the platform's AES key (throwaway, written to the demo folder).
pub const HMAC_KEY: &str = "demo-webhook-key";

type Got = Arc<Mutex<Vec<Value>>>;

/// A loopback receiver that keeps what it was sent with a good signature; its URL.
pub async fn receiver() -> anyhow::Result<(String, Got)> {
    let got: Got = Arc::default();
    let app = axum::Router::new()
        .route("/hook", axum::routing::post(receive))
        .with_state(got.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/hook", listener.local_addr()?);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((url, got))
}

async fn receive(State(got): State<Got>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let sent = headers
        .get("x-rentsync-signature")
        .and_then(|v| v.to_str().ok());
    if sent != Some(signature(HMAC_KEY.as_bytes(), &body).as_str()) {
        return StatusCode::UNAUTHORIZED;
    }
    match serde_json::from_slice(&body) {
        Ok(v) => {
            got.lock().unwrap_or_else(|p| p.into_inner()).push(v);
            StatusCode::OK
        }
        Err(_) => StatusCode::BAD_REQUEST,
    }
}

/// Registers the operator, sends a booking through the sandbox and waits for the webhook.
pub async fn booking(rt: &Runtime, sandbox_base: &str, got: &Got) -> anyhow::Result<bool> {
    let tenant = &rt.cfg.tenants[0];
    let client = AlipayClient::new(tenant.client_config()?)?;
    print!("   ");
    super::ka::sync(&rt.outbox, &client, tenant).await?;
    for (ty, addr) in super::ka::service_addresses(tenant)? {
        client
            .call(&crate::alipay::renthouse::ka::KaServiceCreate {
                ka_code: rt
                    .outbox
                    .ka_get(&tenant.name)
                    .await?
                    .map(|k| k.ka_code)
                    .unwrap_or_default(),
                service_type: ty,
                address: addr,
            })
            .await?;
    }
    println!("   registered the SPI addresses of types 1-5 (ka.service.create)");
    let phone = "13912345678";
    let req = json!({
        "app_id": tenant.app_id, "type": 1,
        "params": { "aliUserId": "2088000000000001", "roomCode": "demo-room", "flatsTag": "1",
                    "lookTime": "2026-12-24 10:00", "bookName": "张三", "bookPhone": phone, "bookSex": "1" }
    });
    let text = reqwest::Client::new()
        .post(format!("{sandbox_base}/sandbox/spi/send"))
        .header("content-type", "application/json")
        .body(req.to_string())
        .send()
        .await?
        .text()
        .await?;
    let answer: Value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    println!(
        "   the platform sent a viewing booking; rentsync answered {}",
        answer["answer"]
    );
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(20) {
        let first = got
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            // Tmall lease events share the webhook (demo_tmall); this waits for the booking.
            .find(|v| v["type"] == "booking")
            .cloned();
        if let Some(v) = first {
            println!(
                "   the operator's webhook got it, signed: event {}…, room {}, phone {} (decrypted; masked here)",
                v["event_id"].as_str().unwrap_or("?").get(..12).unwrap_or("?"),
                v["params"]["roomCode"].as_str().unwrap_or("?"),
                mask_phone(v["phone"].as_str().unwrap_or_default())
            );
            return Ok(v["phone"] == phone);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!("   the booking was not delivered in 20 s");
    Ok(false)
}
