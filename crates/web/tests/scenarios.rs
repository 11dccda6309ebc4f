//! Scenarios through the API and the pages, on the demo council: its two
//! scenarios run to different, explained programmes; runs are started and
//! polled, cancellable, and refused when the caller may not run them; bad
//! input is named; stale edits are refused.

mod common;

use std::time::Duration;

use axum::http::{Method, StatusCode};
use common::{hidden_input, TestApp, VIEWER_EMAIL};
use serde_json::{json, Value};

/// Polls a run until it has finished (bounded: 600 × 100 ms).
async fn finished_run(t: &TestApp, id: i64) -> Value {
    for _ in 0..600 {
        let r = t
            .get(&format!("/api/v1/scenario-runs/{id}"), Some(&t.admin_token))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let run = r.json();
        if run["status"] != "running" {
            return run;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("run {id} did not finish within 60 seconds");
}

async fn run_scenario(t: &TestApp, slug: &str) -> Value {
    let r = t
        .json(
            Method::POST,
            &format!("/api/v1/scenarios/{slug}/runs"),
            &t.admin_token,
            None,
            &json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text());
    let id = r.json()["id"].as_i64().unwrap();
    assert_eq!(
        r.header("location"),
        Some(format!("/api/v1/scenario-runs/{id}").as_str())
    );
    let run = finished_run(t, id).await;
    assert_eq!(run["status"], "succeeded", "{run}");
    run
}

fn chosen(result: &Value) -> Vec<String> {
    let mut codes: Vec<String> = result["projects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["included"] == true)
        .map(|p| p["code"].as_str().unwrap().to_string())
        .collect();
    codes.sort();
    codes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_scenarios_give_different_explained_programmes() {
    let t = TestApp::start().await;
    let list = t.get("/api/v1/scenarios", Some(&t.viewer_token)).await;
    assert_eq!(list.status, StatusCode::OK);
    let slugs: Vec<String> = list
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["slug"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(slugs, ["current-funding", "with-recovery-investment"]);

    let current = run_scenario(&t, "current-funding").await["result"].clone();
    let recovery = run_scenario(&t, "with-recovery-investment").await["result"].clone();
    assert_eq!(current["status"], "optimal");
    assert_eq!(current["proven_optimal"], true);
    assert!(
        recovery["value"].as_f64().unwrap() > current["value"].as_f64().unwrap(),
        "more money and people buy more value: {} vs {}",
        recovery["value"],
        current["value"]
    );
    assert_ne!(chosen(&current), chosen(&recovery));

    // Every project in the choice is explained: why it waits and what forcing it in
    // would cost, or what leaving it out would lose.
    for p in current["projects"].as_array().unwrap() {
        let reasons = p["reasons"].as_array().unwrap();
        if p["included"] == false {
            assert!(!reasons.is_empty(), "no reason for leaving out {p}");
        } else if p["decision"] == "free" {
            assert!(
                p["value_lost_if_forced_out"].is_number(),
                "no value lost for {p}"
            );
        }
    }
    // The parts add up: spend never exceeds a limited budget line.
    for y in current["spend"].as_array().unwrap() {
        if let Some(b) = y["capital_budget_pence"].as_i64() {
            assert!(y["capital_spend_pence"].as_i64().unwrap() <= b, "{y}");
        }
    }
    // The frontier never falls as the money grows, and passes through the scenario.
    let frontier = current["frontier"].as_array().unwrap();
    assert!(frontier.len() >= 10);
    for w in frontier.windows(2) {
        assert!(w[1]["value"].as_f64().unwrap() >= w[0]["value"].as_f64().unwrap() - 1e-6);
    }
    let at_budget = frontier
        .iter()
        .find(|p| (p["scale"].as_f64().unwrap() - 1.0).abs() < 1e-9)
        .unwrap();
    assert_eq!(at_budget["value"], current["value"]);
    assert!(!current["marginal"].as_array().unwrap().is_empty());

    // The project's explanation is there for each scenario.
    let waiting = current["projects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["included"] == false && p["decision"] == "free")
        .expect("a project waits under current funding");
    let code = waiting["code"].as_str().unwrap();
    let ex = t
        .get(
            &format!("/api/v1/projects/{code}/explanations"),
            Some(&t.viewer_token),
        )
        .await;
    assert_eq!(ex.status, StatusCode::OK);
    let ex = ex.json();
    assert_eq!(ex.as_array().unwrap().len(), 2, "{ex}");
    assert_eq!(ex[0]["scenario"], "current-funding");
    assert_eq!(ex[0]["included"], false);

    // Side by side: the differences are marked.
    let cmp = t
        .get(
            "/api/v1/scenarios-comparison?scenarios=current-funding,with-recovery-investment",
            Some(&t.viewer_token),
        )
        .await;
    assert_eq!(cmp.status, StatusCode::OK, "{}", cmp.text());
    let cmp = cmp.json();
    assert!(cmp["projects"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["differs"] == true));

    // The pages show the programme, the chart with its text alternative and the table.
    let s = t.sign_in(common::ADMIN_EMAIL).await;
    let page = t.page(&s, "/scenarios/current-funding").await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains("Recommended programme"), "{html}");
    assert!(html.contains("<svg") && html.contains("frontier-desc"));
    assert!(html.contains("Projects that wait"));
    let project_page = t.page(&s, &format!("/projects/{code}")).await.text();
    assert!(project_page.contains("In the scenarios"));
    assert!(project_page.contains("Current funding"));
    let compare = t
        .page(
            &s,
            "/scenarios/compare?scenario=current-funding&scenario=with-recovery-investment",
        )
        .await;
    assert_eq!(compare.status, StatusCode::OK);
    assert!(compare.text().contains("Differs"));
    t.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scenarios_are_validated_versioned_and_only_the_programme_office_runs_them() {
    let t = TestApp::start().await;
    let bad = t
        .json(
            Method::POST,
            "/api/v1/scenarios",
            &t.admin_token,
            None,
            &json!({"name": "", "first_year": "2026/28", "years": 0,
                    "capacity_adjustments": [{"pool": "wizards", "amount": 1}],
                    "forced_in": ["DP-001"], "forced_out": ["DP-001"]}),
        )
        .await;
    let doc = bad.problem(422, Some("name"));
    for field in [
        "first_year",
        "years",
        "capacity_adjustments[0].pool",
        "forced_out",
    ] {
        assert!(
            common::fields(&doc).iter().any(|f| f == field),
            "{field}: {doc}"
        );
    }
    assert_eq!(
        t.get("/api/v1/scenarios", Some(&t.admin_token))
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        2,
        "nothing was saved"
    );

    let body = json!({"name": "Lean year", "first_year": "2026/27", "years": 1,
                      "forced_out": ["DP-002"]});
    let created = t
        .json(
            Method::POST,
            "/api/v1/scenarios",
            &t.admin_token,
            None,
            &body,
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    assert_eq!(created.header("etag"), Some("\"v1\""));
    let again = t
        .json(
            Method::POST,
            "/api/v1/scenarios",
            &t.admin_token,
            None,
            &body,
        )
        .await;
    again.problem(422, Some("name"));

    let changed = json!({"name": "Lean year", "first_year": "2026/27", "years": 2,
                         "forced_out": ["DP-002"]});
    let ok = t
        .json(
            Method::PUT,
            "/api/v1/scenarios/lean-year",
            &t.admin_token,
            Some("\"v1\""),
            &changed,
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text());
    let stale = t
        .json(
            Method::PUT,
            "/api/v1/scenarios/lean-year",
            &t.admin_token,
            Some("\"v1\""),
            &body,
        )
        .await;
    stale.problem(412, None);
    assert_eq!(
        t.get("/api/v1/scenarios/lean-year", Some(&t.admin_token))
            .await
            .json()["years"],
        2
    );

    // A viewer reads but neither keeps nor runs scenarios.
    let r = t
        .json(
            Method::POST,
            "/api/v1/scenarios/lean-year/runs",
            &t.viewer_token,
            None,
            &json!({}),
        )
        .await;
    r.problem(403, None);
    let r = t
        .json(
            Method::POST,
            "/api/v1/scenarios",
            &t.viewer_token,
            None,
            &body,
        )
        .await;
    r.problem(403, None);

    // A finished run cannot be cancelled; the model exports for other solvers.
    let run = run_scenario(&t, "lean-year").await;
    let id = run["id"].as_i64().unwrap();
    let r = t
        .json(
            Method::POST,
            &format!("/api/v1/scenario-runs/{id}/cancel"),
            &t.admin_token,
            None,
            &json!({}),
        )
        .await;
    r.problem(422, None);
    let outcome = run["result"]["projects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["code"] == "DP-002")
        .cloned()
        .expect("DP-002 is part of the choice");
    assert_eq!(outcome["included"], false);
    assert_eq!(outcome["decision"], "forced out");
    assert!(outcome["reasons"][0]
        .as_str()
        .unwrap()
        .contains("Forced out by the scenario"));
    let mps = t
        .get(
            "/api/v1/scenarios/lean-year/model?format=mps",
            Some(&t.viewer_token),
        )
        .await;
    assert_eq!(mps.status, StatusCode::OK);
    assert!(mps.text().contains("ROWS") && mps.text().contains("COLUMNS"));
    let lp = t
        .get(
            "/api/v1/scenarios/lean-year/model?format=lp",
            Some(&t.viewer_token),
        )
        .await;
    assert!(lp.text().to_ascii_lowercase().contains("subject to"));
    t.get(
        "/api/v1/scenarios/lean-year/model?format=xls",
        Some(&t.viewer_token),
    )
    .await
    .problem(400, Some("format"));
    t.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scenario_pages_create_run_and_refuse_bad_input() {
    let t = TestApp::start().await;
    let s = t.sign_in(common::ADMIN_EMAIL).await;
    let list = t.page(&s, "/scenarios").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.text().contains("With recovery investment"));

    let form = t.page(&s, "/scenarios/new").await;
    assert_eq!(form.status, StatusCode::OK);
    let refused = t
        .post_form(
            &s,
            "/scenarios",
            &[
                ("csrf_token", &s.csrf),
                ("name", ""),
                ("objective", "priority_score"),
                ("first_year", "2026/27"),
                ("years", "3"),
                ("capital-2026-27", "lots"),
                ("time_limit_seconds", "30"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text();
    assert!(html.contains("govuk-error-summary"), "{html}");
    assert!(html.contains("href=\"#capital-2026-27\""), "{html}");
    assert!(
        html.contains("&#x27;lots&#x27; is not an amount in pounds"),
        "{html}"
    );

    let no_csrf = t.post_form(&s, "/scenarios", &[("name", "Sneaky")]).await;
    assert_ne!(no_csrf.status, StatusCode::SEE_OTHER);

    let created = t
        .post_form(
            &s,
            "/scenarios",
            &[
                ("csrf_token", &s.csrf),
                ("name", "Two developers more"),
                ("objective", "priority_score"),
                ("first_year", "2026/27"),
                ("years", "3"),
                ("capital-2026-27", "£250,000"),
                ("pool-developers", "2"),
                ("time_limit_seconds", "30"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.text());
    assert_eq!(
        created.header("location"),
        Some("/scenarios/two-developers-more?done=created")
    );
    let api = t
        .get(
            "/api/v1/scenarios/two-developers-more",
            Some(&t.admin_token),
        )
        .await
        .json();
    assert_eq!(api["budget_adjustments"][0]["capital"], 25_000_000);
    assert_eq!(api["capacity_adjustments"][0]["amount"], 2.0);

    let edit = t
        .page(&s, "/scenarios/two-developers-more/edit")
        .await
        .text();
    assert_eq!(hidden_input(&edit, "version").as_deref(), Some("1"));

    let started = t
        .post_form(
            &s,
            "/scenarios/two-developers-more/runs",
            &[("csrf_token", &s.csrf)],
        )
        .await;
    assert_eq!(started.status, StatusCode::SEE_OTHER);
    let location = started.header("location").unwrap().to_string();
    assert!(location.starts_with("/scenario-runs/"), "{location}");
    let id: i64 = location.rsplit('/').next().unwrap().parse().unwrap();
    finished_run(&t, id).await;
    let run_page = t.page(&s, &location).await.text();
    assert!(run_page.contains("Run finished"), "{run_page}");
    assert!(!run_page.contains("Check the progress again"));
    let page = t.page(&s, "/scenarios/two-developers-more").await.text();
    assert!(page.contains("Chosen projects"));

    // A viewer sees the scenario but no run button, and cannot post one.
    let v = t.sign_in(VIEWER_EMAIL).await;
    let page = t.page(&v, "/scenarios/two-developers-more").await.text();
    assert!(!page.contains("Run this scenario"));
    let r = t
        .post_form(
            &v,
            "/scenarios/two-developers-more/runs",
            &[("csrf_token", &v.csrf)],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    t.finish().await;
}
