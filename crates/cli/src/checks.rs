//! The settings of `serve`, checked before anything starts: each mistake
//! becomes one line naming the option (and its environment variable) and
//! why, and the process exits with code 2, as for a mistyped option.

use std::fmt;
use std::net::SocketAddr;
use std::path::Path;

use crate::cli::{GlobalOptions, ServeArgs};

/// The exit code of a setting that cannot work.
pub const EXIT_CODE: u8 = 2;

/// Settings that cannot work, one message each.
#[derive(Debug)]
pub struct ConfigError(pub Vec<String>);

impl ConfigError {
    pub fn one(message: impl Into<String>) -> ConfigError {
        ConfigError(vec![message.into()])
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join("; "))
    }
}

impl std::error::Error for ConfigError {}

/// `--option (ENVIRONMENT_VARIABLE)`, as messages name a setting.
pub fn setting(option: &str, env: &str) -> String {
    format!("--{option} ({env})")
}

pub const DATABASE_URL: (&str, &str) = ("database-url", "PORTFOLIO_DATABASE_URL");
pub const LISTEN: (&str, &str) = ("listen", "PORTFOLIO_LISTEN");
pub const METRICS_LISTEN: (&str, &str) = ("metrics-listen", "PORTFOLIO_METRICS_LISTEN");
const DATA_DIR: (&str, &str) = ("data-dir", "PORTFOLIO_DATA_DIR");
const PUBLIC_URL: (&str, &str) = ("public-url", "PORTFOLIO_PUBLIC_URL");
const SMTP_URL: (&str, &str) = ("smtp-url", "PORTFOLIO_SMTP_URL");
const MAIL_FROM: (&str, &str) = ("mail-from", "PORTFOLIO_MAIL_FROM");
const OIDC_ISSUER: (&str, &str) = ("oidc-issuer", "PORTFOLIO_OIDC_ISSUER");

fn named((option, env): (&str, &str)) -> String {
    setting(option, env)
}

