//! Merging duplicate projects, through the JSON API and through the pages:
//! lineage on both projects, audit, undo, and refusals that name the field
//! or the project and write nothing.

mod common;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use common::{Resp, TestApp, ADMIN_EMAIL, VIEWER_EMAIL};
use serde_json::{json, Value};

const TWIN_A: &str = "Children's case mgmt system replacement";
const TWIN_B: &str = "Replace children's social care case management system";

/// Creates a project in Families and Communities; returns its code.
async fn create(t: &TestApp, title: &str, change: impl FnOnce(&mut Value)) -> String {
    let mut body = common::valid_draft();
    body["title"] = json!(title);
    body["summary"] = json!("");
    body["department"] = json!("families-and-communities");
    change(&mut body);
    let r = t
        .json(
            Method::POST,
            "/api/v1/projects",
            &t.admin_token,
            None,
            &body,
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    r.json()["code"].as_str().expect("code").to_string()
}

/// The twins: A with the valid draft's costs and theme, B with its own.
async fn twins(t: &TestApp) -> (String, String) {
    let a = create(t, TWIN_A, |b| {
        b["summary"] = json!("Replace the ageing system.")
    })
    .await;
    let b = create(t, TWIN_B, |b| {
        b["summary"] = json!("Social workers need one record.");
        b["themes"] = json!(["smart-and-virtual-working"]);
        b["costs"] = json!([
            {"year": "2026/27", "capital_pence": 1_000_000, "revenue_pence": 0},
            {"year": "2027/28", "capital_pence": 500_000, "revenue_pence": 50_000}
        ]);
        b["stage"] = json!("design");
    })
    .await;
    (a, b)
}

fn merge_body(a: &str, av: i64, b: &str, bv: i64, fields: Value) -> Value {
    json!({
        "survivor": {"code": a, "version": av},
        "merged": [{"code": b, "version": bv}],
        "fields": fields,
    })
}

async fn post(t: &TestApp, path: &str, token: &str, body: &Value) -> Resp {
    t.json(Method::POST, path, token, None, body).await
}

async fn undo(t: &TestApp, id: i64, token: &str) -> Resp {
    t.raw(
        Method::POST,
        &format!("/api/v1/merges/{id}/undo"),
        token,
        &[],
        Body::empty(),
    )
    .await
}

async fn lineage(t: &TestApp, code: &str) -> Value {
    let r = t
        .get(
            &format!("/api/v1/projects/{code}/lineage"),
            Some(&t.viewer_token),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()
}

fn total_pence(project: &Value) -> i64 {
    project["costs"]
        .as_array()
        .expect("costs")
        .iter()
        .map(|c| c["capital_pence"].as_i64().unwrap() + c["revenue_pence"].as_i64().unwrap())
        .sum()
}

#[tokio::test]
async fn a_merge_keeps_lineage_on_both_projects_and_can_be_undone() {
    let t = TestApp::start().await;
    let (a, b) = twins(&t).await;
    let before_a = t.project(&a).await;
    let before_b = t.project(&b).await;
    let total = t.total().await;

    let r = post(
        &t,
        "/api/v1/merges",
        &t.admin_token,
        &merge_body(
            &a,
            1,
            &b,
            1,
            json!({"title": b, "costs": "combine", "themes": "combine", "summary": "combine"}),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let merge = r.json();
    let id = merge["id"].as_i64().expect("an id");
    assert_eq!(
        r.header("location"),
        Some(format!("/api/v1/merges/{id}").as_str())
    );
    let survivor = &merge["survivor"];
    assert_eq!(survivor["code"], a.as_str());
    assert_eq!(survivor["title"], TWIN_B);
    assert_eq!(
        survivor["summary"],
        "Replace the ageing system.\n\nSocial workers need one record."
    );
    assert_eq!(survivor["version"], 2);
    assert_eq!(
        total_pence(survivor),
        12_500_000 + 250_000 + 1_000_000 + 500_000 + 50_000,
        "the costs are added together"
    );
    assert_eq!(survivor["themes"].as_array().unwrap().len(), 2);
    assert_eq!(merge["merged"][0]["code"], b.as_str());
    assert_eq!(merge["merged"][0]["stage"], "merged");
    assert_eq!(merge["merged_by"], ADMIN_EMAIL);
    assert!(merge["undone_at"].is_null());

    // The merged project keeps its record; the register still counts it.
    let merged = t.project(&b).await;
    assert_eq!(merged.title, TWIN_B);
    assert_eq!(merged.version, 2);
    assert_eq!(t.total().await, total);

    // Lineage, both ways.
    let from = lineage(&t, &a).await;
    assert!(from["merged_into"].is_null(), "{from}");
    assert_eq!(from["merged_from"][0]["code"], b.as_str());
    assert_eq!(from["merged_from"][0]["merge_id"], id);
    let into = lineage(&t, &b).await;
    assert_eq!(into["merged_into"]["code"], a.as_str());
    assert_eq!(into["merged_into"]["title"], TWIN_B);
    assert_eq!(into["merged_from"], json!([]));

    // The merge reads back; a viewer may read it but not undo it.
    let r = t
        .get(&format!("/api/v1/merges/{id}"), Some(&t.viewer_token))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json(), merge);
    undo(&t, id, &t.viewer_token).await.problem(403, None);

    // Undo: both projects have their values back, at a new version.
    let r = undo(&t, id, &t.admin_token).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let undone = r.json();
    assert!(undone["undone_at"].is_string(), "{undone}");
    for (before, code) in [(&before_a, &a), (&before_b, &b)] {
        let now = t.project(code).await;
        assert_eq!(now.to_input(), before.to_input(), "{code} is restored");
        assert_eq!(now.version, 3);
    }
    assert_eq!(lineage(&t, &a).await["merged_from"], json!([]));
    assert!(lineage(&t, &b).await["merged_into"].is_null());

    // Not twice.
    let doc = undo(&t, id, &t.admin_token)
        .await
        .problem(422, Some("merge"));
    assert!(
        doc["detail"]
            .as_str()
            .unwrap()
            .contains("already been undone"),
        "{doc}"
    );
    t.finish().await;
}

#[tokio::test]
async fn bad_merges_are_refused_naming_the_field_and_write_nothing() {
    let t = TestApp::start().await;
    let (a, b) = twins(&t).await;
    let token = t.admin_token.clone();
    let cases: Vec<(Value, &str)> = vec![
        (
            json!({"survivor": {"code": a, "version": 1}, "merged": []}),
            "merged",
        ),
        (
            merge_body(&a, 1, &b, 1, json!({"colour": b})),
            "fields.colour",
        ),
        (
            merge_body(&a, 1, &b, 1, json!({"title": "combine"})),
            "fields.title",
        ),
        (
            merge_body(&a, 1, &b, 1, json!({"title": "DP-999"})),
            "fields.title",
        ),
        (merge_body(&a, 1, &a, 1, json!({})), "merged[0].code"),
        (merge_body(&a, 1, "DP-999", 1, json!({})), "merged[0].code"),
        (
            merge_body(&a, 1, "not a code", 1, json!({})),
            "merged[0].code",
        ),
        (merge_body(&a, 0, &b, 1, json!({})), "survivor.version"),
    ];
    for (body, field) in cases {
        let r = post(&t, "/api/v1/merges", &token, &body).await;
        r.problem(422, Some(field));
    }
    // Not the JSON expected, or not JSON at all.
    let r = post(
        &t,
        "/api/v1/merges",
        &token,
        &json!({"survivor": {"code": a, "version": 1}, "merged": [], "colour": 1}),
    )
    .await;
    r.problem(400, None);
    let r = t
        .raw(
            Method::POST,
            "/api/v1/merges",
            &token,
            &[("content-type", "text/plain")],
            "survivor=DP-001",
        )
        .await;
    r.problem(415, None);
    // A viewer cannot merge.
    let r = post(
        &t,
        "/api/v1/merges",
        &t.viewer_token,
        &merge_body(&a, 1, &b, 1, json!({})),
    )
    .await;
    r.problem(403, None);

    // A stale version is refused, naming the project that changed.
    let mut draft = common::draft_of(&t.project(&b).await);
    draft["title"] = json!("Renamed meanwhile");
    let r = t
        .json(
            Method::PUT,
            &format!("/api/v1/projects/{b}"),
            &token,
            Some("\"v1\""),
            &draft,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = post(
        &t,
        "/api/v1/merges",
        &token,
        &merge_body(&a, 1, &b, 1, json!({})),
    )
    .await;
    let doc = r.problem(412, None);
    assert_eq!(doc["current_version"], 2, "{doc}");
    assert!(doc["detail"].as_str().unwrap().contains(&b), "{doc}");

    // Unknown merges, by number or not.
    undo(&t, 999, &token).await.problem(404, None);
    let r = t
        .raw(
            Method::POST,
            "/api/v1/merges/abc/undo",
            &token,
            &[],
            Body::empty(),
        )
        .await;
    r.problem(404, None);
    t.get("/api/v1/projects/DP-999/lineage", Some(&token))
        .await
        .problem(404, None);

    // Nothing was written by any of it.
    assert_eq!(t.project(&a).await.version, 1);
    assert_eq!(t.project(&b).await.version, 2);
    assert_eq!(lineage(&t, &a).await["merged_from"], json!([]));

    // A merged project cannot be merged again.
    let r = post(
        &t,
        "/api/v1/merges",
        &token,
        &merge_body(&a, 1, &b, 2, json!({})),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let c = create(&t, "Another", |_| {}).await;
    let r = post(
        &t,
        "/api/v1/merges",
        &token,
        &merge_body(&c, 1, &b, 3, json!({})),
    )
    .await;
    let doc = r.problem(422, Some("merged[0].code"));
    assert!(
        doc["detail"].as_str().unwrap().contains("already merged"),
        "{doc}"
    );
    t.finish().await;
}

#[tokio::test]
async fn an_undo_after_a_later_edit_is_refused_and_another_organisation_cannot_see_a_merge() {
    let t = TestApp::start().await;
    let (a, b) = twins(&t).await;
    let r = post(
        &t,
        "/api/v1/merges",
        &t.admin_token,
        &merge_body(&a, 1, &b, 1, json!({})),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["id"].as_i64().unwrap();

    let mut draft = common::draft_of(&t.project(&a).await);
    draft["title"] = json!("Edited after the merge");
    let r = t
        .json(
            Method::PUT,
            &format!("/api/v1/projects/{a}"),
            &t.admin_token,
            Some("\"v2\""),
            &draft,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let doc = undo(&t, id, &t.admin_token)
        .await
        .problem(422, Some("merge"));
    assert!(
        doc["detail"]
            .as_str()
            .unwrap()
            .contains(&format!("{a} has changed since the merge")),
        "{doc}"
    );
    assert_eq!(t.project(&a).await.title, "Edited after the merge");
    assert_eq!(t.project(&b).await.stage, portfolio_domain::Stage::Merged);

    let actor = portfolio_app::Actor::system("test");
    t.app
        .seed_organisation("other", "Other Council", &[], &actor)
        .await
        .unwrap();
    t.app
        .add_user(
            "other",
            "someone@other.example",
            "Someone",
            portfolio_domain::Role::Administrator,
            common::PASSWORD,
            &actor,
        )
        .await
        .unwrap();
    let other = t
        .app
        .create_token("someone@other.example", "tests", &actor)
        .await
        .unwrap()
        .1;
    t.get(&format!("/api/v1/merges/{id}"), Some(&other))
        .await
        .problem(404, None);
    undo(&t, id, &other).await.problem(404, None);
    t.finish().await;
}

/// The pairs of `name=value` inputs a page's form would post (hidden inputs
/// and checked radios), in page order.
fn form_inputs(html: &str, form_start: &str) -> Vec<(String, String)> {
    let start = html.find(form_start).expect("the form");
    let form = &html[start..start + html[start..].find("</form>").expect("form end")];
    let mut out = Vec::new();
    for input in form.split("<input").skip(1) {
        let tag = &input[..input.find('>').unwrap_or(input.len())];
        let attr = |name: &str| {
            let marker = format!("{name}=\"");
            tag.find(&marker).map(|i| {
                let rest = &tag[i + marker.len()..];
                rest[..rest.find('"').unwrap_or(rest.len())].to_string()
            })
        };
        let (Some(name), Some(value)) = (attr("name"), attr("value")) else {
            continue;
        };
        let radio = tag.contains("type=\"radio\"");
        if !radio || tag.contains(" checked") {
            out.push((name, value.replace("&#x2f;", "/")));
        }
    }
    out
}

fn with(pairs: &[(String, String)], changes: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = pairs
        .iter()
        .filter(|(k, _)| !changes.iter().any(|(c, _)| c == k))
        .cloned()
        .collect();
    out.extend(changes.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    out
}

fn borrowed(pairs: &[(String, String)]) -> Vec<(&str, &str)> {
    pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

#[tokio::test]
async fn the_pages_lead_from_duplicates_to_a_merge_with_lineage_and_undo() {
    let t = TestApp::start().await;
    let (a, b) = twins(&t).await;
    let s = t.sign_in(ADMIN_EMAIL).await;

    // Possible duplicates links the pair to the merge page.
    let html = t.page(&s, "/duplicates").await.text();
    let href = format!("/merge?projects={a},{b}");
    assert!(html.contains(&format!("href=\"{href}\"")), "{html}");
    assert!(html.contains("Merge these projects"), "{html}");

    // The merge page compares them and asks for choices.
    let r = t.page(&s, &href).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let html = r.text();
    assert!(html.contains("<h1 class=\"govuk-heading-l\">Merge projects</h1>"));
    assert!(html.contains("Which project continues?"));
    assert!(html.contains("name=\"field_title\""), "{html}");
    assert!(html.contains("Add the costs together, year by year"));
    assert!(
        !html.contains("name=\"field_department\""),
        "the same department needs no choice"
    );
    let pairs = form_inputs(&html, "<form method=\"post\" action=\"/merge\"");
    let chosen = with(
        &pairs,
        &[
            ("field_title", b.as_str()),
            ("field_costs", "combine"),
            ("field_summary", "combine"),
        ],
    );

    // A bad CSRF token is refused.
    let bad = with(&chosen, &[("csrf_token", "wrong")]);
    assert_eq!(
        t.post_form(&s, "/merge", &borrowed(&bad)).await.status,
        StatusCode::FORBIDDEN
    );

    // A choice the domain refuses comes back with an error summary linking to the field.
    let refused = with(&chosen, &[("field_title", "combine")]);
    let r = t.post_form(&s, "/merge", &borrowed(&refused)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    let html = r.text();
    assert!(html.contains("govuk-error-summary"), "{html}");
    assert!(html.contains("href=\"#field_title\""), "{html}");

    // Continue: the result to check.
    let r = t.post_form(&s, "/merge", &borrowed(&chosen)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let html = r.text();
    assert!(
        html.contains("Check the merge before you confirm it"),
        "{html}"
    );
    assert!(html.contains("£143,000 in all"), "the added costs: {html}");
    assert!(html.contains(&format!("From {b}")), "{html}");
    assert_eq!(t.project(&a).await.version, 1, "nothing written yet");

    // Confirm: merged, and the survivor's page says so.
    let confirm = with(
        &form_inputs(&html, "<form method=\"post\" action=\"/merge\""),
        &[("step", "confirm")],
    );
    let r = t.post_form(&s, "/merge", &borrowed(&confirm)).await;
    assert!(r.status.is_redirection(), "{} {}", r.status, r.text());
    let location = r.header("location").expect("a redirect").to_string();
    assert!(
        location.starts_with(&format!("/projects/{a}?merged=")),
        "{location}"
    );
    let html = t.page(&s, &location).await.text();
    assert!(html.contains("Projects merged."), "{html}");
    assert!(html.contains("Merged from"), "{html}");
    assert!(html.contains(&format!("href=\"/projects/{b}\"")), "{html}");
    assert!(html.contains("Undo this merge"), "{html}");
    assert!(
        html.contains("<strong>Merged</strong> by admin"),
        "history: {html}"
    );
    assert_eq!(t.project(&a).await.title, TWIN_B);

    // The merged project's page links back, with the same undo.
    let html = t.page(&s, &format!("/projects/{b}")).await.text();
    assert!(html.contains("Merged into"), "{html}");
    assert!(html.contains(&format!("href=\"/projects/{a}\"")), "{html}");
    let id: String = location.rsplit('=').next().unwrap().to_string();
    let undo_path = format!("/merges/{id}/undo");
    assert!(html.contains(&format!("action=\"{undo_path}\"")), "{html}");

    // A viewer sees the lineage but no undo button, and cannot merge.
    let v = t.sign_in(VIEWER_EMAIL).await;
    let html = t.page(&v, &format!("/projects/{b}")).await.text();
    assert!(html.contains("Merged into"), "{html}");
    assert!(!html.contains("Undo this merge"), "{html}");
    assert_eq!(t.page(&v, &href).await.status, StatusCode::FORBIDDEN);
    assert!(!t
        .page(&v, "/duplicates")
        .await
        .text()
        .contains("Merge these projects"));

    // Undo from the merged project's page returns to it.
    let r = t
        .post_form(&s, &undo_path, &[("csrf_token", &s.csrf), ("back", &b)])
        .await;
    assert!(r.status.is_redirection(), "{} {}", r.status, r.text());
    let location = r.header("location").unwrap().to_string();
    assert_eq!(location, format!("/projects/{b}?undone={id}"));
    let html = t.page(&s, &location).await.text();
    assert!(html.contains("Merge undone."), "{html}");
    assert!(!html.contains("Merged into"), "{html}");
    assert_eq!(t.project(&a).await.title, TWIN_A);
    t.finish().await;
}

#[tokio::test]
async fn the_merge_page_refuses_stale_versions_and_undo_refusals_are_explained() {
    let t = TestApp::start().await;
    let (a, b) = twins(&t).await;
    let s = t.sign_in(ADMIN_EMAIL).await;
    let html = t.page(&s, &format!("/merge?projects={a},{b}")).await.text();
    let pairs = form_inputs(&html, "<form method=\"post\" action=\"/merge\"");

    // Someone edits b meanwhile: the merge is refused, naming it.
    let mut draft = common::draft_of(&t.project(&b).await);
    draft["title"] = json!("Renamed meanwhile");
    let r = t
        .json(
            Method::PUT,
            &format!("/api/v1/projects/{b}"),
            &t.admin_token,
            Some("\"v1\""),
            &draft,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let confirm = with(&pairs, &[("step", "confirm")]);
    let r = t.post_form(&s, "/merge", &borrowed(&confirm)).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    let html = r.text();
    assert!(
        html.contains(&format!("{b} was changed by someone else")),
        "{html}"
    );
    assert!(
        html.contains("Renamed meanwhile"),
        "the saved values: {html}"
    );
    assert_eq!(t.project(&a).await.version, 1, "nothing merged");

    // The page carries the new version: merging again works.
    let again = with(
        &form_inputs(&html, "<form method=\"post\" action=\"/merge\""),
        &[("step", "confirm")],
    );
    let r = t.post_form(&s, "/merge", &borrowed(&again)).await;
    assert!(r.status.is_redirection(), "{} {}", r.status, r.text());
    let location = r.header("location").unwrap().to_string();
    let id = location.rsplit('=').next().unwrap().to_string();

    // The survivor is edited after the merge: the undo is refused, and says why.
    let mut draft = common::draft_of(&t.project(&a).await);
    draft["title"] = json!("Edited after the merge");
    let r = t
        .json(
            Method::PUT,
            &format!("/api/v1/projects/{a}"),
            &t.admin_token,
            Some("\"v2\""),
            &draft,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = t
        .post_form(
            &s,
            &format!("/merges/{id}/undo"),
            &[("csrf_token", &s.csrf), ("back", &a)],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    let html = r.text();
    assert!(html.contains("govuk-error-summary"), "{html}");
    assert!(html.contains("href=\"#lineage\""), "{html}");
    assert!(html.contains("could not be undone"), "{html}");
    assert!(html.contains("has changed since the merge"), "{html}");

    // Pages for merges of fewer than two projects, or unknown ones, say what is wrong.
    for bad in [
        format!("/merge?projects={a}"),
        "/merge?projects=DP-001,DP-999".to_string(),
        format!("/merge?projects={a},{a}"),
        format!("/merge?projects={a},{b}"),
    ] {
        let r = t.page(&s, &bad).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}: {}", r.text());
    }
    t.finish().await;
}
