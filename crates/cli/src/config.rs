//! Turning the global options into a database URL, and reading secrets.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use portfolio_app::sso::{parse_group_roles, SsoSettings};
use portfolio_domain::Role;

use crate::cli::{GlobalOptions, SsoArgs};

/// Environment variable a password is read from (else from stdin).
pub const PASSWORD_ENV: &str = "PORTFOLIO_PASSWORD";

/// The database URL to use: `--database-url` if given, otherwise the SQLite
/// file `file_name` in the data directory (which is created if missing).
pub fn database_url(global: &GlobalOptions, file_name: &str) -> anyhow::Result<String> {
    match &global.database_url {
        Some(url) if !url.trim().is_empty() => Ok(url.trim().to_string()),
        _ => Ok(sqlite_url(&default_sqlite_path(
            &global.data_dir,
            file_name,
        )?)),
    }
}

/// `<data-dir>/<file_name>`, creating the data directory if it is missing.
pub fn default_sqlite_path(data_dir: &Path, file_name: &str) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(data_dir).with_context(|| {
        format!(
            "could not create the data directory {} (choose another with --data-dir)",
            data_dir.display()
        )
    })?;
    let dir = std::fs::canonicalize(data_dir).unwrap_or_else(|_| data_dir.to_path_buf());
    Ok(dir.join(file_name))
}

/// `sqlite://PATH`, with the characters a URL would misread percent-encoded
/// (the SQLite driver decodes them).
pub fn sqlite_url(path: &Path) -> String {
    let mut url = String::from("sqlite://");
    for c in path.to_string_lossy().chars() {
        match c {
            '%' => url.push_str("%25"),
            '?' => url.push_str("%3F"),
            '#' => url.push_str("%23"),
            ' ' => url.push_str("%20"),
            c => url.push(c),
        }
    }
    url
}

/// The URL with any password replaced by `***`, for logs and messages.
///
/// Covers `scheme://user:password@host/…` (even with an unencoded `/` or `@`
/// in the password) and a `password=` query parameter.
pub fn redact_url(url: &str) -> String {
    let (scheme, rest) = match url.find("://") {
        Some(i) => (&url[..i + 3], &url[i + 3..]),
        None => ("", url),
    };
    let query_start = rest.find('?').unwrap_or(rest.len());
    let (before_query, query) = rest.split_at(query_start);
    // SQLite URLs are paths, which may contain '@'; they carry no credentials.
    let before_query = match before_query.rfind('@') {
        Some(at) if !scheme.starts_with("sqlite") => {
            let (userinfo, host) = before_query.split_at(at);
            match userinfo.find(':') {
                Some(colon) => format!("{}:***{host}", &userinfo[..colon]),
                None => before_query.to_string(),
            }
        }
        _ => before_query.to_string(),
    };
    let query = match query.strip_prefix('?') {
        Some(query) => {
            let pairs: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((key, _)) if key.eq_ignore_ascii_case("password") => {
                        format!("{key}=***")
                    }
                    _ => pair.to_string(),
                })
                .collect();
            format!("?{}", pairs.join("&"))
        }
        None => String::new(),
    };
    format!("{scheme}{before_query}{query}")
}

/// A password from `PORTFOLIO_PASSWORD` or, if that is not set, one line of stdin.
///
/// Never from a command-line option: those are visible to other users in `ps`.
pub fn read_password(purpose: &str) -> anyhow::Result<String> {
    if let Some(password) = std::env::var_os(PASSWORD_ENV) {
        return password
            .into_string()
            .map_err(|_| anyhow::anyhow!("{PASSWORD_ENV} is not valid UTF-8"));
    }
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("{purpose} (at least 12 characters; it will be shown as you type), then Enter: ");
        let _ = std::io::stderr().flush();
    }
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .context("could not read the password from standard input")?;
    let password = line
        .strip_suffix('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .unwrap_or(&line)
        .to_string();
    if password.is_empty() {
        bail!(
            "no password given: set {PASSWORD_ENV} or write the password on standard input \
             (for example `printf '%s\\n' \"$PASSWORD\" | portfolio …`)"
        );
    }
    Ok(password)
}

/// Environment variable the OpenID Connect client secret is read from.
pub const OIDC_CLIENT_SECRET_ENV: &str = "PORTFOLIO_OIDC_CLIENT_SECRET";

