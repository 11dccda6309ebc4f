//! Capacity through the API and the pages: resource pools, budgets, project
//! plans and the heat map, on the demo council, with each role doing only
//! what it may.

mod common;

use axum::http::{Method, StatusCode};
use common::{TestApp, ADMIN_EMAIL, VIEWER_EMAIL};
use portfolio_domain::quarters::FinancialQuarter;
use portfolio_domain::Stage;
use serde_json::{json, Value};

/// A design project of the demo with a start date, and the quarter it starts in.
async fn design_project(t: &TestApp) -> (String, FinancialQuarter) {
    let org = t.app.store.organisation_by_slug("northmere").await.unwrap();
    let projects = t.app.store.all_projects(org.id).await.unwrap();
    let p = projects
        .iter()
        .find(|p| p.stage == Stage::Design && p.start_date.is_some())
        .expect("a design project with a start date");
    (
        p.code.clone(),
        FinancialQuarter::containing(p.start_date.unwrap(), org.financial_year_start_month),
    )
}

fn cell<'a>(map: &'a Value, pool: &str, quarter: &str) -> &'a Value {
    let row = map["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["pool"] == pool)
        .unwrap_or_else(|| panic!("no row for {pool}: {map}"));
    row["cells"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["quarter"] == quarter)
        .unwrap_or_else(|| panic!("no {quarter} cell for {pool}"))
}

#[tokio::test]
async fn pools_are_created_and_updated_with_versions_and_refuse_bad_supply() {
    let t = TestApp::start().await;
    let r = t.get("/api/v1/resource-pools", Some(&t.viewer_token)).await;
    assert_eq!(r.status, StatusCode::OK);
    let names: Vec<String> = r
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        names,
        [
            "Developers",
            "Business analysts",
            "RPA specialists",
            "Change managers",
            "Data engineers"
        ]
    );

    let testers = json!({"name": "Testers", "supply": [{"quarter": "2026/27 Q1", "amount": 2}, {"quarter": "2026/27 Q2", "amount": -1}]});
    let r = t
        .json(
            Method::POST,
            "/api/v1/resource-pools",
            &t.admin_token,
            None,
            &testers,
        )
        .await;
    let doc = r.problem(422, Some("supply[1].amount"));
    assert!(
        doc.to_string()
            .contains("supply in 2026/27 Q2 must not be negative"),
        "{doc}"
    );

    let r = t
        .json(
            Method::POST,
            "/api/v1/resource-pools",
            &t.viewer_token,
            None,
            &json!({"name": "Testers"}),
        )
        .await;
    r.problem(403, None);

    let good = json!({"name": "Testers", "supply": [{"quarter": "2026/27 Q1", "amount": 2.5}]});
    let r = t
        .json(
            Method::POST,
            "/api/v1/resource-pools",
            &t.admin_token,
            None,
            &good,
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.header("etag"), Some("\"v1\""));
    assert_eq!(r.header("location"), Some("/api/v1/resource-pools/testers"));
    let r = t
        .json(
            Method::POST,
            "/api/v1/resource-pools",
            &t.admin_token,
            None,
            &good,
        )
        .await;
    r.problem(422, Some("slug"));

    let more = json!({"name": "Testers", "supply": [{"quarter": "2026/27 Q1", "amount": 3}]});
    let r = t
        .json(
            Method::PUT,
            "/api/v1/resource-pools/testers",
            &t.admin_token,
            None,
            &more,
        )
        .await;
    r.problem(428, None);
    let r = t
        .json(
            Method::PUT,
            "/api/v1/resource-pools/testers",
            &t.admin_token,
            Some("\"v1\""),
            &more,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["supply"][0]["amount"], 3.0);
    let r = t
        .json(
            Method::PUT,
            "/api/v1/resource-pools/testers",
            &t.admin_token,
            Some("\"v1\""),
            &good,
        )
        .await;
    r.problem(412, None);
    let r = t
        .get("/api/v1/resource-pools/testers", Some(&t.viewer_token))
        .await;
    assert_eq!(r.header("etag"), Some("\"v2\""));
    assert_eq!(
        r.json()["supply"][0]["amount"],
        3.0,
        "the stale write changed nothing"
    );

    // A pool the demo's plans use cannot be deleted; an unused one can.
    let r = t
        .raw(
            Method::DELETE,
            "/api/v1/resource-pools/developers",
            &t.admin_token,
            &[("if-match", "\"v1\"")],
            "",
        )
        .await;
    let doc = r.problem(422, Some("pool"));
    assert!(
        doc.to_string().contains("DP-0"),
        "names the projects: {doc}"
    );
    let r = t
        .raw(
            Method::DELETE,
            "/api/v1/resource-pools/testers",
            &t.admin_token,
            &[("if-match", "\"v2\"")],
            "",
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    t.get("/api/v1/resource-pools/testers", Some(&t.admin_token))
        .await
        .problem(404, None);
    t.finish().await;
}

