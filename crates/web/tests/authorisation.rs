//! The authorisation matrix: every route of the router, pages and API, for
//! every role, a signed-out visitor and an administrator of another
//! organisation, against the expectations in one table ([`RULES`]). Any
//! unexpected allow fails, and so does a refusal that changed anything.
//!
//! The routes are read from the router's own declarations (the page
//! modules' `.route(…)` calls, the assets' and the OpenAPI document), so a
//! new route without a row in the table fails here until someone says who
//! may use it.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use common::{form_encode, Resp, Session, TestApp, ADMIN_EMAIL, PASSWORD};
use portfolio_app::Actor;
use portfolio_domain::{demo, Permission, Role};

/// Who may use a route.
#[derive(Debug, Clone, Copy)]
enum Rule {
    /// Anyone, signed in or not (sign-in, public roadmap, assets, health).
    Public,
    /// Any signed-in user of the organisation.
    SignedIn,
    /// A role holding the permission across the organisation.
    Org(Permission),
    /// A role holding the permission across the organisation, or a
    /// department lead or project manager whose scope covers the project
    /// the route names.
    Project(Permission),
    /// A role holding the permission across the organisation, or a
    /// department lead or project manager holding it for some project (the
    /// form names the project; the service checks it).
    Somewhere(Permission),
    /// Priorities: the programme office sees every one, a department lead
    /// only those they submitted (the one asked for is the demo lead's).
    OwnPriority,
    /// Signing out: whoever asks ends up at the sign-in page.
    SignOut,
}

use Permission::*;
use Rule::*;

