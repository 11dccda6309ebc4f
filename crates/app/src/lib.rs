//! Portfolio's application services: the one place the web and the CLI call.
//!
//! Each service method takes the [`Caller`] (who is asking), checks the
//! caller's role allows it, parses input through the domain, and calls the
//! store. Handlers and commands hold no rules of their own; they translate
//! requests into these calls and [`AppError`]s into responses.

pub mod auth;
pub mod cache;
pub mod capacity;
pub mod demo;
pub mod duplicates;
pub mod error;
pub mod export;
pub mod gates;
mod group_commit;
pub mod highlights;
pub mod history;
pub mod import;
pub mod intake;
pub mod meetings;
pub mod merges;
pub mod notifications;
pub mod operations;
pub mod projects;
pub mod raid;
pub mod reports;
pub mod roadmap;
pub mod scenarios;
pub mod scoring;
pub mod second_factor;
pub mod sheets;
pub mod sso;
pub mod users;

use portfolio_domain::organisation::{Department, Organisation, Theme, User};
use portfolio_domain::role;
use portfolio_domain::tokens::TokenScope;
use portfolio_domain::{Permission, ProjectKey};
use portfolio_store::Store;

pub use error::AppError;
pub use portfolio_store::{
    Actor, AuditEntry, Backend, ConnectOptions, ProjectPage, Store as PortfolioStore, TokenRecord,
};

pub type Result<T, E = AppError> = std::result::Result<T, E>;

/// Who is asking: a signed-in user (through a session or an API token).
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: User,
    /// The organisation's data version, read in the same query that identified
    /// the caller. Reads in this request reuse what was cached at this version
    /// (or newer), so a request costs one round trip when nothing changed.
    pub data_version: i64,
    /// The version of the organisation's own settings, departments and
    /// themes, read with `data_version`; project writes leave it alone.
    pub reference_version: i64,
    /// The API token's scope when the caller came with one; a session or the
    /// command line has none, and may do all the user's role allows.
    pub token_scope: Option<TokenScope>,
}

impl Caller {
    pub fn actor(&self) -> Actor {
        Actor {
            // The command line's caller (see `App::command_line_caller`) is no user.
            user_id: (self.user.id > 0).then_some(self.user.id),
            label: self.user.email.clone(),
        }
    }

    pub fn organisation_id(&self) -> i64 {
        self.user.organisation_id
    }

    /// Passes a caller whose role holds the permission across the organisation.
    pub fn require(&self, permission: Permission) -> Result<()> {
        if !self.user.role.allows(permission) {
            return Err(AppError::Needs(role::needed(permission)));
        }
        self.require_token(permission)
    }

    /// Passes a caller who may do this to this project: their role allows it
    /// everywhere, or within their scope and the project is in it.
    pub fn require_on_project(&self, permission: Permission, project: ProjectKey) -> Result<()> {
        if !role::can_on_project(&self.user, permission, project) {
            return Err(AppError::Needs(role::needed(permission)));
        }
        self.require_token(permission)
    }

    /// Passes a caller who may do this to at least some projects, checked
    /// before a project is read; [`Caller::require_on_project`] follows.
    pub fn require_somewhere(&self, permission: Permission) -> Result<()> {
        if !self.user.role.allows_in_scope(permission) {
            return Err(AppError::Needs(role::needed(permission)));
        }
        self.require_token(permission)
    }

    fn require_token(&self, permission: Permission) -> Result<()> {
        match self.token_scope {
            Some(scope) if !scope.allows(permission) => Err(AppError::TokenScope(scope)),
            _ => Ok(()),
        }
    }

    /// Whether the caller may do this to this project (see [`Caller::require_on_project`]).
    pub fn can_on_project(&self, permission: Permission, project: ProjectKey) -> bool {
        self.require_on_project(permission, project).is_ok()
    }

    /// Whether the caller's role, and its token's scope if it came with one,
    /// allow the permission.
    pub fn can(&self, permission: Permission) -> bool {
        self.user.role.allows(permission) && self.token_scope.is_none_or(|s| s.allows(permission))
    }
}

/// An organisation with its departments and themes, as read at one reference version.
#[derive(Debug)]
pub struct OrganisationReference {
    pub organisation: Organisation,
    pub departments: Vec<Department>,
    pub themes: Vec<Theme>,
}

