//! Shared helpers for the web tests: a fresh SQLite database per test in its
//! own temp directory, the Northmere demo seeded, an admin and a viewer token,
//! and the whole router driven in-process with `tower::ServiceExt::oneshot`.

#![allow(dead_code)]

pub mod smtp;

use std::path::PathBuf;

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::Router;
use portfolio_app::{Actor, App, ConnectOptions, Settings};
use portfolio_domain::{Project, Role};
use portfolio_web::{router, ServeOptions};
use serde_json::{json, Value};
use tower::ServiceExt;

pub const PASSWORD: &str = "correct horse battery staple";
pub const ADMIN_EMAIL: &str = "admin@northmere.example";
pub const VIEWER_EMAIL: &str = "viewer@northmere.example";
/// An editor of the demo council: the programme office.
pub const EDITOR_EMAIL: &str = "pmo@northmere.example";

/// A temp directory removed when dropped (also when a test panics).
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new() -> TempDir {
        let dir = std::env::temp_dir().join(format!("portfolio-web-test-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }

    pub fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The app on a fresh database with the demo council, and tokens to call it.
pub struct TestApp {
    pub app: App,
    pub router: Router,
    pub admin_token: String,
    pub viewer_token: String,
    dir: TempDir,
}

impl TestApp {
    pub async fn start() -> TestApp {
        let dir = TempDir::new();
        let url = format!("sqlite://{}/t.sqlite", dir.path().display());
        let app = App::open(&url, &ConnectOptions::default(), Settings::default())
            .await
            .expect("open app");
        let seed = app.seed_demo(PASSWORD).await.expect("seed demo");
        assert_eq!(seed.projects, 76);
        assert_eq!(seed.admin_email, ADMIN_EMAIL);
        let actor = Actor::system("test");
        let (_, admin_token) = app
            .create_token(ADMIN_EMAIL, "tests", &actor)
            .await
            .expect("admin token");
        app.add_user(
            "northmere",
            VIEWER_EMAIL,
            "Viewer",
            Role::Viewer,
            PASSWORD,
            &actor,
        )
        .await
        .expect("add viewer");
        let (_, viewer_token) = app
            .create_token(VIEWER_EMAIL, "tests", &actor)
            .await
            .expect("viewer token");
        let router = router(app.clone(), &ServeOptions::default());
        TestApp {
            app,
            router,
            admin_token,
            viewer_token,
            dir,
        }
    }

    /// The demo with an editor (the programme office) and the editor's token.
    pub async fn with_editor() -> (TestApp, String) {
        let t = TestApp::start().await;
        let actor = Actor::system("test");
        t.app
            .add_user(
                "northmere",
                EDITOR_EMAIL,
                "PMO",
                Role::ProgrammeOffice,
                PASSWORD,
                &actor,
            )
            .await
            .expect("add editor");
        let (_, token) = t
            .app
            .create_token(EDITOR_EMAIL, "tests", &actor)
            .await
            .expect("editor token");
        (t, token)
    }

    /// Closes the database, then removes the temp directory.
    pub async fn finish(self) {
        self.app.store.close().await;
        let path = self.dir.path().to_path_buf();
        drop(self.dir);
        assert!(
            !path.exists(),
            "temp dir {} was not removed",
            path.display()
        );
    }

    pub async fn call(&self, request: Request<Body>) -> Resp {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("the router is infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("read body");
        Resp {
            status,
            headers,
            body,
        }
    }

    /// A GET with an optional bearer token.
    pub async fn get(&self, path: &str, token: Option<&str>) -> Resp {
        let mut b = Request::builder().method(Method::GET).uri(path);
        if let Some(t) = token {
            b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        self.call(b.body(Body::empty()).unwrap()).await
    }

    /// A JSON request with a bearer token and optional If-Match.
    pub async fn json(
        &self,
        method: Method,
        path: &str,
        token: &str,
        if_match: Option<&str>,
        body: &Value,
    ) -> Resp {
        let mut b = Request::builder()
            .method(method)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(m) = if_match {
            b = b.header(header::IF_MATCH, m);
        }
        self.call(b.body(Body::from(body.to_string())).unwrap())
            .await
    }

    /// A request with raw bytes and chosen headers (token always sent).
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        token: &str,
        headers: &[(&str, &str)],
        body: impl Into<Body>,
    ) -> Resp {
        let mut b = Request::builder()
            .method(method)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"));
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        self.call(b.body(body.into()).unwrap()).await
    }

    /// Total projects on the dashboard, as the admin sees it.
    pub async fn total(&self) -> i64 {
        let r = self.get("/api/v1/dashboard", Some(&self.admin_token)).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        r.json()["total"].as_i64().expect("total")
    }

    /// A project as the admin reads it through the API.
    pub async fn project(&self, code: &str) -> Project {
        let r = self
            .get(&format!("/api/v1/projects/{code}"), Some(&self.admin_token))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        serde_json::from_slice(&r.body).expect("a project")
    }

    /// Signs in through the form as `email`; returns the session cookie value
    /// and the session's CSRF token (read from a signed-in page).
    pub async fn sign_in(&self, email: &str) -> Session {
        let form = self.get("/sign-in", None).await;
        assert_eq!(form.status, StatusCode::OK);
        let csrf = hidden_input(&form.text(), "csrf_token").expect("csrf_token on sign-in");
        let cookie = form.cookie("portfolio_sign_in").expect("sign-in cookie");
        let r = self
            .call(
                Request::builder()
                    .method(Method::POST)
                    .uri("/sign-in")
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .header(header::COOKIE, format!("portfolio_sign_in={cookie}"))
                    .body(Body::from(form_encode(&[
                        ("email", email),
                        ("password", PASSWORD),
                        ("csrf_token", &csrf),
                        ("next", "/"),
                    ])))
                    .unwrap(),
            )
            .await;
        assert!(r.status.is_redirection(), "sign in: {}", r.status);
        let session = r.cookie("portfolio_session").expect("session cookie");
        let mut s = Session {
            cookie: session,
            csrf: String::new(),
        };
        let page = self.page(&s, "/").await;
        assert_eq!(page.status, StatusCode::OK);
        s.csrf = hidden_input(&page.text(), "csrf_token").expect("csrf_token on a signed-in page");
        s
    }

    /// A signed-in GET.
    pub async fn page(&self, s: &Session, path: &str) -> Resp {
        self.call(
            Request::builder()
                .uri(path)
                .header(header::COOKIE, format!("portfolio_session={}", s.cookie))
                .body(Body::empty())
                .unwrap(),
        )
        .await
    }

    /// A signed-in form POST.
    pub async fn post_form(&self, s: &Session, path: &str, pairs: &[(&str, &str)]) -> Resp {
        self.call(
            Request::builder()
                .method(Method::POST)
                .uri(path)
                .header(header::COOKIE, format!("portfolio_session={}", s.cookie))
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(form_encode(pairs)))
                .unwrap(),
        )
        .await
    }
}

/// A signed-in browser.
pub struct Session {
    pub cookie: String,
    pub csrf: String,
}

/// A response, read whole.
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Resp {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::to_string)
            .collect()
    }

    /// The whole Set-Cookie line for a cookie name.
    pub fn set_cookie_line(&self, name: &str) -> Option<String> {
        self.set_cookies()
            .into_iter()
            .find(|c| c.starts_with(&format!("{name}=")))
    }

    /// The value a Set-Cookie gives a cookie (None when not set or when removed).
    pub fn cookie(&self, name: &str) -> Option<String> {
        let line = self.set_cookie_line(name)?;
        let value = line[name.len() + 1..].split(';').next()?.trim().to_string();
        (!value.is_empty()).then_some(value)
    }

    /// Asserts an `application/problem+json` document with this status, naming
    /// `field` in `errors[].field` when given; returns the document.
    #[track_caller]
    pub fn problem(&self, status: u16, field: Option<&str>) -> Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "status; body: {}",
            self.text()
        );
        let ct = self.header("content-type").unwrap_or("");
        assert!(
            ct.starts_with("application/problem+json"),
            "content-type {ct:?} for {status}; body: {}",
            self.text()
        );
        let doc = self.json();
        assert_eq!(doc["status"].as_u64(), Some(u64::from(status)), "{doc}");
        assert!(
            doc["type"]
                .as_str()
                .is_some_and(|t| t.starts_with("https://portfolio.invalid/problems/")),
            "{doc}"
        );
        assert!(
            doc["title"].is_string() && doc["detail"].is_string(),
            "{doc}"
        );
        if let Some(field) = field {
            assert!(
                fields(&doc).iter().any(|f| f == field),
                "no error for field {field:?}: {doc}"
            );
        }
        doc
    }
}

