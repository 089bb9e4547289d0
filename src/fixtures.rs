//! The sample operator database: the schema of `fixtures/<db>/schema.sql` (the operator's own
//! tables plus the contract views) and a generator of N listings with realistic variety, a share
//! of which break platform rules the way real data does (a rent typed in yuan×100, a mobile number
//! instead of a 400 line, an intro pasted twice, eleven photos, a date a year ahead).
//!
//! Used by `rentsync fixtures`, the demo, the tests and the benchmarks. Rows are written as
//! multi-row INSERTs of literals, so 1,000,000 listings load in minutes, not hours.

use std::fmt::Write;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::db::{Db, Dialect};

mod trade;

pub const POSTGRES_SCHEMA: &str = include_str!("../fixtures/postgres/schema.sql");
pub const MYSQL_SCHEMA: &str = include_str!("../fixtures/mysql/schema.sql");
pub const SQLITE_SCHEMA: &str = include_str!("../fixtures/sqlite/schema.sql");

/// Photo files shipped in `fixtures/photos/` (relative to a tenant's `photo_dir`).
pub const PHOTOS: &[&str] = &[
    "living-room-1.jpg",
    "interior-lamp-1.jpg",
    "building-1.jpg",
    "building-2.jpg",
    "lakeside-1.jpg",
    "landscape-1.jpg",
];

/// A 4.4 MB, 6028x3391 original: the photo pipeline must shrink it under the budget.
pub const LARGE_PHOTO: &str = "large/tree-nuthatch.jpg";

/// Drops and recreates the operator tables and the contract views.
pub async fn load_schema(db: &Db) -> anyhow::Result<()> {
    let schema = match db.dialect {
        Dialect::Postgres => POSTGRES_SCHEMA,
        Dialect::Mysql => MYSQL_SCHEMA,
        Dialect::Sqlite => SQLITE_SCHEMA,
    };
    sqlx::raw_sql(schema)
        .execute(&db.pool)
        .await
        .map_err(|e| anyhow::anyhow!("loading the fixture schema: {e}"))?;
    Ok(())
}

#[derive(Debug, Clone)]
pub struct GenOptions {
    /// Listings to make (whole flats + shared bedrooms + room types).
    pub listings: usize,
    pub seed: u64,
    /// Share of listings that break a platform rule.
    pub broken_rate: f64,
    /// Share of listings whose photos are missing or unusable.
    pub bad_photo_rate: f64,
    /// Share of photos that are the large original (the demo shows the pipeline at work).
    pub large_photo_rate: f64,
}

impl Default for GenOptions {
    fn default() -> Self {
        Self {
            listings: 300,
            seed: 42,
            broken_rate: 0.02,
            bad_photo_rate: 0.01,
            large_photo_rate: 0.0,
        }
    }
}

/// What the generator wrote.
#[derive(Debug, Default, Clone, Copy, serde::Serialize)]
pub struct GenStats {
    pub communities: usize,
    pub whole_flats: usize,
    pub bedrooms: usize,
    pub room_types: usize,
    pub rooms: usize,
    pub photos: usize,
    pub broken: usize,
    /// Trade rows (docs/TRADE.md): leases, their bills, answers to viewing bookings.
    pub leases: usize,
    pub bills: usize,
    pub booking_answers: usize,
}

impl GenStats {
    pub fn listings(&self) -> usize {
        self.whole_flats + self.bedrooms + self.room_types
    }
}

/// A city: code, name, centre longitude and latitude, and (code, name) of some districts.
type City = (
    &'static str,
    &'static str,
    f64,
    f64,
    &'static [(&'static str, &'static str)],
);

const CITIES: &[City] = &[
    (
        "310100",
        "上海市",
        121.47,
        31.23,
        &[
            ("310115", "浦东新区"),
            ("310104", "徐汇区"),
            ("310105", "长宁区"),
        ],
    ),
    (
        "330100",
        "杭州市",
        120.16,
        30.27,
        &[
            ("330106", "西湖区"),
            ("330108", "滨江区"),
            ("330110", "余杭区"),
        ],
    ),
    (
        "440300",
        "深圳市",
        114.06,
        22.54,
        &[
            ("440305", "南山区"),
            ("440304", "福田区"),
            ("440306", "宝安区"),
        ],
    ),
    (
        "110100",
        "北京市",
        116.40,
        39.90,
        &[
            ("110105", "朝阳区"),
            ("110108", "海淀区"),
            ("110106", "丰台区"),
        ],
    ),
];
/// The `[tenant.housing.division_codes]` table of a config whose source holds generated
/// listings: the housing family takes division codes only, and the views name some cities and
/// districts by name.
pub fn division_codes_toml() -> String {
    let mut out = String::from("[tenant.housing.division_codes]\n");
    for (code, name, _, _, districts) in CITIES {
        out.push_str(&format!("\"{name}\" = \"{code}\"\n"));
        for (code, name) in districts.iter() {
            out.push_str(&format!("\"{name}\" = \"{code}\"\n"));
        }
    }
    out
}

