//! Wire helpers shared by the typed `tmall.alihouse.*` models: platform enumerations that keep an
//! unknown value instead of failing the whole answer (the platform adds values without notice,
//! and one new bill status must not blind the poller to every other bill), money in fen, and the
//! business `result` layer.

use serde::{Deserialize, Deserializer, Serialize};

/// An enumeration sent as a string code. Unknown codes are kept verbatim in `Other`.
macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $var:ident = $wire:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[$vm])* $var,)+ Other(String) }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$var),+];
            pub fn as_str(&self) -> &str {
                match self { $($name::$var => $wire,)+ $name::Other(s) => s }
            }
        }
        impl From<String> for $name {
            fn from(s: String) -> Self {
                match s.as_str() { $($wire => $name::$var,)+ _ => $name::Other(s) }
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str(self.as_str()) }
        }
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> { s.serialize_str(self.as_str()) }
        }
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                String::deserialize(d).map($name::from)
            }
        }
    };
}

/// An enumeration sent as a number. Unknown numbers are kept in `Other`.
macro_rules! number_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $var:ident = $wire:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[$vm])* $var,)+ Other(i64) }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$var),+];
            pub fn code(self) -> i64 {
                match self { $($name::$var => $wire,)+ $name::Other(n) => n }
            }
            pub fn name(self) -> &'static str {
                match self { $($name::$var => stringify!($var),)+ $name::Other(_) => "Other" }
            }
        }
        impl From<i64> for $name {
            fn from(n: i64) -> Self {
                match n { $($wire => $name::$var,)+ _ => $name::Other(n) }
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                match self { $name::Other(n) => write!(f, "{n}"), v => f.write_str(v.name()) }
            }
        }
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> { s.serialize_i64(self.code()) }
        }
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                $crate::tmall::wire::lenient_i64(d).map($name::from)
            }
        }
    };
}

pub(crate) use number_enum;
pub(crate) use string_enum;

/// A Number field that some gateways send as a string (spec §1.6 notes it for `code`).
pub fn lenient_i64<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum N {
        Int(i64),
        Text(String),
    }
    match N::deserialize(d)? {
        N::Int(n) => Ok(n),
        N::Text(s) => s
            .trim()
            .parse()
            .map_err(|_| serde::de::Error::custom(format!("{s:?} is not an integer"))),
    }
}

pub fn lenient_opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    struct W(#[serde(deserialize_with = "lenient_i64")] i64);
    Ok(Option::<W>::deserialize(d)?.map(|w| w.0))
}

/// Money in fen (分), the platform's unit: integers end to end, never floats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
#[serde(transparent)]
pub struct Fen(pub i64);

impl<'de> Deserialize<'de> for Fen {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Marketing amounts arrive as strings ("2000"), bill amounts as numbers: both are fen.
        lenient_i64(d).map(Fen)
    }
}

impl std::fmt::Display for Fen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let a = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", a / 100, a % 100)
    }
}

/// Fen sent as a JSON string, as seed 002's `TpMarketingInfo.amount` is typed.
pub mod fen_as_string {
    use super::Fen;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<Fen>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(f) => s.serialize_str(&f.0.to_string()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Fen>, D::Error> {
        Option::<Fen>::deserialize(d)
    }
}

string_enum!(
    /// `Y`/`N` flags.
    YesNo { Yes = "Y", No = "N" }
);

/// The business layer of both seeds' answers: `result { is_success, code, message, data }`.
/// Field names differ between alihouse APIs (spec §1.6); these two agree, and the aliases accept
/// the `success`/`msg` spelling of their coupon siblings.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BizResult<T> {
    #[serde(default, alias = "success", skip_serializing_if = "Option::is_none")]
    pub is_success: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default, alias = "msg", skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default = "none", skip_serializing_if = "Option::is_none")]
    pub data: Option<T>,
}

fn none<T>() -> Option<T> {
    None
}

impl<T> BizResult<T> {
    /// Refused when `is_success` says so, or when it is absent and there is an error code but no
    /// data (seed 002's example carries a `code` next to good data, so a code alone is not a refusal).
    pub fn refused(&self) -> bool {
        match self.is_success {
            Some(ok) => !ok,
            None => self.data.is_none() && self.code.is_some(),
        }
    }
}

/// The simplified envelope of a successful TOP call: `{ "result": ..., "request_id": ... }`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Simplified<T> {
    pub result: BizResult<T>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

#[cfg(test)]
#[allow(dead_code)]
mod tests {
    use super::*;

    string_enum!(Color { Red = "RED", Blue = "BLUE" });
    number_enum!(Size { Small = 0, Large = 1 });

    #[test]
    fn unknown_codes_survive_a_round_trip() {
        let c: Color = serde_json::from_str(r#""GREEN""#).unwrap();
        assert_eq!(c, Color::Other("GREEN".into()));
        assert_eq!(serde_json::to_string(&c).unwrap(), r#""GREEN""#);
        let s: Size = serde_json::from_str("\"7\"").unwrap();
        assert_eq!(s, Size::Other(7));
        assert_eq!(serde_json::from_str::<Size>("1").unwrap(), Size::Large);
    }

    #[test]
    fn fen_reads_numbers_and_strings_and_prints_yuan() {
        assert_eq!(serde_json::from_str::<Fen>("\"2000\"").unwrap(), Fen(2000));
        assert_eq!(
            serde_json::from_str::<Fen>("105").unwrap().to_string(),
            "1.05"
        );
        assert!(serde_json::from_str::<Fen>("1.5").is_err());
        assert_eq!(Fen(-5).to_string(), "-0.05");
    }

    #[test]
    fn business_refusal_needs_is_success_false_or_a_bare_code() {
        let r: BizResult<u8> = serde_json::from_str(r#"{"is_success":false,"code":"b1"}"#).unwrap();
        assert!(r.refused());
        let r: BizResult<u8> = serde_json::from_str(r#"{"code":"b1","data":1}"#).unwrap();
        assert!(!r.refused());
        let r: BizResult<u8> = serde_json::from_str(r#"{"code":"b1","message":"x"}"#).unwrap();
        assert!(r.refused());
    }
}
