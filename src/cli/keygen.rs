//! `rentsync keygen --out DIR`: throwaway RSA key pairs for the demo and tests, in every form the
//! tools want. Never use these, or the key printed in the seed guide, for a real app.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

use crate::alipay::AppPrivateKey;

#[derive(Debug, clap::Args)]
pub struct KeygenArgs {
    /// Directory to write the keys into (created if missing).
    #[arg(long)]
    pub out: PathBuf,
    /// Modulus size.
    #[arg(long, default_value_t = 2048)]
    pub bits: usize,
}

/// The files `keygen` writes.
#[derive(Debug, Clone)]
pub struct KeySet {
    pub app_private: PathBuf,
    pub app_private_pkcs8: PathBuf,
    pub app_public: PathBuf,
    pub platform_private: PathBuf,
    pub platform_public: PathBuf,
}

pub fn run(args: KeygenArgs) -> anyhow::Result<ExitCode> {
    let set = write_keys(&args.out, args.bits)?;
    for p in [
        &set.app_private,
        &set.app_private_pkcs8,
        &set.app_public,
        &set.platform_private,
        &set.platform_public,
    ] {
        println!("{}", p.display());
    }
    Ok(ExitCode::SUCCESS)
}

pub fn write_keys(dir: &Path, bits: usize) -> anyhow::Result<KeySet> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let app = AppPrivateKey::generate(bits)?;
    let platform = AppPrivateKey::generate(bits)?;
    let set = KeySet {
        app_private: dir.join("app_private_key.pem"),
        app_private_pkcs8: dir.join("app_private_key_pkcs8.pem"),
        app_public: dir.join("app_public_key.pem"),
        platform_private: dir.join("platform_private_key.pem"),
        platform_public: dir.join("platform_public_key.pem"),
    };
    write_private(&set.app_private, &app.to_pkcs1_pem()?)?;
    write_private(&set.app_private_pkcs8, &app.to_pkcs8_pem()?)?;
    std::fs::write(&set.app_public, app.public_key().to_pem()?)?;
    write_private(&set.platform_private, &platform.to_pkcs1_pem()?)?;
    std::fs::write(&set.platform_public, platform.public_key().to_pem()?)?;
    Ok(set)
}

/// Private keys are readable by their owner only.
fn write_private(path: &Path, pem: &str) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    f.write_all(pem.as_bytes())?;
    Ok(())
}