#[tokio::test]
async fn budgets_are_put_per_year() {
    let t = TestApp::start().await;
    let r = t.get("/api/v1/budgets", Some(&t.viewer_token)).await;
    let years: Vec<String> = r
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["year"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(years, ["2026/27", "2027/28", "2028/29"]);

    let body = json!({"capital_pence": 250_000_000, "revenue_pence": 60_000_000});
    let r = t
        .json(
            Method::PUT,
            "/api/v1/budgets/2029-30",
            &t.admin_token,
            None,
            &body,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.header("etag"), Some("\"v1\""));
    assert_eq!(r.json()["capital"], 250_000_000);
    // A second "first" write is refused: someone stored it meanwhile.
    let r = t
        .json(
            Method::PUT,
            "/api/v1/budgets/2029-30",
            &t.admin_token,
            None,
            &body,
        )
        .await;
    r.problem(412, None);
    let more = json!({"capital_pence": 300_000_000, "revenue_pence": 60_000_000});
    let r = t
        .json(
            Method::PUT,
            "/api/v1/budgets/2029-30",
            &t.admin_token,
            Some("\"v1\""),
            &more,
        )
        .await;
    assert_eq!(r.header("etag"), Some("\"v2\""), "{}", r.text());

    let bad = json!({"capital_pence": -5, "revenue_pence": 0});
    t.json(
        Method::PUT,
        "/api/v1/budgets/2030-31",
        &t.admin_token,
        None,
        &bad,
    )
    .await
    .problem(422, Some("capital_pence"));
    t.json(
        Method::PUT,
        "/api/v1/budgets/2030-32",
        &t.admin_token,
        None,
        &body,
    )
    .await
    .problem(422, Some("year"));
    t.json(
        Method::PUT,
        "/api/v1/budgets/2030-31",
        &t.viewer_token,
        None,
        &body,
    )
    .await
    .problem(403, None);
    let r = t.get("/api/v1/budgets", Some(&t.viewer_token)).await;
    assert_eq!(
        r.json().as_array().unwrap().len(),
        4,
        "nothing half-written"
    );
    t.finish().await;
}

#[tokio::test]
async fn plans_move_the_heat_map_and_refuse_cycles_and_unknown_pools() {
    let t = TestApp::start().await;
    // The demo's dependency: SEND improvements after the children's case management system.
    let r = t
        .get("/api/v1/projects/DP-020/plan", Some(&t.viewer_token))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["depends_on"], json!(["DP-019"]));

    let r = t
        .get("/api/v1/projects/DP-019/plan", Some(&t.admin_token))
        .await;
    let etag = r.header("etag").unwrap().to_string();
    let mut plan = r.json();
    let mut draft = json!({
        "earliest_start": plan["earliest_start"], "latest_start": plan["latest_start"],
        "duration_quarters": plan["duration_quarters"], "depends_on": ["DP-020"],
    });
    let r = t
        .json(
            Method::PUT,
            "/api/v1/projects/DP-019/plan",
            &t.admin_token,
            Some(&etag),
            &draft,
        )
        .await;
    let doc = r.problem(422, Some("depends_on"));
    assert!(
        doc.to_string().contains("DP-019 → DP-020 → DP-019"),
        "{doc}"
    );

    draft["depends_on"] = json!([]);
    draft["demand"] = json!([{"pool": "testers", "offset": 0, "amount": 1}]);
    let r = t
        .json(
            Method::PUT,
            "/api/v1/projects/DP-019/plan",
            &t.admin_token,
            Some(&etag),
            &draft,
        )
        .await;
    r.problem(422, Some("demand[0].pool"));

    // A design project's extra demand shows in the quarter it starts in.
    let (code, start) = design_project(&t).await;
    // Within the years the demo's pools have supply, 99 developers never fit.
    let overload = json!({
        "earliest_start": "2026/27 Q1", "latest_start": "2027/28 Q4", "duration_quarters": 2,
        "demand": [{"pool": "developers", "offset": 1, "amount": 99}],
    });
    let r = t
        .json(
            Method::PUT,
            &format!("/api/v1/projects/{code}/plan"),
            &t.admin_token,
            None,
            &overload,
        )
        .await;
    let doc = r.problem(422, Some("demand"));
    assert!(
        doc.to_string().contains("alone needs more Developers"),
        "{doc}"
    );
    let q = start.to_string();
    let from = format!("{}", start.year).replace('/', "-");
    let before = t
        .get(
            &format!("/api/v1/capacity/heat-map?from={from}&quarters=8"),
            Some(&t.viewer_token),
        )
        .await;
    assert_eq!(before.status, StatusCode::OK, "{}", before.text());
    let before = before.json();
    assert_eq!(before["quarters"].as_array().unwrap().len(), 8);
    let was = cell(&before, "data-engineers", &q)["demand"]
        .as_f64()
        .unwrap();
    let r = t
        .get(
            &format!("/api/v1/projects/{code}/plan"),
            Some(&t.admin_token),
        )
        .await;
    let etag = r.header("etag").unwrap().to_string();
    plan = r.json();
    let mut demand = plan["demand"].as_array().unwrap().clone();
    demand.retain(|d| d["pool"] != "data-engineers" || d["offset"] != 0);
    demand.push(json!({"pool": "data-engineers", "offset": 0, "amount": 1.25}));
    let demand: Vec<Value> = demand
        .into_iter()
        .map(|d| json!({"pool": d["pool"], "offset": d["offset"], "amount": d["amount"]}))
        .collect();
    let costs: Vec<Value> = plan["costs"].as_array().unwrap().iter().map(|c| json!({"offset": c["offset"], "capital_pence": c["capital"], "revenue_pence": c["revenue"]})).collect();
    let body = json!({
        "earliest_start": plan["earliest_start"], "latest_start": plan["latest_start"],
        "duration_quarters": plan["duration_quarters"], "demand": demand, "costs": costs,
        "benefits_pence": plan["benefits"], "mandatory": plan["mandatory"],
        "depends_on": plan["depends_on"], "exclusive_group": plan["exclusive_group"],
    });
    let own_before: f64 = plan["demand"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["pool"] == "data-engineers" && d["offset"] == 0)
        .map(|d| d["amount"].as_f64().unwrap())
        .sum();
    let r = t
        .json(
            Method::PUT,
            &format!("/api/v1/projects/{code}/plan"),
            &t.viewer_token,
            Some(&etag),
            &body,
        )
        .await;
    r.problem(403, None);
    let r = t
        .json(
            Method::PUT,
            &format!("/api/v1/projects/{code}/plan"),
            &t.admin_token,
            Some(&etag),
            &body,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let after = t
        .get(
            &format!("/api/v1/capacity/heat-map?from={from}&quarters=8"),
            Some(&t.viewer_token),
        )
        .await
        .json();
    let now = cell(&after, "data-engineers", &q)["demand"]
        .as_f64()
        .unwrap();
    assert!(
        (now - (was - own_before + 1.25)).abs() < 1e-9,
        "{was} → {now}"
    );
    assert!(cell(&after, "data-engineers", &q)["projects"]
        .as_array()
        .unwrap()
        .contains(&json!(code)));
    // The stale version is refused.
    let r = t
        .json(
            Method::PUT,
            &format!("/api/v1/projects/{code}/plan"),
            &t.admin_token,
            Some(&etag),
            &body,
        )
        .await;
    r.problem(412, None);

    t.get(
        "/api/v1/capacity/heat-map?from=next-year",
        Some(&t.viewer_token),
    )
    .await
    .problem(422, Some("from"));
    t.get(
        "/api/v1/capacity/heat-map?quarters=0",
        Some(&t.viewer_token),
    )
    .await
    .problem(422, Some("quarters"));
    t.finish().await;
}

#[tokio::test]
async fn the_heat_map_page_says_each_level_in_words() {
    let t = TestApp::start().await;
    let s = t.sign_in(VIEWER_EMAIL).await;
    let r = t.page(&s, "/capacity?from=2026-27&quarters=12").await;
    assert_eq!(r.status, StatusCode::OK);
    let html = r.text().replace("&#x2f;", "/");
    assert!(
        html.contains("<th scope=\"col\" class=\"govuk-table__header\">2026/27 Q1</th>"),
        "{html}"
    );
    assert!(html.contains("<th scope=\"col\" class=\"govuk-table__header\">2028/29 Q4</th>"));
    assert!(html.contains("Developers"));
    let words = ["Under capacity", "Near capacity", "Over capacity"];
    assert!(words.iter().any(|w| html.contains(w)));
    // Every coloured cell also says its level.
    assert_eq!(
        html.matches("app-heat-map__cell--").count(),
        words
            .iter()
            .map(|w| html.matches(&format!(">{w}<")).count())
            .sum::<usize>()
    );
    assert!(
        html.contains("href=\"/capacity\""),
        "navigation has Capacity"
    );
    let r = t.page(&s, "/capacity?from=soon").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("govuk-error-summary"));
    t.finish().await;
}

