//! Board meetings through the API and the pages, on the demo council: the
//! next Programme Board's agenda holds the gate requests waiting, a decision
//! on a gate item moves the project, only a decider records decisions, and
//! bad input (an early due date, an owner who is not a user, a backwards
//! search period) is refused with the field named.

mod common;

use axum::http::{Method, StatusCode};
use common::{hidden_input, TestApp, ADMIN_EMAIL, EDITOR_EMAIL, VIEWER_EMAIL};
use serde_json::{json, Value};

/// The demo's meetings, latest first: the next board, then the last one.
async fn demo_meetings(t: &TestApp) -> (Value, Value) {
    let r = t.get("/api/v1/meetings", Some(&t.viewer_token)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let list = r.json()["meetings"].as_array().unwrap().clone();
    assert_eq!(
        list.len(),
        2,
        "the demo has the last board and the next one"
    );
    assert!(list[0]["meets_on"].as_str() > list[1]["meets_on"].as_str());
    let get = |id: &Value| format!("/api/v1/meetings/{id}");
    let next = t
        .get(&get(&list[0]["id"]), Some(&t.viewer_token))
        .await
        .json();
    let last = t
        .get(&get(&list[1]["id"]), Some(&t.viewer_token))
        .await
        .json();
    (next, last)
}

fn items_of<'a>(record: &'a Value, kind: &str) -> Vec<&'a Value> {
    record["agenda"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["kind"] == kind)
        .collect()
}

