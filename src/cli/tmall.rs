//! `rentsync tmall ...`: Tmall Haofang calls for operators. `lease show` queries a lease order now
//! and prints its status and every bill; `escrow create|modify --file ORDER.json` sends a
//! fund-escrow invitation (the file is seed 001's `operate_request` object). Card numbers and
//! phones are masked in everything printed; the secret and session never are printed.
//!
//! Exit 0 on success; 2 when the gateway or the business layer refused, or the rules refused
//! before sending; 3 when a write's outcome is unknown (nothing was resent); 1 otherwise.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use crate::config::Config;
use crate::secret::Secret;
use crate::tmall::escrow::{EscrowOperate, OperateType, SecondHandOrderOperateRequest};
use crate::tmall::lease::{BillType, EtcLeaseOrderDTO, LeaseQuery, QueryStatusDTO, QueryType};
use crate::tmall::poller::{poll_once, HistoryRow, LeaseBook};
use crate::tmall::wire::Fen;
use crate::tmall::{ErrorClass, SignMethod, TopClient, TopConfig, TopError};

#[derive(Debug, clap::Args)]
pub struct TmallArgs {
    #[command(subcommand)]
    pub command: TmallCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum TmallCommand {
    /// Lease orders (tmall.alihouse.trade.rent.lease.query).
    #[command(subcommand)]
    Lease(LeaseCommand),
    /// Fund-escrow invitations (tmall.alihouse.trade.order.second.house.operate).
    #[command(subcommand, alias = "invite")]
    Escrow(EscrowCommand),
}

#[derive(Debug, clap::Subcommand)]
pub enum LeaseCommand {
    /// Query a lease order now: its status and every bill, then the recorded history.
    Show(LeaseShowArgs),
    /// Follow a lease order: the poller records its changes in the state database.
    Watch(LeaseWatchArgs),
    /// Poll every followed lease order and record what changed.
    Poll(LeasePollArgs),
}

#[derive(Debug, clap::Args)]
pub struct LeaseWatchArgs {
    #[command(flatten)]
    pub top: TopArgs,
    pub lease_order_no: Vec<String>,
}

#[derive(Debug, clap::Args)]
pub struct LeasePollArgs {
    #[command(flatten)]
    pub top: TopArgs,
    /// One round, then exit.
    #[arg(long)]
    pub once: bool,
    #[arg(long, default_value_t = 60.0)]
    pub interval_secs: f64,
}

#[derive(Debug, clap::Subcommand)]
pub enum EscrowCommand {
    /// Send a CREATE (发起邀约); prints the new house_order_no.
    Create(EscrowArgs),
    /// Send a MODIFY (修改邀约) of an existing house_order_no.
    Modify(EscrowArgs),
}

/// Where the TOP app comes from: `[tenant.tmall]` of a config, or flags.
#[derive(Debug, clap::Args)]
pub struct TopArgs {
    #[arg(long, env = "RENTSYNC_CONFIG")]
    pub config: Option<PathBuf>,
    #[arg(long)]
    pub tenant: Option<String>,
    /// e.g. https://eco.taobao.com/router/rest.
    #[arg(long)]
    pub gateway: Option<String>,
    #[arg(long)]
    pub app_key: Option<String>,
    #[arg(long)]
    pub app_secret_file: Option<PathBuf>,
    #[arg(long)]
    pub session_file: Option<PathBuf>,
    /// md5, hmac or hmac-sha256.
    #[arg(long, default_value = "hmac-sha256")]
    pub sign_method: SignMethod,
    /// 经营主体ID (overrides the config's).
    #[arg(long)]
    pub merchant_open_id: Option<i64>,
}

#[derive(Debug, clap::Args)]
pub struct LeaseShowArgs {
    #[command(flatten)]
    pub top: TopArgs,
    pub lease_order_no: String,
    /// 0 lease, 1 bills by phase, 2 bills by number, 3 settlement.
    #[arg(long = "type", default_value_t = 0)]
    pub query_type: i64,
    #[arg(long)]
    pub phase: Option<i64>,
    /// A bill number (repeatable), for --type 2.
    #[arg(long = "bill-no")]
    pub bill_no: Vec<String>,
    #[arg(long, default_value = "text", value_parser = ["text", "json"])]
    pub format: String,
}

#[derive(Debug, clap::Args)]
pub struct EscrowArgs {
    #[command(flatten)]
    pub top: TopArgs,
    /// The operate_request object as JSON (seed 001), operate_type included.
    #[arg(long)]
    pub file: PathBuf,
}

pub async fn run(args: TmallArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        TmallCommand::Lease(LeaseCommand::Show(a)) => lease_show(a).await,
        TmallCommand::Lease(LeaseCommand::Watch(a)) => lease_watch(a).await,
        TmallCommand::Lease(LeaseCommand::Poll(a)) => lease_poll(a).await,
        TmallCommand::Escrow(EscrowCommand::Create(a)) => escrow(a, OperateType::Create).await,
        TmallCommand::Escrow(EscrowCommand::Modify(a)) => escrow(a, OperateType::Modify).await,
    }
}

