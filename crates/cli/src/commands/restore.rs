//! `restore`: putting an SQLite backup back in place of the database.
//!
//! The backup is copied to a temporary file beside the database, checked
//! (it opens as SQLite, passes `PRAGMA integrity_check`, has no migration
//! this build does not know) and migrated forward if it is older, flushed to
//! disk, and only then renamed over the database. Until that rename the old
//! database is untouched, so a refused or interrupted restore leaves it as
//! it was. A server using the database holds a shared lock on its file
//! ([`mark_in_use`]); restore refuses while one does.

use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use portfolio_store::backup::{check_sqlite_backup, checkpoint_sqlite};

use super::{out, DATABASE_FILE};
use crate::cli::{GlobalOptions, RestoreArgs};
use crate::config;

const PG_RESTORE_ADVICE: &str = "restore replaces the embedded SQLite database; this database \
     is PostgreSQL, so restore a pg_dump archive with pg_restore instead, for example: \
     pg_restore --clean --if-exists --no-owner --dbname=\"$PORTFOLIO_DATABASE_URL\" portfolio.dump";

pub async fn restore(global: &GlobalOptions, args: RestoreArgs) -> anyhow::Result<()> {
    let url = config::database_url(global, DATABASE_FILE)?;
    if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        bail!(PG_RESTORE_ADVICE);
    }
    let target = sqlite_path(&url)?;
    let backup = &args.from;
    let backup_meta = std::fs::metadata(backup)
        .with_context(|| format!("could not read the backup {}", backup.display()))?;
    if !backup_meta.is_file() {
        bail!("the backup {} is not a file", backup.display());
    }
    if with_suffix(backup, "-wal")
        .metadata()
        .is_ok_and(|m| m.len() > 0)
    {
        bail!(
            "{} has a write-ahead log beside it, so it looks like a database in use rather than \
             a backup; make a backup of it with `portfolio backup` and restore that",
            backup.display()
        );
    }
    let target_meta = target.metadata().ok();
    if let Some(meta) = &target_meta {
        if let (Ok(a), Ok(b)) = (backup.canonicalize(), target.canonicalize()) {
            if a == b {
                bail!("the backup {} is the database itself", backup.display());
            }
        }
        if !args.force {
            bail!(
                "{} already holds a database ({} bytes); restoring would replace it and every \
                 change since the backup. Stop the server, then run again with --force",
                target.display(),
                meta.len()
            );
        }
    }
    // Held until the end: a server starting meanwhile waits for nothing, but
    // one already running is detected here.
    let _lock = match &target_meta {
        Some(_) => Some(lock_exclusive(&target)?),
        None => None,
    };

    let directory = match target.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&directory)
        .with_context(|| format!("could not create the directory {}", directory.display()))?;
    let file_name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| DATABASE_FILE.to_string());
    let temporary = directory.join(format!(".{file_name}.restoring-{}", std::process::id()));
    remove_sqlite_files(&temporary)?;
    let prepared = prepare(backup, &temporary).await;
    let check = match prepared {
        Ok(check) => check,
        Err(e) => {
            let _ = remove_sqlite_files(&temporary);
            let kept = if target_meta.is_some() {
                format!("{} was left as it was", target.display())
            } else {
                "nothing was written".to_string()
            };
            return Err(e.context(format!("{} cannot be restored; {kept}", backup.display())));
        }
    };

    if target_meta.is_some() && with_suffix(&target, "-wal").exists() {
        let path = utf8(&target)?;
        checkpoint_sqlite(path).await.map_err(|e| {
            let _ = remove_sqlite_files(&temporary);
            anyhow::anyhow!(
                "could not fold the write-ahead log of {} into it ({e}); is a server still \
                 using it? {} was left as it was",
                target.display(),
                target.display()
            )
        })?;
    }
    for suffix in ["-wal", "-shm", "-journal"] {
        remove_if_present(&with_suffix(&target, suffix))?;
    }
    std::fs::rename(&temporary, &target).with_context(|| {
        format!(
            "could not move the restored database into place as {}",
            target.display()
        )
    })?;
    File::open(&directory)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("could not flush the directory {}", directory.display()))?;

    let migrated = match check.migrated_forward {
        0 => String::new(),
        1 => ", then migrated forward by 1 migration".to_string(),
        n => format!(", then migrated forward by {n} migrations"),
    };
    out(&format!(
        "Restored {} from {}{migrated}; its schema is at version {}.\n",
        target.display(),
        backup.display(),
        check.schema_version
    ))
}