/// Reads reused while an organisation's data version is unchanged.
pub(crate) struct Caches {
    pub reference: cache::VersionedCache<i64, OrganisationReference>,
    pub lists: cache::VersionedCache<(i64, portfolio_domain::filter::ProjectFilter), ProjectPage>,
    pub dashboards: cache::VersionedCache<i64, portfolio_domain::dashboard::Dashboard>,
    pub duplicates: cache::VersionedCache<i64, Vec<duplicates::DuplicatePair>>,
    pub rankings: cache::VersionedCache<i64, portfolio_domain::scoring::Ranking>,
    /// The public roadmap's files, per organisation.
    pub roadmaps: cache::VersionedCache<i64, roadmap::RoadmapFiles>,
    /// Every project's state at the end of a day, per organisation and day.
    pub past_registers:
        cache::VersionedCache<(i64, chrono::NaiveDate), Vec<portfolio_domain::Project>>,
    pub changes: cache::VersionedCache<
        (i64, portfolio_domain::history::Period),
        portfolio_domain::history::Changes,
    >,
}

/// The application: the store and settings, cheap to clone.
#[derive(Clone)]
pub struct App {
    pub store: Store,
    pub settings: Settings,
    caches: std::sync::Arc<Caches>,
    group_commit: std::sync::Arc<group_commit::GroupCommit>,
    /// Single sign-on, when set up ([`App::with_sso`]).
    sso: Option<std::sync::Arc<sso::Sso>>,
}

/// Settings the services need.
#[derive(Debug, Clone)]
pub struct Settings {
    /// How long a signed-in session lasts without signing in again.
    pub session_lifetime: chrono::Duration,
    /// A scenario run whose worker has not been heard from for this long is
    /// taken to have died with its process, and any instance marks it
    /// failed. Workers report four times as often.
    pub run_stale_after: std::time::Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            session_lifetime: chrono::Duration::hours(8),
            run_stale_after: std::time::Duration::from_secs(120),
        }
    }
}

impl App {
    /// Connects to the database, applies migrations, and returns the app.
    pub async fn open(
        database_url: &str,
        options: &ConnectOptions,
        settings: Settings,
    ) -> Result<App> {
        let store = Store::connect(database_url, options).await?;
        store.migrate().await?;
        Ok(App::new(store, settings))
    }

    /// An app over an already migrated store.
    pub fn new(store: Store, settings: Settings) -> App {
        App {
            store,
            settings,
            caches: std::sync::Arc::new(Caches {
                reference: cache::VersionedCache::new(1_000),
                lists: cache::VersionedCache::new(1_000),
                dashboards: cache::VersionedCache::new(1_000),
                duplicates: cache::VersionedCache::new(1_000),
                rankings: cache::VersionedCache::new(1_000),
                roadmaps: cache::VersionedCache::new(1_000),
                past_registers: cache::VersionedCache::new(history::PAST_REGISTERS_KEPT),
                changes: cache::VersionedCache::new(history::CHANGES_KEPT),
            }),
            group_commit: Default::default(),
            sso: None,
        }
    }

    /// The same app with single sign-on set up.
    pub fn with_sso(mut self, sso: sso::Sso) -> App {
        self.sso = Some(std::sync::Arc::new(sso));
        self
    }

    /// The caller's organisation, departments and themes, read once per reference version.
    pub async fn reference(
        &self,
        caller: &Caller,
    ) -> Result<std::sync::Arc<OrganisationReference>> {
        caller.require(Permission::ReadProgramme)?;
        let org = caller.organisation_id();
        let version = caller.reference_version;
        if let Some(hit) = self.caches.reference.get(&org, version) {
            return Ok(hit);
        }
        let fresh = std::sync::Arc::new(OrganisationReference {
            organisation: self.store.organisation(org).await?,
            departments: self.store.departments(org).await?,
            themes: self.store.themes(org).await?,
        });
        self.caches.reference.put(org, version, fresh.clone());
        Ok(fresh)
    }

    /// The caller's organisation (a caller sees only their own).
    pub async fn organisation(&self, caller: &Caller) -> Result<Organisation> {
        Ok(self.reference(caller).await?.organisation.clone())
    }

    pub async fn departments(&self, caller: &Caller) -> Result<Vec<Department>> {
        Ok(self.reference(caller).await?.departments.clone())
    }

    pub async fn themes(&self, caller: &Caller) -> Result<Vec<Theme>> {
        Ok(self.reference(caller).await?.themes.clone())
    }

    /// The command line acting on an organisation: an administrator that is
    /// no user (audit records name `label`, e.g. "cli"), reading the
    /// organisation's versions as a signed-in request does.
    pub async fn command_line_caller(
        &self,
        organisation_slug: &str,
        label: &str,
    ) -> Result<Caller> {
        let org = self.store.organisation_by_slug(organisation_slug).await?;
        let (data_version, reference_version) = self.store.versions(org.id).await?;
        Ok(Caller {
            user: User {
                id: 0,
                organisation_id: org.id,
                email: label.to_string(),
                name: label.to_string(),
                role: portfolio_domain::Role::Administrator,
                disabled: false,
                scope: Default::default(),
            },
            data_version,
            reference_version,
            token_scope: None,
        })
    }
}
