//! Users and API tokens, as an administrator manages them.

use portfolio_domain::organisation::{parse_email, User};
use portfolio_domain::{Permission, Role, ValidationErrors};
use portfolio_store::{Actor, TokenRecord};

use crate::auth::{hash_password, random_secret, secret_hash, TOKEN_PREFIX};
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
        let mut errors = ValidationErrors::default();
        let email = errors.check("email", parse_email(email));
        let name = errors.check(
            "name",
            portfolio_domain::text::clean(name, 200, true, false),
        );
        if !errors.is_empty() {
            return Err(errors.into());
        }
        let hash = hash_password(password)?;
        let org = self.store.organisation_by_slug(organisation_slug).await?;
        let (Some(email), Some(name)) = (email, name) else {
            return Err(AppError::Validation(ValidationErrors::single(
                "email",
                "could not be read",
            )));
        };
        Ok(self
            .store
            .create_user(org.id, &email, &name, role, &hash, actor)
            .await?)
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
        let hash = hash_password(password)?;
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

    /// Creates an API token for a user; returns the secret, shown once.
    pub async fn create_token(
        &self,
        email: &str,
        name: &str,
        actor: &Actor,
    ) -> Result<(TokenRecord, String)> {
        let name = portfolio_domain::text::clean(name, 100, true, false)
            .map_err(|m| ValidationErrors::single("name", m))?;
        let user = self.user_by_email(email).await?;
        if user.disabled {
            return Err(AppError::Validation(ValidationErrors::single(
                "user",
                "is disabled",
            )));
        }
        let secret = format!("{TOKEN_PREFIX}{}", random_secret());
        let record = self
            .store
            .create_token(&user, &name, &secret_hash(&secret), actor)
            .await?;
        Ok((record, secret))
    }
}
