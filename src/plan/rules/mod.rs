//! The platform's rules, written once and used twice: the planner checks every payload before it is
//! queued (a break becomes an `invalid` item, never a call), and the sandbox answers the same breaks
//! with the platform's codes. If the two ever disagreed, the demo would pass and production fail.
//!
//! Rules read the `biz_content` as JSON, not as our typed structs, so a wrong type (a number where
//! the SDK declares a string) is caught here as it would be by the gateway.

mod check;
mod community;
mod image;
mod lease;
mod operator;
mod room;
mod titles;

use chrono::NaiveDate;
use serde_json::Value;

pub use check::{parse_decimal, Violation};
pub use image::{image_kind, MAX_IMAGE_BYTES};
pub use room::{CHECKIN_MAX_DAYS, MAX_IMAGES, MAX_INTRO_CHARS};
pub use titles::{title, titled};

use check::Fields;

/// What a rule needs to know beyond the payload itself.
#[derive(Debug, Clone)]
pub struct Context {
    /// Today in China (UTC+8): `checkin_time` must lie after it.
    pub today: NaiveDate,
    /// True when the room code is new to the platform: 集中式 then needs `nickname` and `max_amount`.
    pub adding: bool,
    /// Decoded-size limit of `common.image.upload`.
    pub max_image_bytes: usize,
}

impl Context {
    pub fn now(adding: bool) -> Self {
        let today = chrono::Utc::now()
            .with_timezone(&crate::alipay::client::china())
            .date_naive();
        Self {
            today,
            adding,
            max_image_bytes: MAX_IMAGE_BYTES,
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RulesError {
    #[error("unknown method {0}")]
    UnknownMethod(String),
    #[error("biz_content must be a JSON object")]
    NotAnObject,
}

/// Every rule `biz_content` breaks for `method`; empty when the platform would accept it.
pub fn check(method: &str, biz: &Value, ctx: &Context) -> Result<Vec<Violation>, RulesError> {
    let obj = biz.as_object().ok_or(RulesError::NotAnObject)?;
    let mut f = Fields::new(obj);
    let short = method
        .strip_prefix("alipay.eco.renthouse.")
        .ok_or_else(|| RulesError::UnknownMethod(method.into()))?;
    match short {
        "ka.baseinfo.sync" => operator::info_sync(&mut f),
        "ka.baseinfo.query" => operator::info_query(&mut f),
        "ka.service.create" => operator::service_create(&mut f),
        "community.info.sync" => community::info(&mut f),
        "community.baseinfo.sync" => community::baseinfo(&mut f),
        "common.image.upload" => image::upload(&mut f, ctx.max_image_bytes),
        "room.dispersion.sync" => room::dispersion(&mut f, ctx),
        "room.concentration.sync" => room::concentration(&mut f, ctx),
        "room.state.sync" => room::state(&mut f),
        "reservation.feedback.sync" => lease::reservation_feedback(&mut f),
        "lease.order.sync" => lease::lease_order(&mut f),
        "lease.state.sync" => lease::lease_state(&mut f),
        "bill.order.sync" => lease::bill_order(&mut f),
        "bill.order.download" => lease::bill_download(&mut f),
        "renter.idinfo.query" | "renter.zhima.query" => lease::renter_query(&mut f),
        "publicrent.applyschedule.sync" => lease::applyschedule(&mut f),
        _ => return Err(RulesError::UnknownMethod(method.into())),
    }
    Ok(f.out)
}

#[cfg(test)]
mod tests;
