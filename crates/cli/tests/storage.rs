//! A database that cannot take writes: an SQLite file on a full disk (a
//! small tmpfs filled up), an SQLite file made read-only under the running
//! server (`chattr +i`, which refuses writes even through files already
//! open; once writable again the server is restarted), and a PostgreSQL
//! database made read-only. Writes
//! are refused with a 503 that names the cause and says nothing was saved;
//! the server stays up and keeps serving reads; once the disk has room (or
//! the PostgreSQL database is writable) again, writes succeed without a
//! restart.
//!
//! The tmpfs and the immutable flag need root (as these tests run locally
//! and in CI); if either cannot be had the test fails and says so.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{postgres_admin, Backend, Server, TempDir, TestDatabase};
use serde_json::json;

const ADMIN: &str = "admin@test.example";

/// A small tmpfs mounted for the test, unmounted when dropped.
struct Tmpfs {
    path: PathBuf,
    _dir: TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Tmpfs {
        let dir = TempDir::new();
        let path = dir.path().join("disk");
        std::fs::create_dir_all(&path).expect("mount point");
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&path)
            .output()
            .expect("run mount");
        assert!(
            out.status.success(),
            "this test needs a small tmpfs to fill up, and could not mount one at {} \
             (it must run as root, or with CAP_SYS_ADMIN): {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        Tmpfs { path, _dir: dir }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.path).status();
    }
}

/// Writes zeros to `path` until the disk is full.
fn fill(path: &Path) {
    let mut file = std::fs::File::create(path).expect("filler file");
    let block = vec![0u8; 64 * 1024];
    loop {
        match file.write_all(&block) {
            Ok(()) => {}
            Err(e) if e.raw_os_error() == Some(28) => break,
            Err(e) => panic!("filling the disk failed otherwise: {e}"),
        }
    }
    // The last partial block, byte by byte, so not even a page is left.
    while file.write_all(&[0u8]).is_ok() {}
    let _ = file.sync_all();
}

