//! Shared helpers for the black-box tests that run the built `portfolio`
//! binary as servers: fresh databases (an SQLite file or a PostgreSQL
//! database created on the test server and dropped afterwards), servers
//! started on port 0 and killed when dropped, a small blocking HTTP client,
//! and direct SQL reads to check what the database really holds.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStderr, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;
use sqlx::{Connection, Row};

pub const BIN: &str = env!("CARGO_BIN_EXE_portfolio");
pub const PASSWORD: &str = "a long test password";

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

    /// `<dir>/data`, the data dir of [`portfolio`] run on this directory.
    pub fn data_dir(&self) -> PathBuf {
        self.0.join("data")
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
    /// The PostgreSQL database's name.
    postgres: Option<String>,
}

/// `portfolio --data-dir DATA_DIR`, isolated from the caller's environment
/// (no `PORTFOLIO_` variable gets through; logs at `warn`; stdin empty).
pub fn portfolio_at(data_dir: &Path) -> Command {
    let mut command = Command::new(BIN);
    command.arg("--data-dir").arg(data_dir);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("PORTFOLIO_") {
            command.env_remove(key);
        }
    }
    command.env("RUST_LOG", "warn").stdin(Stdio::null());
    command
}

/// `portfolio --data-dir <dir>/data ARGS`, isolated from the caller's environment.
pub fn portfolio(dir: &TempDir, args: &[&str]) -> Command {
    let mut command = portfolio_at(&dir.data_dir());
    command.args(args);
    command
}

pub fn output(command: &mut Command) -> Output {
    command.output().expect("run portfolio")
}

/// Runs the command, asserts it succeeded, and returns its stdout.
pub fn success(command: &mut Command) -> String {
    let out = output(command);
    assert!(
        out.status.success(),
        "{command:?} failed with {}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("stdout is UTF-8")
}

/// Runs the command, asserts it failed with exit code 1, and returns its stderr.
pub fn failure(command: &mut Command) -> String {
    let out = output(command);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{command:?} should have failed\nstdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stderr).expect("stderr is UTF-8")
}

/// The URL of an SQLite database file.
pub fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}", path.to_str().expect("a UTF-8 path"))
}

/// Runs a future to completion on a runtime of its own.
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    runtime().block_on(future)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

/// Runs statements on the PostgreSQL server's admin database.
pub fn postgres_admin(statements: &[String]) {
    runtime().block_on(portfolio_testdb::admin_execute(statements));
}

impl TestDatabase {
    pub fn new(backend: Backend) -> TestDatabase {
        let dir = TempDir::new();
        match backend {
            Backend::Sqlite => TestDatabase {
                url: sqlite_url(&dir.path().join("portfolio.sqlite")),
                backend,
                dir,
                postgres: None,
            },
            Backend::Postgres => {
                let database = runtime()
                    .block_on(portfolio_testdb::PostgresDatabase::create("portfolio_test"));
                TestDatabase {
                    url: database.url,
                    backend,
                    dir,
                    postgres: Some(database.name),
                }
            }
        }
    }

    /// An SQLite database at a path of the caller's choosing.
    pub fn sqlite_at(path: &Path) -> TestDatabase {
        TestDatabase {
            url: sqlite_url(path),
            backend: Backend::Sqlite,
            dir: TempDir::new(),
            postgres: None,
        }
    }

    /// The PostgreSQL database's name.
    pub fn postgres_name(&self) -> &str {
        self.postgres.as_ref().expect("a PostgreSQL database")
    }

    /// `portfolio --database-url URL ARGS`, isolated from the caller's environment.
    pub fn portfolio(&self, args: &[&str]) -> Command {
        let mut command = portfolio_at(&self.dir.data_dir());
        command.arg("--database-url").arg(&self.url).args(args);
        command
    }

    /// Runs a command to completion, asserting it succeeded; its stdout.
    pub fn run(&self, command: &mut Command) -> String {
        success(command)
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
        if let Some(database) = &self.postgres {
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
    /// Starts the command (its stderr discarded); see [`Server::listening`].
    pub fn start(command: Command) -> Server {
        Server::spawn(command, Stdio::null())
    }

    fn spawn(mut command: Command, stderr: Stdio) -> Server {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(stderr)
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

    /// As [`Server::start`], with the server's stderr (its log) handed back
    /// to read.
    pub fn start_with_log(command: Command) -> (Server, ChildStderr) {
        let mut server = Server::spawn(command, Stdio::piped());
        let log = server.child.stderr.take().expect("stderr");
        (server, log)
    }

    /// Starts the command and waits until it listens.
    pub fn listening(command: Command) -> Server {
        let mut server = Server::start(command);
        server.wait_until_listening();
        server
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The next line the server prints on stdout (waiting up to five minutes).
    pub fn next_line(&self) -> Option<String> {
        self.lines
            .lock()
            .expect("the lines")
            .recv_timeout(Duration::from_secs(300))
            .ok()
    }

    /// Waits for `Listening on http://…` and keeps the address.
    pub fn wait_until_listening(&mut self) {
        self.lines_until_listening();
    }

    /// The stdout lines up to and including `Listening on http://…`; keeps
    /// the address.
    pub fn lines_until_listening(&mut self) -> Vec<String> {
        let mut seen = Vec::new();
        loop {
            let line = self
                .next_line()
                .unwrap_or_else(|| panic!("no Listening line; saw {seen:?}"));
            if let Some(address) = line.strip_prefix("Listening on http://") {
                self.address = address.to_string();
                seen.push(line);
                return seen;
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

    /// The server's base URL, `http://ADDRESS`.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
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

    /// The value of the cookie `name` the response sets.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
            .find_map(|(_, v)| v.strip_prefix(&format!("{name}=")))
            .map(|v| v.split(';').next().unwrap_or_default().to_string())
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
