//! The configuration file (TOML): one or more tenants, each an operator's app on a platform
//! gateway. Unknown keys are refused (a typo must not silently fall back to a default), every
//! problem is reported at once, and secrets are read from files, never written inline.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use serde::Deserialize;

use crate::alipay::{AppPrivateKey, ClientConfig, PublicKey, SignType};
use crate::secret::Secret;
use crate::worker::{FeedSettings, RateConfig, WorkerSettings};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// rentsync's own tables: SQLite for one replica, PostgreSQL or MySQL for several.
    #[serde(default = "default_state_database")]
    pub state_database: String,
    #[serde(default)]
    pub source: SourceSettings,
    #[serde(default)]
    pub worker: WorkerConfig,
    #[serde(default)]
    pub ops: OpsConfig,
    /// The platform's callbacks (`rentsync run`'s SPI endpoint); off unless `listen` is set.
    #[serde(default)]
    pub spi: crate::spi::SpiConfig,
    #[serde(rename = "tenant", default)]
    pub tenants: Vec<TenantConfig>,
}

fn default_state_database() -> String {
    "sqlite://rentsync-state.db".into()
}

/// The service endpoints (`/metrics`, `/healthz`, `/readyz`) of `rentsync run`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OpsConfig {
    /// Loopback by default; `listen = ""` turns the endpoints off. Changing it needs a restart.
    pub listen: String,
}

impl Default for OpsConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:9187".into(),
        }
    }
}

impl OpsConfig {
    pub fn addr(&self) -> anyhow::Result<Option<std::net::SocketAddr>> {
        if self.listen.is_empty() {
            return Ok(None);
        }
        Ok(Some(self.listen.parse().with_context(|| {
            format!("ops.listen {:?} is not an address:port", self.listen)
        })?))
    }
}

/// How the change feed reads the source views.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SourceSettings {
    pub poll_secs: f64,
    pub overlap_secs: u64,
    pub full_scan_secs: u64,
    /// How often room codes alone are read to find hard deletes.
    pub key_scan_secs: f64,
    pub batch: i64,
    /// A scan that would take more than this share of the live rooms off shelf is held until
    /// `rentsync delist --confirm` (or the rows come back).
    pub max_delist_share: f64,
    /// Scans that take fewer rooms than this off shelf are never held.
    pub delist_guard_min: u64,
}

impl Default for SourceSettings {
    fn default() -> Self {
        Self {
            poll_secs: 2.0,
            overlap_secs: 10,
            full_scan_secs: 3600,
            key_scan_secs: 30.0,
            batch: 1000,
            max_delist_share: 0.2,
            delist_guard_min: 10,
        }
    }
}

impl SourceSettings {
    pub fn feed(&self) -> FeedSettings {
        FeedSettings {
            poll: Duration::from_secs_f64(self.poll_secs.max(0.05)),
            overlap: Duration::from_secs(self.overlap_secs),
            full_scan: Duration::from_secs(self.full_scan_secs.max(1)),
            key_scan: Duration::from_secs_f64(self.key_scan_secs.max(0.05)),
            batch: self.batch.max(1),
            max_delist_share: self.max_delist_share.clamp(0.0, 1.0),
            delist_guard_min: self.delist_guard_min,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WorkerConfig {
    pub concurrency: usize,
    pub lease_secs: u64,
    pub max_backoff_secs: u64,
    /// How long the call log keeps rows.
    pub call_log_days: u64,
    /// Photo jobs at once (0: one per core).
    pub photo_jobs: usize,
    /// Decoded photo memory all running photo jobs may hold together, in MiB.
    pub photo_memory_mb: u64,
    /// Longest a photo may take, from the start of its job.
    pub photo_timeout_secs: u64,
    /// Tasks (deliveries, lease and bill syncs, feedback) worked at once per tenant.
    pub task_concurrency: usize,
    /// Attempts before a task that keeps failing transiently is given up and shown as failed.
    pub task_max_attempts: i64,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            concurrency: 32,
            lease_secs: 120,
            max_backoff_secs: 300,
            call_log_days: 14,
            photo_jobs: 0,
            photo_memory_mb: crate::photo::DEFAULT_MEMORY_MB,
            photo_timeout_secs: 60,
            task_concurrency: 4,
            task_max_attempts: 20,
        }
    }
}

impl WorkerConfig {
    pub fn photo_pool(&self) -> crate::photo::PoolConfig {
        let default = crate::photo::PoolConfig::default();
        crate::photo::PoolConfig {
            jobs: if self.photo_jobs == 0 {
                default.jobs
            } else {
                self.photo_jobs
            },
            memory_bytes: self.photo_memory_mb.max(64) << 20,
            timeout: Duration::from_secs(self.photo_timeout_secs.max(1)),
        }
    }

