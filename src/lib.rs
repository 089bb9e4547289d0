//! rentsync publishes apartment operators' listings to the Alipay rental platform (支付宝租房平台).
//!
//! The folders follow the data flow (see README.md, "Layout"): `model` holds the canonical
//! types and imports nothing of ours; `plan` holds the platform's rules; `alipay` is the gateway
//! client and its typed renthouse API; `platform` is the trait the engine calls, so each tenant can
//! be served by either API family; `sandbox` is our local gateway for demo and tests; `cli` is on top.

pub mod alipay;
pub mod cli;
pub mod config;
pub mod db;
pub mod fixtures;
pub mod model;
pub mod ops;
pub mod outbox;
pub mod photo;
pub mod plan;
pub mod platform;
pub mod report;
pub mod sandbox;
pub mod secret;
pub mod source;
pub mod spi;
pub mod tmall;
pub mod trade;
pub mod worker;
