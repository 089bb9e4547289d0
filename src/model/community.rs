//! A community (小区) or, for 集中式 listings, a building (大楼).

/// A city or district: the national division code (国标码) when known, else its name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Division {
    Code(String),
    Name(String),
}

/// How the platform can place a community: an address, coordinates or a POI number.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Place {
    Address(String),
    /// Longitude and latitude in the AMap (高德) system.
    Coordinates {
        lng: f64,
        lat: f64,
    },
    Poi(String),
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Community {
    pub name: String,
    pub city: Division,
    pub district: Division,
    pub place: Place,
}

/// What a room sync needs to name its community: the platform's code, or the request id of a
/// community sync still under review (rooms may use it at once, spec §2.3).
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum CommunityRef {
    Code(String),
    RequestId(String),
}