    pub fn task_settings(&self) -> crate::worker::TaskSettings {
        crate::worker::TaskSettings {
            concurrency: self.task_concurrency.max(1),
            lease: Duration::from_secs(self.lease_secs.max(5)),
            max_attempts: self.task_max_attempts.max(1),
            max_backoff: Duration::from_secs(self.max_backoff_secs.max(1)),
        }
    }

    pub fn settings(&self) -> WorkerSettings {
        WorkerSettings {
            concurrency: self.concurrency.max(1),
            lease: Duration::from_secs(self.lease_secs.max(5)),
        }
    }
}

/// Which platform API family serves a tenant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    /// `alipay.eco.renthouse.*`, the seed guide's methods.
    #[default]
    Renthouse,
    /// `alipay.commerce.housing.*`, the successor family.
    Housing,
}

impl Family {
    /// As written in the config, and as `Platform::family` names it.
    pub fn name(self) -> &'static str {
        match self {
            Family::Renthouse => "renthouse",
            Family::Housing => "housing",
        }
    }
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
    /// The operator's database with the contract views (`docs/SOURCE_CONTRACT.md`).
    pub source_database: Option<String>,
    #[serde(default)]
    pub family: Family,
    /// The housing family's unpublished values (`[tenant.housing]`); unused by `renthouse`.
    #[serde(default)]
    pub housing: crate::platform::HousingSettings,
    /// Per-method call rates this tenant may use on the platform.
    #[serde(default)]
    pub rates: RateConfig,
    /// Relative photo paths in the views are relative to this directory, and local photos (paths
    /// and `file://` URLs) are read only from inside it. Without it, local photos are refused.
    pub photo_dir: Option<PathBuf>,
    /// Networks photo URLs may reach besides public addresses (CIDR, e.g. `"10.0.0.0/8"`,
    /// `"127.0.0.1/32"`). Empty: loopback, private, link-local and metadata addresses are refused.
    #[serde(default)]
    pub photo_hosts_allow: Vec<String>,
    /// Photos are re-encoded to JPEGs of at most this many bytes (700,000: the stricter reading
    /// of the platform's "700 KB"; the base64 text sent is 4/3 of it).
    #[serde(default = "default_max_photo_bytes")]
    pub max_photo_bytes: usize,
    /// Longest edge of uploaded photos, in pixels (never upscaled).
    #[serde(default = "default_long_edge")]
    pub photo_long_edge: u32,
    /// A room that breaks a rule while live: `keep` it at its older values (shown as "live with
    /// older values") or take it `off_shelf` until the source is fixed.
    #[serde(default)]
    pub invalid_listings: crate::plan::InvalidListings,
    /// The operator's Tmall Haofang app on the TOP gateway (lease queries, escrow invitations).
    pub tmall: Option<crate::tmall::TmallConfig>,
    /// The operator (KA) account on the platform (`rentsync ka sync`).
    pub ka: Option<crate::spi::KaConfig>,
    /// This tenant's SPI callbacks: public URL, AES key, delivery to the operator.
    pub spi: Option<crate::spi::TenantSpiConfig>,
    /// Leases, bills and booking feedback read from the trade views (docs/TRADE.md).
    pub trade: Option<crate::trade::TradeConfig>,
}

