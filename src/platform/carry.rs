//! Which optional source columns a family cannot carry (spec `alipay-commerce-housing.md` §8):
//! the renthouse models have no orientation words, decoration, lift, floor band, listing date
//! or tags; the housing family has one price per listing and no fees, lease limits, deposit-free
//! dates, commission, store number, H5 page or video URL. A filled column the tenant's family
//! cannot carry is listed by the dry-run, so an operator sees what the platform will not show.

use crate::model::{FlatsTag, ListingDetails, Room};

type Filled = fn(&ListingDetails) -> bool;

/// Source column, and whether a listing fills it.
const RENTHOUSE: &[(&str, Filled)] = &[
    ("orientation", |d| d.orientation.is_some()),
    ("decoration", |d| d.decoration.is_some()),
    ("elevator", |d| d.elevator.is_some()),
    ("floor_type", |d| d.floor_band.is_some()),
    ("listing_date", |d| d.listing_date.is_some()),
    ("tags", |d| !d.tags.is_empty()),
];

const HOUSING: &[(&str, Filled)] = &[
    ("pay_type", |d| d.pay_type.is_some()),
    (crate::model::PAY_PLANS_VIEW, |d| !d.pay_plans.is_empty()),
    (crate::model::FEES_VIEW, |d| !d.fees.is_empty()),
    ("fee_remark", |d| d.fee_remark.is_some()),
    ("max_lease_date", |d| d.lease_until.is_some()),
    ("min_rent_days", |d| d.min_rent_days.is_some()),
    ("free_deposit_begin", |d| d.free_deposit_from.is_some()),
    ("free_deposit_end", |d| d.free_deposit_until.is_some()),
    ("commission_centi", |d| d.commission.is_some()),
    ("room_store_no", |d| d.store_no.is_some()),
    ("detail_address", |d| d.detail_url.is_some()),
    ("features", |d| !d.features.is_empty()),
    ("video", |d| d.video_url.is_some()),
    ("max_deposit_fen", |d| d.max_deposit.is_some()),
];

/// What an apartment (集中式 under housing) has no field for, beyond [`HOUSING`].
const HOUSING_APARTMENT: &[(&str, Filled)] = &[
    ("decoration", |d| d.decoration.is_some()),
    ("elevator", |d| d.elevator.is_some()),
    ("floor_type", |d| d.floor_band.is_some()),
    ("listing_date", |d| d.listing_date.is_some()),
];

/// The filled source columns of `room` that `family` (`renthouse` or `housing`) cannot carry.
pub fn uncarried(family: &str, room: &Room) -> Vec<&'static str> {
    let (details, kind) = match room {
        Room::Dispersion(r) => (&r.details, FlatsTag::Dispersion),
        Room::Concentration(r) => (&r.details, FlatsTag::Concentration),
    };
    let extra: &[(&str, Filled)] = match (family, kind) {
        ("housing", FlatsTag::Concentration) => HOUSING_APARTMENT,
        _ => &[],
    };
    let table = if family == "housing" {
        HOUSING
    } else {
        RENTHOUSE
    };
    table
        .iter()
        .chain(extra)
        .filter(|(_, filled)| filled(details))
        .map(|(col, _)| *col)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{CommunityRef, ConcentrationRoom, Layout, Money, RentStatus, RoomState};

    fn apartment(details: ListingDetails) -> Room {
        Room::Concentration(ConcentrationRoom {
            room_code: "T1".into(),
            community: CommunityRef::Code("C".into()),
            nickname: "n".into(),
            layout: Layout {
                bedrooms: 1,
                parlors: 0,
                toilets: 1,
            },
            room_area_centi: None,
            rent: Money(200000),
            max_rent: Money(200000),
            deposit: None,
            checkin: chrono::NaiveDate::MIN,
            images: vec![],
            intro: None,
            room_configs: vec![],
            owners_tel: None,
            room_numbers: vec![],
            can_rent: 0,
            state: RoomState::OnShelf,
            rent_status: RentStatus::Vacant,
            details,
        })
    }

    #[test]
    fn only_filled_columns_the_family_lacks_are_named() {
        let d = ListingDetails {
            min_rent_days: Some(30),
            orientation: Some("南".into()),
            elevator: Some(true),
            ..Default::default()
        };
        let room = apartment(d);
        assert_eq!(uncarried("renthouse", &room), ["orientation", "elevator"]);
        assert_eq!(uncarried("housing", &room), ["min_rent_days", "elevator"]);
        assert!(uncarried("housing", &apartment(ListingDetails::default())).is_empty());
    }
}
