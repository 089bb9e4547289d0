//! Outbox items: one row per (tenant, kind, room code), holding what the platform should show
//! (the listing and its hashes) beside what it was last seen to accept (`synced_*`).
//!
//! Life of an item (architecture decision 3): `pending` → `leased` → `done`, or `retry` (transient
//! error, `next_attempt_us` in the row), `failed` (the platform refused; kept with code and message
//! until the source changes or `rentsync retry`), `invalid` (breaks a rule; never sent). A newer
//! listing replaces the queued one in place, so 100 edits of a room cost at most one call in
//! flight plus one for the latest. A worker holds a lease with an expiry and a fencing token, renews
//! it while it works and checks it before every call: when its lease was lost to another worker, it
//! stops, and its late writes match no row and change nothing.
//!
//! `synced_*` say what the platform shows. Before a call that can change a room, they are set to
//! [`UNCONFIRMED`]: a call the platform applied but never answered leaves the room "maybe on the
//! platform", so an off-shelf or a resend still follows. A confirmed answer writes the real values.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

use super::{ClaimMix, Outbox};

/// The guard of every write a lease holder makes: the row must still be its lease, under the
/// fencing token it claimed. Bound by `fenced`.
const FENCED: &str =
    "WHERE tenant = ? AND kind = ? AND item_key = ? AND fencing = ? AND lease_owner = ?";

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

/// Binds `FENCED`'s parameters for `item`, after the statement's own.
fn fenced<'q>(query: AnyQuery<'q>, item: &'q ClaimedItem) -> AnyQuery<'q> {
    query
        .bind(&item.tenant)
        .bind(&item.kind)
        .bind(&item.key)
        .bind(item.fencing)
        .bind(&item.owner)
}
use crate::plan::{InvalidListings, Listing, Plan};

/// The kinds of item, each claimed in turn (see [`Outbox::claim_mixed`]).
pub(super) const CLAIM_KINDS: [&str; 2] = ["dispersion", "concentration"];

/// `synced_payload_hash` / `synced_state` while a call is unanswered: the platform may or may not
/// have applied it.
pub const UNCONFIRMED: &str = "unconfirmed";

/// True when the platform may show the room on shelf: last seen on shelf, or a call unanswered.
pub fn maybe_live(synced_state: Option<&str>) -> bool {
    synced_state.is_some_and(|s| s == UNCONFIRMED || s.starts_with("on/"))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    Pending,
    Leased,
    Done,
    Retry,
    Failed,
    Invalid,
}

impl ItemStatus {
    pub const ALL: [ItemStatus; 6] = [
        ItemStatus::Pending,
        ItemStatus::Leased,
        ItemStatus::Done,
        ItemStatus::Retry,
        ItemStatus::Failed,
        ItemStatus::Invalid,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ItemStatus::Pending => "pending",
            ItemStatus::Leased => "leased",
            ItemStatus::Done => "done",
            ItemStatus::Retry => "retry",
            ItemStatus::Failed => "failed",
            ItemStatus::Invalid => "invalid",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// An item a worker holds.
#[derive(Debug, Clone)]
pub struct ClaimedItem {
    pub tenant: String,
    pub kind: String,
    pub key: String,
    pub listing: Listing,
    pub content_hash: String,
    pub state: String,
    pub synced_payload_hash: Option<String>,
    pub synced_state: Option<String>,
    pub attempts: i64,
    pub fencing: i64,
    pub owner: String,
    /// The rule breaks of the queued listing, when it breaks any: never sent.
    pub invalid_reason: Option<String>,
    pub lease: Arc<LeaseWatch>,
}

/// How long a worker may still act on its lease, as this process sees it.
#[derive(Debug)]
pub struct LeaseWatch {
    lost: AtomicBool,
    // A std mutex around an Instant: read and written without await points.
    until: Mutex<Instant>,
    length: Duration,
}

impl LeaseWatch {
    /// `since` is taken before the database stamped the lease, so the estimate errs early.
    pub(super) fn new(since: Instant, length: Duration) -> Self {
        Self {
            lost: AtomicBool::new(false),
            until: Mutex::new(since + length),
            length,
        }
    }

    pub fn length(&self) -> Duration {
        self.length
    }

    pub(super) fn renewed(&self, since: Instant) {
        *self.until.lock().unwrap_or_else(|p| p.into_inner()) = since + self.length;
    }

    pub fn lose(&self) {
        self.lost.store(true, Ordering::Relaxed);
    }

    /// Safe to start a call: not lost, and more than a quarter of the lease left, so a call that
    /// starts now ends (or times out) while the lease is still ours.
    pub fn holds(&self) -> bool {
        if self.lost.load(Ordering::Relaxed) {
            return false;
        }
        let until = *self.until.lock().unwrap_or_else(|p| p.into_inner());
        Instant::now() + self.length / 4 < until
    }
}

/// How a worker leaves an item.
#[derive(Debug, Clone)]
pub enum Finish {
    Done {
        warnings: Option<String>,
    },
    Retry {
        delay_us: i64,
        code: String,
        message: String,
    },
    Failed {
        code: String,
        message: String,
    },
    /// The exact payload breaks a platform rule: nothing (more) is sent until the source changes.
    Invalid {
        message: String,
    },
    /// Shutdown: back to pending, attempts unchanged.
    Release,
}

/// What `enqueue` did with a batch.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct EnqueueCounts {
    pub created: u64,
    pub changed: u64,
    pub unchanged: u64,
    pub invalid: u64,
}

/// The stored view of an item, for planning and reports.
#[derive(Debug, Clone)]
pub struct ItemSummary {
    pub content_hash: String,
    pub state: String,
    pub status: ItemStatus,
    pub synced_payload_hash: Option<String>,
    pub synced_state: Option<String>,
    pub active: bool,
    /// The queued listing breaks a rule.
    pub invalid: bool,
}

fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}

