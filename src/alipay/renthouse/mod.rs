//! Wire models of the `alipay.eco.renthouse.*` family (支付宝租房平台): one request struct per
//! OpenAPI method, serialised as that call's `biz_content`, and the business fields of its answer.
//!
//! Field names are the wire names (snake_case, exactly as the SDK's `@ApiField` names them), so
//! the structs need no `rename` except where a wire name is a Rust keyword (`type`). That keeps
//! the mapping to the spec (`alipay-openapi-renthouse.md` §2) and to the SDK models one-to-one
//! and reviewable by eye. Almost every field is an `Option`, and `None` is left out of the JSON,
//! because the SDKs say nothing about which fields are required: required-ness, ranges and
//! formats (rent 100–35000 yuan, 0–10 images, A–Z bedroom names, ...) are checked in
//! `crate::plan::rules`, not here. Only each call's key (e.g. `room_code`, `lease_code`) and the
//! few fields without which a call means nothing are plain types.
//! Money and areas are decimal strings in yuan and m² (2 decimals); dates are `YYYY-MM-DD`,
//! timestamps `yyyy-MM-dd HH:mm:ss`; enumerations are JSON numbers wherever the SDK says `Long`.
//! The gateway's `code`/`msg`/`sub_code` are handled by `crate::alipay::response`; the response
//! structs here hold only business fields and ignore unknown ones.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::Serializer;

pub mod bill;
pub mod community;
pub mod image;
pub mod ka;
pub mod lease;
pub mod renter;
pub mod room;

pub use bill::{Bill, BillOrderDownload, BillOrderSync, BillOrderSyncResponse};
pub use community::{CommunityBaseinfoSync, CommunityInfoSync, CommunityInfoSyncResponse};
pub use image::{ImageUpload, ImageUploadResponse};
pub use ka::{KaInfoQuery, KaInfoQueryResponse, KaInfoSync, KaInfoSyncResponse, KaServiceCreate};
pub use lease::{BookInfo, LeaseOrderSync, LeaseStateSync, ReservationFeedbackSync};
pub use renter::{ApplySchedule, PublicrentApplyscheduleSync, RenterIdinfoQuery, RenterZhimaQuery};
pub use room::{
    ConcentrationPayType, ConcentrationRoomInfo, ConcentrationRoomSync, DispersionPayType,
    DispersionRoomSync, OtherAmount, RoomStateSync,
};

/// Every method of the family, in the order of spec §2.0. Six of them (community.info.sync,
/// common.image.upload, the three room syncs and ka.baseinfo.query) are gone from current SDKs
/// and may be refused by the gateway (spec §0).
pub const METHODS: [&str; 17] = [
    "alipay.eco.renthouse.ka.baseinfo.sync",
    "alipay.eco.renthouse.ka.baseinfo.query",
    "alipay.eco.renthouse.ka.service.create",
    "alipay.eco.renthouse.community.info.sync",
    "alipay.eco.renthouse.community.baseinfo.sync",
    "alipay.eco.renthouse.common.image.upload",
    "alipay.eco.renthouse.room.dispersion.sync",
    "alipay.eco.renthouse.room.concentration.sync",
    "alipay.eco.renthouse.room.state.sync",
    "alipay.eco.renthouse.reservation.feedback.sync",
    "alipay.eco.renthouse.lease.order.sync",
    "alipay.eco.renthouse.lease.state.sync",
    "alipay.eco.renthouse.bill.order.sync",
    "alipay.eco.renthouse.bill.order.download",
    "alipay.eco.renthouse.renter.idinfo.query",
    "alipay.eco.renthouse.renter.zhima.query",
    "alipay.eco.renthouse.publicrent.applyschedule.sync",
];

/// Response of the methods whose answer has no business fields (success is `code=10000` alone).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct Empty {}

/// 状态值 status value, the only business field of bill.order.download, renter.idinfo.query
/// (已授权 authorised / 未授权 not authorised / 未知 unknown) and renter.zhima.query
/// (等级值 credit level / 未授权 not authorised / 未知 unknown). Free text; not enumerated by the SDK.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct StatusValueResponse {
    /// 状态值 status value.
    pub status_value: Option<String>,
}

