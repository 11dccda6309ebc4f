//! Single sign-on through OpenID Connect against a small provider run in the
//! test on loopback: discovery, published keys, and a token endpoint that
//! checks PKCE and returns an ID token the test shapes (right, or with a wrong
//! audience, issuer, signature, nonce or expiry). Every refusal must come with
//! the right status and change nothing.

mod common;

use std::sync::{Arc, Mutex, OnceLock};

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, Request, StatusCode};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::Engine;
use common::{Resp, TempDir, PASSWORD};
use openidconnect::core::{
    CoreGenderClaim, CoreJsonWebKey, CoreJsonWebKeySet, CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm, CoreRsaPrivateSigningKey,
};
use openidconnect::{
    AdditionalClaims, Audience, EndUserEmail, IdToken, IdTokenClaims, IssuerUrl, JsonWebKeyId,
    PrivateSigningKey, StandardClaims, SubjectIdentifier,
};
use portfolio_app::sso::{parse_group_roles, Sso, SsoSettings};
use portfolio_app::{App, ConnectOptions, Settings};
use portfolio_domain::Role;
use portfolio_web::{router, ServeOptions};
use rsa::pkcs1::EncodeRsaPrivateKey;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tower::ServiceExt;

const CLIENT_ID: &str = "portfolio-test";
const CLIENT_SECRET: &str = "a-test-client-secret";
const REDIRECT: &str = "http://127.0.0.1:9/sign-in/oidc/callback";
const NEW_EMAIL: &str = "sam.sso@northmere.example";

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Groups {
    groups: Vec<String>,
}
impl AdditionalClaims for Groups {}

/// PKCS#1 PEMs of two keys made once per run: the provider's, and a stranger's.
fn keys() -> &'static (String, String) {
    static KEYS: OnceLock<(String, String)> = OnceLock::new();
    KEYS.get_or_init(|| {
        let pem = || {
            rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048)
                .expect("make RSA key")
                .to_pkcs1_pem(rsa::pkcs1::LineEnding::LF)
                .expect("PEM")
                .to_string()
        };
        (pem(), pem())
    })
}

fn signing_key(pem: &str) -> CoreRsaPrivateSigningKey {
    CoreRsaPrivateSigningKey::from_pem(pem, Some(JsonWebKeyId::new("k1".into()))).expect("key")
}

/// How the next ID token is to be made, and what the provider saw.
#[derive(Debug, Clone)]
struct Plan {
    nonce: String,
    code_challenge: String,
    audience: String,
    issuer: Option<String>,
    expires_in_seconds: i64,
    wrong_key: bool,
    email: String,
    subject: String,
    groups: Vec<String>,
    token_calls: usize,
}

#[derive(Clone)]
struct Provider {
    base: String,
    plan: Arc<Mutex<Plan>>,
}

async fn discovery(State(p): State<Provider>) -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "issuer": p.base,
        "authorization_endpoint": format!("{}/authorize", p.base),
        "token_endpoint": format!("{}/token", p.base),
        "jwks_uri": format!("{}/jwks", p.base),
        "end_session_endpoint": format!("{}/session/end", p.base),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
    }))
}

async fn jwks() -> Json<serde_json::Value> {
    let key: CoreJsonWebKey = signing_key(&keys().0).as_verification_key();
    Json(serde_json::to_value(CoreJsonWebKeySet::new(vec![key])).unwrap())
}

#[derive(Deserialize)]
struct TokenForm {
    code: String,
    code_verifier: Option<String>,
    redirect_uri: String,
}

