//! Hardening: security headers, sign-in throttling per account and per
//! address, session rotation, tampered cookies, CSRF tokens of another
//! session, and the optional second factor (TOTP).

mod common;

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, Method, Request, StatusCode};
use common::{
    form_encode, hidden_input, Resp, Session, TestApp, ADMIN_EMAIL, PASSWORD, VIEWER_EMAIL,
};
use portfolio_app::second_factor::current_code;
use portfolio_web::{router, ServeOptions};
use tower::ServiceExt;

/// One sign-in attempt through the form, from `address` when given.
async fn attempt(t: &TestApp, email: &str, password: &str, address: Option<&str>) -> Resp {
    let request = attempt_request(t, email, password, address, None).await;
    t.call(request).await
}

/// A sign-in request from `address` (the connection's peer) with an
/// optional `X-Forwarded-For` header.
async fn attempt_request(
    t: &TestApp,
    email: &str,
    password: &str,
    address: Option<&str>,
    forwarded_for: Option<&str>,
) -> Request<Body> {
    let form = t.get("/sign-in", None).await;
    let csrf = hidden_input(&form.text(), "csrf_token").unwrap();
    let mut builder = Request::builder()
        .method(Method::POST)
        .uri("/sign-in")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, format!("portfolio_sign_in={csrf}"));
    if let Some(f) = forwarded_for {
        builder = builder.header("x-forwarded-for", f);
    }
    let mut request = builder
        .body(Body::from(form_encode(&[
            ("email", email),
            ("password", password),
            ("csrf_token", &csrf),
            ("next", "/"),
        ])))
        .unwrap();
    if let Some(a) = address {
        let addr: SocketAddr = format!("{a}:40000").parse().unwrap();
        request.extensions_mut().insert(ConnectInfo(addr));
    }
    request
}

async fn status_via(router: &axum::Router, request: Request<Body>) -> StatusCode {
    router.clone().oneshot(request).await.unwrap().status()
}

async fn audit_actions(t: &TestApp, email: &str) -> Vec<(String, Option<serde_json::Value>)> {
    let user = t
        .app
        .store
        .user_by_email(email)
        .await
        .unwrap()
        .unwrap()
        .user;
    t.app
        .store
        .history(user.organisation_id, "user", user.id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.action, e.after))
        .collect()
}

fn count(actions: &[(String, Option<serde_json::Value>)], action: &str) -> usize {
    actions.iter().filter(|(a, _)| a == action).count()
}

