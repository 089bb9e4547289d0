//! Database connections for both sides: the operator's source database (read-only, through the
//! contract views) and rentsync's own state database (the outbox). Both go through sqlx's `Any`
//! driver, so one code path serves PostgreSQL, MySQL/MariaDB and SQLite; where the SQL differs
//! (placeholders, `SKIP LOCKED`, the database clock) the [`Dialect`] picks the text.
//!
//! The contract keeps every column BIGINT or TEXT, because those two decode the same way on all
//! three backends through `Any`.

use std::time::Duration;

use anyhow::Context;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::AnyPool;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Postgres,
    Mysql,
    Sqlite,
}

impl Dialect {
    pub fn of_url(url: &str) -> anyhow::Result<Self> {
        let scheme = url.split(':').next().unwrap_or("");
        match scheme {
            "postgres" | "postgresql" => Ok(Dialect::Postgres),
            "mysql" | "mariadb" => Ok(Dialect::Mysql),
            "sqlite" => Ok(Dialect::Sqlite),
            other => anyhow::bail!(
                "database URL scheme {other:?} is not supported (postgres://, mysql://, sqlite://)"
            ),
        }
    }

    /// Rewrites `?` placeholders to `$1, $2, …` for PostgreSQL; the others take `?` as written.
    /// Our SQL never holds a `?` inside a string literal, so a plain scan is enough.
    pub fn sql(self, text: &str) -> String {
        if self != Dialect::Postgres {
            return text.to_string();
        }
        let mut out = String::with_capacity(text.len() + 8);
        let mut n = 0;
        for c in text.chars() {
            if c == '?' {
                n += 1;
                out.push('$');
                out.push_str(&n.to_string());
            } else {
                out.push(c);
            }
        }
        out
    }

    /// The database's own clock in microseconds since the epoch: the change feed measures its
    /// overlap window on it, never on ours, so clock skew between hosts cannot lose a row.
    pub fn now_us_sql(self) -> String {
        format!("SELECT {}", self.now_expr())
    }

    /// The database clock in microseconds as an SQL expression, so a write can stamp a row with
    /// it without a round trip of its own.
    pub fn now_expr(self) -> &'static str {
        match self {
            Dialect::Postgres => "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000000 AS BIGINT)",
            Dialect::Mysql => "CAST(UNIX_TIMESTAMP(NOW(6)) * 1000000 AS SIGNED)",
            Dialect::Sqlite => "CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)",
        }
    }

    /// `INSERT` that skips a row whose key exists (with [`Dialect::on_conflict_ignore`]): MySQL
    /// spells it before the table, the others after the values.
    pub fn insert_ignore(self) -> &'static str {
        match self {
            Dialect::Mysql => "INSERT IGNORE",
            Dialect::Postgres | Dialect::Sqlite => "INSERT",
        }
    }

    pub fn on_conflict_ignore(self) -> &'static str {
        match self {
            Dialect::Mysql => "",
            Dialect::Postgres | Dialect::Sqlite => " ON CONFLICT DO NOTHING",
        }
    }

    /// `col` ordered byte by byte, as Rust compares strings, whatever the database's collation:
    /// two streams sorted this way can be merged in Rust.
    pub fn bytewise(self, col: &str) -> String {
        match self {
            Dialect::Postgres => format!("{col} COLLATE \"C\""),
            Dialect::Mysql => format!("CAST({col} AS BINARY)"),
            Dialect::Sqlite => format!("{col} COLLATE BINARY"),
        }
    }

    /// Row locks that let several workers claim items without waiting on each other.
    pub fn skip_locked(self) -> &'static str {
        match self {
            Dialect::Postgres | Dialect::Mysql => " FOR UPDATE SKIP LOCKED",
            // SQLite has one writer at a time; the claim runs in an IMMEDIATE transaction.
            Dialect::Sqlite => "",
        }
    }
}

/// What a pool does with its database.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Writer,
    Reader,
}

/// A pool plus the dialect that goes with it.
#[derive(Clone, Debug)]
pub struct Db {
    pub pool: AnyPool,
    pub dialect: Dialect,
}

impl Db {
    pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<Self> {
        Self::connect_as(url, max_connections, Role::Writer).await
    }

