//! Users and API tokens, as an administrator manages them.

use portfolio_domain::organisation::{parse_email, User};
use portfolio_domain::tokens::{token_request, TokenRequest};
use portfolio_domain::{Permission, Role, Scope, ValidationErrors};
use portfolio_store::{Actor, TokenRecord};

use crate::auth::{hash_password_for, random_secret, secret_hash, TOKEN_PREFIX};
use crate::{App, AppError, Caller, Result};

impl App {
    /// Adds a user to an organisation (named by slug). Used by the CLI (`actor` = "cli")
    /// and by administrators.
    pub async fn add_user(
        &self,
        organisation_slug: &str,
        email: &str,
        name: &str,
        role: Role,
        password: &str,
        actor: &Actor,
    ) -> Result<User> {
        self.insert_user(organisation_slug, email, name, role, None, password, actor)
            .await
    }

    /// Adds a user; `scope` (departments by name or slug, projects by code)
    /// is resolved and checked against the role when given.
    #[allow(clippy::too_many_arguments)]
    async fn insert_user(
        &self,
        organisation_slug: &str,
        email: &str,
        name: &str,
        role: Role,
        scope: Option<(&[String], &[String])>,
        password: &str,
        actor: &Actor,
    ) -> Result<User> {
        let mut errors = ValidationErrors::default();
        let email = errors.check("email", parse_email(email));
        let name = errors.check(
            "name",
            portfolio_domain::text::clean(name, 200, true, false),
        );
        if !errors.is_empty() {
            return Err(errors.into());
        }
        let org = self.store.organisation_by_slug(organisation_slug).await?;
        let scope = match scope {
            Some((departments, projects)) => {
                self.resolve_scope(org.id, role, departments, projects, false)
                    .await?
            }
            None => Scope::default(),
        };
        let hash = hash_password_for(email.as_deref().unwrap_or_default(), password)?;
        let (Some(email), Some(name)) = (email, name) else {
            return Err(AppError::Validation(ValidationErrors::single(
                "email",
                "could not be read",
            )));
        };
        Ok(self
            .store
            .create_scoped_user(org.id, &email, &name, role, &scope, &hash, actor)
            .await?)
    }

    /// Adds a user with a role and, for a department lead or project
    /// manager, the departments (by name or slug) or projects (by code) it
    /// is scoped to. Used by the CLI (`actor` = "cli").
    #[allow(clippy::too_many_arguments)]
    pub async fn add_scoped_user(
        &self,
        organisation_slug: &str,
        email: &str,
        name: &str,
        role: Role,
        departments: &[String],
        projects: &[String],
        password: &str,
        actor: &Actor,
    ) -> Result<User> {
        self.insert_user(
            organisation_slug,
            email,
            name,
            role,
            Some((departments, projects)),
            password,
            actor,
        )
        .await
    }

    /// Changes a user's role and scope (by email), from the command line; audited.
    pub async fn set_user_role(
        &self,
        email: &str,
        role: Role,
        departments: &[String],
        projects: &[String],
        actor: &Actor,
    ) -> Result<User> {
        let user = self.user_by_email(email).await?;
        let scope = self
            .resolve_scope(user.organisation_id, role, departments, projects, true)
            .await?;
        Ok(self
            .store
            .update_user_role(user.organisation_id, user.id, role, &scope, actor)
            .await?)
    }

    /// An administrator changes the role and scope of a user of their own
    /// organisation; a user of another organisation is not found. Audited.
    pub async fn change_user_role(
        &self,
        caller: &Caller,
        user_id: i64,
        role: Role,
        departments: &[String],
        projects: &[String],
    ) -> Result<User> {
        caller.require(Permission::ManageUsers)?;
        let org = caller.organisation_id();
        let scope = self
            .resolve_scope(org, role, departments, projects, true)
            .await?;
        if user_id == caller.user.id && role != Role::Administrator {
            return Err(ValidationErrors::single(
                "role",
                "cannot take the administrator role from yourself; ask another administrator",
            )
            .into());
        }
        Ok(self
            .store
            .update_user_role(org, user_id, role, &scope, &caller.actor())
            .await?)
    }