#[tokio::test]
async fn pages_and_the_api_send_the_security_headers() {
    let t = TestApp::start().await;
    for path in ["/sign-in", "/api/v1/openapi.json", "/no-such-page"] {
        let r = t.get(path, None).await;
        let csp = r.header("content-security-policy").unwrap_or_default();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(csp.contains("script-src 'self'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-eval"), "{path}: {csp}");
        assert_eq!(
            r.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(r.header("x-frame-options"), Some("DENY"), "{path}");
        assert_eq!(r.header("referrer-policy"), Some("same-origin"), "{path}");
        assert_eq!(
            r.header("strict-transport-security"),
            None,
            "{path}: no HSTS without TLS"
        );
    }
    // Behind TLS: HSTS, and the session cookie is Secure.
    let secure = router(
        t.app.clone(),
        &ServeOptions {
            secure_cookies: true,
            ..ServeOptions::default()
        },
    );
    let r = secure
        .oneshot(Request::get("/sign-in").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(
        r.headers()
            .get("strict-transport-security")
            .and_then(|v| v.to_str().ok()),
        Some("max-age=31536000; includeSubDomains")
    );
    let cookie = r
        .headers()
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(cookie.contains("Secure"), "{cookie}");
    t.finish().await;
}

#[tokio::test]
async fn an_account_is_throttled_after_five_failures_and_others_are_not() {
    let t = TestApp::start().await;
    for i in 0..5 {
        let r = attempt(&t, ADMIN_EMAIL, "not the right password", None).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "attempt {i}");
        assert!(r
            .text()
            .contains("Enter a correct email address and password"));
    }
    // Now even the right password is refused, with a clear message.
    let r = attempt(&t, ADMIN_EMAIL, PASSWORD, None).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    let html = r.text();
    assert!(html.contains("govuk-error-summary"), "{html}");
    assert!(
        html.contains("Too many attempts — try again in 15 minutes"),
        "{html}"
    );
    assert!(r.cookie("portfolio_session").is_none());
    // Another account signs in as usual.
    let r = attempt(&t, VIEWER_EMAIL, PASSWORD, None).await;
    assert!(r.status.is_redirection(), "{}", r.status);
    assert!(r.cookie("portfolio_session").is_some());

    // The audit trail has each failure, the refusal, and never the password.
    let actions = audit_actions(&t, ADMIN_EMAIL).await;
    assert_eq!(count(&actions, "sign_in_failed"), 5, "{actions:?}");
    assert_eq!(count(&actions, "sign_in_throttled"), 1, "{actions:?}");
    assert_eq!(count(&actions, "signed_in"), 0, "{actions:?}");
    let failure = actions
        .iter()
        .find(|(a, _)| a == "sign_in_failed")
        .and_then(|(_, after)| after.clone())
        .unwrap();
    assert_eq!(failure["reason"], "wrong password");
    let all = format!("{actions:?}");
    assert!(!all.contains("not the right password"), "{all}");
    assert!(!all.contains(PASSWORD), "{all}");
    t.finish().await;
}

#[tokio::test]
async fn signing_in_resets_the_account_counter() {
    let t = TestApp::start().await;
    for _ in 0..4 {
        attempt(&t, ADMIN_EMAIL, "not the right password", None).await;
    }
    let r = attempt(&t, ADMIN_EMAIL, PASSWORD, None).await;
    assert!(r.status.is_redirection(), "{}", r.status);
    for _ in 0..4 {
        let r = attempt(&t, ADMIN_EMAIL, "not the right password", None).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let r = attempt(&t, ADMIN_EMAIL, PASSWORD, None).await;
    assert!(
        r.status.is_redirection(),
        "the earlier four no longer count: {}",
        r.status
    );
    t.finish().await;
}

#[tokio::test]
async fn an_address_is_throttled_after_twenty_failures_across_accounts() {
    let t = TestApp::start().await;
    // Unknown accounts count too, so throttling does not reveal which exist.
    for i in 0..20 {
        let email = format!("nobody{i}@northmere.example");
        let r = attempt(&t, &email, "guess guess guess", Some("203.0.113.7")).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "attempt {i}");
    }
    let r = attempt(&t, ADMIN_EMAIL, PASSWORD, Some("203.0.113.7")).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.text().contains("Too many attempts"), "{}", r.text());
    let actions = audit_actions(&t, ADMIN_EMAIL).await;
    let throttled = actions
        .iter()
        .find(|(a, _)| a == "sign_in_throttled")
        .and_then(|(_, after)| after.clone())
        .expect("the refusal is audited");
    assert_eq!(throttled["address"], "203.0.113.7");
    // From another address the same account signs in.
    let r = attempt(&t, ADMIN_EMAIL, PASSWORD, Some("198.51.100.1")).await;
    assert!(r.status.is_redirection(), "{}", r.status);
    let actions = audit_actions(&t, ADMIN_EMAIL).await;
    let signed_in = actions
        .iter()
        .find(|(a, _)| a == "signed_in")
        .and_then(|(_, after)| after.clone())
        .unwrap();
    assert_eq!(signed_in["address"], "198.51.100.1");
    t.finish().await;
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_address_is_throttled() {
    let t = TestApp::start().await;
    let proxied = router(
        t.app.clone(),
        &ServeOptions {
            trust_forwarded_for: true,
            ..ServeOptions::default()
        },
    );
    let proxy = Some("10.0.0.2");
    for i in 0..20 {
        let email = format!("nobody{i}@northmere.example");
        let r = attempt_request(
            &t,
            &email,
            "guess guess guess",
            proxy,
            Some("192.0.2.1, 203.0.113.9"),
        )
        .await;
        assert_eq!(
            status_via(&proxied, r).await,
            StatusCode::UNPROCESSABLE_ENTITY
        );
    }
    let r = attempt_request(&t, ADMIN_EMAIL, PASSWORD, proxy, Some("203.0.113.9")).await;
    assert_eq!(status_via(&proxied, r).await, StatusCode::TOO_MANY_REQUESTS);
    // Another client behind the same proxy is not held back.
    let r = attempt_request(&t, ADMIN_EMAIL, PASSWORD, proxy, Some("203.0.113.10")).await;
    assert!(status_via(&proxied, r).await.is_redirection());
    // Without the option the header is ignored: the peer's address counts,
    // and nothing failed from it.
    let r = attempt_request(
        &t,
        VIEWER_EMAIL,
        PASSWORD,
        Some("10.0.0.3"),
        Some("203.0.113.9"),
    )
    .await;
    assert!(t.call(r).await.status.is_redirection());
    t.finish().await;
}

#[tokio::test]
async fn each_sign_in_gets_a_new_session_and_ends_the_old_one() {
    let t = TestApp::start().await;
    let first = t.sign_in(ADMIN_EMAIL).await;
    // Sign in again from the same browser, which still sends the old cookie.
    let form = t.get("/sign-in", None).await;
    let csrf = hidden_input(&form.text(), "csrf_token").unwrap();
    let r = t
        .call(
            Request::builder()
                .method(Method::POST)
                .uri("/sign-in")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(
                    header::COOKIE,
                    format!(
                        "portfolio_sign_in={csrf}; portfolio_session={}",
                        first.cookie
                    ),
                )
                .body(Body::from(form_encode(&[
                    ("email", ADMIN_EMAIL),
                    ("password", PASSWORD),
                    ("csrf_token", &csrf),
                    ("next", "/"),
                ])))
                .unwrap(),
        )
        .await;
    assert!(r.status.is_redirection());
    let second = r.cookie("portfolio_session").expect("a new session cookie");
    assert_ne!(second, first.cookie, "a new session id");
    let old = t.page(&first, "/").await;
    assert_eq!(
        old.header("location"),
        Some("/sign-in"),
        "the old session ended"
    );
    let new = Session {
        cookie: second,
        csrf: String::new(),
    };
    assert_eq!(t.page(&new, "/").await.status, StatusCode::OK);
    t.finish().await;
}

#[tokio::test]
async fn a_tampered_cookie_signs_out_and_another_sessions_csrf_token_is_refused() {
    let t = TestApp::start().await;
    let admin = t.sign_in(ADMIN_EMAIL).await;
    let viewer = t.sign_in(VIEWER_EMAIL).await;

    // One character changed, cut short, or not hex: not signed in.
    let mut flipped = admin.cookie.clone().into_bytes();
    flipped[10] = if flipped[10] == b'a' { b'b' } else { b'a' };
    for tampered in [
        String::from_utf8(flipped).unwrap(),
        admin.cookie[..40].to_string(),
        "x".repeat(64),
    ] {
        let s = Session {
            cookie: tampered,
            csrf: admin.csrf.clone(),
        };
        let r = t.page(&s, "/").await;
        assert_eq!(r.header("location"), Some("/sign-in"));
        let r = t
            .post_form(
                &s,
                "/account/tokens",
                &[
                    ("csrf_token", &admin.csrf),
                    ("name", "tampered"),
                    ("scope", "read"),
                    ("expires_in_days", "30"),
                ],
            )
            .await;
        assert!(r.status.is_redirection(), "{}", r.status);
        assert!(
            r.header("location")
                .unwrap_or_default()
                .starts_with("/sign-in"),
            "{:?}",
            r.header("location")
        );
    }

    // The admin's cookie with the viewer's CSRF token: 403, nothing made.
    let org = t
        .app
        .store
        .user_by_email(ADMIN_EMAIL)
        .await
        .unwrap()
        .unwrap()
        .user
        .organisation_id;
    let before = t.app.store.audit_count(org).await.unwrap();
    let r = t
        .post_form(
            &admin,
            "/account/tokens",
            &[
                ("csrf_token", &viewer.csrf),
                ("name", "cross-session"),
                ("scope", "read"),
                ("expires_in_days", "30"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let page = t.page(&admin, "/account/tokens").await;
    assert!(!page.text().contains("cross-session"));
    assert_eq!(t.app.store.audit_count(org).await.unwrap(), before);
    t.finish().await;
}

/// The authenticator app's code `steps` 30-second steps from now, at least
/// five seconds before the step changes (so the server sees the same step).
async fn code(secret: &str, steps: i64) -> String {
    loop {
        let now = chrono::Utc::now().timestamp();
        if now % 30 < 25 {
            return current_code(secret, (now + steps * 30) as u64).unwrap();
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
}

#[tokio::test]
async fn a_second_factor_is_set_up_asked_for_at_sign_in_and_turned_off() {
    let t = TestApp::start().await;
    let admin = t.sign_in(ADMIN_EMAIL).await;
    let r = t.page(&admin, "/account/security").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let html = r.text();
    assert!(html.contains("<svg"), "a QR code");
    assert!(html.contains("id=\"totp-status\">Off"), "{html}");
    let secret = hidden_input(&html, "secret").expect("the secret in the form");
    assert_eq!(secret.len(), 32);

    // A wrong code does not turn it on; the same secret is offered again.
    let r = t
        .post_form(
            &admin,
            "/account/security/totp",
            &[
                ("csrf_token", &admin.csrf),
                ("secret", &secret),
                ("code", "000000x"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("Enter the 6-digit security code"));
    assert_eq!(
        hidden_input(&r.text(), "secret").as_deref(),
        Some(secret.as_str())
    );

    let set_up_code = code(&secret, -1).await;
    let r = t
        .post_form(
            &admin,
            "/account/security/totp",
            &[
                ("csrf_token", &admin.csrf),
                ("secret", &secret),
                ("code", &set_up_code),
            ],
        )
        .await;
    assert_eq!(r.header("location"), Some("/account/security?done=enabled"));
    let html = t
        .page(&admin, "/account/security?done=enabled")
        .await
        .text();
    assert!(html.contains("id=\"totp-status\">On"), "{html}");
    assert!(!html.contains(&secret), "the secret is not shown again");

    // Signing in now asks for a code; the password alone signs nobody in.
    let r = attempt(&t, ADMIN_EMAIL, PASSWORD, None).await;
    assert!(r.status.is_redirection());
    assert_eq!(r.header("location"), Some("/sign-in/code?next=/"));
    assert!(r.cookie("portfolio_session").is_none());
    let pending = r
        .cookie("portfolio_sign_in_code")
        .expect("a pending cookie");
    let as_session = Session {
        cookie: pending.clone(),
        csrf: String::new(),
    };
    assert_eq!(
        t.page(&as_session, "/").await.header("location"),
        Some("/sign-in"),
        "a pending sign-in is not a session"
    );
    let code_request = |code: String, csrf: String| {
        Request::builder()
            .method(Method::POST)
            .uri("/sign-in/code")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, format!("portfolio_sign_in_code={pending}"))
            .body(Body::from(form_encode(&[
                ("code", &code),
                ("csrf_token", &csrf),
                ("next", "/"),
            ])))
            .unwrap()
    };
    let form = t
        .call(
            Request::get("/sign-in/code")
                .header(header::COOKIE, format!("portfolio_sign_in_code={pending}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(form.status, StatusCode::OK);
    let csrf = hidden_input(&form.text(), "csrf_token").unwrap();
    // Another token: refused. The code already used to set up: refused.
    let r = t
        .call(code_request(code(&secret, 0).await, "f".repeat(64)))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = t
        .call(code_request(set_up_code.clone(), csrf.clone()))
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a code works once"
    );
    assert!(r.cookie("portfolio_session").is_none());
    let r = t
        .call(code_request(code(&secret, 0).await, csrf.clone()))
        .await;
    assert!(r.status.is_redirection(), "{}: {}", r.status, r.text());
    let cookie = r.cookie("portfolio_session").expect("signed in");
    let page = t
        .page(
            &Session {
                cookie: cookie.clone(),
                csrf: String::new(),
            },
            "/",
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let csrf2 = hidden_input(&page.text(), "csrf_token").unwrap();
    let signed_in = Session {
        cookie,
        csrf: csrf2,
    };
    // The pending sign-in is used up.
    let r = t.call(code_request(code(&secret, 1).await, csrf)).await;
    assert_eq!(r.header("location"), Some("/sign-in"));

    // Turning it off needs a current code.
    let r = t
        .post_form(
            &signed_in,
            "/account/security/totp/disable",
            &[("csrf_token", &signed_in.csrf), ("code", "123")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = t
        .post_form(
            &signed_in,
            "/account/security/totp/disable",
            &[
                ("csrf_token", &signed_in.csrf),
                ("code", &code(&secret, 1).await),
            ],
        )
        .await;
    assert_eq!(
        r.header("location"),
        Some("/account/security?done=disabled")
    );
    let r = attempt(&t, ADMIN_EMAIL, PASSWORD, None).await;
    assert!(
        r.cookie("portfolio_session").is_some(),
        "password alone again"
    );

    let actions = audit_actions(&t, ADMIN_EMAIL).await;
    assert_eq!(count(&actions, "totp_enabled"), 1, "{actions:?}");
    assert_eq!(count(&actions, "totp_disabled"), 1, "{actions:?}");
    assert_eq!(count(&actions, "sign_in_code_needed"), 1, "{actions:?}");
    let failure = actions
        .iter()
        .find(|(a, _)| a == "sign_in_failed")
        .and_then(|(_, after)| after.clone())
        .unwrap();
    assert_eq!(failure["reason"], "wrong security code");
    assert!(
        !format!("{actions:?}").contains(&secret),
        "the secret is never audited"
    );
    t.finish().await;
}

#[tokio::test]
async fn the_most_negative_amount_is_refused_with_a_problem_not_a_dropped_connection() {
    let t = TestApp::start().await;
    let mut draft = common::valid_draft();
    draft["costs"] =
        serde_json::json!([{"year": "2026/27", "capital_pence": 0, "revenue_pence": i64::MIN}]);
    let r = t
        .json(
            Method::POST,
            "/api/v1/projects",
            &t.admin_token,
            None,
            &draft,
        )
        .await;
    r.problem(422, Some("costs[0].revenue_pence"));
    t.finish().await;
}