impl Outbox {
    /// Stored summaries of these keys.
    pub async fn lookup(
        &self,
        tenant: &str,
        kind: &str,
        keys: &[&str],
    ) -> anyhow::Result<HashMap<String, ItemSummary>> {
        let mut out = HashMap::with_capacity(keys.len());
        for chunk in keys.chunks(500) {
            let sql = self.db.sql(&format!(
                "SELECT item_key, content_hash, state, status, synced_payload_hash, synced_state, listing, \
                 invalid_reason \
                 FROM rentsync_items WHERE tenant = ? AND kind = ? AND item_key IN ({})",
                placeholders(chunk.len())
            ));
            let mut q = sqlx::query(&sql).bind(tenant).bind(kind);
            for k in chunk {
                q = q.bind(*k);
            }
            for row in q.fetch_all(&self.db.pool).await? {
                let listing = crate::db::text(&row, "listing")?.unwrap_or_default();
                let status: String = row.try_get("status")?;
                out.insert(
                    row.try_get("item_key")?,
                    ItemSummary {
                        content_hash: row.try_get("content_hash")?,
                        state: row.try_get("state")?,
                        status: ItemStatus::parse(&status).unwrap_or(ItemStatus::Pending),
                        synced_payload_hash: row.try_get("synced_payload_hash")?,
                        synced_state: row.try_get("synced_state")?,
                        active: !listing.contains("\"active\":false"),
                        invalid: crate::db::text(&row, "invalid_reason")?.is_some(),
                    },
                );
            }
        }
        Ok(out)
    }

