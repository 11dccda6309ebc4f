//! `generate`: a large synthetic organisation for benchmarks.

use std::time::Instant;

use anyhow::{bail, Context};
use portfolio_app::auth::check_password_rules;
use portfolio_app::Actor;
use portfolio_domain::{demo, Role};

use super::{open_configured, out};
use crate::cli::{GenerateArgs, GlobalOptions};
use crate::config::PASSWORD_ENV;

pub async fn generate(global: &GlobalOptions, args: GenerateArgs) -> anyhow::Result<()> {
    let slug = &args.org;
    let admin_email = format!("admin@{slug}.example");
    let Ok(password) = std::env::var(PASSWORD_ENV) else {
        bail!("set {PASSWORD_ENV} to the password for the new administrator {admin_email}");
    };
    if let Err(message) = check_password_rules(&password) {
        bail!("{PASSWORD_ENV} {message}");
    }
    let app = open_configured(global).await?;
    if app.store.organisation_by_slug(slug).await.is_ok() {
        bail!("an organisation with the slug '{slug}' already exists; choose another --org");
    }

    let n = usize::try_from(args.projects).context("too many projects")?;
    let drafts = demo::synthetic(n, args.seed);
    eprintln!("Generating {n} projects for {} ({slug})…", args.name);
    let started = Instant::now();
    let actor = Actor::system("generate");
    let count = app
        .seed_organisation(slug, &args.name, &drafts, &actor)
        .await?;
    let admin = app
        .add_user(
            slug,
            &admin_email,
            "Administrator",
            Role::Administrator,
            &password,
            &actor,
        )
        .await?;
    let history = match args.history {
        Some(total) => {
            eprintln!("Generating {total} audit records over the past three years…");
            let written = app
                .seed_generated_history(slug, &admin, total, args.seed, &actor)
                .await?;
            format!(" and {written} past audit records")
        }
        None => String::new(),
    };
    app.store.close().await;
    out(&format!(
        "Generated {count} projects{history} in {} ({slug}) in {:.1}s\n\
         Sign in as {admin_email} with the password in {PASSWORD_ENV}\n",
        args.name,
        started.elapsed().as_secs_f64()
    ))
}
