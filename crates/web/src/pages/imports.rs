//! Importing a department's spreadsheet, one step a page:
//! upload → choose what each column holds → check every row → import.
//!
//! Each step posts a form and redirects to the next page, so the browser's
//! back button and a reload are safe. The check page is a dry run of the
//! import itself; the import is all or nothing unless the person chooses to
//! import the valid rows and download the rejected ones.

use axum::extract::{Multipart, Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use minijinja::{context, Value};
use portfolio_app::import::uploads::{UploadPreview, ValueConfirmation};
use portfolio_app::import::{ImportProblem, ImportReport};
use portfolio_app::AppError;
use portfolio_domain::consolidate::columns::Field;
use portfolio_domain::ValidationErrors;

use super::{layout, long_date, ErrorLink};
use crate::error::PageError;
use crate::session::PageSession;
use crate::templates::{render, render_status};
use crate::AppState;

/// Problems listed on the check page; the rest are counted.
const PROBLEMS_SHOWN: usize = 200;

fn field_options() -> Vec<Value> {
    Field::ALL
        .iter()
        .map(|f| context! { value => f.as_str(), label => f.label() })
        .collect()
}

fn parse_field(value: &str) -> Result<Option<Field>, AppError> {
    if value.is_empty() || value == "ignore" {
        return Ok(None);
    }
    Field::ALL
        .into_iter()
        .find(|f| f.as_str() == value)
        .map(Some)
        .ok_or_else(|| {
            AppError::Validation(ValidationErrors::single(
                "columns",
                format!("'{value}' is not a field of the register"),
            ))
        })
}

fn form_value<'a>(pairs: &'a [(String, String)], key: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

fn form_version(pairs: &[(String, String)]) -> Result<i64, AppError> {
    form_value(pairs, "version").parse().map_err(|_| {
        AppError::Validation(ValidationErrors::single(
            "version",
            "is missing from the form; open the page again",
        ))
    })
}

/// Step 1: the upload form.
pub async fn new_form(
    State(state): State<AppState>,
    session: PageSession,
) -> Result<Response, PageError> {
    upload_page(&state, &session, None, StatusCode::OK).await
}

async fn upload_page(
    state: &AppState,
    session: &PageSession,
    error: Option<(String, String)>,
    status: StatusCode,
) -> Result<Response, PageError> {
    session
        .caller()
        .require(portfolio_domain::Permission::EditProjects)?;
    let base = layout(state, session, "import").await?;
    let errors: Vec<ErrorLink> = error
        .iter()
        .map(|(field, message)| ErrorLink {
            target: field.clone(),
            message: message.clone(),
        })
        .collect();
    let file_error = error
        .as_ref()
        .filter(|(f, _)| f == "file")
        .map(|(_, m)| m.clone());
    let source_error = error
        .as_ref()
        .filter(|(f, _)| f == "source")
        .map(|(_, m)| m.clone());
    Ok(render_status(
        status,
        "import_new.html",
        context! { file_error, source_error, errors, ..base },
    ))
}

/// Step 1, posted: keeps the file and goes on to its columns.
pub async fn upload(
    State(state): State<AppState>,
    session: PageSession,
    mut multipart: Multipart,
) -> Result<Response, PageError> {
    let mut csrf = String::new();
    let mut source = String::new();
    let mut sheet = String::new();
    let mut file: Option<(String, Vec<u8>)> = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => {
                let message = format!("The file could not be received: {}", e.body_text());
                return upload_page(&state, &session, Some(("file".into(), message)), e.status())
                    .await;
            }
        };
        let name = field.name().unwrap_or("").to_string();
        let file_name = field.file_name().map(str::to_string);
        let bytes = match field.bytes().await {
            Ok(b) => b,
            Err(e) => {
                let message = format!("The file could not be received: {}", e.body_text());
                return upload_page(&state, &session, Some(("file".into(), message)), e.status())
                    .await;
            }
        };
        match name.as_str() {
            "csrf_token" => csrf = String::from_utf8_lossy(&bytes).into_owned(),
            "source" => source = String::from_utf8_lossy(&bytes).into_owned(),
            "sheet" => sheet = String::from_utf8_lossy(&bytes).into_owned(),
            "file" => file = Some((file_name.unwrap_or_default(), bytes.to_vec())),
            _ => {}
        }
    }
    session.check_csrf(&csrf)?;
    let (file_name, bytes) = file.unwrap_or_default();
    match state
        .app
        .upload_spreadsheet(
            session.caller(),
            &file_name,
            &bytes,
            Some(&source),
            Some(&sheet),
        )
        .await
    {
        Ok(id) => Ok(Redirect::to(&format!("/imports/{id}")).into_response()),
        Err(AppError::Validation(errors)) => {
            let first = errors.0.first();
            let error = first.map(|e| (e.field.clone(), e.message.clone()));
            upload_page(&state, &session, error, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e.into()),
    }
}