    /// Queues plans: new rooms are created, changed ones replace what was queued, unchanged ones
    /// cost one indexed read. A rule break queues the item as `invalid` with its message, or as
    /// `pending` when the policy takes a room that may be live off shelf.
    ///
    /// Every write is a compare-and-set on the source version: a plan older than what is queued
    /// (a slow full scan beside another replica's poll) changes nothing, and two replicas that
    /// insert the same new room at once both succeed, one of them as an update.
    pub async fn enqueue(
        &self,
        tenant: &str,
        plans: &[Plan],
        policy: InvalidListings,
    ) -> anyhow::Result<EnqueueCounts> {
        let mut counts = EnqueueCounts::default();
        let now = self.db.now_us().await?;
        let mut by_kind: HashMap<&str, Vec<&Plan>> = HashMap::new();
        for p in plans {
            by_kind.entry(p.listing.kind_label()).or_default().push(p);
        }
        let insert = self.db.sql(&format!(
            "{} INTO rentsync_items (tenant, kind, item_key, listing, content_hash, state, status, \
             last_code, last_error, invalid_reason, source_version, updated_us) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?){}",
            self.db.dialect.insert_ignore(),
            self.db.dialect.on_conflict_ignore()
        ));
        // A leased item keeps its lease: the worker sees the newer hash when it finishes and leaves
        // the item pending, and the next holder sees `invalid_reason` (decision 3).
        let update = self.db.sql(
            "UPDATE rentsync_items SET status = CASE WHEN status = 'leased' THEN 'leased' ELSE ? END, \
             listing = ?, content_hash = ?, state = ?, attempts = 0, next_attempt_us = 0, \
             last_code = ?, last_error = ?, invalid_reason = ?, source_version = ?, updated_us = ? \
             WHERE tenant = ? AND kind = ? AND item_key = ? AND source_version <= ?",
        );
        for (kind, group) in by_kind {
            for chunk in group.chunks(500) {
                let keys: Vec<&str> = chunk.iter().map(|p| p.listing.room_code()).collect();
                let existing = self.lookup(tenant, kind, &keys).await?;
                let mut tx = self.db.pool.begin().await?;
                for p in chunk {
                    let key = p.listing.room_code();
                    let old = existing.get(key);
                    let error = (!p.is_valid()).then(|| p.error_text());
                    let status = match &error {
                        None => ItemStatus::Pending,
                        Some(_) => {
                            counts.invalid += 1;
                            let live = old.is_some_and(|o| maybe_live(o.synced_state.as_deref()));
                            if policy == InvalidListings::OffShelf && live {
                                ItemStatus::Pending
                            } else {
                                ItemStatus::Invalid
                            }
                        }
                    };
                    // `active` is compared on its own too: rows queued before the content hash
                    // covered it hold a restored room's hash, and would never be worked.
                    if old.is_some_and(|o| {
                        o.content_hash == p.content_hash
                            && o.state == p.state
                            && o.active == p.listing.active
                            && o.invalid == error.is_some()
                    }) {
                        counts.unchanged += 1;
                        continue;
                    }
                    let listing = serde_json::to_string(&p.listing)?;
                    let code = error.as_ref().map(|_| "invalid");
                    if old.is_none() {
                        let inserted = sqlx::query(&insert)
                            .bind(tenant)
                            .bind(kind)
                            .bind(key)
                            .bind(&listing)
                            .bind(&p.content_hash)
                            .bind(&p.state)
                            .bind(status.as_str())
                            .bind(code)
                            .bind(error.as_deref())
                            .bind(error.as_deref())
                            .bind(p.version)
                            .bind(now)
                            .execute(&mut *tx)
                            .await?;
                        if inserted.rows_affected() == 1 {
                            counts.created += 1;
                            continue;
                        }
                    }
                    let updated = sqlx::query(&update)
                        .bind(status.as_str())
                        .bind(&listing)
                        .bind(&p.content_hash)
                        .bind(&p.state)
                        .bind(code)
                        .bind(error.as_deref())
                        .bind(error.as_deref())
                        .bind(p.version)
                        .bind(now)
                        .bind(tenant)
                        .bind(kind)
                        .bind(key)
                        .bind(p.version)
                        .execute(&mut *tx)
                        .await?;
                    if updated.rows_affected() == 1 {
                        counts.changed += 1;
                    } else {
                        // A newer version of the row is queued already.
                        counts.unchanged += 1;
                    }
                }
                tx.commit().await?;
            }
        }
        Ok(counts)
    }

    /// Leases up to `limit` due items of a tenant to `owner` for `lease`, the kinds in turn.
    pub async fn claim(
        &self,
        tenant: &str,
        owner: &str,
        limit: usize,
        lease: Duration,
    ) -> anyhow::Result<Vec<ClaimedItem>> {
        self.claim_mixed(tenant, owner, limit, lease, &mut ClaimMix::default())
            .await
    }

    /// Items not yet done per kind (pending, retrying or leased): what the worker weighs the
    /// kinds by. One indexed count per claim weighing, not per claim.
    pub async fn backlog(&self, tenant: &str) -> anyhow::Result<HashMap<String, i64>> {
        let rows: Vec<(String, i64)> = sqlx::query_as(&self.db.sql(
            "SELECT kind, COUNT(*) FROM rentsync_items WHERE tenant = ? \
             AND status IN ('pending', 'retry', 'leased') GROUP BY kind",
        ))
        .bind(tenant)
        .fetch_all(&self.db.pool)
        .await?;
        Ok(rows.into_iter().collect())
    }