/// The one table: (method, route as declared) and who may use it.
const RULES: &[(&str, &str, Rule)] = &[
    // Signing in, the public roadmap, assets.
    ("GET", "/sign-in", Public),
    ("POST", "/sign-in", Public),
    ("POST", "/sign-out", SignOut),
    // The second step of a sign-in with a second factor: only a session
    // waiting for its code may use it; anyone else is sent to sign in.
    ("GET", "/sign-in/code", SignOut),
    ("POST", "/sign-in/code", SignOut),
    // Single sign-on: not configured in this test server, so not found.
    ("GET", "/sign-in/oidc", Public),
    ("GET", "/sign-in/oidc/callback", Public),
    ("GET", "/public/roadmap.schema.json", Public),
    ("GET", "/public/{org}/roadmap", Public),
    ("GET", "/public/{org}/roadmap.json", Public),
    ("GET", "/public/{org}/roadmap.csv", Public),
    ("GET", "/static/app.js", Public),
    ("GET", "/static/{*path}", Public),
    ("GET", "/assets/{*path}", Public),
    ("GET", "/health", Public),
    ("GET", "/ready", Public),
    ("GET", "/api/v1/openapi.json", Public),
    // The register and projects.
    ("GET", "/", SignedIn),
    ("GET", "/projects", SignedIn),
    ("POST", "/projects", Org(EditProjects)),
    ("GET", "/projects/new", Org(EditProjects)),
    ("GET", "/projects.csv", SignedIn),
    ("GET", "/projects.xlsx", SignedIn),
    ("GET", "/projects/{code}", SignedIn),
    ("GET", "/projects/{code}/edit", Project(EditProjects)),
    ("POST", "/projects/{code}/edit", Project(EditProjects)),
    ("GET", "/changes", SignedIn),
    ("GET", "/duplicates", SignedIn),
    ("GET", "/merge", Org(EditProjects)),
    ("POST", "/merge", Org(EditProjects)),
    ("POST", "/merges/{id}/undo", Org(EditProjects)),
    ("GET", "/imports/new", Org(EditProjects)),
    ("POST", "/imports/upload", Org(EditProjects)),
    ("GET", "/imports/{id}", Org(EditProjects)),
    ("POST", "/imports/{id}/columns", Org(EditProjects)),
    ("GET", "/imports/{id}/check", Org(EditProjects)),
    ("POST", "/imports/{id}/values", Org(EditProjects)),
    ("POST", "/imports/{id}/commit", Org(EditProjects)),
    ("GET", "/imports/{id}/rejected.csv", Org(EditProjects)),
    // Priorities.
    ("GET", "/priorities", Org(SubmitPriorities)),
    ("POST", "/priorities", Org(SubmitPriorities)),
    ("GET", "/priorities/new", Org(SubmitPriorities)),
    ("GET", "/priorities/{id}", OwnPriority),
    ("POST", "/priorities/{id}/accept", Org(TriagePriorities)),
    ("POST", "/priorities/{id}/link", Org(TriagePriorities)),
    ("POST", "/priorities/{id}/decline", Org(TriagePriorities)),
    // Prioritisation and capacity.
    ("GET", "/scoring", SignedIn),
    ("GET", "/scoring/edit", Org(ManagePrioritisation)),
    ("POST", "/scoring/edit", Org(ManagePrioritisation)),
    ("GET", "/scoring/pairwise", Org(ManagePrioritisation)),
    ("POST", "/scoring/pairwise", Org(ManagePrioritisation)),
    ("GET", "/ranking", SignedIn),
    ("GET", "/projects/{code}/assessment", SignedIn),
    (
        "POST",
        "/projects/{code}/assessment",
        Org(ManagePrioritisation),
    ),
    ("GET", "/capacity", SignedIn),
    ("GET", "/pools", SignedIn),
    ("POST", "/pools", Org(ManagePrioritisation)),
    ("GET", "/pools/new", Org(ManagePrioritisation)),
    ("GET", "/pools/{slug}", SignedIn),
    ("POST", "/pools/{slug}", Org(ManagePrioritisation)),
    ("GET", "/budgets", SignedIn),
    ("POST", "/budgets/{year}", Org(ManagePrioritisation)),
    ("GET", "/projects/{code}/plan", SignedIn),
    ("POST", "/projects/{code}/plan", Org(ManagePrioritisation)),
    ("GET", "/scenarios", SignedIn),
    ("POST", "/scenarios", Org(ManagePrioritisation)),
    ("GET", "/scenarios/new", Org(ManagePrioritisation)),
    ("GET", "/scenarios/compare", SignedIn),
    ("GET", "/scenarios/{slug}", SignedIn),
    ("POST", "/scenarios/{slug}", Org(ManagePrioritisation)),
    ("GET", "/scenarios/{slug}/edit", Org(ManagePrioritisation)),
    ("POST", "/scenarios/{slug}/runs", Org(ManagePrioritisation)),
    ("GET", "/scenarios/{slug}/model.mps", SignedIn),
    ("GET", "/scenarios/{slug}/model.lp", SignedIn),
    ("GET", "/scenario-runs/{id}", SignedIn),
    (
        "POST",
        "/scenario-runs/{id}/cancel",
        Org(ManagePrioritisation),
    ),
    // RAID.
    ("GET", "/raid", SignedIn),
    ("POST", "/raid", Somewhere(EditProjects)),
    ("GET", "/raid.csv", SignedIn),
    ("GET", "/raid.xlsx", SignedIn),
    ("GET", "/raid/new", Somewhere(EditProjects)),
    ("GET", "/raid/{id}", SignedIn),
    ("GET", "/raid/{id}/edit", Project(EditProjects)),
    ("POST", "/raid/{id}/edit", Project(EditProjects)),
    // Gates and the board.
    ("GET", "/governance", SignedIn),
    ("GET", "/gates", SignedIn),
    ("GET", "/gates/checklists", SignedIn),
    ("POST", "/gates/checklists/{gate}", Org(RequestGates)),
    ("GET", "/gates/{id}", SignedIn),
    ("POST", "/gates/{id}/decision", Org(DecideGates)),
    (
        "GET",
        "/projects/{code}/gate-request",
        Project(RequestGates),
    ),
    (
        "POST",
        "/projects/{code}/gate-request",
        Project(RequestGates),
    ),
    ("GET", "/meetings", SignedIn),
    ("POST", "/meetings", Org(RequestGates)),
    ("GET", "/meetings/new", Org(RequestGates)),
    ("GET", "/meetings/{id}", SignedIn),
    ("GET", "/meetings/{id}/edit", Org(RequestGates)),
    ("POST", "/meetings/{id}/edit", Org(RequestGates)),
    ("POST", "/meetings/{id}/agenda", Org(RequestGates)),
    ("POST", "/meetings/{id}/agenda/refresh", Org(RequestGates)),
    ("GET", "/meetings/{id}/items/{item}", SignedIn),
    (
        "POST",
        "/meetings/{id}/items/{item}/decision",
        Org(DecideGates),
    ),
    (
        "POST",
        "/meetings/{id}/items/{item}/actions",
        Org(RequestGates),
    ),
    ("POST", "/meetings/actions/{id}/status", Org(RequestGates)),
    ("POST", "/meetings/{id}/board-pack", Org(EditProjects)),
    ("GET", "/decisions", SignedIn),
    ("GET", "/decisions.xlsx", SignedIn),
    ("GET", "/decisions.csv", SignedIn),
    ("GET", "/actions.xlsx", SignedIn),
    ("GET", "/actions.csv", SignedIn),
    // Highlight reports.
    ("GET", "/highlights", SignedIn),
    ("GET", "/projects/{code}/highlights", SignedIn),
    ("POST", "/projects/{code}/highlights", Project(EditProjects)),
    (
        "GET",
        "/projects/{code}/highlights/new",
        Project(EditProjects),
    ),
    ("GET", "/projects/{code}/highlights/{period}", SignedIn),
    (
        "GET",
        "/projects/{code}/highlights/{period}/edit",
        Project(EditProjects),
    ),
    (
        "POST",
        "/projects/{code}/highlights/{period}/edit",
        Project(EditProjects),
    ),
    // Reports and branding.
    ("GET", "/reports", SignedIn),
    ("POST", "/reports", Org(EditProjects)),
    ("GET", "/reports/new", Org(EditProjects)),
    ("GET", "/reports/{id}", SignedIn),
    ("GET", "/reports/{id}/document", SignedIn),
    ("GET", "/reports/{id}/edit", Org(EditProjects)),
    ("POST", "/reports/{id}/edit", Org(EditProjects)),
    ("GET", "/settings/branding", Org(ManageOrganisation)),
    ("GET", "/settings/branding/logo", SignedIn),
    ("POST", "/settings/branding", Org(ManageOrganisation)),
    // The user's own notifications and tokens.
    ("GET", "/notifications", SignedIn),
    ("POST", "/notifications/read", SignedIn),
    ("POST", "/notifications/{id}/read", SignedIn),
    ("GET", "/account/security", SignedIn),
    ("POST", "/account/security/totp", SignedIn),
    ("POST", "/account/security/totp/disable", SignedIn),
    ("GET", "/account/tokens", SignedIn),
    ("POST", "/account/tokens", SignedIn),
    ("POST", "/account/tokens/{id}/revoke", SignedIn),
    // The API.
    ("GET", "/api/v1/organisations", SignedIn),
    ("GET", "/api/v1/departments", SignedIn),
    ("GET", "/api/v1/themes", SignedIn),
    ("GET", "/api/v1/projects", SignedIn),
    ("POST", "/api/v1/projects", Org(EditProjects)),
    ("GET", "/api/v1/projects/{code}", SignedIn),
    ("PUT", "/api/v1/projects/{code}", Project(EditProjects)),
    ("DELETE", "/api/v1/projects/{code}", Project(EditProjects)),
    ("GET", "/api/v1/projects/{code}/lineage", SignedIn),
    ("GET", "/api/v1/dashboard", SignedIn),
    ("GET", "/api/v1/duplicates", SignedIn),
    ("GET", "/api/v1/changes", SignedIn),
    ("GET", "/api/v1/priorities", Org(SubmitPriorities)),
    ("POST", "/api/v1/priorities", Org(SubmitPriorities)),
    ("GET", "/api/v1/priorities/{id}", OwnPriority),
    (
        "POST",
        "/api/v1/priorities/{id}/accept",
        Org(TriagePriorities),
    ),
    (
        "POST",
        "/api/v1/priorities/{id}/link",
        Org(TriagePriorities),
    ),
    (
        "POST",
        "/api/v1/priorities/{id}/decline",
        Org(TriagePriorities),
    ),
    ("POST", "/api/v1/imports", Org(EditProjects)),
    ("GET", "/api/v1/import-mappings/{source}", SignedIn),
    ("PUT", "/api/v1/import-mappings/{source}", Org(EditProjects)),
    ("POST", "/api/v1/merges", Org(EditProjects)),
    ("GET", "/api/v1/merges/{id}", SignedIn),
    ("POST", "/api/v1/merges/{id}/undo", Org(EditProjects)),
    ("GET", "/api/v1/scoring-model", SignedIn),
    ("PUT", "/api/v1/scoring-model", Org(ManagePrioritisation)),
    ("GET", "/api/v1/scoring-model/versions", SignedIn),
    ("GET", "/api/v1/projects/{code}/assessment", SignedIn),
    (
        "PUT",
        "/api/v1/projects/{code}/assessment",
        Org(ManagePrioritisation),
    ),
    ("GET", "/api/v1/ranking", SignedIn),
    ("GET", "/api/v1/resource-pools", SignedIn),
    ("POST", "/api/v1/resource-pools", Org(ManagePrioritisation)),
    ("GET", "/api/v1/resource-pools/{slug}", SignedIn),
    (
        "PUT",
        "/api/v1/resource-pools/{slug}",
        Org(ManagePrioritisation),
    ),
    (
        "DELETE",
        "/api/v1/resource-pools/{slug}",
        Org(ManagePrioritisation),
    ),
    ("GET", "/api/v1/budgets", SignedIn),
    ("PUT", "/api/v1/budgets/{year}", Org(ManagePrioritisation)),
    ("GET", "/api/v1/projects/{code}/plan", SignedIn),
    (
        "PUT",
        "/api/v1/projects/{code}/plan",
        Org(ManagePrioritisation),
    ),
    ("GET", "/api/v1/capacity/heat-map", SignedIn),
    ("GET", "/api/v1/scenarios", SignedIn),
    ("POST", "/api/v1/scenarios", Org(ManagePrioritisation)),
    ("GET", "/api/v1/scenarios/{slug}", SignedIn),
    ("PUT", "/api/v1/scenarios/{slug}", Org(ManagePrioritisation)),
    (
        "POST",
        "/api/v1/scenarios/{slug}/runs",
        Org(ManagePrioritisation),
    ),
    ("GET", "/api/v1/scenarios/{slug}/result", SignedIn),
    ("GET", "/api/v1/scenarios/{slug}/model", SignedIn),
    ("GET", "/api/v1/scenario-runs/{id}", SignedIn),
    (
        "POST",
        "/api/v1/scenario-runs/{id}/cancel",
        Org(ManagePrioritisation),
    ),
    ("GET", "/api/v1/scenarios-comparison", SignedIn),
    ("GET", "/api/v1/projects/{code}/explanations", SignedIn),
    ("GET", "/api/v1/raid-items", SignedIn),
    ("POST", "/api/v1/raid-items", Somewhere(EditProjects)),
    ("GET", "/api/v1/raid-items/{id}", SignedIn),
    ("PUT", "/api/v1/raid-items/{id}", Project(EditProjects)),
    ("GET", "/api/v1/raid-heat-map", SignedIn),
    ("GET", "/api/v1/escalated-risks", SignedIn),
    ("GET", "/api/v1/risk-scales", SignedIn),
    ("PUT", "/api/v1/risk-scales", Org(ManageOrganisation)),
    ("GET", "/api/v1/gate-checklists", SignedIn),
    ("PUT", "/api/v1/gate-checklists/{gate}", Org(RequestGates)),
    ("GET", "/api/v1/gate-requests", SignedIn),
    ("POST", "/api/v1/gate-requests", Somewhere(RequestGates)),
    ("GET", "/api/v1/gate-requests/{id}", SignedIn),
    (
        "POST",
        "/api/v1/gate-requests/{id}/decision",
        Org(DecideGates),
    ),
    ("GET", "/api/v1/meetings", SignedIn),
    ("POST", "/api/v1/meetings", Org(RequestGates)),
    ("GET", "/api/v1/meetings/{id}", SignedIn),
    ("PUT", "/api/v1/meetings/{id}", Org(RequestGates)),
    (
        "POST",
        "/api/v1/meetings/{id}/agenda-items",
        Org(RequestGates),
    ),
    ("POST", "/api/v1/meetings/{id}/decisions", Org(DecideGates)),
    ("POST", "/api/v1/meetings/{id}/actions", Org(RequestGates)),
    ("PATCH", "/api/v1/meeting-actions/{id}", Org(RequestGates)),
    ("GET", "/api/v1/decisions", SignedIn),
    ("GET", "/api/v1/projects/{code}/highlight-reports", SignedIn),
    (
        "POST",
        "/api/v1/projects/{code}/highlight-reports",
        Project(EditProjects),
    ),
    (
        "GET",
        "/api/v1/projects/{code}/highlight-reports/{period}",
        SignedIn,
    ),
    (
        "PUT",
        "/api/v1/projects/{code}/highlight-reports/{period}",
        Project(EditProjects),
    ),
    ("GET", "/api/v1/confidence-trend", SignedIn),
    ("GET", "/api/v1/reports", SignedIn),
    ("POST", "/api/v1/reports", Org(EditProjects)),
    ("GET", "/api/v1/reports/{id}", SignedIn),
    ("PUT", "/api/v1/reports/{id}", Org(EditProjects)),
    ("GET", "/api/v1/reports/{id}/document", SignedIn),
    ("GET", "/api/v1/report", SignedIn),
    ("GET", "/api/v1/branding", SignedIn),
    ("PUT", "/api/v1/branding", Org(ManageOrganisation)),
    ("GET", "/api/v1/exports/{register}", SignedIn),
    ("GET", "/api/v1/notifications", SignedIn),
    ("POST", "/api/v1/notifications/read", SignedIn),
    ("POST", "/api/v1/notifications/{id}/read", SignedIn),
    ("GET", "/api/v1/tokens", SignedIn),
    ("POST", "/api/v1/tokens", SignedIn),
    ("DELETE", "/api/v1/tokens/{id}", SignedIn),
];

