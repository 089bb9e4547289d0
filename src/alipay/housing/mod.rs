//! Wire models of the `alipay.commerce.housing.*` family (spec `alipay-commerce-housing.md`): one
//! request struct per method, serialised as that call's `biz_content`, and its answer's business
//! fields.
//!
//! Every business field is a JSON **string** (§2.3), counts, areas and money included; only the
//! paging numbers are integers. Money goes out in yuan (`"2500.50"`), made from our fen integers
//! at the mapping (`crate::platform::housing`), never from floats. The SDK marks no field as
//! required (§0), so almost every field is an `Option` left out when `None`; what the platform
//! insists on is the sandbox's business (`crate::sandbox::housing`). Fields the family deleted or
//! deprecated (§2.4.4) are not modelled at all, so they can never be sent.

use serde::de::{Deserialize, Deserializer};

pub mod apartment;
pub mod community;
pub mod file;
pub mod house;
pub mod shelf;

pub use apartment::{
    ApartmentAdd, ApartmentAddResponse, ApartmentFields, ApartmentModify, ApartmentQuery,
    ApartmentQueryResponse, ApartmentRentalAdd, ApartmentRentalAddResponse, ApartmentRentalFields,
    ApartmentRentalModify, ApartmentRentalQuery, ApartmentRentalQueryResponse,
};
pub use community::{
    CommunityAdd, CommunityAddResponse, CommunityBatchQuery, CommunityBatchQueryResponse,
    CommunityModel,
};
pub use file::{FileUpload, FileUploadResponse};
pub use house::{
    HouseRentalAdd, HouseRentalAddResponse, HouseRentalFields, HouseRentalModify, HouseRentalQuery,
    HouseRentalQueryResponse,
};
pub use shelf::{ApartmentOffline, ApartmentOnline, HouseOffline, HouseOnline};

pub const PREFIX: &str = "alipay.commerce.housing.";

/// The methods rentsync calls (and the sandbox serves). The family has more (§1.1: resale,
/// new-build, dict, download); they are not listing rentals and are not sent.
pub const METHODS: [&str; 17] = [
    "alipay.commerce.housing.community.add",
    "alipay.commerce.housing.community.batchquery",
    "alipay.commerce.housing.community.query",
    "alipay.commerce.housing.file.upload",
    "alipay.commerce.housing.house.rental.add",
    "alipay.commerce.housing.house.rental.modify",
    "alipay.commerce.housing.house.rental.query",
    "alipay.commerce.housing.house.online",
    "alipay.commerce.housing.house.offline",
    "alipay.commerce.housing.apartment.add",
    "alipay.commerce.housing.apartment.modify",
    "alipay.commerce.housing.apartment.query",
    "alipay.commerce.housing.apartment.online",
    "alipay.commerce.housing.apartment.offline",
    "alipay.commerce.housing.apartment.rental.add",
    "alipay.commerce.housing.apartment.rental.modify",
    "alipay.commerce.housing.apartment.rental.query",
];

/// Response of the methods whose answer has no business fields.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct Empty {}

/// A batch-query `list` the SDK declares as one object though it is meant to be a list (§2.4.1):
/// an array, a single object, or nothing all read as a list, so no answer's rows are dropped.
pub fn list_or_one<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum OneOrMany<T> {
        Many(Vec<T>),
        One(T),
        Null(()),
    }
    Ok(match OneOrMany::<T>::deserialize(d)? {
        OneOrMany::Many(v) => v,
        OneOrMany::One(t) => vec![t],
        OneOrMany::Null(()) => Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    struct Page {
        #[serde(default, deserialize_with = "list_or_one")]
        list: Vec<CommunityModel>,
    }

    #[test]
    fn a_list_declared_as_one_object_reads_as_array_object_or_null() {
        let many: Page =
            serde_json::from_str(r#"{"list":[{"community_id":"1"},{"community_id":"2"}]}"#)
                .unwrap();
        assert_eq!(many.list.len(), 2);
        let one: Page = serde_json::from_str(r#"{"list":{"community_id":"7"}}"#).unwrap();
        assert_eq!(one.list[0].community_id.as_deref(), Some("7"));
        let none: Page = serde_json::from_str(r#"{"list":null}"#).unwrap();
        assert!(none.list.is_empty());
        let absent: Page = serde_json::from_str(r#"{}"#).unwrap();
        assert!(absent.list.is_empty());
    }

    #[test]
    fn every_business_field_is_sent_as_a_string() {
        let add = HouseRentalAdd {
            external_id: "R1".into(),
            bed_room: Some("2".into()),
            fields: HouseRentalFields {
                rent: Some("2500.50".into()),
                ..Default::default()
            },
            ..Default::default()
        };
        let v = serde_json::to_value(&add).unwrap();
        for (k, field) in v.as_object().unwrap() {
            assert!(
                field.is_string() || field.is_array(),
                "{k} is {field} on the wire"
            );
        }
        assert_eq!(v["rent"], "2500.50");
        assert!(v.get("housing_id").is_none());
    }
}
