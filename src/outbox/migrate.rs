//! Schema migrations of the state database, embedded in the binary: `rentsync migrate` and every
//! start apply what is missing, in order, each version once.

use crate::db::{Db, Dialect};

struct Migration {
    version: i64,
    postgres: &'static str,
    mysql: &'static str,
    sqlite: &'static str,
}

const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    postgres: include_str!("../../migrations/postgres/0001_outbox.sql"),
    mysql: include_str!("../../migrations/mysql/0001_outbox.sql"),
    sqlite: include_str!("../../migrations/sqlite/0001_outbox.sql"),
}];

/// Applies pending migrations; returns the versions applied.
pub async fn migrate(db: &Db) -> anyhow::Result<Vec<i64>> {
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS rentsync_migrations (version BIGINT PRIMARY KEY, applied_us BIGINT NOT NULL)",
    )
    .execute(&db.pool)
    .await?;
    let mut applied = Vec::new();
    for m in MIGRATIONS {
        let done: Option<(i64,)> =
            sqlx::query_as(&db.sql("SELECT version FROM rentsync_migrations WHERE version = ?"))
                .bind(m.version)
                .fetch_optional(&db.pool)
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
            sqlx::query(&stmt)
                .execute(&db.pool)
                .await
                .map_err(|e| anyhow::anyhow!("migration {} failed: {e}\n{stmt}", m.version))?;
        }
        let now = db.now_us().await?;
        sqlx::query(&db.sql("INSERT INTO rentsync_migrations (version, applied_us) VALUES (?, ?)"))
            .bind(m.version)
            .bind(now)
            .execute(&db.pool)
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