/// The page and asset routes as the router declares them: every
/// `.route("…", get(…).post(…))` in the web crate's page modules and assets.
fn declared_page_routes() -> BTreeSet<(String, String)> {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files: Vec<_> = std::fs::read_dir(src.join("pages"))
        .expect("pages")
        .map(|e| e.expect("entry").path())
        .collect();
    files.push(src.join("assets.rs"));
    files.push(src.join("api").join("mod.rs"));
    let mut out = BTreeSet::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("read source");
        let mut rest = text.as_str();
        while let Some(at) = rest.find(".route(") {
            rest = &rest[at + ".route(".len()..];
            let Some(open) = rest.find('"') else { break };
            if !rest[..open].trim().is_empty() {
                continue;
            }
            let after = &rest[open + 1..];
            let close = after.find('"').expect("closing quote");
            let path = &after[..close];
            let tail = &after[close + 1..];
            let end = [".route(", ".merge(", "\n}"]
                .iter()
                .filter_map(|m| tail.find(m))
                .min()
                .unwrap_or(tail.len());
            let segment = &tail[..end];
            for method in ["get", "post", "put", "delete", "patch"] {
                let calls = segment.match_indices(&format!("{method}(")).any(|(i, _)| {
                    i == 0 || !segment[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_')
                });
                if calls {
                    out.insert((method.to_uppercase(), path.to_string()));
                }
            }
        }
    }
    out
}

