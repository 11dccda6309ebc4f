//! Shared helpers for the black-box tests that run the built `portfolio`
//! binary as servers: fresh databases (an SQLite file or a PostgreSQL
//! database created on the test server and dropped afterwards), servers
//! started on port 0 and killed when dropped, a small blocking HTTP client,
//! and direct SQL reads to check what the database really holds.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;
use sqlx::{Connection, Executor, Row};

pub const BIN: &str = env!("CARGO_BIN_EXE_portfolio");
pub const PASSWORD: &str = "a long test password";
const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A directory under the system temp dir, removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new() -> TempDir {
        let path =
            std::env::temp_dir().join(format!("portfolio-cli-test-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Which database a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A fresh database: an SQLite file in a temp dir, or a PostgreSQL database
/// dropped (with its connections) when this is dropped.
pub struct TestDatabase {
    pub url: String,
    pub backend: Backend,
    pub dir: TempDir,
    postgres: Option<(String, String)>,
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

pub fn postgres_admin_url() -> String {
    std::env::var("PORTFOLIO_TEST_POSTGRES_URL")
        .ok()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_POSTGRES_URL.to_string())
}

/// The admin URL pointed at another database on the same server.
fn with_database(admin_url: &str, database: &str) -> String {
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

/// Runs statements on the PostgreSQL server's admin database.
pub fn postgres_admin(statements: &[String]) {
    let admin_url = postgres_admin_url();
    runtime().block_on(async {
        sqlx::any::install_default_drivers();
        let mut admin = sqlx::AnyConnection::connect(&admin_url)
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "PostgreSQL is unreachable at {admin_url}: {e}. These tests need a real \
                     server and do not skip: start one, or set PORTFOLIO_TEST_POSTGRES_URL"
                )
            });
        for statement in statements {
            admin
                .execute(statement.as_str())
                .await
                .unwrap_or_else(|e| panic!("{statement}: {e}"));
        }
        let _ = admin.close().await;
    });
}

impl TestDatabase {
    pub fn new(backend: Backend) -> TestDatabase {
        let dir = TempDir::new();
        match backend {
            Backend::Sqlite => TestDatabase {
                url: format!("sqlite://{}/portfolio.sqlite", dir.path().display()),
                backend,
                dir,
                postgres: None,
            },
            Backend::Postgres => {
                let database = format!("portfolio_test_{}", uuid::Uuid::new_v4().simple());
                postgres_admin(&[format!("CREATE DATABASE {database}")]);
                TestDatabase {
                    url: with_database(&postgres_admin_url(), &database),
                    backend,
                    dir,
                    postgres: Some((postgres_admin_url(), database)),
                }
            }
        }
    }

    /// An SQLite database at a path of the caller's choosing.
    pub fn sqlite_at(path: &Path) -> TestDatabase {
        TestDatabase {
            url: format!("sqlite://{}", path.display()),
            backend: Backend::Sqlite,
            dir: TempDir::new(),
            postgres: None,
        }
    }

    /// The PostgreSQL database's name.
    pub fn postgres_name(&self) -> &str {
        &self.postgres.as_ref().expect("a PostgreSQL database").1
    }

    /// `portfolio --database-url URL ARGS`, isolated from the caller's environment.
    pub fn portfolio(&self, args: &[&str]) -> Command {
        let mut command = Command::new(BIN);
        command
            .arg("--data-dir")
            .arg(self.dir.path().join("data"))
            .arg("--database-url")
            .arg(&self.url)
            .args(args);
        for var in [
            "PORTFOLIO_DATABASE_URL",
            "PORTFOLIO_DATA_DIR",
            "PORTFOLIO_LOG_FORMAT",
            "PORTFOLIO_LISTEN",
            "PORTFOLIO_SECURE_COOKIES",
            "PORTFOLIO_PASSWORD",
            "PORTFOLIO_DEMO_PASSWORD",
        ] {
            command.env_remove(var);
        }
        command.env("RUST_LOG", "warn").stdin(Stdio::null());
        command
    }

    /// Runs a command to completion, asserting it succeeded; its stdout.
    pub fn run(&self, command: &mut Command) -> String {
        let out = command.output().expect("run portfolio");
        assert!(
            out.status.success(),
            "{command:?} failed with {}\nstdout: {}\nstderr: {}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("stdout is UTF-8")
    }

    /// Seeds the Northmere demo council (through `portfolio demo`, stopped
    /// once it listens) with every demo user's password set to [`PASSWORD`].
    pub fn seed_demo(&self) {
        let mut command = self.portfolio(&["demo", "--listen", "127.0.0.1:0"]);
        command.env("PORTFOLIO_DEMO_PASSWORD", PASSWORD);
        let mut server = Server::start(command);
        server.wait_until_listening();
        server.stop();
    }

    /// An organisation of `projects` generated projects, whose administrator
    /// is `admin@SLUG.example`.
    pub fn generate(&self, slug: &str, projects: usize) {
        self.run(
            self.portfolio(&[
                "generate",
                "--org",
                slug,
                "--name",
                "Test Council",
                "--projects",
                &projects.to_string(),
            ])
            .env("PORTFOLIO_PASSWORD", PASSWORD),
        );
    }

    /// A new API token of `user`, with the write scope.
    pub fn token(&self, user: &str) -> String {
        self.run(&mut self.portfolio(&[
            "token", "create", "--user", user, "--name", "test", "--scope", "write",
        ]))
        .trim()
        .to_string()
    }

    /// A server on port 0 over this database, with extra `serve` arguments.
    pub fn serve(&self, extra: &[&str]) -> Server {
        let mut args = vec!["serve", "--listen", "127.0.0.1:0"];
        args.extend_from_slice(extra);
        let mut server = Server::start(self.portfolio(&args));
        server.wait_until_listening();
        server
    }

    /// The first column of each row `sql` returns, as whole numbers.
    pub fn numbers(&self, sql: &str) -> Vec<i64> {
        self.query(sql, |row| row.try_get::<i64, _>(0).expect("a number"))
    }

    /// The one whole number `sql` returns.
    pub fn number(&self, sql: &str) -> i64 {
        let numbers = self.numbers(sql);
        assert_eq!(numbers.len(), 1, "{sql} returned {numbers:?}");
        numbers[0]
    }

    /// The first column of each row `sql` returns, as text.
    pub fn texts(&self, sql: &str) -> Vec<String> {
        self.query(sql, |row| row.try_get::<String, _>(0).expect("text"))
    }

    fn query<T>(&self, sql: &str, read: impl Fn(&sqlx::any::AnyRow) -> T) -> Vec<T> {
        runtime().block_on(async {
            sqlx::any::install_default_drivers();
            let mut conn = sqlx::AnyConnection::connect(&self.url)
                .await
                .unwrap_or_else(|e| panic!("connect to {}: {e}", self.url));
            let rows = sqlx::query(sql)
                .fetch_all(&mut conn)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
            let _ = conn.close().await;
            rows.iter().map(read).collect()
        })
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some((_, database)) = &self.postgres {
            postgres_admin(&[format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)")]);
        }
    }
}

/// A server process, killed when dropped.
pub struct Server {
    child: Child,
    /// Behind a mutex so that threads may share the server.
    lines: std::sync::Mutex<mpsc::Receiver<String>>,
    pub address: String,
}

impl Server {
    pub fn start(mut command: Command) -> Server {
        let mut child = command
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
        Server {
            child,
            lines: std::sync::Mutex::new(lines),
            address: String::new(),
        }
    }

    /// Waits for `Listening on http://…` and keeps the address.
    pub fn wait_until_listening(&mut self) {
        let mut seen = Vec::new();
        loop {
            let line = self
                .lines
                .lock()
                .expect("the lines")
                .recv_timeout(Duration::from_secs(300))
                .unwrap_or_else(|_| panic!("no Listening line; saw {seen:?}"));
            if let Some(address) = line.strip_prefix("Listening on http://") {
                self.address = address.to_string();
                return;
            }
            seen.push(line);
        }
    }

    /// Kills the process at once (SIGKILL): no shutdown, no clean-up.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Stops the process as an operator would (SIGTERM) and waits for it.
    pub fn stop(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }

    pub fn get(&self, path: &str, token: &str) -> Response {
        request(&self.address, "GET", path, token, &[], b"")
    }

    /// A JSON request, with `If-Match` when given.
    pub fn json(
        &self,
        method: &str,
        path: &str,
        token: &str,
        if_match: Option<&str>,
        body: &Value,
    ) -> Response {
        let mut headers = vec![("Content-Type", "application/json".to_string())];
        if let Some(m) = if_match {
            headers.push(("If-Match", m.to_string()));
        }
        request(
            &self.address,
            method,
            path,
            token,
            &headers,
            body.to_string().as_bytes(),
        )
    }

    /// Imports one CSV file through the API.
    pub fn import_csv(&self, token: &str, source: &str, csv: &str) -> Response {
        let (content_type, body) = multipart_file(&format!("{source}.csv"), csv.as_bytes());
        request(
            &self.address,
            "POST",
            &format!("/api/v1/imports?source={source}"),
            token,
            &[("Content-Type", content_type)],
            &body,
        )
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A multipart body with one `file` part: its content type and bytes.
pub fn multipart_file(file_name: &str, content: &[u8]) -> (String, Vec<u8>) {
    const BOUNDARY: &str = "portfolio-test-boundary";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
             Content-Type: text/csv\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(content);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={BOUNDARY}"), body)
}

/// An HTTP response as read off the wire.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
}

/// One request over a fresh connection (`Connection: close`), with a bearer
/// token when `token` is not empty. Panics if the server does not answer.
pub fn request(
    address: &str,
    method: &str,
    path: &str,
    token: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> Response {
    try_request(address, method, path, token, headers, body)
        .unwrap_or_else(|e| panic!("{method} {path} on {address}: {e}"))
}

/// As [`request`], but a connection that fails or is cut is an `Err`.
pub fn try_request(
    address: &str,
    method: &str,
    path: &str,
    token: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> std::io::Result<Response> {
    let mut stream = TcpStream::connect(address)?;
    stream.set_read_timeout(Some(Duration::from_secs(120)))?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if !token.is_empty() {
        head.push_str(&format!("Authorization: Bearer {token}\r\n"));
    }
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    parse_response(&raw)
}

fn parse_response(raw: &[u8]) -> std::io::Result<Response> {
    let cut = |what: &str| std::io::Error::new(std::io::ErrorKind::UnexpectedEof, what.to_string());
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| cut("the response ended before its headers did"))?;
    let head = String::from_utf8_lossy(&raw[..end]);
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| cut("no status line"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut body = raw[end + 4..].to_vec();
    let chunked = headers.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
    });
    if chunked {
        let mut decoded = Vec::new();
        let mut rest = body.as_slice();
        loop {
            let line_end = rest
                .windows(2)
                .position(|w| w == b"\r\n")
                .ok_or_else(|| cut("a chunk was cut"))?;
            let size = usize::from_str_radix(
                String::from_utf8_lossy(&rest[..line_end])
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim(),
                16,
            )
            .map_err(|_| cut("a chunk size is not hexadecimal"))?;
            if size == 0 {
                break;
            }
            let start = line_end + 2;
            if rest.len() < start + size {
                return Err(cut("a chunk was cut"));
            }
            decoded.extend_from_slice(&rest[start..start + size]);
            rest = &rest[(start + size + 2).min(rest.len())..];
        }
        body = decoded;
    }
    Ok(Response {
        status,
        headers,
        body,
    })
}

impl TestDatabase {
    /// Adds a user to an organisation with [`PASSWORD`] (given on stdin).
    pub fn add_user(&self, organisation: &str, email: &str, role: &str) {
        let mut child = self
            .portfolio(&[
                "user",
                "add",
                "--org",
                organisation,
                "--email",
                email,
                "--name",
                email,
                "--role",
                role,
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(format!("{PASSWORD}\n").as_bytes())
            .expect("write password");
        let out = child.wait_with_output().expect("wait");
        assert!(
            out.status.success(),
            "user add {email}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
