//! Whole-database archives: every row of every table (every organisation,
//! the audit trail, users with their password hashes), written so that an
//! archive taken from SQLite imports unchanged into PostgreSQL and back.
//!
//! The tables and their columns are read from the database's own schema
//! (`sqlite_master` and `pragma_table_info` on SQLite, the catalogue on
//! PostgreSQL), never listed here, so a table added by a later migration is
//! carried without anyone remembering to add it. Foreign keys read from the
//! schema decide the order rows are inserted in.
//!
//! Left out, and said so in the archive's header: the migration history
//! (the target has its own, and must be at the same schema version), the
//! signed-in sessions and the single sign-on logins in progress, which are
//! short-lived secrets bound to one server; everyone signs in again.
//!
//! # Format
//!
//! JSON lines (UTF-8, one JSON value a line), in a canonical order so that
//! two archives of the same data are byte for byte the same whichever backend
//! wrote them:
//!
//! 1. a header: `{"format":"portfolio-archive","format_version":1,
//!    "schema_version":20261202160000,"tables":N,"left_out":[…]}`;
//! 2. for each table, by name: `{"table":"projects","columns":[{"name":"id",
//!    "type":"integer"},…],"rows":R}`, columns by name, then R lines, one
//!    row each as a JSON array in the order of `columns`, rows sorted by
//!    primary key.
//!
//! Values: `null`; integers as JSON numbers (64-bit, exact; flags and
//! counts are integers in both backends); text as JSON strings (timestamps
//! are RFC 3339 text in both backends, so they carry exactly); bytes as
//! `{"base64":"…"}`.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, Write};

use base64::Engine;
use serde_json::{json, Value as Json};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::{Backend, Result, Store, StoreError};

/// The archive layout this build writes and reads.
pub const FORMAT_VERSION: i64 = 1;
const FORMAT_NAME: &str = "portfolio-archive";
/// Tables never archived: short-lived secrets bound to one server.
pub const LEFT_OUT: &[&str] = &["sessions", "sso_logins"];
/// The migration history, which every database keeps for itself.
const MIGRATIONS_TABLE: &str = "_sqlx_migrations";
/// Parameters in one multi-row `INSERT` at most (well under both backends' limits).
const PARAMETERS_PER_INSERT: usize = 2000;

/// What an archive held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveSummary {
    pub schema_version: i64,
    /// Rows per table, by table name.
    pub rows: BTreeMap<String, u64>,
    pub left_out: Vec<String>,
}

impl ArchiveSummary {
    pub fn total_rows(&self) -> u64 {
        self.rows.values().sum()
    }
}

