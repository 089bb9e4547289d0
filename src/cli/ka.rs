//! `rentsync ka sync|show|register`: the operator (KA) account on the platform (spec §2.1, §2.2,
//! §3.1). `sync` creates the operator from `[tenant.ka] name` and keeps the `ka_code` in the state
//! database (later runs update by it); `show` asks the platform (`ka.baseinfo.query`); `register`
//! registers the daemon's SPI URLs for callback types 1–5 (`ka.service.create`). Each remembers
//! what it sent, so a rerun that changes nothing makes no call.

use std::process::ExitCode;

use anyhow::Context;

use super::runtime::ConfigArg;
use crate::alipay::renthouse::ka::{KaInfoQuery, KaInfoSync, KaServiceCreate};
use crate::alipay::AlipayClient;
use crate::config::{Config, TenantConfig};
use crate::outbox::{KaAccount, Outbox};
use crate::spi::CallbackType;

#[derive(Debug, clap::Args)]
pub struct KaArgs {
    #[command(subcommand)]
    pub command: KaCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum KaCommand {
    /// Create or update the operator from [tenant.ka] (ka.baseinfo.sync); keeps its ka_code.
    Sync(KaTenantArgs),
    /// What the platform holds for the operator (ka.baseinfo.query), as JSON.
    Show(KaTenantArgs),
    /// Register the SPI callback URLs of [tenant.spi] public_url, types 1-5 (ka.service.create).
    Register(KaTenantArgs),
}

#[derive(Debug, clap::Args)]
pub struct KaTenantArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// Which tenant (needed when the config has several).
    #[arg(long)]
    pub tenant: Option<String>,
}

pub async fn run(args: KaArgs) -> anyhow::Result<ExitCode> {
    let (cmd, a) = match &args.command {
        KaCommand::Sync(a) => ("sync", a),
        KaCommand::Show(a) => ("show", a),
        KaCommand::Register(a) => ("register", a),
    };
    let cfg = Config::load(&a.config.config)?;
    let tenant = cfg.tenant(a.tenant.as_deref())?;
    let outbox = Outbox::open(&cfg.state_database, 2)
        .await
        .context("state database")?;
    let client = AlipayClient::new(tenant.client_config()?)?;
    match cmd {
        "sync" => sync(&outbox, &client, tenant).await,
        "show" => show(&outbox, &client, tenant).await,
        _ => register(&outbox, &client, tenant).await,
    }
}

async fn account(outbox: &Outbox, tenant: &TenantConfig) -> anyhow::Result<KaAccount> {
    outbox.ka_get(&tenant.name).await?.with_context(|| {
        format!(
            "tenant {:?} has no KA account yet: run `rentsync ka sync` first",
            tenant.name
        )
    })
}

pub(super) async fn sync(
    outbox: &Outbox,
    client: &AlipayClient,
    tenant: &TenantConfig,
) -> anyhow::Result<ExitCode> {
    let name = tenant
        .ka
        .as_ref()
        .map(|k| k.name.trim().to_string())
        .filter(|n| !n.is_empty())
        .with_context(|| format!("tenant {:?}: [tenant.ka] name is not set", tenant.name))?;
    let known = outbox.ka_get(&tenant.name).await?;
    if let Some(k) = known.as_ref().filter(|k| k.ka_name == name) {
        println!(
            "ka_code {} is up to date (name {:?}); no call made",
            k.ka_code, k.ka_name
        );
        return Ok(ExitCode::SUCCESS);
    }
    let req = KaInfoSync {
        ka_code: known.as_ref().map(|k| k.ka_code.clone()),
        ka_name: Some(name.clone()),
    };
    let answer = client.call(&req).await?;
    let ka_code = answer
        .ka_code
        .filter(|c| !c.is_empty())
        .or_else(|| known.as_ref().map(|k| k.ka_code.clone()))
        .context("ka.baseinfo.sync answered without a ka_code")?;
    let account = KaAccount {
        tenant: tenant.name.clone(),
        ka_code: ka_code.clone(),
        ka_name: name,
        services: known.map(|k| k.services).unwrap_or_default(),
    };
    outbox.ka_put(&account).await?;
    println!(
        "ka_code {ka_code} ({:?}) kept in the state database",
        account.ka_name
    );
    Ok(ExitCode::SUCCESS)
}

async fn show(
    outbox: &Outbox,
    client: &AlipayClient,
    tenant: &TenantConfig,
) -> anyhow::Result<ExitCode> {
    let k = account(outbox, tenant).await?;
    let answer = client
        .call(&KaInfoQuery {
            ka_code: k.ka_code.clone(),
        })
        .await?;
    let out = serde_json::json!({
        "tenant": tenant.name,
        "ka_code": answer.ka_code.unwrap_or(k.ka_code),
        "ka_name": answer.ka_name,
        "valid": answer.valid,
        "registered": k.services,
    });
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(ExitCode::SUCCESS)
}

/// `<public_url>/spi/<tenant>/<type>` for each callback type.
pub fn service_addresses(tenant: &TenantConfig) -> anyhow::Result<Vec<(i64, String)>> {
    let spi = tenant.spi.as_ref().with_context(|| {
        format!(
            "tenant {:?}: [tenant.spi] public_url is not set",
            tenant.name
        )
    })?;
    let base = spi.public_url.trim_end_matches('/');
    Ok(CallbackType::ALL
        .iter()
        .map(|t| {
            (
                t.number(),
                format!("{base}/spi/{}/{}", tenant.name, t.as_str()),
            )
        })
        .collect())
}

async fn register(
    outbox: &Outbox,
    client: &AlipayClient,
    tenant: &TenantConfig,
) -> anyhow::Result<ExitCode> {
    let mut k = account(outbox, tenant).await?;
    let mut calls = 0;
    for (ty, address) in service_addresses(tenant)? {
        if k.services.get(&ty) == Some(&address) {
            continue;
        }
        client
            .call(&KaServiceCreate {
                ka_code: k.ka_code.clone(),
                service_type: ty,
                address: address.clone(),
            })
            .await
            .with_context(|| format!("ka.service.create type {ty}"))?;
        calls += 1;
        println!("registered type {ty}: {address}");
        // Kept after each call, so a failure later does not repeat the ones done.
        k.services.insert(ty, address);
        outbox.ka_put(&k).await?;
    }
    if calls == 0 {
        println!("all 5 SPI addresses are registered; no call made");
    }
    Ok(ExitCode::SUCCESS)
}
