//! `backup`: a consistent copy of the embedded database.

use anyhow::{bail, Context};
use portfolio_app::{AppError, Backend};

use super::{open, out, DATABASE_FILE};
use crate::cli::{BackupArgs, GlobalOptions};
use crate::config;

const PG_DUMP_ADVICE: &str = "backup copies the embedded SQLite database; this database is \
     PostgreSQL, so back it up with pg_dump instead, for example: \
     pg_dump --format=custom --file=portfolio.dump \"$PORTFOLIO_DATABASE_URL\"";

pub async fn backup(global: &GlobalOptions, args: BackupArgs) -> anyhow::Result<()> {
    let url = config::database_url(global, DATABASE_FILE)?;
    if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        bail!(PG_DUMP_ADVICE);
    }
    let output = &args.output;
    if output.symlink_metadata().is_ok() {
        bail!(
            "{} already exists; backup never overwrites a file, so choose a new name",
            output.display()
        );
    }
    let Some(path) = output.to_str() else {
        bail!("the backup path {} is not valid UTF-8", output.display());
    };
    let app = open(&url).await?;
    if app.store.backend() != Backend::Sqlite {
        bail!(PG_DUMP_ADVICE);
    }
    app.store
        .backup_sqlite(path)
        .await
        .map_err(AppError::from)
        .with_context(|| format!("could not write the backup to {}", output.display()))?;
    app.store.close().await;
    let size = std::fs::metadata(output).map(|m| m.len()).unwrap_or(0);
    out(&format!(
        "Backup written to {} ({size} bytes).\n\
         Use it with --database-url {}, or restore it by stopping the server and copying it \
         over the database file.\n",
        output.display(),
        config::sqlite_url(output)
    ))
}
