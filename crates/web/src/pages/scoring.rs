//! Pages for the scoring model, pairwise comparisons, project assessments and
//! the ranked list. Everyone reads them; the programme office
//! ([`Permission::ManagePrioritisation`]) edits. Forms post plain fields and
//! carry the version they were read at, so a stale save is refused and shown
//! as an error on the form, never merged.

use std::collections::{BTreeMap, HashMap};

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use minijinja::{context, Value};
use portfolio_app::AppError;
use portfolio_domain::scoring::{
    matrix_from_comparisons, AssessmentDraft, CriterionDraft, ScoreDraft, ScoringModel,
    ScoringModelDraft, Weighting, MAX_CRITERIA,
};
use portfolio_domain::{Permission, ValidationErrors};
use serde::Deserialize;

use super::{layout, long_date, ErrorLink};
use crate::error::PageError;
use crate::session::PageSession;
use crate::templates::render_status;
use crate::AppState;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/scoring", get(show))
        .route("/scoring/edit", get(edit_form).post(edit_submit))
        .route(
            "/scoring/pairwise",
            get(pairwise_form).post(pairwise_submit),
        )
        .route("/ranking", get(ranking))
        .route(
            "/projects/{code}/assessment",
            get(assessment_form).post(assessment_submit),
        )
}

use super::PostedFields as Fields;

/// The form field a domain error belongs to: `criteria[2].descriptors[4]` is `c2_d4`.
fn form_id(field: &str) -> String {
    let digits = |s: &str| {
        s.chars()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
    };
    if let Some(rest) = field.strip_prefix("criteria[") {
        let i = digits(rest);
        let tail = rest[i.len()..].trim_start_matches("].");
        let part = if let Some(d) = tail.strip_prefix("descriptors[") {
            format!("d{}", digits(d))
        } else if tail == "descriptors" {
            "d0".to_string()
        } else {
            tail.to_string()
        };
        return format!("c{i}_{part}");
    }
    if let Some(rest) = field.strip_prefix("scores.") {
        return match rest.rsplit_once('.') {
            Some((key, "rationale")) => format!("r_{key}"),
            Some((key, _)) => format!("s_{key}"),
            None => format!("s_{rest}"),
        };
    }
    match field {
        "criteria" => "c0_key".into(),
        "weights" => "c0_weight".into(),
        "pairwise" => "save_anyway".into(),
        "version" | "scoring_model" => "main-content".into(),
        other => other.replace(['[', ']', '.'], "_"),
    }
}

/// "Name must not be empty": the field's label, then the reason.
fn sentence(label: &str, message: &str) -> String {
    if message.starts_with(char::is_uppercase) || message.starts_with('\'') {
        message.to_string()
    } else {
        format!("{label} {message}")
    }
}

fn errors_view(
    errors: Option<&ValidationErrors>,
    label: impl Fn(&str) -> String,
) -> (HashMap<String, String>, Vec<ErrorLink>) {
    let mut fields = HashMap::new();
    let mut links = Vec::new();
    for e in errors.map(|e| e.0.as_slice()).unwrap_or_default() {
        let id = form_id(&e.field);
        let message = sentence(&label(&e.field), &e.message);
        fields.entry(id.clone()).or_insert(message.clone());
        links.push(ErrorLink {
            target: id,
            message,
        });
    }
    (fields, links)
}

fn model_label(field: &str) -> String {
    if let Some(rest) = field.strip_prefix("criteria[") {
        let i: usize = rest
            .chars()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
            .parse()
            .unwrap_or(0);
        let what = if field.contains("descriptors[") {
            let s = field
                .rsplit('[')
                .next()
                .unwrap_or("")
                .trim_end_matches(']')
                .to_string();
            format!("descriptor for score {s}")
        } else if field.ends_with("descriptors") {
            "descriptors".to_string()
        } else if field.ends_with("key") {
            "key".to_string()
        } else if field.ends_with("name") {
            "name".to_string()
        } else if field.ends_with("weight") {
            "weight".to_string()
        } else {
            "description".to_string()
        };
        return format!("Criterion {} {what}", i + 1);
    }
    match field {
        "name" => "Model name".into(),
        "criteria" => "The model".into(),
        "weights" => "The weights".into(),
        "pairwise" => "The comparisons".into(),
        "version" => "This form".into(),
        _ => "This value".into(),
    }
}

