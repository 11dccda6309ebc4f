//! Pages for board packs and Cabinet reports: the list of reports kept,
//! the form that makes one (kind, date, board meeting), a report's web
//! view inside the GOV.UK layout with its downloads, the form that edits
//! its narrative, the board pack of a board meeting, and the branding
//! settings (display name and logo) the documents carry.
//!
//! Everyone who reads the programme reads reports; the programme office
//! (`EditProjects`) makes and edits them; administrators set the branding.
//! The report is built and checked by `portfolio_app`; a check that fails
//! is shown as the reason the report was not produced, never as a number.

use std::collections::HashMap;

use axum::extract::{Multipart, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use chrono::Datelike;
use minijinja::{context, Value};
use portfolio_app::reports::ReportFormat;
use portfolio_app::AppError;
use portfolio_domain::report::{
    Block, Narrative, Report, ReportDraft, ReportKind, SavedReport, Table,
};
use portfolio_domain::{Permission, ValidationErrors};
use serde::Deserialize;

use super::{errors_view, layout, long_date, ErrorLink, PostedFields as Fields};
use crate::error::PageError;
use crate::session::PageSession;
use crate::templates::render_status;
use crate::AppState;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/reports", get(list_page).post(create))
        .route("/reports/new", get(new_page))
        .route("/reports/{id}", get(report_page))
        .route("/reports/{id}/document", get(document))
        .route("/reports/{id}/edit", get(edit_page).post(update))
        .route("/meetings/{id}/board-pack", post(board_pack))
        .route("/settings/branding", get(branding_page))
        .route("/settings/branding/logo", get(branding_logo))
}

/// The branding form takes a logo: served with the upload's larger body
/// limit, so a logo far over the logo limit is read and refused with a
/// message instead of cut off.
pub(super) fn upload_router() -> Router<AppState> {
    Router::new().route("/settings/branding", post(save_branding))
}

fn id_of(text: &str, entity: &'static str) -> Result<i64, AppError> {
    text.trim()
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or(AppError::NotFound(entity))
}

/// "Board pack", with its path and the meeting it is for.
fn saved_view(r: &SavedReport, changed: Option<&portfolio_app::AuditEntry>) -> Value {
    context! {
        id => r.id, kind => r.kind.label(), kind_value => r.kind.as_str(), title => r.title.clone(),
        as_at => long_date(r.as_at), as_at_iso => r.as_at.to_string(), meeting_id => r.meeting_id,
        version => r.version,
        changed_on => changed.map(|c| long_date(c.at.date_naive())),
        changed_by => changed.map(|c| c.actor.clone()),
    }
}

