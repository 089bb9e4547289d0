//! The platform's Chinese titles of its fields (the SDK models' Javadoc, spec §2.3–§2.10), so a
//! message reads `room_amount 租金: must be ...` for an operator who knows the platform's console
//! and forms in Chinese. One table, used by rule breaks (plan, status, reports) and `explain`.

/// Field → the platform's Chinese title. Fields without a published title are absent.
const TITLES: &[(&str, &str)] = &[
    ("address", "小区地址"),
    ("all_room_num", "总计房间数量"),
    ("bedroom_count", "户型-房"),
    ("can_rent_num", "可租房间数量"),
    ("checkin_time", "可入住时间"),
    ("city_code", "城市国标码"),
    ("city_name", "城市名称"),
    ("comm_req_id", "小区同步请求号"),
    ("commission", "佣金"),
    ("community_code", "小区Code"),
    ("community_locations", "经纬度"),
    ("community_name", "小区名称"),
    ("coordsys", "坐标系"),
    ("deposit_end_time", "免押金到期日"),
    ("district_code", "行政区县国标码"),
    ("district_name", "行政区县名称"),
    ("fee_remark", "费用说明"),
    ("file_base", "文件内容"),
    ("flat_area", "公寓面积"),
    ("flat_building", "门牌-栋"),
    ("flat_configs", "公共区域配置"),
    ("flat_unit", "门牌-单元"),
    ("flats_tag", "房源类型"),
    ("floor_count", "所在楼层"),
    ("foregift_amount", "押金"),
    ("free_begin_date", "免押金开始日期"),
    ("free_end_date", "免押金结束日期"),
    ("images", "房源图片"),
    ("intro", "房源描述"),
    ("ka_code", "KA编码"),
    ("ka_name", "公寓运营商名称"),
    ("lease_term", "可租期"),
    ("max_amount", "集中式最高价格"),
    ("max_deposit_amount", "最大押金"),
    ("max_lease_time", "可签约至"),
    ("min_rent_days", "多少天起可租"),
    ("nickname", "公寓别名"),
    ("other_amount", "其它费用"),
    ("owners_name", "管家姓名"),
    ("owners_tel", "管家手机号码"),
    ("parlor_count", "户型-厅"),
    ("pay_type", "付款方式"),
    ("photos", "房源图片"),
    ("rent_status", "出租状态"),
    ("rent_type", "出租类型"),
    ("room_amount", "租金"),
    ("room_area", "房间面积"),
    ("room_code", "房源编号"),
    ("room_configs", "房间配置"),
    ("room_face", "朝向"),
    ("room_info_list", "集中式房间列表"),
    ("room_max_area", "房间最大面积"),
    ("room_name", "合租房间名称"),
    ("room_num", "门牌-室"),
    ("room_status", "上下架状态"),
    ("room_store_no", "店铺编号"),
    ("service_amount", "服务费"),
    ("service_type", "服务费单位"),
    ("toilet_count", "户型-卫"),
    ("total_floor_count", "房屋总楼层"),
    ("video", "房源视频地址"),
];

/// The Chinese title of a platform field. Takes the name as rule breaks spell it, nested and
/// prefixed alike (`community.community_name`, `pay_type_list[1].room_amount`): the last part
/// decides.
pub fn title(field: &str) -> Option<&'static str> {
    let last = field.rsplit('.').next().unwrap_or(field);
    let last = last.split('[').next().unwrap_or(last);
    TITLES
        .binary_search_by(|(f, _)| f.cmp(&last))
        .ok()
        .map(|i| TITLES[i].1)
}

/// `room_amount 租金`, or the bare name when the platform published no title.
pub fn titled(field: &str) -> String {
    match title(field) {
        Some(t) => format!("{field} {t}"),
        None => field.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_sorted_so_lookups_find_every_entry() {
        for w in TITLES.windows(2) {
            assert!(w[0].0 < w[1].0, "{} before {}", w[0].0, w[1].0);
        }
        for (f, t) in TITLES {
            assert_eq!(title(f), Some(*t));
        }
    }

    #[test]
    fn nested_and_prefixed_fields_take_their_last_part() {
        assert_eq!(titled("room_amount"), "room_amount 租金");
        assert_eq!(
            titled("pay_type_list[1].foregift_amount"),
            "pay_type_list[1].foregift_amount 押金"
        );
        assert_eq!(
            titled("community.community_name"),
            "community.community_name 小区名称"
        );
        assert_eq!(titled("source.rent_fen"), "source.rent_fen");
    }
}
