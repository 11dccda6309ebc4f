//! Runs the built `portfolio` binary against temporary data directories.

mod common;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Stdio;

use common::{output, portfolio, request, success, Server, TempDir, PASSWORD};

/// Generates an organisation of `projects` projects.
fn generate(dir: &TempDir, slug: &str, projects: usize) -> String {
    success(
        portfolio(
            dir,
            &[
                "generate",
                "--org",
                slug,
                "--name",
                "Test Council",
                "--projects",
                &projects.to_string(),
                "--seed",
                "7",
            ],
        )
        .env("PORTFOLIO_PASSWORD", PASSWORD),
    )
}

#[test]
fn migrate_creates_the_database_in_the_data_dir() {
    let dir = TempDir::new();
    let stdout = success(&mut portfolio(&dir, &["migrate"]));
    assert!(stdout.contains("up to date"), "{stdout}");
    assert!(dir.data_dir().join("portfolio.sqlite").is_file());
    // Running it again is harmless.
    success(&mut portfolio(&dir, &["migrate"]));
}

#[test]
fn a_bad_email_is_reported_by_field_with_exit_code_1() {
    let dir = TempDir::new();
    generate(&dir, "test", 1);
    let out = output(
        portfolio(
            &dir,
            &[
                "user",
                "add",
                "--org",
                "test",
                "--email",
                "not-an-email",
                "--name",
                "Jo",
                "--role",
                "editor",
            ],
        )
        .env("PORTFOLIO_PASSWORD", PASSWORD),
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("error: email: "), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn common_passwords_and_the_email_as_password_are_refused() {
    let dir = TempDir::new();
    generate(&dir, "test", 1);
    for (password, message) in [
        (
            "QWERTY123456",
            "password: is one of the most commonly used passwords",
        ),
        ("jo@example.org", "password: must not be your email address"),
    ] {
        let out = output(
            portfolio(
                &dir,
                &[
                    "user",
                    "add",
                    "--org",
                    "test",
                    "--email",
                    "jo@example.org",
                    "--name",
                    "Jo",
                    "--role",
                    "editor",
                ],
            )
            .env("PORTFOLIO_PASSWORD", password),
        );
        assert_eq!(out.status.code(), Some(1), "{password}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(message), "{stderr}");
    }
    let list = success(&mut portfolio(&dir, &["user", "list", "--org", "test"]));
    assert!(!list.contains("jo@example.org"), "nobody was added: {list}");
}

#[test]
fn resetting_a_second_factor_that_is_not_set_up_changes_nothing() {
    let dir = TempDir::new();
    generate(&dir, "test", 1);
    let out = success(&mut portfolio(
        &dir,
        &[
            "user",
            "reset-second-factor",
            "--email",
            "admin@test.example",
        ],
    ));
    assert!(
        out.contains("had no second factor; nothing changed"),
        "{out}"
    );
    let out = output(&mut portfolio(
        &dir,
        &[
            "user",
            "reset-second-factor",
            "--email",
            "nobody@test.example",
        ],
    ));
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn users_are_added_with_a_password_from_stdin_and_can_be_disabled() {
    let dir = TempDir::new();
    generate(&dir, "test", 1);
    let mut child = portfolio(
        &dir,
        &[
            "user",
            "add",
            "--org",
            "test",
            "--email",
            "Jo@Example.org",
            "--name",
            "Jo Bloggs",
            "--role",
            "viewer",
        ],
    )
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
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let list = success(&mut portfolio(&dir, &["user", "list", "--org", "test"]));
    assert!(list.contains("jo@example.org"), "{list}");
    assert!(list.contains("admin@test.example"), "{list}");

    success(&mut portfolio(
        &dir,
        &["user", "disable", "--email", "jo@example.org"],
    ));
    let list = success(&mut portfolio(&dir, &["user", "list", "--org", "test"]));
    assert!(list
        .lines()
        .any(|l| l.contains("jo@example.org") && l.contains("disabled")));
    success(&mut portfolio(
        &dir,
        &["user", "enable", "--email", "jo@example.org"],
    ));

    // A short password is refused, naming the field.
    let out = output(
        portfolio(&dir, &["user", "set-password", "--email", "jo@example.org"])
            .env("PORTFOLIO_PASSWORD", "short"),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("error: password: "));
}

#[test]
fn a_department_lead_is_added_with_their_departments_and_roles_change() {
    let dir = TempDir::new();
    generate(&dir, "test", 3);
    let add = |extra: &[&str]| {
        let mut args = vec![
            "user",
            "add",
            "--org",
            "test",
            "--email",
            "sam@example.org",
            "--name",
            "Sam",
        ];
        args.extend_from_slice(extra);
        output(portfolio(&dir, &args).env("PORTFOLIO_PASSWORD", PASSWORD))
    };
    // A department lead's department must be one the organisation has.
    let out = add(&[
        "--role",
        "department_lead",
        "--department",
        "Ministry of Magic",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("'Ministry of Magic' is not a department"),
        "{stderr}"
    );
    assert!(
        stderr.contains("Health and Care"),
        "lists the departments: {stderr}"
    );
    // A viewer has no departments.
    let out = add(&["--role", "viewer", "--department", "Health and Care"]);
    assert_eq!(out.status.code(), Some(1));
    let list = success(&mut portfolio(&dir, &["user", "list", "--org", "test"]));
    assert!(
        !list.contains("sam@example.org"),
        "nothing was added: {list}"
    );

    let out = add(&[
        "--role",
        "department_lead",
        "--department",
        "health-and-care",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = success(&mut portfolio(&dir, &["user", "list", "--org", "test"]));
    assert!(
        stdout
            .lines()
            .any(|l| l.contains("sam@example.org") && l.contains("department_lead")),
        "{stdout}"
    );
    // `editor` is still read as the programme office.
    let stdout = success(&mut portfolio(
        &dir,
        &[
            "user",
            "set-role",
            "--email",
            "sam@example.org",
            "--role",
            "editor",
        ],
    ));
    assert!(
        stdout.contains("sam@example.org is now programme office"),
        "{stdout}"
    );
    let out = output(&mut portfolio(
        &dir,
        &[
            "user",
            "set-role",
            "--email",
            "sam@example.org",
            "--role",
            "project_manager",
        ],
    ));
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("error: project: "));
    let list = success(&mut portfolio(&dir, &["user", "list", "--org", "test"]));
    assert!(
        list.lines()
            .any(|l| l.contains("sam@example.org") && l.contains("programme_office")),
        "the refused change left the role: {list}"
    );
}

#[test]
fn generated_projects_export_as_csv_and_json() {
    let dir = TempDir::new();
    let stdout = generate(&dir, "test", 30);
    assert!(stdout.contains("Generated 30 projects"), "{stdout}");

    let orgs = success(&mut portfolio(&dir, &["organisation", "list"]));
    assert!(
        orgs.contains("test") && orgs.contains("Test Council"),
        "{orgs}"
    );

    let csv_text = success(&mut portfolio(&dir, &["export", "--format", "csv"]));
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(csv_text.as_bytes());
    let records: Vec<csv::StringRecord> =
        reader.records().map(|r| r.expect("csv record")).collect();
    assert_eq!(records.len(), 31, "a header and 30 projects");
    assert_eq!(&records[0][0], "code");
    assert_eq!(&records[0][1], "title");
    assert!(records[1..].iter().all(|r| r[0].starts_with("DP-")));

    let json = success(&mut portfolio(
        &dir,
        &["export", "--org", "test", "--format", "json"],
    ));
    let value: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    assert_eq!(value.as_array().map(Vec::len), Some(30));

    let file = dir.path().join("register.csv");
    success(&mut portfolio(
        &dir,
        &[
            "export",
            "--format",
            "csv",
            "--output",
            file.to_str().expect("path"),
        ],
    ));
    assert_eq!(
        std::fs::read_to_string(&file).expect("read export"),
        csv_text
    );
}

#[test]
fn export_asks_which_organisation_when_there_are_several() {
    let dir = TempDir::new();
    generate(&dir, "first", 1);
    generate(&dir, "second", 1);
    let out = output(&mut portfolio(&dir, &["export"]));
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--org") && stderr.contains("first") && stderr.contains("second"),
        "{stderr}"
    );
}

#[test]
fn token_create_prints_only_the_token() {
    let dir = TempDir::new();
    generate(&dir, "test", 1);
    let out = output(&mut portfolio(
        &dir,
        &[
            "token",
            "create",
            "--user",
            "admin@test.example",
            "--name",
            "Reports",
            "--scope",
            "read",
            "--expires-in-days",
            "30",
        ],
    ));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).expect("UTF-8");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{stdout}");
    assert!(lines[0].starts_with("pf_"), "{stdout}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("not be shown again"), "{stderr}");
    assert!(stderr.contains("with read scope until"), "{stderr}");

    // Listed without its secret, then revoked by number.
    let list = success(&mut portfolio(&dir, &["token", "list"]));
    assert!(
        !list.contains(lines[0]),
        "the secret is never listed: {list}"
    );
    let row = list
        .lines()
        .find(|l| l.contains("\tReports\t"))
        .unwrap_or_else(|| panic!("token listed: {list}"));
    let cells: Vec<&str> = row.split('\t').collect();
    assert_eq!(
        &cells[1..4],
        ["admin@test.example", "Reports", "read"],
        "{row}"
    );
    assert_eq!(cells[5], "never", "not used yet: {row}");
    assert_eq!(cells[6], "active", "{row}");
    let id = cells[0];
    let revoked = success(&mut portfolio(&dir, &["token", "revoke", id]));
    assert!(revoked.contains("it no longer works"), "{revoked}");
    let list = success(&mut portfolio(
        &dir,
        &["token", "list", "--user", "admin@test.example"],
    ));
    assert!(list.contains("revoked by cli"), "{list}");

    // A second revoke and a bad scope are refused, naming why.
    let again = output(&mut portfolio(&dir, &["token", "revoke", id]));
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("already revoked"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    let bad = output(&mut portfolio(
        &dir,
        &[
            "token",
            "create",
            "--user",
            "admin@test.example",
            "--name",
            "x",
            "--scope",
            "everything",
        ],
    ));
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("'everything' is not a token scope"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
}

#[test]
fn backup_writes_a_database_the_app_can_open() {
    let dir = TempDir::new();
    generate(&dir, "test", 30);
    let copy = dir.path().join("backup.sqlite");
    let copy_str = copy.to_str().expect("path");
    success(&mut portfolio(&dir, &["backup", "--output", copy_str]));

    let mut header = [0u8; 16];
    std::fs::File::open(&copy)
        .and_then(|mut f| f.read_exact(&mut header))
        .expect("read backup");
    assert_eq!(&header, b"SQLite format 3\0");

    let original = success(&mut portfolio(&dir, &["export", "--format", "json"]));
    let url = format!("sqlite://{copy_str}");
    let restored = success(&mut portfolio(
        &dir,
        &["export", "--format", "json", "--database-url", &url],
    ));
    let restored_value: serde_json::Value = serde_json::from_str(&restored).expect("JSON");
    assert_eq!(restored_value.as_array().map(Vec::len), Some(30));
    assert_eq!(restored, original);

    // Never overwrites.
    let out = output(&mut portfolio(&dir, &["backup", "--output", copy_str]));
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));
}

#[test]
fn generate_requires_a_valid_password() {
    let dir = TempDir::new();
    let out = output(&mut portfolio(
        &dir,
        &[
            "generate",
            "--org",
            "test",
            "--name",
            "Test",
            "--projects",
            "3",
        ],
    ));
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("PORTFOLIO_PASSWORD"));
}

#[test]
fn every_command_has_help() {
    let dir = TempDir::new();
    let commands: &[&[&str]] = &[
        &[],
        &["serve"],
        &["demo"],
        &["capacity"],
        &["raid"],
        &["changes"],
        &["report"],
        &["migrate"],
        &["organisation"],
        &["organisation", "list"],
        &["user"],
        &["user", "add"],
        &["user", "list"],
        &["user", "set-role"],
        &["user", "set-password"],
        &["user", "disable"],
        &["user", "enable"],
        &["user", "reset-second-factor"],
        &["token"],
        &["token", "create"],
        &["token", "list"],
        &["token", "revoke"],
        &["export"],
        &["duplicates"],
        &["priorities"],
        &["priorities", "list"],
        &["ranking"],
        &["optimise"],
        &["bench-mkp"],
        &["merge"],
        &["merge", "undo"],
        &["backup"],
        &["restore"],
        &["generate"],
    ];
    for command in commands {
        let mut args = command.to_vec();
        args.push("--help");
        let stdout = success(&mut portfolio(&dir, &args));
        assert!(stdout.contains("Usage: portfolio"), "{command:?}: {stdout}");
        if !command.is_empty() {
            assert!(
                stdout.contains("Example"),
                "{command:?} has no example: {stdout}"
            );
        }
    }
}

/// The status of `GET path` on the server at `address`.
fn get(address: &str, path: &str) -> u16 {
    request(address, "GET", path, "", &[], b"").status
}

#[test]
fn serve_prints_the_real_address_and_answers() {
    let dir = TempDir::new();
    let mut server = Server::start(portfolio(&dir, &["serve", "--listen", "127.0.0.1:0"]));
    let lines = server.lines_until_listening();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(!server.address.ends_with(":0"), "{}", server.address);
    assert_eq!(get(&server.address, "/health"), 200);
}

#[test]
fn demo_starts_from_a_fresh_database_every_time() {
    let dir = TempDir::new();
    let demo_password = "demo password for tests";
    for _ in 0..2 {
        let mut command = portfolio(&dir, &["demo", "--listen", "127.0.0.1:0"]);
        command.env("PORTFOLIO_DEMO_PASSWORD", demo_password);
        let mut server = Server::start(command);
        let lines = server.lines_until_listening();
        assert!(
            lines.contains(&"Demo council: Northmere County Council (76 projects)".to_string()),
            "{lines:?}"
        );
        assert!(
            lines.contains(&format!(
                "Sign in as admin@northmere.example with password: {demo_password}"
            )),
            "{lines:?}"
        );
        assert!(
            lines.contains(
                &"A department lead, who submits priorities: lead@northmere.example with the same password"
                    .to_string()
            ),
            "{lines:?}"
        );
        assert!(!lines.iter().any(|l| l.contains("Reusing")), "{lines:?}");
        assert_eq!(get(&server.address, "/health"), 200);
    }
    assert!(dir.data_dir().join("demo.sqlite").is_file());

    // A short demo password is refused before anything starts.
    let out = output(
        portfolio(&dir, &["demo", "--listen", "127.0.0.1:0"])
            .env("PORTFOLIO_DEMO_PASSWORD", "short"),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("PORTFOLIO_DEMO_PASSWORD"));
}

#[test]
fn demo_reuses_an_explicit_database_that_already_holds_it() {
    let dir = TempDir::new();
    std::fs::create_dir_all(dir.data_dir()).expect("data dir");
    let url = format!(
        "sqlite://{}",
        dir.data_dir().join("kept.sqlite").to_str().expect("path")
    );
    let first = {
        let mut server = Server::start(portfolio(
            &dir,
            &["demo", "--listen", "127.0.0.1:0", "--database-url", &url],
        ));
        server.lines_until_listening()
    };
    assert!(!first.iter().any(|l| l.contains("Reusing")), "{first:?}");
    let mut server = Server::start(portfolio(
        &dir,
        &["demo", "--listen", "127.0.0.1:0", "--database-url", &url],
    ));
    let second = server.lines_until_listening();
    assert!(
        second
            .iter()
            .any(|l| l.starts_with("Reusing the demo council")),
        "{second:?}"
    );
    assert!(
        second.contains(&"Demo council: Northmere County Council (76 projects)".to_string()),
        "{second:?}"
    );
}

#[test]
fn import_reports_in_text_and_json_and_fails_on_a_bad_row() {
    let dir = TempDir::new();
    generate(&dir, "test", 1);
    let good = dir.path().join("health.csv");
    std::fs::write(
        &good,
        b"Project name;Directorate;Phase;Cost (\xA3k);Start date\r\n\
          Teams for everyone;Health & Care;Delivery;\xA31.2m;01/04/2026\r\n",
    )
    .unwrap();
    let good = good.to_str().unwrap();
    let stdout = success(&mut portfolio(
        &dir,
        &["import", good, "--org", "test", "--dry-run"],
    ));
    assert!(stdout.contains("Would create 1"), "{stdout}");
    let stdout = success(&mut portfolio(&dir, &["import", good, "--org", "test"]));
    assert!(
        stdout.contains("Created 1, updated 0, left 0 unchanged."),
        "{stdout}"
    );
    let stdout = success(&mut portfolio(&dir, &["import", good, "--org", "test"]));
    assert!(
        stdout.contains("Created 0, updated 0, left 1 unchanged."),
        "{stdout}"
    );

    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "Title,Department,Stage\nOnline library,Health and Care,In delivery\n",
    )
    .unwrap();
    let out = output(&mut portfolio(
        &dir,
        &[
            "import",
            bad.to_str().unwrap(),
            "--org",
            "test",
            "--format",
            "json",
        ],
    ));
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("a JSON report");
    assert_eq!(report["rows_read"], 1);
    assert_eq!(report["created"], 0);
    let problem = &report["problems"][0];
    assert_eq!(problem["row"], 2);
    assert_eq!(problem["column"], "C");
    assert_eq!(problem["header"], "Stage");
    assert_eq!(problem["value"], "In delivery");
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing was imported"));

    let out = output(&mut portfolio(
        &dir,
        &["import", bad.to_str().unwrap(), good, "--org", "test"],
    ));
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Nothing was imported: 1 problem was found."),
        "{text}"
    );
    assert!(
        text.contains(", row 2, column C (Stage): 'In delivery' is not exactly a stage"),
        "{text}"
    );
}

#[test]
fn duplicates_lists_a_planted_pair_in_text_and_json() {
    let dir = TempDir::new();
    generate(&dir, "test", 3);
    let twins = dir.path().join("twins.csv");
    std::fs::write(
        &twins,
        "Title,Department,Stage\n\
         Children's case mgmt system replacement,Families and Communities,Concept\n\
         Replace children's social care case management system,Families and Communities,Design\n",
    )
    .unwrap();
    success(&mut portfolio(
        &dir,
        &["import", twins.to_str().unwrap(), "--org", "test"],
    ));

    let stdout = success(&mut portfolio(&dir, &["duplicates", "--org", "test"]));
    let line = stdout
        .lines()
        .find(|l| l.contains("Children's case mgmt system replacement"))
        .unwrap_or_else(|| panic!("no line for the planted pair: {stdout}"));
    // "DP-004 Title ~ DP-005 Title (76%): reason; reason"
    let (pair, reasons) = line.split_once("%): ").expect("'(NN%): reasons'");
    let (pair, percent) = pair.rsplit_once(" (").expect("a percentage");
    let (a, b) = pair.split_once(" ~ ").expect("'A ~ B'");
    let (a_code, a_title) = a.split_once(' ').expect("a code and a title");
    let (b_code, b_title) = b.split_once(' ').expect("a code and a title");
    assert!(
        a_code.starts_with("DP-") && b_code.starts_with("DP-"),
        "{line}"
    );
    assert_eq!(a_title, "Children's case mgmt system replacement");
    assert_eq!(
        b_title,
        "Replace children's social care case management system"
    );
    assert!(reasons.starts_with("titles share 'children'"), "{line}");
    assert!(reasons.ends_with("; same department"), "{line}");
    let percent: u32 = percent.parse().expect("a whole percentage");
    assert!((1..=100).contains(&percent), "{line}");

    // JSON, and --org may be left out when there is one organisation.
    let stdout = success(&mut portfolio(
        &dir,
        &["duplicates", "--format", "json", "--limit", "500"],
    ));
    let pairs: serde_json::Value = serde_json::from_str(&stdout).expect("a JSON array");
    let planted = pairs
        .as_array()
        .expect("an array")
        .iter()
        .find(|p| {
            let titles = [&p["a"]["title"], &p["b"]["title"]];
            titles.contains(&&serde_json::json!(
                "Children's case mgmt system replacement"
            )) && titles.contains(&&serde_json::json!(
                "Replace children's social care case management system"
            ))
        })
        .unwrap_or_else(|| panic!("the planted pair: {stdout}"));
    let score = planted["score"].as_f64().expect("score");
    assert!(score > 0.0 && score <= 1.0, "{planted}");
    assert_eq!(
        planted["a"]["department"]["name"], "Families and Communities",
        "{planted}"
    );
    assert!(
        planted["reasons"]
            .as_array()
            .is_some_and(|r| r.iter().any(|r| r == "same department")),
        "{planted}"
    );

    // A limit out of range is refused before anything is read.
    let out = output(&mut portfolio(&dir, &["duplicates", "--limit", "0"]));
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--limit"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // An unknown organisation is named as not found.
    let out = output(&mut portfolio(&dir, &["duplicates", "--org", "nowhere"]));
    assert_eq!(out.status.code(), Some(1));
}

/// The register as `export --format json` gives it, by code.
fn exported(dir: &TempDir) -> std::collections::BTreeMap<String, serde_json::Value> {
    let stdout = success(&mut portfolio(dir, &["export", "--format", "json"]));
    let projects: Vec<serde_json::Value> = serde_json::from_str(&stdout).expect("a JSON array");
    projects
        .into_iter()
        .map(|p| (p["code"].as_str().expect("code").to_string(), p))
        .collect()
}

fn total_pence(project: &serde_json::Value) -> i64 {
    project["costs"]
        .as_array()
        .expect("costs")
        .iter()
        .map(|c| c["capital_pence"].as_i64().unwrap() + c["revenue_pence"].as_i64().unwrap())
        .sum()
}

#[test]
fn merge_combines_chosen_fields_and_undo_restores_them() {
    let dir = TempDir::new();
    generate(&dir, "test", 3);
    let before = exported(&dir);
    let codes: Vec<String> = before.keys().cloned().collect();
    let (a, b, c) = (&codes[0], &codes[1], &codes[2]);

    let take = format!("title={b}");
    let stdout = success(&mut portfolio(
        &dir,
        &[
            "merge",
            "--org",
            "test",
            "--survivor",
            a,
            "--merge",
            b,
            "--take",
            &take,
            "--combine",
            "costs",
        ],
    ));
    assert_eq!(
        stdout,
        format!("Merged {b} into {a} (merge 1). Undo with: portfolio merge undo --org test 1\n")
    );
    let after = exported(&dir);
    assert_eq!(after[a]["title"], before[b]["title"]);
    assert_eq!(
        total_pence(&after[a]),
        total_pence(&before[a]) + total_pence(&before[b]),
        "the costs are added together"
    );
    assert_eq!(after[b]["stage"], "merged");
    assert_eq!(
        after[b]["title"], before[b]["title"],
        "the merged project keeps its values"
    );
    assert_eq!(after[c], before[c]);

    // Refusals name the field and change nothing.
    for (args, says) in [
        (
            vec!["merge", "--survivor", c.as_str(), "--merge", b.as_str()],
            "merged[0].code: ",
        ),
        (
            vec![
                "merge",
                "--survivor",
                c.as_str(),
                "--merge",
                a.as_str(),
                "--combine",
                "title",
            ],
            "fields.title: ",
        ),
        (
            vec!["merge", "--survivor", c.as_str(), "--merge", "DP-99999"],
            "merged[0].code: there is no project DP-99999",
        ),
        (
            vec![
                "merge",
                "--survivor",
                c.as_str(),
                "--merge",
                a.as_str(),
                "--take",
                "title",
            ],
            "FIELD=CODE",
        ),
    ] {
        let out = output(&mut portfolio(&dir, &args));
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    assert_eq!(exported(&dir), after);

    // Undo, as JSON: every project is back as it was.
    let stdout = success(&mut portfolio(
        &dir,
        &["merge", "undo", "--org", "test", "1", "--format", "json"],
    ));
    let undone: serde_json::Value = serde_json::from_str(&stdout).expect("a JSON merge");
    assert_eq!(undone["id"], 1);
    assert!(undone["undone_at"].is_string(), "{undone}");
    let restored = exported(&dir);
    for code in [a, b] {
        for field in ["title", "stage", "costs", "summary", "themes"] {
            assert_eq!(restored[code][field], before[code][field], "{code} {field}");
        }
    }
    // Not twice.
    let out = output(&mut portfolio(&dir, &["merge", "undo", "1"]));
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("already been undone"), "{stderr}");
}

/// Submits two priorities in the generated organisation `test` through the
/// application services (as the web and API would), and declines one.
fn submit_priorities(dir: &TempDir) {
    use portfolio_app::{App, Caller, ConnectOptions, Settings};
    use portfolio_domain::intake::PriorityDraft;
    let url = format!(
        "sqlite://{}",
        dir.data_dir().join("portfolio.sqlite").display()
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let app = App::open(&url, &ConnectOptions::default(), Settings::default())
            .await
            .expect("open");
        let users = app.list_users("test").await.expect("users");
        let caller = |email: &str| Caller {
            user: users
                .iter()
                .find(|u| u.email == email)
                .unwrap_or_else(|| panic!("{email} in {users:?}"))
                .clone(),
            data_version: 0,
            reference_version: 0,
            token_scope: None,
        };
        let lead = caller("lena@test.example");
        let departments = app.departments(&lead).await.expect("departments");
        let draft = |title: &str| PriorityDraft {
            title: title.to_string(),
            problem: "Carers wait six weeks.".into(),
            beneficiaries: "Unpaid carers.".into(),
            urgency: "critical".into(),
            rough_cost: Some("£350k".into()),
            department: departments[0].slug.clone(),
            ..PriorityDraft::default()
        };
        let first = app
            .submit_priority(&lead, &draft("Online carers' assessments"))
            .await
            .expect("submit");
        app.submit_priority(&lead, &draft("Drones for bin rounds"))
            .await
            .expect("submit");
        app.decline_priority(
            &caller("admin@test.example"),
            first.id + 1,
            1,
            "Not this year.\nTry the innovation fund.",
        )
        .await
        .expect("decline");
        app.store.close().await;
    });
}

#[test]
fn priorities_are_listed_with_their_outcomes() {
    let dir = TempDir::new();
    generate(&dir, "test", 1);
    let stdout = success(&mut portfolio(
        &dir,
        &["priorities", "list", "--org", "test"],
    ));
    assert_eq!(stdout, "No priorities have been submitted.\n");

    success(
        portfolio(
            &dir,
            &[
                "user",
                "add",
                "--org",
                "test",
                "--email",
                "lena@test.example",
                "--name",
                "Lena Lead",
                "--role",
                "department_lead",
            ],
        )
        .env("PORTFOLIO_PASSWORD", PASSWORD),
    );
    let list = success(&mut portfolio(&dir, &["user", "list", "--org", "test"]));
    assert!(
        list.lines()
            .any(|l| l.starts_with("lena@test.example") && l.contains("department_lead")),
        "{list}"
    );
    submit_priorities(&dir);

    let stdout = success(&mut portfolio(&dir, &["priorities", "list"]));
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(
        lines[0].starts_with("#2 declined critical Drones for bin rounds ("),
        "newest first: {stdout}"
    );
    assert!(
        lines[0].ends_with(
            "submitted by lena@test.example): declined: Not this year. Try the innovation fund."
        ),
        "the reason on one line: {stdout}"
    );
    assert!(
        lines[1].starts_with("#1 submitted critical Online carers' assessments ("),
        "{stdout}"
    );
    assert!(lines[1].ends_with("): awaiting triage"), "{stdout}");

    let stdout = success(&mut portfolio(
        &dir,
        &[
            "priorities",
            "list",
            "--org",
            "test",
            "--status",
            "submitted",
            "--format",
            "json",
        ],
    ));
    let list: serde_json::Value = serde_json::from_str(&stdout).expect("a JSON array");
    let list = list.as_array().expect("an array");
    assert_eq!(list.len(), 1, "{stdout}");
    assert_eq!(list[0]["title"], "Online carers' assessments");
    assert_eq!(list[0]["rough_cost_pence"], 35_000_000);
    assert_eq!(list[0]["status"], "submitted");

    let out = output(&mut portfolio(
        &dir,
        &["priorities", "list", "--org", "nowhere"],
    ));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("organisation not found"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn an_unknown_role_lists_the_roles() {
    let dir = TempDir::new();
    let out = output(&mut portfolio(
        &dir,
        &[
            "user",
            "add",
            "--org",
            "test",
            "--email",
            "x@test.example",
            "--name",
            "X",
            "--role",
            "boss",
        ],
    ));
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    for role in ["admin", "editor", "department_lead", "viewer"] {
        assert!(stderr.contains(role), "{role}: {stderr}");
    }
}

#[test]
fn import_valid_only_writes_the_rejected_rows_with_reasons() {
    let dir = TempDir::new();
    generate(&dir, "test", 1);
    let sheet = dir.path().join("mixed.csv");
    std::fs::write(
        &sheet,
        "Title,Department,Stage,Budget\n\
         Good one,Health and Care,Concept,£10k\n\
         =HYPERLINK(\"x\"),Health and Care,Concept,£1.2x\n",
    )
    .unwrap();
    let rejected = dir.path().join("rejected.csv");
    let stdout = success(&mut portfolio(
        &dir,
        &[
            "import",
            sheet.to_str().unwrap(),
            "--org",
            "test",
            "--valid-only",
            "--rejected",
            rejected.to_str().unwrap(),
        ],
    ));
    assert!(stdout.contains("1 row left out for 1 problem"), "{stdout}");
    assert!(stdout.contains("Created 1,"), "{stdout}");
    let csv = std::fs::read_to_string(&rejected).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "File,Sheet,Row,Reason,Title,Department,Stage,Budget"
    );
    assert!(
        lines[1].contains(",3,\"column D (Budget): '£1.2x'"),
        "{csv}"
    );
    assert!(lines[1].contains("'=HYPERLINK"), "{csv}");
    // An existing file is never overwritten.
    let out = output(&mut portfolio(
        &dir,
        &[
            "import",
            sheet.to_str().unwrap(),
            "--org",
            "test",
            "--valid-only",
            "--rejected",
            rejected.to_str().unwrap(),
        ],
    ));
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));
}

