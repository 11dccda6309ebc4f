//! The RAID register through the API and the pages, on the demo council:
//! the seeded risks and the heat map that counts them, named validation
//! errors, a stale write refused, the overdue flag, the CSV export with
//! formulas neutralised, escaped text, and viewers refused.

mod common;

use axum::http::{Method, StatusCode};
use common::{fields, hidden_input, TestApp, ADMIN_EMAIL, VIEWER_EMAIL};
use serde_json::{json, Value};

fn risk(title: &str, review: &str) -> Value {
    json!({
        "kind": "risk",
        "title": title,
        "owner": ADMIN_EMAIL,
        "cause": "A cause",
        "event": "An event",
        "effect": "An effect",
        "inherent": {"likelihood": 4, "impact": 5},
        "current": {"likelihood": 3, "impact": 5},
        "target": {"likelihood": 2, "impact": 3},
        "response": "treat",
        "review_date": review,
    })
}

async fn create(t: &TestApp, body: &Value) -> Value {
    let r = t
        .json(
            Method::POST,
            "/api/v1/raid-items",
            &t.admin_token,
            None,
            body,
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    r.json()
}

#[tokio::test]
async fn the_demo_register_and_its_heat_maps_count_the_same_risks() {
    let t = TestApp::start().await;
    let list = t
        .get("/api/v1/raid-items?kind=risk", Some(&t.viewer_token))
        .await
        .json();
    let risks = list["items"].as_array().unwrap();
    // Twelve demo risks, one of them closed: the register shows the open ones.
    assert_eq!(risks.len(), 11, "{list}");
    let programme: Vec<&str> = risks
        .iter()
        .filter(|r| r["project"].is_null())
        .map(|r| r["title"].as_str().unwrap())
        .collect();
    assert_eq!(programme.len(), 3, "{programme:?}");
    assert!(programme[0].starts_with("Capacity, investment and priorities"));
    assert!(programme[1].contains("Back to normal"));
    assert!(programme[2].contains("citizen expectations"));
    let capacity = &risks[0];
    assert_eq!(capacity["risk"]["current"]["score"], 16);
    assert_eq!(capacity["risk"]["current"]["rating"], "high");
    assert_eq!(capacity["risk"]["actions"].as_array().unwrap().len(), 3);
    assert_eq!(capacity["owner"]["name"], "Rachel Adeyemi");

    let map = t
        .get("/api/v1/raid-heat-map", Some(&t.viewer_token))
        .await
        .json();
    assert_eq!(map["risks"], 11);
    let mut current = 0;
    let mut target = 0;
    for row in map["rows"].as_array().unwrap() {
        for cell in row.as_array().unwrap() {
            let (l, i) = (
                cell["likelihood"].as_u64().unwrap(),
                cell["impact"].as_u64().unwrap(),
            );
            let here = |which: &str| {
                risks
                    .iter()
                    .filter(|r| {
                        r["risk"][which]["likelihood"].as_u64() == Some(l)
                            && r["risk"][which]["impact"].as_u64() == Some(i)
                    })
                    .count() as u64
            };
            assert_eq!(
                cell["current"].as_u64().unwrap(),
                here("current"),
                "cell {l}×{i}"
            );
            assert_eq!(
                cell["target"].as_u64().unwrap(),
                here("target"),
                "cell {l}×{i}"
            );
            current += cell["current"].as_u64().unwrap();
            target += cell["target"].as_u64().unwrap();
        }
    }
    assert_eq!((current, target), (11, 11));
    assert_eq!(
        map["rows"][0][0]["likelihood"], 5,
        "likelihood 5 is the top row"
    );

    // The escalated risks, highest current score first.
    let escalated = t
        .get("/api/v1/escalated-risks", Some(&t.viewer_token))
        .await
        .json();
    let scores: Vec<u64> = escalated
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["risk"]["current"]["score"].as_u64().unwrap())
        .collect();
    assert!(
        scores.len() >= 3 && scores.windows(2).all(|w| w[0] >= w[1]),
        "{scores:?}"
    );

    // The page shows the same counts in its tables.
    let viewer = t.sign_in(VIEWER_EMAIL).await;
    let html = t.page(&viewer, "/raid?kind=risk").await.text();
    assert!(html.contains("Capacity, investment and priorities"));
    assert!(
        html.contains("<strong id=\"raid-shown\">11</strong>"),
        "{html}"
    );
    let cell =
        "data-likelihood=\"4\" data-impact=\"4\">\n        <span class=\"app-risk-cell__count\">";
    let at = html.find(cell).expect("the 4×4 cell of the current map");
    let count: String = html[at + cell.len()..]
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    let expected = map["rows"][1][3]["current"].as_u64().unwrap();
    assert_eq!(count, expected.to_string());
    assert!(
        !html.contains("Add a risk"),
        "a viewer is not offered the forms"
    );
    t.finish().await;
}

