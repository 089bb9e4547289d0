//! Canonical rooms as `alipay.commerce.housing.*` requests (spec §8): every value a string, money
//! and areas in yuan and m² made from our integer fen and centi-m², so nothing is rounded twice.
//! Pure functions, so they are tested without a gateway.

use super::settings::HousingSettings;
use crate::alipay::housing::{
    ApartmentAdd, ApartmentFields, ApartmentRentalAdd, ApartmentRentalFields, HouseRentalAdd,
    HouseRentalFields,
};
use crate::model::{
    Community, ConcentrationRoom, DispersionRoom, Division, Money, Place, RentStatus, RoomState,
};

/// Where an apartment is: the family places apartments by codes and address, not by community.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Location {
    pub province_code: String,
    pub city_code: String,
    pub district_code: String,
    pub address: Option<String>,
}

/// Where a community is, in the family's terms: division codes only (a name is looked up in
/// `[tenant.housing.division_codes]`; the province is the city code's first two digits). The
/// error names the division and the setting to add it to.
pub fn location(c: &Community, s: &HousingSettings) -> Result<Location, String> {
    let code = |d: &Division, what: &str| {
        match d {
        Division::Code(c) => Ok(c.clone()),
        Division::Name(n) => s.division_codes.get(n).cloned().ok_or_else(|| {
            format!(
                "{what} {n:?} has no division code: the housing family takes codes only; add it to [tenant.housing.division_codes]"
            )
        }),
    }
    };
    let city_code = code(&c.city, "city")?;
    let district_code = code(&c.district, "district")?;
    Ok(Location {
        province_code: format!("{}0000", city_code.get(..2).unwrap_or_default()),
        city_code,
        district_code,
        address: match &c.place {
            Place::Address(a) => Some(a.clone()),
            _ => None,
        },
    })
}

/// Whether a listing should show: on shelf and not let. The family has no rented flag (§7).
pub fn shows(state: RoomState, rent: RentStatus) -> bool {
    state == RoomState::OnShelf && rent == RentStatus::Vacant
}

fn status(s: &HousingSettings, state: RoomState, rent: RentStatus) -> String {
    if shows(state, rent) {
        s.status_on_shelf.clone()
    } else {
        s.status_off_shelf.clone()
    }
}

fn area(centi: Option<i64>) -> Option<String> {
    centi.map(|c| Money(c).yuan())
}

fn list(v: &[String]) -> Option<Vec<String>> {
    (!v.is_empty()).then(|| v.to_vec())
}

/// The modifiable fields of a dispersion listing.
pub fn house_fields(
    r: &DispersionRoom,
    community_id: &str,
    s: &HousingSettings,
) -> HouseRentalFields {
    HouseRentalFields {
        community_id: Some(community_id.to_string()),
        status: Some(status(s, r.state, r.rent_status)),
        property_description: r.intro.clone(),
        renting_type: Some(match r.shared {
            Some(_) => s.renting_type_shared.clone(),
            None => s.renting_type_whole.clone(),
        }),
        rented_room: r.shared.as_ref().map(|b| b.name.to_string()),
        rent: Some(r.rent.yuan()),
        rent_unit: Some(s.rent_unit.clone()),
        deposit: r.deposit.map(Money::yuan),
        check_in_time: Some(r.checkin.format("%Y-%m-%d").to_string()),
        constructed_area: area(r.flat_area_centi),
        internal_area: area(r.room_area_centi),
        floor_level: r.floor.map(|f| f.to_string()),
        total_floors: r.total_floors.map(|t| t.to_string()),
        contact_person: r.owners_name.clone(),
        contact_person_phone: r.owners_tel.clone(),
        house_pic: list(&r.images),
        accommodation: list(&amenities(r)),
        orientation: r.details.orientation.clone(),
        renovation: r.details.decoration.clone(),
        elevator: r
            .details
            .elevator
            .map(|e| if e { "有" } else { "无" }.to_string()),
        floor_range: r.details.floor_band.clone(),
        listing_date: day(r.details.listing_date),
        house_label: list(&r.details.tags),
        ..Default::default()
    }
}