/// OR-Library's mknap1 file, as copied into the optimiser's test data.
fn mknap1() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../optimise/tests/data/mknap1.txt")
}

#[test]
fn bench_mkp_proves_every_stated_optimum_of_mknap1() {
    let dir = TempDir::new();
    let file = mknap1();
    let stdout = success(&mut portfolio(&dir, &["bench-mkp", file.to_str().unwrap()]));
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 9, "{stdout}");
    assert!(
        lines[0].ends_with("7 problems, time limit 60 s each"),
        "{stdout}"
    );
    for (line, stated) in lines[1..8]
        .iter()
        .zip(["3800", "8706.1", "4015", "6120", "12400", "10618", "16537"])
    {
        assert!(
            line.contains(&format!(": {stated} optimal, gap 0.000%")),
            "{line}"
        );
        assert!(
            line.ends_with(&format!("stated optimum {stated} (matches)")),
            "{line}"
        );
    }
    assert!(
        lines[8].starts_with("7 problems: 7 proven optimal")
            && lines[8].ends_with("7 of 7 stated optima matched"),
        "{stdout}"
    );
}

#[test]
fn bench_mkp_json_reports_the_first_problems_only() {
    let dir = TempDir::new();
    let file = mknap1();
    let models = dir.path().join("models");
    let stdout = success(&mut portfolio(
        &dir,
        &[
            "bench-mkp",
            file.to_str().unwrap(),
            "--export",
            models.to_str().unwrap(),
            "--first",
            "2",
            "--time-limit",
            "10",
            "--format",
            "json",
        ],
    ));
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(report["time_limit_seconds"], 10.0);
    let instances = report["instances"].as_array().unwrap();
    assert_eq!(instances.len(), 2);
    assert_eq!(instances[0]["value"], 3800.0);
    assert_eq!(instances[1]["value"], 8706.1);
    for i in instances {
        assert_eq!(i["proven"], true);
        assert_eq!(i["status"], "optimal");
        assert_eq!(i["matches_stated"], true);
        assert!(i["seconds"].as_f64().unwrap() < 10.0);
    }
    // The models of the two problems solved, as MPS and LP.
    let mps = std::fs::read_to_string(models.join("mknap1-2.mps")).unwrap();
    assert!(
        mps.starts_with("NAME portfolio\nOBJSENSE\n    MAX\n"),
        "{mps}"
    );
    assert!(mps.contains("    x1  OBJ  600.1\n"), "{mps}");
    let lp = std::fs::read_to_string(models.join("mknap1-1.lp")).unwrap();
    assert!(lp.contains("Maximize\n OBJ: 100 x1 + 600 x2"), "{lp}");
    assert!(!models.join("mknap1-3.mps").exists());
}