#[tokio::test]
async fn bad_values_are_named_and_nothing_is_written() {
    let t = TestApp::start().await;
    let before = t
        .get("/api/v1/raid-items?status=all", Some(&t.admin_token))
        .await
        .json()["total"]
        .clone();
    let mut body = risk("", "2027-01-01");
    body["current"] = json!({"likelihood": 6, "impact": 3});
    body["owner"] = json!("stranger@example.org");
    body["project"] = json!("DP-999");
    let r = t
        .json(
            Method::POST,
            "/api/v1/raid-items",
            &t.admin_token,
            None,
            &body,
        )
        .await;
    let doc = r.problem(422, Some("current.likelihood"));
    let named = fields(&doc);
    for f in ["title", "owner", "project"] {
        assert!(named.contains(&f.to_string()), "{f} not named: {doc}");
    }
    assert!(
        doc.to_string()
            .contains("must be between 1 (Rare) and 5 (Almost certain), not 6"),
        "{doc}"
    );
    assert!(doc
        .to_string()
        .contains("'stranger@example.org' is not a user of this organisation"));
    let after = t
        .get("/api/v1/raid-items?status=all", Some(&t.admin_token))
        .await
        .json()["total"]
        .clone();
    assert_eq!(before, after);
    t.finish().await;
}

