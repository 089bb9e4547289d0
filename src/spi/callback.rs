//! The platform's callback types (spec §3.1) and what identifies one event of each: the dedupe key
//! that makes a callback the platform repeats (because it lost our answer) the same event.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

/// 服务类型, the `type` of `ka.service.create`; each has its own route `/spi/{tenant}/{slug}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CallbackType {
    /// 1 预约看房 viewing booking.
    Booking,
    /// 2 确认租约 lease confirmation.
    LeaseConfirm,
    /// 3 拨号记录 phone-call record.
    PhoneRecord,
    /// 4 支付页面 payment page.
    Payment,
    /// 5 小区状态同步 community status (observed, not in the SDK text).
    CommunityStatus,
}

/// The parameters that can carry a tenant's phone number: never stored or logged in clear.
pub const PHONE_PARAMS: &[&str] = &["bookPhone"];

/// Parameters that change between two sends of the same event and so never identify it.
const TRANSPORT_PARAMS: &[&str] = &["sign", "sign_type", "timestamp", "notify_time", "charset"];

impl CallbackType {
    pub const ALL: [CallbackType; 5] = [
        CallbackType::Booking,
        CallbackType::LeaseConfirm,
        CallbackType::PhoneRecord,
        CallbackType::Payment,
        CallbackType::CommunityStatus,
    ];

    /// The platform's number.
    pub fn number(self) -> i64 {
        match self {
            CallbackType::Booking => 1,
            CallbackType::LeaseConfirm => 2,
            CallbackType::PhoneRecord => 3,
            CallbackType::Payment => 4,
            CallbackType::CommunityStatus => 5,
        }
    }

    pub fn from_number(n: i64) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.number() == n)
    }

    /// The route segment, and the one spelling in the database, JSON, CLI and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            CallbackType::Booking => "booking",
            CallbackType::LeaseConfirm => "lease-confirm",
            CallbackType::PhoneRecord => "phone-record",
            CallbackType::Payment => "payment",
            CallbackType::CommunityStatus => "community-status",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// The parameters that identify one event, when the spec names them (§3.2). For the others
    /// every parameter but the transport ones counts.
    fn identity(self) -> Option<&'static [&'static str]> {
        match self {
            CallbackType::Booking => Some(&[
                "reservationNo",
                "aliUserId",
                "roomCode",
                "flatsTag",
                "lookTime",
            ]),
            CallbackType::PhoneRecord => Some(&["aliUserId", "roomCode", "flatsTag", "recordTime"]),
            _ => None,
        }
    }

    /// The dedupe key: SHA-256 (hex) of tenant, type and the identifying parameters. The
    /// encrypted phone is never part of it: the platform may encrypt it afresh on a repeat.
    pub fn event_id(self, tenant: &str, params: &BTreeMap<String, String>) -> String {
        let mut h = Sha256::new();
        for part in [tenant, self.as_str()] {
            h.update(part.len().to_be_bytes());
            h.update(part.as_bytes());
        }
        let chosen: Vec<(&String, &String)> = match self.identity() {
            Some(names) => params
                .iter()
                .filter(|(k, _)| names.contains(&k.as_str()))
                .collect(),
            None => params
                .iter()
                .filter(|(k, _)| {
                    !TRANSPORT_PARAMS.contains(&k.as_str()) && !PHONE_PARAMS.contains(&k.as_str())
                })
                .collect(),
        };
        for (k, v) in chosen {
            // Length-prefixed, so no two different parameter sets hash the same text.
            h.update(k.len().to_be_bytes());
            h.update(k.as_bytes());
            h.update(v.len().to_be_bytes());
            h.update(v.as_bytes());
        }
        hex::encode(h.finalize())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_repeated_booking_with_a_new_signature_and_phone_ciphertext_is_the_same_event() {
        let first = params(&[
            ("aliUserId", "2088"),
            ("roomCode", "R1"),
            ("lookTime", "2026-12-08 10:00"),
            ("bookPhone", "AAA="),
            ("sign", "x"),
            ("timestamp", "2026-12-07 10:00:00"),
        ]);
        let mut again = first.clone();
        again.insert("bookPhone".into(), "BBB=".into());
        again.insert("sign".into(), "y".into());
        again.insert("timestamp".into(), "2026-12-07 10:00:09".into());
        let t = CallbackType::Booking;
        assert_eq!(t.event_id("t1", &first), t.event_id("t1", &again));
        let mut other = first.clone();
        other.insert("lookTime".into(), "2026-12-08 11:00".into());
        assert_ne!(t.event_id("t1", &first), t.event_id("t1", &other));
        assert_ne!(t.event_id("t1", &first), t.event_id("t2", &first));
        assert_ne!(
            t.event_id("t1", &first),
            CallbackType::PhoneRecord.event_id("t1", &first)
        );
    }

    #[test]
    fn types_round_trip_by_number_and_route() {
        for t in CallbackType::ALL {
            assert_eq!(CallbackType::from_number(t.number()), Some(t));
            assert_eq!(CallbackType::parse(t.as_str()), Some(t));
        }
        assert_eq!(CallbackType::from_number(6), None);
    }
}
