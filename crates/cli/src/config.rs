//! Turning the global options into a database URL, and reading secrets.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use crate::cli::GlobalOptions;

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