    /// The scope a role needs, from department names or slugs and project
    /// codes of the organisation. Only a department lead has departments and
    /// only a project manager projects; with `require`, a department lead
    /// names at least one department and a project manager one project (a
    /// user added without one edits nothing until given one).
    async fn resolve_scope(
        &self,
        organisation_id: i64,
        role: Role,
        departments: &[String],
        projects: &[String],
        require: bool,
    ) -> Result<Scope> {
        let departments: Vec<&str> = departments
            .iter()
            .map(|d| d.trim())
            .filter(|d| !d.is_empty())
            .collect();
        let projects: Vec<String> = projects
            .iter()
            .map(|p| p.trim().to_ascii_uppercase())
            .filter(|p| !p.is_empty())
            .collect();
        let mut errors = ValidationErrors::default();
        match role {
            _ if !require => {}
            Role::DepartmentLead if departments.is_empty() => errors.push(
                "department",
                "name at least one department for a department lead",
            ),
            Role::ProjectManager if projects.is_empty() => {
                errors.push("project", "name at least one project for a project manager")
            }
            _ => {}
        }
        if role != Role::DepartmentLead && !departments.is_empty() {
            errors.push(
                "department",
                format!(
                    "only a department lead has departments, not a {}",
                    role.label().to_lowercase()
                ),
            );
        }
        if role != Role::ProjectManager && !projects.is_empty() {
            errors.push(
                "project",
                format!(
                    "only a project manager has projects, not a {}",
                    role.label().to_lowercase()
                ),
            );
        }
        let mut scope = Scope::default();
        if !departments.is_empty() {
            let known = self.store.departments(organisation_id).await?;
            for wanted in &departments {
                match known.iter().find(|d| {
                    d.slug.eq_ignore_ascii_case(wanted) || d.name.eq_ignore_ascii_case(wanted)
                }) {
                    Some(d) if !scope.departments.contains(&d.id) => scope.departments.push(d.id),
                    Some(_) => {}
                    None => {
                        errors.push(
                            "department",
                            format!(
                            "'{wanted}' is not a department of this organisation; use one of: {}",
                            known.iter().map(|d| d.name.as_str()).collect::<Vec<_>>().join(", ")
                        ),
                        )
                    }
                }
            }
        }
        if !projects.is_empty() {
            let known = self.store.all_projects(organisation_id).await?;
            for wanted in &projects {
                match known.iter().find(|p| &p.code == wanted) {
                    Some(p) if !scope.projects.contains(&p.id) => scope.projects.push(p.id),
                    Some(_) => {}
                    None => errors.push(
                        "project",
                        format!("there is no project {wanted} in this organisation"),
                    ),
                }
            }
        }
        if !errors.is_empty() {
            return Err(errors.into());
        }
        Ok(scope)
    }

    pub async fn list_users(&self, organisation_slug: &str) -> Result<Vec<User>> {
        let org = self.store.organisation_by_slug(organisation_slug).await?;
        Ok(self.store.users(org.id).await?)
    }

    /// Users of the caller's organisation (administrators only).
    pub async fn organisation_users(&self, caller: &Caller) -> Result<Vec<User>> {
        caller.require(Permission::ManageUsers)?;
        Ok(self.store.users(caller.organisation_id()).await?)
    }

    async fn user_by_email(&self, email: &str) -> Result<User> {
        let email = parse_email(email).map_err(|m| ValidationErrors::single("email", m))?;
        match self.store.user_by_email(&email).await? {
            Some(u) => Ok(u.user),
            None => Err(AppError::NotFound("user")),
        }
    }

    /// Sets a new password and signs the user out everywhere.
    pub async fn set_password(&self, email: &str, password: &str, actor: &Actor) -> Result<User> {
        let hash = hash_password_for(email, password)?;
        let user = self.user_by_email(email).await?;
        Ok(self
            .store
            .update_user_credentials(user.id, Some(&hash), None, actor)
            .await?)
    }

    /// Disables (or re-enables) a user; disabling signs them out and stops their tokens.
    pub async fn set_disabled(&self, email: &str, disabled: bool, actor: &Actor) -> Result<User> {
        let user = self.user_by_email(email).await?;
        Ok(self
            .store
            .update_user_credentials(user.id, None, Some(disabled), actor)
            .await?)
    }

