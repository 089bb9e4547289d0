//! The configuration file (TOML): one or more tenants, each an operator's app on a platform
//! gateway. Unknown keys are refused (a typo must not silently fall back to a default), every
//! problem is reported at once, and secrets are read from files, never written inline.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use serde::Deserialize;

use crate::alipay::{AppPrivateKey, ClientConfig, PublicKey, SignType};
use crate::secret::Secret;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(rename = "tenant", default)]
    pub tenants: Vec<TenantConfig>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantConfig {
    pub name: String,
    /// e.g. `https://openapi.alipay.com/gateway.do`.
    pub gateway: String,
    pub app_id: String,
    pub private_key_file: PathBuf,
    pub platform_public_key_file: PathBuf,
    /// Only for an ISV acting for the operator; read from a file so it never sits in the config.
    pub app_auth_token_file: Option<PathBuf>,
    #[serde(default)]
    pub sign_type: SignType,
    #[serde(default = "default_connect_timeout")]
    pub connect_timeout_secs: u64,
    #[serde(default = "default_request_timeout")]
    pub request_timeout_secs: u64,
}

fn default_connect_timeout() -> u64 {
    5
}

fn default_request_timeout() -> u64 {
    30
}

impl Config {
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read config {}", path.display()))?;
        let mut cfg: Config =
            toml::from_str(&text).with_context(|| format!("config {}", path.display()))?;
        // Relative key paths are relative to the config file, as an operator would expect.
        let base = path.parent().unwrap_or(Path::new("."));
        for t in &mut cfg.tenants {
            for p in [
                Some(&mut t.private_key_file),
                Some(&mut t.platform_public_key_file),
                t.app_auth_token_file.as_mut(),
            ]
            .into_iter()
            .flatten()
            {
                if p.is_relative() {
                    *p = base.join(&*p);
                }
            }
        }
        cfg.validate()?;
        Ok(cfg)
    }

    /// Every problem at once, one line each.
    fn validate(&self) -> anyhow::Result<()> {
        let mut problems = Vec::new();
        if self.tenants.is_empty() {
            problems.push("no [[tenant]] is configured".to_string());
        }
        for (i, t) in self.tenants.iter().enumerate() {
            if self.tenants[..i].iter().any(|o| o.name == t.name) {
                problems.push(format!("tenant {:?} is configured twice", t.name));
            }
            if !(t.gateway.starts_with("https://") || t.gateway.starts_with("http://")) {
                problems.push(format!(
                    "tenant {:?}: gateway must be an http(s) URL",
                    t.name
                ));
            }
            if t.app_id.is_empty() || t.app_id.len() > 32 {
                problems.push(format!(
                    "tenant {:?}: app_id must be 1 to 32 characters",
                    t.name
                ));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            anyhow::bail!("invalid configuration:\n  {}", problems.join("\n  "))
        }
    }

    pub fn tenant(&self, name: Option<&str>) -> anyhow::Result<&TenantConfig> {
        match name {
            Some(n) => self
                .tenants
                .iter()
                .find(|t| t.name == n)
                .with_context(|| format!("no tenant named {n:?} in the config")),
            None if self.tenants.len() == 1 => Ok(&self.tenants[0]),
            None => anyhow::bail!("the config has several tenants: choose one with --tenant"),
        }
    }
}

impl TenantConfig {
    /// Reads the keys and token and builds the client settings.
    pub fn client_config(&self) -> anyhow::Result<ClientConfig> {
        let private_key = AppPrivateKey::from_file(&self.private_key_file)
            .with_context(|| format!("tenant {:?}: private_key_file", self.name))?;
        let platform = PublicKey::from_file(&self.platform_public_key_file)
            .with_context(|| format!("tenant {:?}: platform_public_key_file", self.name))?;
        let mut cfg = ClientConfig::new(&self.gateway, &self.app_id, private_key, platform);
        cfg.sign_type = self.sign_type;
        cfg.connect_timeout = Duration::from_secs(self.connect_timeout_secs);
        cfg.request_timeout = Duration::from_secs(self.request_timeout_secs);
        if let Some(path) = &self.app_auth_token_file {
            let token = std::fs::read_to_string(path).with_context(|| {
                format!("tenant {:?}: cannot read app_auth_token_file", self.name)
            })?;
            cfg.app_auth_token = Some(Secret::new(token.trim()));
        }
        Ok(cfg)
    }
}
