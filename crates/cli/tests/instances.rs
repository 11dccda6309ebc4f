//! Two `portfolio serve` processes on one PostgreSQL database, as behind a
//! load balancer: concurrent edits, imports and gate decisions through both
//! lose nothing, refuse every stale write, leave one audit record per change,
//! and keep the dashboard's counts equal to the register's. A scenario run
//! whose server is killed is marked failed, with the reason, by the other.

mod common;

use std::collections::BTreeMap;
use std::sync::Barrier;

use common::{Backend, Server, TestDatabase};
use serde_json::{json, Value};

const ADMIN: &str = "admin@northmere.example";
const BOARD: &str = "board@northmere.example";
const PMO: &str = "pmo@northmere.example";
const SECOND_BOARD: &str = "board2@northmere.example";

/// Editing threads, and edits each makes.
const EDITORS: usize = 8;
const EDITS_EACH: usize = 12;
/// Projects edited: the first by every thread, each other by two threads.
const EDITED: usize = 5;
/// Threads creating projects, and projects each creates.
const CREATORS: usize = 4;
const CREATES_EACH: usize = 10;
/// Imports per instance, and rows per import.
const IMPORTS_EACH: usize = 3;
const IMPORT_ROWS: usize = 40;

/// An acknowledged edit: the version it wrote and the summary it set.
#[derive(Debug, Clone)]
struct Acknowledged {
    version: i64,
    summary: String,
}

fn organisation_id(db: &TestDatabase) -> i64 {
    db.number("SELECT id FROM organisations WHERE slug = 'northmere'")
}

/// Reads a project through one instance and writes a new summary through
/// the other with the version read: `Some` if acknowledged, `None` if
/// refused as stale. Any other answer fails the test.
fn edit(
    read: &Server,
    write: &Server,
    token: &str,
    code: &str,
    summary: &str,
) -> Option<Acknowledged> {
    let got = read.get(&format!("/api/v1/projects/{code}"), token);
    assert_eq!(got.status, 200, "read {code}: {}", got.text());
    let etag = got.header("etag").expect("an ETag").to_string();
    let project = got.json();
    let body = json!({
        "title": project["title"],
        "department": project["department"]["slug"],
        "stage": project["stage"],
        "summary": summary,
    });
    let put = write.json(
        "PUT",
        &format!("/api/v1/projects/{code}"),
        token,
        Some(&etag),
        &body,
    );
    match put.status {
        200 => {
            let written = put.json();
            assert_eq!(written["summary"], summary, "{}", put.text());
            Some(Acknowledged {
                version: written["version"].as_i64().expect("a version"),
                summary: summary.to_string(),
            })
        }
        412 => None,
        other => panic!(
            "an edit of {code} answered {other}, not 200 or 412: {}",
            put.text()
        ),
    }
}

fn import_csv(source: &str) -> String {
    let mut csv = String::from("Title,Department,Stage\n");
    for row in 1..=IMPORT_ROWS {
        csv.push_str(&format!(
            "Imported {source} row {row},Corporate Services,Concept\n"
        ));
    }
    csv
}