/// A 503 problem that names `cause` and says nothing was saved.
fn assert_refused(r: &common::Response, cause: &str) {
    assert_eq!(r.status, 503, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    let problem = r.json();
    let detail = problem["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains(cause),
        "names the cause '{cause}': {detail}"
    );
    assert!(detail.contains("nothing was saved"), "{detail}");
    for internal in [
        "sqlx",
        "SQLITE",
        "error returned from database",
        "53100",
        "25006",
    ] {
        assert!(
            !detail.contains(internal),
            "no internals ({internal}): {detail}"
        );
    }
}

/// Reads that must keep working: the register, a project, the dashboard,
/// a public page and the health check.
fn assert_reads(server: &Server, token: &str, code: &str, organisation: &str) {
    for path in [
        "/api/v1/projects?limit=50".to_string(),
        format!("/api/v1/projects/{code}"),
        "/api/v1/dashboard".to_string(),
        "/api/v1/gate-requests".to_string(),
    ] {
        let r = server.get(&path, token);
        assert_eq!(r.status, 200, "{path} still reads: {}", r.text());
    }
    let page = server.get(&format!("/public/{organisation}/roadmap"), "");
    assert_eq!(page.status, 200, "the public roadmap page: {}", page.text());
    assert_eq!(server.get("/health", "").status, 200);
}

fn create(server: &Server, token: &str, title: &str) -> common::Response {
    server.json(
        "POST",
        "/api/v1/projects",
        token,
        None,
        &json!({"title": title, "department": "corporate-services", "stage": "idea"}),
    )
}

fn first_code(server: &Server, token: &str) -> String {
    let list = server.get("/api/v1/projects?sort=code&limit=1", token);
    assert_eq!(list.status, 200, "{}", list.text());
    list.json()["projects"][0]["code"]
        .as_str()
        .expect("a code")
        .to_string()
}

#[test]
fn a_full_disk_refuses_writes_clearly_and_keeps_serving_reads() {
    let disk = Tmpfs::mount("48m");
    let db = TestDatabase::sqlite_at(&disk.path.join("portfolio.sqlite"));
    db.generate("test", 40);
    let token = db.token(ADMIN);
    let server = db.serve(&[]);
    let code = first_code(&server, &token);
    let org = db.number("SELECT id FROM organisations WHERE slug = 'test'");

    fill(&disk.path.join("filler"));
    // Imports until one does not fit: the write-ahead log may still have
    // room for the first few.
    let mut refused = None;
    for attempt in 0..200 {
        let source = format!("full-{attempt}");
        let mut csv = String::from("Title,Department,Stage\n");
        for row in 1..=300 {
            csv.push_str(&format!(
                "Scheme {row} of {source},Corporate Services,Concept\n"
            ));
        }
        let r = server.import_csv(&token, &source, &csv);
        match r.status {
            200 => continue,
            503 => {
                refused = Some((source, r));
                break;
            }
            other => panic!("an import on a full disk answered {other}: {}", r.text()),
        }
    }
    let (source, r) = refused.expect("a write on the full disk was refused");
    assert_refused(&r, "disk is full");
    assert_reads(&server, &token, &code, "test");
    assert_eq!(
        db.number(&format!(
            "SELECT count(*) FROM import_provenance WHERE organisation_id = {org} AND source = '{source}'"
        )),
        0,
        "nothing of the refused import was saved"
    );

    // Room again: the same server writes.
    std::fs::remove_file(disk.path.join("filler")).expect("free the space");
    let r = create(&server, &token, "Written once there was room");
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(
        db.texts("PRAGMA integrity_check"),
        vec!["ok".to_string()],
        "the SQLite file is intact"
    );
}

/// Files made immutable (`chattr +i`: no writes, even through descriptors
/// already open), made writable again when dropped.
struct Immutable(Vec<PathBuf>);

impl Immutable {
    fn set(files: &[PathBuf]) -> Immutable {
        for file in files {
            chattr("+i", file);
        }
        Immutable(files.to_vec())
    }
}

impl Drop for Immutable {
    fn drop(&mut self) {
        for file in &self.0 {
            chattr("-i", file);
        }
    }
}

fn chattr(flag: &str, file: &Path) {
    let out = Command::new("chattr")
        .arg(flag)
        .arg(file)
        .output()
        .expect("run chattr (package e2fsprogs)");
    assert!(
        out.status.success(),
        "this test makes the SQLite file read-only with chattr {flag} {}, which needs root \
         and a file system with the immutable flag (ext4, xfs, btrfs): {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_read_only_sqlite_file_refuses_writes_clearly_and_keeps_serving_reads() {
    let dir = TempDir::new();
    let file = dir.path().join("portfolio.sqlite");
    let db = TestDatabase::sqlite_at(&file);
    db.generate("test", 40);
    let token = db.token(ADMIN);
    let server = db.serve(&[]);
    let code = first_code(&server, &token);
    // A read opens the write-ahead log, so the server holds both files.
    assert_reads(&server, &token, &code, "test");
    let wal = dir.path().join("portfolio.sqlite-wal");
    assert!(wal.exists(), "the server runs in write-ahead-log mode");

    let read_only = Immutable::set(&[file.clone(), wal]);
    let r = create(&server, &token, "Refused while read-only");
    assert_refused(&r, "could not write to its disk");
    let mut csv = String::from("Title,Department,Stage\n");
    csv.push_str("A scheme,Corporate Services,Concept\n");
    assert_refused(
        &server.import_csv(&token, "read-only", &csv),
        "could not write to its disk",
    );
    assert_reads(&server, &token, &code, "test");

    // Writable again: SQLite's open connections still hold the file as
    // read-only (they reopened it so when the write failed), so the server is
    // restarted, as the README tells an operator to do.
    drop(read_only);
    drop(server);
    let server = db.serve(&[]);
    let r = create(&server, &token, "Written once writable");
    assert_eq!(r.status, 201, "{}", r.text());
    drop(server);
    assert_eq!(
        db.number("SELECT count(*) FROM projects WHERE title LIKE 'Refused while%'"),
        0,
        "nothing of the refused write was saved"
    );
    assert_eq!(
        db.number("SELECT count(*) FROM import_provenance WHERE source = 'read-only'"),
        0,
        "nothing of the refused import was saved"
    );
    assert_eq!(
        db.texts("PRAGMA integrity_check"),
        vec!["ok".to_string()],
        "the SQLite file is intact"
    );
}

/// Makes new sessions on the database read-only (or writable again) and
/// ends the current ones, so the server's pool reconnects with the setting.
fn set_read_only(db: &TestDatabase, on: bool) {
    let name = db.postgres_name();
    let value = if on { "on" } else { "off" };
    postgres_admin(&[
        format!("ALTER DATABASE {name} SET default_transaction_read_only = {value}"),
        format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = '{name}' AND pid <> pg_backend_pid()"
        ),
    ]);
}

#[test]
fn a_read_only_database_refuses_writes_clearly_and_keeps_serving_reads() {
    let db = TestDatabase::new(Backend::Postgres);
    db.generate("test", 40);
    let token = db.token(ADMIN);
    let server = db.serve(&[]);
    let code = first_code(&server, &token);

    set_read_only(&db, true);
    let r = create(&server, &token, "Refused while read-only");
    assert_refused(&r, "read-only");
    let mut csv = String::from("Title,Department,Stage\n");
    csv.push_str("A scheme,Corporate Services,Concept\n");
    assert_refused(&server.import_csv(&token, "read-only", &csv), "read-only");
    assert_reads(&server, &token, &code, "test");

    set_read_only(&db, false);
    let r = create(&server, &token, "Written once writable");
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(
        db.number("SELECT count(*) FROM projects WHERE title LIKE 'Refused while%'"),
        0
    );
}