    /// As [`Outbox::claim`], the slots divided between the kinds by `mix`.
    pub async fn claim_mixed(
        &self,
        tenant: &str,
        owner: &str,
        limit: usize,
        lease: Duration,
        mix: &mut ClaimMix,
    ) -> anyhow::Result<Vec<ClaimedItem>> {
        let since = Instant::now();
        let lease_us = lease.as_micros() as i64;
        let now = self.db.now_us().await?;
        let mut tx = self.db.pool.begin().await?;
        // Each kind goes through its own platform method with its own rate limit. Claimed in one
        // queue, a backlog of one kind would keep the workers on that method's limit while the
        // other's sat idle: the run would take the sum of the two instead of the longer one. So
        // each kind is read on its own and the claims divide the slots between them (`mix`).
        // One statement per status, not one with an OR or an IN: each walks the claim index
        // (tenant, kind, status, next_attempt_us) in order and reads only the rows it returns.
        // The OR made SQLite read every row of the kind, done ones included, listing and all,
        // then sort, on each claim, inside the claim's transaction while every worker's other
        // writes waited behind it: a cost that grew with the outbox (issue 15).
        let select = |filter: &str, order: &str| {
            self.db.sql(&format!(
                "SELECT kind, item_key, listing, content_hash, state, synced_payload_hash, \
                 synced_state, attempts, fencing, invalid_reason, next_attempt_us \
                 FROM rentsync_items WHERE tenant = ? AND kind = ? AND {filter} {order} LIMIT {}{}",
                limit.max(1),
                self.db.dialect.skip_locked()
            ))
        };
        let expired = select("status = 'leased' AND lease_expires_us < ?", "");
        let pending = select(
            "status = 'pending' AND next_attempt_us <= ?",
            "ORDER BY next_attempt_us",
        );
        let retry = select(
            "status = 'retry' AND next_attempt_us <= ?",
            "ORDER BY next_attempt_us",
        );
        let mut queues = Vec::with_capacity(CLAIM_KINDS.len());
        for kind in CLAIM_KINDS {
            // Expired leases first: their items were due before anything queued since. Then
            // pending and retrying items together, oldest due first.
            let mut found: Vec<(bool, i64, AnyRow)> = Vec::new();
            for (waiting, sql) in [(false, &expired), (true, &pending), (true, &retry)] {
                for row in sqlx::query(sql)
                    .bind(tenant)
                    .bind(kind)
                    .bind(now)
                    .fetch_all(&mut *tx)
                    .await?
                {
                    let due: i64 = row.try_get("next_attempt_us")?;
                    found.push((waiting, due, row));
                }
            }
            found.sort_by_key(|(waiting, due, _)| (*waiting, *due));
            let mut rows: Vec<AnyRow> = found.into_iter().map(|(_, _, row)| row).collect();
            rows.truncate(limit.max(1));
            queues.push(rows.into_iter());
        }
        let mut rows = Vec::with_capacity(limit);
        while rows.len() < limit.max(1) {
            let mut available = [false; CLAIM_KINDS.len()];
            for (a, q) in available.iter_mut().zip(&queues) {
                *a = q.len() > 0;
            }
            let Some(k) = mix.next(&available) else {
                break;
            };
            rows.extend(queues[k].next());
        }
        let mut items = Vec::with_capacity(rows.len());
        for row in rows {
            let kind: String = row.try_get("kind")?;
            let key: String = row.try_get("item_key")?;
            let fencing: i64 = row.try_get::<i64, _>("fencing")? + 1;
            sqlx::query(&self.db.sql(
                "UPDATE rentsync_items SET status = 'leased', lease_owner = ?, lease_expires_us = ?, \
                 fencing = ? WHERE tenant = ? AND kind = ? AND item_key = ?",
            ))
            .bind(owner)
            .bind(now + lease_us)
            .bind(fencing)
            .bind(tenant)
            .bind(&kind)
            .bind(&key)
            .execute(&mut *tx)
            .await?;
            let listing = crate::db::text(&row, "listing")?.unwrap_or_default();
            items.push(ClaimedItem {
                tenant: tenant.to_string(),
                listing: serde_json::from_str(&listing)?,
                content_hash: row.try_get("content_hash")?,
                state: row.try_get("state")?,
                synced_payload_hash: row.try_get("synced_payload_hash")?,
                synced_state: row.try_get("synced_state")?,
                attempts: row.try_get("attempts")?,
                invalid_reason: crate::db::text(&row, "invalid_reason")?,
                lease: Arc::new(LeaseWatch::new(since, lease)),
                fencing,
                owner: owner.to_string(),
                kind,
                key,
            });
        }
        tx.commit().await?;
        Ok(items)
    }

