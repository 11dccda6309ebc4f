//! Crash safety: the real server is killed (SIGKILL) in the middle of an
//! import of thousands of rows, a merge, and a report's generation, at
//! several points inside the time the operation takes, then started again on
//! the same database. Each operation is then present whole or not at all
//! (its record, its projects and its audit records), an acknowledged one is
//! always present, the SQLite file passes `PRAGMA integrity_check`, and the
//! server serves reads and writes as before. On SQLite and on PostgreSQL.

mod common;

use std::time::{Duration, Instant};

use common::{try_request, Backend, Server, TestDatabase};
use serde_json::{json, Value};

const ADMIN: &str = "admin@test.example";
/// Rows of the large import.
const IMPORT_ROWS: usize = 3_000;
/// Where inside the operation's measured time the server is killed.
const KILL_AT: [f64; 3] = [0.1, 0.5, 0.9];
/// Projects merged into a survivor by each merge.
const MERGED: usize = 8;

/// What is counted before and after each operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Counts {
    projects: i64,
    audit: i64,
    /// The operation's own records: provenance rows, merges or reports.
    records: i64,
}

struct Crash<'a> {
    db: &'a TestDatabase,
    organisation: i64,
    token: String,
    server: Server,
}

/// One operation to interrupt: its request, and how to count its records.
struct Operation {
    name: &'static str,
    method: &'static str,
    path: String,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    records: String,
    /// The status that acknowledges it.
    success: u16,
}

impl Crash<'_> {
    fn counts(&self, records: &str) -> Counts {
        let org = self.organisation;
        Counts {
            projects: self.db.number(&format!(
                "SELECT count(*) FROM projects WHERE organisation_id = {org}"
            )),
            audit: self.db.number(&format!(
                "SELECT count(*) FROM audit_log WHERE organisation_id = {org}"
            )),
            records: self.db.number(records),
        }
    }

    fn send(&self, op: &Operation) -> std::io::Result<common::Response> {
        try_request(
            &self.server.address,
            op.method,
            &op.path,
            &self.token,
            &op.headers,
            &op.body,
        )
    }

    /// Runs the operation to the end once: how long it took and what it added.
    fn measure(&self, op: &Operation) -> (Duration, Counts) {
        let before = self.counts(&op.records);
        let started = Instant::now();
        let r = self.send(op).expect("the server answers");
        let took = started.elapsed();
        assert_eq!(r.status, op.success, "{}: {}", op.name, r.text());
        let after = self.counts(&op.records);
        let added = Counts {
            projects: after.projects - before.projects,
            audit: after.audit - before.audit,
            records: after.records - before.records,
        };
        assert!(
            added.audit > 0 && added.records > 0,
            "{}: {added:?}",
            op.name
        );
        (took, added)
    }

    /// Sends the operation, kills the server `after` it was sent, starts it
    /// again, and checks that all or nothing of the operation is there.
    fn kill_during(&mut self, op: &Operation, after: Duration, whole: Counts) {
        let before = self.counts(&op.records);
        let (address, token) = (self.server.address.clone(), self.token.clone());
        let (method, path, headers, body) = (
            op.method,
            op.path.clone(),
            op.headers.clone(),
            op.body.clone(),
        );
        let in_flight = std::thread::spawn(move || {
            try_request(&address, method, &path, &token, &headers, &body)
        });
        std::thread::sleep(after);
        self.server.kill();
        let answer = in_flight.join().expect("the request thread");
        self.server = self.db.serve(&[]);

        let now = self.counts(&op.records);
        let added = Counts {
            projects: now.projects - before.projects,
            audit: now.audit - before.audit,
            records: now.records - before.records,
        };
        let nothing = Counts {
            projects: 0,
            audit: 0,
            records: 0,
        };
        assert!(
            added == nothing || added == whole,
            "{} killed after {after:?}: all ({whole:?}) or nothing, but {added:?} was added",
            op.name
        );
        eprintln!(
            "{:?} {} killed after {after:?}: {}, answer {}",
            self.db.backend,
            op.name,
            if added == nothing {
                "nothing kept"
            } else {
                "all kept"
            },
            match &answer {
                Ok(r) => r.status.to_string(),
                Err(e) => format!("none ({e})"),
            }
        );
        if let Ok(r) = &answer {
            if r.status == op.success {
                assert_eq!(
                    added, whole,
                    "{}: it was acknowledged, so it is kept",
                    op.name
                );
            }
        }
        if self.db.backend == Backend::Sqlite {
            assert_eq!(
                self.db.texts("PRAGMA integrity_check"),
                vec!["ok".to_string()],
                "the SQLite file is intact"
            );
        }
        self.serves_normally();
    }

    /// The restarted server reads, and takes a write.
    fn serves_normally(&self) {
        let dashboard = self.server.get("/api/v1/dashboard", &self.token);
        assert_eq!(dashboard.status, 200, "{}", dashboard.text());
        let created = self.server.json(
            "POST",
            "/api/v1/projects",
            &self.token,
            None,
            &json!({"title": "Written after a restart", "department": "corporate-services", "stage": "idea"}),
        );
        assert_eq!(created.status, 201, "{}", created.text());
    }

    /// `n` projects nobody has merged, as (code, version).
    fn unmerged(&self, skip: usize, n: usize) -> Vec<(String, i64)> {
        let list = self.server.get(
            "/api/v1/projects?stage=concept&sort=code&limit=100",
            &self.token,
        );
        assert_eq!(list.status, 200, "{}", list.text());
        list.json()["projects"]
            .as_array()
            .expect("projects")
            .iter()
            .skip(skip)
            .take(n)
            .map(|p| {
                (
                    p["code"].as_str().expect("a code").to_string(),
                    p["version"].as_i64().expect("a version"),
                )
            })
            .collect()
    }
}