#[tokio::test]
async fn a_stale_write_is_refused_and_a_viewer_cannot_write() {
    let t = TestApp::start().await;
    let created = create(&t, &risk("Supplier capacity", "2027-01-01")).await;
    let path = format!("/api/v1/raid-items/{}", created["id"]);
    let r = t.get(&path, Some(&t.viewer_token)).await;
    assert_eq!(r.header("etag"), Some("\"v1\""));
    let mut changed = risk("Supplier capacity (rescored)", "2027-01-01");
    changed["current"] = json!({"likelihood": 2, "impact": 5});
    let r = t
        .json(Method::PUT, &path, &t.admin_token, Some("\"v1\""), &changed)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.header("etag"), Some("\"v2\""));
    let r = t
        .json(
            Method::PUT,
            &path,
            &t.admin_token,
            Some("\"v1\""),
            &risk("Lost", "2027-01-01"),
        )
        .await;
    let doc = r.problem(412, None);
    assert!(
        doc["detail"]
            .as_str()
            .unwrap()
            .contains("changed by someone else"),
        "{doc}"
    );
    assert_eq!(
        t.get(&path, Some(&t.admin_token)).await.json()["title"],
        "Supplier capacity (rescored)"
    );
    // Changing the kind is refused by name.
    let mut issue = changed.clone();
    issue["kind"] = json!("assumption");
    let r = t
        .json(Method::PUT, &path, &t.admin_token, Some("\"v2\""), &issue)
        .await;
    r.problem(422, Some("kind"));

    // Viewers read but do not write, through the API or the pages.
    let r = t
        .json(
            Method::POST,
            "/api/v1/raid-items",
            &t.viewer_token,
            None,
            &risk("Nope", "2027-01-01"),
        )
        .await;
    r.problem(403, None);
    let r = t
        .json(
            Method::PUT,
            &path,
            &t.viewer_token,
            Some("\"v2\""),
            &changed,
        )
        .await;
    r.problem(403, None);
    let viewer = t.sign_in(VIEWER_EMAIL).await;
    assert_eq!(
        t.page(&viewer, "/raid/new").await.status,
        StatusCode::FORBIDDEN
    );
    let r = t
        .post_form(
            &viewer,
            "/raid",
            &[
                ("csrf_token", &viewer.csrf),
                ("kind", "risk"),
                ("title", "Nope"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    t.finish().await;
}

#[tokio::test]
async fn overdue_reviews_are_flagged_and_filtered() {
    let t = TestApp::start().await;
    let late = create(&t, &risk("Review missed", "2020-01-31")).await;
    assert_eq!(late["review_overdue"], true);
    let fine = create(&t, &risk("Reviewed on time", "2099-01-31")).await;
    assert_eq!(fine["review_overdue"], false);
    let list = t
        .get("/api/v1/raid-items?overdue=true", Some(&t.viewer_token))
        .await
        .json();
    let ids: Vec<&Value> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| &i["id"])
        .collect();
    assert!(ids.contains(&&late["id"]));
    assert!(!ids.contains(&&fine["id"]));
    assert_eq!(list["overdue"], list["total"]);
    let bad = t
        .get(
            "/api/v1/raid-items?overdue=maybe&rating=huge",
            Some(&t.viewer_token),
        )
        .await;
    let doc = bad.problem(422, Some("overdue"));
    assert!(fields(&doc).contains(&"rating".to_string()));
    let viewer = t.sign_in(VIEWER_EMAIL).await;
    let html = t
        .page(&viewer, &format!("/raid/{}", late["id"]))
        .await
        .text();
    assert!(html.contains("Review overdue"), "{html}");
    t.finish().await;
}

#[tokio::test]
async fn the_csv_export_neutralises_formulas_and_pages_escape_hostile_text() {
    let t = TestApp::start().await;
    let hostile = create(
        &t,
        &risk("=HYPERLINK(\"http://evil.example\",\"x\")", "2027-01-31"),
    )
    .await;
    let mut body = risk("<script>alert('raid')</script>", "2027-01-31");
    body["cause"] = json!("@SUM(A1:A9)");
    let script = create(&t, &body).await;
    let admin = t.sign_in(ADMIN_EMAIL).await;
    let r = t.page(&admin, "/raid.csv?kind=risk").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.header("content-type").unwrap().starts_with("text/csv"));
    let csv = r.text();
    assert!(csv.starts_with("reference,kind,project,title"), "{csv}");
    assert!(csv.contains("'=HYPERLINK"), "{csv}");
    assert!(csv.contains("'@SUM(A1:A9)"), "{csv}");
    assert!(
        !csv.contains(",=HYPERLINK") && !csv.contains(",\"=HYPERLINK"),
        "{csv}"
    );
    // The export holds what the filters show: only risks here.
    assert!(!csv.contains(",issue,"), "{csv}");
    let rows = csv.lines().count() - 1;
    let shown = t
        .get("/api/v1/raid-items?kind=risk", Some(&t.admin_token))
        .await
        .json()["total"]
        .as_u64()
        .unwrap();
    assert_eq!(rows as u64, shown, "{csv}");
    for path in ["/raid".to_string(), format!("/raid/{}", script["id"])] {
        let html = t.page(&admin, &path).await.text();
        assert!(html.contains("&lt;script&gt;alert("), "{path}");
        assert!(!html.contains("<script>alert("), "{path}");
    }
    let _ = hostile;
    t.finish().await;
}