    /// A pool that only reads (an operator's source database): on SQLite it may hold several
    /// connections, since a read streaming a view must not shut out the reads of its child
    /// views, and it leaves the database's journal mode as the operator set it.
    pub async fn connect_reader(url: &str, max_connections: u32) -> anyhow::Result<Self> {
        Self::connect_as(url, max_connections, Role::Reader).await
    }

    async fn connect_as(url: &str, max_connections: u32, role: Role) -> anyhow::Result<Self> {
        let (dialect, url, options, pool) = Self::options(url, max_connections, role)?;
        match pool.connect_with(options).await {
            Ok(pool) => Ok(Self { pool, dialect }),
            // The pool retries a refused connection until it times out, and then says only
            // that: one direct attempt names the cause (wrong port, server down).
            Err(sqlx::Error::PoolTimedOut) => match Self::probe(&url).await {
                Some(why) => Err(anyhow::anyhow!(why)),
                None => anyhow::bail!("cannot connect to {}: pool timed out", redact(&url)),
            },
            // sqlx's message already holds its source's: chaining it would say the cause twice.
            Err(e) => anyhow::bail!("cannot connect to {}: {e}", redact(&url)),
        }
    }

    /// A pool that connects on first use: for a source that is down at start, so its tenant can
    /// be retried while the others work.
    pub fn connect_lazy(url: &str, max_connections: u32) -> anyhow::Result<Self> {
        Self::connect_lazy_as(url, max_connections, Role::Writer)
    }

    /// As [`Db::connect_reader`], connecting on first use.
    pub fn connect_lazy_reader(url: &str, max_connections: u32) -> anyhow::Result<Self> {
        Self::connect_lazy_as(url, max_connections, Role::Reader)
    }

    fn connect_lazy_as(url: &str, max_connections: u32, role: Role) -> anyhow::Result<Self> {
        let (dialect, _, options, pool) = Self::options(url, max_connections, role)?;
        Ok(Self {
            pool: pool.connect_lazy_with(options),
            dialect,
        })
    }

    /// Why `url` cannot be reached, from one direct connection attempt. A pool only says it
    /// timed out while the server refused or did not answer; this names the cause.
    pub async fn probe(url: &str) -> Option<String> {
        use sqlx::Connection;
        sqlx::any::install_default_drivers();
        let attempt =
            tokio::time::timeout(Duration::from_secs(5), sqlx::AnyConnection::connect(url)).await;
        match attempt {
            Err(_) => Some(format!("{}: no answer within 5 s", redact(url))),
            Ok(Err(e)) => Some(format!("cannot connect to {}: {e}", redact(url))),
            Ok(Ok(c)) => {
                let _ = c.close().await;
                None
            }
        }
    }

    fn options(
        url: &str,
        max_connections: u32,
        role: Role,
    ) -> anyhow::Result<(Dialect, String, AnyConnectOptions, AnyPoolOptions)> {
        sqlx::any::install_default_drivers();
        let dialect = Dialect::of_url(url)?;
        let mut url = url.to_string();
        if dialect == Dialect::Sqlite && !url.contains("mode=") && !url.contains(":memory:") {
            url.push_str(if url.contains('?') {
                "&mode=rwc"
            } else {
                "?mode=rwc"
            });
        }
        let mut options: AnyConnectOptions = url.parse().with_context(|| redact(&url))?;
        if role == Role::Reader {
            use sqlx::ConnectOptions;
            // A scan streams a whole view for as long as its rooms take to plan: slow by design,
            // not worth a warning carrying the statement on every dry-run of a large source.
            options = options.log_slow_statements(log::LevelFilter::Debug, Duration::from_secs(1));
        }
        let pool = AnyPoolOptions::new()
            // One writer: SQLite serializes writes anyway, and a second writer would only
            // meet SQLITE_BUSY.
            .max_connections(if dialect == Dialect::Sqlite && role == Role::Writer {
                1
            } else {
                max_connections
            })
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if dialect == Dialect::Sqlite {
                        use sqlx::Executor;
                        // One statement per call: a multi-statement string may stop after the
                        // first, and synchronous=FULL would fsync every commit.
                        let pragmas: &[&str] = match role {
                            Role::Writer => &[
                                "PRAGMA journal_mode = WAL",
                                "PRAGMA busy_timeout = 5000",
                                "PRAGMA synchronous = NORMAL",
                            ],
                            // The journal mode is a setting of the file: not ours to change.
                            Role::Reader => &["PRAGMA busy_timeout = 5000"],
                        };
                        for pragma in pragmas {
                            conn.execute(*pragma).await?;
                        }
                    }
                    Ok(())
                })
            });
        Ok((dialect, url, options, pool))
    }

    pub fn sql(&self, text: &str) -> String {
        self.dialect.sql(text)
    }

    pub async fn now_us(&self) -> anyhow::Result<i64> {
        let (now,): (i64,) = sqlx::query_as(&self.dialect.now_us_sql())
            .fetch_one(&self.pool)
            .await?;
        Ok(now)
    }
}