    /// Extends a lease by its length from now. False when it was lost (and marks it so).
    pub async fn renew(&self, item: &ClaimedItem) -> anyhow::Result<bool> {
        let since = Instant::now();
        let sql = self.db.sql(&format!(
            "UPDATE rentsync_items SET lease_expires_us = {} + ? {FENCED} AND status = 'leased'",
            self.db.dialect.now_expr()
        ));
        let query = sqlx::query(&sql).bind(item.lease.length().as_micros() as i64);
        let done = fenced(query, item).execute(&self.db.pool).await?;
        if done.rows_affected() == 1 {
            item.lease.renewed(since);
            Ok(true)
        } else {
            item.lease.lose();
            Ok(false)
        }
    }

    /// Records what the platform shows now: after a confirmed answer (with the room as sent, when
    /// its content went out), or [`UNCONFIRMED`] before a call that may change it. `None` leaves a
    /// value as it is. False when the lease was lost.
    pub async fn record_progress(
        &self,
        item: &ClaimedItem,
        payload_hash: Option<&str>,
        sent: Option<&str>,
        state: Option<&str>,
    ) -> anyhow::Result<bool> {
        // `last_sent` keeps the room as the platform accepted it, with the time, for `explain`.
        let now = self.db.dialect.now_expr();
        let sql = self.db.sql(&format!(
            "UPDATE rentsync_items SET synced_payload_hash = COALESCE(?, synced_payload_hash), \
             synced_state = COALESCE(?, synced_state), calls = calls + ?, \
             last_sent_us = CASE WHEN ? IS NULL THEN last_sent_us ELSE {now} END, \
             last_sent = COALESCE(?, last_sent) {FENCED}"
        ));
        let confirmed = i64::from(state.is_some_and(|s| s != UNCONFIRMED));
        let query = sqlx::query(&sql)
            .bind(payload_hash)
            .bind(state)
            .bind(confirmed)
            .bind(sent)
            .bind(sent);
        let done = fenced(query, item).execute(&self.db.pool).await?;
        Ok(done.rows_affected() == 1)
    }

    /// Puts back what the platform showed before a call it refused outright (it applied nothing).
    pub async fn restore_synced(
        &self,
        item: &ClaimedItem,
        payload_hash: Option<&str>,
        state: Option<&str>,
    ) -> anyhow::Result<bool> {
        let sql = self.db.sql(&format!(
            "UPDATE rentsync_items SET synced_payload_hash = ?, synced_state = ? {FENCED}"
        ));
        let query = sqlx::query(&sql).bind(payload_hash).bind(state);
        let done = fenced(query, item).execute(&self.db.pool).await?;
        Ok(done.rows_affected() == 1)
    }

    /// Ends a lease. If the source changed meanwhile the item goes back to `pending` for the newer
    /// listing instead of the outcome of the older one; its `invalid_reason`, written by the feed,
    /// stays for the next holder to honour.
    pub async fn finish(&self, item: &ClaimedItem, how: Finish) -> anyhow::Result<bool> {
        // (status, reset attempts, add to attempts, delay, code, message, warnings)
        let (status, reset, add, delay_us, code, message, warnings) = match how {
            Finish::Done { warnings } => ("done", 1, 0, 0, None, None, warnings),
            Finish::Retry {
                delay_us,
                code,
                message,
            } => ("retry", 0, 1, delay_us, Some(code), Some(message), None),
            Finish::Failed { code, message } => {
                ("failed", 0, 1, 0, Some(code), Some(message), None)
            }
            Finish::Invalid { message } => (
                "invalid",
                1,
                0,
                0,
                Some("invalid".to_string()),
                Some(message),
                None,
            ),
            Finish::Release => ("pending", 0, 0, 0, None, None, None),
        };
        // Delays count from the database clock, stamped in the statement itself. MySQL applies
        // SET clauses left to right: `status` is decided before anything it reads is changed.
        let now = self.db.dialect.now_expr();
        let sql = format!(
            "UPDATE rentsync_items SET \
             status = CASE WHEN content_hash = ? AND state = ? THEN ? ELSE 'pending' END, \
             attempts = CASE WHEN ? = 1 THEN 0 ELSE attempts + ? END, \
             next_attempt_us = {now} + ?, \
             last_code = CASE WHEN content_hash = ? AND state = ? THEN ? ELSE last_code END, \
             last_error = CASE WHEN content_hash = ? AND state = ? THEN ? ELSE last_error END, \
             warnings = ?, lease_owner = NULL, lease_expires_us = NULL, updated_us = {now} {FENCED}"
        );
        let sql = self.db.sql(&sql);
        let (hash, state) = (&item.content_hash, &item.state);
        let query = sqlx::query(&sql)
            .bind(hash)
            .bind(state)
            .bind(status)
            .bind(reset)
            .bind(add)
            .bind(delay_us)
            .bind(hash)
            .bind(state)
            .bind(code)
            .bind(hash)
            .bind(state)
            .bind(message)
            .bind(warnings);
        let done = fenced(query, item).execute(&self.db.pool).await?;
        Ok(done.rows_affected() == 1)
    }

