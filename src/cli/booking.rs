//! `rentsync booking feedback RESERVATION_NO --status SUCCESS|FAIL|CANCEL`: the operator's answer
//! to a viewing booking (reservation.feedback.sync, spec §2.8), sent at once through the task
//! outbox. The same decision is sent once (a rerun makes no call); a changed one is sent again; a
//! CANCEL is refused unless a SUCCESS was sent for the booking before.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use serde_json::json;

use super::runtime::ConfigArg;
use crate::alipay::renthouse::ReservationFeedbackSync;
use crate::alipay::AlipayClient;
use crate::config::Config;
use crate::outbox::{Outbox, TaskPut};
use crate::trade::handlers::{cancel_refused, BookingFeedbackHandler, TradeCalls};
use crate::trade::{hash_of, violations, BOOKING_FEEDBACK_KIND};
use crate::worker::TaskHandler;

#[derive(Debug, clap::Args)]
pub struct BookingArgs {
    #[command(subcommand)]
    pub command: BookingCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum BookingCommand {
    /// Answer a viewing booking (reservation.feedback.sync): SUCCESS, FAIL, or CANCEL after a SUCCESS.
    Feedback(FeedbackArgs),
}

#[derive(Debug, clap::Args)]
pub struct FeedbackArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// The platform's booking serial number (预约单流水号).
    pub reservation_no: String,
    /// SUCCESS (booked), FAIL (refused), or CANCEL (only after a SUCCESS was sent).
    #[arg(long, value_parser = ["SUCCESS", "FAIL", "CANCEL"])]
    pub status: String,
    /// Viewing time the operator fixed, `yyyy-MM-dd HH:mm:ss`, when it differs from the tenant's.
    #[arg(long)]
    pub look_time: Option<String>,
    /// The listing's room_code; found in the stored booking callback when not given.
    #[arg(long)]
    pub room_code: Option<String>,
    /// Name of the agent who shows the flat.
    #[arg(long)]
    pub looker_name: Option<String>,
    /// The operator's own order number.
    #[arg(long)]
    pub out_biz_no: Option<String>,
    /// A remark (备注) shown with the answer.
    #[arg(long)]
    pub comment: Option<String>,
    /// Which tenant (needed when the config has several).
    #[arg(long)]
    pub tenant: Option<String>,
}

pub async fn run(args: BookingArgs) -> anyhow::Result<ExitCode> {
    let BookingCommand::Feedback(a) = args.command;
    let cfg = Config::load(&a.config.config)?;
    let tenant = cfg.tenant(a.tenant.as_deref())?;
    let outbox = Outbox::open(&cfg.state_database, 2)
        .await
        .context("state database")?;
    let room_code = match a.room_code.clone() {
        Some(c) => Some(c),
        None => stored_room_code(&outbox, &tenant.name, &a.reservation_no).await?,
    };
    let req = ReservationFeedbackSync {
        reservation_no: a.reservation_no.trim().to_string(),
        room_code,
        reserve_status: Some(a.status.clone()),
        out_biz_no: a.out_biz_no.clone(),
        final_look_time: a.look_time.clone(),
        looker_name: a.looker_name.clone(),
        looker_phone: None,
        audit_comment: a.comment.clone(),
    };
    let broken = violations(
        "alipay.eco.renthouse.reservation.feedback.sync",
        &serde_json::to_value(&req)?,
    );
    if !broken.is_empty() {
        let rules: Vec<String> = broken.iter().map(|v| v.message()).collect();
        let hint = if req.room_code.is_none() {
            " (no stored booking callback names its room: give --room-code)"
        } else {
            ""
        };
        anyhow::bail!(
            "booking {}: not sent: {}{hint}",
            req.reservation_no,
            rules.join("; ")
        );
    }
    let no = req.reservation_no.clone();
    let sent = outbox.trade_sent(&tenant.name, "booking", &no).await?;
    if sent
        .as_ref()
        .is_some_and(|s| s.content_hash == hash_of(&req))
    {
        println!(
            "booking {no}: this decision ({}) was sent already; no call made",
            a.status
        );
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(why) = cancel_refused(&req, sent.as_ref().and_then(|s| s.state.as_deref())) {
        anyhow::bail!("{why}; not sent");
    }
    let payload = json!({ "reservation_no": no, "source": "cli", "request": req }).to_string();
    let put = outbox
        .task_put(&tenant.name, BOOKING_FEEDBACK_KIND, &no, &payload)
        .await?;
    if put == TaskPut::Unchanged {
        // Queued before and not sent yet (or failed): make it due again.
        outbox
            .task_make_due(&tenant.name, BOOKING_FEEDBACK_KIND, &no)
            .await?;
    }
    let client = AlipayClient::new(tenant.client_config()?)?;
    let source = match &tenant.source_database {
        Some(url) => Some(crate::db::Db::connect_lazy(url, 1)?),
        None => None,
    };
    let handler: Arc<dyn TaskHandler> = Arc::new(BookingFeedbackHandler(TradeCalls {
        client,
        ctx: None,
        source,
    }));
    crate::worker::drain_tasks(
        &tenant.name,
        &[handler],
        &outbox,
        &cfg.worker.task_settings(),
    )
    .await?;
    let task = outbox
        .task_get(&tenant.name, BOOKING_FEEDBACK_KIND, &no)
        .await?
        .context("the decision's task is gone")?;
    match task.status.as_str() {
        "done" => {
            println!(
                "booking {no}: {} sent (reservation.feedback.sync)",
                a.status
            );
            Ok(ExitCode::SUCCESS)
        }
        status => {
            eprintln!(
                "booking {no}: {status}: {} {}",
                task.last_code.unwrap_or_default(),
                task.last_error.unwrap_or_default()
            );
            if status == "retry" || status == "pending" || status == "leased" {
                eprintln!(
                    "the decision stays queued; `rentsync run` sends it when the platform answers"
                );
            }
            Ok(ExitCode::FAILURE)
        }
    }
}

/// The room of a stored booking callback carrying this reservation number, if any.
async fn stored_room_code(
    outbox: &Outbox,
    tenant: &str,
    reservation_no: &str,
) -> anyhow::Result<Option<String>> {
    let rows = outbox.spi_list(Some(tenant), Some("booking"), 1000).await?;
    for cb in rows {
        let params: serde_json::Value = serde_json::from_str(&cb.params).unwrap_or_default();
        let no = ["reservationNo", "reservation_no", "reserveNo"]
            .iter()
            .find_map(|k| params.get(*k).and_then(|v| v.as_str()));
        if no == Some(reservation_no) {
            return Ok(params
                .get("roomCode")
                .and_then(|v| v.as_str())
                .map(str::to_string));
        }
    }
    Ok(None)
}