/// Copies the backup to `temporary`, checks and migrates the copy, and
/// flushes it to disk.
async fn prepare(
    backup: &Path,
    temporary: &Path,
) -> anyhow::Result<portfolio_store::backup::BackupCheck> {
    std::fs::copy(backup, temporary)
        .with_context(|| format!("could not copy it to {}", temporary.display()))?;
    let check = check_sqlite_backup(utf8(temporary)?).await?;
    for suffix in ["-wal", "-shm", "-journal"] {
        remove_if_present(&with_suffix(temporary, suffix))?;
    }
    File::open(temporary)
        .and_then(|f| f.sync_all())
        .with_context(|| format!("could not flush {} to disk", temporary.display()))?;
    Ok(check)
}

/// Takes a shared lock on the SQLite database file of `url` for as long as
/// the returned file is kept, so that `restore` can tell the database is in
/// use. `None` for PostgreSQL (and a database file not created yet).
pub fn mark_in_use(url: &str) -> anyhow::Result<Option<File>> {
    if !url.starts_with("sqlite:") {
        return Ok(None);
    }
    let Ok(path) = sqlite_path(url) else {
        return Ok(None);
    };
    let Ok(file) = File::open(&path) else {
        return Ok(None);
    };
    file.lock_shared()
        .with_context(|| format!("could not lock {}", path.display()))?;
    Ok(Some(file))
}

fn lock_exclusive(path: &Path) -> anyhow::Result<File> {
    let file = File::open(path).with_context(|| format!("could not open {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => bail!(
            "a Portfolio server is using {}; stop it before restoring (the database was left as \
             it was)",
            path.display()
        ),
        Err(std::fs::TryLockError::Error(e)) => {
            Err(e).with_context(|| format!("could not lock {}", path.display()))
        }
    }
}

/// The file an `sqlite://` URL names.
fn sqlite_path(url: &str) -> anyhow::Result<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .with_context(|| {
            format!(
                "the database URL {} is neither sqlite:// nor postgres://",
                config::redact_url(url)
            )
        })?;
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        bail!("the database URL {url} names no file to restore into");
    }
    Ok(PathBuf::from(percent_decode(path)))
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            if let Some(byte) = text
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                decoded.push(byte);
                i += 3;
                continue;
            }
        }
        decoded.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn remove_if_present(path: &Path) -> anyhow::Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e).with_context(|| format!("could not remove {}", path.display())),
    }
}

fn remove_sqlite_files(path: &Path) -> anyhow::Result<()> {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        remove_if_present(&with_suffix(path, suffix))?;
    }
    Ok(())
}

fn utf8(path: &Path) -> anyhow::Result<&str> {
    path.to_str()
        .with_context(|| format!("the path {} is not valid UTF-8", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_name_their_file() {
        assert_eq!(
            sqlite_path("sqlite:///var/lib/portfolio/my%20data.sqlite?mode=rwc").ok(),
            Some(PathBuf::from("/var/lib/portfolio/my data.sqlite"))
        );
        assert_eq!(
            sqlite_path("sqlite:relative.sqlite").ok(),
            Some(PathBuf::from("relative.sqlite"))
        );
        assert!(sqlite_path("sqlite::memory:").is_err());
        assert!(sqlite_path("mysql://x").is_err());
    }
}