fn preview_view(preview: &UploadPreview) -> Value {
    let mut index = 0usize;
    let sheets: Vec<Value> = preview
        .sheets
        .iter()
        .map(|s| {
            let columns: Vec<Value> = s
                .columns
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    index += 1;
                    context! {
                        n => index, i, letter => c.letter.clone(), header => c.header.clone(),
                        field => c.field.map(|f| f.as_str()).unwrap_or("ignore"),
                        reason => c.reason.clone(), needs_confirming => c.needs_confirming,
                    }
                })
                .collect();
            context! { name => s.name.clone(), columns, rows => s.rows.clone(), row_count => s.row_count }
        })
        .collect();
    let u = &preview.upload;
    context! {
        id => u.id, file_name => u.file_name.clone(), source => u.source.clone(), version => u.version,
        mapping_is_saved => u.mapping_is_saved, uploaded => long_date(u.created_at.date_naive()),
        sheets,
    }
}

/// Step 2: what each column holds (or, once imported, what the import did).
pub async fn show(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let upload = state.app.upload(session.caller(), id).await?;
    if upload.committed_at.is_some() {
        let base = layout(&state, &session, "import").await?;
        let report = upload.outcome.clone().unwrap_or_default();
        return Ok(render(
            "import_done.html",
            context! { upload => context! { id => upload.id, file_name => upload.file_name.clone(), source => upload.source.clone() },
            report => report_view(&report), ..base },
        ));
    }
    columns_page(&state, &session, id, None, StatusCode::OK).await
}

async fn columns_page(
    state: &AppState,
    session: &PageSession,
    id: i64,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let base = layout(state, session, "import").await?;
    let preview = state.app.upload_preview(session.caller(), id).await?;
    let errors: Vec<ErrorLink> = error
        .iter()
        .map(|m| ErrorLink {
            target: "columns".into(),
            message: m.clone(),
        })
        .collect();
    Ok(render_status(
        status,
        "import_columns.html",
        context! { u => preview_view(&preview), field_options => field_options(), column_error => error, errors, ..base },
    ))
}

/// Step 2, posted: records the columns' fields and goes on to the check.
pub async fn choose_columns(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    session.check_csrf(form_value(&pairs, "csrf_token"))?;
    let version = form_version(&pairs)?;
    let mut columns = Vec::new();
    for (key, header) in &pairs {
        if let Some(n) = key.strip_prefix("header_") {
            let field = parse_field(form_value(&pairs, &format!("field_{n}")))?;
            columns.push((header.clone(), field));
        }
    }
    let save = form_value(&pairs, "save_mapping") == "yes";
    let written = state
        .app
        .choose_upload_columns(session.caller(), id, version, &columns, save)
        .await;
    after_mapping_write(
        &state,
        &session,
        id,
        written,
        Step::Columns,
        "These columns were changed in another window while you were choosing. Check the choices below and continue again.",
    )
    .await
}

/// The page a mapping write shows again when it is refused.
enum Step {
    Columns,
    Check,
}

/// After the person's mapping was written: on to the check, or the same
/// step again with why it was refused (a field's reason, or another window's change).
async fn after_mapping_write(
    state: &AppState,
    session: &PageSession,
    id: i64,
    written: Result<i64, AppError>,
    step: Step,
    conflict: &str,
) -> Result<Response, PageError> {
    let (message, status) = match written {
        Ok(_) => return Ok(Redirect::to(&format!("/imports/{id}/check")).into_response()),
        Err(AppError::Validation(errors)) => (
            errors.0.first().map(|e| e.message.clone()),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(AppError::Conflict { .. }) => (Some(conflict.to_string()), StatusCode::CONFLICT),
        Err(e) => return Err(e.into()),
    };
    match step {
        Step::Columns => columns_page(state, session, id, message, status).await,
        Step::Check => check_page(state, session, id, message, status).await,
    }
}

fn problem_view(p: &ImportProblem) -> Value {
    context! {
        sheet => p.sheet.clone(), row => p.row, column => p.column.clone(), header => p.header.clone(),
        value => p.value.clone(), reason => p.reason.clone(),
    }
}

fn report_view(report: &ImportReport) -> Value {
    let problems: Vec<Value> = report
        .problems
        .iter()
        .take(PROBLEMS_SHOWN)
        .map(problem_view)
        .collect();
    // One confirmation per distinct near miss, not per row.
    let mut suggestions: Vec<Value> = Vec::new();
    let mut seen: Vec<(String, String)> = Vec::new();
    for s in report.problems.iter().filter_map(|p| p.suggestion.as_ref()) {
        let key = (s.field.clone(), s.value.to_lowercase());
        if seen.contains(&key) {
            continue;
        }
        let rows = report
            .problems
            .iter()
            .filter(|p| {
                p.suggestion
                    .as_ref()
                    .is_some_and(|o| o.field == s.field && o.value.to_lowercase() == key.1)
            })
            .count();
        seen.push(key);
        let n = suggestions.len();
        suggestions.push(context! {
            n, field => s.field.clone(), field_label => field_label(&s.field), value => s.value.clone(),
            key => s.key.clone(), label => s.label.clone(), rows,
        });
    }
    context! {
        rows_read => report.rows_read, created => report.created, updated => report.updated,
        unchanged => report.unchanged, written => report.written, valid_only => report.valid_only,
        problem_count => report.problems.len(), problems, more_problems => report.problems.len() > PROBLEMS_SHOWN,
        rejected => report.rejected_rows(), suggestions,
        valid_rows => report.rows_read.saturating_sub(report.rejected_rows()),
    }
}

fn field_label(field: &str) -> &'static str {
    Field::ALL
        .into_iter()
        .find(|f| f.as_str() == field)
        .map_or("Value", Field::label)
}

