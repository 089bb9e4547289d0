//! The SPI settings: `[spi]` (the daemon's callback listener and the data key that encrypts phone
//! numbers at rest) and, per tenant, `[tenant.spi]` (its public URL, the platform's AES key,
//! where accepted callbacks are delivered) and `[tenant.ka]` (the operator's name on the platform).
//! Validation is here so `config.rs` only collects the problems.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

/// `[spi]`: the callback listener of `rentsync run`. Off while `listen` is empty.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SpiConfig {
    /// e.g. `"127.0.0.1:9190"`, behind the operator's TLS reverse proxy.
    pub listen: String,
    /// 32 random bytes (base64) that encrypt phone numbers in the state database. Created 0600 as
    /// `spi-data.key` in the state directory on first start when not given.
    pub data_key_file: Option<PathBuf>,
    /// A callback whose `timestamp` is further than this from now is refused as stale.
    pub max_skew_secs: u64,
    /// Largest request body read; beyond it the callback is refused unread.
    pub max_body_bytes: usize,
    /// Callbacks per second one source address may send (burst: one second's worth).
    pub rate_per_addr: f64,
    /// Longest a request may take, from its first byte to the answer.
    pub request_timeout_secs: u64,
}

impl Default for SpiConfig {
    fn default() -> Self {
        Self {
            listen: String::new(),
            data_key_file: None,
            max_skew_secs: 900,
            max_body_bytes: 64 << 10,
            rate_per_addr: 50.0,
            request_timeout_secs: 10,
        }
    }
}

impl SpiConfig {
    pub fn addr(&self) -> anyhow::Result<Option<SocketAddr>> {
        if self.listen.is_empty() {
            return Ok(None);
        }
        self.listen
            .parse()
            .map(Some)
            .map_err(|_| anyhow::anyhow!("spi.listen {:?} is not an address:port", self.listen))
    }

    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_secs.max(1))
    }

    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Err(e) = self.addr() {
            out.push(e.to_string());
        }
        if self.rate_per_addr <= 0.0 || !self.rate_per_addr.is_finite() {
            out.push("spi.rate_per_addr must be above 0".into());
        }
        if self.max_body_bytes < 1024 {
            out.push("spi.max_body_bytes must be at least 1024".into());
        }
        out
    }
}

/// `[tenant.ka]`: the operator (KA, 公寓运营商) as `rentsync ka sync` creates it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KaConfig {
    /// 公寓运营商名称, the operator's name on the platform.
    pub name: String,
}

/// `[tenant.spi]`: this tenant's callbacks.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantSpiConfig {
    /// The daemon's public base URL as the platform reaches it (e.g. `https://rentsync.example.com`);
    /// `ka register` registers `<public_url>/spi/<tenant>/<type>` for each callback type.
    pub public_url: String,
    /// The platform's AES key (接口内容加密密钥, base64) that encrypts `bookPhone`.
    pub aes_key_file: Option<PathBuf>,
    /// Where accepted callbacks go; stored only (see `rentsync spi list`) without it.
    pub deliver: Option<DeliverConfig>,
}

/// `[tenant.spi.deliver]`: a webhook, an INSERT into the operator's own database, or both.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliverConfig {
    /// `https://…`; plain `http://` only to a loopback host.
    pub webhook: Option<String>,
    /// The HMAC-SHA256 key of `X-Rentsync-Signature` (the file's content, trimmed).
    pub hmac_key_file: Option<PathBuf>,
    /// A database the operator names for callbacks (never the read-only source).
    pub insert_database: Option<String>,
    /// The statement run per callback, with named parameters `:event_id`, `:tenant`, `:type`,
    /// `:received_at`, `:params`, `:phone`; make it ignore a repeated `event_id`.
    pub insert_statement: Option<String>,
    /// Longest one delivery may take.
    #[serde(default = "default_deliver_timeout")]
    pub timeout_secs: u64,
}

fn default_deliver_timeout() -> u64 {
    10
}

impl TenantSpiConfig {
    pub fn resolve_paths(&mut self, base: &Path) {
        let deliver = self.deliver.as_mut().and_then(|d| d.hmac_key_file.as_mut());
        for p in [self.aes_key_file.as_mut(), deliver].into_iter().flatten() {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        }
    }

    /// Problems of this section, each a line; `source` is the tenant's read-only database.
    pub fn problems(&self, source: Option<&str>) -> Vec<String> {
        let mut out = Vec::new();
        if !(self.public_url.starts_with("https://") || self.public_url.starts_with("http://")) {
            out.push("spi.public_url must be an http(s) URL".into());
        }
        let Some(d) = &self.deliver else {
            return out;
        };
        if d.webhook.is_none() && d.insert_database.is_none() {
            out.push("spi.deliver needs webhook or insert_database".into());
        }
        if let Some(url) = &d.webhook {
            if let Err(e) = super::deliver::webhook::check_url(url) {
                out.push(format!("spi.deliver.webhook: {e}"));
            }
            if d.hmac_key_file.is_none() {
                out.push("spi.deliver.webhook needs hmac_key_file".into());
            }
        }
        match (&d.insert_database, &d.insert_statement) {
            (Some(db), Some(stmt)) => {
                if let Err(e) = crate::db::Dialect::of_url(db) {
                    out.push(format!("spi.deliver.insert_database: {e}"));
                }
                if source.is_some_and(|s| s.trim() == db.trim()) {
                    out.push(
                        "spi.deliver.insert_database must not be the read-only source_database"
                            .into(),
                    );
                }
                if let Err(e) = super::deliver::insert::Statement::parse(stmt) {
                    out.push(format!("spi.deliver.insert_statement: {e}"));
                }
            }
            (Some(_), None) => {
                out.push("spi.deliver.insert_database needs insert_statement".into())
            }
            (None, Some(_)) => {
                out.push("spi.deliver.insert_statement needs insert_database".into())
            }
            (None, None) => {}
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spi(deliver: &str) -> TenantSpiConfig {
        toml::from_str(&format!(
            "public_url = \"https://r.example.com\"\n[deliver]\n{deliver}"
        ))
        .unwrap()
    }

    #[test]
    fn receivers_are_checked_and_the_source_is_never_one() {
        let ok = spi("webhook = \"http://127.0.0.1:9/h\"\nhmac_key_file = \"k\"");
        assert!(ok.problems(None).is_empty(), "{:?}", ok.problems(None));
        let plain = spi("webhook = \"http://crm.example.com/h\"\nhmac_key_file = \"k\"");
        assert!(plain.problems(None)[0].contains("loopback"));
        let unsigned = spi("webhook = \"https://crm.example.com/h\"");
        assert!(unsigned.problems(None)[0].contains("hmac_key_file"));
        let source = "postgres://ro@db/saas";
        let insert = spi(&format!(
            "insert_database = \"{source}\"\ninsert_statement = \"INSERT INTO t VALUES (:event_id)\""
        ));
        let p = insert.problems(Some(source));
        assert!(p.iter().any(|p| p.contains("read-only source")), "{p:?}");
        assert!(spi("").problems(None)[0].contains("webhook or insert_database"));
    }
}
