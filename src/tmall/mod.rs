//! Tmall Haofang (天猫好房) over the Taobao Open Platform gateway (TOP, `/router/rest`): signing,
//! the error layers and ban handling, and the two trade APIs of the seeds: the lease-order query
//! (`lease`) and the fund-escrow invitation (`escrow`). Spec: `../shared/spec/tmall-top.md`.
//!
//! Same inner shape as `alipay/`: `sign`, `client`, `error`, then one file per API family.
//! Unlike Alipay, TOP answers are not signed, and a TOP secret is symmetric: the secret signs
//! requests only and must never leave the process (see `config`).

pub mod bans;
pub mod client;
pub mod config;
pub mod error;
pub mod escrow;
pub mod gate;
pub mod history;
pub mod lease;
pub mod listed;
pub mod poller;
pub mod sandbox;
pub mod sign;
pub mod wire;

pub use client::{TopClient, TopConfig, TopRequest};
pub use config::TmallConfig;
pub use error::{ErrorClass, TopError};
pub use sign::SignMethod;