fn import(org: i64, source: &str) -> Operation {
    let mut csv = String::from("Title,Department,Stage\n");
    for row in 1..=IMPORT_ROWS {
        csv.push_str(&format!(
            "Scheme {row} of {source},Corporate Services,Concept\n"
        ));
    }
    let (content_type, body) = common::multipart_file(&format!("{source}.csv"), csv.as_bytes());
    Operation {
        name: "import",
        method: "POST",
        path: format!("/api/v1/imports?source={source}"),
        headers: vec![("Content-Type", content_type)],
        body,
        records: format!("SELECT count(*) FROM import_provenance WHERE organisation_id = {org}"),
        success: 200,
    }
}

fn merge(org: i64, members: &[(String, i64)]) -> Operation {
    let member = |(code, version): &(String, i64)| json!({"code": code, "version": version});
    let body: Value = json!({
        "survivor": member(&members[0]),
        "merged": members[1..].iter().map(member).collect::<Vec<_>>(),
        "fields": {"summary": "combine"},
    });
    Operation {
        name: "merge",
        method: "POST",
        path: "/api/v1/merges".to_string(),
        headers: vec![("Content-Type", "application/json".to_string())],
        body: body.to_string().into_bytes(),
        records: format!("SELECT count(*) FROM project_merges WHERE organisation_id = {org}"),
        success: 201,
    }
}

fn report(org: i64) -> Operation {
    let today = chrono::Utc::now().date_naive().to_string();
    Operation {
        name: "report",
        method: "POST",
        path: "/api/v1/reports".to_string(),
        headers: vec![("Content-Type", "application/json".to_string())],
        body: json!({"kind": "cabinet", "as_at": today})
            .to_string()
            .into_bytes(),
        records: format!("SELECT count(*) FROM reports WHERE organisation_id = {org}"),
        success: 201,
    }
}

fn survives_kill_9(backend: Backend) {
    let db = TestDatabase::new(backend);
    db.generate("test", 120);
    let token = db.token(ADMIN);
    let organisation = db.number("SELECT id FROM organisations WHERE slug = 'test'");
    let server = db.serve(&[]);
    let mut crash = Crash {
        db: &db,
        organisation,
        token,
        server,
    };

    let (took, whole) = crash.measure(&import(organisation, "measured"));
    assert_eq!(whole.projects, i64::try_from(IMPORT_ROWS).expect("fits"));
    for (k, at) in KILL_AT.iter().enumerate() {
        crash.kill_during(
            &import(organisation, &format!("killed-{k}")),
            took.mul_f64(*at),
            whole,
        );
    }

    let (took, whole) = crash.measure(&merge(organisation, &crash.unmerged(0, MERGED)));
    for at in KILL_AT {
        // Merged projects leave the concept stage, so the next are at the front.
        let members = crash.unmerged(0, MERGED);
        assert_eq!(members.len(), MERGED, "enough projects to merge");
        crash.kill_during(&merge(organisation, &members), took.mul_f64(at), whole);
    }

    let (took, whole) = crash.measure(&report(organisation));
    for at in KILL_AT {
        crash.kill_during(&report(organisation), took.mul_f64(at), whole);
    }
}

#[test]
fn sqlite_keeps_all_or_nothing_of_an_operation_killed_midway() {
    survives_kill_9(Backend::Sqlite);
}

#[test]
fn postgres_keeps_all_or_nothing_of_an_operation_killed_midway() {
    survives_kill_9(Backend::Postgres);
}