#[tokio::test]
async fn the_risk_form_names_errors_saves_and_refuses_a_stale_edit() {
    let t = TestApp::start().await;
    let admin = t.sign_in(ADMIN_EMAIL).await;
    let form = t.page(&admin, "/raid/new?kind=risk&project=DP-003").await;
    assert_eq!(form.status, StatusCode::OK);
    let html = form.text();
    assert!(
        html.contains("value=\"DP-003\""),
        "the project is filled in"
    );
    assert!(
        html.contains("1 – Rare") && html.contains("5 – Severe"),
        "the scale words label the choices"
    );

    let base = [
        ("csrf_token", admin.csrf.as_str()),
        ("kind", "risk"),
        ("title", "Integration partner unavailable"),
        ("project", "DP-003"),
        ("owner", ADMIN_EMAIL),
        ("event", "The partner cannot start in January"),
        ("inherent-likelihood", "4"),
        ("inherent-impact", "4"),
        ("current-likelihood", "3"),
        ("current-impact", "4"),
        ("target-likelihood", "2"),
        ("target-impact", "2"),
        ("response", "treat"),
        ("status", "open"),
        ("review_date-day", "31"),
        ("review_date-month", "1"),
        ("review_date-year", "2027"),
        ("action-0-description", "Book a second partner"),
        ("action-0-owner", ADMIN_EMAIL),
        ("action-0-due-day", "15"),
        ("action-0-due-month", "1"),
        ("action-0-due-year", "2027"),
        ("action-0-status", "not_started"),
        ("action-1-description", ""),
        ("action-1-owner", ""),
    ];
    // Errors: named in the summary and linked to their boxes.
    let mut bad: Vec<(&str, &str)> = base.to_vec();
    for (k, v) in bad.iter_mut() {
        match *k {
            "title" => *v = "",
            "current-likelihood" => *v = "",
            "action-0-owner" => *v = "nobody@example.org",
            "review_date-month" => *v = "13",
            _ => {}
        }
    }
    let r = t.post_form(&admin, "/raid", &bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text();
    assert!(html.contains("govuk-error-summary"));
    for (target, message) in [
        ("#title", "Title must not be empty"),
        ("#current-likelihood", "Choose the current likelihood"),
        (
            "#action-0-owner",
            "&#x27;nobody@example.org&#x27; is not a user of this organisation",
        ),
        ("#review_date-day", "Review date must be a real date"),
    ] {
        assert!(
            html.contains(&format!("href=\"{target}\"")),
            "{target} linked: {html}"
        );
        assert!(html.contains(message), "{message}: {html}");
    }
    assert!(
        html.contains("value=\"Book a second partner\""),
        "what was typed is kept"
    );

    // Saved: the risk page shows it with its action.
    let r = t.post_form(&admin, "/raid", &base).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let location = r.header("location").unwrap().to_string();
    let id: String = location
        .trim_start_matches("/raid/")
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    let page = t.page(&admin, &location).await.text();
    assert!(page.contains("Integration partner unavailable"));
    assert!(page.contains("Book a second partner"));
    assert!(page.contains("High (12)"), "{page}");

    // Two editors open the form; the second save is refused and shows what is stored.
    let edit = t.page(&admin, &format!("/raid/{id}/edit")).await.text();
    let version = hidden_input(&edit, "version").unwrap();
    assert_eq!(version, "1");
    let mut first: Vec<(&str, &str)> = base.to_vec();
    first.push(("version", "1"));
    first[2] = ("title", "Integration partner unavailable (first)");
    let r = t
        .post_form(&admin, &format!("/raid/{id}/edit"), &first)
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    first[2] = ("title", "Integration partner unavailable (second)");
    let r = t
        .post_form(&admin, &format!("/raid/{id}/edit"), &first)
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let html = r.text();
    assert!(html.contains("changed by someone else"), "{html}");
    assert!(
        html.contains("value=\"Integration partner unavailable (first)\""),
        "{html}"
    );

    // The project page links to its RAID items.
    let project = t.page(&admin, "/projects/DP-003").await.text();
    assert!(
        project.contains("/raid?project=DP-003&amp;status=all"),
        "{project}"
    );
    assert!(project.contains("Integration partner unavailable (first)"));
    t.finish().await;
}
