//! `export`: the register as JSON or CSV.

use anyhow::{bail, Context};
use portfolio_app::export::projects_csv;
use portfolio_app::{App, AppError};

use super::{open_configured, out};
use crate::cli::{ExportArgs, ExportFormat, GlobalOptions};

pub async fn export(global: &GlobalOptions, args: ExportArgs) -> anyhow::Result<()> {
    let app = open_configured(global).await?;
    let slug = match args.org {
        Some(slug) => slug,
        None => only_organisation(&app).await?,
    };
    let projects = app.export_organisation(&slug).await?;
    app.store.close().await;
    let text = match args.format {
        ExportFormat::Json => {
            let mut json = serde_json::to_string_pretty(&projects)
                .context("could not write the projects as JSON")?;
            json.push('\n');
            json
        }
        ExportFormat::Csv => projects_csv(&projects),
    };
    match args.output {
        Some(path) => {
            std::fs::write(&path, text)
                .with_context(|| format!("could not write {}", path.display()))?;
            eprintln!(
                "Exported {} projects of {slug} to {}",
                projects.len(),
                path.display()
            );
            Ok(())
        }
        None => out(&text),
    }
}

/// The slug of the database's only organisation; an error naming the
/// choices when there are none or several.
async fn only_organisation(app: &App) -> anyhow::Result<String> {
    let organisations = app
        .store
        .list_organisations()
        .await
        .map_err(AppError::from)?;
    match organisations.as_slice() {
        [only] => Ok(only.slug.clone()),
        [] => bail!("there are no organisations in this database, so there is nothing to export"),
        several => {
            let slugs: Vec<&str> = several.iter().map(|o| o.slug.as_str()).collect();
            bail!(
                "this database holds {} organisations; choose one with --org: {}",
                several.len(),
                slugs.join(", ")
            )
        }
    }
}