/// The file path of a `sqlite:` URL, without its query; `None` for other schemes or memory.
pub fn sqlite_path(url: &str) -> Option<std::path::PathBuf> {
    if Dialect::of_url(url).ok()? != Dialect::Sqlite || url.contains(":memory:") {
        return None;
    }
    let path = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let path = path.split('?').next().unwrap_or(path);
    (!path.is_empty()).then(|| std::path::PathBuf::from(path))
}

/// Creates a SQLite state database file readable by its owner alone (0600, whatever the umask:
/// it holds the operator's listings), after checking that its directory exists, so a wrong path
/// is named instead of SQLite's "unable to open database file". SQLite gives its WAL and
/// shared-memory files the database file's mode. An existing file is left as it is.
pub fn create_sqlite_private(url: &str) -> anyhow::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let Some(path) = sqlite_path(url) else {
        return Ok(());
    };
    if path.exists() {
        return Ok(());
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    if !dir.is_dir() {
        anyhow::bail!(
            "{}: directory {} does not exist; create it, writable by the \
             daemon's user (under systemd, StateDirectory= creates /var/lib/rentsync)",
            path.display(),
            dir.display()
        );
    }
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
    {
        Ok(_) => Ok(()),
        // Another process created it between our check and now: it is theirs to set.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => anyhow::bail!(
            "{}: cannot create the file: {e}; check that directory {} is \
             writable by the daemon's user",
            path.display(),
            dir.display()
        ),
    }
}

/// A text column. MySQL hands TEXT columns to the `Any` driver as BLOB, so bytes are accepted
/// too and read as UTF-8.
pub fn text(row: &sqlx::any::AnyRow, col: &str) -> Result<Option<String>, sqlx::Error> {
    use sqlx::Row;
    match row.try_get::<Option<String>, _>(col) {
        Ok(v) => Ok(v),
        Err(e) => match row.try_get::<Option<Vec<u8>>, _>(col) {
            Ok(bytes) => Ok(bytes.map(|b| String::from_utf8_lossy(&b).into_owned())),
            Err(_) => Err(e),
        },
    }
}

/// A database URL with its password replaced, fit for logs and errors.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(colon) => format!("{}{}:***{}", &url[..s + 3], &creds[..colon], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_gets_numbered_placeholders() {
        assert_eq!(
            Dialect::Postgres.sql("a = ? AND b = ?"),
            "a = $1 AND b = $2"
        );
        assert_eq!(Dialect::Mysql.sql("a = ?"), "a = ?");
    }

    #[tokio::test]
    async fn sqlite_runs_in_wal_mode_without_a_sync_per_commit() {
        let dir = std::env::temp_dir().join(format!("rentsync-db-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let db = Db::connect(&format!("sqlite://{}/s.db", dir.display()), 1)
            .await
            .unwrap();
        let (mode,): (String,) = sqlx::query_as("PRAGMA journal_mode")
            .fetch_one(&db.pool)
            .await
            .unwrap();
        let (sync,): (i64,) = sqlx::query_as("PRAGMA synchronous")
            .fetch_one(&db.pool)
            .await
            .unwrap();
        assert_eq!(
            (mode.as_str(), sync),
            ("wal", 1),
            "WAL with synchronous = NORMAL"
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact("postgres://app:s3cret@db:5432/x"),
            "postgres://app:***@db:5432/x"
        );
        assert_eq!(redact("sqlite://state.db"), "sqlite://state.db");
    }
}
