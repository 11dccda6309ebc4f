//! Single sign-on through OpenID Connect: the authorisation-code flow with
//! PKCE, for a council's own identity provider (Microsoft Entra ID and the like).
//!
//! [`App::sso_begin`] sends the browser to the provider with a fresh state,
//! nonce and PKCE challenge, kept in the database (so any instance can finish
//! the sign-in) for [`LOGIN_LIFETIME_MINUTES`], single-use, and tied to the
//! browser by a cookie secret. [`App::sso_finish`] checks the state, exchanges
//! the code, verifies the ID token (issuer, audience, signature against the
//! provider's published keys, expiry, nonce), maps the user's groups to a role
//! and opens the same kind of session a password sign-in opens. Every refusal
//! is logged and changes nothing.

use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use base64::Engine;
use openidconnect::core::{CoreAuthenticationFlow, CoreClient};
use openidconnect::{
    reqwest, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndSessionUrl, EndpointMaybeSet,
    EndpointNotSet, EndpointSet, IssuerUrl, LogoutRequest, Nonce, PkceCodeChallenge,
    PkceCodeVerifier, PostLogoutRedirectUrl, ProviderMetadataWithLogout, RedirectUrl,
    RequestTokenError, Scope, TokenResponse,
};
use portfolio_domain::organisation::{parse_email, User};
use portfolio_domain::Role;
use portfolio_store::sso::{SsoIdentity, SsoLogin, SsoSignIn};

use crate::auth::{random_secret, secret_hash, NewSession};
use crate::{App, AppError};

/// How long a sign-in begun at the provider may take to come back.
pub const LOGIN_LIFETIME_MINUTES: i64 = 10;

/// How long the provider's metadata and signing keys are used before they are
/// fetched again (providers rotate their keys).
const METADATA_REFRESH: StdDuration = StdDuration::from_secs(60 * 60);

/// How long a call to the provider may take.
const PROVIDER_TIMEOUT: StdDuration = StdDuration::from_secs(15);

type Client = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
    EndpointMaybeSet,
>;

/// A group at the provider and the role its members get.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRole {
    pub group: String,
    pub role: Role,
}

/// How single sign-on is set up.
#[derive(Debug, Clone)]
pub struct SsoSettings {
    /// The provider's issuer URL, where `/.well-known/openid-configuration` is found.
    pub issuer: String,
    pub client_id: String,
    /// Absent for a public client (PKCE alone).
    pub client_secret: Option<String>,
    /// Portfolio's callback, `https://portfolio.example/sign-in/oidc/callback`,
    /// registered at the provider.
    pub redirect_url: String,
    /// Scopes asked for besides `openid`.
    pub scopes: Vec<String>,
    /// The ID-token claim that lists the user's groups.
    pub groups_claim: String,
    /// Group to role, most powerful first: the first that matches wins.
    pub group_roles: Vec<GroupRole>,
    /// The role of a user in none of the mapped groups; without it they are refused.
    pub default_role: Option<Role>,
    /// Create an account on a user's first sign-in.
    pub create_users: bool,
    /// The slug of the organisation single-sign-on users belong to.
    pub organisation: String,
}

