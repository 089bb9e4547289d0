//! The two ciphers of the SPI: the platform's content encryption of `bookPhone` (spec §1.9:
//! AES-CBC, all-zero IV, PKCS#7, base64 key and ciphertext) and rentsync's own encryption of phone
//! numbers at rest (AES-256-GCM under the data key, a random nonce per value).
//!
//! The data key lives in a file readable by rentsync alone; one is made on first start when the
//! config names none, so a fresh install never stores a phone number in clear.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use aes::cipher::{block_padding::Pkcs7, BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use aes_gcm::aead::{Aead, KeyInit};
use anyhow::Context as _;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use rand::RngCore;

use crate::secret::Secret;

/// Why a value could not be decrypted; says nothing about the value.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CipherError {
    #[error("the key is not base64 of 16, 24 or 32 bytes")]
    BadKey,
    #[error("the ciphertext is not valid base64 of whole AES blocks")]
    BadCiphertext,
    #[error("the ciphertext does not decrypt under this key")]
    WrongKey,
}

/// The platform's AES key (接口内容加密密钥), from base64.
#[derive(Clone)]
pub struct ContentKey(Vec<u8>);

impl std::fmt::Debug for ContentKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ContentKey(<redacted>)")
    }
}

impl ContentKey {
    pub fn parse(b64: &str) -> Result<Self, CipherError> {
        let raw = B64.decode(b64.trim()).map_err(|_| CipherError::BadKey)?;
        match raw.len() {
            16 | 24 | 32 => Ok(Self(raw)),
            _ => Err(CipherError::BadKey),
        }
    }

    pub fn from_file(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        Self::parse(&text).with_context(|| format!("{}", path.display()))
    }

    /// `AlipayEncrypt.decryptContent(v, "AES", key, "UTF-8")`.
    pub fn decrypt(&self, b64: &str) -> Result<Secret, CipherError> {
        let data = B64
            .decode(b64.trim())
            .map_err(|_| CipherError::BadCiphertext)?;
        if data.is_empty() || data.len() % 16 != 0 {
            return Err(CipherError::BadCiphertext);
        }
        let iv = [0u8; 16];
        let plain = match self.0.len() {
            16 => cbc::Decryptor::<aes::Aes128>::new_from_slices(&self.0, &iv)
                .map_err(|_| CipherError::BadKey)?
                .decrypt_padded_vec_mut::<Pkcs7>(&data),
            24 => cbc::Decryptor::<aes::Aes192>::new_from_slices(&self.0, &iv)
                .map_err(|_| CipherError::BadKey)?
                .decrypt_padded_vec_mut::<Pkcs7>(&data),
            _ => cbc::Decryptor::<aes::Aes256>::new_from_slices(&self.0, &iv)
                .map_err(|_| CipherError::BadKey)?
                .decrypt_padded_vec_mut::<Pkcs7>(&data),
        }
        .map_err(|_| CipherError::WrongKey)?;
        String::from_utf8(plain)
            .map(Secret::new)
            .map_err(|_| CipherError::WrongKey)
    }

    /// The platform's side, for the sandbox and tests: `AlipayEncrypt.encryptContent`.
    pub fn encrypt(&self, plain: &str) -> String {
        let iv = [0u8; 16];
        let data = plain.as_bytes();
        // The key length was checked by `parse`, so the constructors cannot fail.
        let out = match self.0.len() {
            16 => cbc::Encryptor::<aes::Aes128>::new_from_slices(&self.0, &iv)
                .map(|c| c.encrypt_padded_vec_mut::<Pkcs7>(data)),
            24 => cbc::Encryptor::<aes::Aes192>::new_from_slices(&self.0, &iv)
                .map(|c| c.encrypt_padded_vec_mut::<Pkcs7>(data)),
            _ => cbc::Encryptor::<aes::Aes256>::new_from_slices(&self.0, &iv)
                .map(|c| c.encrypt_padded_vec_mut::<Pkcs7>(data)),
        }
        .unwrap_or_default();
        B64.encode(out)
    }
}

/// rentsync's key for phone numbers at rest (`[spi] data_key_file`).
#[derive(Clone)]
pub struct DataKey(aes_gcm::Aes256Gcm);

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(<redacted>)")
    }
}

/// The file name of a data key rentsync made itself.
pub const DATA_KEY_FILE: &str = "spi-data.key";

impl DataKey {
    pub fn from_bytes(raw: &[u8]) -> Result<Self, CipherError> {
        aes_gcm::Aes256Gcm::new_from_slice(raw)
            .map(Self)
            .map_err(|_| CipherError::BadKey)
    }

