//! The platform's callbacks (SPI, spec §3): an HTTP endpoint of `rentsync run` that receives them
//! (`server`), believes only what the platform signed (`verify`), opens the encrypted phone
//! number (`aes`), stores each event once (`store`, keyed by `callback`'s dedupe key) and hands it
//! to the operator through outbox tasks (`deliver`: a webhook or an INSERT). Community status
//! callbacks also update the community cache (`community`).
//!
//! The one rule a reader could get wrong: a callback is stored and its deliveries queued before
//! it is answered `{"code":1}`, and a repeat is answered `{"code":1}` without being stored or
//! delivered again, since the platform repeats a callback whose answer it lost.

pub mod aes;
pub mod callback;
pub mod community;
pub mod config;
pub mod deliver;
pub mod server;
pub mod store;
pub mod verify;

pub use callback::CallbackType;
pub use config::{DeliverConfig, KaConfig, SpiConfig, TenantSpiConfig};
pub use server::SpiState;
