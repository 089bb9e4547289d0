//! The database hand-off: one INSERT per callback into a database the operator names for it,
//! through their own statement with named parameters (`:event_id`, `:tenant`, `:type`,
//! `:received_at`, `:params`, `:phone`). Never the read-only source database (refused by config
//! validation). The statement should ignore a repeated `event_id` (deliveries are at least
//! once); a unique-key refusal is taken as "already delivered".

use std::time::Duration;

use async_trait::async_trait;

use super::{event_of, retry, Delivery, INSERT_KIND};
use crate::db::Db;
use crate::outbox::{Outbox, Task, TaskOutcome};
use crate::spi::aes::DataKey;
use crate::spi::config::DeliverConfig;
use crate::worker::TaskHandler;

/// The values a statement may name.
const NAMES: &[&str] = &[
    "event_id",
    "tenant",
    "type",
    "received_at",
    "params",
    "phone",
];

/// The operator's statement with `?` in place of each named parameter, and the names in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub sql: String,
    pub names: Vec<&'static str>,
}

impl Statement {
    /// One INSERT; `:name` outside quotes is a parameter (PostgreSQL's `::` casts are left alone).
    pub fn parse(text: &str) -> Result<Statement, String> {
        let trimmed = text.trim().trim_end_matches(';').trim();
        if !trimmed
            .get(..6)
            .is_some_and(|w| w.eq_ignore_ascii_case("insert"))
        {
            return Err("must be one INSERT statement".into());
        }
        let chars: Vec<char> = trimmed.chars().collect();
        let (mut sql, mut names) = (String::new(), Vec::new());
        let mut quote: Option<char> = None;
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if let Some(q) = quote {
                if c == q {
                    quote = None;
                }
                sql.push(c);
                i += 1;
                continue;
            }
            match c {
                '\'' | '"' | '`' => {
                    quote = Some(c);
                    sql.push(c);
                    i += 1;
                }
                ';' => return Err("must be one statement (no ';')".into()),
                '?' => return Err("use named parameters (:event_id …), not '?'".into()),
                ':' if chars.get(i + 1) == Some(&':') => {
                    sql.push_str("::");
                    i += 2;
                }
                ':' if chars.get(i + 1).is_some_and(|n| n.is_ascii_alphabetic()) => {
                    let start = i + 1;
                    let mut end = start;
                    while end < chars.len()
                        && (chars[end].is_ascii_alphanumeric() || chars[end] == '_')
                    {
                        end += 1;
                    }
                    let name: String = chars[start..end].iter().collect();
                    let Some(known) = NAMES.iter().find(|n| **n == name) else {
                        return Err(format!(
                            "unknown parameter :{name} (known: {})",
                            NAMES.join(", ")
                        ));
                    };
                    names.push(*known);
                    sql.push('?');
                    i = end;
                }
                _ => {
                    sql.push(c);
                    i += 1;
                }
            }
        }
        if quote.is_some() {
            return Err("unterminated quote".into());
        }
        if !names.contains(&"event_id") {
            return Err("must use :event_id, so a repeated delivery can be ignored".into());
        }
        Ok(Statement { sql, names })
    }
}

pub struct InsertHandler {
    db: Db,
    statement: Statement,
    timeout: Duration,
    data_key: DataKey,
}

impl InsertHandler {
    pub fn new(cfg: &DeliverConfig, data_key: DataKey) -> anyhow::Result<Self> {
        let url = cfg.insert_database.as_deref().unwrap_or_default();
        let text = cfg.insert_statement.as_deref().unwrap_or_default();
        let statement = Statement::parse(text)
            .map_err(|e| anyhow::anyhow!("spi.deliver.insert_statement: {e}"))?;
        Ok(Self {
            // Lazy: a receiving database that is down delays deliveries, not the daemon.
            db: Db::connect_lazy(url, 2)?,
            statement,
            timeout: Duration::from_secs(cfg.timeout_secs.max(1)),
            data_key,
        })
    }

    async fn insert(&self, d: &Delivery) -> Result<(), sqlx::Error> {
        let sql = self.db.sql(&self.statement.sql);
        let params = d.params.to_string();
        let mut q = sqlx::query(&sql);
        for name in &self.statement.names {
            q = match *name {
                "event_id" => q.bind(d.event_id.clone()),
                "tenant" => q.bind(d.tenant.clone()),
                "type" => q.bind(d.callback_type.clone()),
                "received_at" => q.bind(d.received_at.clone()),
                "params" => q.bind(params.clone()),
                _ => q.bind(d.phone.as_ref().map(|p| p.expose().to_string())),
            };
        }
        q.execute(&self.db.pool).await.map(|_| ())
    }
}

#[async_trait]
impl TaskHandler for InsertHandler {
    fn kinds(&self) -> Vec<&'static str> {
        vec![INSERT_KIND]
    }

    async fn work(&self, outbox: &Outbox, task: &Task) -> TaskOutcome {
        let Some(event_id) = event_of(&task.payload) else {
            return TaskOutcome::Invalid {
                message: "task payload names no event".into(),
            };
        };
        let delivery = match Delivery::load(outbox, &self.data_key, &task.tenant, &event_id).await {
            Ok(d) => d,
            Err(outcome) => return outcome,
        };
        if !task.lease.holds() {
            return TaskOutcome::Release;
        }
        match tokio::time::timeout(self.timeout, self.insert(&delivery)).await {
            Ok(Ok(())) => TaskOutcome::Done,
            // Our earlier attempt got in before the crash or the lost answer.
            Ok(Err(sqlx::Error::Database(e))) if e.is_unique_violation() => TaskOutcome::Done,
            // A database error can quote the bound values (the phone): only its code is kept.
            Ok(Err(sqlx::Error::Database(e))) => retry(
                &e.code()
                    .map(|c| c.to_string())
                    .unwrap_or_else(|| "database".into()),
                "the receiving database refused the statement",
            ),
            Ok(Err(_)) => retry("database", "the receiving database could not be reached"),
            Err(_) => retry("timeout", "the receiving database did not answer in time"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_parameters_become_placeholders_in_order() {
        let s = Statement::parse(
            "INSERT INTO bookings (id, kind, phone, note) VALUES (:event_id, :type, :phone, 'a:b')",
        )
        .unwrap();
        assert_eq!(
            s.sql,
            "INSERT INTO bookings (id, kind, phone, note) VALUES (?, ?, ?, 'a:b')"
        );
        assert_eq!(s.names, vec!["event_id", "type", "phone"]);
        let cast =
            Statement::parse("INSERT INTO b (id, p) VALUES (:event_id, :params::jsonb)").unwrap();
        assert_eq!(cast.sql, "INSERT INTO b (id, p) VALUES (?, ?::jsonb)");
    }

    #[test]
    fn anything_but_one_insert_with_known_names_is_refused() {
        for bad in [
            "DELETE FROM rooms",
            "INSERT INTO b VALUES (:event_id); DROP TABLE rooms",
            "INSERT INTO b VALUES (?)",
            "INSERT INTO b VALUES (:event_id, :password)",
            "INSERT INTO b VALUES (:type)",
            "INSERT INTO b VALUES (:event_id, 'open",
        ] {
            assert!(Statement::parse(bad).is_err(), "{bad}");
        }
    }
}