#[test]
fn bench_mkp_names_the_problem_and_token_of_a_bad_file() {
    let dir = TempDir::new();
    let bad = dir.path().join("bad.txt");
    std::fs::write(&bad, "2\n1 1 0 5 2 3\n1 1 0 5 two 3\n").unwrap();
    let out = output(&mut portfolio(&dir, &["bench-mkp", bad.to_str().unwrap()]));
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("problem 2: expected the weight of item 1 in constraint 1 (a number), found \"two\" (token 12)"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");

    let out = output(&mut portfolio(
        &dir,
        &["bench-mkp", bad.to_str().unwrap(), "--time-limit", "0"],
    ));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("above 0"));
}

/// Gives the generated organisation `slug` the demo's scoring model and
/// assessments, through the application services.
fn score_projects(dir: &TempDir, slug: &str) {
    use portfolio_app::{Actor, App, ConnectOptions, Settings};
    let url = format!(
        "sqlite://{}",
        dir.data_dir().join("portfolio.sqlite").display()
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let app = App::open(&url, &ConnectOptions::default(), Settings::default())
            .await
            .expect("open");
        let org = app.store.organisation_by_slug(slug).await.expect("org");
        app.seed_demo_scoring(org.id, &Actor::system("test"))
            .await
            .expect("seed scoring");
        app.store.close().await;
    });
}