/// Reads a group-to-role mapping: `group=role` pairs separated by commas,
/// semicolons or new lines, most powerful first. A group name may itself
/// contain `=`: the role is what follows the last one.
pub fn parse_group_roles(text: &str) -> Result<Vec<GroupRole>, String> {
    let mut out = Vec::new();
    for (i, pair) in text
        .split([',', ';', '\n'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .enumerate()
    {
        let Some((group, role)) = pair.rsplit_once('=') else {
            return Err(format!(
                "pair {} ('{pair}') is not group=role, for example \
                 3f2a…-group-object-id=editor",
                i + 1
            ));
        };
        let group = group.trim();
        if group.is_empty() {
            return Err(format!("pair {} ('{pair}') has no group before '='", i + 1));
        }
        let role = Role::parse(role).map_err(|e| format!("pair {} ('{pair}'): {e}", i + 1))?;
        if out.iter().any(|g: &GroupRole| g.group == group) {
            return Err(format!("group '{group}' is mapped more than once"));
        }
        out.push(GroupRole {
            group: group.to_string(),
            role,
        });
    }
    Ok(out)
}

/// The role for a user in these groups: the first mapping that matches, else
/// the default (if any).
pub fn role_for_groups(settings: &SsoSettings, groups: &[String]) -> Option<Role> {
    settings
        .group_roles
        .iter()
        .find(|m| groups.iter().any(|g| g == &m.group))
        .map(|m| m.role)
        .or(settings.default_role)
}

fn check_http_url(what: &str, url: &str) -> Result<(), String> {
    let parsed = openidconnect::url::Url::parse(url)
        .map_err(|e| format!("{what} '{url}' is not a URL: {e}"))?;
    let loopback = matches!(parsed.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        _ => Err(format!(
            "{what} '{url}' must start with https:// (http:// only for 127.0.0.1 or localhost)"
        )),
    }
}

impl SsoSettings {
    /// Checks the settings without contacting the provider; the message says what is wrong.
    pub fn check(&self) -> Result<(), String> {
        check_http_url("the issuer", &self.issuer)?;
        check_http_url("the redirect URL", &self.redirect_url)?;
        if self.client_id.trim().is_empty() {
            return Err("the client id is empty".into());
        }
        if self
            .client_secret
            .as_deref()
            .is_some_and(|s| s.trim().is_empty())
        {
            return Err("the client secret is empty; leave it unset for a public client".into());
        }
        if self.groups_claim.trim().is_empty() {
            return Err("the groups claim name is empty".into());
        }
        if self.group_roles.is_empty() && self.default_role.is_none() {
            return Err(
                "no group is mapped to a role and there is no default role, so nobody could sign in"
                    .into(),
            );
        }
        if self.organisation.trim().is_empty() {
            return Err("the organisation for single-sign-on users is not named".into());
        }
        Ok(())
    }
}

/// Why a single sign-on was refused. The messages are for the person signing in.
#[derive(Debug, thiserror::Error)]
pub enum SsoError {
    #[error("Signing in with a work account is not set up here")]
    NotConfigured,
    #[error(
        "This sign-in has expired or has already been used. Start again from the sign-in page"
    )]
    InvalidState,
    #[error("Your organisation's sign-in service did not sign you in ({0})")]
    ProviderRefused(String),
    #[error("The sign-in from your organisation's sign-in service could not be trusted, so you have not been signed in")]
    InvalidToken(String),
    #[error("Your organisation's sign-in service could not be reached. Try again later")]
    ProviderUnavailable(String),
    #[error(
        "Your work account did not give an email address, so Portfolio cannot tell who you are"
    )]
    NoEmail,
    #[error("There is no Portfolio account for {0}. Ask your Portfolio administrator to add you")]
    NoAccount(String),
    #[error("Your work account is not in a group that has a role in Portfolio. Ask your Portfolio administrator which group to join")]
    NoRole,
    #[error("Your Portfolio account has been disabled. Ask your Portfolio administrator")]
    Disabled,
    #[error("The Portfolio account for this email address belongs to another organisation")]
    OtherOrganisation,
    #[error(transparent)]
    App(#[from] AppError),
}

/// Where to send the browser to begin a sign-in, and the secret for its cookie.
#[derive(Debug, Clone)]
pub struct SsoStart {
    pub authorise_url: String,
    pub browser_secret: String,
}

/// What came back to the callback.
#[derive(Debug, Default, Clone)]
pub struct SsoCallback<'a> {
    pub state: &'a str,
    pub code: Option<&'a str>,
    pub error: Option<&'a str>,
    pub error_description: Option<&'a str>,
    /// The cookie secret given by [`App::sso_begin`], if the browser sent it.
    pub browser_secret: Option<&'a str>,
}

/// A finished sign-in: the session, and the local path to go on to.
#[derive(Debug, Clone)]
pub struct SsoSession {
    pub session: NewSession,
    pub next: String,
    /// The account was created by this sign-in.
    pub created: bool,
}