/// Step 3: every row checked, as the import would do it.
pub async fn check(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    check_page(&state, &session, id, None, StatusCode::OK).await
}

async fn check_page(
    state: &AppState,
    session: &PageSession,
    id: i64,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let upload = state.app.upload(session.caller(), id).await?;
    if upload.committed_at.is_some() {
        return Ok(Redirect::to(&format!("/imports/{id}")).into_response());
    }
    let base = layout(state, session, "import").await?;
    let report = state.app.check_upload(session.caller(), id).await?;
    let errors: Vec<ErrorLink> = error
        .iter()
        .map(|m| ErrorLink {
            target: "import".into(),
            message: m.clone(),
        })
        .collect();
    Ok(render_status(
        status,
        "import_check.html",
        context! {
            upload => context! { id => upload.id, file_name => upload.file_name.clone(), source => upload.source.clone(), version => upload.version },
            report => report_view(&report), errors, ..base,
        },
    ))
}

/// Step 3, posted: confirms near misses ("Health & Care" is Health and Social Care).
pub async fn confirm_values(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    session.check_csrf(form_value(&pairs, "csrf_token"))?;
    let version = form_version(&pairs)?;
    let mut confirmations = Vec::new();
    for (key, n) in &pairs {
        if key == "confirm" {
            confirmations.push(ValueConfirmation {
                field: form_value(&pairs, &format!("field_{n}")).to_string(),
                value: form_value(&pairs, &format!("value_{n}")).to_string(),
                key: form_value(&pairs, &format!("key_{n}")).to_string(),
            });
        }
    }
    if confirmations.is_empty() {
        return check_page(
            &state,
            &session,
            id,
            Some(
                "Select the suggestions to use, or correct the cells and upload the file again"
                    .into(),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let save = form_value(&pairs, "save_mapping") == "yes";
    let written = state
        .app
        .confirm_upload_values(session.caller(), id, version, &confirmations, save)
        .await;
    after_mapping_write(
        &state,
        &session,
        id,
        written,
        Step::Check,
        "This import was changed in another window. Check the rows again, then confirm.",
    )
    .await
}

/// Step 4, posted: imports, then shows what was done.
pub async fn commit(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    session.check_csrf(form_value(&pairs, "csrf_token"))?;
    let valid_only = form_value(&pairs, "valid_only") == "yes";
    match state.app.commit_upload(session.caller(), id, valid_only).await {
        Ok(report) if report.written => {
            Ok(Redirect::to(&format!("/imports/{id}")).into_response())
        }
        Ok(_) => {
            check_page(
                &state,
                &session,
                id,
                Some("Nothing was imported: some rows have problems. Correct them, or import only the valid rows.".into()),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(AppError::Validation(errors)) => {
            let message = errors.0.first().map(|e| e.message.clone());
            check_page(&state, &session, id, message, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e.into()),
    }
}

/// The rows an import left out, with a reason column, to correct and import again.
pub async fn rejected_csv(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let upload = state.app.upload(session.caller(), id).await?;
    let csv = state.app.upload_rejected_csv(session.caller(), id).await?;
    let stem = std::path::Path::new(&upload.file_name)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "import".into());
    let safe: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{safe}-rejected-rows.csv\""),
            ),
        ],
        csv,
    )
        .into_response())
}
