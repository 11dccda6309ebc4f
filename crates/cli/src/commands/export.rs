//! `export`: a register (projects, RAID, decisions or actions) as JSON, CSV or XLSX.

use anyhow::Context;
use portfolio_app::sheets::{ExportFilters, FileFormat, Register};

use super::{only_organisation, open_configured, out};
use crate::cli::{ExportArgs, ExportFormat, ExportWhat, GlobalOptions};

pub async fn export(global: &GlobalOptions, args: ExportArgs) -> anyhow::Result<()> {
    if args.all {
        return super::archive::export_all(global, args.output.as_deref()).await;
    }
    let format = match args.format {
        ExportFormat::Json => FileFormat::Json,
        ExportFormat::Csv => FileFormat::Csv,
        ExportFormat::Xlsx => FileFormat::Xlsx,
    };
    if format == FileFormat::Xlsx && args.output.is_none() {
        anyhow::bail!("an XLSX workbook is not text: name the file to write with --output FILE");
    }
    let (register, noun) = match args.what {
        ExportWhat::Register => (Register::Register, "projects"),
        ExportWhat::Raid => (Register::Raid, "RAID items"),
        ExportWhat::Decisions => (Register::Decisions, "decisions"),
        ExportWhat::Actions => (Register::Actions, "actions"),
    };
    let app = open_configured(global).await?;
    let slug = match args.org {
        Some(slug) => slug,
        None => only_organisation(&app).await?,
    };
    let caller = app.command_line_caller(&slug, "command line").await?;
    let file = app
        .export_file(&caller, register, format, &ExportFilters::default())
        .await;
    app.store.close().await;
    let file = file?;
    match args.output {
        Some(path) => {
            std::fs::write(&path, &file.bytes)
                .with_context(|| format!("could not write {}", path.display()))?;
            eprintln!(
                "Exported {} {noun} of {slug} to {}",
                file.rows,
                path.display()
            );
            Ok(())
        }
        None => out(&String::from_utf8_lossy(&file.bytes)),
    }
}