/// How a column's values are carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Integer,
    Text,
    Bytes,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Integer => "integer",
            Kind::Text => "text",
            Kind::Bytes => "bytes",
        }
    }

    fn parse(name: &str) -> Option<Kind> {
        match name {
            "integer" => Some(Kind::Integer),
            "text" => Some(Kind::Text),
            "bytes" => Some(Kind::Bytes),
            _ => None,
        }
    }

    /// SQLite's declared types, by its affinity rules.
    fn from_sqlite(declared: &str) -> Option<Kind> {
        let declared = declared.to_ascii_uppercase();
        if declared.contains("INT") {
            Some(Kind::Integer)
        } else if ["CHAR", "CLOB", "TEXT"]
            .iter()
            .any(|t| declared.contains(t))
        {
            Some(Kind::Text)
        } else if declared.contains("BLOB") {
            Some(Kind::Bytes)
        } else {
            None
        }
    }

    fn from_postgres(data_type: &str) -> Option<Kind> {
        match data_type {
            "bigint" | "integer" | "smallint" => Some(Kind::Integer),
            "text" | "character varying" | "character" => Some(Kind::Text),
            "bytea" => Some(Kind::Bytes),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Column {
    name: String,
    kind: Kind,
}

/// A table as the schema describes it; columns sorted by name.
#[derive(Debug, Clone)]
struct Table {
    name: String,
    columns: Vec<Column>,
    /// Indexes into `columns`, in primary-key order (empty: no primary key).
    key: Vec<usize>,
    /// Tables this one refers to by foreign key.
    parents: BTreeSet<String>,
    /// A column whose values a sequence hands out (PostgreSQL only).
    generated: Option<String>,
}

/// One stored value. The derived order (null, integers, text, bytes) sorts
/// rows the same way whichever backend they came from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Value {
    Null,
    Integer(i64),
    Text(String),
    Bytes(Vec<u8>),
}

impl Value {
    fn to_json(&self) -> Json {
        match self {
            Value::Null => Json::Null,
            Value::Integer(i) => json!(i),
            Value::Text(s) => json!(s),
            Value::Bytes(b) => {
                json!({ "base64": base64::engine::general_purpose::STANDARD.encode(b) })
            }
        }
    }

    fn from_json(value: &Json, kind: Kind) -> std::result::Result<Value, String> {
        match (value, kind) {
            (Json::Null, _) => Ok(Value::Null),
            (Json::Number(n), Kind::Integer) => n
                .as_i64()
                .map(Value::Integer)
                .ok_or_else(|| format!("{n} is not a 64-bit integer")),
            (Json::String(s), Kind::Text) => Ok(Value::Text(s.clone())),
            (Json::Object(o), Kind::Bytes) if o.len() == 1 => match o.get("base64") {
                Some(Json::String(s)) => base64::engine::general_purpose::STANDARD
                    .decode(s)
                    .map(Value::Bytes)
                    .map_err(|e| format!("the base64 does not decode: {e}")),
                _ => Err("expected {\"base64\": \"…\"}".into()),
            },
            (other, kind) => Err(format!(
                "expected {} or null, found {}",
                match kind {
                    Kind::Integer => "an integer",
                    Kind::Text => "a string",
                    Kind::Bytes => "{\"base64\": \"…\"}",
                },
                shorten(&other.to_string())
            )),
        }
    }
}

fn shorten(text: &str) -> String {
    if text.chars().count() > 40 {
        format!("{}…", text.chars().take(40).collect::<String>())
    } else {
        text.to_string()
    }
}

fn archive_error(message: impl Into<String>) -> StoreError {
    StoreError::Archive(message.into())
}

/// A table or column name as SQL, refusing anything but plain identifiers
/// (names come from the schema, but are spliced into statements).
fn quoted(name: &str) -> Result<String> {
    if !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        Ok(format!("\"{name}\""))
    } else {
        Err(archive_error(format!(
            "the schema has a table or column named {name:?}, which archives cannot carry"
        )))
    }
}

impl Store {
    /// Writes every archived table of the database to `out`, from one
    /// consistent snapshot.
    pub async fn export_archive(&self, out: &mut dyn Write) -> Result<ArchiveSummary> {
        let mut tx = self.pool.begin().await?;
        if self.backend == Backend::Postgres {
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .execute(&mut *tx)
                .await?;
        }
        let schema_version = schema_version(&mut tx).await?;
        let tables = archived_tables(discover(&mut tx, self.backend).await?);
        let left_out: Vec<String> = LEFT_OUT.iter().map(|t| t.to_string()).collect();
        let write_error = |e: std::io::Error| archive_error(format!("could not write: {e}"));
        let header = json!({
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "schema_version": schema_version,
            "tables": tables.len(),
            "left_out": left_out,
        });
        writeln!(out, "{header}").map_err(write_error)?;
        let mut rows_per_table = BTreeMap::new();
        for table in &tables {
            let rows = read_rows(&mut tx, self.backend, table).await?;
            let columns: Vec<Json> = table
                .columns
                .iter()
                .map(|c| json!({ "name": c.name, "type": c.kind.name() }))
                .collect();
            let line = json!({ "table": table.name, "columns": columns, "rows": rows.len() });
            writeln!(out, "{line}").map_err(write_error)?;
            for row in &rows {
                let values: Vec<Json> = row.iter().map(Value::to_json).collect();
                writeln!(out, "{}", Json::Array(values)).map_err(write_error)?;
            }
            rows_per_table.insert(table.name.clone(), rows.len() as u64);
        }
        out.flush().map_err(write_error)?;
        tx.rollback().await?;
        Ok(ArchiveSummary {
            schema_version,
            rows: rows_per_table,
            left_out,
        })
    }