/// The single-sign-on settings, or `None` when no issuer is given. Every
/// message names the option or environment variable to fix. `organisations`
/// are the slugs in the database, for the default when there is one.
pub fn sso_settings(
    args: &SsoArgs,
    organisations: &[String],
) -> anyhow::Result<Option<SsoSettings>> {
    let given = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let Some(issuer) = given(&args.oidc_issuer) else {
        return Ok(None);
    };
    let required = |v: &Option<String>, option: &str, env: &str| {
        given(v).ok_or_else(|| {
            anyhow::anyhow!(
                "single sign-on: --oidc-issuer is set, so {option} (or {env}) is needed too"
            )
        })
    };
    let client_id = required(
        &args.oidc_client_id,
        "--oidc-client-id",
        "PORTFOLIO_OIDC_CLIENT_ID",
    )?;
    let redirect_url = required(
        &args.oidc_redirect_url,
        "--oidc-redirect-url",
        "PORTFOLIO_OIDC_REDIRECT_URL",
    )?;
    let client_secret = match std::env::var(OIDC_CLIENT_SECRET_ENV) {
        Ok(s) if s.trim().is_empty() => {
            bail!("single sign-on: {OIDC_CLIENT_SECRET_ENV} is set but empty; unset it for a public client")
        }
        Ok(s) => Some(s.trim().to_string()),
        Err(std::env::VarError::NotPresent) => None,
        Err(std::env::VarError::NotUnicode(_)) => {
            bail!("single sign-on: {OIDC_CLIENT_SECRET_ENV} is not valid UTF-8")
        }
    };
    let group_roles = match given(&args.oidc_group_roles) {
        Some(text) => parse_group_roles(&text).map_err(|e| {
            anyhow::anyhow!("single sign-on: --oidc-group-roles (PORTFOLIO_OIDC_GROUP_ROLES): {e}")
        })?,
        None => Vec::new(),
    };
    let default_role = given(&args.oidc_default_role)
        .map(|r| Role::parse(&r))
        .transpose()
        .map_err(|e| {
            anyhow::anyhow!(
                "single sign-on: --oidc-default-role (PORTFOLIO_OIDC_DEFAULT_ROLE): {e}"
            )
        })?;
    let organisation = match (given(&args.oidc_organisation), organisations) {
        (Some(slug), _) => slug,
        (None, [only]) => only.clone(),
        (None, _) => bail!(
            "single sign-on: name the organisation single-sign-on users belong to with \
             --oidc-organisation (or PORTFOLIO_OIDC_ORGANISATION); `portfolio organisation list` \
             lists them"
        ),
    };
    let settings = SsoSettings {
        issuer,
        client_id,
        client_secret,
        redirect_url,
        scopes: args
            .oidc_scopes
            .split_whitespace()
            .map(str::to_string)
            .collect(),
        groups_claim: args.oidc_groups_claim.trim().to_string(),
        group_roles,
        default_role,
        create_users: args.oidc_create_users,
        organisation,
    };
    settings
        .check()
        .map_err(|e| anyhow::anyhow!("single sign-on: {e}"))?;
    Ok(Some(settings))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://portfolio:s3cret@db:5432/portfolio"),
            "postgres://portfolio:***@db:5432/portfolio"
        );
        assert_eq!(
            redact_url("postgres://u:p@ss:word@db/x?sslmode=require"),
            "postgres://u:***@db/x?sslmode=require"
        );
        assert_eq!(
            redact_url("postgres://db/x?user=u&password=s3cret&sslmode=require"),
            "postgres://db/x?user=u&password=***&sslmode=require"
        );
        assert_eq!(
            redact_url("postgres://u:pa/ss@db/x"),
            "postgres://u:***@db/x"
        );
        assert_eq!(
            redact_url("postgres://portfolio@db/portfolio"),
            "postgres://portfolio@db/portfolio"
        );
        assert_eq!(
            redact_url("sqlite:///var/lib/portfolio/portfolio.sqlite"),
            "sqlite:///var/lib/portfolio/portfolio.sqlite"
        );
    }

    #[test]
    fn sqlite_paths_become_urls() {
        assert_eq!(
            sqlite_url(Path::new("/tmp/a b/x#1.sqlite")),
            "sqlite:///tmp/a%20b/x%231.sqlite"
        );
    }
}
