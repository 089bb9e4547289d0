//! `rentsync call METHOD BIZ_JSON`: one signed call, for operators debugging their setup.
//! Exit 0 on success; 2 when the platform refused (code and sub_code printed); 1 otherwise.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;

use super::TenantArgs;
use crate::alipay::{AlipayClient, AlipayError, AppPrivateKey, ClientConfig, PublicKey};
use crate::config::Config;
use crate::secret::Secret;

#[derive(Debug, clap::Args)]
pub struct CallArgs {
    #[command(flatten)]
    pub tenant: TenantArgs,
    /// Request timeout in seconds.
    #[arg(long, default_value_t = 30)]
    pub timeout: u64,
    /// Full method name, e.g. alipay.eco.renthouse.room.state.sync.
    pub method: String,
    /// The biz_content JSON object ('-' reads it from standard input).
    #[arg(default_value = "{}")]
    pub biz_content: String,
}

pub async fn run(args: CallArgs) -> anyhow::Result<ExitCode> {
    let mut cfg = client_config(&args.tenant)?;
    cfg.request_timeout = Duration::from_secs(args.timeout);
    let biz = if args.biz_content == "-" {
        std::io::read_to_string(std::io::stdin()).context("reading biz_content from stdin")?
    } else {
        args.biz_content.clone()
    };
    let parsed: serde_json::Value =
        serde_json::from_str(&biz).context("BIZ_JSON is not valid JSON")?;
    anyhow::ensure!(parsed.is_object(), "BIZ_JSON must be a JSON object");
    let client = AlipayClient::new(cfg)?;
    match client.call_raw(&args.method, &parsed.to_string()).await {
        Ok(answer) => {
            println!("{}", pretty(&answer.node));
            Ok(ExitCode::SUCCESS)
        }
        Err(e @ AlipayError::Platform { .. }) => {
            eprintln!("error: {e}");
            eprintln!("class: {:?}", e.class());
            Ok(ExitCode::from(2))
        }
        Err(e) => {
            eprintln!("error: {e}");
            eprintln!("class: {:?}", e.class());
            Ok(ExitCode::FAILURE)
        }
    }
}

fn pretty(node: &str) -> String {
    serde_json::from_str::<serde_json::Value>(node)
        .and_then(|v| serde_json::to_string_pretty(&v))
        .unwrap_or_else(|_| node.to_string())
}

/// The tenant from `--config`, or from the four flags.
pub fn client_config(t: &TenantArgs) -> anyhow::Result<ClientConfig> {
    if let Some(path) = &t.config {
        return Config::load(path)?
            .tenant(t.tenant.as_deref())?
            .client_config();
    }
    let need =
        "give --config FILE, or all of --gateway --app-id --private-key --platform-public-key";
    let gateway = t.gateway.clone().context(need)?;
    let app_id = t.app_id.clone().context(need)?;
    let key = AppPrivateKey::from_file(t.private_key.as_deref().context(need)?)?;
    let platform = PublicKey::from_file(t.platform_public_key.as_deref().context(need)?)?;
    let mut cfg = ClientConfig::new(gateway, app_id, key, platform);
    cfg.sign_type = t.sign_type;
    if let Some(path) = &t.app_auth_token_file {
        let token = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        cfg.app_auth_token = Some(Secret::new(token.trim()));
    }
    Ok(cfg)
}