#[tokio::test]
async fn the_demo_board_decides_a_gate_and_the_project_moves() {
    let (t, editor) = TestApp::with_editor().await;
    let (next, last) = demo_meetings(&t).await;
    assert_eq!(
        last["decisions"].as_array().unwrap().len(),
        last["agenda"].as_array().unwrap().len()
    );
    assert_eq!(last["actions"].as_array().unwrap().len(), 3);
    let pending = t
        .get("/api/v1/gate-requests?status=pending", Some(&t.admin_token))
        .await
        .json()["gate_requests"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(pending.len(), 2);
    let gates = items_of(&next, "gate_request");
    assert_eq!(
        gates.len(),
        2,
        "every pending gate request is on the next agenda"
    );
    assert!(!items_of(&next, "escalated_risk").is_empty());
    assert!(!items_of(&next, "project_confidence").is_empty());
    let item = gates[0];
    let request = pending.iter().find(|r| r["id"] == item["ref_id"]).unwrap();
    let code = request["project_code"].as_str().unwrap().to_string();
    let from = t.project(&code).await.stage;
    let meeting = next["meeting"]["id"].as_i64().unwrap();
    let path = format!("/api/v1/meetings/{meeting}/decisions");
    let decision = |outcome: &str, version: i64| json!({"agenda_item": item["id"], "gate": {"outcome": outcome, "reasons": "A sound case <b>bold</b>"}, "gate_version": version});

    // An editor keeps meetings but does not decide.
    t.json(Method::POST, &path, &editor, None, &decision("approved", 1))
        .await
        .problem(403, None);
    // No outcome: named; nothing written.
    let doc = t
        .json(
            Method::POST,
            &path,
            &t.admin_token,
            None,
            &json!({"agenda_item": item["id"], "gate_version": 1}),
        )
        .await
        .problem(422, Some("outcome"));
    assert!(doc.to_string().contains("board's decision"), "{doc}");
    // An item of another meeting is not on this agenda.
    let last_item = &last["agenda"][0]["id"];
    t.json(
        Method::POST,
        &path,
        &t.admin_token,
        None,
        &json!({"agenda_item": last_item, "text": "x"}),
    )
    .await
    .problem(422, Some("agenda_item"));
    // A stale version of the gate request.
    t.json(
        Method::POST,
        &path,
        &t.admin_token,
        None,
        &decision("approved", 5),
    )
    .await
    .problem(412, None);
    assert_eq!(t.project(&code).await.stage, from);

    let r = t
        .json(
            Method::POST,
            &path,
            &t.admin_token,
            None,
            &decision("approved", 1),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["outcome"], "approved");
    let moved = t.project(&code).await.stage;
    assert_eq!(
        Some(moved),
        portfolio_domain::gates::Gate::next_from(from).map(|g| g.to)
    );
    let gate = t
        .get(
            &format!("/api/v1/gate-requests/{}", request["id"]),
            Some(&t.viewer_token),
        )
        .await
        .json();
    assert_eq!(gate["status"], "approved");
    assert_eq!(gate["decision"]["meeting_id"], meeting);
    // Decided once.
    let doc = t
        .json(
            Method::POST,
            &path,
            &t.admin_token,
            None,
            &decision("rejected", 2),
        )
        .await
        .problem(422, Some("outcome"));
    assert!(doc.to_string().contains("already decided"), "{doc}");

    // The decision log finds it by the project's code, and only it.
    let r = t
        .get(
            &format!("/api/v1/decisions?q={code}"),
            Some(&t.viewer_token),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let found = r.json()["decisions"].as_array().unwrap().clone();
    assert!(found
        .iter()
        .any(|d| d["outcome"] == "approved" && d["meeting_id"] == meeting));
    assert!(found
        .iter()
        .all(|d| d["text"].as_str().unwrap().contains("A sound case")
            || d["project_code"] == code.as_str()));
    t.get(
        "/api/v1/decisions?from=2027-02-01&to=2027-01-01",
        Some(&t.viewer_token),
    )
    .await
    .problem(400, Some("from"));
    t.finish().await;
}

#[tokio::test]
async fn meetings_and_actions_refuse_bad_input() {
    let (t, editor) = TestApp::with_editor().await;
    // The viewer reads but cannot schedule.
    let good = json!({"body": "cabinet", "meets_on": "2027-01-20", "attendees": [ADMIN_EMAIL], "guests": ["Cllr A. Member"]});
    t.json(
        Method::POST,
        "/api/v1/meetings",
        &t.viewer_token,
        None,
        &good,
    )
    .await
    .problem(403, None);
    let doc = t
        .json(Method::POST, "/api/v1/meetings", &editor, None,
            &json!({"body": "parish council", "meets_on": "2027-02-30", "attendees": ["nobody@else.example"]}))
        .await
        .problem(422, None);
    let text = doc.to_string();
    for field in ["body", "meets_on", "attendees[0]"] {
        assert!(
            common::fields(&doc).contains(&field.to_string()),
            "{field}: {text}"
        );
    }
    let r = t
        .json(Method::POST, "/api/v1/meetings", &editor, None, &good)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.header("etag"), Some("\"v1\""));
    let created = r.json();
    assert_eq!(created["meeting"]["title"], "Cabinet, 20 January 2027");
    assert_eq!(created["meeting"]["body"], "cabinet");
    let id = created["meeting"]["id"].as_i64().unwrap();
    let gates = items_of(&created, "gate_request").len();
    assert_eq!(gates, 2, "the agenda starts with what awaits the board");

    let actions = format!("/api/v1/meetings/{id}/actions");
    let doc = t
        .json(Method::POST, &actions, &editor, None,
            &json!({"description": "Costs", "owner": "stranger@else.example", "due_on": "2027-01-19"}))
        .await
        .problem(422, None);
    let fields = common::fields(&doc);
    assert!(
        fields.contains(&"owner".to_string()) && fields.contains(&"due_on".to_string()),
        "{doc}"
    );
    assert!(
        doc.to_string().contains("not a user of this organisation"),
        "{doc}"
    );
    assert!(
        doc.to_string().contains("on or after the meeting's date"),
        "{doc}"
    );
    let r = t
        .json(Method::POST, &actions, &editor, None,
            &json!({"description": "Bring back the costs", "owner": VIEWER_EMAIL, "due_on": "2027-02-03"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let action = r.json();
    let patch = format!("/api/v1/meeting-actions/{}", action["id"]);
    // The owner may move their own action on; a stale version is refused.
    let r = t
        .json(
            Method::PATCH,
            &patch,
            &t.viewer_token,
            Some("\"v1\""),
            &json!({"status": "in_progress"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    t.json(
        Method::PATCH,
        &patch,
        &t.viewer_token,
        Some("\"v1\""),
        &json!({"status": "done"}),
    )
    .await
    .problem(412, None);
    t.json(
        Method::PATCH,
        &patch,
        &t.viewer_token,
        Some("\"v2\""),
        &json!({"status": "finished"}),
    )
    .await
    .problem(422, Some("status"));
    // Moving the meeting after the action's due date is refused.
    let moved = json!({"body": "cabinet", "meets_on": "2027-02-10"});
    t.json(
        Method::PUT,
        &format!("/api/v1/meetings/{id}"),
        &editor,
        Some("\"v1\""),
        &moved,
    )
    .await
    .problem(422, Some("meets_on"));
    t.json(
        Method::PUT,
        &format!("/api/v1/meetings/{id}"),
        &editor,
        None,
        &moved,
    )
    .await
    .problem(428, None);
    let r = t
        .json(Method::PUT, &format!("/api/v1/meetings/{id}"), &editor, Some("\"v1\""),
            &json!({"body": "cabinet", "meets_on": "2027-01-21", "title": "Cabinet (digital items)"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["meeting"]["version"], 2);
    // A hand item with no title.
    t.json(
        Method::POST,
        &format!("/api/v1/meetings/{id}/agenda-items"),
        &editor,
        None,
        &json!({"title": " "}),
    )
    .await
    .problem(422, Some("title"));
    t.get("/api/v1/meetings/99999", Some(&t.viewer_token))
        .await
        .problem(404, None);
    t.get("/api/v1/meetings/abc", Some(&t.viewer_token))
        .await
        .problem(404, None);
    t.finish().await;
}

#[tokio::test]
async fn the_pages_schedule_decide_and_escape() {
    let (t, _) = TestApp::with_editor().await;
    let pm = t.sign_in(EDITOR_EMAIL).await;
    let admin = t.sign_in(ADMIN_EMAIL).await;

    let page = t.page(&pm, "/governance").await;
    assert!(page.text().contains("href=\"/meetings\""));
    let list = t.page(&pm, "/meetings").await;
    assert_eq!(list.status, StatusCode::OK);
    let html = list.text();
    assert!(
        html.contains("Coming up") && html.contains("Held"),
        "{html}"
    );
    assert!(
        html.contains("Overdue"),
        "the demo's overdue action is flagged"
    );

    // A date that is not a date, and a hostile title, on the schedule form.
    let hostile = "<script>alert('x')</script> & board";
    let r = t
        .post_form(
            &pm,
            "/meetings",
            &[
                ("csrf_token", &pm.csrf),
                ("body", "senior_leadership_team"),
                ("title", hostile),
                ("meets_on-day", "31"),
                ("meets_on-month", "2"),
                ("meets_on-year", "2027"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text();
    assert!(html.contains("href=\"#meets_on-day\""), "{html}");
    assert!(html.contains("must be a real date"), "{html}");
    assert!(!html.contains("<script>alert"), "escaped");
    let r = t
        .post_form(
            &pm,
            "/meetings",
            &[
                ("csrf_token", &pm.csrf),
                ("body", "senior_leadership_team"),
                ("title", hostile),
                ("meets_on-day", "28"),
                ("meets_on-month", "2"),
                ("meets_on-year", "2099"),
                ("guests", "Chief Executive\n\nMonitoring Officer"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let location = r.header("location").unwrap().to_string();
    let meeting = t.page(&pm, &location).await.text();
    assert!(
        meeting.contains("&lt;script&gt;alert"),
        "stored as typed, shown escaped"
    );
    assert!(meeting.contains("Monitoring Officer"));
    assert!(!meeting.contains("What changed since the last Senior Leadership Team meeting"));
    assert!(
        meeting.contains("/changes?since=2099-01-31&amp;until=2099-02-28"),
        "the first meeting of its body links to the changes up to it"
    );
    let id: i64 = location
        .trim_start_matches("/meetings/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let record = t
        .get(&format!("/api/v1/meetings/{id}"), Some(&t.admin_token))
        .await
        .json();
    let item = items_of(&record, "gate_request")[0].clone();
    let item_path = format!("/meetings/{id}/items/{}", item["id"]);

    // The editor sees no decision form, and a posted one is refused.
    let page = t.page(&pm, &item_path).await.text();
    assert!(!page.contains("Record the decision</button>"));
    let r = t
        .post_form(
            &pm,
            &format!("{item_path}/decision"),
            &[
                ("csrf_token", &pm.csrf),
                ("outcome", "approved"),
                ("reasons", "Yes"),
                ("gate_version", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // The administrator decides: reasons missing first, then deferred.
    let page = t.page(&admin, &item_path).await.text();
    let version = hidden_input(&page, "gate_version").expect("the gate request's version");
    let r = t
        .post_form(
            &admin,
            &format!("{item_path}/decision"),
            &[
                ("csrf_token", &admin.csrf),
                ("outcome", "deferred"),
                ("gate_version", &version),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("href=\"#reasons\""));
    let r = t
        .post_form(
            &admin,
            &format!("{item_path}/decision"),
            &[
                ("csrf_token", &admin.csrf),
                ("outcome", "deferred"),
                ("gate_version", &version),
                ("reasons", "Come back with the procurement route"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let page = t.page(&admin, &format!("/meetings/{id}")).await.text();
    assert!(
        page.contains("Deferred. Come back with the procurement route"),
        "{page}"
    );
    // An action due before the meeting, then a good one.
    let r = t
        .post_form(
            &pm,
            &format!("{item_path}/actions"),
            &[
                ("csrf_token", &pm.csrf),
                ("description", "Procurement route"),
                ("owner", VIEWER_EMAIL),
                ("due_on-day", "1"),
                ("due_on-month", "1"),
                ("due_on-year", "2099"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("on or after the meeting"));
    let r = t
        .post_form(
            &pm,
            &format!("{item_path}/actions"),
            &[
                ("csrf_token", &pm.csrf),
                ("description", "Procurement route"),
                ("owner", VIEWER_EMAIL),
                ("due_on-day", "1"),
                ("due_on-month", "4"),
                ("due_on-year", "2099"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let log = t.page(&pm, "/decisions?q=procurement+route").await.text();
    assert!(log.contains("1 decision found"), "{log}");
    let bad = t
        .page(&pm, "/decisions?from=2027-02-01&to=2027-01-01")
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text().contains("href=\"#from\""));
    t.finish().await;
}
