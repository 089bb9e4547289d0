//! `rentsync sandbox`: the local gateway, for the demo, tests and operators' own experiments.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;

use crate::alipay::{AppPrivateKey, PublicKey};
use crate::sandbox::{FaultConfig, LimitConfig, SandboxConfig, SandboxState};
use crate::secret::Secret;

#[derive(Debug, clap::Args)]
pub struct SandboxArgs {
    /// Address to listen on. Loopback by default: the sandbox is not for other machines.
    #[arg(long, default_value = "127.0.0.1:8765")]
    pub listen: SocketAddr,
    /// The app's public key: request signatures are verified with it.
    #[arg(long)]
    pub app_public_key: PathBuf,
    /// The sandbox's own private key: answers are signed with it. Give its public half to clients.
    #[arg(long)]
    pub platform_private_key: PathBuf,
    /// Accept only this app_id (any by default).
    #[arg(long)]
    pub app_id: Option<String>,
    /// Require app_auth_token to equal the content of this file.
    #[arg(long)]
    pub app_auth_token_file: Option<PathBuf>,
    /// Calls per second per (app, method); 0 turns flow control off.
    #[arg(long, default_value_t = 50.0)]
    pub qps: f64,
    /// Calls that may arrive at once after a quiet spell (0: one second's worth).
    #[arg(long, default_value_t = 0)]
    pub burst: u32,
    /// Per-method rate, METHOD=QPS (repeatable).
    #[arg(long = "method-qps", value_parser = parse_method_qps)]
    pub method_qps: Vec<(String, f64)>,
    /// A community code the platform already knows (repeatable).
    #[arg(long = "community-code")]
    pub community_codes: Vec<String>,
    /// Largest decoded image accepted by common.image.upload, in bytes.
    #[arg(long, default_value_t = crate::plan::rules::MAX_IMAGE_BYTES)]
    pub max_image_bytes: usize,
    /// Largest accepted difference between a request's timestamp and now.
    #[arg(long, default_value_t = 900)]
    pub max_clock_skew_secs: u64,
    /// The SPI AES key (base64) that encrypts bookPhone in callbacks sent by /sandbox/spi/send.
    #[arg(long)]
    pub spi_aes_key_file: Option<PathBuf>,
    /// Keep accepted state in this JSON file across restarts.
    #[arg(long)]
    pub state_file: Option<PathBuf>,
    /// Fault injection: seed of the random draws.
    #[arg(long, default_value_t = 0)]
    pub fault_seed: u64,
    /// Add latency and faults only to these methods (by the end of their name, e.g. `room.state.sync`);
    /// repeat for several. Every method when absent.
    #[arg(long = "fault-method")]
    pub fault_methods: Vec<String>,
    /// Added to every answer, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Extra random latency up to this many milliseconds.
    #[arg(long, default_value_t = 0)]
    pub jitter_ms: u64,
    /// Rate (0..1) of HTTP 502 answers.
    #[arg(long, default_value_t = 0.0)]
    pub fault_5xx: f64,
    /// Rate of `20000 isp.unknow-error` answers.
    #[arg(long, default_value_t = 0.0)]
    pub fault_20000: f64,
    /// Rate of injected `40005` throttling answers.
    #[arg(long, default_value_t = 0.0)]
    pub fault_throttle: f64,
    /// Rate of answers that never come (the call was applied).
    #[arg(long, default_value_t = 0.0)]
    pub fault_timeout: f64,
    /// Rate of connections cut mid-answer (the call was applied).
    #[arg(long, default_value_t = 0.0)]
    pub fault_drop: f64,
    /// Rate of answers that are not JSON.
    #[arg(long, default_value_t = 0.0)]
    pub fault_malformed: f64,
    /// Rate of answers signed with the wrong key.
    #[arg(long, default_value_t = 0.0)]
    pub fault_bad_signature: f64,
    /// How long a "timeout" answer hangs before the connection is cut, in milliseconds.
    #[arg(long, default_value_t = 60_000)]
    pub hang_ms: u64,
    /// Also serve a TOP gateway (Tmall Haofang) at /router/rest for this app_key.
    #[arg(long, requires = "tmall_app_secret_file")]
    pub tmall_app_key: Option<String>,
    /// The TOP app secret requests must be signed with.
    #[arg(long)]
    pub tmall_app_secret_file: Option<PathBuf>,
    /// Require this session on every TOP call.
    #[arg(long)]
    pub tmall_session_file: Option<PathBuf>,
    /// Lease orders move one step on every this many seconds (besides POST /sandbox/tmall/advance).
    #[arg(long)]
    pub tmall_advance_secs: Option<f64>,
}