const NAMES_A: &[&str] = &[
    "阳光", "翠苑", "锦绣", "金色", "绿城", "万科", "碧桂", "星河", "东方", "世纪",
];
const NAMES_B: &[&str] = &[
    "花园", "家园", "新村", "公寓", "名邸", "雅苑", "华庭", "小区", "城", "里",
];
const INTROS: &[&str] = &[
    "南北通透，采光好，近地铁站，拎包入住。",
    "精装修，家电齐全，小区环境安静，适合上班族。",
    "朝南大主卧，带阳台，步行五分钟到商场。",
    "新装修未住人，独立卫生间，可短租。",
];

/// TRUE/FALSE: PostgreSQL's flags are BOOLEAN; MySQL and SQLite read these as 1/0.
fn b(v: bool) -> &'static str {
    if v {
        "TRUE"
    } else {
        "FALSE"
    }
}

fn q(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

struct Batch {
    head: &'static str,
    rows: Vec<String>,
}

impl Batch {
    fn new(head: &'static str) -> Self {
        Self {
            head,
            rows: Vec::new(),
        }
    }
}

/// Generates `opts.listings` listings into a freshly loaded schema.
pub async fn generate(db: &Db, opts: &GenOptions) -> anyhow::Result<GenStats> {
    let mut rng = StdRng::seed_from_u64(opts.seed);
    let mut stats = GenStats::default();
    let mut communities = Batch::new("INSERT INTO communities (id, name, city_code, city_name, district_code, district_name, address, lng, lat, community_code) VALUES ");
    let mut buildings = Batch::new("INSERT INTO buildings (id, community_id, nickname, building_no, total_floors, service_tel, archived) VALUES ");
    let mut flats = Batch::new("INSERT INTO flats (id, community_id, building_no, unit_no, door_no, floor, total_floors, bedrooms, parlors, toilets, area, rent_type, rent, deposit, available_from, intro, amenities, agent_name, agent_tel, listed, rented, archived) VALUES ");
    let mut bedrooms = Batch::new("INSERT INTO bedrooms (id, flat_id, letter, orientation, area, rent, deposit, available_from, amenities, listed, rented, archived) VALUES ");
    let mut types = Batch::new("INSERT INTO room_types (id, building_id, name, bedrooms, parlors, toilets, area, min_rent, max_rent, deposit, available_from, intro, amenities, listed, archived) VALUES ");
    let mut rooms = Batch::new(
        "INSERT INTO rooms (id, room_type_id, door_no, floor, vacant, archived) VALUES ",
    );
    let mut photos = Batch::new(
        "INSERT INTO photos (id, owner_kind, owner_id, position, location, deleted) VALUES ",
    );
    let mut extras = Extras::new(opts.seed);

    let today = chrono::Utc::now().date_naive();
    let date = |rng: &mut StdRng, broken: bool| -> String {
        let days = if broken { 300 } else { rng.gen_range(-10..60) };
        (today + chrono::Duration::days(days))
            .format("%Y-%m-%d")
            .to_string()
    };
    let mut photo_id = 0u64;
    let large_rate = opts.large_photo_rate.clamp(0.0, 1.0);
    let mut add_photos = |batch: &mut Batch,
                          kind: &str,
                          owner: u64,
                          n: usize,
                          bad: bool,
                          stats: &mut GenStats,
                          rng: &mut StdRng| {
        for pos in 0..n {
            photo_id += 1;
            let location = if bad && pos == 0 {
                "missing/photo-that-is-not-there.jpg".to_string()
            } else if rng.gen_bool(large_rate) {
                LARGE_PHOTO.to_string()
            } else {
                PHOTOS[rng.gen_range(0..PHOTOS.len())].to_string()
            };
            batch.rows.push(format!(
                "({photo_id}, {}, {owner}, {pos}, {}, FALSE)",
                q(kind),
                q(&location)
            ));
            stats.photos += 1;
        }
    };

    let mut community_id = 0u64;
    let mut new_community = |rng: &mut StdRng, batch: &mut Batch, stats: &mut GenStats| -> u64 {
        community_id += 1;
        let (city_code, city, lng, lat, districts) = CITIES[rng.gen_range(0..CITIES.len())];
        let (dcode, district) = districts[rng.gen_range(0..districts.len())];
        let name = format!(
            "{}{}{}",
            NAMES_A[rng.gen_range(0..NAMES_A.len())],
            NAMES_B[rng.gen_range(0..NAMES_B.len())],
            community_id
        );
        let by_name = rng.gen_bool(0.3);
        batch.rows.push(format!(
            "({community_id}, {}, {}, {}, {}, {}, {}, {:.6}, {:.6}, NULL)",
            q(&name),
            if by_name { "NULL".into() } else { q(city_code) },
            q(city),
            if by_name { "NULL".into() } else { q(dcode) },
            q(district),
            q(&format!(
                "{city}{district}{}路{}号",
                NAMES_A[rng.gen_range(0..NAMES_A.len())],
                rng.gen_range(1..999)
            )),
            lng + rng.gen_range(-0.2..0.2),
            lat + rng.gen_range(-0.2..0.2),
        ));
        stats.communities += 1;
        community_id
    };

    let mut flat_id = 1000u64;
    let mut bedroom_id = 0u64;
    let mut type_id = 0u64;
    let mut building_id = 0u64;
    let mut room_id = 0u64;
    let mut current_community = new_community(&mut rng, &mut communities, &mut stats);
    // Listings a sample lease can be for.
    let mut leasable: Vec<trade::Leasable> = Vec::new();
    let tel = |rng: &mut StdRng, broken: bool| -> String {
        if broken {
            format!("138{:08}", rng.gen_range(0..100_000_000))
        } else {
            format!("400{:07}", rng.gen_range(0..10_000_000))
        }
    };

    while stats.listings() < opts.listings {
        if rng.gen_bool(0.1) {
            current_community = new_community(&mut rng, &mut communities, &mut stats);
        }
        let broken = rng.gen_bool(opts.broken_rate);
        if broken {
            stats.broken += 1;
        }
        let bad_photos = rng.gen_bool(opts.bad_photo_rate);
        let roll: f64 = rng.gen();
        let listed = rng.gen_bool(0.9);
        if roll < 0.55 {
            // 整租
            flat_id += 1;
            let bedrooms_n = if broken && rng.gen_bool(0.3) {
                30
            } else {
                rng.gen_range(1..5)
            };
            let rent = if broken && rng.gen_bool(0.5) {
                50.0
            } else {
                rng.gen_range(1500..12000) as f64
            };
            let intro = if broken {
                INTROS[0].repeat(30)
            } else {
                INTROS[rng.gen_range(0..INTROS.len())].to_string()
            };
            let total = rng.gen_range(6..33);
            let late = broken && rng.gen_bool(0.3);
            let available = date(&mut rng, late);
            flats.rows.push(format!(
                "({flat_id}, {current_community}, '{}', '{}', '{}', {}, {total}, {bedrooms_n}, {}, {}, {:.2}, 'whole', {rent:.2}, {rent:.2}, '{}', {}, '2,3,4,5,6,11,13', {}, {}, {}, {}, FALSE)",
                rng.gen_range(1..20), rng.gen_range(1..4), rng.gen_range(101..2802),
                rng.gen_range(1..=total), rng.gen_range(0..3), rng.gen_range(1..3),
                rng.gen_range(35.0..160.0), available, q(&intro),
                q("王管家"), q(&tel(&mut rng, broken)), b(listed), b(rng.gen_bool(0.1)),
            ));
            extras.listing("flat", flat_id, rent, false, today);
            let n = if broken && rng.gen_bool(0.2) {
                11
            } else {
                rng.gen_range(1..4)
            };
            add_photos(
                &mut photos,
                "flat",
                flat_id,
                n,
                bad_photos,
                &mut stats,
                &mut rng,
            );
            leasable.push(((flat_id * 100).to_string(), 1, None));
            stats.whole_flats += 1;
        } else if roll < 0.8 {
            // 合租: a flat of 3 bedrooms, each its own listing
            flat_id += 1;
            let total = rng.gen_range(6..33);
            flats.rows.push(format!(
                "({flat_id}, {current_community}, '{}', '{}', '{}', {}, {total}, 3, 1, 2, {:.2}, 'shared', NULL, NULL, '{}', {}, '1,3,4,5,8,9', {}, {}, {}, FALSE, FALSE)",
                rng.gen_range(1..20), rng.gen_range(1..4), rng.gen_range(101..2802),
                rng.gen_range(1..=total), rng.gen_range(80.0..140.0), date(&mut rng, false),
                q(INTROS[rng.gen_range(0..INTROS.len())]), q("李管家"), q(&tel(&mut rng, false)), b(listed),
            ));
            add_photos(&mut photos, "flat", flat_id, 1, false, &mut stats, &mut rng);
            extras.add_terms("flat", flat_id, None, true, today);
            for letter in ['A', 'B', 'C'] {
                bedroom_id += 1;
                let rent = if broken && letter == 'A' {
                    99.0
                } else {
                    rng.gen_range(900..4000) as f64
                };
                bedrooms.rows.push(format!(
                    "({bedroom_id}, {flat_id}, '{letter}', {}, {:.2}, {rent:.2}, {rent:.2}, NULL, '2,11,12,13', {}, {}, FALSE)",
                    rng.gen_range(1..9), rng.gen_range(9.0..25.0), b(rng.gen_bool(0.9)), b(rng.gen_bool(0.2)),
                ));
                extras.lists("bedroom", bedroom_id, rent, None);
                add_photos(
                    &mut photos,
                    "bedroom",
                    bedroom_id,
                    rng.gen_range(0..2),
                    bad_photos && letter == 'A',
                    &mut stats,
                    &mut rng,
                );
                stats.bedrooms += 1;
            }
        } else {
            // 集中式: a building with room types
            building_id += 1;
            let total = rng.gen_range(8..30);
            buildings.rows.push(format!(
                "({building_id}, {current_community}, {}, '{}', {total}, {}, FALSE)",
                q(&format!(
                    "{}公寓{}店",
                    NAMES_A[rng.gen_range(0..NAMES_A.len())],
                    building_id
                )),
                rng.gen_range(1..9),
                q(&tel(&mut rng, false)),
            ));
            for t in 0..rng.gen_range(2..5) {
                type_id += 1;
                let min = rng.gen_range(1800..6000) as f64;
                let intro = if broken && t == 0 {
                    INTROS[1].repeat(20)
                } else {
                    INTROS[rng.gen_range(0..INTROS.len())].to_string()
                };
                types.rows.push(format!(
                    "({type_id}, {building_id}, {}, 1, {}, 1, {:.2}, {min:.2}, {:.2}, {min:.2}, '{}', {}, '2,3,4,5,11,13', {}, FALSE)",
                    q(["精装一居室", "开间", "两居室", "loft"][t % 4]), rng.gen_range(0..2), rng.gen_range(20.0..60.0),
                    min + rng.gen_range(0..800) as f64, date(&mut rng, false), q(&intro), b(listed),
                ));
                extras.listing("room_type", type_id, min, true, today);
                add_photos(
                    &mut photos,
                    "room_type",
                    type_id,
                    rng.gen_range(1..4),
                    false,
                    &mut stats,
                    &mut rng,
                );
                for r in 0..rng.gen_range(3..9) {
                    room_id += 1;
                    let door = format!("{:02}{:02}", r / 4 + 2, r + 1 + t * 10);
                    if r == 0 {
                        leasable.push((type_id.to_string(), 2, Some(door.clone())));
                    }
                    rooms.rows.push(format!(
                        "({room_id}, {type_id}, '{door}', {}, {}, FALSE)",
                        r / 4 + 2,
                        b(rng.gen_bool(0.6)),
                    ));
                    stats.rooms += 1;
                }
                stats.room_types += 1;
            }
        }
        if communities.rows.len() + flats.rows.len() + photos.rows.len() > 3000 {
            flush(
                db,
                &mut [
                    &mut extras.terms,
                    &mut extras.plans,
                    &mut extras.fees,
                    &mut communities,
                    &mut buildings,
                    &mut flats,
                    &mut bedrooms,
                    &mut types,
                    &mut rooms,
                    &mut photos,
                ],
            )
            .await?;
        }
    }
    flush(
        db,
        &mut [
            &mut communities,
            &mut buildings,
            &mut flats,
            &mut bedrooms,
            &mut types,
            &mut rooms,
            &mut photos,
            &mut extras.terms,
            &mut extras.plans,
            &mut extras.fees,
        ],
    )
    .await?;
    // The lease orders the Tmall sandbox scripts (docs/TMALL.md), followed through the contract
    // view rentsync_tmall_leases.
    sqlx::query(
        "INSERT INTO tmall_lease_orders (lease_order_no) VALUES ('LEASE-SIGN'), ('LEASE-FULL'), ('LEASE-CLOSE')",
    )
    .execute(&db.pool)
    .await?;
    trade::generate(db, &leasable, opts, &mut rng, &mut stats).await?;
    advance_sequences(db).await?;
    Ok(stats)
}

/// The optional parts of listings (docs/SOURCE_CONTRACT.md, "Optional columns"): lease terms,
/// payment plans and fees, for about two listings in three. A random stream of their own, so
/// the listings themselves are the same for a seed as before these existed.
struct Extras {
    rng: StdRng,
    terms: Batch,
    plans: Batch,
    fees: Batch,
}

const DECORATIONS: &[&str] = &["精装修", "简装修", "豪华装修"];
const TAGS: &[&str] = &[
    "近地铁",
    "拎包入住",
    "可养宠物",
    "押一付一",
    "独立阳台",
    "随时看房",
];
const FEE_NAMES: &[(&str, &str)] = &[("物业费", "元/月"), ("网费", "元/月"), ("服务费", "元/年")];

fn day(today: chrono::NaiveDate, days: i64) -> String {
    q(&(today + chrono::Duration::days(days))
        .format("%Y-%m-%d")
        .to_string())
}

impl Extras {
    fn new(seed: u64) -> Self {
        Self {
            rng: StdRng::seed_from_u64(seed ^ 0x5eed_f1e1d5),
            terms: Batch::new("INSERT INTO listing_terms (owner_kind, owner_id, pay_type, fee_note, lease_until, min_days, deposit_free_from, deposit_free_until, commission, commission_kind, store_no, detail_url, services, video_url, facing, decoration, has_lift, floor_band, listed_on, tags, shared_amenities, max_deposit, max_area) VALUES "),
            plans: Batch::new("INSERT INTO pay_plans (owner_kind, owner_id, position, pay_type, lease_term, rent, max_rent, deposit, max_deposit, service_fee, service_unit) VALUES "),
            fees: Batch::new("INSERT INTO fees (owner_kind, owner_id, position, name, amount, unit) VALUES "),
        }
    }

    /// Terms, plans and fees of a whole flat or a room type.
    fn listing(&mut self, kind: &str, id: u64, rent: f64, range: bool, today: chrono::NaiveDate) {
        if self.add_terms(kind, id, Some(rent), false, today) {
            let max = range.then_some(rent + 300.0);
            self.lists(kind, id, rent, max);
        }
    }

    /// One `listing_terms` row, for about two listings in three; true when written. A shared
    /// flat's terms hold its shared-area amenities.
    fn add_terms(
        &mut self,
        kind: &str,
        id: u64,
        rent: Option<f64>,
        shared: bool,
        today: chrono::NaiveDate,
    ) -> bool {
        let r = &mut self.rng;
        if !r.gen_bool(0.67) {
            return false;
        }
        let percent = r.gen_bool(0.5);
        let commission = if percent {
            format!("{:.2}", r.gen_range(2..10) as f64 * 1.5)
        } else {
            format!("{:.2}", r.gen_range(200..1500) as f64)
        };
        let free_from = r.gen_range(0..10);
        let lift = r.gen_bool(0.6);
        let band = ["LOW", "MIDDLE", "HIGH"][r.gen_range(0..3)];
        let tags: Vec<&str> = (0..r.gen_range(1..4))
            .map(|i| TAGS[(id as usize + i) % TAGS.len()])
            .collect();
        let (max_deposit, max_area) = match (kind, rent) {
            ("room_type", Some(rent)) => (
                format!("{:.2}", rent + 300.0),
                format!("{:.2}", r.gen_range(60.0..90.0)),
            ),
            _ => ("NULL".into(), "NULL".into()),
        };
        self.terms.rows.push(format!(
            "({}, {id}, {}, {}, {}, {}, {}, {}, {commission}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {max_deposit}, {max_area})",
            q(kind),
            r.gen_range(1..3),
            q("水电按表计，燃气自理"),
            day(today, r.gen_range(200..700)),
            [1, 30, 90][r.gen_range(0..3)],
            day(today, free_from),
            day(today, free_from + r.gen_range(30..180)),
            q(if percent { "p" } else { "m" }),
            q(&format!("9252{:04}", r.gen_range(0..10_000))),
            q(&format!("https://m.example-apartments.cn/rooms/{kind}/{id}")),
            q("1,2"),
            q(&format!("https://video.example-apartments.cn/{kind}-{id}.mp4")),
            q(["东", "南", "西", "北", "东南", "东北", "西南", "西北", "南北", "东西"][r.gen_range(0..10)]),
            q(DECORATIONS[r.gen_range(0..DECORATIONS.len())]),
            b(lift),
            q(band),
            day(today, -r.gen_range(0..30)),
            q(&tags.join(",")),
            if shared { q("1,4,5,14") } else { "NULL".into() },
        ));
        true
    }

    /// Payment plans (付一 and 付二, each with its own rent and deposit) and one or two fees.
    fn lists(&mut self, kind: &str, id: u64, rent: f64, max: Option<f64>) {
        let r = &mut self.rng;
        if !r.gen_bool(0.8) {
            return;
        }
        let opt = |v: Option<f64>| v.map_or("NULL".to_string(), |v| format!("{v:.2}"));
        let dispersion = kind != "room_type";
        for (pos, (pay_type, off)) in [(1, 0.0), (2, -50.0)].into_iter().enumerate() {
            let plan_rent = (rent + off).max(100.0);
            self.plans.rows.push(format!(
                "({}, {id}, {}, {pay_type}, {}, {plan_rent:.2}, {}, {plan_rent:.2}, {}, {}, {})",
                q(kind),
                pos + 1,
                if dispersion {
                    [12, 6][pos].to_string()
                } else {
                    "NULL".into()
                },
                opt(max.map(|m| m + off)),
                opt(max.map(|m| m + off)),
                if dispersion {
                    format!("{:.2}", r.gen_range(50..300) as f64)
                } else {
                    "NULL".into()
                },
                if dispersion { q("m") } else { "NULL".into() },
            ));
        }
        let n = r.gen_range(1..3);
        for (pos, (name, unit)) in FEE_NAMES.iter().take(n).enumerate() {
            self.fees.rows.push(format!(
                "({}, {id}, {}, {}, {:.2}, {})",
                q(kind),
                pos + 1,
                q(name),
                r.gen_range(30..300) as f64,
                q(unit)
            ));
        }
    }
}

/// The sample tables, each with an `id` the generator sets explicitly.
pub const TABLES: [&str; 10] = [
    "communities",
    "buildings",
    "flats",
    "bedrooms",
    "room_types",
    "rooms",
    "photos",
    "leases",
    "bills",
    "booking_answers",
];

/// Rows were inserted with explicit ids, which PostgreSQL's identity sequences do not see: move
/// each past the largest id, so the next row an operator adds by hand (the demo's and the
/// docs' examples do) does not collide. MySQL's AUTO_INCREMENT and SQLite's rowid follow the
/// largest id by themselves.
async fn advance_sequences(db: &Db) -> anyhow::Result<()> {
    if db.dialect != Dialect::Postgres {
        return Ok(());
    }
    for table in TABLES {
        let sql = format!(
            "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
             (SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"
        );
        sqlx::raw_sql(&sql)
            .execute(&db.pool)
            .await
            .map_err(|e| anyhow::anyhow!("advancing the id sequence of {table}: {e}"))?;
    }
    Ok(())
}

/// Writes the batches in dependency order, in one transaction.
async fn flush(db: &Db, batches: &mut [&mut Batch]) -> anyhow::Result<()> {
    let mut tx = db.pool.begin().await?;
    for b in batches.iter_mut() {
        for chunk in b.rows.chunks(500) {
            let mut sql = String::from(b.head);
            for (i, row) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push_str(", ");
                }
                let _ = write!(sql, "{row}");
            }
            sqlx::raw_sql(&sql)
                .execute(&mut *tx)
                .await
                .map_err(|e| anyhow::anyhow!("fixture insert failed: {e}"))?;
        }
        b.rows.clear();
    }
    tx.commit().await?;
    Ok(())
}