    /// Returns every lease of `owner` to the queue (graceful shutdown).
    pub async fn release_owner(&self, owner: &str) -> anyhow::Result<u64> {
        let r = sqlx::query(&self.db.sql(
            "UPDATE rentsync_items SET status = 'pending', lease_owner = NULL, lease_expires_us = NULL \
             WHERE status = 'leased' AND lease_owner = ?",
        ))
        .bind(owner)
        .execute(&self.db.pool)
        .await?;
        Ok(r.rows_affected())
    }

    /// `rentsync retry`: failed items back to pending. Invalid ones (on request) are re-planned
    /// from the source, not sent: their hash is cleared so the next scan queues them afresh, valid
    /// or still invalid.
    pub async fn requeue(
        &self,
        tenant: Option<&str>,
        include_invalid: bool,
    ) -> anyhow::Result<u64> {
        let scope = if tenant.is_some() {
            " AND tenant = ?"
        } else {
            ""
        };
        let mut n = 0;
        let mut statements = vec![format!(
            "UPDATE rentsync_items SET status = 'pending', attempts = 0, next_attempt_us = 0 \
             WHERE status = 'failed'{scope}"
        )];
        if include_invalid {
            statements.push(format!(
                "UPDATE rentsync_items SET content_hash = '' \
                 WHERE (status = 'invalid' OR invalid_reason IS NOT NULL){scope}"
            ));
        }
        for sql in statements {
            let sql = self.db.sql(&sql);
            let mut q = sqlx::query(&sql);
            if let Some(t) = tenant {
                q = q.bind(t);
            }
            n += q.execute(&self.db.pool).await?.rows_affected();
        }
        Ok(n)
    }

    /// A tenant's items that may be listed on the platform (for finding deletes): synced or
    /// unconfirmed, and still meant to be listed.
    pub async fn active_keys(
        &self,
        tenant: &str,
        kind: &str,
    ) -> anyhow::Result<Vec<(String, Listing)>> {
        let rows = sqlx::query(&self.db.sql(
            "SELECT item_key, listing FROM rentsync_items WHERE tenant = ? AND kind = ? \
             AND synced_state IS NOT NULL",
        ))
        .bind(tenant)
        .bind(kind)
        .fetch_all(&self.db.pool)
        .await?;
        let mut out = Vec::new();
        for row in rows {
            let listing: Listing =
                serde_json::from_str(&crate::db::text(&row, "listing")?.unwrap_or_default())?;
            if listing.active {
                out.push((row.try_get("item_key")?, listing));
            }
        }
        Ok(out)
    }

    /// How many of a tenant's rooms of `kind` may be on shelf now (the mass-delist guard's base).
    pub async fn live_count(&self, tenant: &str, kind: &str) -> anyhow::Result<i64> {
        let (n,): (i64,) = sqlx::query_as(&self.db.sql(
            "SELECT COUNT(*) FROM rentsync_items WHERE tenant = ? AND kind = ? \
             AND (synced_state = ? OR synced_state LIKE 'on/%')",
        ))
        .bind(tenant)
        .bind(kind)
        .bind(UNCONFIRMED)
        .fetch_one(&self.db.pool)
        .await?;
        Ok(n)
    }
}
