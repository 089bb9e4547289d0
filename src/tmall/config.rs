//! `[tenant.tmall]`: one operator's TOP app. The secret and the session come from files (trimmed
//! of surrounding whitespace, since editors add a newline) and live in [`Secret`]s from then on.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use serde::Deserialize;

use super::client::TopConfig;
use super::sign::SignMethod;
use crate::secret::Secret;
use crate::worker::RateConfig;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TmallConfig {
    /// e.g. `https://eco.taobao.com/router/rest`.
    pub gateway: String,
    pub app_key: String,
    pub app_secret_file: PathBuf,
    /// The shop's access token (OAuth); absent when the APIs need none.
    pub session_file: Option<PathBuf>,
    #[serde(default)]
    pub sign_method: SignMethod,
    /// 经营主体ID from the ETC onboarding (spec §2.4); lease queries need it.
    pub merchant_open_id: Option<i64>,
    /// Bans up to this long are waited out; a longer ban stops the method and alerts.
    #[serde(default = "default_max_ban_secs")]
    pub max_ban_secs: u64,
    /// Client-side pacing per method (same keys as `[tenant.rates]`).
    #[serde(default = "default_rates")]
    pub rates: RateConfig,
    /// Calls per second for the whole app, all methods together (none by default).
    pub app_qps: Option<f64>,
    #[serde(default = "default_connect_timeout")]
    pub connect_timeout_secs: u64,
    #[serde(default = "default_request_timeout")]
    pub request_timeout_secs: u64,
    /// How often `rentsync run` polls the followed lease orders; 0 turns the poller off there.
    #[serde(default = "default_lease_poll_secs")]
    pub lease_poll_secs: u64,
    /// Follow the lease orders the contract view `rentsync_tmall_leases` lists in the tenant's
    /// `source_database` (docs/SOURCE_CONTRACT.md), besides those added by `tmall lease watch`.
    #[serde(default)]
    pub lease_view: bool,
}

fn default_lease_poll_secs() -> u64 {
    60
}

fn default_max_ban_secs() -> u64 {
    60
}

fn default_rates() -> RateConfig {
    // TOP's per-method quotas for alihouse are a spec gap; 5/s stays under the usual floor.
    RateConfig {
        qps: 5.0,
        ..RateConfig::default()
    }
}

fn default_connect_timeout() -> u64 {
    15
}

fn default_request_timeout() -> u64 {
    30
}

impl TmallConfig {
    pub fn resolve_paths(&mut self, base: &Path) {
        for p in [Some(&mut self.app_secret_file), self.session_file.as_mut()]
            .into_iter()
            .flatten()
        {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        }
    }

    /// Problems of this block, prefixed by the caller with the tenant's name.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !(self.gateway.starts_with("https://") || self.gateway.starts_with("http://")) {
            out.push("tmall.gateway must be an http(s) URL".to_string());
        }
        if self.app_key.trim().is_empty() {
            out.push("tmall.app_key must not be empty".to_string());
        }
        if self.rates.qps <= 0.0 || !self.rates.qps.is_finite() {
            out.push("tmall.rates.qps must be above 0".to_string());
        }
        if self.app_qps.is_some_and(|q| q <= 0.0 || !q.is_finite()) {
            out.push("tmall.app_qps must be above 0".to_string());
        }
        out
    }

    /// Reads the secret and session files and builds the client settings.
    pub fn top_config(&self) -> anyhow::Result<TopConfig> {
        let secret = read_trimmed(&self.app_secret_file).context("tmall.app_secret_file")?;
        anyhow::ensure!(
            !secret.is_empty(),
            "tmall.app_secret_file {} is empty",
            self.app_secret_file.display()
        );
        let mut cfg = TopConfig::new(&self.gateway, &self.app_key, secret);
        if let Some(path) = &self.session_file {
            let session = read_trimmed(path).context("tmall.session_file")?;
            cfg.session = (!session.is_empty()).then_some(session);
        }
        cfg.sign_method = self.sign_method;
        cfg.max_ban = Duration::from_secs(self.max_ban_secs);
        cfg.rates = self.rates.clone();
        cfg.app_qps = self.app_qps;
        cfg.connect_timeout = Duration::from_secs(self.connect_timeout_secs);
        cfg.request_timeout = Duration::from_secs(self.request_timeout_secs);
        Ok(cfg)
    }
}

fn read_trimmed(path: &Path) -> anyhow::Result<Secret> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(Secret::new(text.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_trimmed_and_defaults_apply() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("secret"), "  s3cret\n").unwrap();
        std::fs::write(dir.path().join("session"), "tok\n\n").unwrap();
        let mut c: TmallConfig = toml::from_str(
            r#"gateway = "http://127.0.0.1:1/router/rest"
app_key = "12345678"
app_secret_file = "secret"
session_file = "session""#,
        )
        .unwrap();
        c.resolve_paths(dir.path());
        let t = c.top_config().unwrap();
        assert_eq!(t.app_secret.expose(), "s3cret");
        assert_eq!(t.session.as_ref().map(|s| s.expose()), Some("tok"));
        assert_eq!(t.sign_method, SignMethod::HmacSha256);
        assert_eq!(t.max_ban, Duration::from_secs(60));
        let shown = format!("{t:?}");
        assert!(
            !shown.contains("s3cret") && !shown.contains("tok\""),
            "{shown}"
        );
    }

    #[test]
    fn unknown_keys_and_sign_methods_are_refused() {
        assert!(toml::from_str::<TmallConfig>(
            "gateway = \"x\"\napp_key = \"k\"\napp_secret_file = \"s\"\nappsecret = \"x\""
        )
        .is_err());
        assert!(toml::from_str::<TmallConfig>(
            "gateway = \"x\"\napp_key = \"k\"\napp_secret_file = \"s\"\nsign_method = \"sha1\""
        )
        .is_err());
    }
}