/// A stale save, shown on the form as an error.
fn conflict_errors(what: &str) -> ValidationErrors {
    ValidationErrors::single(
        "version",
        format!(
            "The {what} was changed by someone else while you were editing it. Open the page again to see their change, then make yours."
        ),
    )
}

fn when(t: chrono::DateTime<chrono::Utc>) -> String {
    format!("{} at {}", long_date(t.date_naive()), t.format("%H:%M UTC"))
}

fn percent(w: f64) -> String {
    format!("{:.1}%", w * 100.0)
}

fn model_view(m: &ScoringModel) -> Value {
    let criteria: Vec<Value> = m
        .criteria
        .iter()
        .map(|c| {
            context! {
                key => c.key.clone(), name => c.name.clone(), description => c.description.clone(),
                descriptors => c.descriptors.iter().enumerate().map(|(s, d)| context! { score => s, text => d.clone() }).collect::<Vec<_>>(),
                weight => percent(c.weight),
                bar => format!("{:.0}", (c.weight * 100.0).round()),
            }
        })
        .collect();
    let consistency = m.consistency().map(|c| {
        context! {
            ratio => format!("{:.3}", c.ratio),
            lambda_max => format!("{:.3}", c.lambda_max),
            index => format!("{:.3}", c.index),
            acceptable => c.is_acceptable(),
            warning => c.warning(),
        }
    });
    context! {
        version => m.version, name => m.name.clone(), criteria,
        method => if consistency.is_some() { "pairwise comparisons" } else { "weights set directly" },
        consistency, created_by => m.created_by.clone(), created_at => when(m.created_at),
    }
}

async fn show(
    State(state): State<AppState>,
    session: PageSession,
    Query(q): Query<SavedQuery>,
) -> Result<Response, PageError> {
    let base = layout(&state, &session, "scoring").await?;
    let model = state.app.scoring_model(session.caller()).await?;
    let versions: Vec<Value> = state
        .app
        .scoring_model_versions(session.caller())
        .await?
        .iter()
        .map(|v| {
            context! {
                version => v.version, name => v.name.clone(), criteria => v.criteria,
                method => if v.method == "pairwise" { "Pairwise comparisons" } else { "Set directly" },
                ratio => v.consistency_ratio.map(|r| format!("{r:.3}")),
                created_by => v.created_by.clone(), created_at => when(v.created_at),
            }
        })
        .collect();
    Ok(render_status(
        StatusCode::OK,
        "scoring.html",
        context! {
            model => model.as_ref().map(model_view), versions, saved => q.saved,
            can_manage => session.caller().can(Permission::ManagePrioritisation),
            ..base
        },
    ))
}

// ----------------------------------------------------------------- criteria and direct weights

/// Rows the edit form shows: the model's criteria and two blank ones.
fn edit_rows(fields: &Fields) -> usize {
    (0..MAX_CRITERIA)
        .rev()
        .find(|i| {
            ["key", "name", "weight"]
                .iter()
                .any(|p| !fields.get(&format!("c{i}_{p}")).trim().is_empty())
        })
        .map(|i| (i + 3).min(MAX_CRITERIA))
        .unwrap_or(4)
}

fn fields_from_model(m: Option<&ScoringModel>) -> Fields {
    let mut f = HashMap::new();
    if let Some(m) = m {
        f.insert("name".to_string(), m.name.clone());
        f.insert("version".to_string(), m.version.to_string());
        for (i, c) in m.criteria.iter().enumerate() {
            f.insert(format!("c{i}_key"), c.key.clone());
            f.insert(format!("c{i}_name"), c.name.clone());
            f.insert(format!("c{i}_description"), c.description.clone());
            f.insert(
                format!("c{i}_weight"),
                format!("{}", (c.weight * 1000.0).round() / 10.0),
            );
            for (s, d) in c.descriptors.iter().enumerate() {
                f.insert(format!("c{i}_d{s}"), d.clone());
            }
        }
    } else {
        f.insert("version".to_string(), "0".to_string());
    }
    Fields(f)
}