#[test]
fn two_instances_on_one_postgres_lose_no_update_and_keep_the_invariants() {
    let db = TestDatabase::new(Backend::Postgres);
    db.seed_demo();
    db.add_user("northmere", PMO, "programme_office");
    db.add_user("northmere", SECOND_BOARD, "board_member");
    let admin = db.token(ADMIN);
    let pmo = db.token(PMO);
    let board = db.token(BOARD);
    let second_board = db.token(SECOND_BOARD);
    let servers = [db.serve(&[]), db.serve(&[])];
    let org = organisation_id(&db);
    let projects_before = db.number(&format!(
        "SELECT count(*) FROM projects WHERE organisation_id = {org}"
    ));

    // Fresh projects to edit, created through alternate instances: each
    // starts at version 1.
    let codes: Vec<String> = (0..EDITED)
        .map(|i| {
            let r = servers[i % 2].json(
                "POST",
                "/api/v1/projects",
                &admin,
                None,
                &json!({"title": format!("Edited from two instances {i}"), "department": "corporate-services", "stage": "concept"}),
            );
            assert_eq!(r.status, 201, "{}", r.text());
            let project = r.json();
            assert_eq!(project["version"], 1);
            project["code"].as_str().expect("a code").to_string()
        })
        .collect();

    // The gate requests waiting for the board, each read (with its version)
    // by two deciders before either decides.
    let pending = servers[0].get("/api/v1/gate-requests?status=pending", &admin);
    assert_eq!(pending.status, 200, "{}", pending.text());
    let requests: Vec<(i64, String)> = pending.json()["gate_requests"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|r| {
            (
                r["id"].as_i64().expect("an id"),
                r["project"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert!(
        requests.len() >= 2,
        "the demo has gate requests waiting: {}",
        pending.text()
    );

    let deciders = Barrier::new(2);
    let (edits, decisions, imports, created) = std::thread::scope(|scope| {
        let editors: Vec<_> = (0..EDITORS)
            .map(|t| {
                let (servers, codes) = (&servers, &codes);
                let token = if t % 2 == 0 {
                    admin.clone()
                } else {
                    pmo.clone()
                };
                scope.spawn(move || {
                    let mut outcomes = Vec::new();
                    for i in 0..EDITS_EACH {
                        // Every other edit is of the project all threads share.
                        let code = if i % 2 == 0 {
                            &codes[0]
                        } else {
                            &codes[1 + t % (EDITED - 1)]
                        };
                        let (read, write) = (&servers[(t + i) % 2], &servers[(t + i + 1) % 2]);
                        let summary = format!("Edit {i} by thread {t}");
                        outcomes.push((code.clone(), edit(read, write, &token, code, &summary)));
                    }
                    outcomes
                })
            })
            .collect();
        let importers: Vec<_> = (0..2)
            .map(|s| {
                let (servers, admin) = (&servers, &admin);
                scope.spawn(move || {
                    let mut sources = Vec::new();
                    for i in 0..IMPORTS_EACH {
                        let source = format!("instance-{s}-import-{i}");
                        let r = servers[s].import_csv(admin, &source, &import_csv(&source));
                        assert_eq!(r.status, 200, "import {source}: {}", r.text());
                        assert_eq!(r.json()["created"], IMPORT_ROWS, "{}", r.text());
                        sources.push(source);
                    }
                    sources
                })
            })
            .collect();
        let creators: Vec<_> = (0..CREATORS)
            .map(|c| {
                let (servers, pmo) = (&servers, &pmo);
                scope.spawn(move || {
                    (0..CREATES_EACH)
                        .map(|i| {
                            let title = format!("Created by thread {c}, number {i}");
                            let r = servers[(c + i) % 2].json(
                                "POST",
                                "/api/v1/projects",
                                pmo,
                                None,
                                &json!({"title": title, "department": "corporate-services", "stage": "idea"}),
                            );
                            assert_eq!(r.status, 201, "a create racing others: {}", r.text());
                            r.json()["code"].as_str().expect("a code").to_string()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let decided: Vec<_> = requests
            .iter()
            .map(|(id, _)| {
                let mut answers = Vec::new();
                let pair: Vec<_> = [(&servers[0], &board), (&servers[1], &second_board)]
                    .into_iter()
                    .map(|(server, token)| {
                        let deciders = &deciders;
                        scope.spawn(move || {
                            let path = format!("/api/v1/gate-requests/{id}");
                            let read = server.get(&path, token);
                            assert_eq!(read.status, 200, "{}", read.text());
                            let etag = read.header("etag").expect("an ETag").to_string();
                            deciders.wait();
                            let r = server.json(
                                "POST",
                                &format!("{path}/decision"),
                                token,
                                Some(&etag),
                                &json!({"outcome": "approved", "reasons": "Agreed by the board."}),
                            );
                            (r.status, r.text())
                        })
                    })
                    .collect();
                for handle in pair {
                    answers.push(handle.join().expect("a decider"));
                }
                (*id, answers)
            })
            .collect();
        let edits: Vec<(String, Option<Acknowledged>)> = editors
            .into_iter()
            .flat_map(|h| h.join().expect("an editor"))
            .collect();
        let imports: Vec<String> = importers
            .into_iter()
            .flat_map(|h| h.join().expect("an importer"))
            .collect();
        let created: Vec<String> = creators
            .into_iter()
            .flat_map(|h| h.join().expect("a creator"))
            .collect();
        (edits, decided, imports, created)
    });

    // Every acknowledged edit is present; the versions acknowledged for a
    // project are exactly 2..=1+n, so none overwrote another.
    let mut acknowledged: BTreeMap<String, Vec<Acknowledged>> = BTreeMap::new();
    let mut refused = 0;
    for (code, outcome) in &edits {
        match outcome {
            Some(ack) => acknowledged
                .entry(code.clone())
                .or_default()
                .push(ack.clone()),
            None => refused += 1,
        }
    }
    eprintln!(
        "{} edits acknowledged, {refused} refused as stale; {} imports; {} creates; {} gate requests raced",
        edits.len() - refused,
        imports.len(),
        created.len(),
        decisions.len()
    );
    assert_eq!(edits.len(), EDITORS * EDITS_EACH);
    assert!(
        refused > 0,
        "racing edits of one project were refused, not merged"
    );
    for code in &codes {
        let acks = acknowledged.get(code).cloned().unwrap_or_default();
        let mut versions: Vec<i64> = acks.iter().map(|a| a.version).collect();
        versions.sort_unstable();
        let n = i64::try_from(acks.len()).expect("few");
        assert_eq!(
            versions,
            (2..=1 + n).collect::<Vec<_>>(),
            "{code}: acknowledged versions"
        );
        for server in &servers {
            let now = server
                .get(&format!("/api/v1/projects/{code}"), &admin)
                .json();
            assert_eq!(now["version"], 1 + n, "{code}: 1 + acknowledged edits");
            let last = acks
                .iter()
                .max_by_key(|a| a.version)
                .map_or("", |a| a.summary.as_str());
            assert_eq!(
                now["summary"], last,
                "{code}: the last acknowledged edit is what is stored"
            );
        }
        // One audit record per change: the create and each acknowledged edit,
        // each acknowledged summary in exactly one; none for a refused edit.
        let id = db.number(&format!(
            "SELECT id FROM projects WHERE organisation_id = {org} AND code = '{code}'"
        ));
        let afters = db.texts(&format!(
            "SELECT CAST(after_json AS TEXT) FROM audit_log WHERE entity = 'project' AND entity_id = {id}"
        ));
        assert_eq!(afters.len(), acks.len() + 1, "{code}: audit records");
        for ack in &acks {
            let quoted = format!("\"summary\":\"{}\"", ack.summary);
            assert_eq!(
                afters.iter().filter(|a| a.contains(&quoted)).count(),
                1,
                "{code}: one audit record for '{}'",
                ack.summary
            );
        }
    }

    // Each gate request was decided by exactly one of its two deciders.
    for (id, answers) in &decisions {
        let won = answers.iter().filter(|(status, _)| *status == 200).count();
        assert_eq!(
            won, 1,
            "request {id}: exactly one decision wins: {answers:?}"
        );
        for (status, text) in answers {
            assert!(
                [200, 412, 422].contains(status),
                "request {id}: the loser is refused as stale or already decided, not {status}: {text}"
            );
        }
        assert_eq!(
            db.number(&format!(
                "SELECT count(*) FROM audit_log WHERE entity = 'gate_request' AND entity_id = {id} AND action = 'decided'"
            )),
            1,
            "request {id}: one decision recorded"
        );
    }

    // Every import is present whole, each project with its one audit record.
    for source in &imports {
        let ids = db.numbers(&format!(
            "SELECT project_id FROM import_provenance WHERE organisation_id = {org} AND source = '{source}'"
        ));
        assert_eq!(ids.len(), IMPORT_ROWS, "{source}: every row imported");
        let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        assert_eq!(
            db.number(&format!(
                "SELECT count(*) FROM audit_log WHERE entity = 'project' AND entity_id IN ({list})"
            )),
            i64::try_from(IMPORT_ROWS).expect("few"),
            "{source}: one audit record per imported project"
        );
    }
    // Every acknowledged create is there, under the code it was given.
    let mut distinct = created.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(
        distinct.len(),
        CREATORS * CREATES_EACH,
        "each create got its own code"
    );
    for code in &created {
        assert_eq!(
            db.number(&format!(
                "SELECT count(*) FROM projects WHERE organisation_id = {org} AND code = '{code}'"
            )),
            1,
            "{code} is stored"
        );
    }
    let projects_after = db.number(&format!(
        "SELECT count(*) FROM projects WHERE organisation_id = {org}"
    ));
    assert_eq!(
        projects_after,
        projects_before
            + i64::try_from(EDITED + imports.len() * IMPORT_ROWS + created.len()).expect("few")
    );

    // The dashboard's stage counts, through either instance, equal the
    // register's (the list filtered by stage) and the database's.
    for server in &servers {
        let dashboard = server.get("/api/v1/dashboard", &admin);
        assert_eq!(dashboard.status, 200, "{}", dashboard.text());
        let dashboard = dashboard.json();
        let mut sum = 0;
        for entry in dashboard["by_stage"].as_array().expect("by stage") {
            let stage = entry["stage"].as_str().expect("a stage");
            let count = entry["count"].as_i64().expect("a count");
            let listed = server.get(&format!("/api/v1/projects?stage={stage}&limit=1"), &admin);
            assert_eq!(listed.status, 200, "{}", listed.text());
            assert_eq!(
                listed.json()["total"],
                count,
                "{stage}: dashboard and register agree"
            );
            assert_eq!(
                db.number(&format!(
                    "SELECT count(*) FROM projects WHERE organisation_id = {org} AND stage = '{stage}'"
                )),
                count,
                "{stage}: dashboard and database agree"
            );
            sum += count;
        }
        assert_eq!(
            dashboard["total"], sum,
            "the stage counts add up to the total"
        );
    }
}

/// The seconds after which a silent run counts as abandoned, in this test.
const STALE_SECONDS: &str = "4";

#[test]
fn a_run_whose_instance_was_killed_is_marked_failed_by_the_other() {
    let db = TestDatabase::new(Backend::Postgres);
    db.seed_demo();
    let admin = db.token(ADMIN);
    let mut first = db.serve(&["--run-stale-after", STALE_SECONDS]);
    let second = db.serve(&["--run-stale-after", STALE_SECONDS]);

    let scenarios = second.get("/api/v1/scenarios", &admin);
    assert_eq!(scenarios.status, 200, "{}", scenarios.text());
    let slug = scenarios.json()[0]["slug"]
        .as_str()
        .expect("the demo has scenarios")
        .to_string();
    let started = first.json(
        "POST",
        &format!("/api/v1/scenarios/{slug}/runs"),
        &admin,
        None,
        &json!({}),
    );
    assert_eq!(started.status, 202, "{}", started.text());
    let run: Value = started.json();
    let id = run["id"].as_i64().expect("a run id");
    first.kill();

    // The run was still going when its server died (else this test proves
    // nothing): the other instance still sees it running.
    let path = format!("/api/v1/scenario-runs/{id}");
    let seen = second.get(&path, &admin).json();
    assert_eq!(
        seen["status"], "running",
        "the run outlived its server: {seen}"
    );

    // Within the stale period (and one look), the other instance marks it
    // failed and says why.
    let mut polls = 0;
    let failed = loop {
        let now = second.get(&path, &admin).json();
        if now["status"] != "running" {
            break now;
        }
        polls += 1;
        assert!(polls < 120, "the run is still marked running: {now}");
        std::thread::sleep(std::time::Duration::from_millis(250));
    };
    assert_eq!(failed["status"], "failed", "{failed}");
    let message = failed["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("server running this run stopped"),
        "{message}"
    );
    assert_eq!(
        db.number(&format!(
            "SELECT count(*) FROM audit_log WHERE entity = 'scenario_run' AND entity_id = {id} AND action = 'failed'"
        )),
        1,
        "the failure is in the audit trail"
    );
}
