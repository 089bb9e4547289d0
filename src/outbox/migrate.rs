//! Schema migrations of the state database, embedded in the binary: `rentsync migrate` and every
//! start apply what is missing, in order, each version once.

use crate::db::{Db, Dialect};

struct Migration {
    version: i64,
    postgres: &'static str,
    mysql: &'static str,
    sqlite: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        postgres: include_str!("../../migrations/postgres/0001_outbox.sql"),
        mysql: include_str!("../../migrations/mysql/0001_outbox.sql"),
        sqlite: include_str!("../../migrations/sqlite/0001_outbox.sql"),
    },
    Migration {
        version: 2,
        postgres: include_str!("../../migrations/postgres/0002_lifecycle.sql"),
        mysql: include_str!("../../migrations/mysql/0002_lifecycle.sql"),
        sqlite: include_str!("../../migrations/sqlite/0002_lifecycle.sql"),
    },
    Migration {
        version: 3,
        postgres: include_str!("../../migrations/postgres/0003_last_sent.sql"),
        mysql: include_str!("../../migrations/mysql/0003_last_sent.sql"),
        sqlite: include_str!("../../migrations/sqlite/0003_last_sent.sql"),
    },
    Migration {
        version: 4,
        postgres: include_str!("../../migrations/postgres/0004_tmall.sql"),
        mysql: include_str!("../../migrations/mysql/0004_tmall.sql"),
        sqlite: include_str!("../../migrations/sqlite/0004_tmall.sql"),
    },
    Migration {
        version: 5,
        postgres: include_str!("../../migrations/postgres/0005_claim_by_kind.sql"),
        mysql: include_str!("../../migrations/mysql/0005_claim_by_kind.sql"),
        sqlite: include_str!("../../migrations/sqlite/0005_claim_by_kind.sql"),
    },
    Migration {
        version: 6,
        postgres: include_str!("../../migrations/postgres/0006_tasks.sql"),
        mysql: include_str!("../../migrations/mysql/0006_tasks.sql"),
        sqlite: include_str!("../../migrations/sqlite/0006_tasks.sql"),
    },
    Migration {
        version: 7,
        postgres: include_str!("../../migrations/postgres/0007_spi.sql"),
        mysql: include_str!("../../migrations/mysql/0007_spi.sql"),
        sqlite: include_str!("../../migrations/sqlite/0007_spi.sql"),
    },
    Migration {
        version: 10,
        postgres: include_str!("../../migrations/postgres/0010_tmall_bans.sql"),
        mysql: include_str!("../../migrations/mysql/0010_tmall_bans.sql"),
        sqlite: include_str!("../../migrations/sqlite/0010_tmall_bans.sql"),
    },
    Migration {
        version: 13,
        postgres: include_str!("../../migrations/postgres/0013_trade.sql"),
        mysql: include_str!("../../migrations/mysql/0013_trade.sql"),
        sqlite: include_str!("../../migrations/sqlite/0013_trade.sql"),
    },
];

/// Applies pending migrations; returns the versions applied. Replicas that start together
/// take turns: on PostgreSQL and MySQL the whole run holds a database lock on one connection, so
/// two never create the same table at once.
pub async fn migrate(db: &Db) -> anyhow::Result<Vec<i64>> {
    let mut conn = db.pool.acquire().await?;
    let (lock, unlock) = match db.dialect {
        Dialect::Postgres => (
            "SELECT pg_advisory_lock(7265746) AS ok",
            "SELECT pg_advisory_unlock(7265746) AS ok",
        ),
        Dialect::Mysql => (
            "SELECT GET_LOCK('rentsync_migrate', 120) AS ok",
            "SELECT RELEASE_LOCK('rentsync_migrate') AS ok",
        ),
        Dialect::Sqlite => ("", ""),
    };
    if !lock.is_empty() {
        sqlx::query(lock).execute(&mut *conn).await?;
    }
    let result = apply(db, &mut conn).await;
    if !unlock.is_empty() {
        sqlx::query(unlock).execute(&mut *conn).await?;
    }
    result
}

async fn apply(db: &Db, conn: &mut sqlx::AnyConnection) -> anyhow::Result<Vec<i64>> {
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS rentsync_migrations (version BIGINT PRIMARY KEY, applied_us BIGINT NOT NULL)",
    )
    .execute(&mut *conn)
    .await?;
    let mut applied = Vec::new();
    for m in MIGRATIONS {
        let done: Option<(i64,)> =
            sqlx::query_as(&db.sql("SELECT version FROM rentsync_migrations WHERE version = ?"))
                .bind(m.version)
                .fetch_optional(&mut *conn)
                .await?;
        if done.is_some() {
            continue;
        }
        let text = match db.dialect {
            Dialect::Postgres => m.postgres,
            Dialect::Mysql => m.mysql,
            Dialect::Sqlite => m.sqlite,
        };
        // Statements are idempotent (IF NOT EXISTS), so a crash half-way is repaired by a rerun.
        for stmt in statements(text) {
            match sqlx::query(&stmt).execute(&mut *conn).await {
                Ok(_) => {}
                // SQLite has no ADD COLUMN IF NOT EXISTS, MySQL no CREATE INDEX IF NOT EXISTS:
                // a column or index made before a crash is there.
                Err(e)
                    if e.to_string().contains("duplicate column name")
                        || e.to_string().contains("Duplicate key name") => {}
                Err(e) => anyhow::bail!("migration {} failed: {e}\n{stmt}", m.version),
            }
        }
        let (now,): (i64,) = sqlx::query_as(&db.dialect.now_us_sql())
            .fetch_one(&mut *conn)
            .await?;
        sqlx::query(&db.sql("INSERT INTO rentsync_migrations (version, applied_us) VALUES (?, ?)"))
            .bind(m.version)
            .bind(now)
            .execute(&mut *conn)
            .await?;
        applied.push(m.version);
    }
    Ok(applied)
}

/// Splits on `;` and drops comment lines; our migrations hold no `;` inside literals.
fn statements(text: &str) -> Vec<String> {
    text.split(';')
        .map(|s| {
            s.lines()
                .filter(|l| !l.trim_start().starts_with("--"))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}
