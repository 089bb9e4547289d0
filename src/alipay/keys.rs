//! RSA keys as the Alipay console hands them out.
//!
//! The app private key arrives as PKCS#1 ("non-Java") or PKCS#8 ("Java"), either PEM-armoured or as
//! the bare base64 body the console shows; the platform public key arrives as an X.509
//! SubjectPublicKeyInfo body (spec §1.6). We accept every combination, because operators paste
//! whatever their console gave them. Errors name the file and the problem, never the key bytes.

use std::fmt;
use std::path::Path;

use base64::Engine;
use rsa::pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey, EncodeRsaPrivateKey};
use rsa::pkcs8::{
    DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey, LineEnding,
};
use rsa::traits::PublicKeyParts;
use rsa::{RsaPrivateKey, RsaPublicKey};

/// Smallest modulus we accept. 1024-bit keys are what the oldest consoles issued (.NET SDK still
/// accepts them); anything smaller is certainly a mistake.
const MIN_KEY_BITS: usize = 1024;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    // `cause`, not `source`: as a source it would be printed a second time by `{:#}`.
    #[error("cannot read key file {path}: {cause}")]
    Io { path: String, cause: std::io::Error },
    #[error("{origin}: {reason}")]
    Malformed {
        origin: String,
        reason: &'static str,
    },
}

/// The app's private key (应用私钥). Debug never prints key material.
#[derive(Clone)]
pub struct AppPrivateKey(RsaPrivateKey);

/// The platform's public key (支付宝公钥), or, inside the sandbox, the app's public key.
#[derive(Clone, PartialEq)]
pub struct PublicKey(RsaPublicKey);

impl fmt::Debug for AppPrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AppPrivateKey(<{} bits, redacted>)", self.0.size() * 8)
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({} bits)", self.0.size() * 8)
    }
}

impl AppPrivateKey {
    pub fn from_file(path: &Path) -> Result<Self, KeyError> {
        Self::parse(&read(path)?, &path.display().to_string())
    }

    /// Parses PEM (either label) or bare base64 of PKCS#8 or PKCS#1 DER. `origin` names the source
    /// in errors (a file path, "--private-key", a config key).
    pub fn parse(text: &str, origin: &str) -> Result<Self, KeyError> {
        let bad = |reason| KeyError::Malformed {
            origin: origin.to_string(),
            reason,
        };
        let label = pem_label(text);
        if label.is_some_and(|l| l.contains("PUBLIC")) {
            return Err(bad(
                "this is a public key; the app private key is needed here",
            ));
        }
        if label.is_some_and(|l| l.contains("EC ") || l.contains("ENCRYPTED")) {
            return Err(bad(
                "not an unencrypted RSA private key (PKCS#1 or PKCS#8 expected)",
            ));
        }
        let der = decode_body(text).ok_or_else(|| bad("not PEM or base64 text"))?;
        let key = RsaPrivateKey::from_pkcs8_der(&der)
            .or_else(|_| RsaPrivateKey::from_pkcs1_der(&der))
            .map_err(|_| {
                if RsaPublicKey::from_public_key_der(&der).is_ok()
                    || RsaPublicKey::from_pkcs1_der(&der).is_ok()
                {
                    bad("this is a public key; the app private key is needed here")
                } else {
                    bad("not an RSA private key in PKCS#1 or PKCS#8 form")
                }
            })?;
        if key.size() * 8 < MIN_KEY_BITS {
            return Err(bad("RSA key shorter than 1024 bits"));
        }
        Ok(Self(key))
    }

    pub fn generate(bits: usize) -> Result<Self, rsa::Error> {
        RsaPrivateKey::new(&mut rand::thread_rng(), bits).map(Self)
    }

    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.0.to_public_key())
    }

    pub(crate) fn rsa(&self) -> &RsaPrivateKey {
        &self.0
    }

    /// PKCS#1 PEM, the form the Python and .NET SDKs take. Only `keygen` writes it out.
    pub fn to_pkcs1_pem(&self) -> anyhow::Result<String> {
        Ok(self.0.to_pkcs1_pem(LineEnding::LF)?.to_string())
    }

    /// PKCS#8 PEM, the form the Java SDK takes.
    pub fn to_pkcs8_pem(&self) -> anyhow::Result<String> {
        Ok(self.0.to_pkcs8_pem(LineEnding::LF)?.to_string())
    }
}

impl PublicKey {
    pub fn from_file(path: &Path) -> Result<Self, KeyError> {
        Self::parse(&read(path)?, &path.display().to_string())
    }

    /// Parses SubjectPublicKeyInfo (what the console shows) or PKCS#1 RSAPublicKey, PEM or bare base64.
    pub fn parse(text: &str, origin: &str) -> Result<Self, KeyError> {
        let bad = |reason| KeyError::Malformed {
            origin: origin.to_string(),
            reason,
        };
        if pem_label(text).is_some_and(|l| l.contains("PRIVATE")) {
            return Err(bad("this is a private key; a public key is expected here"));
        }
        let der = decode_body(text).ok_or_else(|| bad("not PEM or base64 text"))?;
        let key = RsaPublicKey::from_public_key_der(&der)
            .or_else(|_| RsaPublicKey::from_pkcs1_der(&der))
            .map_err(|_| bad("not an RSA public key (X.509 SubjectPublicKeyInfo expected)"))?;
        if key.size() * 8 < MIN_KEY_BITS {
            return Err(bad("RSA key shorter than 1024 bits"));
        }
        Ok(Self(key))
    }

    pub(crate) fn rsa(&self) -> &RsaPublicKey {
        &self.0
    }

    /// SubjectPublicKeyInfo PEM, the form to paste into the Alipay console or hand to the sandbox.
    pub fn to_pem(&self) -> anyhow::Result<String> {
        Ok(self.0.to_public_key_pem(LineEnding::LF)?)
    }
}

fn read(path: &Path) -> Result<String, KeyError> {
    std::fs::read_to_string(path).map_err(|cause| KeyError::Io {
        path: path.display().to_string(),
        cause,
    })
}

/// The label of the first `-----BEGIN X-----` line, if the text is armoured.
fn pem_label(text: &str) -> Option<&str> {
    let start = text.find("-----BEGIN ")? + "-----BEGIN ".len();
    let end = text[start..].find("-----")?;
    Some(&text[start..start + end])
}

/// Strips PEM armour and all whitespace, then decodes the standard base64 alphabet.
fn decode_body(text: &str) -> Option<Vec<u8>> {
    let body: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("-----"))
        .flat_map(|l| l.chars())
        .filter(|c| !c.is_whitespace())
        .collect();
    if body.is_empty() {
        return None;
    }
    base64::engine::general_purpose::STANDARD.decode(body).ok()
}