    /// Creates an API token for a user that may do all the user's role
    /// allows (admin scope), for the default lifetime; returns the secret.
    pub async fn create_token(
        &self,
        email: &str,
        name: &str,
        actor: &Actor,
    ) -> Result<(TokenRecord, String)> {
        self.create_scoped_token(email, name, "admin", None, actor)
            .await
    }

    /// Creates an API token for a user with a scope and a lifetime in days,
    /// from the command line; returns the secret, shown once.
    pub async fn create_scoped_token(
        &self,
        email: &str,
        name: &str,
        scope: &str,
        days: Option<i64>,
        actor: &Actor,
    ) -> Result<(TokenRecord, String)> {
        let request = token_request(name, scope, days, chrono::Utc::now())?;
        let user = self.user_by_email(email).await?;
        self.issue_token(&user, request, actor).await
    }

    /// A signed-in user makes a token for themselves. Through the API, a token
    /// makes only tokens no wider than itself.
    pub async fn create_own_token(
        &self,
        caller: &Caller,
        name: &str,
        scope: &str,
        days: Option<i64>,
    ) -> Result<(TokenRecord, String)> {
        caller.require(Permission::ReadProgramme)?;
        let request = token_request(name, scope, days, chrono::Utc::now())?;
        if let Some(own) = caller.token_scope {
            if !own.covers(request.scope) {
                return Err(AppError::Validation(ValidationErrors::single(
                    "scope",
                    format!(
                        "a {} token can only make {} tokens or narrower; sign in to make a wider one",
                        own.as_str(),
                        own.as_str()
                    ),
                )));
            }
        }
        self.issue_token(&caller.user, request, &caller.actor())
            .await
    }

    async fn issue_token(
        &self,
        user: &User,
        request: TokenRequest,
        actor: &Actor,
    ) -> Result<(TokenRecord, String)> {
        if user.disabled {
            return Err(AppError::Validation(ValidationErrors::single(
                "user",
                "is disabled",
            )));
        }
        let secret = format!("{TOKEN_PREFIX}{}", random_secret());
        let record = self
            .store
            .create_token(
                user,
                &request.name,
                request.scope,
                request.expires_at,
                &secret_hash(&secret),
                actor,
            )
            .await?;
        Ok((record, secret))
    }

    /// The caller's own tokens, newest first.
    pub async fn own_tokens(&self, caller: &Caller) -> Result<Vec<TokenRecord>> {
        caller.require(Permission::ReadProgramme)?;
        Ok(self.store.tokens(caller.user.id).await?)
    }

    /// Every token of the organisation's users, for administrators.
    pub async fn organisation_tokens(&self, caller: &Caller) -> Result<Vec<TokenRecord>> {
        caller.require(Permission::ManageUsers)?;
        Ok(self
            .store
            .organisation_tokens(caller.organisation_id())
            .await?)
    }

    /// Revokes a token: the owner may revoke their own, an administrator any
    /// of the organisation's. Anyone else is told it does not exist.
    pub async fn revoke_token(&self, caller: &Caller, token_id: i64) -> Result<TokenRecord> {
        caller.require(Permission::ReadProgramme)?;
        let token = self
            .store
            .token(caller.organisation_id(), token_id)
            .await?
            .ok_or(AppError::NotFound("API token"))?;
        if token.user_id != caller.user.id && !caller.can(Permission::ManageUsers) {
            return Err(AppError::NotFound("API token"));
        }
        Ok(self
            .store
            .revoke_token(caller.organisation_id(), token_id, &caller.actor())
            .await??)
    }

    /// Tokens of one user (by email) or of everyone in the organisation, for the command line.
    pub async fn list_tokens(
        &self,
        organisation_slug: &str,
        email: Option<&str>,
    ) -> Result<Vec<TokenRecord>> {
        let org = self.store.organisation_by_slug(organisation_slug).await?;
        let mut tokens = self.store.organisation_tokens(org.id).await?;
        if let Some(email) = email {
            let email = email.trim().to_lowercase();
            tokens.retain(|t| t.user_email.to_lowercase() == email);
        }
        Ok(tokens)
    }
}
