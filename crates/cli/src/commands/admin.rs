//! Organisations, users and API tokens.

use portfolio_app::Actor;

use super::{only_organisation, open_configured, out};
use crate::cli::{GlobalOptions, TokenCommand, UserCommand};
use crate::config::read_password;

/// Who the audit trail says made changes from the command line.
const CLI_ACTOR: &str = "cli";

pub async fn list_organisations(global: &GlobalOptions) -> anyhow::Result<()> {
    let app = open_configured(global).await?;
    let organisations = app
        .store
        .list_organisations()
        .await
        .map_err(portfolio_app::AppError::from)?;
    app.store.close().await;
    if organisations.is_empty() {
        eprintln!(
            "There are no organisations yet. Try `portfolio demo`, or create one with `portfolio generate`."
        );
        return Ok(());
    }
    let width = organisations
        .iter()
        .map(|o| o.slug.len())
        .max()
        .unwrap_or(0);
    let mut text = String::new();
    for o in &organisations {
        text.push_str(&format!("{:width$}  {}\n", o.slug, o.name));
    }
    out(&text)
}

pub async fn user(global: &GlobalOptions, command: UserCommand) -> anyhow::Result<()> {
    let app = open_configured(global).await?;
    let actor = Actor::system(CLI_ACTOR);
    match command {
        UserCommand::Add(args) => {
            let password = read_password(&format!("Password for {}", args.email))?;
            let user = app
                .add_scoped_user(
                    &args.org,
                    &args.email,
                    &args.name,
                    args.role,
                    &args.departments,
                    &args.projects,
                    &password,
                    &actor,
                )
                .await?;
            out(&format!(
                "Added {} <{}> to {} as {}\n",
                user.name,
                user.email,
                args.org,
                user.role.as_str()
            ))?;
        }
        UserCommand::List { org } => {
            let users = app.list_users(&org).await?;
            if users.is_empty() {
                eprintln!("{org} has no users yet. Add one with `portfolio user add`.");
            }
            let width = users.iter().map(|u| u.email.len()).max().unwrap_or(0);
            let role_width = users
                .iter()
                .map(|u| u.role.as_str().len())
                .max()
                .unwrap_or(0);
            let mut text = String::new();
            for u in &users {
                let status = if u.disabled { "disabled" } else { "active" };
                text.push_str(&format!(
                    "{:width$}  {:role_width$}  {:8}  {}\n",
                    u.email,
                    u.role.as_str(),
                    status,
                    u.name
                ));
            }
            out(&text)?;
        }
        UserCommand::SetRole(args) => {
            let user = app
                .set_user_role(
                    &args.email,
                    args.role,
                    &args.departments,
                    &args.projects,
                    &actor,
                )
                .await?;
            out(&format!(
                "{} is now {}{}; they have been signed out everywhere.\n",
                user.email,
                user.role.label().to_lowercase(),
                scope_words(&args.departments, &args.projects)
            ))?;
        }
        UserCommand::SetPassword { email } => {
            let password = read_password(&format!("New password for {email}"))?;
            let user = app.set_password(&email, &password, &actor).await?;
            out(&format!(
                "Password set for {}; they have been signed out everywhere.\n",
                user.email
            ))?;
        }
        UserCommand::Disable { email } => {
            let user = app.set_disabled(&email, true, &actor).await?;
            out(&format!(
                "Disabled {}: they cannot sign in, their sessions have ended and their API tokens no longer work.\n",
                user.email
            ))?;
        }
        UserCommand::Enable { email } => {
            let user = app.set_disabled(&email, false, &actor).await?;
            out(&format!(
                "Enabled {}: they can sign in again.\n",
                user.email
            ))?;
        }
        UserCommand::ResetSecondFactor { email } => {
            let (user, had) = app.reset_totp(&email, &actor).await?;
            out(&if had {
                format!(
                    "Turned off the second factor of {}: they sign in with their password alone until they set up a new app.\n",
                    user.email
                )
            } else {
                format!("{} had no second factor; nothing changed.\n", user.email)
            })?;
        }
    }
    app.store.close().await;
    Ok(())
}

pub async fn token(global: &GlobalOptions, command: TokenCommand) -> anyhow::Result<()> {
    let app = open_configured(global).await?;
    match command {
        TokenCommand::Create {
            user,
            name,
            scope,
            expires_in_days,
        } => {
            let (record, secret) = app
                .create_scoped_token(
                    &user,
                    &name,
                    &scope,
                    Some(expires_in_days),
                    &Actor::system(CLI_ACTOR),
                )
                .await?;
            app.store.close().await;
            out(&format!("{secret}\n"))?;
            eprintln!(
                "This token will not be shown again: store it somewhere safe now. It acts as \
                 {user} with {} scope until {} (send it as `Authorization: Bearer TOKEN`).",
                record.scope.as_str(),
                record
                    .expires_at
                    .map(|t| t.format("%-d %B %Y").to_string())
                    .unwrap_or_default()
            );
        }
        TokenCommand::List { org, user } => {
            let slug = match org {
                Some(slug) => slug,
                None => only_organisation(&app).await?,
            };
            let tokens = app.list_tokens(&slug, user.as_deref()).await?;
            app.store.close().await;
            let now = chrono::Utc::now();
            let day = |t: Option<chrono::DateTime<chrono::Utc>>, none: &str| {
                t.map(|t| t.format("%Y-%m-%d").to_string())
                    .unwrap_or_else(|| none.to_string())
            };
            let mut text = String::from("id\tuser\tname\tscope\texpires\tlast used\tstatus\n");
            for t in &tokens {
                let status = match (t.revoked_at, t.active(now)) {
                    (Some(_), _) => format!(
                        "revoked by {}",
                        t.revoked_by.as_deref().unwrap_or("someone")
                    ),
                    (None, false) => "expired".to_string(),
                    (None, true) => "active".to_string(),
                };
                text.push_str(&format!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{status}\n",
                    t.id,
                    t.user_email,
                    t.name,
                    t.scope.as_str(),
                    day(t.expires_at, "never"),
                    day(t.last_used_at, "never"),
                ));
            }
            out(&text)?;
        }
        TokenCommand::Revoke { org, id } => {
            let slug = match org {
                Some(slug) => slug,
                None => only_organisation(&app).await?,
            };
            let caller = app.command_line_caller(&slug, CLI_ACTOR).await?;
            let token = app.revoke_token(&caller, id).await?;
            app.store.close().await;
            out(&format!(
                "Revoked token {} ('{}' of {}): it no longer works.\n",
                token.id, token.name, token.user_email
            ))?;
        }
    }
    Ok(())
}

/// " for Housing, Health and Care" / " for DP-012": what a scoped role covers, as given.
fn scope_words(departments: &[String], projects: &[String]) -> String {
    let named: Vec<&str> = departments
        .iter()
        .chain(projects)
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect();
    if named.is_empty() {
        String::new()
    } else {
        format!(" for {}", named.join(", "))
    }
}