#[test]
fn ranking_lists_projects_by_priority_score() {
    let dir = TempDir::new();
    generate(&dir, "test", 5);
    let out = output(&mut portfolio(&dir, &["ranking", "--org", "test"]));
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no scoring model"), "{stderr}");

    score_projects(&dir, "test");
    let text = success(&mut portfolio(&dir, &["ranking", "--org", "test"]));
    let mut lines = text.lines();
    let heading = lines.next().unwrap_or("");
    assert!(
        heading.starts_with("Ranking by scoring model version 1"),
        "{text}"
    );
    let ranked: Vec<&str> = text
        .lines()
        .filter(|l| l.trim_start().starts_with(char::is_numeric))
        .collect();
    assert!(!ranked.is_empty(), "{text}");
    assert!(ranked[0].trim_start().starts_with("1 "), "{text}");
    assert!(
        text.contains("Citizen impact"),
        "contributions are shown: {text}"
    );

    let json: serde_json::Value = serde_json::from_str(&success(&mut portfolio(
        &dir,
        &["ranking", "--org", "test", "--format", "json"],
    )))
    .expect("JSON");
    assert_eq!(json["model_version"], 1);
    let entries = json["entries"].as_array().expect("entries");
    let unassessed = json["unassessed"].as_array().expect("unassessed");
    assert_eq!(
        entries.len(),
        ranked.len(),
        "one text line per ranked project"
    );
    assert!(unassessed.is_empty(), "every project was assessed");
    let scores: Vec<f64> = entries
        .iter()
        .map(|e| e["score"].as_f64().unwrap())
        .collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
}