/// The client and the merchant id from the config's `[tenant.tmall]` or from the flags. With a
/// config, the client shares flow-control bans with the daemon and other replicas through the
/// state database.
async fn client(t: &TopArgs) -> anyhow::Result<(TopClient, Option<i64>)> {
    let mut state = None;
    let (cfg, merchant) = if let Some(path) = &t.config {
        let config = Config::load(path)?;
        let tenant = config.tenant(t.tenant.as_deref())?;
        let tmall = tenant
            .tmall
            .as_ref()
            .with_context(|| format!("tenant {:?} has no [tenant.tmall] block", tenant.name))?;
        state = Some(config.state_database.clone());
        (
            tmall
                .top_config()
                .with_context(|| format!("tenant {:?}", tenant.name))?,
            tmall.merchant_open_id,
        )
    } else {
        let need = "give --config FILE, or all of --gateway --app-key --app-secret-file";
        let secret_file = t.app_secret_file.as_deref().context(need)?;
        let secret = std::fs::read_to_string(secret_file)
            .with_context(|| format!("cannot read {}", secret_file.display()))?;
        let mut cfg = TopConfig::new(
            t.gateway.clone().context(need)?,
            t.app_key.clone().context(need)?,
            Secret::new(secret.trim()),
        );
        if let Some(path) = &t.session_file {
            let s = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            cfg.session = Some(Secret::new(s.trim()));
        }
        cfg.sign_method = t.sign_method;
        (cfg, None)
    };
    let mut client = TopClient::new(cfg)?;
    if let Some(url) = state {
        let outbox = crate::outbox::Outbox::open(&url, 2).await?;
        client = client.with_shared_bans(outbox.db);
    }
    Ok((client, t.merchant_open_id.or(merchant)))
}

fn refused(e: &TopError) -> ExitCode {
    eprintln!("error: {e}");
    eprintln!("class: {:?}", e.class());
    match e.class() {
        ErrorClass::Unknown => ExitCode::from(3),
        ErrorClass::Transient | ErrorClass::Throttled => ExitCode::FAILURE,
        _ => ExitCode::from(2),
    }
}

