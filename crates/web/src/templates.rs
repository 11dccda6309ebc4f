//! Page templates (minijinja, HTML auto-escaped) and the filters they use.
//!
//! Templates are compiled into the binary. Every value inserted into a page
//! is escaped unless a template marks it safe, and none does. The one value
//! passed in as safe are a report chart's SVG (`pages::reports`), drawn by
//! `portfolio_report::svg`, which escapes every piece of text it draws, and
//! the second factor's QR code (`pages::security`), which holds no text.

use std::sync::OnceLock;

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use minijinja::{Environment, Value};

const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../templates/base.html")),
    ("macros.html", include_str!("../templates/macros.html")),
    ("changes.html", include_str!("../templates/changes.html")),
    ("sign_in.html", include_str!("../templates/sign_in.html")),
    (
        "sign_in_code.html",
        include_str!("../templates/sign_in_code.html"),
    ),
    (
        "account_security.html",
        include_str!("../templates/account_security.html"),
    ),
    (
        "sso_refused.html",
        include_str!("../templates/sso_refused.html"),
    ),
    (
        "sso_signed_out.html",
        include_str!("../templates/sso_signed_out.html"),
    ),
    (
        "dashboard.html",
        include_str!("../templates/dashboard.html"),
    ),
    ("register.html", include_str!("../templates/register.html")),
    (
        "public_roadmap.html",
        include_str!("../templates/public_roadmap.html"),
    ),
    ("project.html", include_str!("../templates/project.html")),
    (
        "project_form.html",
        include_str!("../templates/project_form.html"),
    ),
    (
        "duplicates.html",
        include_str!("../templates/duplicates.html"),
    ),
    ("merge.html", include_str!("../templates/merge.html")),
    (
        "priorities.html",
        include_str!("../templates/priorities.html"),
    ),
    ("priority.html", include_str!("../templates/priority.html")),
    (
        "priority_form.html",
        include_str!("../templates/priority_form.html"),
    ),
    (
        "merge_check.html",
        include_str!("../templates/merge_check.html"),
    ),
    ("lineage.html", include_str!("../templates/lineage.html")),
    ("error.html", include_str!("../templates/error.html")),
    (
        "governance.html",
        include_str!("../templates/governance.html"),
    ),
    ("gates.html", include_str!("../templates/gates.html")),
    ("meetings.html", include_str!("../templates/meetings.html")),
    ("meeting.html", include_str!("../templates/meeting.html")),
    (
        "meeting_form.html",
        include_str!("../templates/meeting_form.html"),
    ),
    (
        "meeting_item.html",
        include_str!("../templates/meeting_item.html"),
    ),
    (
        "decisions.html",
        include_str!("../templates/decisions.html"),
    ),
    (
        "highlights.html",
        include_str!("../templates/highlights.html"),
    ),
    (
        "notifications.html",
        include_str!("../templates/notifications.html"),
    ),
    ("tokens.html", include_str!("../templates/tokens.html")),
    (
        "highlight.html",
        include_str!("../templates/highlight.html"),
    ),
    (
        "highlight_form.html",
        include_str!("../templates/highlight_form.html"),
    ),
    (
        "project_highlights.html",
        include_str!("../templates/project_highlights.html"),
    ),
    ("gate.html", include_str!("../templates/gate.html")),
    (
        "gate_request_form.html",
        include_str!("../templates/gate_request_form.html"),
    ),
    (
        "gate_checklists.html",
        include_str!("../templates/gate_checklists.html"),
    ),
    (
        "project_gates.html",
        include_str!("../templates/project_gates.html"),
    ),
    ("scoring.html", include_str!("../templates/scoring.html")),
    (
        "scoring_edit.html",
        include_str!("../templates/scoring_edit.html"),
    ),
    (
        "scoring_pairwise.html",
        include_str!("../templates/scoring_pairwise.html"),
    ),
    ("ranking.html", include_str!("../templates/ranking.html")),
    (
        "assessment.html",
        include_str!("../templates/assessment.html"),
    ),
    (
        "project_score.html",
        include_str!("../templates/project_score.html"),
    ),
    (
        "import_new.html",
        include_str!("../templates/import_new.html"),
    ),
    (
        "import_columns.html",
        include_str!("../templates/import_columns.html"),
    ),
    (
        "import_check.html",
        include_str!("../templates/import_check.html"),
    ),
    (
        "import_done.html",
        include_str!("../templates/import_done.html"),
    ),
    (
        "scenarios.html",
        include_str!("../templates/scenarios.html"),
    ),
    ("scenario.html", include_str!("../templates/scenario.html")),
    (
        "scenario_form.html",
        include_str!("../templates/scenario_form.html"),
    ),
    (
        "scenario_run.html",
        include_str!("../templates/scenario_run.html"),
    ),
    (
        "scenario_refused.html",
        include_str!("../templates/scenario_refused.html"),
    ),
    (
        "scenario_compare.html",
        include_str!("../templates/scenario_compare.html"),
    ),
    (
        "project_scenarios.html",
        include_str!("../templates/project_scenarios.html"),
    ),
    ("capacity.html", include_str!("../templates/capacity.html")),
    ("pools.html", include_str!("../templates/pools.html")),
    (
        "pool_form.html",
        include_str!("../templates/pool_form.html"),
    ),
    ("budgets.html", include_str!("../templates/budgets.html")),
    (
        "plan_form.html",
        include_str!("../templates/plan_form.html"),
    ),
    (
        "project_plan.html",
        include_str!("../templates/project_plan.html"),
    ),
    ("raid.html", include_str!("../templates/raid.html")),
    (
        "raid_heat_map.html",
        include_str!("../templates/raid_heat_map.html"),
    ),
    (
        "raid_item.html",
        include_str!("../templates/raid_item.html"),
    ),
    (
        "raid_form.html",
        include_str!("../templates/raid_form.html"),
    ),
    (
        "project_raid.html",
        include_str!("../templates/project_raid.html"),
    ),
    ("reports.html", include_str!("../templates/reports.html")),
    ("report.html", include_str!("../templates/report.html")),
    (
        "report_form.html",
        include_str!("../templates/report_form.html"),
    ),
    (
        "report_edit.html",
        include_str!("../templates/report_edit.html"),
    ),
    ("branding.html", include_str!("../templates/branding.html")),
];

