//! `export`: the register as JSON or CSV.

use anyhow::Context;
use portfolio_app::export::projects_csv;

use super::{only_organisation, open_configured, out};
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
