//! Single-sign-on settings are checked when the server starts: a mistake
//! stops it with a message naming the setting, before it listens, and exit
//! code 2 (as for any setting that cannot work).

use std::path::PathBuf;
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_portfolio");

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `portfolio --data-dir <fresh> serve --listen 127.0.0.1:0 ARGS` with
/// only the given OIDC environment; returns the exit code and stderr.
fn serve(args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String) {
    let dir =
        TempDir(std::env::temp_dir().join(format!("portfolio-sso-test-{}", uuid::Uuid::new_v4())));
    let mut command = Command::new(BIN);
    command
        .arg("--data-dir")
        .arg(dir.0.join("data"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(args);
    for (key, _) in std::env::vars() {
        if key.starts_with("PORTFOLIO_") {
            command.env_remove(key);
        }
    }
    command.envs(env.iter().copied());
    let out = command
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .expect("run portfolio");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const ISSUER: &str = "--oidc-issuer=http://127.0.0.1:9";

#[test]
fn a_missing_client_id_or_redirect_url_is_named() {
    let (code, stderr) = serve(&[ISSUER], &[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("--oidc-client-id (or PORTFOLIO_OIDC_CLIENT_ID)"),
        "{stderr}"
    );

    let (code, stderr) = serve(&[ISSUER, "--oidc-client-id=portfolio"], &[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("--oidc-redirect-url"), "{stderr}");
}

#[test]
fn an_unknown_role_in_the_mapping_is_named() {
    let (code, stderr) = serve(
        &[
            ISSUER,
            "--oidc-client-id=portfolio",
            "--oidc-redirect-url=http://127.0.0.1:8080/sign-in/oidc/callback",
        ],
        &[("PORTFOLIO_OIDC_GROUP_ROLES", "pmo=editor,admins=boss")],
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("PORTFOLIO_OIDC_GROUP_ROLES"), "{stderr}");
    assert!(stderr.contains("pair 2"), "{stderr}");
    assert!(stderr.contains("'boss' is not a role"), "{stderr}");
}

#[test]
fn a_plain_http_issuer_elsewhere_and_an_unreachable_one_are_refused() {
    let base = [
        "--oidc-client-id=portfolio",
        "--oidc-redirect-url=http://127.0.0.1:8080/sign-in/oidc/callback",
        "--oidc-group-roles=pmo=editor",
        "--oidc-organisation=northmere",
    ];
    let mut args = vec!["--oidc-issuer=http://login.example"];
    args.extend(base);
    let (code, stderr) = serve(&args, &[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("must start with https://"), "{stderr}");

    let mut args = vec![ISSUER];
    args.extend(base);
    let (code, stderr) = serve(&args, &[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("could not read the provider's metadata from http://127.0.0.1:9/.well-known/openid-configuration"),
        "{stderr}"
    );
}