struct Provider {
    client: Client,
    end_session: Option<EndSessionUrl>,
    fetched: Instant,
}

/// Single sign-on, set up: the settings, the provider's metadata and keys.
pub struct Sso {
    settings: SsoSettings,
    organisation_id: i64,
    issuer: String,
    http: reqwest::Client,
    provider: tokio::sync::RwLock<Arc<Provider>>,
}

impl std::fmt::Debug for Sso {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sso")
            .field("issuer", &self.issuer)
            .field("client_id", &self.settings.client_id)
            .finish()
    }
}

async fn discover(settings: &SsoSettings, http: &reqwest::Client) -> Result<Provider, String> {
    let issuer = IssuerUrl::new(settings.issuer.clone())
        .map_err(|e| format!("the issuer '{}' is not a URL: {e}", settings.issuer))?;
    let metadata = ProviderMetadataWithLogout::discover_async(issuer, http)
        .await
        .map_err(|e| {
            let mut message = format!(
                "could not read the provider's metadata from {}/.well-known/openid-configuration: {e}",
                settings.issuer.trim_end_matches('/')
            );
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                message.push_str(&format!(": {s}"));
                source = s.source();
            }
            message
        })?;
    let token_url = metadata
        .token_endpoint()
        .cloned()
        .ok_or("the provider's metadata has no token endpoint")?;
    let end_session = metadata.additional_metadata().end_session_endpoint.clone();
    let redirect = RedirectUrl::new(settings.redirect_url.clone())
        .map_err(|e| format!("the redirect URL '{}': {e}", settings.redirect_url))?;
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(settings.client_id.clone()),
        settings.client_secret.clone().map(ClientSecret::new),
    )
    .set_token_uri(token_url)
    .set_redirect_uri(redirect);
    Ok(Provider {
        client,
        end_session,
        fetched: Instant::now(),
    })
}

impl Sso {
    /// Checks the settings, finds the organisation and reads the provider's
    /// metadata and keys. Fails with a message saying what to fix.
    pub async fn connect(app: &App, settings: SsoSettings) -> Result<Sso, String> {
        settings.check()?;
        let http = reqwest::ClientBuilder::new()
            // Following redirects would let a provider's response steer the
            // server's requests elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(PROVIDER_TIMEOUT)
            .build()
            .map_err(|e| format!("could not set up the HTTP client: {e}"))?;
        let provider = discover(&settings, &http).await?;
        let organisation = app
            .store
            .organisation_by_slug(settings.organisation.trim())
            .await
            .map_err(|e| match e {
                portfolio_store::StoreError::NotFound { .. } => format!(
                    "there is no organisation '{}' for single-sign-on users \
                     (`portfolio organisation list` lists them)",
                    settings.organisation
                ),
                other => format!("could not read the organisations: {other}"),
            })?;
        Ok(Sso {
            issuer: settings.issuer.clone(),
            settings,
            organisation_id: organisation.id,
            http,
            provider: tokio::sync::RwLock::new(Arc::new(provider)),
        })
    }

    /// The provider's metadata, fetched again once it is an hour old (kept if
    /// the provider cannot be reached then).
    async fn provider(&self) -> Arc<Provider> {
        let current = self.provider.read().await.clone();
        if current.fetched.elapsed() < METADATA_REFRESH {
            return current;
        }
        let mut slot = self.provider.write().await;
        if slot.fetched.elapsed() < METADATA_REFRESH {
            return slot.clone();
        }
        match discover(&self.settings, &self.http).await {
            Ok(fresh) => *slot = Arc::new(fresh),
            Err(e) => {
                tracing::warn!(issuer = %self.issuer, error = %e, "single sign-on: could not refresh the provider's metadata; using what was read before")
            }
        }
        slot.clone()
    }

    pub fn settings(&self) -> &SsoSettings {
        &self.settings
    }
}