/// The API's routes, from the OpenAPI document the router is built with.
fn documented_api_routes() -> BTreeSet<(String, String)> {
    let doc = serde_json::to_value(portfolio_web::openapi_document()).expect("document");
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in ["get", "post", "put", "delete", "patch"] {
            if item.get(method).is_some() {
                out.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    out
}

#[test]
fn every_route_has_a_row_in_the_table_and_every_row_a_route() {
    let mut routes = declared_page_routes();
    routes.extend(documented_api_routes());
    assert!(routes.len() > 200, "found only {} routes", routes.len());
    let table: BTreeSet<(String, String)> = RULES
        .iter()
        .map(|(m, p, _)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(table.len(), RULES.len(), "a route is in the table twice");
    let missing: Vec<_> = routes.difference(&table).collect();
    assert!(
        missing.is_empty(),
        "routes with no row in RULES (say who may use them): {missing:?}"
    );
    let stale: Vec<_> = table.difference(&routes).collect();
    assert!(stale.is_empty(), "rows in RULES for no route: {stale:?}");
}

/// Who is asking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    SignedOut,
    Role(Role),
    /// An administrator of another organisation.
    OtherOrganisation,
}

/// What must happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Allowed,
    Refused,
    SignIn,
    NotFound,
}

/// The expectation for a caller; `in_scope` says whether the record the
/// route names lies in a department lead's or project manager's scope.
fn expect(rule: Rule, who: Who, in_scope: bool, names_record: bool) -> Expect {
    let role = match who {
        _ if matches!(rule, Public) => return Expect::Allowed,
        _ if matches!(rule, SignOut) => return Expect::SignIn,
        Who::SignedOut => return Expect::SignIn,
        Who::OtherOrganisation if names_record => return Expect::NotFound,
        Who::OtherOrganisation => Role::Administrator,
        Who::Role(role) => role,
    };
    let allowed = match rule {
        Public | SignedIn | SignOut => true,
        Org(p) => role.allows(p),
        Project(p) => role.allows(p) || (role.allows_in_scope(p) && in_scope),
        Somewhere(p) => role.allows_in_scope(p),
        OwnPriority => role.allows(TriagePriorities) || (role == Role::DepartmentLead && in_scope),
    };
    if allowed {
        Expect::Allowed
    } else {
        Expect::Refused
    }
}

/// A caller with a session (pages) and a token (API).
struct Client {
    who: Who,
    session: Option<Session>,
    token: Option<String>,
}

/// Concrete values for a route's parameters: one set per record a scope may or may not cover.
struct Fixture {
    /// (parameter values, whose scope covers them: lead, manager).
    variants: Vec<(BTreeMap<&'static str, String>, bool, bool)>,
}

/// The records of a list response: the list itself, or an object's first list field.
fn records(v: &serde_json::Value) -> Vec<serde_json::Value> {
    v.as_array()
        .or_else(|| v.as_object()?.values().find_map(|f| f.as_array()))
        .cloned()
        .unwrap_or_default()
}

async fn first_id(t: &TestApp, path: &str, key: &str) -> String {
    let r = t.get(path, Some(&t.admin_token)).await;
    assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text());
    let v = r.json();
    let items = records(&v);
    let first = items
        .first()
        .unwrap_or_else(|| panic!("{path} lists nothing"));
    match &first[key] {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn fill(path: &str, values: &BTreeMap<&'static str, String>) -> String {
    let mut out = path.to_string();
    for (k, v) in values {
        out = out.replace(&format!("{{{k}}}"), v);
    }
    out.replace("{*path}", "govuk-frontend.min.css")
}

fn sends_body(method: &Method) -> bool {
    *method != Method::GET && *method != Method::DELETE
}

async fn call(t: &TestApp, client: &Client, method: &Method, uri: &str) -> Resp {
    let api = uri.starts_with("/api/") || uri == "/health" || uri == "/ready";
    let mut b = Request::builder().method(method.clone()).uri(uri);
    if api {
        if let Some(token) = &client.token {
            b = b.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        if sends_body(method) {
            b = b
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::IF_MATCH, "\"1\"");
            return t.call(b.body(Body::from("{}")).unwrap()).await;
        }
        return t.call(b.body(Body::empty()).unwrap()).await;
    }
    if let Some(s) = &client.session {
        b = b.header(header::COOKIE, format!("portfolio_session={}", s.cookie));
    }
    if sends_body(method) {
        let csrf = client.session.as_ref().map_or("", |s| s.csrf.as_str());
        b = b.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        return t
            .call(
                b.body(Body::from(form_encode(&[("csrf_token", csrf)])))
                    .unwrap(),
            )
            .await;
    }
    t.call(b.body(Body::empty()).unwrap()).await
}

fn outcome(r: &Resp) -> &'static str {
    let to_sign_in = r.status.is_redirection()
        && r.header("location")
            .is_some_and(|l| l.starts_with("/sign-in"));
    match r.status {
        s if to_sign_in || s == StatusCode::UNAUTHORIZED => "sign-in",
        StatusCode::FORBIDDEN => "refused",
        StatusCode::NOT_FOUND => "not found",
        s if s.is_server_error() => "server error",
        StatusCode::BAD_REQUEST
        | StatusCode::PRECONDITION_FAILED
        | StatusCode::UNSUPPORTED_MEDIA_TYPE
        | StatusCode::UNPROCESSABLE_ENTITY
        | StatusCode::PRECONDITION_REQUIRED => "input refused",
        _ => "allowed",
    }
}

/// Whether the response is what was expected. The matrix sends empty
/// bodies, so an allowed write may still be refused as bad input, and a
/// request the table refuses may be turned away as bad input before its
/// permission is checked: neither is an allow, and the caller checks that
/// nothing changed.
fn meets(expect: Expect, r: &Resp) -> bool {
    let got = outcome(r);
    match expect {
        Expect::Allowed => matches!(got, "allowed" | "not found" | "input refused"),
        Expect::Refused => matches!(got, "refused" | "input refused"),
        Expect::SignIn => got == "sign-in",
        Expect::NotFound => matches!(got, "not found" | "input refused"),
    }
}

/// Waits for a scenario run a request started, so its progress is not
/// mistaken for a change made by a later, refused request.
async fn finish_any_run(t: &TestApp, r: &Resp) {
    let Some(location) = r.header("location") else {
        return;
    };
    if !location.contains("/scenario-runs/") {
        return;
    }
    let id = location.rsplit('/').next().unwrap_or_default();
    for _ in 0..600 {
        let run = t
            .get(&format!("/api/v1/scenario-runs/{id}"), Some(&t.admin_token))
            .await;
        if run.status != StatusCode::OK || run.json()["status"] != "running" {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("scenario run {id} did not finish within 60 seconds");
}

async fn versions(t: &TestApp, org: i64) -> (i64, i64) {
    t.app.store.versions(org).await.expect("versions")
}

#[tokio::test]
async fn every_route_refuses_every_caller_it_should() {
    let t = TestApp::start().await;
    let actor = Actor::system("test");
    let northmere = t.app.store.organisation_by_slug("northmere").await.unwrap();

    // Another organisation with its own administrator.
    t.app
        .seed_organisation("elsewhere", "Elsewhere Borough Council", &[], &actor)
        .await
        .expect("second organisation");
    t.app
        .add_user(
            "elsewhere",
            "admin@elsewhere.example",
            "Elsewhere Admin",
            Role::Administrator,
            PASSWORD,
            &actor,
        )
        .await
        .expect("other admin");

    // One user of each role: the demo's, and a viewer the tests add.
    let emails: [(Role, &str); 6] = [
        (Role::Administrator, ADMIN_EMAIL),
        (Role::ProgrammeOffice, "programme.manager@northmere.example"),
        (Role::DepartmentLead, demo::LEAD_EMAIL),
        (Role::ProjectManager, demo::MANAGER_EMAIL),
        (Role::BoardMember, demo::BOARD_EMAIL),
        (Role::Viewer, common::VIEWER_EMAIL),
    ];
    let users = t.app.store.users(northmere.id).await.unwrap();
    for (role, email) in emails {
        let user = users.iter().find(|u| u.email == email).expect(email);
        assert_eq!(user.role, role, "{email}");
    }
    let mut clients = vec![Client {
        who: Who::SignedOut,
        session: None,
        token: None,
    }];
    for (role, email) in emails {
        clients.push(Client {
            who: Who::Role(role),
            session: Some(t.sign_in(email).await),
            token: Some(t.app.create_token(email, "matrix", &actor).await.unwrap().1),
        });
    }
    clients.push(Client {
        who: Who::OtherOrganisation,
        session: Some(t.sign_in("admin@elsewhere.example").await),
        token: Some(
            t.app
                .create_token("admin@elsewhere.example", "matrix", &actor)
                .await
                .unwrap()
                .1,
        ),
    });

    // Records of Northmere the routes name: a project of the lead's
    // department, and the project manager's project in another.
    let projects = t.app.store.all_projects(northmere.id).await.unwrap();
    let lead = users.iter().find(|u| u.email == demo::LEAD_EMAIL).unwrap();
    let manager = users
        .iter()
        .find(|u| u.email == demo::MANAGER_EMAIL)
        .unwrap();
    let raid = t.app.store.raid_items(northmere.id).await.unwrap();
    let raid_of = |code: &str| {
        raid.iter()
            .find(|i| i.project.as_ref().is_some_and(|p| p.code == code))
            .map(|i| i.id.to_string())
    };
    let lead_project = projects
        .iter()
        .filter(|p| lead.scope.departments.contains(&p.department.id))
        .filter(|p| raid_of(&p.code).is_some())
        .min_by_key(|p| p.code.clone())
        .expect("a project of the lead's department with a RAID item");
    let managed = projects
        .iter()
        .find(|p| manager.scope.projects.contains(&p.id))
        .expect("the manager's project");
    assert_ne!(lead_project.department.id, managed.department.id);
    let lead_raid = raid_of(&lead_project.code).expect("a RAID item of the lead's project");
    let managed_raid = raid_of(&managed.code).expect("a RAID item of the manager's project");
    let pool = first_id(&t, "/api/v1/resource-pools", "slug").await;
    let scenario = first_id(&t, "/api/v1/scenarios", "slug").await;
    // A meeting with an agenda item and an action.
    let cli = t
        .app
        .command_line_caller("northmere", "test")
        .await
        .unwrap();
    let mut meeting = None;
    for summary in t.app.meetings(&cli).await.unwrap() {
        let record = t.app.meeting(&cli, summary.meeting.id).await.unwrap();
        if let (Some(item), Some(action)) = (record.agenda.first(), record.actions.first()) {
            meeting = Some((record.meeting.id, item.id, action.id));
            break;
        }
    }
    let (meeting, agenda_item, action) = meeting.expect("a meeting with an agenda and an action");
    let gate_request = first_id(&t, "/api/v1/gate-requests", "id").await;
    // The priority asked for is one the demo lead submitted.
    let lead_token = clients[3].token.clone().expect("lead token");
    let r = t
        .json(
            Method::POST,
            "/api/v1/priorities",
            &lead_token,
            None,
            &serde_json::json!({
                "title": "Online carers' assessments",
                "problem": "Carers wait six weeks for a home visit before anyone assesses them.",
                "beneficiaries": "About 3,000 unpaid carers.",
                "urgency": "high",
                "rough_cost": "£350k",
                "department": demo::LEAD_DEPARTMENT,
                "themes": ["virtual-service-delivery"]
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let priority = r.json()["id"].to_string();
    // The latest highlight report of a project, or this month.
    let mut periods = BTreeMap::new();
    for code in [&lead_project.code, &managed.code] {
        let reports = t.app.highlight_reports(&cli, code).await.unwrap();
        let period = reports.first().map_or_else(
            || chrono::Utc::now().format("%Y-%m").to_string(),
            |r| r.period.as_string(),
        );
        periods.insert(code.clone(), period);
    }
    let common_values = |code: &str, raid_id: &str| {
        let mut m: BTreeMap<&'static str, String> = BTreeMap::new();
        m.insert("code", code.to_string());
        m.insert("slug", pool.clone());
        m.insert("year", "2026".to_string());
        m.insert("gate", "design".to_string());
        m.insert("period", periods[code].clone());
        m.insert("item", agenda_item.to_string());
        m.insert("org", "northmere".to_string());
        m.insert("register", "register".to_string());
        m.insert("source", "matrix".to_string());
        m.insert("id", raid_id.to_string());
        m
    };
    let fixture = Fixture {
        variants: vec![
            (common_values(&lead_project.code, &lead_raid), true, false),
            (common_values(&managed.code, &managed_raid), false, true),
        ],
    };

    let mut routes: Vec<(String, String, Rule)> = RULES
        .iter()
        .map(|(m, p, r)| (m.to_string(), p.to_string(), *r))
        .collect();
    // Sign out last, so each caller stays signed in for the rest.
    routes.sort_by_key(|(_, p, _)| p == "/sign-out");

    let mut failures = Vec::new();
    let mut checked = 0;
    for (method, path, rule) in &routes {
        let method: Method = method.parse().unwrap();
        let names_record = ["{code}", "{id}", "{slug}", "{period}", "{item}"]
            .iter()
            .any(|p| path.contains(p));
        let scoped = path.contains("{code}")
            || path.starts_with("/raid/")
            || path.starts_with("/api/v1/raid-items/");
        for (values, lead_covers, manager_covers) in &fixture.variants {
            if !scoped && !*lead_covers {
                // One variant is enough where no scope is involved.
                continue;
            }
            let mut values = values.clone();
            // Other parameters named {id} or {slug} are other records.
            let id = if path.contains("/raid") {
                values["id"].clone()
            } else if path.contains("/meetings/actions/") || path.contains("/meeting-actions/") {
                action.to_string()
            } else if path.contains("/meetings/") {
                meeting.to_string()
            } else if path.contains("/gates/") || path.contains("/gate-requests/") {
                gate_request.clone()
            } else if path.contains("/priorities/") {
                priority.clone()
            } else {
                "1".to_string()
            };
            values.insert("id", id);
            if path.contains("/scenarios/") {
                values.insert("slug", scenario.clone());
            }
            let uri = fill(path, &values);
            for client in &clients {
                let in_scope = match client.who {
                    Who::Role(Role::DepartmentLead) => *lead_covers,
                    Who::Role(Role::ProjectManager) => *manager_covers,
                    _ => false,
                };
                let in_scope = if matches!(rule, OwnPriority) {
                    client.who == Who::Role(Role::DepartmentLead)
                } else {
                    in_scope
                };
                let wanted = expect(*rule, client.who, in_scope, names_record);
                let before = versions(&t, northmere.id).await;
                let r = call(&t, client, &method, &uri).await;
                checked += 1;
                finish_any_run(&t, &r).await;
                let after = versions(&t, northmere.id).await;
                if !meets(wanted, &r) {
                    failures.push(format!(
                        "{method} {uri} as {:?}: expected {wanted:?}, got {} ({})",
                        client.who,
                        r.status,
                        outcome(&r)
                    ));
                } else if wanted != Expect::Allowed && before != after {
                    failures.push(format!(
                        "{method} {uri} as {:?}: refused ({}) but Northmere's data changed",
                        client.who, r.status
                    ));
                }
            }
        }
    }
    assert!(checked > 2_000, "checked only {checked} requests");
    assert!(
        failures.is_empty(),
        "{} of {checked} requests were not as the table says:\n{}",
        failures.len(),
        failures.join("\n")
    );
    t.finish().await;
}

/// A project of a department, the first by code.
async fn project_of(t: &TestApp, department_id: i64) -> portfolio_domain::Project {
    let org = t.app.store.organisation_by_slug("northmere").await.unwrap();
    let mut projects: Vec<_> = t
        .app
        .store
        .all_projects(org.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|p| p.department.id == department_id)
        .collect();
    projects.sort_by(|a, b| a.code.cmp(&b.code));
    projects.remove(0)
}

/// Sends a project back unchanged but for its summary, as `token`.
async fn edit_summary(
    t: &TestApp,
    token: &str,
    p: &portfolio_domain::Project,
    summary: &str,
) -> Resp {
    let mut body = common::draft_of(p);
    body["summary"] = serde_json::json!(summary);
    t.json(
        Method::PUT,
        &format!("/api/v1/projects/{}", p.code),
        token,
        Some(&format!("\"v{}\"", p.version)),
        &body,
    )
    .await
}

#[tokio::test]
async fn scoped_roles_edit_only_their_projects_and_another_organisation_edits_none() {
    let t = TestApp::start().await;
    let actor = Actor::system("test");
    let org = t.app.store.organisation_by_slug("northmere").await.unwrap();
    let users = t.app.store.users(org.id).await.unwrap();
    let lead = users.iter().find(|u| u.email == demo::LEAD_EMAIL).unwrap();
    let manager = users
        .iter()
        .find(|u| u.email == demo::MANAGER_EMAIL)
        .unwrap();
    let token = |email: &'static str| {
        let app = t.app.clone();
        let actor = actor.clone();
        async move { app.create_token(email, "scoped", &actor).await.unwrap().1 }
    };
    let lead_token = token(demo::LEAD_EMAIL).await;
    let manager_token = token(demo::MANAGER_EMAIL).await;
    let board_token = token(demo::BOARD_EMAIL).await;

    let own = project_of(&t, lead.scope.departments[0]).await;
    let managed = t
        .project(&{
            let all = t.app.store.all_projects(org.id).await.unwrap();
            all.into_iter()
                .find(|p| p.id == manager.scope.projects[0])
                .unwrap()
                .code
        })
        .await;

    // The lead edits their department's project…
    let r = edit_summary(&t, &lead_token, &own, "Edited by the department lead.").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let own = t.project(&own.code).await;
    assert_eq!(own.summary, "Edited by the department lead.");
    // …but not another department's: refused, naming what is needed, nothing changed.
    let r = edit_summary(&t, &lead_token, &managed, "Not theirs").await;
    let doc = r.problem(403, None);
    assert!(
        doc["detail"]
            .as_str()
            .unwrap()
            .contains("scope covering the project"),
        "{doc}"
    );
    assert_eq!(t.project(&managed.code).await, managed);
    // Nor may the lead move their project into another department.
    let mut body = common::draft_of(&own);
    body["department"] = serde_json::json!(managed.department.slug);
    let r = t
        .json(
            Method::PUT,
            &format!("/api/v1/projects/{}", own.code),
            &lead_token,
            Some(&format!("\"v{}\"", own.version)),
            &body,
        )
        .await;
    r.problem(403, None);
    assert_eq!(t.project(&own.code).await, own);

    // The project manager edits their project and no other.
    let r = edit_summary(&t, &manager_token, &managed, "Edited by its manager.").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = edit_summary(&t, &manager_token, &own, "Not theirs").await;
    r.problem(403, None);
    assert_eq!(t.project(&own.code).await, own);

    // A board member reads but edits nothing.
    let r = t
        .get(
            &format!("/api/v1/projects/{}", own.code),
            Some(&board_token),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = edit_summary(&t, &board_token, &own, "Board edit").await;
    let doc = r.problem(403, None);
    assert!(
        doc["detail"].as_str().unwrap().contains("programme office"),
        "{doc}"
    );

    // An administrator of another organisation asking for Northmere's
    // project by its code is told it does not exist, and nothing changes.
    t.app
        .seed_organisation("elsewhere", "Elsewhere Borough Council", &[], &actor)
        .await
        .unwrap();
    t.app
        .add_user(
            "elsewhere",
            "admin@elsewhere.example",
            "Elsewhere Admin",
            Role::Administrator,
            PASSWORD,
            &actor,
        )
        .await
        .unwrap();
    let other = token("admin@elsewhere.example").await;
    let before = versions(&t, org.id).await;
    let r = t
        .get(&format!("/api/v1/projects/{}", own.code), Some(&other))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
    let r = edit_summary(&t, &other, &own, "Taken over").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
    assert_eq!(versions(&t, org.id).await, before, "nothing changed");
    assert_eq!(t.project(&own.code).await, own);
    t.finish().await;
}
