//! The load generator (`portfolio-load`) against real servers, briefly: a
//! few hundred operations of every kind on one instance over SQLite and on
//! two instances sharing one PostgreSQL database, with no error. Keeps the
//! generator from rotting; the measurements themselves are in
//! docs/benchmarks.md.

mod common;

use std::time::Duration;

use common::{Backend, Server, TestDatabase, PASSWORD};
use portfolio_load::{Config, MIX};

const ORG: &str = "smoke";
const EMAIL: &str = "admin@smoke.example";

/// 300 synthetic projects and a write token for their administrator.
fn prepare(db: &TestDatabase) -> String {
    db.generate(ORG, 300);
    let token = db.token(EMAIL);
    assert!(token.starts_with("pf_"), "not a token: {token}");
    token
}

/// Runs a short load and checks that it did every kind of operation without an error.
fn smoke(servers: &[Server], token: String) {
    let config = Config {
        urls: servers.iter().map(Server::url).collect(),
        token,
        email: EMAIL.to_string(),
        password: PASSWORD.to_string(),
        connections: 4,
        duration: Duration::from_secs(120),
        max_requests: 200,
        pids: servers.iter().map(Server::pid).collect(),
        sample_every: Duration::from_secs(1),
        seed: 7,
        optimise_seconds: 1,
        optimise_wait: Duration::from_secs(60),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let report = runtime
        .block_on(portfolio_load::run(config))
        .expect("the load ran");
    let table = report.table();
    assert_eq!(report.errors, 0, "{table}");
    assert!(
        report.operations >= 200,
        "the request budget was not spent: {table}"
    );
    for (op, _) in MIX {
        let stats = report.op(op.name()).expect("every operation is reported");
        assert!(stats.count > 0, "{} never ran: {table}", op.name());
    }
    for server in servers {
        assert!(
            report
                .rss
                .iter()
                .any(|r| r.pid == server.pid() && r.rss_kib > 0),
            "no memory sample of {}: {:?}",
            server.pid(),
            report.rss
        );
    }
    assert!(report
        .minutes_csv()
        .lines()
        .any(|l| l.starts_with("0,all,")));
}

#[test]
fn a_short_mixed_load_on_sqlite_has_no_error() {
    let db = TestDatabase::new(Backend::Sqlite);
    let token = prepare(&db);
    smoke(&[db.serve(&[])], token);
}

#[test]
fn a_short_mixed_load_on_two_postgres_instances_has_no_error() {
    let db = TestDatabase::new(Backend::Postgres);
    let token = prepare(&db);
    smoke(&[db.serve(&[]), db.serve(&[])], token);
}