async fn lease_show(a: LeaseShowArgs) -> anyhow::Result<ExitCode> {
    let (client, merchant) = client(&a.top).await?;
    let merchant_open_id = merchant
        .context("no merchant_open_id: set it in [tenant.tmall] or pass --merchant-open-id")?;
    let q = QueryStatusDTO {
        lease_order_no: a.lease_order_no.clone(),
        bill_no_list: (!a.bill_no.is_empty()).then(|| a.bill_no.clone()),
        phase: a.phase,
        query_type: QueryType::from(a.query_type),
        merchant_open_id,
    };
    match client.call(&LeaseQuery(q)).await {
        Ok(lease) => {
            let history = match book(&a.top).await? {
                Some((book, tenant)) => book.history(&tenant, &a.lease_order_no).await?,
                None => Vec::new(),
            };
            if a.format == "json" {
                let v = serde_json::json!({ "lease": lease, "history": history });
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                print!("{}", lease_text(&lease));
                for h in &history {
                    println!("{}", history_line(h));
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => Ok(refused(&e)),
    }
}

fn or_dash<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map_or("-".into(), |v| v.to_string())
}

/// The lease, then one line per bill: number, type, status, amount (yuan, from fen).
pub fn lease_text(l: &EtcLeaseOrderDTO) -> String {
    let mut out = format!(
        "lease {}: {} (payable: {}",
        l.lease_order_no,
        or_dash(&l.status),
        or_dash(&l.payable)
    );
    if let Some(r) = &l.close_reason {
        out.push_str(&format!(", close reason: {r}"));
    }
    out.push_str(")\n");
    if !l.bill_dto_list.is_empty() {
        out.push_str(&format!(
            "{:<20} {:<20} {:<9} {:>12} {:>5}  flags\n",
            "bill", "type", "status", "amount", "phase"
        ));
    }
    for b in &l.bill_dto_list {
        let mut flags = Vec::new();
        if b.is_lock.as_ref().is_some_and(|f| f.as_str() == "Y") {
            flags.push("paying");
        }
        if b.is_overdue.as_ref().is_some_and(|f| f.as_str() == "Y") {
            flags.push("overdue");
        }
        out.push_str(&format!(
            "{:<20} {:<20} {:<9} {:>12} {:>5}  {}\n",
            b.bill_no,
            or_dash(&b.bill_type),
            or_dash(&b.status),
            or_dash(&b.amount),
            or_dash(&b.phase),
            flags.join(",")
        ));
    }
    for s in &l.settle_info_list {
        out.push_str(&format!(
            "settlement {}: settled {} amount {} (rent {})\n",
            or_dash(&s.settle_order_no),
            or_dash(&s.is_settle),
            or_dash(&s.settle_amount),
            or_dash(&s.rent_pay_price)
        ));
    }
    out
}

async fn escrow(a: EscrowArgs, want: OperateType) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(&a.file)
        .with_context(|| format!("cannot read {}", a.file.display()))?;
    // serde_json's message names the field and position, never the value.
    let req: SecondHandOrderOperateRequest = serde_json::from_str(&text)
        .with_context(|| format!("{} is not an operate_request object", a.file.display()))?;
    anyhow::ensure!(
        req.operate_type == want,
        "{} has operate_type {}, but the command is {}",
        a.file.display(),
        req.operate_type,
        want
    );
    let (client, _) = client(&a.top).await?;
    for u in req.buyer_infos.iter().chain(&req.landlord_infos) {
        println!(
            "party {} ({}): card {} phone {}",
            u.name,
            u.out_id,
            u.card_no,
            or_dash(&u.phone)
        );
    }
    match client.call(&EscrowOperate(req)).await {
        Ok(r) => {
            println!("house_order_no {}", or_dash(&r.house_order_no));
            println!("template_id {}", or_dash(&r.template_id));
            println!("buyer_url {}", or_dash(&r.buyer_url));
            println!("landlord_url {}", or_dash(&r.landlord_url));
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => Ok(refused(&e)),
    }
}

/// The state database's lease book and the tenant's name, when a config is given.
async fn book(t: &TopArgs) -> anyhow::Result<Option<(LeaseBook, String)>> {
    let Some(path) = &t.config else {
        return Ok(None);
    };
    let config = Config::load(path)?;
    let tenant = config.tenant(t.tenant.as_deref())?.name.clone();
    let outbox = crate::outbox::Outbox::open(&config.state_database, 2).await?;
    Ok(Some((LeaseBook::new(outbox.db), tenant)))
}

fn history_line(h: &HistoryRow) -> String {
    let at = chrono::DateTime::from_timestamp_micros(h.at_us)
        .map(|t| {
            t.with_timezone(&crate::alipay::client::china())
                .format("%Y-%m-%d %H:%M:%S")
                .to_string()
        })
        .unwrap_or_else(|| h.at_us.to_string());
    let kind = h
        .bill_type
        .map(|t| format!(" {}", BillType::from(t)))
        .unwrap_or_default();
    let amount = h
        .amount_fen
        .map(|f| format!(" {}", Fen(f)))
        .unwrap_or_default();
    format!(
        "{at} {} {}{kind}: {} -> {}{amount}",
        h.subject,
        h.subject_key,
        h.old_value.as_deref().unwrap_or("-"),
        h.new_value
    )
}

async fn lease_watch(a: LeaseWatchArgs) -> anyhow::Result<ExitCode> {
    let (book, tenant) = book(&a.top)
        .await?
        .context("watch needs --config: the watch list lives in its state_database")?;
    for no in &a.lease_order_no {
        let added = book.watch(&tenant, no).await?;
        println!(
            "{no}: {}",
            if added {
                "followed"
            } else {
                "already followed"
            }
        );
    }
    Ok(ExitCode::SUCCESS)
}

async fn lease_poll(a: LeasePollArgs) -> anyhow::Result<ExitCode> {
    let (book, tenant) = book(&a.top)
        .await?
        .context("poll needs --config: the watch list lives in its state_database")?;
    let (client, merchant) = client(&a.top).await?;
    let merchant = merchant
        .context("no merchant_open_id: set it in [tenant.tmall] or pass --merchant-open-id")?;
    loop {
        let stats = poll_once(&client, &book, &tenant, merchant).await?;
        println!(
            "polled {} lease orders: {} changes recorded, {} failed",
            stats.polled, stats.changes, stats.failed
        );
        if a.once {
            return Ok(if stats.failed > 0 {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            });
        }
        tokio::time::sleep(std::time::Duration::from_secs_f64(a.interval_secs.max(1.0))).await;
    }
}