async fn token(
    State(p): State<Provider>,
    headers: axum::http::HeaderMap,
    Form(f): Form<TokenForm>,
) -> (StatusCode, Json<serde_json::Value>) {
    let mut plan = p.plan.lock().unwrap();
    plan.token_calls += 1;
    let basic =
        base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"));
    let authorised = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        == Some(&format!("Basic {basic}"));
    let challenge = f.code_verifier.as_deref().map(|v| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(v.as_bytes()))
    });
    if !authorised
        || f.code != "the-code"
        || f.redirect_uri != REDIRECT
        || challenge.as_deref() != Some(plan.code_challenge.as_str())
    {
        return (
            StatusCode::BAD_REQUEST,
            Json(serde_json::json!({ "error": "invalid_grant" })),
        );
    }
    let now = chrono::Utc::now();
    let claims = IdTokenClaims::<Groups, CoreGenderClaim>::new(
        IssuerUrl::new(plan.issuer.clone().unwrap_or_else(|| p.base.clone())).unwrap(),
        vec![Audience::new(plan.audience.clone())],
        now + chrono::Duration::seconds(plan.expires_in_seconds),
        now - chrono::Duration::seconds(5),
        StandardClaims::new(SubjectIdentifier::new(plan.subject.clone()))
            .set_email(Some(EndUserEmail::new(plan.email.clone()))),
        Groups {
            groups: plan.groups.clone(),
        },
    )
    .set_nonce(Some(openidconnect::Nonce::new(plan.nonce.clone())));
    let key = if plan.wrong_key { &keys().1 } else { &keys().0 };
    let id_token = IdToken::<
        Groups,
        CoreGenderClaim,
        CoreJweContentEncryptionAlgorithm,
        CoreJwsSigningAlgorithm,
    >::new(
        claims,
        &signing_key(key),
        CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
        None,
        None,
    )
    .unwrap();
    (
        StatusCode::OK,
        Json(serde_json::json!({
            "access_token": "an-access-token",
            "token_type": "Bearer",
            "expires_in": 300,
            "id_token": id_token.to_string(),
        })),
    )
}

struct World {
    app: App,
    router: Router,
    plan: Arc<Mutex<Plan>>,
    issuer: String,
    _dir: TempDir,
}

async fn world(create_users: bool) -> World {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let plan = Arc::new(Mutex::new(Plan {
        nonce: String::new(),
        code_challenge: String::new(),
        audience: CLIENT_ID.into(),
        issuer: None,
        expires_in_seconds: 300,
        wrong_key: false,
        email: NEW_EMAIL.into(),
        subject: "subject-sam".into(),
        groups: vec!["everyone".into(), "pmo-group".into()],
        token_calls: 0,
    }));
    let provider = Provider {
        base: base.clone(),
        plan: plan.clone(),
    };
    let provider_routes = Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/jwks", get(jwks))
        .route("/token", post(token))
        .with_state(provider);
    tokio::spawn(async move { axum::serve(listener, provider_routes).await });

    let dir = TempDir::new();
    let url = format!("sqlite://{}/t.sqlite", dir.path().display());
    let app = App::open(&url, &ConnectOptions::default(), Settings::default())
        .await
        .expect("open app");
    app.seed_demo(PASSWORD).await.expect("seed demo");
    let settings = SsoSettings {
        issuer: base.clone(),
        client_id: CLIENT_ID.into(),
        client_secret: Some(CLIENT_SECRET.into()),
        redirect_url: REDIRECT.into(),
        scopes: vec!["openid".into(), "email".into()],
        groups_claim: "groups".into(),
        group_roles: parse_group_roles("admin-group=admin,pmo-group=editor").unwrap(),
        default_role: None,
        create_users,
        organisation: "northmere".into(),
    };
    let sso = Sso::connect(&app, settings)
        .await
        .expect("connect to provider");
    let app = app.with_sso(sso);
    let router = router(app.clone(), &ServeOptions::default());
    World {
        app,
        router,
        plan,
        issuer: base,
        _dir: dir,
    }
}

/// A sign-in begun: the state and the browser cookie.
struct Begun {
    state: String,
    cookie: String,
}

