//! Fresh PostgreSQL databases for the test suites of every crate.
//!
//! The suites run against a real server and never skip: the server is the one
//! `PORTFOLIO_TEST_POSTGRES_URL` names (an admin URL), or
//! `postgres://postgres@127.0.0.1:5432/postgres`. Each test creates a
//! database of its own there and drops it afterwards.

use std::time::Duration;

pub mod office;

use sqlx::{AnyConnection, Connection, Executor};

/// The server used when `PORTFOLIO_TEST_POSTGRES_URL` is not set.
pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// The admin URL of the test server.
pub fn postgres_admin_url() -> String {
    std::env::var("PORTFOLIO_TEST_POSTGRES_URL")
        .ok()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_POSTGRES_URL.to_string())
}

/// The admin URL pointed at another database on the same server (its query
/// string kept).
pub fn with_database(admin_url: &str, database: &str) -> String {
    let (base, query) = match admin_url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (admin_url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let server = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{server}/{database}?{query}"),
        None => format!("{server}/{database}"),
    }
}

/// The URL with its password (if any) hidden, for messages.
pub fn redact(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_string();
    };
    let rest = &url[scheme_end..];
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => match rest[..at].find(':') {
            Some(colon) => format!(
                "{}{}:***{}",
                &url[..scheme_end],
                &rest[..colon],
                &rest[at..]
            ),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

/// A connection to the test server's admin database. Panics, saying how to
/// provide a server, when it cannot be had within 15 seconds: the suites
/// need one and do not skip.
pub async fn admin_connection() -> AnyConnection {
    connect(&postgres_admin_url()).await
}

/// A connection to `url` on the test server, with the same 15-second limit
/// and the same message as [`admin_connection`].
pub async fn connect(url: &str) -> AnyConnection {
    sqlx::any::install_default_drivers();
    let hint = "These tests run against a real PostgreSQL server and do not skip: start one, \
                or set PORTFOLIO_TEST_POSTGRES_URL to an admin URL of a reachable server";
    match tokio::time::timeout(Duration::from_secs(15), AnyConnection::connect(url)).await {
        Ok(Ok(conn)) => conn,
        Ok(Err(e)) => panic!(
            "PostgreSQL is unreachable at {}: {e}.\n{hint}.",
            redact(url)
        ),
        Err(_) => panic!(
            "PostgreSQL at {} did not answer within 15 seconds.\n{hint}.",
            redact(url)
        ),
    }
}

/// Runs statements on the test server's admin database, panicking on the
/// first that fails.
pub async fn admin_execute(statements: &[String]) {
    let mut admin = admin_connection().await;
    for statement in statements {
        admin
            .execute(statement.as_str())
            .await
            .unwrap_or_else(|e| panic!("{statement}: {e}"));
    }
    let _ = admin.close().await;
}

/// A database created on the test server for one test.
#[derive(Debug, Clone)]
pub struct PostgresDatabase {
    /// Its name, `PREFIX_<uuid>`.
    pub name: String,
    /// Its URL.
    pub url: String,
}

impl PostgresDatabase {
    /// Creates a database named `PREFIX_<uuid>` (the prefix a plain SQL
    /// identifier).
    pub async fn create(prefix: &str) -> PostgresDatabase {
        let name = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
        admin_execute(&[format!("CREATE DATABASE {name}")]).await;
        PostgresDatabase {
            url: with_database(&postgres_admin_url(), &name),
            name,
        }
    }

    /// Drops the database, cutting its connections.
    pub async fn drop_database(&self) -> Result<(), String> {
        sqlx::any::install_default_drivers();
        let admin_url = postgres_admin_url();
        let mut conn = AnyConnection::connect(&admin_url).await.map_err(|e| {
            format!(
                "could not reconnect to {} to drop {}: {e}",
                redact(&admin_url),
                self.name
            )
        })?;
        let dropped = conn
            .execute(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name).as_str())
            .await
            .map_err(|e| format!("could not drop database {}: {e}", self.name));
        let _ = conn.close().await;
        dropped.map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn another_database_on_the_same_server_keeps_the_query() {
        assert_eq!(
            with_database("postgres://u:p@db:5432/postgres?sslmode=disable", "t1"),
            "postgres://u:p@db:5432/t1?sslmode=disable"
        );
        assert_eq!(with_database("postgres://db", "t2"), "postgres://db/t2");
    }

    #[test]
    fn passwords_are_hidden() {
        assert_eq!(
            redact("postgres://portfolio:hunter2@db/portfolio"),
            "postgres://portfolio:***@db/portfolio"
        );
        assert_eq!(redact("postgres://db/portfolio"), "postgres://db/portfolio");
    }
}
