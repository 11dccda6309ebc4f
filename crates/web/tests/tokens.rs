//! API tokens with scopes and expiry: what a read token may not do, a token
//! making a wider one, revocation by the owner and by an administrator, and
//! the page that shows a new secret once.

mod common;

use axum::http::{Method, StatusCode};
use common::{TestApp, ADMIN_EMAIL, EDITOR_EMAIL};
use serde_json::json;

async fn new_token(t: &TestApp, token: &str, scope: &str, days: Option<i64>) -> common::Resp {
    let mut body = json!({"name": format!("{scope} script"), "scope": scope});
    if let Some(days) = days {
        body["expires_in_days"] = json!(days);
    }
    t.json(Method::POST, "/api/v1/tokens", token, None, &body)
        .await
}

#[tokio::test]
async fn a_read_token_reads_but_cannot_change_anything() {
    let (t, editor) = TestApp::with_editor().await;
    let r = new_token(&t, &editor, "read", Some(30)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let created = r.json();
    let read = created["secret"].as_str().expect("secret").to_string();
    assert!(read.starts_with("pf_"));
    assert_eq!(created["token"]["scope"], "read");
    assert_eq!(created["token"]["user"], EDITOR_EMAIL);
    assert_eq!(created["token"]["active"], true);

    // Reads work.
    let r = t.get("/api/v1/dashboard", Some(&read)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["total"], 76);

    // A write the editor's role allows is refused for the read token, saying why.
    let draft = json!({"title": "Read tokens write nothing", "department": "families-and-communities", "stage": "concept"});
    let r = t
        .json(Method::POST, "/api/v1/projects", &read, None, &draft)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    assert_eq!(
        r.json()["type"]
            .as_str()
            .unwrap_or_default()
            .rsplit('/')
            .next(),
        Some("token-scope"),
        "{}",
        r.text()
    );
    assert!(
        r.text().contains("scope (read only) does not allow that"),
        "{}",
        r.text()
    );
    assert_eq!(t.total().await, 76, "nothing was written");

    // The editor's full token may write the same thing.
    let r = t
        .json(Method::POST, "/api/v1/projects", &editor, None, &draft)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());

    // A read token cannot make a write token; it can make another read token.
    let r = new_token(&t, &read, "write", None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert!(
        r.text().contains("a read token can only make read tokens"),
        "{}",
        r.text()
    );
    let r = new_token(&t, &read, "read", None).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());

    // Bad values are named.
    let r = new_token(&t, &editor, "everything", Some(400)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    let text = r.text();
    assert!(text.contains("'everything' is not a token scope"), "{text}");
    assert!(text.contains("from 1 to 366, not 400"), "{text}");
    t.finish().await;
}

#[tokio::test]
async fn owners_and_administrators_revoke_and_nobody_else_can() {
    let (t, editor) = TestApp::with_editor().await;
    let r = new_token(&t, &editor, "write", None).await;
    let created = r.json();
    let secret = created["secret"].as_str().unwrap().to_string();
    let id = created["token"]["id"].as_i64().unwrap();

    // Listed without the secret, with its expiry 90 days out.
    let r = t.get("/api/v1/tokens", Some(&editor)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r.text().contains(&secret), "a list never holds a secret");
    let listed = r.json();
    let mine = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == id)
        .expect("listed");
    let expires: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(mine["expires_at"].clone()).unwrap();
    let days = (expires - chrono::Utc::now()).num_days();
    assert!((89..=90).contains(&days), "{days}");

    // A viewer cannot revoke it (it does not exist for them) nor list everyone's.
    let r = t
        .raw(
            Method::DELETE,
            &format!("/api/v1/tokens/{id}"),
            &t.viewer_token,
            &[],
            "",
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
    let r = t
        .get("/api/v1/tokens?all=true", Some(&t.viewer_token))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    assert_eq!(
        t.get("/api/v1/dashboard", Some(&secret)).await.status,
        StatusCode::OK
    );

    // The administrator sees it and revokes it; it stops at once.
    let r = t.get("/api/v1/tokens?all=true", Some(&t.admin_token)).await;
    assert!(r.json().as_array().unwrap().iter().any(|t| t["id"] == id));
    let r = t
        .raw(
            Method::DELETE,
            &format!("/api/v1/tokens/{id}"),
            &t.admin_token,
            &[],
            "",
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["revoked_by"], ADMIN_EMAIL);
    assert_eq!(r.json()["active"], false);
    let r = t.get("/api/v1/dashboard", Some(&secret)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    // A second revoke says who did it.
    let r = t
        .raw(
            Method::DELETE,
            &format!("/api/v1/tokens/{id}"),
            &editor,
            &[],
            "",
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert!(
        r.text()
            .contains(&format!("already revoked by {ADMIN_EMAIL}")),
        "{}",
        r.text()
    );
    t.finish().await;
}

#[tokio::test]
async fn the_page_shows_a_new_secret_once_and_revokes() {
    let (t, editor) = TestApp::with_editor().await;
    let s = t.sign_in(EDITOR_EMAIL).await;
    let page = t.page(&s, "/account/tokens").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("Create a token"));
    assert!(
        page.text().contains("href=\"&#x2f;account&#x2f;tokens\"")
            || page.text().contains("href=\"/account/tokens\""),
        "footer link"
    );

    // Errors are named and linked to their fields; nothing is made.
    let r = t
        .post_form(
            &s,
            "/account/tokens",
            &[
                ("csrf_token", &s.csrf),
                ("name", ""),
                ("scope", "read"),
                ("expires_in_days", "90"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text().contains("href=\"#token-name\""), "{}", r.text());
    assert!(r.text().contains("Error: API tokens"));
    let count = |r: common::Resp| r.json().as_array().map(Vec::len).unwrap_or_default();
    assert_eq!(
        count(t.get("/api/v1/tokens", Some(&editor)).await),
        1,
        "only the test's own token"
    );

    // A bad CSRF token changes nothing.
    let r = t
        .post_form(
            &s,
            "/account/tokens",
            &[
                ("csrf_token", "forged"),
                ("name", "Forged"),
                ("scope", "admin"),
                ("expires_in_days", "90"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        count(t.get("/api/v1/tokens", Some(&editor)).await),
        1,
        "nothing made"
    );

    let r = t
        .post_form(
            &s,
            "/account/tokens",
            &[
                ("csrf_token", &s.csrf),
                ("name", "Cabinet figures"),
                ("scope", "read"),
                ("expires_in_days", "30"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let text = r.text();
    let secret = text
        .split("value=\"")
        .find_map(|rest| {
            rest.strip_prefix("pf_")
                .map(|s| format!("pf_{}", &s[..s.find('"').unwrap()]))
        })
        .expect("the new secret is shown");
    assert!(text.contains("Token created"));
    assert_eq!(
        t.get("/api/v1/dashboard", Some(&secret)).await.status,
        StatusCode::OK
    );

    // Shown once: the list page never holds it.
    let page = t.page(&s, "/account/tokens").await;
    assert!(!page.text().contains(&secret));
    assert!(page.text().contains("Cabinet figures"));
    let id: i64 = page
        .text()
        .split("/account/tokens/")
        .chain(page.text().split("&#x2f;account&#x2f;tokens&#x2f;"))
        .skip(1)
        .find_map(|rest| {
            rest.split(|c: char| !c.is_ascii_digit())
                .next()?
                .parse()
                .ok()
        })
        .expect("a revoke form");

    let r = t
        .post_form(
            &s,
            &format!("/account/tokens/{id}/revoke"),
            &[("csrf_token", &s.csrf)],
        )
        .await;
    assert!(r.status.is_redirection(), "{}", r.status);
    let page = t.page(&s, &format!("/account/tokens?revoked={id}")).await;
    assert!(
        page.text().contains("is revoked: it no longer works"),
        "{}",
        page.text()
    );
    assert!(page.text().contains("Revoked"));
    assert_eq!(
        t.get("/api/v1/dashboard", Some(&secret)).await.status,
        StatusCode::UNAUTHORIZED
    );
    t.finish().await;
}