/// Reads an optional `Long` that the platform may send as a JSON number, a numeric string
/// (observed: community.info.sync `"status":"1"`), an empty string or `null`.
/// Use with `#[serde(deserialize_with = "super::opt_i64_lenient", default)]`.
pub(crate) fn opt_i64_lenient<'de, D>(deserializer: D) -> Result<Option<i64>, D::Error>
where
    D: Deserializer<'de>,
{
    deserializer.deserialize_any(LenientI64)
}

/// Reads a required `Long` leniently (number or numeric string); `null` or `""` is an error.
pub(crate) fn i64_lenient<'de, D>(deserializer: D) -> Result<i64, D::Error>
where
    D: Deserializer<'de>,
{
    match deserializer.deserialize_any(LenientI64)? {
        Some(v) => Ok(v),
        None => Err(de::Error::custom(
            "expected an integer or a numeric string, found nothing",
        )),
    }
}

/// Writes an integer as a JSON string, for fields the SDK declares `String` but that hold a count.
pub(crate) fn i64_as_string<S>(value: &i64, serializer: S) -> Result<S::Ok, S::Error>
where
    S: Serializer,
{
    serializer.collect_str(value)
}

/// Visitor behind the lenient integer readers: `None` means null, unit or a blank string.
struct LenientI64;