fn default_long_edge() -> u32 {
    2560
}

fn default_max_photo_bytes() -> usize {
    crate::plan::rules::MAX_IMAGE_BYTES
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
        Self::parse(&text, path.parent().unwrap_or(Path::new(".")))
            .with_context(|| format!("config {}", path.display()))
    }

    /// Parses TOML text; relative paths are taken relative to `base`.
    pub fn parse(text: &str, base: &Path) -> anyhow::Result<Self> {
        let mut cfg: Config = toml::from_str(text)?;
        if let Some(p) = cfg.spi.data_key_file.as_mut().filter(|p| p.is_relative()) {
            *p = base.join(&*p);
        }
        for t in &mut cfg.tenants {
            for p in [
                Some(&mut t.private_key_file),
                Some(&mut t.platform_public_key_file),
                t.app_auth_token_file.as_mut(),
                t.photo_dir.as_mut(),
            ]
            .into_iter()
            .flatten()
            {
                if p.is_relative() {
                    *p = base.join(&*p);
                }
            }
            if let Some(tmall) = t.tmall.as_mut() {
                tmall.resolve_paths(base);
            }
            if let Some(spi) = t.spi.as_mut() {
                spi.resolve_paths(base);
            }
        }
        cfg.validate()?;
        Ok(cfg)
    }

    /// Every problem at once, one line each.
    fn validate(&self) -> anyhow::Result<()> {
        let mut problems = Vec::new();
        if let Err(e) = self.ops.addr() {
            problems.push(format!("{e:#}"));
        }
        problems.extend(self.spi.problems());
        if let Err(e) = crate::db::Dialect::of_url(&self.state_database) {
            problems.push(format!("state_database: {e}"));
        }
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
            if let Some(tmall) = &t.tmall {
                for p in tmall.problems() {
                    problems.push(format!("tenant {:?}: {p}", t.name));
                }
            }
            if let Some(spi) = &t.spi {
                for p in spi.problems(t.source_database.as_deref()) {
                    problems.push(format!("tenant {:?}: {p}", t.name));
                }
            }
            if let Some(trade) = &t.trade {
                for p in trade.problems(t.source_database.as_deref()) {
                    problems.push(format!("tenant {:?}: {p}", t.name));
                }
            }
            if let Some(url) = &t.source_database {
                if let Err(e) = crate::db::Dialect::of_url(url) {
                    problems.push(format!("tenant {:?}: source_database: {e}", t.name));
                }
            }
            if let Err(e) = crate::photo::AddressPolicy::parse(&t.photo_hosts_allow) {
                problems.push(format!("tenant {:?}: photo_hosts_allow: {e}", t.name));
            }
            if t.rates.qps <= 0.0 || !t.rates.qps.is_finite() {
                problems.push(format!("tenant {:?}: rates.qps must be above 0", t.name));
            }
            if t.rates
                .method_qps
                .values()
                .any(|q| *q <= 0.0 || !q.is_finite())
            {
                problems.push(format!(
                    "tenant {:?}: rates.method_qps values must be above 0",
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
            Some(n) => {
                self.check_tenant(n)?;
                self.tenants
                    .iter()
                    .find(|t| t.name == n)
                    .with_context(|| format!("no tenant named {n:?} in the config"))
            }
            None if self.tenants.len() == 1 => Ok(&self.tenants[0]),
            None => anyhow::bail!("the config has several tenants: choose one with --tenant"),
        }
    }
}

impl Config {
    /// An error naming the configured tenants when `name` is not one of them: a typo in
    /// `--tenant` must not quietly do nothing.
    pub fn check_tenant(&self, name: &str) -> anyhow::Result<()> {
        if self.tenants.iter().any(|t| t.name == name) {
            return Ok(());
        }
        let known: Vec<String> = self
            .tenants
            .iter()
            .map(|t| format!("{:?}", t.name))
            .collect();
        anyhow::bail!(
            "no tenant named {name:?} in the config; configured: {}",
            known.join(", ")
        )
    }

    /// Keeps only the tenant `--tenant` names (all when `None`).
    pub fn only_tenant(&mut self, name: Option<&str>) -> anyhow::Result<()> {
        if let Some(n) = name {
            self.check_tenant(n)?;
            self.tenants.retain(|t| t.name == n);
        }
        Ok(())
    }
}

impl TenantConfig {
    /// Where this tenant's photos may come from (`photo_dir`, `photo_hosts_allow`).
    pub fn photo_source(&self) -> anyhow::Result<crate::photo::PhotoSource> {
        let allow = crate::photo::AddressPolicy::parse(&self.photo_hosts_allow)
            .map_err(|e| anyhow::anyhow!("tenant {:?}: photo_hosts_allow: {e}", self.name))?;
        Ok(crate::photo::PhotoSource::for_tenant(
            self.photo_dir.clone(),
            allow,
        ))
    }

    /// Secret files (private key, token) that group or others may read: one warning each,
    /// naming the file, its mode and the fix.
    pub fn loose_secret_files(&self) -> Vec<String> {
        use std::os::unix::fs::PermissionsExt;
        let tmall = self.tmall.as_ref();
        let files = [
            ("private_key_file", Some(&self.private_key_file)),
            ("app_auth_token_file", self.app_auth_token_file.as_ref()),
            ("tmall.app_secret_file", tmall.map(|t| &t.app_secret_file)),
            (
                "spi.aes_key_file",
                self.spi.as_ref().and_then(|s| s.aes_key_file.as_ref()),
            ),
            (
                "spi.deliver.hmac_key_file",
                self.spi
                    .as_ref()
                    .and_then(|s| s.deliver.as_ref())
                    .and_then(|d| d.hmac_key_file.as_ref()),
            ),
            (
                "tmall.session_file",
                tmall.and_then(|t| t.session_file.as_ref()),
            ),
        ];
        files
            .into_iter()
            .filter_map(|(key, path)| {
                let path = path?;
                let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
                (mode & 0o077 != 0).then(|| {
                    format!(
                        "tenant {:?}: {key} {} is readable by group or others (mode {mode:o}); \
                         run chmod 600 on it",
                        self.name,
                        path.display()
                    )
                })
            })
            .collect()
    }

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_config_parses() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
        let mut n = 0;
        for entry in std::fs::read_dir(&dir).expect("config/") {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|e| e == "toml") {
                let text = std::fs::read_to_string(&path).expect("read");
                Config::parse(&text, &dir).unwrap_or_else(|e| panic!("{}: {e:#}", path.display()));
                n += 1;
            }
        }
        assert!(n > 0);
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let text = r#"
state_database = "oracle://x"
[ops]
listen = "nowhere"
[[tenant]]
name = "a"
gateway = "ftp://x"
app_id = ""
private_key_file = "k"
platform_public_key_file = "p"
source_database = "db2://x"
family = "housing"
photo_hosts_allow = ["10.0.0.0/8", "intranet"]
[tenant.rates]
qps = 0
"#;
        let err = format!("{:#}", Config::parse(text, Path::new(".")).unwrap_err());
        for needle in [
            "ops.listen",
            "state_database",
            "gateway must be",
            "app_id must be",
            "source_database",
            "rates.qps",
            "photo_hosts_allow",
        ] {
            assert!(err.contains(needle), "{needle} missing from: {err}");
        }
    }

    #[test]
    fn unknown_keys_are_refused_by_name() {
        let err = Config::parse("[[tenant]]\nname = \"a\"\ngatway = \"x\"\n", Path::new("."))
            .unwrap_err();
        assert!(format!("{err:#}").contains("gatway"));
    }
}
