//! `import`: departments' spreadsheets into the register, all or nothing.

use std::path::Path;

use anyhow::{bail, Context};
use portfolio_app::import::{ImportOptions, ImportReport, MappingFile};
use portfolio_app::Actor;

use super::{open_configured, out};
use crate::cli::{GlobalOptions, ImportArgs, ReportFormat};

pub async fn import(global: &GlobalOptions, args: ImportArgs) -> anyhow::Result<()> {
    if args.all {
        let [archive] = args.files.as_slice() else {
            bail!("import --all reads one archive; name a single file");
        };
        return super::archive::import_all(global, archive).await;
    }
    let Some(org) = args.org.as_deref() else {
        bail!("name the organisation to import into with --org SLUG");
    };
    let mapping = match &args.mapping {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("could not read the mapping file {}", path.display()))?;
            let name = path.display().to_string();
            Some(MappingFile::parse(&name, &text).map_err(|e| anyhow::anyhow!("{name} {e}"))?)
        }
        None => None,
    };
    let options = ImportOptions {
        source: args.source.clone(),
        sheet: args.sheet.clone(),
        mapping,
        dry_run: args.dry_run,
        valid_only: args.valid_only,
        ..ImportOptions::default()
    };
    if let Some(path) = &args.rejected {
        if path.exists() {
            bail!(
                "{} already exists; choose a new file for the rejected rows",
                path.display()
            );
        }
    }
    let app = open_configured(global).await?;
    let paths: Vec<&Path> = args.files.iter().map(|p| p.as_path()).collect();
    let report = app
        .import_paths(org, &paths, &options, &Actor::system("cli"))
        .await;
    app.store.close().await;
    let report = report?;
    let text = match args.format {
        ReportFormat::Json => {
            let mut json = serde_json::to_string_pretty(&report)
                .context("could not write the report as JSON")?;
            json.push('\n');
            json
        }
        ReportFormat::Text => text_report(&report),
    };
    out(&text)?;
    if let (Some(path), Some(csv)) = (&args.rejected, report.rejected_csv()) {
        std::fs::write(path, csv)
            .with_context(|| format!("could not write the rejected rows to {}", path.display()))?;
    }
    if !report.problems.is_empty() && !report.valid_only {
        bail!(
            "nothing was imported: {} problem{} to correct",
            report.problems.len(),
            if report.problems.len() == 1 { "" } else { "s" }
        );
    }
    Ok(())
}

/// A short summary, then one line per problem.
fn text_report(report: &ImportReport) -> String {
    let mut text = String::new();
    let files = report.files.len();
    let read = format!(
        "Read {} row{} from {files} file{}.",
        report.rows_read,
        if report.rows_read == 1 { "" } else { "s" },
        if files == 1 { "" } else { "s" }
    );
    if !report.problems.is_empty() && report.valid_only {
        text.push_str(&format!(
            "{read} {} row{} left out for {} problem{}:\n",
            report.rejected_rows(),
            if report.rejected_rows() == 1 { "" } else { "s" },
            report.problems.len(),
            if report.problems.len() == 1 { "" } else { "s" },
        ));
        for problem in &report.problems {
            text.push_str(&format!("{problem}\n"));
        }
    } else if !report.problems.is_empty() {
        text.push_str(&format!(
            "{read} Nothing was imported: {} problem{} found.\n",
            report.problems.len(),
            if report.problems.len() == 1 {
                " was"
            } else {
                "s were"
            }
        ));
        for problem in &report.problems {
            text.push_str(&format!("{problem}\n"));
        }
        return text;
    }
    let verb = if report.dry_run {
        "Would create"
    } else {
        "Created"
    };
    text.push_str(&format!(
        "{read} {verb} {}, {} {}, left {} unchanged.{}\n",
        report.created,
        if report.dry_run {
            "would update"
        } else {
            "updated"
        },
        report.updated,
        report.unchanged,
        if report.dry_run {
            " Dry run: nothing was written."
        } else {
            ""
        }
    ));
    text
}