    /// Reads the key at `path`, or makes one there (mode 0600, never replacing a file another
    /// process made first) when `create` and it does not exist.
    pub fn load_or_create(path: &Path, create: bool) -> anyhow::Result<Self> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::parse_file(&text, path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {
                let mut raw = [0u8; 32];
                rand::rngs::OsRng.fill_bytes(&mut raw);
                use std::os::unix::fs::OpenOptionsExt;
                let made = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(path);
                match made {
                    Ok(mut f) => {
                        f.write_all(B64.encode(raw).as_bytes())?;
                        f.sync_all()?;
                        tracing::info!(file = %path.display(), "made the SPI data key");
                        Self::from_bytes(&raw).map_err(Into::into)
                    }
                    // Another replica or start made it a moment ago: use theirs.
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                        Self::load_or_create(path, false)
                    }
                    Err(e) => Err(e).with_context(|| format!("cannot create {}", path.display())),
                }
            }
            Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
        }
    }

    fn parse_file(text: &str, path: &Path) -> anyhow::Result<Self> {
        let raw = B64
            .decode(text.trim())
            .map_err(|_| anyhow::anyhow!("{}: not base64", path.display()))?;
        if raw.len() != 32 {
            anyhow::bail!("{}: the data key must be 32 bytes", path.display());
        }
        Self::from_bytes(&raw).map_err(Into::into)
    }

    /// base64(nonce ‖ ciphertext ‖ tag).
    pub fn seal(&self, plain: &str) -> String {
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let sealed = self
            .0
            .encrypt(aes_gcm::Nonce::from_slice(&nonce), plain.as_bytes())
            // Encryption fails only past 64 GiB of plaintext.
            .unwrap_or_default();
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        B64.encode(out)
    }

    pub fn open(&self, sealed: &str) -> Result<Secret, CipherError> {
        let raw = B64
            .decode(sealed.trim())
            .map_err(|_| CipherError::BadCiphertext)?;
        if raw.len() < 12 + 16 {
            return Err(CipherError::BadCiphertext);
        }
        let (nonce, body) = raw.split_at(12);
        let plain = self
            .0
            .decrypt(aes_gcm::Nonce::from_slice(nonce), body)
            .map_err(|_| CipherError::WrongKey)?;
        String::from_utf8(plain)
            .map(Secret::new)
            .map_err(|_| CipherError::WrongKey)
    }
}

/// Where the data key is: the configured file, or `spi-data.key` in the state directory (the
/// SQLite state database's folder, else `$STATE_DIRECTORY` under systemd, else the working
/// directory). The second element says whether rentsync may create it.
pub fn data_key_path(cfg: &crate::config::Config) -> (PathBuf, bool) {
    if let Some(p) = &cfg.spi.data_key_file {
        return (p.clone(), false);
    }
    let dir = crate::db::sqlite_path(&cfg.state_database)
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .filter(|p| !p.as_os_str().is_empty())
        .or_else(|| {
            std::env::var_os("STATE_DIRECTORY")
                .map(|s| PathBuf::from(s.to_string_lossy().split(':').next().unwrap_or(".")))
        })
        .unwrap_or_else(|| PathBuf::from("."));
    (dir.join(DATA_KEY_FILE), true)
}

/// The data key of `cfg`, made on first use when not configured.
pub fn data_key(cfg: &crate::config::Config) -> anyhow::Result<DataKey> {
    let (path, create) = data_key_path(cfg);
    DataKey::load_or_create(&path, create).context("spi data key")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn book_phone_decrypts_as_the_sdk_encrypts_it() {
        // 16-byte key, as the platform issues (base64 of 16 bytes).
        let key = ContentKey::parse(&B64.encode(*b"0123456789abcdef")).unwrap();
        let c = key.encrypt("13800138000");
        // AES-CBC/PKCS#7 of 11 bytes is one block.
        assert_eq!(B64.decode(&c).unwrap().len(), 16);
        assert_eq!(key.decrypt(&c).unwrap().expose(), "13800138000");
        let other = ContentKey::parse(&B64.encode(*b"fedcba9876543210")).unwrap();
        assert!(other.decrypt(&c).is_err());
        assert_eq!(key.decrypt("not base64!"), Err(CipherError::BadCiphertext));
        assert_eq!(key.decrypt("AAAA"), Err(CipherError::BadCiphertext));
        assert!(ContentKey::parse("c2hvcnQ=").is_err());
    }

    /// Known answers from the SDK's algorithm (`EncryptUtils.aes_encrypt_content`: zero IV,
    /// PKCS#7) run with pycryptodome, for a 128- and a 256-bit key.
    #[test]
    fn book_phone_matches_the_sdk_known_answers() {
        for (key, cipher, plain) in [
            (
                "MDEyMzQ1Njc4OWFiY2RlZg==",
                "8fIrGTYAQzFR+tN2Wt0yDQ==",
                "13800138000",
            ),
            (
                "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
                "vhotYmm0aK5xVsTBhVKXYA==",
                "13912345678",
            ),
        ] {
            let key = ContentKey::parse(key).unwrap();
            assert_eq!(key.decrypt(cipher).unwrap().expose(), plain);
            assert_eq!(key.encrypt(plain), cipher);
        }
    }

    #[test]
    fn a_data_key_is_made_0600_once_and_seals_values_it_alone_opens() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(DATA_KEY_FILE);
        assert!(DataKey::load_or_create(&path, false).is_err());
        let key = DataKey::load_or_create(&path, true).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let sealed = key.seal("13800138000");
        assert!(!sealed.contains("13800138000"));
        assert_ne!(sealed, key.seal("13800138000"), "a fresh nonce each time");
        let again = DataKey::load_or_create(&path, true).unwrap();
        assert_eq!(again.open(&sealed).unwrap().expose(), "13800138000");
        let other = DataKey::from_bytes(&[7u8; 32]).unwrap();
        assert_eq!(other.open(&sealed), Err(CipherError::WrongKey));
    }
}