impl<'de> Visitor<'de> for LenientI64 {
    type Value = Option<i64>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer, a string holding an integer, or null")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        i64::try_from(v)
            .map(Some)
            .map_err(|_| E::custom(format!("integer {v} is out of range for i64")))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        // `1.0` is accepted as 1; anything with a fraction is not an integer.
        if v.fract() == 0.0 && v >= i64::MIN as f64 && v < i64::MAX as f64 {
            Ok(Some(v as i64))
        } else {
            Err(E::invalid_value(de::Unexpected::Float(v), &self))
        }
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        let t = v.trim();
        if t.is_empty() {
            return Ok(None);
        }
        t.parse::<i64>()
            .map(Some)
            .map_err(|_| E::invalid_value(de::Unexpected::Str(v), &self))
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(LenientI64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alipay::client::ApiRequest;
    use std::collections::HashSet;

    /// The METHOD of every request type, to check against `METHODS`.
    fn all_request_methods() -> [&'static str; 17] {
        [
            <KaInfoSync as ApiRequest>::METHOD,
            <KaInfoQuery as ApiRequest>::METHOD,
            <KaServiceCreate as ApiRequest>::METHOD,
            <CommunityInfoSync as ApiRequest>::METHOD,
            <CommunityBaseinfoSync as ApiRequest>::METHOD,
            <ImageUpload as ApiRequest>::METHOD,
            <DispersionRoomSync as ApiRequest>::METHOD,
            <ConcentrationRoomSync as ApiRequest>::METHOD,
            <RoomStateSync as ApiRequest>::METHOD,
            <ReservationFeedbackSync as ApiRequest>::METHOD,
            <LeaseOrderSync as ApiRequest>::METHOD,
            <LeaseStateSync as ApiRequest>::METHOD,
            <BillOrderSync as ApiRequest>::METHOD,
            <BillOrderDownload as ApiRequest>::METHOD,
            <RenterIdinfoQuery as ApiRequest>::METHOD,
            <RenterZhimaQuery as ApiRequest>::METHOD,
            <PublicrentApplyscheduleSync as ApiRequest>::METHOD,
        ]
    }

    #[test]
    fn room_state_sync_serialises_in_declaration_order() {
        let req = RoomStateSync {
            room_code: "R1001".to_string(),
            room_status: 1,
            rent_status: Some(1),
            flats_tag: 1,
        };
        assert_eq!(
            serde_json::to_string(&req).unwrap(),
            r#"{"room_code":"R1001","room_status":1,"rent_status":1,"flats_tag":1}"#
        );
    }

    #[test]
    fn room_state_sync_omits_missing_rent_status() {
        let req = RoomStateSync {
            room_code: "R1001".to_string(),
            room_status: 0,
            rent_status: None,
            flats_tag: 2,
        };
        assert_eq!(
            serde_json::to_string(&req).unwrap(),
            r#"{"room_code":"R1001","room_status":0,"flats_tag":2}"#
        );
    }

    #[test]
    fn none_fields_are_omitted() {
        let req = DispersionRoomSync {
            room_code: "100001".to_string(),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_string(&req).unwrap(),
            r#"{"room_code":"100001"}"#
        );

        let req = ConcentrationRoomSync {
            room_code: "T-01".to_string(),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_string(&req).unwrap(),
            r#"{"room_code":"T-01"}"#
        );
    }

    #[test]
    fn keyword_field_uses_wire_name_type() {
        let req = KaServiceCreate {
            ka_code: "aMNjHqSxnNLVDIcfE".to_string(),
            service_type: 1,
            address: "https://example.com/spi/booking".to_string(),
        };
        let v = serde_json::to_value(&req).unwrap();
        assert_eq!(v["type"], serde_json::json!(1));
        assert!(v.get("service_type").is_none());
    }

    #[test]
    fn community_info_sync_response_accepts_string_status() {
        let r: CommunityInfoSyncResponse = serde_json::from_str(
            r#"{"code":"10000","msg":"Success","comm_req_id":"1857","status":"1"}"#,
        )
        .unwrap();
        assert_eq!(r.comm_req_id.as_deref(), Some("1857"));
        assert_eq!(r.status, Some(1));
        assert_eq!(r.remark, None);
    }

    #[test]
    fn lenient_status_accepts_number_null_and_absence() {
        let r: CommunityInfoSyncResponse = serde_json::from_str(r#"{"status":2}"#).unwrap();
        assert_eq!(r.status, Some(2));
        let r: CommunityInfoSyncResponse = serde_json::from_str(r#"{"status":null}"#).unwrap();
        assert_eq!(r.status, None);
        let r: CommunityInfoSyncResponse = serde_json::from_str(r#"{"comm_req_id":"1"}"#).unwrap();
        assert_eq!(r.status, None);
        assert!(serde_json::from_str::<CommunityInfoSyncResponse>(r#"{"status":"x1"}"#).is_err());
    }

    #[test]
    fn bill_number_travels_as_a_string() {
        let req = BillOrderSync {
            trade_id: "T20240101_1".to_string(),
            bill_number: 1,
            bills: vec![Bill {
                bill_no: "B1".to_string(),
                ..Default::default()
            }],
        };
        assert_eq!(
            serde_json::to_string(&req).unwrap(),
            r#"{"trade_id":"T20240101_1","bill_number":"1","bills":[{"bill_no":"B1"}]}"#
        );
        let back: BillOrderSync =
            serde_json::from_str(&serde_json::to_string(&req).unwrap()).unwrap();
        assert_eq!(back, req);
    }

    #[test]
    fn image_upload_debug_hides_the_payload() {
        let req = ImageUpload {
            file_base: "QUJD".repeat(1000),
            file_type: "1".to_string(),
            is_public: Some(true),
        };
        let s = format!("{req:?}");
        assert!(s.contains("4000"), "{s}");
        assert!(!s.contains("QUJD"), "{s}");
    }

    #[test]
    fn empty_response_ignores_unknown_fields() {
        let _: Empty = serde_json::from_str(r#"{"code":"10000","msg":"ok"}"#).unwrap();
    }

    #[test]
    fn methods_are_distinct_and_cover_every_request_type() {
        let listed: HashSet<&str> = METHODS.iter().copied().collect();
        assert_eq!(listed.len(), 17, "METHODS has duplicates");
        for m in METHODS {
            assert!(m.starts_with("alipay.eco.renthouse."), "{m}");
        }
        let implemented = all_request_methods();
        for m in implemented {
            assert!(listed.contains(m), "{m} is not in METHODS");
        }
        let implemented: HashSet<&str> = implemented.iter().copied().collect();
        assert_eq!(implemented.len(), 17, "two request types share a METHOD");
        // Same order as spec §2.0.
        assert_eq!(all_request_methods(), METHODS);
    }
}
