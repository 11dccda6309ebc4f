//! Backup, restore and moving a whole database between SQLite and
//! PostgreSQL, through the built `portfolio` binary against real databases:
//! SQLite files in temp directories and fresh PostgreSQL databases on the
//! server named by `PORTFOLIO_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`), created and dropped here.
//! An unreachable server fails these tests; they never skip.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{block_on, failure, output, request, sqlite_url, success, Server, TempDir};
use sqlx::{Connection, Executor, Row};

const DEMO_PASSWORD: &str = "demo password for tests";
const ADMIN_EMAIL: &str = "admin@northmere.example";

/// `portfolio --data-dir <dir>/data ARGS`, with the demo's password set.
fn portfolio(dir: &TempDir, args: &[&str]) -> Command {
    let mut command = common::portfolio(dir, args);
    command.env("PORTFOLIO_DEMO_PASSWORD", DEMO_PASSWORD);
    command
}

/// The default database of `portfolio` run on this directory (its data
/// dir made, for commands given the file's URL).
fn database(dir: &TempDir) -> PathBuf {
    std::fs::create_dir_all(dir.data_dir()).expect("the data dir");
    dir.data_dir().join("portfolio.sqlite")
}

/// A fresh PostgreSQL database, dropped when this is.
fn postgres() -> common::TestDatabase {
    common::TestDatabase::new(common::Backend::Postgres)
}

/// Fills the database at `url` with the demo council (by starting the demo
/// server on it and stopping it once it listens).
///
/// The demo has no API token and no uploaded spreadsheet: one of each is
/// added, the upload holding every byte value (the one column of bytes) and
/// text beyond ASCII.
fn seed_demo(dir: &TempDir, url: &str) {
    let mut server = Server::listening(portfolio(
        dir,
        &["demo", "--listen", "127.0.0.1:0", "--database-url", url],
    ));
    server.stop();
    success(&mut portfolio(
        dir,
        &[
            "token",
            "create",
            "--user",
            ADMIN_EMAIL,
            "--name",
            "Reports",
            "--scope",
            "read",
            "--database-url",
            url,
        ],
    ));
    sqlx::any::install_default_drivers();
    block_on(async {
        let mut conn = sqlx::AnyConnection::connect(url).await.expect("connect");
        sqlx::query(
            "INSERT INTO import_uploads (organisation_id, user_id, file_name, content, source, \
             sheet, created_at) VALUES ((SELECT MIN(id) FROM organisations), \
             (SELECT MIN(id) FROM users), $1, $2, $3, NULL, $4)",
        )
        .bind("Café budgets £ “2026”.xlsx".to_string())
        .bind((0..=255u8).collect::<Vec<u8>>())
        .bind("Health and Care\nline two\t\\".to_string())
        .bind("2026-12-02T10:00:00.123456Z".to_string())
        .execute(&mut conn)
        .await
        .expect("add an upload");
        conn.close().await.expect("close");
    });
}

fn hidden_input(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].to_string())
}