    /// Fills an empty database, migrated to the archive's schema version,
    /// with the archive read from `input`: ids kept, in one transaction (an
    /// error leaves the database as empty as it was), PostgreSQL's sequences
    /// moved past the imported ids.
    pub async fn import_archive(&self, input: &mut dyn BufRead) -> Result<ArchiveSummary> {
        let archive = parse_archive(input)?;
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        if self.backend == Backend::Sqlite {
            sqlx::query("PRAGMA defer_foreign_keys = ON")
                .execute(&mut *tx)
                .await?;
        }
        let version = schema_version(&mut tx).await?;
        if archive.schema_version != version {
            return Err(archive_error(if archive.schema_version > version {
                format!(
                    "the archive comes from a newer build of Portfolio (schema version {}; this \
                     database is at {version}): import it with that build or a later one",
                    archive.schema_version
                )
            } else {
                format!(
                    "the archive's schema version {} is older than this database's ({version}): \
                     import it into a database made by the build that wrote it, then upgrade \
                     that build",
                    archive.schema_version
                )
            }));
        }
        let all = discover(&mut tx, self.backend).await?;
        for table in &all {
            let sql = format!("SELECT COUNT(*) FROM {}", quoted(&table.name)?);
            let count: i64 = sqlx::query(&sql).fetch_one(&mut *tx).await?.try_get(0)?;
            if count > 0 {
                return Err(archive_error(format!(
                    "the database is not empty (table {} holds {count} row{}); import --all only \
                     fills a new, empty database",
                    table.name,
                    if count == 1 { "" } else { "s" }
                )));
            }
        }
        let tables = archived_tables(all);
        let by_name: BTreeMap<&str, &Table> = tables.iter().map(|t| (t.name.as_str(), t)).collect();
        for section in &archive.tables {
            let Some(table) = by_name.get(section.name.as_str()) else {
                return Err(archive_error(format!(
                    "line {}: the archive has a table {} that this database does not",
                    section.line, section.name
                )));
            };
            if table.columns != section.columns {
                let describe = |columns: &[Column]| {
                    columns
                        .iter()
                        .map(|c| format!("{} {}", c.name, c.kind.name()))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                return Err(archive_error(format!(
                    "line {}: table {} has columns ({}) in the archive but ({}) in this database",
                    section.line,
                    section.name,
                    describe(&section.columns),
                    describe(&table.columns)
                )));
            }
        }
        let in_archive: BTreeSet<&str> = archive.tables.iter().map(|t| t.name.as_str()).collect();
        if let Some(missing) = tables
            .iter()
            .find(|t| !in_archive.contains(t.name.as_str()))
        {
            return Err(archive_error(format!(
                "the archive has no table {}, which this database has",
                missing.name
            )));
        }
        let sections: BTreeMap<&str, &Section> = archive
            .tables
            .iter()
            .map(|s| (s.name.as_str(), s))
            .collect();
        let mut rows = BTreeMap::new();
        for table in insertion_order(&tables)? {
            let section = sections[table.name.as_str()];
            insert_rows(&mut tx, table, section).await?;
            rows.insert(table.name.clone(), section.rows.len() as u64);
        }
        if self.backend == Backend::Postgres {
            for table in &tables {
                if let Some(column) = &table.generated {
                    let sql = format!(
                        "SELECT setval(pg_get_serial_sequence($1, $2), \
                         COALESCE((SELECT MAX({}) FROM {}), 0) + 1, false)",
                        quoted(column)?,
                        quoted(&table.name)?
                    );
                    sqlx::query(&sql)
                        .bind(table.name.clone())
                        .bind(column.clone())
                        .execute(&mut *tx)
                        .await?;
                }
            }
        }
        tx.commit().await?;
        Ok(ArchiveSummary {
            schema_version: archive.schema_version,
            rows,
            left_out: archive.left_out,
        })
    }
}

/// The newest migration applied to the database.
async fn schema_version(conn: &mut AnyConnection) -> Result<i64> {
    let version: Option<i64> = sqlx::query("SELECT MAX(version) FROM _sqlx_migrations")
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?;
    Ok(version.unwrap_or(0))
}

fn archived_tables(tables: Vec<Table>) -> Vec<Table> {
    tables
        .into_iter()
        .filter(|t| !LEFT_OUT.contains(&t.name.as_str()))
        .collect()
}

fn text(row: &AnyRow, index: usize) -> Result<String> {
    Ok(row.try_get::<String, _>(index)?)
}

/// Every table but the migration history, sorted by name, as the database's
/// own schema describes it.
async fn discover(conn: &mut AnyConnection, backend: Backend) -> Result<Vec<Table>> {
    let mut tables = Vec::new();
    match backend {
        Backend::Sqlite => {
            let names = sqlx::query(
                "SELECT name FROM sqlite_master WHERE type = 'table' \
                 AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
            )
            .fetch_all(&mut *conn)
            .await?;
            for row in names {
                let name = text(&row, 0)?;
                if name == MIGRATIONS_TABLE {
                    continue;
                }
                let info = sqlx::query("SELECT name, type, pk FROM pragma_table_info($1)")
                    .bind(name.clone())
                    .fetch_all(&mut *conn)
                    .await?;
                let mut columns = Vec::new();
                for column in &info {
                    let column_name = text(column, 0)?;
                    let declared = text(column, 1)?;
                    let position: i64 = column.try_get(2)?;
                    let kind = Kind::from_sqlite(&declared).ok_or_else(|| {
                        archive_error(format!(
                            "column {name}.{column_name} has type {declared}, which archives \
                             cannot carry"
                        ))
                    })?;
                    columns.push((column_name, kind, position));
                }
                let parents = sqlx::query("SELECT \"table\" FROM pragma_foreign_key_list($1)")
                    .bind(name.clone())
                    .fetch_all(&mut *conn)
                    .await?
                    .iter()
                    .map(|row| text(row, 0))
                    .collect::<Result<BTreeSet<_>>>()?;
                tables.push(table(name, columns, parents, None));
            }
        }
        Backend::Postgres => {
            let names = sqlx::query(
                "SELECT CAST(table_name AS TEXT) FROM information_schema.tables \
                 WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' \
                 ORDER BY 1",
            )
            .fetch_all(&mut *conn)
            .await?;
            let columns = sqlx::query(
                "SELECT CAST(table_name AS TEXT), CAST(column_name AS TEXT), \
                 CAST(data_type AS TEXT), CAST(is_identity AS TEXT), \
                 CAST(COALESCE(column_default, '') AS TEXT) \
                 FROM information_schema.columns WHERE table_schema = current_schema()",
            )
            .fetch_all(&mut *conn)
            .await?;
            let keys = sqlx::query(
                "SELECT CAST(cl.relname AS TEXT), CAST(a.attname AS TEXT), CAST(k.ord AS BIGINT) \
                 FROM pg_constraint c \
                 JOIN pg_class cl ON cl.oid = c.conrelid \
                 JOIN pg_namespace n ON n.oid = cl.relnamespace \
                 CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord) \
                 JOIN pg_attribute a ON a.attrelid = cl.oid AND a.attnum = k.attnum \
                 WHERE c.contype = 'p' AND n.nspname = current_schema()",
            )
            .fetch_all(&mut *conn)
            .await?;
            let references = sqlx::query(
                "SELECT CAST(cl.relname AS TEXT), CAST(parent.relname AS TEXT) \
                 FROM pg_constraint c \
                 JOIN pg_class cl ON cl.oid = c.conrelid \
                 JOIN pg_class parent ON parent.oid = c.confrelid \
                 JOIN pg_namespace n ON n.oid = cl.relnamespace \
                 WHERE c.contype = 'f' AND n.nspname = current_schema()",
            )
            .fetch_all(&mut *conn)
            .await?;
            let mut key_positions: BTreeMap<(String, String), i64> = BTreeMap::new();
            for row in &keys {
                key_positions.insert((text(row, 0)?, text(row, 1)?), row.try_get(2)?);
            }
            let mut parents: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
            for row in &references {
                parents
                    .entry(text(row, 0)?)
                    .or_default()
                    .insert(text(row, 1)?);
            }
            for row in names {
                let name = text(&row, 0)?;
                if name == MIGRATIONS_TABLE {
                    continue;
                }
                let mut found = Vec::new();
                let mut generated = None;
                for column in &columns {
                    if text(column, 0)? != name {
                        continue;
                    }
                    let column_name = text(column, 1)?;
                    let data_type = text(column, 2)?;
                    let kind = Kind::from_postgres(&data_type).ok_or_else(|| {
                        archive_error(format!(
                            "column {name}.{column_name} has type {data_type}, which archives \
                             cannot carry"
                        ))
                    })?;
                    if text(column, 3)? == "YES" || text(column, 4)?.starts_with("nextval(") {
                        generated = Some(column_name.clone());
                    }
                    let position = key_positions
                        .get(&(name.clone(), column_name.clone()))
                        .copied()
                        .unwrap_or(0);
                    found.push((column_name, kind, position));
                }
                let parents = parents.remove(&name).unwrap_or_default();
                tables.push(table(name, found, parents, generated));
            }
        }
    }
    Ok(tables)
}

/// A table from its columns as (name, kind, position in the primary key or 0).
fn table(
    name: String,
    mut columns: Vec<(String, Kind, i64)>,
    mut parents: BTreeSet<String>,
    generated: Option<String>,
) -> Table {
    columns.sort_by(|a, b| a.0.cmp(&b.0));
    let mut key: Vec<(i64, usize)> = columns
        .iter()
        .enumerate()
        .filter(|(_, c)| c.2 > 0)
        .map(|(i, c)| (c.2, i))
        .collect();
    key.sort_unstable();
    parents.remove(&name);
    Table {
        name,
        columns: columns
            .into_iter()
            .map(|(name, kind, _)| Column { name, kind })
            .collect(),
        key: key.into_iter().map(|(_, i)| i).collect(),
        parents,
        generated,
    }
}

/// Every row of `table`, sorted by primary key (then by every column).
async fn read_rows(
    conn: &mut AnyConnection,
    backend: Backend,
    table: &Table,
) -> Result<Vec<Vec<Value>>> {
    let mut select = Vec::new();
    for column in &table.columns {
        let name = quoted(&column.name)?;
        select.push(match (backend, column.kind) {
            // int4 and int8 both read back as 64-bit integers.
            (Backend::Postgres, Kind::Integer) => format!("CAST({name} AS BIGINT)"),
            _ => name,
        });
    }
    let sql = format!("SELECT {} FROM {}", select.join(", "), quoted(&table.name)?);
    let fetched = sqlx::query(&sql).fetch_all(&mut *conn).await?;
    let mut rows = Vec::with_capacity(fetched.len());
    for row in &fetched {
        let mut values = Vec::with_capacity(table.columns.len());
        for (i, column) in table.columns.iter().enumerate() {
            let value = match column.kind {
                Kind::Integer => row
                    .try_get::<Option<i64>, _>(i)
                    .map(|v| v.map_or(Value::Null, Value::Integer)),
                Kind::Text => row
                    .try_get::<Option<String>, _>(i)
                    .map(|v| v.map_or(Value::Null, Value::Text)),
                Kind::Bytes => row
                    .try_get::<Option<Vec<u8>>, _>(i)
                    .map(|v| v.map_or(Value::Null, Value::Bytes)),
            }
            .map_err(|e| {
                archive_error(format!(
                    "table {}, column {}: a value is not {} ({e})",
                    table.name,
                    column.name,
                    column.kind.name()
                ))
            })?;
            values.push(value);
        }
        rows.push(values);
    }
    rows.sort_by(|a, b| {
        let key = |row: &Vec<Value>| {
            table
                .key
                .iter()
                .map(|&i| row[i].clone())
                .collect::<Vec<_>>()
        };
        key(a).cmp(&key(b)).then_with(|| a.cmp(b))
    });
    Ok(rows)
}

/// A parsed archive.
struct Archive {
    schema_version: i64,
    left_out: Vec<String>,
    tables: Vec<Section>,
}

/// One table's part of an archive.
struct Section {
    name: String,
    /// The line of its header, for messages.
    line: usize,
    columns: Vec<Column>,
    rows: Vec<Vec<Value>>,
}

fn parse_archive(input: &mut dyn BufRead) -> Result<Archive> {
    let mut lines = input.lines().enumerate().map(|(i, line)| (i + 1, line));
    let mut next = |what: &str| -> Result<(usize, Json)> {
        match lines.next() {
            None => Err(archive_error(format!(
                "the archive ends early: expected {what}"
            ))),
            Some((n, Err(e))) => Err(archive_error(format!("line {n}: could not read: {e}"))),
            Some((n, Ok(text))) => serde_json::from_str(&text)
                .map(|json| (n, json))
                .map_err(|e| archive_error(format!("line {n}: not valid JSON ({e})"))),
        }
    };
    let (n, header) = next("the header")?;
    if header.get("format").and_then(Json::as_str) != Some(FORMAT_NAME) {
        return Err(archive_error(format!(
            "line {n}: this is not a Portfolio archive (the header must say \"format\": \
             \"{FORMAT_NAME}\"; write one with `portfolio export --all`)"
        )));
    }
    match header.get("format_version").and_then(Json::as_i64) {
        Some(FORMAT_VERSION) => {}
        other => {
            return Err(archive_error(format!(
                "line {n}: archive format version {} is not one this build reads (it reads {FORMAT_VERSION})",
                other.map_or("(missing)".to_string(), |v| v.to_string())
            )))
        }
    }
    let field = |name: &str| {
        header
            .get(name)
            .ok_or_else(|| archive_error(format!("line {n}: the header has no \"{name}\"")))
    };
    let schema_version = field("schema_version")?
        .as_i64()
        .ok_or_else(|| archive_error(format!("line {n}: \"schema_version\" must be an integer")))?;
    let table_count = field("tables")?
        .as_u64()
        .ok_or_else(|| archive_error(format!("line {n}: \"tables\" must be a count")))?;
    let left_out = field("left_out")?
        .as_array()
        .and_then(|names| {
            names
                .iter()
                .map(|name| name.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
        })
        .ok_or_else(|| archive_error(format!("line {n}: \"left_out\" must list table names")))?;
    let mut tables = Vec::new();
    for _ in 0..table_count {
        let (line, section) = next("a table's header")?;
        let at = |what: String| archive_error(format!("line {line}: {what}"));
        let name = section
            .get("table")
            .and_then(Json::as_str)
            .ok_or_else(|| at("expected a table's header with \"table\": NAME".into()))?
            .to_string();
        let columns = section
            .get("columns")
            .and_then(Json::as_array)
            .ok_or_else(|| at(format!("table {name} has no \"columns\" list")))?
            .iter()
            .map(|c| {
                let column = c.get("name").and_then(Json::as_str);
                let kind = c.get("type").and_then(Json::as_str).and_then(Kind::parse);
                match (column, kind) {
                    (Some(column), Some(kind)) => Ok(Column {
                        name: column.to_string(),
                        kind,
                    }),
                    _ => Err(at(format!(
                        "table {name}: each column needs a \"name\" and a \"type\" of integer, \
                         text or bytes, not {}",
                        shorten(&c.to_string())
                    ))),
                }
            })
            .collect::<Result<Vec<_>>>()?;
        let count = section
            .get("rows")
            .and_then(Json::as_u64)
            .ok_or_else(|| at(format!("table {name} has no \"rows\" count")))?;
        let mut rows = Vec::new();
        for _ in 0..count {
            let (row_line, row) = next(&format!("a row of table {name}"))?;
            let Json::Array(values) = row else {
                return Err(archive_error(format!(
                    "line {row_line}: expected a row of table {name} (a JSON array)"
                )));
            };
            if values.len() != columns.len() {
                return Err(archive_error(format!(
                    "line {row_line}: a row of table {name} has {} values, but the table has {} columns",
                    values.len(),
                    columns.len()
                )));
            }
            let row = values
                .iter()
                .zip(&columns)
                .map(|(value, column)| {
                    Value::from_json(value, column.kind).map_err(|why| {
                        archive_error(format!(
                            "line {row_line}: table {name}, column {}: {why}",
                            column.name
                        ))
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            rows.push(row);
        }
        if tables.iter().any(|t: &Section| t.name == name) {
            return Err(at(format!("table {name} appears twice")));
        }
        tables.push(Section {
            name,
            line,
            columns,
            rows,
        });
    }
    if let Some((n, _)) = lines.next() {
        return Err(archive_error(format!(
            "line {n}: unexpected text after the last table (the header promised {table_count} tables)"
        )));
    }
    Ok(Archive {
        schema_version,
        left_out,
        tables,
    })
}

/// Tables ordered so that each comes after the tables it refers to.
fn insertion_order(tables: &[Table]) -> Result<Vec<&Table>> {
    let names: BTreeSet<&str> = tables.iter().map(|t| t.name.as_str()).collect();
    let mut placed: BTreeSet<&str> = BTreeSet::new();
    let mut order = Vec::new();
    while order.len() < tables.len() {
        let ready: Vec<&Table> = tables
            .iter()
            .filter(|t| !placed.contains(t.name.as_str()))
            .filter(|t| {
                t.parents
                    .iter()
                    .all(|p| !names.contains(p.as_str()) || placed.contains(p.as_str()))
            })
            .collect();
        if ready.is_empty() {
            let stuck: Vec<&str> = tables
                .iter()
                .map(|t| t.name.as_str())
                .filter(|n| !placed.contains(n))
                .collect();
            return Err(archive_error(format!(
                "the tables {} refer to each other, so no order fills them",
                stuck.join(", ")
            )));
        }
        for table in ready {
            placed.insert(table.name.as_str());
            order.push(table);
        }
    }
    Ok(order)
}

async fn insert_rows(conn: &mut AnyConnection, table: &Table, section: &Section) -> Result<()> {
    if section.rows.is_empty() {
        return Ok(());
    }
    let columns = table
        .columns
        .iter()
        .map(|c| quoted(&c.name))
        .collect::<Result<Vec<_>>>()?
        .join(", ");
    let width = table.columns.len();
    let per_statement = (PARAMETERS_PER_INSERT / width).max(1);
    for chunk in section.rows.chunks(per_statement) {
        let mut placeholders = Vec::with_capacity(chunk.len());
        for r in 0..chunk.len() {
            let row: Vec<String> = (1..=width).map(|c| format!("${}", r * width + c)).collect();
            placeholders.push(format!("({})", row.join(", ")));
        }
        let sql = format!(
            "INSERT INTO {} ({columns}) VALUES {}",
            quoted(&table.name)?,
            placeholders.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for row in chunk {
            for (value, column) in row.iter().zip(&table.columns) {
                query = match (value, column.kind) {
                    (Value::Null, Kind::Integer) => query.bind(None::<i64>),
                    (Value::Null, Kind::Text) => query.bind(None::<String>),
                    (Value::Null, Kind::Bytes) => query.bind(None::<Vec<u8>>),
                    (Value::Integer(i), _) => query.bind(*i),
                    (Value::Text(s), _) => query.bind(s.clone()),
                    (Value::Bytes(b), _) => query.bind(b.clone()),
                };
            }
        }
        query.execute(&mut *conn).await.map_err(|e| {
            archive_error(format!(
                "table {} (from line {}) could not be filled: {e}",
                table.name, section.line
            ))
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table_named(name: &str, parents: &[&str]) -> Table {
        table(
            name.to_string(),
            vec![("id".into(), Kind::Integer, 1)],
            parents.iter().map(|p| p.to_string()).collect(),
            None,
        )
    }

    #[test]
    fn parents_come_before_children_and_a_cycle_is_named() {
        let tables = vec![
            table_named("audit", &["users"]),
            table_named("projects", &["organisations", "projects"]),
            table_named("users", &["organisations"]),
            table_named("organisations", &[]),
        ];
        let order: Vec<&str> = insertion_order(&tables)
            .expect("an order")
            .iter()
            .map(|t| t.name.as_str())
            .collect();
        assert_eq!(order, ["organisations", "projects", "users", "audit"]);

        let cycle = vec![table_named("a", &["b"]), table_named("b", &["a"])];
        let err = insertion_order(&cycle).expect_err("a cycle");
        assert!(
            err.to_string().contains("a, b refer to each other"),
            "{err}"
        );
    }

    #[test]
    fn values_round_trip_through_json_and_bad_ones_say_why() {
        for (value, kind) in [
            (Value::Null, Kind::Text),
            (Value::Integer(i64::MIN), Kind::Integer),
            (Value::Text("£1.2m — “quoted”\n".into()), Kind::Text),
            (Value::Bytes(vec![0, 255, 10]), Kind::Bytes),
        ] {
            assert_eq!(Value::from_json(&value.to_json(), kind), Ok(value));
        }
        assert_eq!(
            Value::from_json(&json!("12"), Kind::Integer),
            Err("expected an integer or null, found \"12\"".to_string())
        );
        assert!(Value::from_json(&json!(1.5), Kind::Integer).is_err());
    }

    #[test]
    fn a_malformed_archive_names_the_line() {
        let header = r#"{"format":"portfolio-archive","format_version":1,"schema_version":1,"tables":1,"left_out":[]}"#;
        let table = r#"{"table":"t","columns":[{"name":"id","type":"integer"}],"rows":2}"#;
        let text = format!("{header}\n{table}\n[1]\n[\"x\"]\n");
        let err = parse_archive(&mut text.as_bytes()).err().expect("refused");
        assert_eq!(
            err.to_string(),
            "line 4: table t, column id: expected an integer or null, found \"x\""
        );
        let short = format!("{header}\n{table}\n[1]\n");
        let err = parse_archive(&mut short.as_bytes()).err().expect("refused");
        assert_eq!(
            err.to_string(),
            "the archive ends early: expected a row of table t"
        );
        let err = parse_archive(&mut "not json\n".as_bytes())
            .err()
            .expect("refused");
        assert!(
            err.to_string().starts_with("line 1: not valid JSON"),
            "{err}"
        );
    }
}