/// Every check that needs neither the database nor the network; all
/// mistakes are reported together.
pub fn check_serve(global: &GlobalOptions, args: &ServeArgs) -> Result<(), ConfigError> {
    let mut problems = Vec::new();
    if let Err(why) = check_address(&args.listen) {
        problems.push(format!("{}: {why}", named(LISTEN)));
    }
    if let Some(metrics) = given(&args.metrics_listen) {
        match check_address(metrics) {
            Err(why) => problems.push(format!("{}: {why}", named(METRICS_LISTEN))),
            Ok(()) if metrics == args.listen.trim() && !metrics.ends_with(":0") => {
                problems.push(format!(
                "{}: '{metrics}' is the address of --listen; metrics need a listener of their own",
                named(METRICS_LISTEN)
            ))
            }
            Ok(()) => {}
        }
    }
    match given(&global.database_url) {
        Some(url) => {
            if let Err(why) = check_database_url(url) {
                problems.push(format!("{}: {why}", named(DATABASE_URL)));
            }
        }
        // The embedded database lives in the data directory.
        None => {
            if let Err(why) = check_writable(&global.data_dir) {
                problems.push(format!("{}: {why}", named(DATA_DIR)));
            }
        }
    }
    if let Some(public) = given(&args.mail.public_url) {
        if let Err(why) = check_http_url(public) {
            problems.push(format!("{}: {why}", named(PUBLIC_URL)));
        }
    }
    if let Some(smtp) = given(&args.mail.smtp_url) {
        let settings = portfolio_app::notifications::MailSettings {
            smtp_url: smtp.to_string(),
            from: args.mail.mail_from.clone(),
            // Checked above on its own; a stand-in lets the rest be checked.
            public_url: "http://127.0.0.1".into(),
        };
        if let Err(e) = portfolio_app::notifications::Mailer::new(&settings) {
            let which = match &e {
                portfolio_app::AppError::Validation(errors)
                    if errors.0.iter().any(|f| f.field == "mail_from") =>
                {
                    MAIL_FROM
                }
                _ => SMTP_URL,
            };
            let why = match &e {
                portfolio_app::AppError::Validation(errors) => errors
                    .0
                    .iter()
                    .map(|f| f.message.clone())
                    .collect::<Vec<_>>()
                    .join("; "),
                other => other.to_string(),
            };
            problems.push(format!("{}: {why}", named(which)));
        }
    }
    if given(&args.sso.oidc_issuer).is_none() {
        let sso = &args.sso;
        let others = [
            (
                "oidc-client-id",
                "PORTFOLIO_OIDC_CLIENT_ID",
                given(&sso.oidc_client_id).is_some(),
            ),
            (
                "oidc-redirect-url",
                "PORTFOLIO_OIDC_REDIRECT_URL",
                given(&sso.oidc_redirect_url).is_some(),
            ),
            (
                "oidc-group-roles",
                "PORTFOLIO_OIDC_GROUP_ROLES",
                given(&sso.oidc_group_roles).is_some(),
            ),
            (
                "oidc-default-role",
                "PORTFOLIO_OIDC_DEFAULT_ROLE",
                given(&sso.oidc_default_role).is_some(),
            ),
            (
                "oidc-organisation",
                "PORTFOLIO_OIDC_ORGANISATION",
                given(&sso.oidc_organisation).is_some(),
            ),
            (
                "oidc-create-users",
                "PORTFOLIO_OIDC_CREATE_USERS",
                sso.oidc_create_users,
            ),
        ];
        for (option, env, set) in others {
            if set {
                problems.push(format!(
                    "{} is set but {} is not: single sign-on needs all its settings or none",
                    setting(option, env),
                    named(OIDC_ISSUER)
                ));
            }
        }
        if std::env::var_os(crate::config::OIDC_CLIENT_SECRET_ENV).is_some() {
            problems.push(format!(
                "{} is set but {} is not: single sign-on needs all its settings or none",
                crate::config::OIDC_CLIENT_SECRET_ENV,
                named(OIDC_ISSUER)
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ConfigError(problems))
    }
}

fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// `HOST:PORT` or `[IPv6]:PORT`, the port a number up to 65535.
fn check_address(address: &str) -> Result<(), String> {
    let address = address.trim();
    if address.parse::<SocketAddr>().is_ok() {
        return Ok(());
    }
    let shape = format!("'{address}' is not an address like 127.0.0.1:8080 (HOST:PORT)");
    let Some((host, port)) = address.rsplit_once(':') else {
        return Err(shape);
    };
    if host.is_empty() || host.contains(['/', ' ', '[', ']']) {
        return Err(shape);
    }
    if port.parse::<u16>().is_err() {
        return Err(format!(
            "'{address}': the port '{port}' is not a number from 0 to 65535"
        ));
    }
    Ok(())
}

/// `sqlite://PATH`, or `postgres://…` naming a host.
fn check_database_url(url: &str) -> Result<(), String> {
    if let Some(path) = url.strip_prefix("sqlite:") {
        if path.trim_start_matches('/').is_empty() || path.starts_with('?') {
            return Err("sqlite:// needs the path of the database file".into());
        }
        return Ok(());
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let parsed = url::Url::parse(url)
            .map_err(|e| format!("'{}' is not a URL: {e}", crate::config::redact_url(url)))?;
        if parsed.host_str().is_none_or(str::is_empty)
            && !parsed.query_pairs().any(|(k, _)| k == "host")
        {
            return Err(format!(
                "'{}' names no database server",
                crate::config::redact_url(url)
            ));
        }
        return Ok(());
    }
    let scheme = url.split_once("://").map_or(url, |(s, _)| s);
    Err(format!(
        "must start with sqlite:// or postgres:// (not '{}')",
        if scheme.len() > 20 { "…" } else { scheme }
    ))
}

/// An absolute `http://` or `https://` address with a host.
fn check_http_url(value: &str) -> Result<(), String> {
    let wrong = || format!("'{value}' is not an absolute http:// or https:// address");
    let url = url::Url::parse(value).map_err(|_| wrong())?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err(wrong());
    }
    Ok(())
}

/// Creates the directory if missing and writes (then removes) a file in it.
fn check_writable(dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir)
        .map_err(|e| format!("{} cannot be created: {e}", dir.display()))?;
    let probe = dir.join(format!(".portfolio-write-check-{}", std::process::id()));
    std::fs::write(&probe, b"")
        .map_err(|e| format!("{} cannot be written to: {e}", dir.display()))?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        assert!(check_address("127.0.0.1:0").is_ok());
        assert!(check_address("[::1]:8080").is_ok());
        assert!(check_address("localhost:8080").is_ok());
        assert!(check_address("8080").is_err());
        assert!(check_address("127.0.0.1:99999")
            .unwrap_err()
            .contains("0 to 65535"));
        assert!(check_address(":8080").is_err());
    }

    #[test]
    fn database_urls() {
        assert!(check_database_url("sqlite:///var/lib/portfolio/p.sqlite").is_ok());
        assert!(check_database_url("postgres://u:p@db:5432/portfolio").is_ok());
        assert!(check_database_url("mysql://db/x")
            .unwrap_err()
            .contains("'mysql'"));
        assert!(check_database_url("postgres:///x").is_err());
        assert!(check_database_url("postgres:///x?host=/run/postgresql").is_ok());
        assert!(check_database_url("sqlite://").is_err());
    }

    #[test]
    fn public_urls() {
        assert!(check_http_url("https://portfolio.council.example").is_ok());
        assert!(check_http_url("portfolio.council.example").is_err());
        assert!(check_http_url("ftp://portfolio.council.example").is_err());
        assert!(check_http_url("/relative").is_err());
    }
}