fn environment() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
        env.set_undefined_behavior(minijinja::UndefinedBehavior::SemiStrict);
        for (name, source) in TEMPLATES {
            if let Err(e) = env.add_template(name, source) {
                tracing::error!(template = name, error = %e, "template does not compile");
            }
        }
        env.add_filter("pence", |v: i64| {
            portfolio_domain::Money::from_pence(v)
                .map(|m| m.to_string())
                .unwrap_or_default()
        });
        env.add_filter("thousands", thousands);
        env
    })
}

/// "12,345": a whole number with commas between thousands.
pub(crate) fn thousands(v: i64) -> String {
    let s = v.abs().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if v < 0 {
        format!("-{out}")
    } else {
        out
    }
}

/// Renders a template to a string (for tests of what a page shows).
#[cfg(test)]
pub(crate) fn render_to_string(name: &str, ctx: Value) -> Result<String, minijinja::Error> {
    environment().get_template(name)?.render(ctx)
}

/// Renders a template with status 200.
pub fn render(name: &str, ctx: Value) -> Response {
    render_status(StatusCode::OK, name, ctx)
}

pub fn render_status(status: StatusCode, name: &str, ctx: Value) -> Response {
    let env = environment();
    match env.get_template(name).and_then(|t| t.render(ctx)) {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            let mut chain = format!("{e}");
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                chain.push_str(&format!(": {s}"));
                source = s.source();
            }
            tracing::error!(template = name, error = %chain, "template failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Html("<h1>Sorry, there is a problem with the service</h1>".to_string()),
            )
                .into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_compiles() {
        let env = environment();
        for (name, _) in TEMPLATES {
            assert!(env.get_template(name).is_ok(), "{name} does not compile");
        }
    }
}