/// The draft the edit form describes, and the weights that are not numbers.
fn edit_draft(fields: &Fields) -> (ScoringModelDraft, ValidationErrors) {
    let mut errors = ValidationErrors::default();
    let mut criteria = Vec::new();
    for i in 0..edit_rows(fields) {
        let get = |p: &str| fields.get(&format!("c{i}_{p}")).to_string();
        let descriptors: Vec<String> = (0..6).map(|s| get(&format!("d{s}"))).collect();
        let blank = ["key", "name", "description", "weight"]
            .iter()
            .all(|p| get(p).trim().is_empty())
            && descriptors.iter().all(|d| d.trim().is_empty());
        if blank {
            continue;
        }
        let n = criteria.len();
        let weight_text = get("weight");
        let weight = match weight_text.trim().trim_end_matches('%').trim() {
            "" => None,
            w => match w.parse::<f64>() {
                Ok(w) => Some(w),
                Err(_) => {
                    errors.push(
                        format!("criteria[{n}].weight"),
                        format!("must be a number, like 25 (not '{}')", weight_text.trim()),
                    );
                    Some(0.0)
                }
            },
        };
        criteria.push(CriterionDraft {
            key: get("key"),
            name: get("name"),
            description: get("description"),
            descriptors,
            weight,
        });
    }
    (
        ScoringModelDraft {
            name: fields.get("name").to_string(),
            criteria,
            pairwise: None,
            save_anyway: false,
        },
        errors,
    )
}

async fn render_edit(
    state: &AppState,
    session: &PageSession,
    fields: &Fields,
    errors: Option<&ValidationErrors>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let base = layout(state, session, "scoring").await?;
    let (fe, errors) = errors_view(errors, model_label);
    let rows: Vec<Value> = (0..edit_rows(fields))
        .map(|i| {
            let get = |p: &str| fields.get(&format!("c{i}_{p}")).to_string();
            context! {
                i, number => i + 1, key => get("key"), name => get("name"),
                description => get("description"), weight => get("weight"),
                descriptors => (0..6).map(|s| context! { s, value => get(&format!("d{s}")) }).collect::<Vec<_>>(),
            }
        })
        .collect();
    Ok(render_status(
        status,
        "scoring_edit.html",
        context! {
            rows, fe, errors, name => fields.get("name"), version => fields.get("version"), ..base
        },
    ))
}

async fn edit_form(
    State(state): State<AppState>,
    session: PageSession,
) -> Result<Response, PageError> {
    session.caller().require(Permission::ManagePrioritisation)?;
    let model = state.app.scoring_model(session.caller()).await?;
    let fields = fields_from_model(model.as_ref());
    render_edit(&state, &session, &fields, None, StatusCode::OK).await
}