fn form_encode(pairs: &[(&str, &str)]) -> String {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                    (b as char).to_string()
                }
                b' ' => "+".to_string(),
                b => format!("%{b:02X}"),
            })
            .collect()
    };
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Every table of an SQLite database (the migration history included), each
/// row as SQL literals, rows ordered by primary key.
fn dump_sqlite(path: &Path) -> BTreeMap<String, Vec<String>> {
    sqlx::any::install_default_drivers();
    let url = format!("{}?mode=ro", sqlite_url(path));
    block_on(async {
        let mut conn = sqlx::AnyConnection::connect(&url).await.expect("open");
        let tables: Vec<String> = sqlx::query(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
        )
        .fetch_all(&mut conn)
        .await
        .expect("tables")
        .iter()
        .map(|row| row.get::<String, _>(0))
        .collect();
        let mut dump = BTreeMap::new();
        for table in tables {
            let columns = sqlx::query("SELECT name, pk FROM pragma_table_info($1)")
                .bind(table.clone())
                .fetch_all(&mut conn)
                .await
                .expect("columns");
            let mut key: Vec<(i64, String)> = columns
                .iter()
                .filter(|c| c.get::<i64, _>(1) > 0)
                .map(|c| (c.get::<i64, _>(1), format!("\"{}\"", c.get::<String, _>(0))))
                .collect();
            key.sort();
            let order = if key.is_empty() {
                "rowid".to_string()
            } else {
                key.into_iter()
                    .map(|(_, c)| c)
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let values = columns
                .iter()
                .map(|c| format!("quote(\"{}\")", c.get::<String, _>(0)))
                .collect::<Vec<_>>()
                .join(" || '|' || ");
            let rows = sqlx::query(&format!(
                "SELECT {values} FROM \"{table}\" ORDER BY {order}"
            ))
            .fetch_all(&mut conn)
            .await
            .expect("rows")
            .iter()
            .map(|row| row.get::<String, _>(0))
            .collect();
            dump.insert(table, rows);
        }
        conn.close().await.expect("close");
        dump
    })
}

/// Runs statements on an SQLite database directly (to damage or age it).
fn sqlite_execute(path: &Path, sql: &str) {
    sqlx::any::install_default_drivers();
    let url = sqlite_url(path);
    block_on(async {
        let mut conn = sqlx::AnyConnection::connect(&url).await.expect("open");
        conn.execute(sql).await.expect("execute");
        conn.close().await.expect("close");
    });
}

// ---------------------------------------------------------------------------
// Restore
// ---------------------------------------------------------------------------

#[test]
fn restore_brings_back_every_row_and_the_audit_trail() {
    let dir = TempDir::new();
    let database = database(&dir);
    let url = sqlite_url(&database);
    seed_demo(&dir, &url);
    let before = dump_sqlite(&database);
    for table in [
        "organisations",
        "users",
        "api_tokens",
        "projects",
        "project_costs",
        "raid_items",
        "gate_requests",
        "board_meetings",
        "board_decisions",
        "highlight_reports",
        "scenarios",
        "scenario_runs",
        "notifications",
        "import_uploads",
        "audit_log",
    ] {
        assert!(
            before.get(table).is_some_and(|rows| !rows.is_empty()),
            "the demo should have rows in {table}"
        );
    }

    let backup = dir.path().join("backup.sqlite");
    success(&mut portfolio(
        &dir,
        &["backup", "--output", backup.to_str().unwrap()],
    ));

    // Change and delete things after the backup.
    let sheet = dir.path().join("new.csv");
    std::fs::write(
        &sheet,
        "Project name,Directorate,Phase\nLibrary van tracking,Health and Care,Idea\n",
    )
    .unwrap();
    success(&mut portfolio(
        &dir,
        &["import", sheet.to_str().unwrap(), "--org", "northmere"],
    ));
    success(&mut portfolio(
        &dir,
        &["token", "revoke", "1", "--org", "northmere"],
    ));
    sqlite_execute(
        &database,
        "PRAGMA foreign_keys = OFF; \
         DELETE FROM raid_items WHERE id IN (SELECT id FROM raid_items ORDER BY id LIMIT 3); \
         DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log ORDER BY id LIMIT 5);",
    );
    let changed = dump_sqlite(&database);
    assert_ne!(changed["projects"], before["projects"]);
    assert_ne!(changed["audit_log"], before["audit_log"]);

    // An existing database is only replaced with --force, and says what it would replace.
    let stderr = failure(&mut portfolio(
        &dir,
        &["restore", "--from", backup.to_str().unwrap()],
    ));
    assert!(
        stderr.contains(&format!("{} already holds a database", database.display()))
            && stderr.contains("--force"),
        "{stderr}"
    );
    assert_eq!(dump_sqlite(&database), changed);

    let stdout = success(&mut portfolio(
        &dir,
        &["restore", "--from", backup.to_str().unwrap(), "--force"],
    ));
    assert!(
        stdout.starts_with(&format!(
            "Restored {} from {}",
            database.display(),
            backup.display()
        )),
        "{stdout}"
    );
    let restored = dump_sqlite(&database);
    assert_eq!(
        restored["audit_log"], before["audit_log"],
        "the audit trail"
    );
    for (table, rows) in &before {
        assert_eq!(&restored[table], rows, "table {table}");
    }
    assert_eq!(
        restored.keys().collect::<Vec<_>>(),
        before.keys().collect::<Vec<_>>()
    );
    for suffix in ["-wal", "-shm"] {
        let mut stale = database.as_os_str().to_owned();
        stale.push(suffix);
        assert!(!Path::new(&stale).exists(), "{suffix} left behind");
    }
    let leftovers: Vec<String> = std::fs::read_dir(database.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("restoring"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // The app reads the restored database.
    let exported = success(&mut portfolio(&dir, &["export", "--format", "json"]));
    let projects: serde_json::Value = serde_json::from_str(&exported).expect("JSON");
    assert_eq!(projects.as_array().map(Vec::len), Some(76));
}

/// A small database and a good backup of it.
fn database_and_backup(dir: &TempDir) -> PathBuf {
    let out = portfolio(
        dir,
        &[
            "generate",
            "--org",
            "test",
            "--name",
            "Test",
            "--projects",
            "5",
        ],
    )
    .env("PORTFOLIO_PASSWORD", "a long test password")
    .output()
    .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let backup = dir.path().join("good.sqlite");
    success(&mut portfolio(
        dir,
        &["backup", "--output", backup.to_str().unwrap()],
    ));
    backup
}

/// The database files' bytes, to show they were not touched.
fn files_of(database: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(database.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap())
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

#[test]
fn damaged_and_foreign_files_are_refused_and_the_database_is_untouched() {
    let dir = TempDir::new();
    let backup = database_and_backup(&dir);
    let database = database(&dir);
    let good = std::fs::read(&backup).unwrap();
    assert!(good.len() > 8192, "a backup of several pages");

    let truncated = dir.path().join("truncated.sqlite");
    std::fs::write(&truncated, &good[..good.len() / 2]).unwrap();
    let corrupt = dir.path().join("corrupt.sqlite");
    let mut damaged = good.clone();
    let page = 4096;
    for byte in &mut damaged[page..good.len() - page] {
        *byte = 0x5a;
    }
    std::fs::write(&corrupt, &damaged).unwrap();
    let text = dir.path().join("notes.sqlite");
    std::fs::write(
        &text,
        "These are not the backups you are looking for.\n".repeat(200),
    )
    .unwrap();
    let empty = dir.path().join("empty.sqlite");
    std::fs::write(&empty, "").unwrap();

    let files = files_of(&database);
    for (file, reason) in [
        (&truncated, "damaged or truncated"),
        (&corrupt, "damaged or truncated"),
        (&text, "not an SQLite database"),
        (&empty, "not a Portfolio one"),
    ] {
        let stderr = failure(&mut portfolio(
            &dir,
            &["restore", "--from", file.to_str().unwrap(), "--force"],
        ));
        assert!(
            stderr.contains(&format!("{} cannot be restored", file.display()))
                && stderr.contains(&format!("{} was left as it was", database.display()))
                && stderr.contains(reason),
            "{}: {stderr}",
            file.display()
        );
        assert_eq!(files_of(&database), files, "after {}", file.display());
    }

    let missing = dir.path().join("missing.sqlite");
    let stderr = failure(&mut portfolio(
        &dir,
        &["restore", "--from", missing.to_str().unwrap(), "--force"],
    ));
    assert!(stderr.contains("could not read the backup"), "{stderr}");

    // PostgreSQL is restored with pg_restore.
    let stderr = failure(&mut portfolio(
        &dir,
        &[
            "restore",
            "--from",
            backup.to_str().unwrap(),
            "--database-url",
            "postgres://postgres@127.0.0.1:5432/portfolio",
        ],
    ));
    assert!(stderr.contains("pg_restore"), "{stderr}");
    assert_eq!(files_of(&database), files);

    // The good backup restores.
    success(&mut portfolio(
        &dir,
        &["restore", "--from", backup.to_str().unwrap(), "--force"],
    ));
}

#[test]
fn a_backup_from_a_newer_build_is_refused_and_an_older_one_migrated_forward() {
    let dir = TempDir::new();
    let backup = database_and_backup(&dir);

    let newer = dir.path().join("newer.sqlite");
    std::fs::copy(&backup, &newer).unwrap();
    sqlite_execute(
        &newer,
        "INSERT INTO _sqlx_migrations (version, description, installed_on, success, checksum, \
         execution_time) VALUES (29991231000000, 'from the future', '2999-12-31', 1, x'00', 0)",
    );
    let target = dir.path().join("restored").join("portfolio.sqlite");
    let target_url = sqlite_url(&target);
    let stderr = failure(&mut portfolio(
        &dir,
        &[
            "restore",
            "--from",
            newer.to_str().unwrap(),
            "--database-url",
            &target_url,
        ],
    ));
    assert!(
        stderr.contains("made by a newer build of Portfolio")
            && stderr.contains("29991231000000")
            && stderr.contains("nothing was written"),
        "{stderr}"
    );
    assert!(!target.exists());

    // An older backup: without the latest migration (single sign-on).
    let older = dir.path().join("older.sqlite");
    std::fs::copy(&backup, &older).unwrap();
    sqlite_execute(
        &older,
        "DROP TABLE sso_identities; DROP TABLE sso_logins; \
         DELETE FROM _sqlx_migrations WHERE version = 20261202160000",
    );
    let stdout = success(&mut portfolio(
        &dir,
        &[
            "restore",
            "--from",
            older.to_str().unwrap(),
            "--database-url",
            &target_url,
        ],
    ));
    assert!(
        stdout.contains("then migrated forward by 1 migration"),
        "{stdout}"
    );
    let restored = dump_sqlite(&target);
    assert!(restored.contains_key("sso_identities"));
    assert_eq!(restored["projects"], dump_sqlite(&backup)["projects"]);
}

#[test]
fn restore_refuses_while_a_server_uses_the_database() {
    let dir = TempDir::new();
    let backup = database_and_backup(&dir);
    let database = database(&dir);
    let server = Server::listening(portfolio(&dir, &["serve", "--listen", "127.0.0.1:0"]));
    let stderr = failure(&mut portfolio(
        &dir,
        &["restore", "--from", backup.to_str().unwrap(), "--force"],
    ));
    assert!(
        stderr.contains(&format!(
            "a Portfolio server is using {}",
            database.display()
        )),
        "{stderr}"
    );
    drop(server);
    success(&mut portfolio(
        &dir,
        &["restore", "--from", backup.to_str().unwrap(), "--force"],
    ));
}

// ---------------------------------------------------------------------------
// Export --all and import --all
// ---------------------------------------------------------------------------

fn export_all(dir: &TempDir, url: &str, name: &str) -> PathBuf {
    let archive = dir.path().join(name);
    let out = output(&mut portfolio(
        dir,
        &[
            "export",
            "--all",
            "--output",
            archive.to_str().unwrap(),
            "--database-url",
            url,
        ],
    ));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    archive
}

fn import_all(dir: &TempDir, archive: &Path, url: &str) -> Output {
    output(&mut portfolio(
        dir,
        &[
            "import",
            "--all",
            archive.to_str().unwrap(),
            "--database-url",
            url,
        ],
    ))
}

/// The dashboard counts as the API serves them on `url`, after checking
/// that the administrator can sign in and a new project can be added.
fn dashboard_after_checks(dir: &TempDir, url: &str) -> serde_json::Value {
    let token = success(&mut portfolio(
        dir,
        &[
            "token",
            "create",
            "--user",
            ADMIN_EMAIL,
            "--name",
            "Check",
            "--scope",
            "read",
            "--database-url",
            url,
        ],
    ));
    let token = token.trim().to_string();
    let server = Server::listening(portfolio(
        dir,
        &["serve", "--listen", "127.0.0.1:0", "--database-url", url],
    ));
    let r = server.get("/api/v1/dashboard", &token);
    assert_eq!(r.status, 200, "{}", r.text());
    let dashboard = r.json();

    // Signing in works: the password hashes came across.
    let form = server.get("/sign-in", "");
    assert_eq!(form.status, 200);
    let csrf = hidden_input(&form.text(), "csrf_token").expect("csrf_token");
    let sign_in_cookie = form.cookie("portfolio_sign_in").expect("sign-in cookie");
    let body = form_encode(&[
        ("email", ADMIN_EMAIL),
        ("password", DEMO_PASSWORD),
        ("csrf_token", &csrf),
        ("next", "/"),
    ]);
    let signed_in = request(
        &server.address,
        "POST",
        "/sign-in",
        "",
        &[
            (
                "Content-Type",
                "application/x-www-form-urlencoded".to_string(),
            ),
            ("Cookie", format!("portfolio_sign_in={sign_in_cookie}")),
        ],
        body.as_bytes(),
    );
    assert_eq!(signed_in.status, 303, "signing in should redirect");
    let session = signed_in.cookie("portfolio_session").expect("a session");
    let page = request(
        &server.address,
        "GET",
        "/",
        "",
        &[("Cookie", format!("portfolio_session={session}"))],
        b"",
    );
    assert_eq!(page.status, 200);
    assert!(page.text().contains("Sign out"), "signed in");
    drop(server);

    // New rows get new ids (the sequences are past the imported ones).
    let sheet = dir.path().join("one-more.csv");
    std::fs::write(
        &sheet,
        "Project name,Directorate,Phase\nLibrary van tracking,Health and Care,Idea\n",
    )
    .unwrap();
    let stdout = success(&mut portfolio(
        dir,
        &[
            "import",
            sheet.to_str().unwrap(),
            "--org",
            "northmere",
            "--database-url",
            url,
        ],
    ));
    assert!(stdout.contains("Created 1"), "{stdout}");
    success(
        portfolio(
            dir,
            &[
                "user",
                "add",
                "--org",
                "northmere",
                "--email",
                "new@northmere.example",
                "--name",
                "New",
                "--role",
                "viewer",
                "--database-url",
                url,
            ],
        )
        .env("PORTFOLIO_PASSWORD", "a long test password"),
    );
    dashboard
}

/// Moves the demo from one backend to the other and back, checking the
/// archives match byte for byte and the app works on the target.
fn move_between(dir: &TempDir, from: &str, to: &str) {
    seed_demo(dir, from);
    let first = export_all(dir, from, "first.jsonl");
    let header = std::fs::read_to_string(&first).unwrap();
    let header = header.lines().next().unwrap();
    assert!(
        header.contains("\"format\":\"portfolio-archive\"")
            && header.contains("\"left_out\":[\"sessions\",\"sso_logins\"]"),
        "{header}"
    );

    let out = import_all(dir, &first, to);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with("Imported "), "{stdout}");

    let second = export_all(dir, to, "second.jsonl");
    let (a, b) = (
        std::fs::read(&first).unwrap(),
        std::fs::read(&second).unwrap(),
    );
    if a != b {
        let (a, b) = (String::from_utf8_lossy(&a), String::from_utf8_lossy(&b));
        let first_difference = a
            .lines()
            .zip(b.lines())
            .enumerate()
            .find(|(_, (x, y))| x != y);
        panic!("the archives differ, first at {first_difference:?}");
    }

    // A second import into the now full database is refused, and changes nothing.
    let out = import_all(dir, &first, to);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("the database is not empty"), "{stderr}");

    let source = dashboard_after_checks(dir, from);
    let target = dashboard_after_checks(dir, to);
    assert_eq!(target["total"], 76);
    assert_eq!(target, source, "the same dashboard on both backends");
    let stages: Vec<i64> = target["by_stage"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["count"].as_i64().unwrap())
        .filter(|&n| n > 0)
        .collect();
    assert_eq!(stages.iter().sum::<i64>(), 76, "{stages:?}");
}

#[test]
fn export_all_moves_the_demo_from_sqlite_to_postgres_unchanged() {
    let dir = TempDir::new();
    let postgres = postgres();
    move_between(&dir, &sqlite_url(&database(&dir)), &postgres.url);
}

#[test]
fn export_all_moves_the_demo_from_postgres_to_sqlite_unchanged() {
    let dir = TempDir::new();
    let postgres = postgres();
    let target = dir.path().join("moved.sqlite");
    move_between(&dir, &postgres.url, &sqlite_url(&target));
}

#[test]
fn a_malformed_or_clashing_archive_imports_nothing() {
    let dir = TempDir::new();
    let source = sqlite_url(&database(&dir));
    seed_demo(&dir, &source);
    let archive = export_all(&dir, &source, "good.jsonl");
    let text = std::fs::read_to_string(&archive).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let postgres = postgres();

    // A value of the wrong type: refused with its line, nothing written.
    let header = lines
        .iter()
        .position(|l| {
            serde_json::from_str::<serde_json::Value>(l).is_ok_and(|v| v["table"] == "projects")
        })
        .expect("the projects table");
    let row = header + 1;
    let section: serde_json::Value = serde_json::from_str(lines[header]).unwrap();
    let id = section["columns"]
        .as_array()
        .unwrap()
        .iter()
        .position(|c| c["name"] == "id")
        .expect("an id column");
    let mut bad = lines.clone();
    let mut values: Vec<serde_json::Value> = serde_json::from_str(bad[row]).unwrap();
    values[id] = serde_json::json!("seven");
    let broken = serde_json::to_string(&values).unwrap();
    bad[row] = &broken;
    let malformed = dir.path().join("malformed.jsonl");
    std::fs::write(&malformed, bad.join("\n") + "\n").unwrap();
    for target in [
        sqlite_url(&dir.path().join("target.sqlite")),
        postgres.url.clone(),
    ] {
        let out = import_all(&dir, &malformed, &target);
        assert_eq!(out.status.code(), Some(1));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(&format!(
                "line {}: table projects, column id: expected an integer or null, found \"seven\"",
                row + 1
            )),
            "{stderr}"
        );
    }

    // A row that clashes with another (the same id twice) fails inside the
    // transaction: the tables filled before it are rolled back.
    let mut clashing: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    let rows = section["rows"].as_u64().unwrap();
    clashing[header] = clashing[header].replace(
        &format!("\"rows\":{rows}"),
        &format!("\"rows\":{}", rows + 1),
    );
    let duplicate = clashing[row].clone();
    clashing.insert(row, duplicate);
    let clash = dir.path().join("clash.jsonl");
    std::fs::write(&clash, clashing.join("\n") + "\n").unwrap();
    let out = import_all(&dir, &clash, &postgres.url);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("table projects") && stderr.contains("could not be filled"),
        "{stderr}"
    );

    // Nothing was left behind: the good archive imports into the same database.
    let out = import_all(&dir, &archive, &postgres.url);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Not an archive at all.
    let csv = dir.path().join("register.csv");
    std::fs::write(&csv, "Project name\nA\n").unwrap();
    let out = import_all(&dir, &csv, &sqlite_url(&dir.path().join("other.sqlite")));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("line 1: not valid JSON"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
