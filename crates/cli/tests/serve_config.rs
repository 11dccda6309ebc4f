//! `serve` checks every setting before it listens: each mistake is one
//! `error:` line naming the option and its environment variable, and the
//! exit code is 2. A good configuration serves, with metrics on a listener
//! of their own and request ids in the log lines.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_portfolio");

struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        let dir =
            std::env::temp_dir().join(format!("portfolio-config-test-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `portfolio --data-dir DIR/data serve ARGS` with no PORTFOLIO_ variables
/// but `env`.
fn command(dir: &TempDir, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(BIN);
    command
        .arg("--data-dir")
        .arg(dir.0.join("data"))
        .arg("serve")
        .args(args);
    for (key, _) in std::env::vars() {
        if key.starts_with("PORTFOLIO_") {
            command.env_remove(key);
        }
    }
    command.envs(env.iter().copied()).stdin(Stdio::null());
    command
}

/// Runs a `serve` that must refuse to start; its stderr.
#[track_caller]
fn refused(args: &[&str], env: &[(&str, &str)]) -> String {
    let dir = TempDir::new();
    let out = command(&dir, args, env)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run portfolio");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("Listening on"),
        "it listened: {args:?}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

fn error_lines(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.starts_with("error: "))
        .collect()
}

/// Arguments, environment, and what the one error line must say.
type Case = (
    &'static [&'static str],
    &'static [(&'static str, &'static str)],
    &'static [&'static str],
);

#[test]
fn each_bad_setting_is_named_in_one_line_with_exit_code_2() {
    let cases: &[Case] = &[
        (
            &["--listen", "8080"],
            &[],
            &["--listen (PORTFOLIO_LISTEN)", "not an address like 127.0.0.1:8080"],
        ),
        (
            &[],
            &[("PORTFOLIO_LISTEN", "127.0.0.1:70000")],
            &["--listen (PORTFOLIO_LISTEN)", "'70000' is not a number from 0 to 65535"],
        ),
        (
            &["--listen", "127.0.0.1:0", "--metrics-listen", "metrics"],
            &[],
            &["--metrics-listen (PORTFOLIO_METRICS_LISTEN)"],
        ),
        (
            &["--listen", "127.0.0.1:0", "--database-url", "mysql://db/portfolio"],
            &[],
            &["--database-url (PORTFOLIO_DATABASE_URL)", "must start with sqlite:// or postgres://", "'mysql'"],
        ),
        (
            &["--listen", "127.0.0.1:0", "--public-url", "portfolio.council.example"],
            &[],
            &["--public-url (PORTFOLIO_PUBLIC_URL)", "absolute http:// or https:// address"],
        ),
        (
            &["--listen", "127.0.0.1:0"],
            &[("PORTFOLIO_SMTP_URL", "carrier-pigeon://loft")],
            &["--smtp-url (PORTFOLIO_SMTP_URL)", "cannot be used"],
        ),
        (
            &["--listen", "127.0.0.1:0", "--smtp-url", "smtp://relay.example:25", "--mail-from", "not an address"],
            &[],
            &["--mail-from (PORTFOLIO_MAIL_FROM)", "is not an email address"],
        ),
        (
            &["--listen", "127.0.0.1:0", "--oidc-client-id", "portfolio"],
            &[],
            &["--oidc-client-id (PORTFOLIO_OIDC_CLIENT_ID) is set but --oidc-issuer (PORTFOLIO_OIDC_ISSUER) is not"],
        ),
        (
            &["--listen", "127.0.0.1:0"],
            &[("PORTFOLIO_OIDC_CLIENT_SECRET", "s3cret")],
            &["PORTFOLIO_OIDC_CLIENT_SECRET is set but --oidc-issuer"],
        ),
        (
            &["--listen", "127.0.0.1:0", "--notify-every", "0"],
            &[],
            &["--notify-every"],
        ),
    ];
    for (args, env, says) in cases {
        let stderr = refused(args, env);
        let lines = error_lines(&stderr);
        assert_eq!(lines.len(), 1, "{args:?} {env:?}: {stderr}");
        for s in *says {
            assert!(
                lines[0].contains(s),
                "{args:?} {env:?}: wanted {s:?} in {stderr}"
            );
        }
    }
}