fn day(d: Option<chrono::NaiveDate>) -> Option<String> {
    d.map(|d| d.format("%Y-%m-%d").to_string())
}

/// In-room and shared-area amenities in one list: the family has no separate shared-area list
/// (spec §8.1, `flat_configs` → `accommodation`).
fn amenities(r: &DispersionRoom) -> Vec<String> {
    let mut all = r.room_configs.clone();
    for c in &r.details.flat_configs {
        if !all.contains(c) {
            all.push(c.clone());
        }
    }
    all
}

/// 门牌号 from the door plate's parts, as a Chinese address reads: `3栋2单元1501室`. A part that
/// already ends in its word keeps it once.
pub fn doorplate(r: &DispersionRoom) -> Option<String> {
    let d = &r.details;
    let parts = [
        (&d.building_no, "栋"),
        (&d.unit_no, "单元"),
        (&d.door_no, "室"),
    ];
    let mut out = String::new();
    for (part, word) in parts {
        if let Some(p) = part {
            out.push_str(p);
            if !p.ends_with(word) {
                out.push_str(word);
            }
        }
    }
    (!out.is_empty()).then_some(out)
}

pub fn house_add(r: &DispersionRoom, community_id: &str, s: &HousingSettings) -> HouseRentalAdd {
    HouseRentalAdd {
        external_id: r.room_code.clone(),
        bed_room: Some(r.layout.bedrooms.to_string()),
        living_room: Some(r.layout.parlors.to_string()),
        bath_room: Some(r.layout.toilets.to_string()),
        doorplate_number: doorplate(r),
        source_company: s.source_company.clone(),
        fields: house_fields(r, community_id, s),
        ..Default::default()
    }
}

pub fn apartment_fields(r: &ConcentrationRoom, s: &HousingSettings) -> ApartmentFields {
    ApartmentFields {
        status: Some(status(s, r.state, r.rent_status)),
        property_title: Some(r.nickname.clone()),
        property_description: r.intro.clone(),
        rent_start: Some(r.rent.yuan()),
        rent_end: Some(r.max_rent.yuan()),
        rent_unit: Some(s.rent_unit.clone()),
        usable_area_start: area(r.room_area_centi),
        usable_area_end: area(r.details.max_area_centi.or(r.room_area_centi)),
        bed_room: Some(r.layout.bedrooms.to_string()),
        apartment_img: list(&r.images),
        apartment_facilities: list(&r.room_configs),
        contact_person_phone: r.owners_tel.clone(),
        orientation: r.details.orientation.clone(),
        house_label: list(&r.details.tags),
    }
}

pub fn apartment_add(r: &ConcentrationRoom, at: &Location, s: &HousingSettings) -> ApartmentAdd {
    ApartmentAdd {
        external_id: r.room_code.clone(),
        apartment_name: Some(r.nickname.clone()),
        apartment_address: at.address.clone(),
        province_code: Some(at.province_code.clone()),
        city_code: Some(at.city_code.clone()),
        district_code: Some(at.district_code.clone()),
        source_company: s.source_company.clone(),
        living_room: Some(r.layout.parlors.to_string()),
        bath_room: Some(r.layout.toilets.to_string()),
        fields: apartment_fields(r, s),
    }
}

/// Our id of one door of a room type: the type's code and the door number.
pub fn apartment_room_id(r: &ConcentrationRoom, door: &str) -> String {
    format!("{}#{door}", r.room_code)
}