#[tokio::test]
async fn pool_and_budget_forms_validate_check_csrf_and_are_for_the_programme_office() {
    let t = TestApp::start().await;
    let admin = t.sign_in(ADMIN_EMAIL).await;
    let r = t.page(&admin, "/pools/new").await;
    assert_eq!(r.status, StatusCode::OK);
    let html = r.text();
    assert!(
        html.contains("name=\"supply-2026-q1\"") || html.contains("name=\"supply-"),
        "a grid of supply inputs"
    );
    let first_input = html
        .split("name=\"supply-")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let field = format!("supply-{first_input}");
    let r = t
        .post_form(
            &admin,
            "/pools",
            &[
                ("csrf_token", &admin.csrf),
                ("name", "Testers"),
                ("unit", "FTE"),
                (&field, "-2"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text();
    assert!(html.contains("govuk-error-summary"), "{html}");
    assert!(
        html.contains(&format!("href=\"#{field}\"")),
        "the summary links to the quarter's input"
    );
    assert!(html.contains("must not be negative"));
    assert!(html.contains("value=\"Testers\""), "what was typed is kept");
    assert_eq!(
        t.get("/api/v1/resource-pools/testers", Some(&t.admin_token))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    let r = t
        .post_form(
            &admin,
            "/pools",
            &[("csrf_token", "wrong"), ("name", "Testers"), (&field, "2")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = t
        .post_form(
            &admin,
            "/pools",
            &[
                ("csrf_token", &admin.csrf),
                ("name", "Testers"),
                (&field, "2"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(r.header("location"), Some("/pools/testers?done=saved"));

    let r = t
        .post_form(
            &admin,
            "/budgets/2026-27",
            &[
                ("csrf_token", &admin.csrf),
                ("version", "1"),
                ("capital", "£3,500,000"),
                ("revenue", "oops"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text();
    assert!(html.contains("href=\"#revenue-2026-27\""), "{html}");
    let r = t
        .post_form(
            &admin,
            "/budgets/2026-27",
            &[
                ("csrf_token", &admin.csrf),
                ("version", "1"),
                ("capital", "£3,500,000"),
                ("revenue", "800000"),
            ],
        )
        .await;
    assert_eq!(
        r.header("location"),
        Some("/budgets?done=saved"),
        "{}",
        r.text()
    );
    let budgets = t.get("/api/v1/budgets", Some(&t.admin_token)).await.json();
    assert_eq!(budgets[0]["capital"], 350_000_000);
    // The form read at version 1 is now stale.
    let r = t
        .post_form(
            &admin,
            "/budgets/2026-27",
            &[
                ("csrf_token", &admin.csrf),
                ("version", "1"),
                ("capital", "1"),
                ("revenue", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.text().contains("changed by someone else"));

    let viewer = t.sign_in(VIEWER_EMAIL).await;
    assert_eq!(
        t.page(&viewer, "/pools/new").await.status,
        StatusCode::FORBIDDEN
    );
    let r = t.page(&viewer, "/budgets").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        !r.text().contains("action=\"/budgets/"),
        "viewers get no budget forms"
    );
    assert!(r.text().contains("£3,500,000"));
    let r = t
        .post_form(
            &viewer,
            "/budgets/2026-27",
            &[
                ("csrf_token", &viewer.csrf),
                ("version", "2"),
                ("capital", "1"),
                ("revenue", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = t.page(&viewer, "/pools/developers").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r
        .text()
        .contains("<form method=\"post\" action=\"/pools/developers\""));
    t.finish().await;
}

#[tokio::test]
async fn the_plan_form_shows_errors_and_the_project_page_summarises_the_plan() {
    let t = TestApp::start().await;
    let admin = t.sign_in(ADMIN_EMAIL).await;
    let r = t.page(&admin, "/projects/DP-020").await;
    assert_eq!(r.status, StatusCode::OK);
    let html = r.text();
    assert!(html.contains("Depends on DP-019"), "{html}");
    assert!(html.contains("href=\"/projects/DP-020/plan\""));

    let r = t.page(&admin, "/projects/DP-020/plan").await;
    assert_eq!(r.status, StatusCode::OK);
    let html = r.text();
    assert!(html.contains("id=\"demand-developers-0\""), "a demand grid");
    let version = common::hidden_input(&html, "version").unwrap();
    let r = t
        .post_form(
            &admin,
            "/projects/DP-020/plan",
            &[
                ("csrf_token", &admin.csrf),
                ("version", &version),
                ("earliest_start", "2027/28 Q2"),
                ("latest_start", "2027/28 Q1"),
                ("duration_quarters", "0"),
                ("demand-developers-0", "-1"),
                ("depends_on", "DP-020"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text();
    assert!(html.contains("govuk-error-summary"));
    for target in ["#demand-developers-0", "#latest_start"] {
        assert!(
            html.contains(&format!("href=\"{target}\"")),
            "{target}: {html}"
        );
    }
    let r = t
        .post_form(
            &admin,
            "/projects/DP-020/plan",
            &[
                ("csrf_token", &admin.csrf),
                ("version", &version),
                ("earliest_start", "2027/28 Q1"),
                ("latest_start", "2027/28 Q1"),
                ("duration_quarters", "0"),
                ("depends_on", "DP-020"),
            ],
        )
        .await;
    let html = r.text();
    assert!(html.contains("href=\"#duration_quarters\""), "{html}");
    assert!(html.contains("href=\"#depends_on\""));
    assert!(html.contains("DP-020 cannot depend on itself"));
    let r = t
        .post_form(
            &admin,
            "/projects/DP-020/plan",
            &[
                ("csrf_token", &admin.csrf),
                ("version", &version),
                ("earliest_start", "2027/28 Q1"),
                ("latest_start", "2027/28 Q3"),
                ("duration_quarters", "4"),
                ("demand-developers-0", "1.5"),
                ("benefits", "£250,000"),
                ("mandatory", "yes"),
                ("depends_on", "DP-019"),
            ],
        )
        .await;
    assert_eq!(
        r.header("location"),
        Some("/projects/DP-020/plan?done=saved"),
        "{}",
        r.text()
    );
    let plan = t
        .get("/api/v1/projects/DP-020/plan", Some(&t.admin_token))
        .await
        .json();
    assert_eq!(plan["latest_start"], "2027/28 Q3");
    assert_eq!(plan["benefits"], 25_000_000);
    assert_eq!(plan["mandatory"], true);
    assert_eq!(
        plan["demand"],
        json!([{"pool": "developers", "offset": 0, "amount": 1.5}])
    );
    let html = t
        .page(&admin, "/projects/DP-020")
        .await
        .text()
        .replace("&#x2f;", "/");
    assert!(
        html.contains("Starts between 2027/28 Q1 and 2027/28 Q3"),
        "{html}"
    );

    let viewer = t.sign_in(VIEWER_EMAIL).await;
    let r = t.page(&viewer, "/projects/DP-020/plan").await;
    assert!(!r.text().contains("Save plan"));
    let r = t
        .post_form(
            &viewer,
            "/projects/DP-020/plan",
            &[
                ("csrf_token", &viewer.csrf),
                ("version", "1"),
                ("duration_quarters", "4"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    t.finish().await;
}
