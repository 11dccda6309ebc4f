//! `export --all` and `import --all`: the whole database as a portable
//! archive, to move between SQLite and PostgreSQL or keep as a plain-text copy.

use std::io::{BufReader, BufWriter, Write};
use std::path::Path;

use anyhow::{bail, Context};
use portfolio_app::AppError;
use portfolio_store::archive::ArchiveSummary;

use super::{open_configured, out};
use crate::cli::GlobalOptions;

pub async fn export_all(global: &GlobalOptions, output: Option<&Path>) -> anyhow::Result<()> {
    if let Some(path) = output {
        if path.symlink_metadata().is_ok() {
            bail!(
                "{} already exists; export --all never overwrites a file, so choose a new name",
                path.display()
            );
        }
    }
    let app = open_configured(global).await?;
    let summary = match output {
        Some(path) => {
            let file = std::fs::File::create_new(path)
                .with_context(|| format!("could not create {}", path.display()))?;
            let mut writer = BufWriter::new(file);
            let summary = app.store.export_archive(&mut writer).await;
            let flushed = writer
                .into_inner()
                .map_err(|e| e.into_error())
                .and_then(|file| file.sync_all());
            match (summary, flushed) {
                (Ok(summary), Ok(())) => Ok(summary),
                (Err(e), _) => Err(anyhow::Error::from(AppError::from(e))),
                (_, Err(e)) => Err(anyhow::Error::from(e)),
            }
            .map_err(|e| {
                let _ = std::fs::remove_file(path);
                e.context(format!("could not write the archive {}", path.display()))
            })?
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            let summary = app.store.export_archive(&mut stdout).await;
            stdout.flush()?;
            summary.map_err(AppError::from)?
        }
    };
    app.store.close().await;
    let place = output.map_or("standard output".to_string(), |p| p.display().to_string());
    eprintln!("Exported {} to {place}", describe(&summary));
    Ok(())
}

pub async fn import_all(global: &GlobalOptions, archive: &Path) -> anyhow::Result<()> {
    let file = std::fs::File::open(archive)
        .with_context(|| format!("could not read the archive {}", archive.display()))?;
    let mut reader = BufReader::new(file);
    let app = open_configured(global).await?;
    let summary = app.store.import_archive(&mut reader).await;
    app.store.close().await;
    let summary = summary
        .map_err(AppError::from)
        .with_context(|| format!("nothing was imported from {}", archive.display()))?;
    out(&format!(
        "Imported {} from {}\n",
        describe(&summary),
        archive.display()
    ))
}

/// "1,234 rows of 40 tables (schema version …; sessions and sso_logins left out)".
fn describe(summary: &ArchiveSummary) -> String {
    format!(
        "{} rows of {} tables (schema version {}; not archived: {})",
        summary.total_rows(),
        summary.rows.len(),
        summary.schema_version,
        summary.left_out.join(", ")
    )
}