pub fn rental_fields(
    r: &ConcentrationRoom,
    door: &str,
    s: &HousingSettings,
) -> ApartmentRentalFields {
    ApartmentRentalFields {
        name: Some(format!("{} {door}", r.nickname)),
        rent: Some(r.rent.yuan()),
        rent_unit: Some(s.rent_unit.clone()),
        deposit: r.deposit.map(Money::yuan),
        internal_area: area(r.room_area_centi),
        orientation: r.details.orientation.clone(),
        check_in_time: Some(r.checkin.format("%Y-%m-%d").to_string()),
        status: Some(if r.state != RoomState::OnShelf {
            s.status_off_shelf.clone()
        } else if r.rent_status == RentStatus::Rented {
            s.status_rented.clone()
        } else {
            s.status_on_shelf.clone()
        }),
        ..Default::default()
    }
}

pub fn rental_add(
    r: &ConcentrationRoom,
    apartment_id: &str,
    door: &str,
    s: &HousingSettings,
) -> ApartmentRentalAdd {
    ApartmentRentalAdd {
        apartment_id: apartment_id.to_string(),
        external_id: apartment_room_id(r, door),
        doorplate_number: Some(door.to_string()),
        fields: rental_fields(r, door, s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{CommunityRef, Layout};
    use chrono::NaiveDate;

    fn flat() -> DispersionRoom {
        DispersionRoom {
            room_code: "F100".into(),
            community: CommunityRef::Code("C1".into()),
            shared: None,
            layout: Layout {
                bedrooms: 2,
                parlors: 1,
                toilets: 1,
            },
            room_area_centi: Some(7023),
            flat_area_centi: Some(9055),
            floor: Some(5),
            total_floors: Some(18),
            rent: Money(250050),
            deposit: Some(Money(500000)),
            checkin: NaiveDate::from_ymd_opt(2025, 10, 1).unwrap(),
            images: vec!["A1".into()],
            intro: None,
            room_configs: vec![],
            owners_name: None,
            owners_tel: None,
            state: RoomState::OnShelf,
            rent_status: RentStatus::Vacant,
            details: Default::default(),
        }
    }

    #[test]
    fn money_goes_out_in_yuan_and_areas_in_square_metres_as_strings() {
        let s = HousingSettings::default();
        let add = house_add(&flat(), "C1", &s);
        assert_eq!(add.fields.rent.as_deref(), Some("2500.50"));
        assert_eq!(add.fields.deposit.as_deref(), Some("5000.00"));
        assert_eq!(add.fields.constructed_area.as_deref(), Some("90.55"));
        assert_eq!(add.fields.internal_area.as_deref(), Some("70.23"));
        assert_eq!(add.bed_room.as_deref(), Some("2"));
        assert_eq!(add.fields.check_in_time.as_deref(), Some("2025-10-01"));
        assert_eq!(add.fields.status.as_deref(), Some("上架"));
        assert_eq!(add.fields.house_pic, Some(vec!["A1".to_string()]));
    }

    #[test]
    fn a_listing_is_sent_with_no_field_outside_the_methods_field_lists() {
        let s = HousingSettings {
            source_company: Some("示例".into()),
            ..Default::default()
        };
        let mut r = flat();
        r.intro = Some("intro".into());
        r.room_configs = vec!["2".into()];
        r.owners_name = Some("王".into());
        r.owners_tel = Some("4001234567".into());
        r.shared = Some(crate::model::SharedBedroom { name: 'A', face: 1 });
        let v = serde_json::to_value(house_add(&r, "C1", &s)).unwrap();
        for k in v.as_object().unwrap().keys() {
            assert!(
                crate::alipay::housing::house::ADD_FIELDS.contains(&k.as_str()),
                "house.rental.add has no field {k}"
            );
        }
    }

    #[test]
    fn a_let_or_off_shelf_listing_is_sent_with_the_off_status() {
        let s = HousingSettings::default();
        let mut r = flat();
        r.rent_status = RentStatus::Rented;
        assert_eq!(house_fields(&r, "C1", &s).status.as_deref(), Some("下架"));
        r.rent_status = RentStatus::Vacant;
        r.state = RoomState::OffShelf;
        assert_eq!(house_fields(&r, "C1", &s).status.as_deref(), Some("下架"));
    }
}