fn format_links(id: i64) -> Vec<Value> {
    ReportFormat::ALL
        .iter()
        .map(|f| {
            context! {
                label => f.label(), extension => f.extension(),
                href => format!("/reports/{id}/document?format={}", f.extension()),
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------
// The list of reports
// ---------------------------------------------------------------------------

pub async fn list_page(
    State(state): State<AppState>,
    session: PageSession,
) -> Result<Response, PageError> {
    let base = layout(&state, &session, "reports").await?;
    let caller = session.caller();
    let saved = state.app.saved_reports(caller).await?;
    let meetings: HashMap<i64, String> = state
        .app
        .meetings(caller)
        .await?
        .into_iter()
        .map(|m| (m.meeting.id, m.meeting.title))
        .collect();
    let mut reports = Vec::with_capacity(saved.len());
    for r in &saved {
        let changed = state.app.report_last_changed(caller, r.id).await?;
        let meeting = r.meeting_id.and_then(|id| meetings.get(&id).cloned());
        reports.push(context! { meeting, ..saved_view(r, changed.as_ref()) });
    }
    Ok(render_status(
        StatusCode::OK,
        "reports.html",
        context! {
            reports,
            can_make => caller.can(Permission::EditProjects),
            can_brand => caller.can(Permission::ManageOrganisation),
            ..base
        },
    ))
}

// ---------------------------------------------------------------------------
// Making a report
// ---------------------------------------------------------------------------

async fn render_form(
    state: &AppState,
    session: &PageSession,
    values: &HashMap<String, String>,
    errors: Option<&ValidationErrors>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let base = layout(state, session, "reports").await?;
    let caller = session.caller();
    let (fe, errors) = match errors {
        Some(e) => errors_view(e, |f| match f {
            "kind" => ("kind".into(), "Kind of report".into()),
            "as_at" => ("as_at-day".into(), "The report's date".into()),
            "meeting_id" => ("meeting_id".into(), "Board meeting".into()),
            "title" => ("title".into(), "Title".into()),
            _ => ("as_at-day".into(), "The report".into()),
        }),
        None => (HashMap::new(), Vec::new()),
    };
    let get = |k: &str| values.get(k).cloned().unwrap_or_default();
    let chosen = get("kind");
    let kinds: Vec<Value> = ReportKind::ALL
        .iter()
        .map(|k| context! { value => k.as_str(), label => k.label(), checked => chosen == k.as_str() })
        .collect();
    let meeting = get("meeting_id");
    let meetings: Vec<Value> = state
        .app
        .meetings(caller)
        .await?
        .iter()
        .map(|m| {
            context! {
                value => m.meeting.id.to_string(),
                label => format!("{} ({})", m.meeting.title, m.meeting.body.label()),
                selected => meeting == m.meeting.id.to_string(),
            }
        })
        .collect();
    Ok(render_status(
        status,
        "report_form.html",
        context! {
            kinds, meetings,
            f => context! {
                title => get("title"),
                as_at => context! { day => get("as_at-day"), month => get("as_at-month"), year => get("as_at-year") },
            },
            fe, errors, ..base
        },
    ))
}

pub async fn new_page(
    State(state): State<AppState>,
    session: PageSession,
) -> Result<Response, PageError> {
    session.caller().require(Permission::EditProjects)?;
    let today = portfolio_app::history::today();
    let mut values = HashMap::new();
    values.insert("kind".to_string(), ReportKind::Board.as_str().to_string());
    values.insert("as_at-day".to_string(), today.day().to_string());
    values.insert("as_at-month".to_string(), today.month().to_string());
    values.insert("as_at-year".to_string(), today.year().to_string());
    render_form(&state, &session, &values, None, StatusCode::OK).await
}

/// Reads the form into a draft; boxes that make no date, and a meeting
/// that is not a number, are the form's own errors.
fn read_draft(fields: &Fields) -> (ReportDraft, ValidationErrors) {
    let mut local = ValidationErrors::default();
    let as_at = match fields.date("as_at") {
        Ok(d) => d.unwrap_or_default(),
        Err(e) => {
            local.push("as_at", e);
            String::new()
        }
    };
    let meeting = fields.get("meeting_id").trim();
    let meeting_id = if meeting.is_empty() {
        None
    } else {
        match meeting.parse::<i64>() {
            Ok(id) => Some(id),
            Err(_) => {
                local.push("meeting_id", format!("'{meeting}' is not a board meeting"));
                None
            }
        }
    };
    let draft = ReportDraft {
        kind: fields.get("kind").to_string(),
        title: fields.get("title").to_string(),
        as_at,
        meeting_id,
        narrative: Narrative::default(),
    };
    (draft, local)
}

pub async fn create(
    State(state): State<AppState>,
    session: PageSession,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let fields = Fields::new(pairs);
    session.check_csrf(fields.get("csrf_token"))?;
    session.caller().require(Permission::EditProjects)?;
    let (draft, local) = read_draft(&fields);
    let caller = session.caller();
    let errors = if local.is_empty() {
        match state.app.create_report(caller, &draft).await {
            Ok(r) => {
                return Ok(Redirect::to(&format!("/reports/{}?done=made", r.id)).into_response())
            }
            Err(AppError::Validation(e)) => e,
            Err(e) => return Err(e.into()),
        }
    } else {
        // The form's own errors stop it; the service only names the others.
        match state.app.validate_report(caller, &draft).await {
            Ok(_) => local,
            Err(AppError::Validation(mut e)) => {
                e.0.retain(|x| !local.0.iter().any(|l| l.field == x.field));
                let mut all = local;
                all.0.extend(e.0);
                all
            }
            Err(e) => return Err(e.into()),
        }
    };
    render_form(
        &state,
        &session,
        &fields.0,
        Some(&errors),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

// ---------------------------------------------------------------------------
// A report's web view
// ---------------------------------------------------------------------------

fn table_view(t: &Table) -> Value {
    let cells = |row: &[String]| -> Vec<Value> {
        row.iter()
            .enumerate()
            .map(|(i, text)| context! { text => text.clone(), numeric => t.numeric.contains(&i) })
            .collect()
    };
    context! {
        caption => t.caption.clone(),
        header => cells(&t.header),
        rows => t.rows.iter().map(|r| cells(r)).collect::<Vec<_>>(),
        footer => t.footer.as_ref().map(|f| cells(f)),
    }
}

/// The report's sections for the template. A chart's SVG comes from the
/// report writer, which escapes every piece of text it draws.
fn sections_view(report: &Report) -> Vec<Value> {
    let mut chart_no = 0;
    report
        .sections
        .iter()
        .map(|s| {
            let blocks: Vec<Value> = s
                .blocks
                .iter()
                .map(|b| match b {
                    Block::Subheading { text } => context! { kind => "subheading", text => text.clone() },
                    Block::Paragraph { text } => context! {
                        kind => "paragraph",
                        lines => text.lines().map(str::to_string).collect::<Vec<_>>(),
                    },
                    Block::Figures { figures } => context! {
                        kind => "figures",
                        figures => figures.iter().map(|f| context! { label => f.label.clone(), value => f.value.clone() }).collect::<Vec<_>>(),
                    },
                    Block::Table { table } => context! { kind => "table", table => table_view(table) },
                    Block::Chart { chart } => {
                        chart_no += 1;
                        let id = format!("chart-{chart_no}");
                        context! {
                            kind => "chart", id => id.clone(), title => chart.title.clone(),
                            description => chart.description.clone(),
                            svg => Value::from_safe_string(portfolio_report::svg::chart_svg(chart, &id)),
                            table => table_view(&chart.table),
                            narrow => chart.table.header.len() <= 3,
                        }
                    }
                })
                .collect();
            context! { id => s.id.clone(), heading => s.heading.clone(), blocks }
        })
        .collect()
}

#[derive(Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

pub async fn report_page(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, PageError> {
    let base = layout(&state, &session, "reports").await?;
    let caller = session.caller();
    let saved = state
        .app
        .saved_report(caller, id_of(&id, "report")?)
        .await?;
    let changed = state.app.report_last_changed(caller, saved.id).await?;
    let meeting = match saved.meeting_id {
        Some(m) => Some(state.app.meeting(caller, m).await?.meeting),
        None => None,
    };
    let (report, refused, status) = match state.app.build_report(caller, &saved).await {
        Ok(r) => (Some(r), None, StatusCode::OK),
        Err(AppError::Validation(e)) => {
            let why: Vec<String> =
                e.0.iter()
                    .map(|x| super::sentence("", &x.message))
                    .collect();
            (None, Some(why.join(" ")), StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(e) => return Err(e.into()),
    };
    let done = match q.done.as_deref() {
        Some("made") => Some("The report was made"),
        Some("saved") => Some("The narrative was saved"),
        _ => None,
    };
    Ok(render_status(
        status,
        "report.html",
        context! {
            r => saved_view(&saved, changed.as_ref()),
            organisation => report.as_ref().map(|r| r.organisation.clone()),
            sections => report.as_ref().map(sections_view),
            refused, done,
            meeting => meeting.map(|m| context! { id => m.id, title => m.title }),
            formats => format_links(saved.id),
            can_edit_report => caller.can(Permission::EditProjects),
            ..base
        },
    ))
}

#[derive(Deserialize)]
pub struct FormatQuery {
    format: Option<String>,
}

/// The report as a file to download, in the format asked for.
pub async fn document(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Query(q): Query<FormatQuery>,
) -> Result<Response, PageError> {
    let caller = session.caller();
    let saved = state
        .app
        .saved_report(caller, id_of(&id, "report")?)
        .await?;
    let format = ReportFormat::parse(q.format.as_deref().unwrap_or(""))
        .map_err(|e| AppError::Validation(ValidationErrors::single("format", e)))?;
    let doc = state.app.render_report(caller, &saved, format).await?;
    Ok(document_response(doc))
}

/// A written report as a download named after its kind and date.
pub(crate) fn document_response(doc: portfolio_app::reports::ReportDocument) -> Response {
    (
        [
            (header::CONTENT_TYPE, doc.format.mime().to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"", doc.file_name),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        doc.bytes,
    )
        .into_response()
}

// ---------------------------------------------------------------------------
// Editing the narrative
// ---------------------------------------------------------------------------

/// The narrative sections a kind of report prints: (field, label, hint).
fn narrative_fields(kind: ReportKind) -> &'static [(&'static str, &'static str, &'static str)] {
    match kind {
        ReportKind::Board => &[(
            "commentary",
            "Officer's commentary",
            "What the board should know beyond the figures. Leave a blank line between paragraphs.",
        )],
        ReportKind::Cabinet => &[
            ("purpose", "Purpose of the report", "Leave it empty for a sentence saying the report is on the programme's progress."),
            ("recommendations", "Recommendations", "What Cabinet is asked to agree or note. The decisions awaiting the board follow it."),
            ("background", "Background", "How the programme came about and what Cabinet agreed before."),
            ("commentary", "Officer's commentary", "Printed at the start of the programme summary."),
            ("financial", "Financial implications", "Printed after the programme's planned costs."),
            ("legal", "Legal implications", "Leave it empty to say none have been recorded."),
            ("equality", "Equality impact", "Leave it empty to say none has been recorded."),
        ],
    }
}

fn narrative_text<'a>(n: &'a Narrative, field: &str) -> &'a str {
    match field {
        "commentary" => &n.commentary,
        "purpose" => &n.purpose,
        "recommendations" => &n.recommendations,
        "background" => &n.background,
        "financial" => &n.financial,
        "legal" => &n.legal,
        "equality" => &n.equality,
        _ => "",
    }
}

fn narrative_slot<'a>(n: &'a mut Narrative, field: &str) -> Option<&'a mut String> {
    match field {
        "commentary" => Some(&mut n.commentary),
        "purpose" => Some(&mut n.purpose),
        "recommendations" => Some(&mut n.recommendations),
        "background" => Some(&mut n.background),
        "financial" => Some(&mut n.financial),
        "legal" => Some(&mut n.legal),
        "equality" => Some(&mut n.equality),
        _ => None,
    }
}

/// The edit form: `text` holds what the boxes show; `stored`, after a
/// refused stale save, what is stored now.
#[allow(clippy::too_many_arguments)]
async fn render_edit(
    state: &AppState,
    session: &PageSession,
    saved: &SavedReport,
    text: &Narrative,
    stored: Option<&Narrative>,
    errors: Option<&ValidationErrors>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let base = layout(state, session, "reports").await?;
    let (fe, errors): (HashMap<String, String>, Vec<ErrorLink>) = match errors {
        Some(e) => {
            let first = narrative_fields(saved.kind)[0].0;
            errors_view(e, |f| {
                match narrative_fields(saved.kind).iter().find(|x| x.0 == f) {
                    Some((field, label, _)) => (field.to_string(), label.to_string()),
                    None => (first.to_string(), "The report".to_string()),
                }
            })
        }
        None => (HashMap::new(), Vec::new()),
    };
    let sections: Vec<Value> = narrative_fields(saved.kind)
        .iter()
        .map(|(field, label, hint)| {
            let stored_text = stored
                .map(|n| narrative_text(n, field))
                .filter(|s| *s != narrative_text(text, field));
            context! {
                field => *field, label => *label, hint => *hint,
                text => narrative_text(text, field), error => fe.get(*field).cloned(),
                stored => stored_text.map(|s| if s.is_empty() { "(empty)".to_string() } else { s.to_string() }),
            }
        })
        .collect();
    Ok(render_status(
        status,
        "report_edit.html",
        context! { r => saved_view(saved, None), sections, errors, ..base },
    ))
}

pub async fn edit_page(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    session.caller().require(Permission::EditProjects)?;
    let saved = state
        .app
        .saved_report(session.caller(), id_of(&id, "report")?)
        .await?;
    render_edit(
        &state,
        &session,
        &saved,
        &saved.narrative,
        None,
        None,
        StatusCode::OK,
    )
    .await
}

pub async fn update(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let fields = Fields::new(pairs);
    session.check_csrf(fields.get("csrf_token"))?;
    let caller = session.caller();
    caller.require(Permission::EditProjects)?;
    let id = id_of(&id, "report")?;
    let read = state.app.saved_report(caller, id).await?;
    // The sections the form shows take the posted text; the others keep theirs.
    let mut narrative = read.narrative.clone();
    for (field, _, _) in narrative_fields(read.kind) {
        if let Some(slot) = narrative_slot(&mut narrative, field) {
            *slot = fields.get(field).to_string();
        }
    }
    let draft = ReportDraft {
        kind: read.kind.as_str().to_string(),
        title: read.title.clone(),
        as_at: read.as_at.to_string(),
        meeting_id: read.meeting_id,
        narrative: narrative.clone(),
    };
    let result = match fields.version() {
        Ok(version) => state.app.update_report(caller, id, version, &draft).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(r) => Ok(Redirect::to(&format!("/reports/{}?done=saved", r.id)).into_response()),
        Err(AppError::Validation(errors)) => {
            render_edit(
                &state,
                &session,
                &read,
                &narrative,
                None,
                Some(&errors),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(AppError::Conflict { .. }) => {
            // The text typed is kept in the boxes; the form now carries the
            // stored version, so saving again replaces the other change
            // knowingly, with what it was shown under each box.
            let errors = ValidationErrors::single(
                narrative_fields(read.kind)[0].0,
                "This report was changed by someone else while you were editing it. Your text is still in the boxes and what is stored now is shown under each one that differs; save again to replace it with yours.",
            );
            render_edit(
                &state,
                &session,
                &read,
                &narrative,
                Some(&read.narrative),
                Some(&errors),
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------
// A board meeting's pack
// ---------------------------------------------------------------------------

/// Opens the meeting's board pack, making it first when there is none.
pub async fn board_pack(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let fields = Fields::new(pairs);
    session.check_csrf(fields.get("csrf_token"))?;
    let id = id_of(&id, "board meeting")?;
    match state.app.open_board_pack(session.caller(), id).await {
        Ok(r) => Ok(Redirect::to(&format!("/reports/{}", r.id)).into_response()),
        Err(AppError::Validation(errors)) => {
            super::meetings::refused_board_pack(&state, &session, id, &errors).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------
// Branding
// ---------------------------------------------------------------------------

async fn render_branding(
    state: &AppState,
    session: &PageSession,
    display_name: Option<&str>,
    errors: Option<&ValidationErrors>,
    saved: bool,
    status: StatusCode,
) -> Result<Response, PageError> {
    let base = layout(state, session, "reports").await?;
    let caller = session.caller();
    let stored = state.app.branding(caller).await?;
    let org = state.app.organisation(caller).await?;
    let (fe, errors) = match errors {
        Some(e) => errors_view(e, |f| match f {
            "display_name" => ("display_name".into(), "Name on reports".into()),
            "version" => ("display_name".into(), "Branding".into()),
            _ => ("logo".into(), "Logo".into()),
        }),
        None => (HashMap::new(), Vec::new()),
    };
    let logo = stored.logo.as_ref().map(|l| {
        context! {
            kind => l.kind.mime(), width => l.width, height => l.height,
            kilobytes => l.bytes.len().div_ceil(1024),
        }
    });
    Ok(render_status(
        status,
        "branding.html",
        context! {
            display_name => display_name.map_or(stored.display_name.clone(), str::to_string),
            org_name => org.name, version => stored.version, logo, fe, errors, saved,
            max_logo_mb => portfolio_domain::branding::MAX_LOGO_BYTES / (1024 * 1024),
            ..base
        },
    ))
}

#[derive(Deserialize)]
pub struct SavedQuery {
    saved: Option<String>,
}

pub async fn branding_page(
    State(state): State<AppState>,
    session: PageSession,
    Query(q): Query<SavedQuery>,
) -> Result<Response, PageError> {
    session.caller().require(Permission::ManageOrganisation)?;
    let saved = q.saved.is_some();
    render_branding(&state, &session, None, None, saved, StatusCode::OK).await
}

/// The logo as stored, for the branding page to show.
pub async fn branding_logo(
    State(state): State<AppState>,
    session: PageSession,
) -> Result<Response, PageError> {
    let stored = state.app.branding(session.caller()).await?;
    let logo = stored.logo.ok_or(AppError::NotFound("logo"))?;
    Ok((
        [
            (header::CONTENT_TYPE, logo.kind.mime().to_string()),
            (header::CACHE_CONTROL, "private, no-cache".to_string()),
        ],
        logo.bytes,
    )
        .into_response())
}

pub async fn save_branding(
    State(state): State<AppState>,
    session: PageSession,
    mut multipart: Multipart,
) -> Result<Response, PageError> {
    let mut csrf = String::new();
    let mut version = String::new();
    let mut display_name = String::new();
    let mut remove_logo = false;
    let mut logo: Vec<u8> = Vec::new();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => {
                let errors = ValidationErrors::single(
                    "logo",
                    format!("The form could not be received: {}", e.body_text()),
                );
                return render_branding(&state, &session, None, Some(&errors), false, e.status())
                    .await;
            }
        };
        let name = field.name().unwrap_or("").to_string();
        let bytes = match field.bytes().await {
            Ok(b) => b,
            Err(e) => {
                let errors = ValidationErrors::single(
                    "logo",
                    format!("The logo could not be received: {}", e.body_text()),
                );
                return render_branding(&state, &session, None, Some(&errors), false, e.status())
                    .await;
            }
        };
        match name.as_str() {
            "csrf_token" => csrf = String::from_utf8_lossy(&bytes).into_owned(),
            "version" => version = String::from_utf8_lossy(&bytes).into_owned(),
            "display_name" => display_name = String::from_utf8_lossy(&bytes).into_owned(),
            "remove_logo" => remove_logo = &bytes[..] == b"yes",
            "logo" => logo = bytes.to_vec(),
            _ => {}
        }
    }
    session.check_csrf(&csrf)?;
    let caller = session.caller();
    caller.require(Permission::ManageOrganisation)?;
    let result = match Fields::parse_version(&version) {
        Ok(v) => {
            state
                .app
                .put_branding(caller, &display_name, Some(logo.as_slice()), remove_logo, v)
                .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(Redirect::to("/settings/branding?saved=yes").into_response()),
        Err(AppError::Validation(errors)) => {
            render_branding(
                &state,
                &session,
                Some(&display_name),
                Some(&errors),
                false,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(AppError::Conflict { .. }) => {
            let errors = ValidationErrors::single(
                "version",
                "The branding was changed by someone else while you were editing it. The form now shows what is stored; make your change again.",
            );
            render_branding(
                &state,
                &session,
                None,
                Some(&errors),
                false,
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_that_does_not_add_up_shows_why_and_no_figures() {
        let html = crate::templates::render_to_string(
            "report.html",
            context! {
                signed_in => true, organisation_name => "Northmere", csrf_token => "t",
                user_email => "a@b", user_role => "Editor", nav => "reports", errors => Vec::<ErrorLink>::new(),
                r => context! { id => 3, kind => "Board pack", title => "Board pack 1 December 2026", as_at => "1 December 2026", version => 1 },
                sections => None::<Vec<Value>>,
                refused => Some("The report was not produced: the stage counts add up to 75, not 76"),
                formats => format_links(3), can_edit_report => true,
            },
        )
        .expect("the report page renders");
        assert!(html.contains("This report cannot be produced"), "{html}");
        assert!(
            html.contains("the stage counts add up to 75, not 76"),
            "{html}"
        );
        assert!(
            !html.contains("document?format="),
            "no downloads of a refused report: {html}"
        );
        assert!(!html.contains("app-report-figures"), "{html}");
    }
}