/// The `errors[].field` names of a problem document.
pub fn fields(doc: &Value) -> Vec<String> {
    doc["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|e| e["field"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The value of `<input ... name="NAME" value="...">` in a page.
pub fn hidden_input(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].to_string())
}

/// `application/x-www-form-urlencoded`.
pub fn form_encode(pairs: &[(&str, &str)]) -> String {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                    (b as char).to_string()
                }
                b' ' => "+".to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// A project the API accepts.
pub fn valid_draft() -> Value {
    serde_json::json!({
        "title": "Digital front door for adult social care",
        "summary": "Residents request an assessment online.",
        "department": "health-and-care",
        "themes": ["virtual-service-delivery"],
        "stage": "concept",
        "sponsor": "Director of Adult Social Care",
        "manager": "Priya Shah",
        "start_date": "2026-04-01",
        "end_date": "2027-03-31",
        "costs": [{"year": "2026/27", "capital_pence": 12_500_000, "revenue_pence": 250_000}],
        "confidence": "amber",
        "tags": ["assessment"],
        "published": false
    })
}

/// A stored project as the JSON body that would update it unchanged.
pub fn draft_of(p: &Project) -> Value {
    serde_json::to_value(p.to_draft()).expect("draft as JSON")
}

// ---------------------------------------------------------------------------
// Stage gates
// ---------------------------------------------------------------------------

/// A concept project of the demo not waiting on a gate.
pub async fn free_concept_project(t: &TestApp) -> String {
    let r = t
        .get("/api/v1/gate-requests?status=pending", Some(&t.admin_token))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let waiting: Vec<String> = r.json()["gate_requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["project_code"].as_str().unwrap().to_string())
        .collect();
    let r = t
        .get(
            "/api/v1/projects?stage=concept&limit=50",
            Some(&t.admin_token),
        )
        .await;
    r.json()["projects"]
        .as_array()
        .expect("projects")
        .iter()
        .map(|p| p["code"].as_str().unwrap().to_string())
        .find(|c| !waiting.contains(c))
        .expect("a concept project")
}

pub async fn concept_design_keys(t: &TestApp) -> Vec<String> {
    let r = t
        .get("/api/v1/gate-checklists", Some(&t.viewer_token))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let lists = r.json()["checklists"].as_array().unwrap().clone();
    assert_eq!(lists.len(), 5);
    let cd = lists
        .iter()
        .find(|l| l["gate"] == "concept-design")
        .unwrap();
    cd["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["key"].as_str().unwrap().to_string())
        .collect()
}

pub fn evidence(keys: &[String], note: &str) -> Value {
    Value::Array(
        keys.iter()
            .map(|k| json!({"item": k, "provided": true, "note": note}))
            .collect(),
    )
}
