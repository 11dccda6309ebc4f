//! `serve` checks every setting before it listens: each mistake is one
//! `error:` line naming the option and its environment variable, and the
//! exit code is 2. A good configuration serves, with metrics on a listener
//! of their own and request ids in the log lines.

mod common;

use std::io::Read;

use common::{portfolio, request, Server, TempDir};

/// `portfolio --data-dir DIR/data serve ARGS` with no PORTFOLIO_ variables
/// but `env`.
fn command(dir: &TempDir, args: &[&str], env: &[(&str, &str)]) -> std::process::Command {
    let mut command = portfolio(dir, &["serve"]);
    command.args(args).envs(env.iter().copied());
    command
}

/// Runs a `serve` that must refuse to start; its stderr.
#[track_caller]
fn refused(args: &[&str], env: &[(&str, &str)]) -> String {
    let dir = TempDir::new();
    let out = command(&dir, args, env).output().expect("run portfolio");
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
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"").unwrap();
    let out = common::portfolio_at(&file)
        .args(["serve", "--listen", "127.0.0.1:0"])
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

#[test]
fn metrics_are_served_on_their_own_listener_and_log_lines_carry_the_request_id() {
    let dir = TempDir::new();
    let mut serve = command(
        &dir,
        &["--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0"],
        &[("PORTFOLIO_LOG_FORMAT", "json")],
    );
    serve.env("RUST_LOG", "info,tower_http=debug");
    let (mut server, mut log) = Server::start_with_log(serve);
    let lines = server.lines_until_listening();
    assert_eq!(lines.len(), 1, "the Listening line first: {lines:?}");
    let main = server.address.clone();
    let metrics = server
        .next_line()
        .and_then(|l| {
            l.strip_prefix("Metrics on http://")
                .and_then(|l| l.strip_suffix("/metrics"))
                .map(str::to_string)
        })
        .expect("the Metrics line");
    assert_ne!(main, metrics);

    let r = request(
        &main,
        "GET",
        "/health",
        "",
        &[("x-request-id", "trace-me-4711".to_string())],
        b"",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("x-request-id"), Some("trace-me-4711"));
    let r = server.get("/metrics", "");
    assert_eq!(
        r.status,
        404,
        "the main listener served metrics: {}",
        r.text()
    );
    let r = request(&metrics, "GET", "/metrics", "", &[], b"");
    assert_eq!(r.status, 200, "{}", r.text());
    let text = r.text();
    assert!(
        text.contains("http_requests_total{method=\"GET\",route=\"/health\",status=\"200\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("portfolio_db_pool_max_connections 4"),
        "{text}"
    );

    drop(server);
    let mut log_text = String::new();
    log.read_to_string(&mut log_text).expect("read the log");
    let of_request: Vec<&str> = log_text
        .lines()
        .filter(|l| l.contains("trace-me-4711"))
        .collect();
    assert!(of_request.len() >= 2, "the request's log lines: {log_text}");
    for line in &of_request {
        let entry: serde_json::Value = serde_json::from_str(line).expect("a JSON log line");
        assert_eq!(entry["span"]["request_id"], "trace-me-4711", "{line}");
    }
}