fn query_param(url: &str, name: &str) -> Option<String> {
    let url = openidconnect::url::Url::parse(url).ok()?;
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

impl World {
    async fn call(&self, request: Request<Body>) -> Resp {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = http_body_util::BodyExt::collect(response.into_body())
            .await
            .unwrap()
            .to_bytes();
        Resp {
            status,
            headers,
            body,
        }
    }

    async fn get(&self, path: &str, cookie: Option<&str>) -> Resp {
        let mut request = Request::builder().uri(path);
        if let Some(c) = cookie {
            request = request.header(header::COOKIE, c);
        }
        self.call(request.body(Body::empty()).unwrap()).await
    }

    /// `/sign-in/oidc`, as the provider would see it: PKCE, state and nonce.
    async fn begin(&self) -> Begun {
        let r = self.get("/sign-in/oidc?next=/projects", None).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
        let location = r.header("location").unwrap().to_string();
        assert!(
            location.starts_with(&format!("{}/authorize?", self.issuer)),
            "{location}"
        );
        assert_eq!(
            query_param(&location, "response_type").as_deref(),
            Some("code")
        );
        assert_eq!(
            query_param(&location, "client_id").as_deref(),
            Some(CLIENT_ID)
        );
        assert_eq!(
            query_param(&location, "code_challenge_method").as_deref(),
            Some("S256")
        );
        assert!(query_param(&location, "scope").unwrap().contains("openid"));
        let mut plan = self.plan.lock().unwrap();
        plan.nonce = query_param(&location, "nonce").expect("nonce");
        plan.code_challenge = query_param(&location, "code_challenge").expect("PKCE challenge");
        let state = query_param(&location, "state").expect("state");
        let cookie = r.cookie("portfolio_sso").expect("browser cookie");
        Begun {
            state,
            cookie: format!("portfolio_sso={cookie}"),
        }
    }

    async fn callback(&self, begun: &Begun) -> Resp {
        self.get(
            &format!("/sign-in/oidc/callback?state={}&code=the-code", begun.state),
            Some(&begun.cookie),
        )
        .await
    }

    async fn organisation_audit_count(&self) -> i64 {
        let org = self
            .app
            .store
            .organisation_by_slug("northmere")
            .await
            .unwrap();
        self.app.store.audit_count(org.id).await.unwrap()
    }

    async fn user_count(&self) -> usize {
        let org = self
            .app
            .store
            .organisation_by_slug("northmere")
            .await
            .unwrap();
        self.app.store.users(org.id).await.unwrap().len()
    }

    /// Asserts the response refused with `status`, set no session and changed nothing.
    async fn assert_refused(&self, r: &Resp, status: StatusCode, says: &str, before: (i64, usize)) {
        assert_eq!(r.status, status, "{}", r.text());
        assert!(
            r.text().contains(says),
            "page should say {says:?}: {}",
            r.text()
        );
        assert!(r.text().contains("Nothing has been changed"));
        assert_eq!(r.cookie("portfolio_session"), None, "no session");
        assert_eq!(
            (
                self.organisation_audit_count().await,
                self.user_count().await
            ),
            before,
            "nothing changed"
        );
        assert!(self
            .app
            .store
            .user_by_email(NEW_EMAIL)
            .await
            .unwrap()
            .is_none());
    }

    async fn before(&self) -> (i64, usize) {
        (
            self.organisation_audit_count().await,
            self.user_count().await,
        )
    }
}

#[tokio::test]
async fn a_user_signs_in_with_the_role_their_group_maps_to() {
    let w = world(true).await;
    let sign_in = w.get("/sign-in", None).await;
    assert!(sign_in.text().contains("Sign in with your work account"));
    // minijinja escapes '/' in attributes as &#x2f;.
    let href = sign_in.text().replace("&#x2f;", "/");
    assert!(href.contains("href=\"/sign-in/oidc?next=/\""), "{href}");

    let begun = w.begin().await;
    let r = w.callback(&begun).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(r.header("location"), Some("/projects"));
    let session = r.cookie("portfolio_session").expect("session");
    let user = w
        .app
        .store
        .user_by_email(NEW_EMAIL)
        .await
        .unwrap()
        .expect("created");
    assert_eq!(
        user.user.role,
        Role::ProgrammeOffice,
        "pmo-group maps to editor"
    );
    let home = w
        .get("/", Some(&format!("portfolio_session={session}")))
        .await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.text().contains("Sign out"), "signed in");
    let users = w.user_count().await;

    // Signing in again after the group changes brings the role into line.
    w.plan.lock().unwrap().groups = vec!["admin-group".into(), "pmo-group".into()];
    let begun = w.begin().await;
    assert_eq!(w.callback(&begun).await.status, StatusCode::SEE_OTHER);
    let user = w.app.store.user_by_email(NEW_EMAIL).await.unwrap().unwrap();
    assert_eq!(
        user.user.role,
        Role::Administrator,
        "the first mapping that matches wins"
    );
    assert_eq!(
        w.user_count().await,
        users,
        "the same account, not a second one"
    );

    // Signing out ends the session and goes on to the provider's end-session endpoint.
    let cookie = format!("portfolio_session={session}");
    let page = w.get("/", Some(&cookie)).await;
    let csrf = common::hidden_input(&page.text(), "csrf_token").unwrap();
    let out = w
        .call(
            Request::builder()
                .method("POST")
                .uri("/sign-out")
                .header(header::COOKIE, &cookie)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(format!("csrf_token={csrf}")))
                .unwrap(),
        )
        .await;
    assert_eq!(out.status, StatusCode::OK, "{}", out.text());
    let end = format!("{}/session/end?client_id={CLIENT_ID}", w.issuer);
    let html = out.text().replace("&#x2f;", "/").replace("&amp;", "&");
    assert!(html.contains(&format!("content=\"0; url={end}")), "{html}");
    assert!(
        html.contains(&format!("href=\"{end}")),
        "a link for when the refresh does not go"
    );
    assert!(html.contains("post_logout_redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fsign-in"));
    let after = w.get("/", Some(&cookie)).await;
    assert_eq!(after.status, StatusCode::SEE_OTHER, "the session has ended");
}

