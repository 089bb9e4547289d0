//! `rentsync spi list`: the callbacks the SPI endpoint stored, newest first, with how their
//! deliveries stand. Phone numbers are masked; the full number goes to the operator's receiver only.

use std::process::ExitCode;

use super::runtime::ConfigArg;
use crate::config::Config;
use crate::outbox::Outbox;
use crate::spi::store::mask_phone;

#[derive(Debug, clap::Args)]
pub struct SpiArgs {
    #[command(subcommand)]
    pub command: SpiCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum SpiCommand {
    /// Stored callbacks and their deliveries (phone numbers masked).
    List(SpiListArgs),
}

#[derive(Debug, clap::Args)]
pub struct SpiListArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// Only this tenant's callbacks (an unknown name is an error).
    #[arg(long)]
    pub tenant: Option<String>,
    /// booking, lease-confirm, phone-record, payment or community-status.
    #[arg(long = "type", value_parser = ["booking", "lease-confirm", "phone-record", "payment", "community-status"])]
    pub callback_type: Option<String>,
    /// The most callbacks shown, newest first.
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
    /// `text` (one line per callback) or `json`; phone numbers are masked in both.
    #[arg(long, default_value = "text", value_parser = ["text", "json"])]
    pub format: String,
}

pub async fn run(args: SpiArgs) -> anyhow::Result<ExitCode> {
    let SpiCommand::List(a) = args.command;
    let cfg = Config::load(&a.config.config)?;
    if let Some(t) = &a.tenant {
        cfg.check_tenant(t)?;
    }
    let Some(outbox) = Outbox::open_existing(&cfg.state_database).await? else {
        println!("no state database yet: no callbacks");
        return Ok(ExitCode::SUCCESS);
    };
    let key = crate::spi::aes::data_key(&cfg)?;
    let rows = outbox
        .spi_list(a.tenant.as_deref(), a.callback_type.as_deref(), a.limit)
        .await?;
    let mut out = Vec::new();
    for cb in rows {
        let phone = cb.phone_enc.as_deref().map(|p| {
            key.open(p)
                .map(|s| mask_phone(s.expose()))
                .unwrap_or_else(|_| "<unreadable>".into())
        });
        let mut deliveries = serde_json::Map::new();
        for kind in [
            crate::spi::deliver::WEBHOOK_KIND,
            crate::spi::deliver::INSERT_KIND,
        ] {
            if let Some(t) = outbox.task_get(&cb.tenant, kind, &cb.event_id).await? {
                deliveries.insert(
                    kind.into(),
                    serde_json::json!({
                        "status": t.status, "attempts": t.attempts, "last_code": t.last_code,
                    }),
                );
            }
        }
        let params: serde_json::Value = serde_json::from_str(&cb.params).unwrap_or_default();
        out.push(serde_json::json!({
            "tenant": cb.tenant,
            "event_id": cb.event_id,
            "type": cb.callback_type,
            "received_at": chrono::DateTime::from_timestamp_micros(cb.received_us).map(|t| t.to_rfc3339()),
            "phone": phone,
            "params": params,
            "deliveries": deliveries,
        }));
    }
    if a.format == "json" {
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(ExitCode::SUCCESS);
    }
    if out.is_empty() {
        println!("no callbacks stored");
    }
    for o in &out {
        let deliveries: Vec<String> = o["deliveries"]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| format!("{k}={}", v["status"].as_str().unwrap_or("?")))
                    .collect()
            })
            .unwrap_or_default();
        let room = o["params"]["roomCode"].as_str().unwrap_or("-");
        println!(
            "{}  {}  {:<16} {}  room {room}  phone {}  {}",
            o["received_at"].as_str().unwrap_or("?"),
            o["tenant"].as_str().unwrap_or("?"),
            o["type"].as_str().unwrap_or("?"),
            &o["event_id"].as_str().unwrap_or("?")
                [..12.min(o["event_id"].as_str().unwrap_or("").len())],
            o["phone"].as_str().unwrap_or("-"),
            if deliveries.is_empty() {
                "stored only".to_string()
            } else {
                deliveries.join(" ")
            },
        );
    }
    Ok(ExitCode::SUCCESS)
}