/// The values of a claim in a (verified) JWT's payload: an array of strings
/// or a single string. A claim not found at the top level is looked for as a
/// dotted path (`realm_access.roles`).
fn claim_strings(jwt: &str, claim: &str) -> Vec<String> {
    let Some(payload) = jwt.split('.').nth(1) else {
        return Vec::new();
    };
    let Ok(bytes) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload) else {
        return Vec::new();
    };
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
        return Vec::new();
    };
    let value = json.get(claim).or_else(|| {
        claim
            .split('.')
            .try_fold(&json, |v, key| v.get(key))
            .filter(|_| claim.contains('.'))
    });
    match value {
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        Some(serde_json::Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// At most `max` characters of what a provider sent, for messages and logs.
fn clip(s: &str, max: usize) -> String {
    s.chars().filter(|c| !c.is_control()).take(max).collect()
}

impl App {
    /// Whether single sign-on is set up.
    pub fn sso_enabled(&self) -> bool {
        self.sso.is_some()
    }

    /// Begins a sign-in: records the state, nonce and PKCE verifier and returns
    /// the provider's authorisation URL. `next` is the local path to go on to.
    pub async fn sso_begin(&self, next: &str) -> Result<SsoStart, SsoError> {
        let sso = self.sso.as_ref().ok_or(SsoError::NotConfigured)?;
        let provider = sso.provider().await;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = provider
            .client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .set_pkce_challenge(challenge);
        for scope in &sso.settings.scopes {
            if scope != "openid" {
                request = request.add_scope(Scope::new(scope.clone()));
            }
        }
        let (url, state, nonce) = request.url();
        let browser_secret = random_secret();
        self.store
            .create_sso_login(
                &secret_hash(state.secret()),
                &SsoLogin {
                    browser_hash: secret_hash(&browser_secret),
                    nonce: nonce.secret().clone(),
                    pkce_verifier: verifier.secret().clone(),
                    next_path: next.to_string(),
                    expires_at: chrono::Utc::now()
                        + chrono::Duration::minutes(LOGIN_LIFETIME_MINUTES),
                },
            )
            .await
            .map_err(AppError::from)?;
        Ok(SsoStart {
            authorise_url: url.to_string(),
            browser_secret,
        })
    }

    /// Finishes a sign-in at the callback; see the module documentation.
    pub async fn sso_finish(&self, callback: &SsoCallback<'_>) -> Result<SsoSession, SsoError> {
        let result = self.sso_finish_inner(callback).await;
        if let Err(e) = &result {
            let detail = match e {
                SsoError::InvalidToken(d)
                | SsoError::ProviderUnavailable(d)
                | SsoError::ProviderRefused(d)
                | SsoError::NoAccount(d) => d.clone(),
                other => other.to_string(),
            };
            tracing::warn!(kind = sso_error_kind(e), %detail, "single sign-on refused");
        }
        result
    }

    async fn sso_finish_inner(&self, callback: &SsoCallback<'_>) -> Result<SsoSession, SsoError> {
        let sso = self.sso.as_ref().ok_or(SsoError::NotConfigured)?;
        if callback.state.is_empty() || callback.state.len() > 200 {
            return Err(SsoError::InvalidState);
        }
        // Taken (deleted) first, so a state is used once whatever happens next.
        let login = self
            .store
            .take_sso_login(&secret_hash(callback.state))
            .await
            .map_err(AppError::from)?
            .ok_or(SsoError::InvalidState)?;
        let same_browser = callback.browser_secret.is_some_and(|secret| {
            constant_time_eq(
                secret_hash(secret).as_bytes(),
                login.browser_hash.as_bytes(),
            )
        });
        if !same_browser {
            return Err(SsoError::InvalidState);
        }
        if let Some(error) = callback.error {
            let description = callback.error_description.unwrap_or(error);
            return Err(SsoError::ProviderRefused(clip(description, 200)));
        }
        let code = callback
            .code
            .filter(|c| !c.is_empty() && c.len() < 4096)
            .ok_or_else(|| SsoError::ProviderRefused("no authorisation code came back".into()))?;
        let provider = sso.provider().await;
        let token = provider
            .client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .set_pkce_verifier(PkceCodeVerifier::new(login.pkce_verifier.clone()))
            .request_async(&sso.http)
            .await
            .map_err(|e| match e {
                RequestTokenError::ServerResponse(r) => SsoError::ProviderRefused(clip(
                    &format!(
                        "{}{}",
                        r.error(),
                        r.error_description()
                            .map(|d| format!(": {d}"))
                            .unwrap_or_default()
                    ),
                    200,
                )),
                other => SsoError::ProviderUnavailable(clip(&other.to_string(), 300)),
            })?;
        let id_token = token
            .id_token()
            .ok_or_else(|| SsoError::InvalidToken("the token response has no ID token".into()))?;
        let verifier = provider.client.id_token_verifier();
        let claims = id_token
            .claims(&verifier, &Nonce::new(login.nonce.clone()))
            .map_err(|e| SsoError::InvalidToken(clip(&e.to_string(), 300)))?;
        let subject = claims.subject().as_str();
        let raw = id_token.to_string();
        let email = claims
            .email()
            .map(|e| e.as_str().to_string())
            .or_else(|| claim_strings(&raw, "preferred_username").into_iter().next())
            .and_then(|e| parse_email(&e).ok())
            .ok_or(SsoError::NoEmail)?;
        let name = claims
            .name()
            .and_then(|n| n.get(None))
            .map(|n| n.as_str().trim().to_string())
            .filter(|n| !n.is_empty() && n.chars().count() <= 200)
            .unwrap_or_else(|| email.clone());
        let groups = claim_strings(&raw, &sso.settings.groups_claim);
        let role = role_for_groups(&sso.settings, &groups).ok_or(SsoError::NoRole)?;
        let outcome = self
            .store
            .sso_sign_in(&SsoIdentity {
                organisation_id: sso.organisation_id,
                issuer: &sso.issuer,
                subject,
                email: &email,
                name: &name,
                role,
                create: sso.settings.create_users,
            })
            .await
            .map_err(AppError::from)?;
        let (user, created) = match outcome {
            SsoSignIn::SignedIn { user, created } => (user, created),
            SsoSignIn::Unknown => return Err(SsoError::NoAccount(email)),
            SsoSignIn::Disabled => return Err(SsoError::Disabled),
            SsoSignIn::OtherOrganisation => return Err(SsoError::OtherOrganisation),
        };
        tracing::info!(user = %user.email, role = user.role.as_str(), created, "signed in with single sign-on");
        // The sign-in was audited with the account's changes, above.
        let session = self.new_session(user).await?;
        Ok(SsoSession {
            session,
            next: login.next_path,
            created,
        })
    }

    /// Where to send a user who signs out, to sign out at the provider too:
    /// its end-session endpoint, when it has one and the user has signed in
    /// through it. The provider is asked to send them back to the sign-in
    /// page (that address must be registered with it as a post-logout
    /// redirect URI).
    pub async fn sso_sign_out_url(&self, user: &User) -> Result<Option<String>, AppError> {
        let Some(sso) = self.sso.as_ref() else {
            return Ok(None);
        };
        let provider = sso.provider().await;
        let Some(end_session) = provider.end_session.clone() else {
            return Ok(None);
        };
        if !self.store.has_sso_identity(user.id, &sso.issuer).await? {
            return Ok(None);
        }
        let mut request = LogoutRequest::from(end_session)
            .set_client_id(ClientId::new(sso.settings.client_id.clone()));
        if let Ok(mut after) = openidconnect::url::Url::parse(&sso.settings.redirect_url) {
            after.set_path("/sign-in");
            after.set_query(None);
            request = request.set_post_logout_redirect_uri(PostLogoutRedirectUrl::from_url(after));
        }
        Ok(Some(request.http_get_url().to_string()))
    }

    /// The redirect URL single sign-on was set up with.
    pub fn sso_redirect_url(&self) -> Option<&str> {
        self.sso.as_ref().map(|s| s.settings.redirect_url.as_str())
    }
}

/// A short name for a refusal, for logs.
fn sso_error_kind(e: &SsoError) -> &'static str {
    match e {
        SsoError::NotConfigured => "not_configured",
        SsoError::InvalidState => "invalid_state",
        SsoError::ProviderRefused(_) => "provider_refused",
        SsoError::InvalidToken(_) => "invalid_id_token",
        SsoError::ProviderUnavailable(_) => "provider_unavailable",
        SsoError::NoEmail => "no_email",
        SsoError::NoAccount(_) => "no_account",
        SsoError::NoRole => "no_role",
        SsoError::Disabled => "disabled",
        SsoError::OtherOrganisation => "other_organisation",
        SsoError::App(_) => "internal",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(group_roles: Vec<GroupRole>, default_role: Option<Role>) -> SsoSettings {
        SsoSettings {
            issuer: "https://login.example/tenant/v2.0".into(),
            client_id: "portfolio".into(),
            client_secret: Some("secret".into()),
            redirect_url: "https://portfolio.example/sign-in/oidc/callback".into(),
            scopes: vec!["openid".into(), "email".into()],
            groups_claim: "groups".into(),
            group_roles,
            default_role,
            create_users: true,
            organisation: "northmere".into(),
        }
    }

    #[test]
    fn group_roles_parse_in_order_and_refuse_mistakes() {
        let m = parse_group_roles("pmo=editor; admins = admin,\nall-staff=viewer").unwrap();
        assert_eq!(
            m,
            vec![
                GroupRole {
                    group: "pmo".into(),
                    role: Role::ProgrammeOffice
                },
                GroupRole {
                    group: "admins".into(),
                    role: Role::Administrator
                },
                GroupRole {
                    group: "all-staff".into(),
                    role: Role::Viewer
                },
            ]
        );
        assert_eq!(parse_group_roles("a=b=viewer").unwrap()[0].group, "a=b");
        let e = parse_group_roles("pmo=editor,admins").unwrap_err();
        assert!(e.contains("pair 2"), "{e}");
        let e = parse_group_roles("pmo=boss").unwrap_err();
        assert!(e.contains("'boss' is not a role"), "{e}");
        let e = parse_group_roles("x=viewer,x=admin").unwrap_err();
        assert!(e.contains("more than once"), "{e}");
    }

    #[test]
    fn first_matching_group_wins_else_the_default() {
        let s = settings(parse_group_roles("admins=admin,pmo=editor").unwrap(), None);
        let groups = |g: &[&str]| g.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            role_for_groups(&s, &groups(&["pmo", "admins"])),
            Some(Role::Administrator)
        );
        assert_eq!(
            role_for_groups(&s, &groups(&["pmo"])),
            Some(Role::ProgrammeOffice)
        );
        assert_eq!(role_for_groups(&s, &groups(&["other"])), None);
        let s = settings(s.group_roles, Some(Role::Viewer));
        assert_eq!(role_for_groups(&s, &groups(&[])), Some(Role::Viewer));
    }

    #[test]
    fn settings_are_checked() {
        assert!(settings(parse_group_roles("a=viewer").unwrap(), None)
            .check()
            .is_ok());
        let e = settings(vec![], None).check().unwrap_err();
        assert!(e.contains("nobody could sign in"), "{e}");
        let mut s = settings(vec![], Some(Role::Viewer));
        s.issuer = "http://login.example".into();
        assert!(s.check().unwrap_err().contains("must start with https://"));
        s.issuer = "http://127.0.0.1:4000".into();
        assert!(s.check().is_ok());
        s.redirect_url = "not a url".into();
        assert!(s.check().unwrap_err().contains("the redirect URL"));
    }

    #[test]
    fn claims_are_read_from_the_payload() {
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(r#"{"groups":["a","b"],"role":"x","realm_access":{"roles":["r"]},"n":1}"#);
        let jwt = format!("h.{payload}.s");
        assert_eq!(claim_strings(&jwt, "groups"), vec!["a", "b"]);
        assert_eq!(claim_strings(&jwt, "role"), vec!["x"]);
        assert_eq!(claim_strings(&jwt, "realm_access.roles"), vec!["r"]);
        assert!(claim_strings(&jwt, "n").is_empty());
        assert!(claim_strings(&jwt, "missing").is_empty());
        assert!(claim_strings("garbage", "groups").is_empty());
    }
}