#[tokio::test]
async fn a_forged_state_is_refused() {
    let w = world(true).await;
    let begun = w.begin().await;
    let before = w.before().await;
    let forged = Begun {
        state: "forged-state-value".into(),
        cookie: begun.cookie.clone(),
    };
    let r = w.callback(&forged).await;
    w.assert_refused(
        &r,
        StatusCode::BAD_REQUEST,
        "has expired or has already been used",
        before,
    )
    .await;
    assert_eq!(
        w.plan.lock().unwrap().token_calls,
        0,
        "no code was exchanged"
    );
}

#[tokio::test]
async fn a_replayed_state_is_refused() {
    let w = world(true).await;
    let begun = w.begin().await;
    assert_eq!(w.callback(&begun).await.status, StatusCode::SEE_OTHER);
    let before = w.before().await;
    let r = w.callback(&begun).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    assert_eq!(r.cookie("portfolio_session"), None);
    assert_eq!(w.before().await, before, "nothing changed");
    assert_eq!(
        w.plan.lock().unwrap().token_calls,
        1,
        "the code was exchanged once only"
    );
}

#[tokio::test]
async fn a_state_from_another_browser_is_refused() {
    let w = world(true).await;
    let begun = w.begin().await;
    let before = w.before().await;
    let elsewhere = Begun {
        state: begun.state.clone(),
        cookie: "portfolio_sso=someone-elses-cookie".into(),
    };
    let r = w.callback(&elsewhere).await;
    w.assert_refused(
        &r,
        StatusCode::BAD_REQUEST,
        "has expired or has already been used",
        before,
    )
    .await;
    // And the state cannot be used afterwards by the right browser either.
    let r = w.callback(&begun).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

/// Begins a sign-in, spoils the ID token with `spoil`, and expects a 401.
async fn refused_token(spoil: impl FnOnce(&mut Plan)) {
    let w = world(true).await;
    let begun = w.begin().await;
    spoil(&mut w.plan.lock().unwrap());
    let before = w.before().await;
    let r = w.callback(&begun).await;
    w.assert_refused(&r, StatusCode::UNAUTHORIZED, "could not be trusted", before)
        .await;
}

#[tokio::test]
async fn a_wrong_nonce_is_refused() {
    refused_token(|p| p.nonce = "another-nonce".into()).await;
}

#[tokio::test]
async fn a_wrong_audience_is_refused() {
    refused_token(|p| p.audience = "another-client".into()).await;
}

#[tokio::test]
async fn a_wrong_issuer_is_refused() {
    refused_token(|p| p.issuer = Some("http://127.0.0.1:1/another-issuer".into())).await;
}

#[tokio::test]
async fn a_wrong_signature_is_refused() {
    refused_token(|p| p.wrong_key = true).await;
}

#[tokio::test]
async fn an_expired_id_token_is_refused() {
    refused_token(|p| p.expires_in_seconds = -600).await;
}

#[tokio::test]
async fn a_refused_code_exchange_is_refused() {
    let w = world(true).await;
    let begun = w.begin().await;
    w.plan.lock().unwrap().code_challenge = "not-what-was-sent".into();
    let before = w.before().await;
    let r = w.callback(&begun).await;
    w.assert_refused(&r, StatusCode::UNAUTHORIZED, "invalid_grant", before)
        .await;
}

#[tokio::test]
async fn an_unknown_user_is_refused_when_accounts_are_not_created() {
    let w = world(false).await;
    let begun = w.begin().await;
    let before = w.before().await;
    let r = w.callback(&begun).await;
    w.assert_refused(
        &r,
        StatusCode::FORBIDDEN,
        &format!("There is no Portfolio account for {NEW_EMAIL}"),
        before,
    )
    .await;

    // A user an administrator added signs in, linked by email, with the mapped role.
    w.app
        .add_user(
            "northmere",
            NEW_EMAIL,
            "Sam",
            Role::Viewer,
            PASSWORD,
            &portfolio_app::Actor::system("test"),
        )
        .await
        .unwrap();
    let begun = w.begin().await;
    let r = w.callback(&begun).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let user = w.app.store.user_by_email(NEW_EMAIL).await.unwrap().unwrap();
    assert_eq!(user.user.role, Role::ProgrammeOffice);
}

#[tokio::test]
async fn a_user_in_no_mapped_group_is_refused() {
    let w = world(true).await;
    let begun = w.begin().await;
    w.plan.lock().unwrap().groups = vec!["everyone".into()];
    let before = w.before().await;
    let r = w.callback(&begun).await;
    w.assert_refused(
        &r,
        StatusCode::FORBIDDEN,
        "not in a group that has a role",
        before,
    )
    .await;
}

#[tokio::test]
async fn the_provider_saying_no_is_shown() {
    let w = world(true).await;
    let begun = w.begin().await;
    let before = w.before().await;
    let r = w
        .get(
            &format!(
                "/sign-in/oidc/callback?state={}&error=access_denied&error_description=User+cancelled",
                begun.state
            ),
            Some(&begun.cookie),
        )
        .await;
    w.assert_refused(&r, StatusCode::UNAUTHORIZED, "User cancelled", before)
        .await;
}

#[tokio::test]
async fn without_single_sign_on_there_is_no_button_and_no_route() {
    let t = common::TestApp::start().await;
    let page = t.get("/sign-in", None).await;
    assert!(!page.text().contains("work account"));
    let r = t.get("/sign-in/oidc", None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = t.get("/sign-in/oidc/callback?state=x&code=y", None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    t.finish().await;
}