#[test]
fn capacity_prints_the_demo_heat_map_in_text_and_json() {
    let dir = TempDir::new();
    std::fs::create_dir_all(dir.data_dir()).expect("data dir");
    let url = format!(
        "sqlite://{}",
        dir.data_dir().join("demo.sqlite").to_str().expect("path")
    );
    {
        Server::listening(portfolio(
            &dir,
            &["demo", "--listen", "127.0.0.1:0", "--database-url", &url],
        ));
    }
    let args = [
        "capacity",
        "--org",
        "northmere",
        "--from",
        "2026/27",
        "--quarters",
        "12",
        "--database-url",
        &url,
    ];
    let text = success(&mut portfolio(&dir, &args));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "Developers (FTE)", "{text}");
    assert_eq!(lines.len(), 5 * 13, "five pools of 12 quarters: {text}");
    assert!(lines[1].starts_with("  2026/27 Q1  "), "{text}");
    assert!(lines[12].starts_with("  2028/29 Q4  "), "{text}");
    assert!(lines.iter().any(|l| l.ends_with("over capacity")), "{text}");

    let mut json_args = args.to_vec();
    json_args.extend(["--format", "json"]);
    let json: serde_json::Value =
        serde_json::from_str(&success(&mut portfolio(&dir, &json_args))).expect("JSON");
    assert_eq!(json["quarters"].as_array().unwrap().len(), 12);
    let developers = &json["rows"][0];
    assert_eq!(developers["pool"], "developers");
    let first = &developers["cells"][0];
    assert_eq!(first["supply"], 16.0);
    // The text line agrees with the JSON cell.
    let demand = first["demand"].as_f64().unwrap();
    let shown = lines[1].split_whitespace().nth(2).unwrap();
    assert_eq!(shown.parse::<f64>().unwrap(), demand, "{}", lines[1]);

    let bad = output(&mut portfolio(
        &dir,
        &[
            "capacity",
            "--org",
            "northmere",
            "--from",
            "someday",
            "--database-url",
            &url,
        ],
    ));
    assert!(!bad.status.success());
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(stderr.contains("from"), "{stderr}");
}

