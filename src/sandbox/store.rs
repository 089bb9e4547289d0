//! What the sandbox accepted: rooms, images, communities and operators. Tests and the demo compare
//! it with the source to prove the end state; it is kept in memory and, on request, in a JSON file.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StoredRoom {
    pub room_code: String,
    /// 1 分散式 dispersion, 2 集中式 concentration.
    pub flats_tag: i64,
    /// The last accepted `biz_content` of the room sync.
    pub biz_content: Value,
    pub room_status: i64,
    pub rent_status: i64,
    pub images: Vec<String>,
    /// How many room syncs and state syncs this room received (duplicates show up here).
    pub room_calls: u64,
    pub state_calls: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StoredBill {
    /// The bill as last pushed.
    pub bill: Value,
    /// Pushes that carried it; a retried push (same `trade_id`) does not count.
    pub pushes: u64,
    pub trade_id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredImage {
    pub bytes: usize,
    pub kind: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct StoredOperator {
    pub ka_name: String,
    /// The app that created it: another app's calls do not find it, and `/sandbox/spi/send`
    /// finds an app's addresses through it.
    #[serde(default)]
    pub app_id: String,
    /// Callback type → address, from `ka.service.create`.
    pub services: BTreeMap<i64, String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Store {
    /// Keyed by (flats_tag, room_code): the two families are separate namespaces.
    pub rooms: BTreeMap<String, StoredRoom>,
    pub images: HashMap<String, StoredImage>,
    /// `comm_req_id` → the `community.info.sync` request that got it.
    pub communities: BTreeMap<String, Value>,
    pub community_codes: HashSet<String>,
    pub operators: BTreeMap<String, StoredOperator>,
    /// `bill.order.sync` answers by `trade_id`, so a retried push gets the same answer.
    pub bill_pushes: HashMap<String, Value>,
    pub leases: BTreeMap<String, Value>,
    pub reservations: BTreeMap<String, Value>,
    /// Bills by `bill_no`, as last pushed, with how many pushes (new `trade_id`s) carried them.
    #[serde(default)]
    pub bills: BTreeMap<String, StoredBill>,
    /// `bill.order.sync` calls that repeated a `trade_id` (answered from memory, nothing stored).
    #[serde(default)]
    pub bill_repeats: u64,
    pub next_id: u64,
    /// The `alipay.commerce.housing.*` objects, apart from the renthouse ones.
    #[serde(default)]
    pub housing: super::housing::HousingStore,
}

pub fn room_key(flats_tag: i64, room_code: &str) -> String {
    format!("{flats_tag}:{room_code}")
}

impl Store {
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        match std::fs::read(path) {
            Ok(bytes) => Ok(serde_json::from_slice(&bytes)?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(e.into()),
        }
    }

    /// Writes through a temporary file and a rename, so a crash never leaves half a file.
    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, serde_json::to_vec(self)?)?;
        std::fs::rename(tmp, path)?;
        Ok(())
    }

    pub fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    pub fn room(&self, flats_tag: i64, room_code: &str) -> Option<&StoredRoom> {
        self.rooms.get(&room_key(flats_tag, room_code))
    }

    pub fn knows_community(&self, community_code: Option<&str>, comm_req_id: Option<&str>) -> bool {
        community_code.is_some_and(|c| self.community_codes.contains(c))
            || comm_req_id.is_some_and(|id| self.communities.contains_key(id))
    }
}
