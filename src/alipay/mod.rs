//! The Alipay OpenAPI gateway (`gateway.do`): keys, signing, response checks, typed errors, and the
//! typed `alipay.eco.renthouse.*` methods. Spec: `../shared/spec/alipay-openapi-renthouse.md` §1–2.

pub mod client;
pub mod error;
pub mod housing;
pub mod keys;
pub mod renthouse;
pub mod response;
pub mod sign;

pub use client::{AlipayClient, ApiRequest, ClientConfig};
pub use error::{AlipayError, ErrorClass};
pub use keys::{AppPrivateKey, KeyError, PublicKey};
pub use sign::SignType;
