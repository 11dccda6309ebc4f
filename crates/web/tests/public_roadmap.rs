//! The public roadmap, signed out, on the demo council: only published
//! projects in the stages it shows, no internal data, grouped by theme then
//! stage; the JSON and CSV open data with stable fields, a schema whose
//! required fields every document has, cache headers, strong ETags and 304;
//! an unknown organisation is a 404 page; and what the project form writes
//! for residents appears.

mod common;

use std::collections::HashSet;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use common::{draft_of, TestApp};
use serde_json::{json, Value};

async fn get(t: &TestApp, path: &str, if_none_match: Option<&str>) -> common::Resp {
    let mut b = Request::builder().method(Method::GET).uri(path);
    if let Some(tag) = if_none_match {
        b = b.header(header::IF_NONE_MATCH, tag);
    }
    t.call(b.body(Body::empty()).unwrap()).await
}

#[tokio::test]
async fn only_published_projects_are_shown_to_anyone() {
    let t = TestApp::start().await;
    let org = t.app.store.organisation_by_slug("northmere").await.unwrap();
    let all = t.app.store.all_projects(org.id).await.unwrap();
    let shown_stages = ["idea", "concept", "design", "delivery", "on_hold", "live"];
    let public: Vec<_> = all
        .iter()
        .filter(|p| p.published && shown_stages.contains(&p.stage.as_str()))
        .collect();
    let hidden: Vec<_> = all.iter().filter(|p| !p.published).collect();
    assert!(
        !public.is_empty() && !hidden.is_empty(),
        "the demo has both"
    );

    let r = get(&t, "/public/northmere/roadmap", None).await;
    assert_eq!(r.status, StatusCode::OK, "open to anyone signed out");
    assert_eq!(r.header("cache-control"), Some("public, max-age=300"));
    let html = r.text();
    assert!(html.contains("Northmere County Council"));
    assert!(!html.contains("Sign out"), "no signed-in navigation");
    for p in &public {
        assert!(
            html.contains(&format!("data-code=\"{}\"", p.code)),
            "{} shown",
            p.code
        );
        if !p.residents.is_empty() {
            let escaped = p.residents.replace('\'', "&#x27;").replace('"', "&quot;");
            assert!(html.contains(&escaped), "{}'s text for residents", p.code);
        }
    }
    for p in &hidden {
        assert!(
            !html.contains(&format!("data-code=\"{}\"", p.code)),
            "{} is not published",
            p.code
        );
    }
    for internal in ["£", "Amber", "Red</", "Green</", "Total cost"] {
        assert!(!html.contains(internal), "no internal data: {internal}");
    }
    for p in &all {
        if !p.sponsor.is_empty() {
            assert!(
                !html.contains(&p.sponsor),
                "no people's names: {}",
                p.sponsor
            );
        }
    }
    assert!(
        html.contains("Being delivered") || html.contains("Being designed"),
        "stages in plain English"
    );
    assert!(html.contains("(20"), "dates as financial quarters");

    // Open data: the same projects.
    let r = get(&t, "/public/northmere/roadmap.json", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("content-type"), Some("application/json"));
    let doc = r.json();
    let codes: HashSet<String> = doc["projects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["code"].as_str().unwrap().to_string())
        .collect();
    let expected: HashSet<String> = public.iter().map(|p| p.code.clone()).collect();
    assert_eq!(codes, expected);
    for p in doc["projects"].as_array().unwrap() {
        for internal in [
            "capital_pence",
            "confidence",
            "sponsor",
            "manager",
            "tags",
            "summary",
        ] {
            assert!(p.get(internal).is_none(), "no {internal} in the open data");
        }
    }

    // Unpublishing a project takes it off at once.
    let first = public[0];
    let path = format!("/api/v1/projects/{}", first.code);
    let mut draft = draft_of(first);
    draft["published"] = json!(false);
    let r = t
        .json(
            Method::PUT,
            &path,
            &t.admin_token,
            Some(&format!("\"v{}\"", first.version)),
            &draft,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let doc = get(&t, "/public/northmere/roadmap.json", None).await.json();
    assert!(!doc["projects"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["code"] == first.code.as_str()));
    let html = get(&t, "/public/northmere/roadmap", None).await.text();
    assert!(!html.contains(&format!("data-code=\"{}\"", first.code)));

    let r = get(&t, "/public/nowhere/roadmap", None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.text().contains("no public roadmap at this address"));
    for path in [
        "/public/nowhere/roadmap.json",
        "/public/nowhere/roadmap.csv",
        "/public/%3Cscript%3E/roadmap",
    ] {
        assert_eq!(
            get(&t, path, None).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    t.finish().await;
}

#[tokio::test]
async fn open_data_has_a_schema_stable_fields_and_etags() {
    let t = TestApp::start().await;
    let r = get(&t, "/public/roadmap.schema.json", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("content-type"), Some("application/schema+json"));
    let schema = r.json();

    let r = get(&t, "/public/northmere/roadmap.json", None).await;
    let etag = r.header("etag").expect("an ETag").to_string();
    assert!(
        etag.starts_with('"') && !etag.starts_with("W/"),
        "a strong ETag: {etag}"
    );
    assert_eq!(r.header("cache-control"), Some("public, max-age=300"));
    let doc: Value = r.json();

    // Every field the schema requires is there, with the type it says.
    let required = |v: &Value| -> Vec<String> {
        v["required"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect()
    };
    for field in required(&schema) {
        assert!(doc.get(&field).is_some(), "the document has {field}");
    }
    for field in required(&schema["properties"]["organisation"]) {
        assert!(
            doc["organisation"][&field].is_string(),
            "organisation.{field}"
        );
    }
    let item = &schema["properties"]["projects"]["items"];
    let stages: Vec<&Value> = item["properties"]["stage"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .collect();
    let projects = doc["projects"].as_array().unwrap();
    assert!(!projects.is_empty());
    for p in projects {
        for field in required(item) {
            let value = p
                .get(&field)
                .unwrap_or_else(|| panic!("{} has no {field}", p["code"]));
            let types = &item["properties"][&field]["type"];
            let ok = match types {
                Value::String(t) => json_type(value) == t,
                Value::Array(ts) => ts.iter().any(|t| t.as_str() == Some(json_type(value))),
                _ => false,
            };
            assert!(ok, "{}.{field} is {value}, not {types}", p["code"]);
        }
        assert!(
            stages.contains(&&p["stage"]),
            "{} stage {}",
            p["code"],
            p["stage"]
        );
        if let Some(q) = p["expected_end_quarter"].as_str() {
            assert!(
                q.len() == 10 && q.contains(" Q"),
                "a financial quarter: {q}"
            );
        }
    }

    // The same ETag again: 304, no body.
    let r = get(&t, "/public/northmere/roadmap.json", Some(&etag)).await;
    assert_eq!(r.status, StatusCode::NOT_MODIFIED);
    assert!(r.body.is_empty());
    assert_eq!(r.header("etag"), Some(etag.as_str()));
    let r = get(
        &t,
        "/public/northmere/roadmap.json",
        Some("\"something-else\""),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);

    // The CSV: stable field names, the same projects, its own ETag.
    let r = get(&t, "/public/northmere/roadmap.csv", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("content-type"), Some("text/csv; charset=utf-8"));
    let csv_etag = r.header("etag").unwrap().to_string();
    assert_ne!(csv_etag, etag);
    let text = r.text();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    assert_eq!(
        headers,
        portfolio_app::roadmap::CSV_FIELDS
            .map(str::to_string)
            .to_vec()
    );
    assert_eq!(reader.records().count(), projects.len());
    let r = get(&t, "/public/northmere/roadmap.csv", Some(&csv_etag)).await;
    assert_eq!(r.status, StatusCode::NOT_MODIFIED);

    // A change to a published project changes the ETag.
    let code = projects[0]["code"].as_str().unwrap();
    let p = t.project(code).await;
    let mut draft = draft_of(&p);
    draft["residents"] = json!("You can report a pothole online & track it: <it's> \"quick\".");
    let r = t
        .json(
            Method::PUT,
            &format!("/api/v1/projects/{code}"),
            &t.admin_token,
            Some(&format!("\"v{}\"", p.version)),
            &draft,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = get(&t, "/public/northmere/roadmap.json", Some(&etag)).await;
    assert_eq!(r.status, StatusCode::OK, "changed, so sent again");
    assert_ne!(r.header("etag"), Some(etag.as_str()));
    let doc = r.json();
    assert_eq!(
        doc["projects"][0]["what_changes_for_residents"],
        "You can report a pothole online & track it: <it's> \"quick\"."
    );
    let html = get(&t, "/public/northmere/roadmap", None).await.text();
    assert!(
        html.contains("track it: &lt;it&#x27;s&gt; &quot;quick&quot;."),
        "escaped on the page"
    );
    t.finish().await;
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[tokio::test]
async fn the_project_form_writes_what_changes_for_residents() {
    let t = TestApp::start().await;
    let s = t.sign_in(common::ADMIN_EMAIL).await;
    let form = t.page(&s, "/projects/new").await.text();
    assert!(form.contains("What this changes for residents"));
    let p = t.project("DP-001").await;
    let too_long = "x".repeat(601);
    let mut draft = draft_of(&p);
    draft["residents"] = json!(too_long);
    let r = t
        .json(
            Method::PUT,
            "/api/v1/projects/DP-001",
            &t.admin_token,
            Some(&format!("\"v{}\"", p.version)),
            &draft,
        )
        .await;
    r.problem(422, Some("residents"));
    let dashboard = t.page(&s, "/").await.text();
    assert!(
        dashboard.contains("id=\"public-roadmap-link\""),
        "the app links the public roadmap"
    );
    t.finish().await;
}
