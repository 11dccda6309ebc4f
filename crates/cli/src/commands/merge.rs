//! `merge`: merge duplicate projects into a survivor, or undo a merge.

use std::collections::BTreeMap;

use anyhow::{bail, Context};
use portfolio_app::Actor;
use portfolio_domain::consolidate::merge::Merge;

use super::{only_organisation, open_configured, out};
use crate::cli::{GlobalOptions, MergeArgs, MergeCommand, MergeFormat};

pub async fn merge(global: &GlobalOptions, args: MergeArgs) -> anyhow::Result<()> {
    let app = open_configured(global).await?;
    let result = match args.command {
        Some(MergeCommand::Undo { org, id, format }) => {
            let slug = match org {
                Some(slug) => slug,
                None => only_organisation(&app).await?,
            };
            let undone = app
                .undo_merge_in_organisation(&slug, id, &Actor::system("cli"))
                .await;
            undone.map(|m| (m, format, true, slug))
        }
        None => {
            let a = args.merge;
            let fields = match choices(&a.take, &a.combine) {
                Ok(fields) => fields,
                Err(e) => {
                    app.store.close().await;
                    return Err(e);
                }
            };
            let slug = match a.org {
                Some(slug) => slug,
                None => only_organisation(&app).await?,
            };
            let survivor = a.survivor.unwrap_or_default();
            let merged = app
                .merge_in_organisation(&slug, &survivor, &a.merged, fields, &Actor::system("cli"))
                .await;
            merged.map(|m| (m, a.format, false, slug))
        }
    };
    app.store.close().await;
    let (merge, format, undone, slug) = result?;
    let text = match format {
        MergeFormat::Json => {
            let mut json = serde_json::to_string_pretty(&merge)
                .context("could not write the merge as JSON")?;
            json.push('\n');
            json
        }
        MergeFormat::Text => text(&merge, undone, &slug),
    };
    out(&text)
}

/// `--take FIELD=CODE` and `--combine FIELD` as the draft's field choices;
/// a field named twice is refused rather than one choice silently winning.
fn choices(take: &[String], combine: &[String]) -> anyhow::Result<BTreeMap<String, String>> {
    let mut fields = BTreeMap::new();
    let pairs = take
        .iter()
        .map(|t| match t.split_once('=') {
            Some((field, code)) => Ok((field.trim().to_string(), code.trim().to_string())),
            None => bail!("--take {t}: write it as FIELD=CODE, like title=DP-040"),
        })
        .chain(
            combine
                .iter()
                .map(|f| Ok((f.trim().to_string(), "combine".to_string()))),
        );
    for pair in pairs {
        let (field, choice) = pair?;
        if fields.insert(field.clone(), choice).is_some() {
            bail!("the field {field} is given more than once; choose one value for it");
        }
    }
    Ok(fields)
}

fn text(merge: &Merge, undone: bool, slug: &str) -> String {
    let codes: Vec<&str> = merge.merged.iter().map(|p| p.code.as_str()).collect();
    if undone {
        format!(
            "Undid merge {}: {} and {} are back as they were before it.\n",
            merge.id,
            merge.survivor.code,
            codes.join(", ")
        )
    } else {
        format!(
            "Merged {} into {} (merge {}). Undo with: portfolio merge undo --org {slug} {}\n",
            codes.join(", "),
            merge.survivor.code,
            merge.id,
            merge.id
        )
    }
}