#[test]
fn changes_summarise_a_generated_past_in_text_and_json_and_refuse_a_bad_period() {
    let dir = TempDir::new();
    let stdout = success(
        portfolio(
            &dir,
            &[
                "generate",
                "--org",
                "hist",
                "--name",
                "History Council",
                "--projects",
                "20",
                "--history",
                "2000",
                "--seed",
                "3",
            ],
        )
        .env("PORTFOLIO_PASSWORD", PASSWORD),
    );
    assert!(stdout.contains("and 2000 past audit records"), "{stdout}");
    let since = "2020-01-01";
    let json = success(&mut portfolio(
        &dir,
        &["changes", "--org", "hist", "--since", since, "--json"],
    ));
    let doc: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    assert_eq!(doc["period"]["since"], since);
    assert_eq!(
        doc["counts"]["new_projects"], 20,
        "created within the generated past"
    );
    let text = success(&mut portfolio(
        &dir,
        &["changes", "--org", "hist", "--since", since],
    ));
    assert!(
        text.starts_with(&format!("Changes from {since} to ")),
        "{text}"
    );
    assert!(text.contains("New projects (20)"), "{text}");
    assert!(text.contains("Decisions taken (0)"), "{text}");
    // The last year only: the projects' later changes, none of them new.
    let year_ago = (chrono::Utc::now().date_naive() - chrono::Duration::days(365)).to_string();
    let recent = success(&mut portfolio(
        &dir,
        &[
            "changes", "--org", "hist", "--since", &year_ago, "--format", "json",
        ],
    ));
    let recent: serde_json::Value = serde_json::from_str(&recent).unwrap();
    assert_eq!(recent["counts"]["new_projects"], 0, "{recent}");
    assert!(
        recent["counts"]["projects_changed"].as_u64().unwrap() > 0,
        "{recent}"
    );

    let out = output(&mut portfolio(
        &dir,
        &[
            "changes",
            "--org",
            "hist",
            "--since",
            "2026-04-02",
            "--until",
            "2026-04-01",
        ],
    ));
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("since") && stderr.contains("before the end of the period"),
        "{stderr}"
    );
}

#[test]
fn the_register_exports_as_a_workbook_to_a_file() {
    let dir = TempDir::new();
    generate(&dir, "test", 12);
    let file = dir.path().join("register.xlsx");
    let out = output(&mut portfolio(
        &dir,
        &[
            "export",
            "register",
            "--format",
            "xlsx",
            "--out",
            file.to_str().expect("path"),
        ],
    ));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("Exported 12 projects of test"));
    let bytes = std::fs::read(&file).expect("the workbook");
    assert!(bytes.starts_with(b"PK"), "an XLSX (zip) file");

    let out = output(&mut portfolio(&dir, &["export", "--format", "xlsx"]));
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--output FILE"));

    let csv = success(&mut portfolio(&dir, &["export", "raid", "--format", "csv"]));
    assert!(csv.starts_with("reference,kind,project,"), "{csv}");
}
