//! `report`: a board pack or Cabinet report as at a date, written to a file.

use anyhow::{bail, Context};
use portfolio_app::reports::{unsaved, ReportFormat};
use portfolio_domain::report::{parse_as_at_date, ReportKind};
use portfolio_domain::ValidationErrors;

use super::{only_organisation, open_configured};
use crate::cli::{GlobalOptions, ReportArgs, ReportKindArg};

pub async fn report(global: &GlobalOptions, args: ReportArgs) -> anyhow::Result<()> {
    if args.out.exists() {
        bail!(
            "{} already exists; choose a new file for the report",
            args.out.display()
        );
    }
    let format =
        ReportFormat::parse(&args.format).map_err(|e| ValidationErrors::single("format", e))?;
    let kind = match args.kind {
        ReportKindArg::Board => ReportKind::Board,
        ReportKindArg::Cabinet => ReportKind::Cabinet,
    };
    let app = open_configured(global).await?;
    let slug = match args.org {
        Some(slug) => slug,
        None => only_organisation(&app).await?,
    };
    let written = async {
        let caller = app.command_line_caller(&slug, "cli").await?;
        let founded = app
            .store
            .organisation_founded(caller.organisation_id())
            .await?;
        let as_at = parse_as_at_date(&args.as_at, portfolio_app::history::today(), founded)
            .map_err(|e| ValidationErrors::single("--as-at", e))?;
        let mut saved = unsaved(kind, as_at);
        saved.meeting_id = args.meeting;
        if args.meeting.is_some() {
            app.meeting(&caller, args.meeting.unwrap_or_default())
                .await?;
        }
        app.render_report(&caller, &saved, format).await
    }
    .await;
    app.store.close().await;
    let document = written?;
    std::fs::write(&args.out, &document.bytes)
        .with_context(|| format!("could not write the report to {}", args.out.display()))?;
    eprintln!(
        "wrote {} ({} bytes) to {}",
        document.file_name,
        document.bytes.len(),
        args.out.display()
    );
    Ok(())
}