fn parse_method_qps(s: &str) -> Result<(String, f64), String> {
    let (m, q) = s.split_once('=').ok_or("expected METHOD=QPS")?;
    let q: f64 = q.parse().map_err(|_| format!("{q:?} is not a number"))?;
    Ok((m.to_string(), q))
}

impl SandboxArgs {
    pub fn config(&self) -> anyhow::Result<SandboxConfig> {
        let app_public_key = PublicKey::from_file(&self.app_public_key)?;
        let platform_private_key = AppPrivateKey::from_file(&self.platform_private_key)?;
        let mut cfg = SandboxConfig::new(app_public_key, platform_private_key);
        cfg.app_id = self.app_id.clone();
        if let Some(path) = &self.spi_aes_key_file {
            cfg.spi_aes_key = Some(crate::spi::aes::ContentKey::from_file(path)?);
        }
        if let Some(path) = &self.app_auth_token_file {
            let token = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            cfg.app_auth_tokens = Some(vec![Secret::new(token.trim())]);
        }
        cfg.limits = LimitConfig {
            qps: self.qps,
            burst: self.burst,
            per_method: self.method_qps.iter().cloned().collect(),
        };
        cfg.faults = FaultConfig {
            seed: self.fault_seed,
            latency_ms: self.latency_ms,
            jitter_ms: self.jitter_ms,
            http_5xx: self.fault_5xx,
            service_unavailable: self.fault_20000,
            throttle: self.fault_throttle,
            timeout: self.fault_timeout,
            drop: self.fault_drop,
            malformed: self.fault_malformed,
            bad_signature: self.fault_bad_signature,
            hang_ms: self.hang_ms,
            methods: self.fault_methods.clone(),
        };
        let total = self.fault_5xx
            + self.fault_20000
            + self.fault_throttle
            + self.fault_timeout
            + self.fault_drop
            + self.fault_malformed
            + self.fault_bad_signature;
        anyhow::ensure!(
            (0.0..=1.0).contains(&total),
            "fault rates add up to {total}; they must stay within 0..1"
        );
        cfg.community_codes = self.community_codes.clone();
        cfg.max_image_bytes = self.max_image_bytes;
        cfg.max_clock_skew = Duration::from_secs(self.max_clock_skew_secs);
        cfg.state_file = self.state_file.clone();
        Ok(cfg)
    }
}

impl SandboxArgs {
    /// The TOP gateway, when --tmall-app-key is given.
    pub fn top(&self) -> anyhow::Result<Option<crate::tmall::sandbox::TopSandbox>> {
        let (Some(key), Some(secret_file)) = (&self.tmall_app_key, &self.tmall_app_secret_file)
        else {
            return Ok(None);
        };
        let read = |p: &PathBuf| {
            std::fs::read_to_string(p)
                .map(|s| Secret::new(s.trim()))
                .with_context(|| format!("cannot read {}", p.display()))
        };
        let mut cfg = crate::tmall::sandbox::TopSandboxConfig::new(key, read(secret_file)?);
        if let Some(p) = &self.tmall_session_file {
            cfg.session = Some(read(p)?);
        }
        cfg.advance_every = self
            .tmall_advance_secs
            .filter(|s| *s > 0.0)
            .map(Duration::from_secs_f64);
        Ok(Some(crate::tmall::sandbox::TopSandbox::new(cfg)))
    }
}

pub async fn run(args: SandboxArgs) -> anyhow::Result<ExitCode> {
    let state = SandboxState::new(args.config()?)?;
    let top = args.top()?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr()?;
    // One line on stdout that scripts can wait for.
    println!("sandbox listening on http://{addr}/gateway.do");
    let extra = match top {
        Some(top) => {
            println!("TOP sandbox listening on http://{addr}/router/rest");
            top.router()
        }
        None => axum::Router::new(),
    };
    tracing::info!(%addr, "sandbox started");
    state.serve_with(listener, extra, shutdown_signal()).await?;
    Ok(ExitCode::SUCCESS)
}

/// SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {},
        _ = term => {},
    }
}
