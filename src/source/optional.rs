//! Which optional columns and child views an operator's database has. Found once per source by
//! asking for them with `WHERE 1 = 0` (no rows read, works the same on the three databases),
//! and remembered: the views are the operator's schema, which does not change under a running
//! daemon without a restart being the natural moment to pick the change up.

use tokio::sync::OnceCell;

use crate::db::Db;
use crate::model::FlatsTag;

/// What one source offers beyond the required columns.
#[derive(Debug, Default)]
pub struct Offered {
    dispersion: OnceCell<Vec<&'static str>>,
    concentration: OnceCell<Vec<&'static str>>,
    pay_plans: OnceCell<bool>,
    fees: OnceCell<bool>,
}

async fn selects(db: &Db, what: &str, from: &str) -> bool {
    let sql = format!("SELECT {what} FROM {from} WHERE 1 = 0");
    sqlx::query(&sql).fetch_all(&db.pool).await.is_ok()
}

/// The optional columns of `view` that it has; an error when the view itself cannot be read
/// (then nothing is remembered, and the next read asks again).
async fn probe(db: &Db, view: &str, kind: FlatsTag) -> anyhow::Result<Vec<&'static str>> {
    let wanted = super::details::columns(kind);
    if selects(db, &wanted.join(", "), view).await {
        return Ok(wanted);
    }
    if !selects(db, "room_code", view).await {
        // Let the real read report what is wrong with the view.
        anyhow::bail!("reading {view}: the view cannot be read");
    }
    let mut found = Vec::new();
    for col in &wanted {
        if selects(db, col, view).await {
            found.push(*col);
        }
    }
    // A connection lost midway must not pass for missing columns: that would resend every room
    // without them.
    if !selects(db, "room_code", view).await {
        anyhow::bail!("reading {view}: the view cannot be read");
    }
    Ok(found)
}

/// Whether a child view exists, with the main view as control: when neither reads, the
/// database is the problem, and nothing is remembered.
async fn child(db: &Db, name: &str) -> anyhow::Result<bool> {
    if selects(db, "room_code", name).await {
        return Ok(true);
    }
    if !selects(db, "room_code", super::VIEWS[0].name).await {
        anyhow::bail!("reading {name}: the database cannot be read");
    }
    Ok(false)
}

impl Offered {
    pub async fn columns(
        &self,
        db: &Db,
        view: &str,
        kind: FlatsTag,
    ) -> anyhow::Result<&[&'static str]> {
        let cell = match kind {
            FlatsTag::Dispersion => &self.dispersion,
            FlatsTag::Concentration => &self.concentration,
        };
        let cols = cell.get_or_try_init(|| probe(db, view, kind)).await?;
        Ok(cols)
    }

    /// Whether the child view `rentsync_room_pay_plans` exists.
    pub async fn pay_plans(&self, db: &Db) -> anyhow::Result<bool> {
        Ok(*self
            .pay_plans
            .get_or_try_init(|| child(db, super::lists::PAY_PLANS))
            .await?)
    }

    /// Whether the child view `rentsync_room_fees` exists.
    pub async fn fees(&self, db: &Db) -> anyhow::Result<bool> {
        Ok(*self
            .fees
            .get_or_try_init(|| child(db, super::lists::FEES))
            .await?)
    }
}