async fn edit_submit(
    State(state): State<AppState>,
    session: PageSession,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let fields = Fields::new(pairs);
    session.check_csrf(fields.get("csrf_token"))?;
    session.caller().require(Permission::ManagePrioritisation)?;
    let version = fields.version()?;
    let (draft, mut form_errors) = edit_draft(&fields);
    let result = if form_errors.is_empty() {
        state
            .app
            .save_scoring_model(session.caller(), version, &draft)
            .await
    } else {
        if let Err(e) = draft.validate() {
            form_errors
                .0
                .extend(e.0.into_iter().filter(|e| !e.field.ends_with("weight")));
        }
        Err(AppError::Validation(form_errors))
    };
    match result {
        Ok(m) => Ok(Redirect::to(&format!("/scoring?saved={}", m.version)).into_response()),
        Err(AppError::Validation(errors)) => {
            render_edit(
                &state,
                &session,
                &fields,
                Some(&errors),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(AppError::Conflict { .. }) => {
            let errors = conflict_errors("scoring model");
            render_edit(
                &state,
                &session,
                &fields,
                Some(&errors),
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

// ----------------------------------------------------------------- pairwise comparisons

const SCALE: [(u8, &str); 8] = [
    (2, "2 – between equal and moderately"),
    (3, "3 – moderately more"),
    (4, "4 – between moderately and strongly"),
    (5, "5 – strongly more"),
    (6, "6 – between strongly and very strongly"),
    (7, "7 – very strongly more"),
    (8, "8 – between very strongly and extremely"),
    (9, "9 – extremely more"),
];

fn pairwise_fields(m: &ScoringModel) -> Fields {
    let mut f = HashMap::new();
    f.insert("version".to_string(), m.version.to_string());
    let n = m.criteria.len();
    let matrix = match &m.weighting {
        Weighting::Pairwise { matrix, .. } if matrix.len() == n => matrix.clone(),
        // From direct weights: the nearest comparisons on the scale.
        _ => (0..n)
            .map(|i| {
                (0..n)
                    .map(|j| m.criteria[i].weight / m.criteria[j].weight.max(1e-9))
                    .collect()
            })
            .collect(),
    };
    for (i, row) in matrix.iter().enumerate() {
        for (j, &v) in row.iter().enumerate().skip(i + 1) {
            let (more, by) = if v >= 1.0 {
                ("first", v.round().clamp(1.0, 9.0))
            } else {
                ("second", (1.0 / v).round().clamp(1.0, 9.0))
            };
            let more = if by <= 1.0 { "equal" } else { more };
            f.insert(format!("p{i}_{j}_more"), more.to_string());
            f.insert(format!("p{i}_{j}_by"), format!("{by}"));
        }
    }
    Fields(f)
}

/// The matrix the form describes, or the pairs left unanswered.
fn pairwise_draft(
    m: &ScoringModel,
    fields: &Fields,
) -> Result<ScoringModelDraft, ValidationErrors> {
    let n = m.criteria.len();
    let mut errors = ValidationErrors::default();
    let mut upper = BTreeMap::new();
    for i in 0..n {
        for j in (i + 1)..n {
            let (a, b) = (&m.criteria[i].name, &m.criteria[j].name);
            let by = fields
                .get(&format!("p{i}_{j}_by"))
                .trim()
                .parse::<u8>()
                .ok();
            match (fields.get(&format!("p{i}_{j}_more")), by) {
                ("equal", _) => {
                    upper.insert((i, j), 1.0);
                }
                ("first", Some(v @ 2..=9)) => {
                    upper.insert((i, j), f64::from(v));
                }
                ("second", Some(v @ 2..=9)) => {
                    upper.insert((i, j), 1.0 / f64::from(v));
                }
                ("first" | "second", _) => errors.push(
                    format!("p{i}_{j}_by"),
                    format!("Choose by how much, from 2 to 9, for {a} against {b}"),
                ),
                _ => errors.push(
                    format!("p{i}_{j}_more"),
                    format!("Choose which matters more, {a} or {b}, or that they matter equally"),
                ),
            }
        }
    }
    let mut draft = m.to_draft();
    draft.pairwise = Some(matrix_from_comparisons(n, &upper));
    draft.save_anyway = fields.get("save_anyway") == "yes";
    errors.into_result(|| draft)
}

async fn render_pairwise(
    state: &AppState,
    session: &PageSession,
    model: &ScoringModel,
    fields: &Fields,
    errors: Option<&ValidationErrors>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let base = layout(state, session, "scoring").await?;
    let (fe, errors) = errors_view(errors, |f| match f {
        "pairwise" => "The comparisons".to_string(),
        _ => "This comparison".to_string(),
    });
    let n = model.criteria.len();
    let mut pairs = Vec::new();
    for i in 0..n {
        for j in (i + 1)..n {
            let id = format!("p{i}_{j}");
            pairs.push(context! {
                id => id.clone(),
                first => model.criteria[i].name.clone(),
                second => model.criteria[j].name.clone(),
                more => fields.get(&format!("{id}_more")),
                by => fields.get(&format!("{id}_by")),
            });
        }
    }
    let scale: Vec<Value> = SCALE
        .iter()
        .map(|(v, label)| context! { value => v.to_string(), label => *label })
        .collect();
    Ok(render_status(
        status,
        "scoring_pairwise.html",
        context! {
            pairs, scale, fe, errors, version => fields.get("version"),
            save_anyway => fields.get("save_anyway") == "yes",
            current => model_view(model), ..base
        },
    ))
}

async fn current_model(state: &AppState, session: &PageSession) -> Result<ScoringModel, PageError> {
    Ok(state
        .app
        .scoring_model(session.caller())
        .await?
        .ok_or(AppError::NotFound("scoring model"))?)
}

async fn pairwise_form(
    State(state): State<AppState>,
    session: PageSession,
) -> Result<Response, PageError> {
    session.caller().require(Permission::ManagePrioritisation)?;
    let model = current_model(&state, &session).await?;
    let fields = pairwise_fields(&model);
    render_pairwise(&state, &session, &model, &fields, None, StatusCode::OK).await
}

async fn pairwise_submit(
    State(state): State<AppState>,
    session: PageSession,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let fields = Fields::new(pairs);
    session.check_csrf(fields.get("csrf_token"))?;
    session.caller().require(Permission::ManagePrioritisation)?;
    let version = fields.version()?;
    let model = current_model(&state, &session).await?;
    let result = match pairwise_draft(&model, &fields) {
        Ok(draft) => {
            state
                .app
                .save_scoring_model(session.caller(), version, &draft)
                .await
        }
        Err(e) => Err(AppError::Validation(e)),
    };
    match result {
        Ok(m) => Ok(Redirect::to(&format!("/scoring?saved={}", m.version)).into_response()),
        Err(AppError::Validation(errors)) => {
            render_pairwise(
                &state,
                &session,
                &model,
                &fields,
                Some(&errors),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(AppError::Conflict { .. }) => {
            let errors = conflict_errors("scoring model");
            render_pairwise(
                &state,
                &session,
                &model,
                &fields,
                Some(&errors),
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

// ----------------------------------------------------------------- ranking

async fn ranking(
    State(state): State<AppState>,
    session: PageSession,
) -> Result<Response, PageError> {
    let base = layout(&state, &session, "ranking").await?;
    let ranking = match state.app.ranking(session.caller()).await {
        Ok(r) => Some(r),
        Err(AppError::NotFound("scoring model")) => None,
        Err(e) => return Err(e.into()),
    };
    let criteria: Vec<String> = ranking
        .as_ref()
        .and_then(|r| r.entries.first())
        .map(|e| e.contributions.iter().map(|c| c.name.clone()).collect())
        .unwrap_or_default();
    let view = ranking.as_ref().map(|r| {
        context! {
            model_version => r.model_version, model_name => r.model_name.clone(),
            entries => r.entries.iter().map(|e| context! {
                rank => e.rank, code => e.code.to_string(), title => e.title.clone(),
                score => format!("{:.1}", e.score),
                contributions => e.contributions.iter().map(|c| context! {
                    name => c.name.clone(), score => c.score, points => format!("{:.1}", c.points),
                }).collect::<Vec<_>>(),
            }).collect::<Vec<_>>(),
            unassessed => r.unassessed.iter().map(|u| context! {
                code => u.code.to_string(), title => u.title.clone(), missing => u.missing.join(", "),
            }).collect::<Vec<_>>(),
        }
    });
    Ok(render_status(
        StatusCode::OK,
        "ranking.html",
        context! { ranking => view, criteria, ..base },
    ))
}

// ----------------------------------------------------------------- assessments

async fn render_assessment(
    state: &AppState,
    session: &PageSession,
    code: &str,
    fields: Option<&Fields>,
    errors: Option<&ValidationErrors>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let base = layout(state, session, "register").await?;
    let found = state.app.assessment(session.caller(), code).await?;
    let model = state.app.scoring_model(session.caller()).await?;
    let (fe, errors) = errors_view(errors, |f| {
        let key = f.trim_start_matches("scores.");
        let key = key.split('.').next().unwrap_or(key);
        let name = model
            .as_ref()
            .and_then(|m| m.criterion(key))
            .map(|c| c.name.clone())
            .unwrap_or_else(|| "The assessment".to_string());
        if f.ends_with(".rationale") {
            format!("{name} rationale")
        } else if f == "version" {
            "This form".to_string()
        } else {
            name
        }
    });
    let stored = found.assessment.as_ref();
    let criteria: Vec<Value> = model
        .as_ref()
        .map(|m| {
            m.criteria
                .iter()
                .map(|c| {
                    let saved = stored.and_then(|a| a.scores.get(&c.key));
                    let chosen = match fields {
                        Some(f) => f.get(&format!("s_{}", c.key)).to_string(),
                        None => saved.map(|s| s.score.to_string()).unwrap_or_default(),
                    };
                    let rationale = match fields {
                        Some(f) => f.get(&format!("r_{}", c.key)).to_string(),
                        None => saved.map(|s| s.rationale.clone()).unwrap_or_default(),
                    };
                    context! {
                        key => c.key.clone(), name => c.name.clone(), description => c.description.clone(),
                        weight => percent(c.weight), chosen, rationale,
                        options => c.descriptors.iter().enumerate().map(|(s, d)| context! { value => s.to_string(), text => d.clone() }).collect::<Vec<_>>(),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let version = match fields {
        Some(f) => f.get("version").to_string(),
        None => stored.map(|a| a.version).unwrap_or(0).to_string(),
    };
    Ok(render_status(
        status,
        "assessment.html",
        context! {
            code => found.code.to_string(), title => found.title.clone(),
            model_version => found.model_version,
            score => found.priority.as_ref().map(|p| format!("{:.1}", p.score)),
            contributions => found.priority.as_ref().map(|p| p.contributions.iter().map(|c| context! {
                name => c.name.clone(), score => c.score, points => format!("{:.1}", c.points),
            }).collect::<Vec<_>>()),
            not_assessed => found.not_assessed.clone(),
            updated => stored.map(|a| format!("{} on {}", a.updated_by, when(a.updated_at))),
            criteria, fe, errors, version,
            can_manage => session.caller().can(Permission::ManagePrioritisation),
            ..base
        },
    ))
}

#[derive(Deserialize)]
struct SavedQuery {
    saved: Option<String>,
}

async fn assessment_form(
    State(state): State<AppState>,
    session: PageSession,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    render_assessment(&state, &session, &code, None, None, StatusCode::OK).await
}

async fn assessment_submit(
    State(state): State<AppState>,
    session: PageSession,
    Path(code): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let fields = Fields::new(pairs);
    session.check_csrf(fields.get("csrf_token"))?;
    session.caller().require(Permission::ManagePrioritisation)?;
    let version = fields.version()?;
    let model = state
        .app
        .scoring_model(session.caller())
        .await?
        .ok_or(AppError::NotFound("scoring model"))?;
    let mut errors = ValidationErrors::default();
    let mut draft = AssessmentDraft::default();
    for c in &model.criteria {
        let raw = fields.get(&format!("s_{}", c.key)).trim();
        let score = match raw {
            "" => None,
            s => match s.parse::<i64>() {
                Ok(v) => Some(v),
                Err(_) => {
                    errors.push(
                        format!("scores.{}.score", c.key),
                        "must be a whole number from 0 to 5",
                    );
                    None
                }
            },
        };
        let rationale = fields.get(&format!("r_{}", c.key)).to_string();
        draft.scores.insert(
            c.key.clone(),
            ScoreDraft {
                score,
                rationale: Some(rationale).filter(|r| !r.trim().is_empty()),
            },
        );
    }
    let result = if errors.is_empty() {
        state
            .app
            .save_assessment(session.caller(), &code, version, &draft)
            .await
    } else {
        Err(AppError::Validation(errors))
    };
    match result {
        Ok(a) => Ok(Redirect::to(&format!(
            "/projects/{}/assessment?saved={}",
            a.project_code, a.version
        ))
        .into_response()),
        Err(AppError::Validation(errors)) => {
            render_assessment(
                &state,
                &session,
                &code,
                Some(&fields),
                Some(&errors),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(AppError::Conflict { .. }) => {
            let errors = conflict_errors("assessment");
            render_assessment(
                &state,
                &session,
                &code,
                Some(&fields),
                Some(&errors),
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// The project page's "Priority score" summary: the score and model version,
/// or what is still to assess.
pub(super) async fn project_score(
    state: &AppState,
    session: &PageSession,
    code: &str,
) -> Result<Value, PageError> {
    let found = state.app.assessment(session.caller(), code).await?;
    Ok(context! {
        code => found.code.to_string(),
        model_version => found.model_version,
        score => found.priority.as_ref().map(|p| format!("{:.1}", p.score)),
        not_assessed => found.not_assessed.len(),
    })
}
