//! Notifications on the demo council, emailed through a real SMTP server
//! that the test starts on loopback: the requester of a gate hears the
//! board's decision, an action's owner hears of it, a risk's owner hears its
//! review is due — each once, in the app and by email — and each person sees
//! and marks read only their own.

mod common;

use axum::http::{Method, StatusCode};
use chrono::{Duration, Utc};
use common::smtp::SmtpServer;
use common::{
    concept_design_keys, evidence, free_concept_project, hidden_input, TestApp, EDITOR_EMAIL,
    VIEWER_EMAIL,
};
use portfolio_app::notifications::{MailSettings, Mailer};
use portfolio_domain::notifications::MAX_EMAIL_ATTEMPTS;
use serde_json::{json, Value};

const PUBLIC_URL: &str = "https://portfolio.northmere.example";

fn mailer(smtp_url: &str) -> Mailer {
    Mailer::new(&MailSettings {
        smtp_url: smtp_url.to_string(),
        from: "Northmere Portfolio <portfolio@northmere.example>".into(),
        public_url: PUBLIC_URL.into(),
    })
    .expect("mail settings")
}

async fn notifications(t: &TestApp, token: &str) -> Value {
    let r = t.get("/api/v1/notifications", Some(token)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()
}

/// The editor requests the next gate of a concept project; the
/// administrator approves it. Returns the request's id and the project.
async fn request_and_approve(t: &TestApp, editor: &str) -> (i64, String) {
    let code = free_concept_project(t).await;
    let keys = concept_design_keys(t).await;
    let body = json!({"project": code, "to_stage": "design", "summary": "Ready",
        "evidence": evidence(&keys, "https://intranet.example/obc")});
    let r = t
        .json(Method::POST, "/api/v1/gate-requests", editor, None, &body)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["id"].as_i64().unwrap();
    assert_eq!(
        notifications(t, editor).await["unread"],
        0,
        "nothing decided yet"
    );
    let r = t
        .json(
            Method::POST,
            &format!("/api/v1/gate-requests/{id}/decision"),
            &t.admin_token,
            Some("\"v1\""),
            &json!({"outcome": "approved_with_conditions", "reasons": "Evidence complete",
                    "conditions": "Report the savings <quarterly> & on time"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    (id, code)
}

#[tokio::test]
async fn a_decided_gate_tells_its_requester_in_the_app_and_by_email_once() {
    let (t, editor) = TestApp::with_editor().await;
    let (id, code) = request_and_approve(&t, &editor).await;

    let list = notifications(&t, &editor).await;
    assert_eq!(list["unread"], 1, "{list}");
    let notice = &list["notifications"][0];
    assert_eq!(notice["kind"], "gate_decided");
    assert_eq!(notice["link"], format!("/gates/{id}"));
    assert_eq!(
        notice["subject"],
        format!("{code}: Design gate approved with conditions")
    );
    assert!(notice["body"]
        .as_str()
        .unwrap()
        .contains("Conditions: Report the savings <quarterly> & on time"));
    assert_eq!(notice["email_status"], "pending");
    // The decider is not told of their own decision; the viewer of nothing.
    assert_eq!(notifications(&t, &t.viewer_token).await["unread"], 0);

    // In the app: the count in the menu, and the notice on its page, escaped.
    let s = t.sign_in(EDITOR_EMAIL).await;
    let home = t.page(&s, "/").await.text();
    assert!(
        home.contains(r#"Notifications <span class="app-nav-count">1</span><span class="govuk-visually-hidden"> unread</span>"#),
        "{home}"
    );
    let page = t.page(&s, "/notifications").await.text();
    assert!(page.contains("You have 1 unread notification."), "{page}");
    assert!(
        page.contains(&format!(r#"href="/gates/{id}""#))
            || page.contains(&format!(r#"href="&#x2f;gates&#x2f;{id}""#)),
        "the notice links to the decision"
    );
    assert!(page.contains("Report the savings &lt;quarterly&gt; &amp; on time"));

    // By email, through the SMTP server, once.
    let smtp = SmtpServer::start().await;
    let sent = t.app.deliver_emails(&mailer(&smtp.url())).await.unwrap();
    let received = smtp.received();
    assert_eq!(sent.sent, received.len(), "{sent:?}");
    assert_eq!(sent.failed, 0);
    let to_editor: Vec<_> = received
        .iter()
        .filter(|m| m.to == [EDITOR_EMAIL.to_string()])
        .collect();
    assert_eq!(to_editor.len(), 1, "{received:?}");
    let email = to_editor[0];
    assert_eq!(email.from, "portfolio@northmere.example");
    assert_eq!(
        email.header("Subject").as_deref(),
        Some(format!("{code}: Design gate approved with conditions").as_str())
    );
    assert!(email
        .header("From")
        .unwrap()
        .contains("portfolio@northmere.example"));
    let text = email.text();
    assert!(
        text.contains(&format!("{PUBLIC_URL}/gates/{id}")),
        "the email links to the decision: {text}"
    );
    assert!(text.contains("Conditions: Report the savings <quarterly> & on time"));
    let again = t.app.deliver_emails(&mailer(&smtp.url())).await.unwrap();
    assert_eq!(again.sent, 0, "an email is sent once");
    assert_eq!(smtp.received().len(), received.len());
    let list = notifications(&t, &editor).await;
    assert_eq!(list["notifications"][0]["email_status"], "sent");
    assert!(t
        .page(&s, "/notifications")
        .await
        .text()
        .contains("Emailed on"));

    // Only its owner marks it read.
    let notice_id = list["notifications"][0]["id"].as_i64().unwrap();
    let read = format!("/api/v1/notifications/{notice_id}/read");
    t.json(Method::POST, &read, &t.viewer_token, None, &json!({}))
        .await
        .problem(404, None);
    let page = t.page(&s, "/notifications").await.text();
    let csrf = hidden_input(&page, "csrf_token").unwrap();
    let r = t
        .post_form(
            &s,
            &format!("/notifications/{notice_id}/read"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let back = r.header("location").unwrap().to_string();
    assert!(back.starts_with("/notifications?done=one"), "{back}");
    let page = t.page(&s, &back).await.text();
    assert!(page.contains("Notification marked as read"), "{page}");
    assert!(page.contains("You have read all your notifications."));
    assert!(!page.contains("app-nav-count"), "no count once read");
    let r = t
        .post_form(
            &s,
            &format!("/notifications/{notice_id}/read"),
            &[("csrf_token", "forged")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    t.finish().await;
}

#[tokio::test]
async fn an_action_and_a_review_due_tell_their_owners_once() {
    let (t, editor) = TestApp::with_editor().await;
    let before = notifications(&t, &t.viewer_token).await["notifications"]
        .as_array()
        .unwrap()
        .len();
    // A board action for the viewer, recorded by the programme office.
    let meetings = t.get("/api/v1/meetings", Some(&editor)).await.json();
    let next = meetings["meetings"][0]["id"].as_i64().unwrap();
    let due = (Utc::now().date_naive() + Duration::days(40)).to_string();
    let r = t
        .json(
            Method::POST,
            &format!("/api/v1/meetings/{next}/actions"),
            &editor,
            None,
            &json!({"description": "Bring back the revised costs", "owner": VIEWER_EMAIL, "due_on": due}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let list = notifications(&t, &t.viewer_token).await;
    let notices = list["notifications"].as_array().unwrap();
    assert_eq!(notices.len(), before + 1);
    assert_eq!(notices[0]["kind"], "action_assigned");
    assert_eq!(notices[0]["link"], format!("/meetings/{next}#actions"));
    assert!(notices[0]["body"]
        .as_str()
        .unwrap()
        .contains("Bring back the revised costs"));

    // A risk the editor owns, due for review in three days, and one in a month.
    let today = Utc::now().date_naive();
    let risk = |title: &str, review: chrono::NaiveDate| {
        json!({"kind": "risk", "title": title, "owner": EDITOR_EMAIL, "cause": "A cause",
            "event": "An event", "effect": "An effect",
            "inherent": {"likelihood": 4, "impact": 5}, "current": {"likelihood": 3, "impact": 5},
            "target": {"likelihood": 2, "impact": 3}, "response": "treat",
            "review_date": review.to_string()})
    };
    let mut ids = Vec::new();
    for (title, days) in [("Supplier capacity", 3), ("Licence renewal", 30)] {
        let r = t
            .json(
                Method::POST,
                "/api/v1/raid-items",
                &t.admin_token,
                None,
                &risk(title, today + Duration::days(days)),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        ids.push(r.json()["id"].as_i64().unwrap());
    }
    let stored = t.app.remind_reviews(today).await.unwrap();
    assert!(stored >= 1, "at least the editor's risk");
    assert_eq!(
        t.app.remind_reviews(today).await.unwrap(),
        0,
        "a second sweep tells nobody twice"
    );
    let list = notifications(&t, &editor).await;
    let reviews: Vec<&Value> = list["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "risk_review_due")
        .collect();
    assert_eq!(reviews.len(), 1, "only the risk due within a week: {list}");
    assert_eq!(reviews[0]["link"], format!("/raid/{}", ids[0]));
    assert!(reviews[0]["subject"]
        .as_str()
        .unwrap()
        .ends_with(&format!("R{} Supplier capacity", ids[0])));

    // Both emailed through the SMTP server, to their owners.
    let smtp = SmtpServer::start().await;
    t.app.deliver_emails(&mailer(&smtp.url())).await.unwrap();
    let received = smtp.received();
    let to = |who: &str, needle: &str| {
        received
            .iter()
            .filter(|m| m.to == [who.to_string()] && m.text().contains(needle))
            .count()
    };
    assert_eq!(to(VIEWER_EMAIL, "Bring back the revised costs"), 1);
    assert_eq!(
        to(EDITOR_EMAIL, &format!("{PUBLIC_URL}/raid/{}", ids[0])),
        1
    );
    t.finish().await;
}

#[tokio::test]
async fn a_refusing_mail_server_is_tried_again_then_given_up_and_the_app_still_tells() {
    let (t, editor) = TestApp::with_editor().await;
    request_and_approve(&t, &editor).await;
    let smtp = SmtpServer::refusing("550 5.1.1 mailbox unavailable").await;
    let round = t.app.deliver_emails(&mailer(&smtp.url())).await.unwrap();
    assert!(round.failed >= 1 && round.sent == 0, "{round:?}");
    assert!(smtp.received().is_empty());
    let notice = notifications(&t, &editor).await["notifications"][0].clone();
    assert_eq!(notice["email_status"], "pending", "tried again later");
    assert_eq!(notice["email_attempts"], 1);
    assert!(
        notice["email_error"]
            .as_str()
            .unwrap()
            .contains("mailbox unavailable"),
        "{notice}"
    );
    for _ in 1..MAX_EMAIL_ATTEMPTS {
        t.app.deliver_emails(&mailer(&smtp.url())).await.unwrap();
    }
    let notice = notifications(&t, &editor).await["notifications"][0].clone();
    assert_eq!(notice["email_status"], "failed");
    assert_eq!(notice["email_attempts"], MAX_EMAIL_ATTEMPTS);
    // A server that is not there: the error names it, without credentials.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let (_id, _) = {
        // A second decision for someone, so there is something to send.
        let keys = concept_design_keys(&t).await;
        let code = free_concept_project(&t).await;
        let body = json!({"project": code, "to_stage": "design", "summary": "Ready",
            "evidence": evidence(&keys, "see the case")});
        let r = t
            .json(Method::POST, "/api/v1/gate-requests", &editor, None, &body)
            .await;
        let id = r.json()["id"].as_i64().unwrap();
        let r = t
            .json(
                Method::POST,
                &format!("/api/v1/gate-requests/{id}/decision"),
                &t.admin_token,
                Some("\"v1\""),
                &json!({"outcome": "deferred", "reasons": "Not yet"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        (id, code)
    };
    let url = format!("smtp://portfolio:s3cret@127.0.0.1:{closed}");
    let round = t.app.deliver_emails(&mailer(&url)).await.unwrap();
    assert!(round.failed >= 1, "{round:?}");
    let notice = notifications(&t, &editor).await["notifications"][0].clone();
    let error = notice["email_error"].as_str().unwrap();
    assert!(
        error.contains(&format!("smtp://127.0.0.1:{closed}")),
        "{error}"
    );
    assert!(
        !error.contains("s3cret"),
        "no password in the error: {error}"
    );
    // The app still shows it, and marking all read clears the count.
    let r = t
        .json(
            Method::POST,
            "/api/v1/notifications/read",
            &editor,
            None,
            &json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["marked"], 2);
    assert_eq!(notifications(&t, &editor).await["unread"], 0);
    t.finish().await;
}