#[test]
fn several_mistakes_are_all_reported_and_secrets_stay_hidden() {
    let stderr = refused(
        &[
            "--listen",
            "nowhere",
            "--public-url",
            "ftp://files.example",
            "--oidc-redirect-url",
            "https://portfolio.example/sign-in/oidc/callback",
        ],
        &[(
            "PORTFOLIO_DATABASE_URL",
            "postgres://portfolio:hunter2@/portfolio",
        )],
    );
    let lines = error_lines(&stderr);
    assert_eq!(lines.len(), 4, "{stderr}");
    assert!(lines[0].contains("--listen"), "{stderr}");
    assert!(
        lines[1].starts_with("error: --database-url (PORTFOLIO_DATABASE_URL): "),
        "{stderr}"
    );
    assert!(lines[2].contains("--public-url"), "{stderr}");
    assert!(lines[3].contains("--oidc-redirect-url"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");
}

#[test]
fn an_unreachable_database_and_an_unwritable_data_directory_are_named() {
    // Nothing listens on port 9 (discard): the connection is refused.
    let stderr = refused(
        &["--listen", "127.0.0.1:0"],
        &[(
            "PORTFOLIO_DATABASE_URL",
            "postgres://portfolio:hunter2@127.0.0.1:9/portfolio",
        )],
    );
    let lines = error_lines(&stderr);
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(lines[0].starts_with("error: --database-url (PORTFOLIO_DATABASE_URL): could not open the database postgres://portfolio:***@127.0.0.1:9/portfolio"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");

    // An SQLite file in a folder that does not exist.
    let stderr = refused(
        &[
            "--listen",
            "127.0.0.1:0",
            "--database-url",
            "sqlite:///nonexistent-folder-for-tests/p.sqlite",
        ],
        &[],
    );
    assert!(
        error_lines(&stderr)[0]
            .contains("--database-url (PORTFOLIO_DATABASE_URL): could not open the database"),
        "{stderr}"
    );

    // The data directory is a file.
    let dir = TempDir::new();
    let file = dir.0.join("a-file");
    std::fs::write(&file, b"").unwrap();
    let out = Command::new(BIN)
        .arg("--data-dir")
        .arg(&file)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env_remove("PORTFOLIO_DATABASE_URL")
        .stdin(Stdio::null())
        .output()
        .expect("run portfolio");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("error: --data-dir (PORTFOLIO_DATA_DIR): "),
        "{stderr}"
    );
    assert!(stderr.contains("cannot be created"), "{stderr}");
}

#[test]
fn an_address_in_use_is_named() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = taken.local_addr().unwrap().to_string();
    let stderr = refused(&["--listen", &address], &[]);
    let lines = error_lines(&stderr);
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(
        lines[0].contains(&format!(
            "--listen (PORTFOLIO_LISTEN): could not listen on {address}"
        )),
        "{stderr}"
    );
    let stderr = refused(
        &["--listen", "127.0.0.1:0", "--metrics-listen", &address],
        &[],
    );
    assert!(
        error_lines(&stderr)[0]
            .contains("--metrics-listen (PORTFOLIO_METRICS_LISTEN): could not listen"),
        "{stderr}"
    );
}

/// A server process, killed when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn http_get(address: &str, path: &str, headers: &str) -> String {
    let mut stream = TcpStream::connect(address).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\n{headers}Connection: close\r\n\r\n"
    )
    .expect("send");
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    response
}

#[test]
fn metrics_are_served_on_their_own_listener_and_log_lines_carry_the_request_id() {
    let dir = TempDir::new();
    let mut child = command(
        &dir,
        &["--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0"],
        &[("PORTFOLIO_LOG_FORMAT", "json")],
    )
    .env("RUST_LOG", "info,tower_http=debug")
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("start the server");
    let stdout = child.stdout.take().expect("stdout");
    let stderr = child.stderr.take().expect("stderr");
    let server = Server(child);
    let (send, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if send.send(line).is_err() {
                break;
            }
        }
    });
    let next = || {
        lines
            .recv_timeout(Duration::from_secs(120))
            .expect("a line from the server")
    };
    let main = next()
        .strip_prefix("Listening on http://")
        .expect("the Listening line first")
        .to_string();
    let metrics = next()
        .strip_prefix("Metrics on http://")
        .and_then(|l| l.strip_suffix("/metrics"))
        .expect("the Metrics line")
        .to_string();
    assert_ne!(main, metrics);

    let r = http_get(&main, "/health", "x-request-id: trace-me-4711\r\n");
    assert!(r.starts_with("HTTP/1.1 200"), "{r}");
    assert!(
        r.to_ascii_lowercase()
            .contains("x-request-id: trace-me-4711"),
        "{r}"
    );
    let r = http_get(&main, "/metrics", "");
    assert!(
        r.starts_with("HTTP/1.1 404"),
        "the main listener served metrics: {r}"
    );
    let r = http_get(&metrics, "/metrics", "");
    assert!(r.starts_with("HTTP/1.1 200"), "{r}");
    assert!(
        r.contains("http_requests_total{method=\"GET\",route=\"/health\",status=\"200\"} 1"),
        "{r}"
    );
    assert!(r.contains("portfolio_db_pool_max_connections 4"), "{r}");

    drop(server);
    let mut log = String::new();
    BufReader::new(stderr)
        .read_to_string(&mut log)
        .expect("read the log");
    let of_request: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("trace-me-4711"))
        .collect();
    assert!(of_request.len() >= 2, "the request's log lines: {log}");
    for line in &of_request {
        let entry: serde_json::Value = serde_json::from_str(line).expect("a JSON log line");
        assert_eq!(entry["span"]["request_id"], "trace-me-4711", "{line}");
    }
}
