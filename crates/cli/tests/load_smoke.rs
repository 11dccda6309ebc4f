//! The load generator (`portfolio-load`) against real servers, briefly: a
//! few hundred operations of every kind on one instance over SQLite and on
//! two instances sharing one PostgreSQL database, with no error. Keeps the
//! generator from rotting; the measurements themselves are in
//! docs/benchmarks.md.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use portfolio_load::{Config, MIX};

const BIN: &str = env!("CARGO_BIN_EXE_portfolio");
const PASSWORD: &str = "a long load-test password";
const ORG: &str = "smoke";
const EMAIL: &str = "admin@smoke.example";

/// A directory under the system temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        let path =
            std::env::temp_dir().join(format!("portfolio-load-test-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `portfolio` on the data dir, or on `database_url` when given.
fn portfolio(dir: &TempDir, database_url: Option<&str>, args: &[&str]) -> Command {
    let mut command = Command::new(BIN);
    command.arg("--data-dir").arg(dir.0.join("data"));
    if let Some(url) = database_url {
        command.arg("--database-url").arg(url);
    }
    command.args(args);
    for var in [
        "PORTFOLIO_DATABASE_URL",
        "PORTFOLIO_DATA_DIR",
        "PORTFOLIO_LISTEN",
        "PORTFOLIO_SECURE_COOKIES",
    ] {
        command.env_remove(var);
    }
    command
        .env("PORTFOLIO_PASSWORD", PASSWORD)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null());
    command
}

fn run_ok(mut command: Command) -> String {
    let out = command.output().expect("run portfolio");
    assert!(
        out.status.success(),
        "{command:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// 300 synthetic projects and a write token for their administrator.
fn prepare(dir: &TempDir, database_url: Option<&str>) -> String {
    run_ok(portfolio(
        dir,
        database_url,
        &[
            "generate",
            "--org",
            ORG,
            "--name",
            "Smoke Council",
            "--projects",
            "300",
        ],
    ));
    let token = run_ok(portfolio(
        dir,
        database_url,
        &[
            "token", "create", "--user", EMAIL, "--name", "load", "--scope", "write",
        ],
    ));
    let token = token.trim().to_string();
    assert!(token.starts_with("pf_"), "not a token: {token}");
    token
}

/// A server process, killed when dropped.
struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start(mut command: Command) -> Server {
        let mut child = command
            .args(["serve", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn server");
        let stdout = child.stdout.take().expect("stdout");
        let (send, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        let url = loop {
            let line = lines
                .recv_timeout(Duration::from_secs(120))
                .expect("the server printed no Listening line");
            if let Some(address) = line.strip_prefix("Listening on ") {
                break address.trim().to_string();
            }
        };
        Server { child, url }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs a short load and checks that it did every kind of operation without an error.
async fn smoke(servers: &[Server], token: String) {
    let config = Config {
        urls: servers.iter().map(|s| s.url.clone()).collect(),
        token,
        email: EMAIL.to_string(),
        password: PASSWORD.to_string(),
        connections: 4,
        duration: Duration::from_secs(120),
        max_requests: 200,
        pids: servers.iter().map(|s| s.child.id()).collect(),
        sample_every: Duration::from_secs(1),
        seed: 7,
        optimise_seconds: 1,
        optimise_wait: Duration::from_secs(60),
    };
    let report = portfolio_load::run(config).await.expect("the load ran");
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
                .any(|r| r.pid == server.child.id() && r.rss_kib > 0),
            "no memory sample of {}: {:?}",
            server.child.id(),
            report.rss
        );
    }
    assert!(report
        .minutes_csv()
        .lines()
        .any(|l| l.starts_with("0,all,")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_mixed_load_on_sqlite_has_no_error() {
    let dir = TempDir::new();
    let token = prepare(&dir, None);
    let server = Server::start(portfolio(&dir, None, &[]));
    smoke(&[server], token).await;
}

/// The PostgreSQL server's admin URL: `PORTFOLIO_TEST_POSTGRES_URL`, as for
/// the store's suite (default `postgres://postgres@127.0.0.1:5432/postgres`).
fn postgres_admin_url() -> String {
    std::env::var("PORTFOLIO_TEST_POSTGRES_URL")
        .ok()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

/// A fresh PostgreSQL database, dropped when dropped.
struct PgDatabase {
    name: String,
}

impl PgDatabase {
    fn create() -> PgDatabase {
        let name = format!("portfolio_load_{}", uuid::Uuid::new_v4().simple());
        let out = psql(&format!("CREATE DATABASE {name}"));
        assert!(
            out.status.success(),
            "creating the test database failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        PgDatabase { name }
    }

    /// The admin URL pointed at this database.
    fn url(&self) -> String {
        let admin = postgres_admin_url();
        let (base, query) = match admin.split_once('?') {
            Some((base, query)) => (base.to_string(), format!("?{query}")),
            None => (admin.clone(), String::new()),
        };
        let server_end = base
            .find("://")
            .and_then(|i| base[i + 3..].find('/').map(|j| i + 3 + j))
            .unwrap_or(base.len());
        format!("{}/{}{query}", &base[..server_end], self.name)
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let _ = psql(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ));
    }
}

/// `psql ADMIN_URL -c SQL` (psql is needed: without it the test fails).
fn psql(sql: &str) -> std::process::Output {
    Command::new("psql")
        .arg(postgres_admin_url())
        .args(["-q", "-v", "ON_ERROR_STOP=1", "-c", sql])
        .output()
        .expect("psql is needed to create the test database")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_mixed_load_on_two_postgres_instances_has_no_error() {
    let dir = TempDir::new();
    let database = PgDatabase::create();
    let url = database.url();
    let token = prepare(&dir, Some(&url));
    let first = Server::start(portfolio(&dir, Some(&url), &[]));
    let second = Server::start(portfolio(&dir, Some(&url), &[]));
    smoke(&[first, second], token).await;
}
