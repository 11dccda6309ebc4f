//! The project form: from posted fields to a [`ProjectDraft`], and back for display.
//!
//! The form speaks people's language (pounds, day/month/year boxes, commas
//! between tags); the draft speaks the domain's (pence, ISO dates, lists).
//! Errors come back named by the form's field ids so the error summary links
//! to the right box.

use std::collections::HashMap;

use minijinja::{context, Value};
use portfolio_domain::project::CostDraft;
use portfolio_domain::{Money, Project, ProjectDraft, ValidationErrors};

use super::ErrorLink;

/// Posted form fields.
#[derive(Debug, Clone, Default)]
pub struct ProjectForm {
    fields: HashMap<String, String>,
    themes: Vec<String>,
}

const MIN_COST_ROWS: usize = 3;

impl ProjectForm {
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut form = ProjectForm::default();
        for (k, v) in pairs {
            if k == "theme_ids" {
                form.themes.push(v);
            } else {
                form.fields.insert(k, v);
            }
        }
        form
    }

    pub fn get(&self, key: &str) -> &str {
        self.fields.get(key).map(String::as_str).unwrap_or("")
    }

    fn cost_row_count(&self) -> usize {
        (0..50)
            .take_while(|i| self.fields.contains_key(&format!("cost_year_{i}")))
            .count()
    }

    pub fn from_project(p: &Project) -> Self {
        let mut form = ProjectForm::default();
        let d = p.to_draft();
        let mut set = |k: &str, v: String| {
            form.fields.insert(k.to_string(), v);
        };
        set("code", p.code.clone());
        set("title", d.title);
        set("summary", d.summary);
        set("department_id", d.department);
        set("stage", d.stage);
        set("phase", d.phase.unwrap_or_default());
        set("sponsor", d.sponsor);
        set("manager", d.manager);
        set("confidence", d.confidence.unwrap_or_default());
        set("tags", d.tags.join(", "));
        set("residents", d.residents);
        set(
            "published",
            if d.published {
                "true".into()
            } else {
                String::new()
            },
        );
        for (name, date) in [("start_date", p.start_date), ("end_date", p.end_date)] {
            if let Some(date) = date {
                use chrono::Datelike;
                set(&format!("{name}-day"), date.day().to_string());
                set(&format!("{name}-month"), date.month().to_string());
                set(&format!("{name}-year"), date.year().to_string());
            }
        }
        for (i, c) in p.costs.iter().enumerate() {
            set(&format!("cost_year_{i}"), c.year.to_string());
            set(
                &format!("cost_capital_{i}"),
                c.capital_pence.to_plain_pounds(),
            );
            set(
                &format!("cost_revenue_{i}"),
                c.revenue_pence.to_plain_pounds(),
            );
        }
        form.themes = d.themes;
        form
    }

    fn date(&self, name: &str, errors: &mut Vec<(String, String)>) -> Option<String> {
        let part = |p: &str| self.get(&format!("{name}-{p}")).trim().to_string();
        let (day, month, year) = (part("day"), part("month"), part("year"));
        if day.is_empty() && month.is_empty() && year.is_empty() {
            return None;
        }
        let label = if name == "start_date" {
            "Start date"
        } else {
            "End date"
        };
        match (
            day.parse::<u32>(),
            month.parse::<u32>(),
            year.parse::<i32>(),
        ) {
            (Ok(d), Ok(m), Ok(y)) if year.len() == 4 => Some(format!("{y:04}-{m:02}-{d:02}")),
            _ => {
                errors.push((
                    name.to_string(),
                    format!("{label} must be a real date, like 1 4 2026"),
                ));
                None
            }
        }
    }

    /// The draft this form describes, with the problems only the form can see
    /// (amounts and dates that are not numbers). `cost_rows[i]` is the form row
    /// of the draft's i-th cost line.
    pub fn to_draft(&self) -> (ProjectDraft, Vec<(String, String)>, Vec<usize>) {
        let mut errors = Vec::new();
        let start_date = self.date("start_date", &mut errors);
        let end_date = self.date("end_date", &mut errors);
        let mut costs = Vec::new();
        let mut cost_rows = Vec::new();
        for i in 0..self.cost_row_count() {
            let year = self.get(&format!("cost_year_{i}")).trim();
            let capital = self.get(&format!("cost_capital_{i}")).trim();
            let revenue = self.get(&format!("cost_revenue_{i}")).trim();
            if year.is_empty() && capital.is_empty() && revenue.is_empty() {
                continue;
            }
            if year.is_empty() {
                errors.push((
                    format!("cost_year_{i}"),
                    format!("Cost row {}: enter the financial year, like 2026/27", i + 1),
                ));
                continue;
            }
            let mut amount = |field: &str, value: &str, label: &str| -> i64 {
                if value.is_empty() {
                    return 0;
                }
                match Money::parse_pounds(value) {
                    Ok(m) => m.pence(),
                    Err(e) => {
                        errors.push((
                            format!("cost_{field}_{i}"),
                            format!("Cost row {}: {label} {e}", i + 1),
                        ));
                        0
                    }
                }
            };
            let capital_pence = amount("capital", capital, "capital");
            let revenue_pence = amount("revenue", revenue, "revenue");
            costs.push(CostDraft {
                year: year.to_string(),
                capital_pence,
                revenue_pence,
            });
            cost_rows.push(i);
        }
        let code = self.get("code").trim();
        let draft = ProjectDraft {
            code: (!code.is_empty()).then(|| code.to_string()),
            title: self.get("title").to_string(),
            summary: self.get("summary").to_string(),
            department: self.get("department_id").to_string(),
            themes: self.themes.clone(),
            stage: self.get("stage").to_string(),
            phase: Some(self.get("phase").to_string()).filter(|s| !s.is_empty()),
            sponsor: self.get("sponsor").to_string(),
            manager: self.get("manager").to_string(),
            start_date,
            end_date,
            costs,
            confidence: Some(self.get("confidence").to_string()).filter(|s| !s.is_empty()),
            tags: self
                .get("tags")
                .split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_string)
                .collect(),
            published: self.get("published") == "true",
            residents: self.get("residents").to_string(),
        };
        (draft, errors, cost_rows)
    }

    /// The values to show in the form's boxes.
    pub fn view(&self) -> Value {
        let date = |name: &str| {
            context! {
                day => self.get(&format!("{name}-day")), month => self.get(&format!("{name}-month")), year => self.get(&format!("{name}-year")),
            }
        };
        let rows = self
            .cost_row_count()
            .max(MIN_COST_ROWS)
            .max(self.cost_row_count() + 1);
        let cost_rows: Vec<Value> = (0..rows)
            .map(|i| {
                context! {
                    year => self.get(&format!("cost_year_{i}")), capital => self.get(&format!("cost_capital_{i}")),
                    revenue => self.get(&format!("cost_revenue_{i}")), error => Option::<String>::None,
                }
            })
            .collect();
        context! {
            code => self.get("code"), title => self.get("title"), summary => self.get("summary"),
            department => self.get("department_id"), themes => self.themes.clone(), stage => self.get("stage"),
            phase => self.get("phase"), sponsor => self.get("sponsor"), manager => self.get("manager"),
            start => date("start_date"), end => date("end_date"), confidence => self.get("confidence"),
            tags => self.get("tags"), published => self.get("published") == "true", cost_rows,
            residents => self.get("residents"),
        }
    }

    /// Human labels for the form's fields.
    fn label(field: &str) -> &'static str {
        match field {
            "code" => "Project code",
            "title" => "Title",
            "summary" => "Summary",
            "department_id" => "Department",
            "theme_ids" => "Themes",
            "stage" => "Stage",
            "phase" => "GOV.UK service phase",
            "sponsor" => "Sponsor",
            "manager" => "Project manager",
            "start_date" => "Start date",
            "end_date" => "End date",
            "confidence" => "Delivery confidence",
            "tags" => "Tags",
            "residents" => "What this changes for residents",
            _ => "Project",
        }
    }

    /// Form-local errors plus the domain's, as (field errors by id, cost-row errors, summary links).
    pub fn errors_view(
        &self,
        local: &[(String, String)],
        domain: Option<&ValidationErrors>,
        cost_rows: &[usize],
    ) -> (
        HashMap<String, String>,
        HashMap<usize, String>,
        Vec<ErrorLink>,
    ) {
        let mut fields = HashMap::new();
        let mut rows = HashMap::new();
        let mut links = Vec::new();
        let mut add = |id: String,
                       message: String,
                       fields: &mut HashMap<String, String>,
                       rows: &mut HashMap<usize, String>| {
            if let Some(rest) = id.strip_prefix("cost_") {
                let row: usize = rest
                    .rsplit('_')
                    .next()
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0);
                rows.entry(row).or_insert(message.clone());
            } else {
                fields.entry(id.clone()).or_insert(message.clone());
            }
            let target = match id.as_str() {
                "start_date" | "end_date" => format!("{id}-day"),
                "theme_ids" => "theme_ids".to_string(),
                _ => id,
            };
            links.push(ErrorLink { target, message });
        };
        for (id, message) in local {
            add(id.clone(), message.clone(), &mut fields, &mut rows);
        }
        if let Some(domain) = domain {
            for e in &domain.0 {
                let id = if e.field == "department" {
                    "department_id".to_string()
                } else if e.field.starts_with("themes") {
                    "theme_ids".to_string()
                } else if e.field.starts_with("tags") {
                    "tags".to_string()
                } else if let Some(rest) = e.field.strip_prefix("costs[") {
                    let index: usize = rest
                        .split(']')
                        .next()
                        .and_then(|n| n.parse().ok())
                        .unwrap_or(0);
                    let row = cost_rows.get(index).copied().unwrap_or(0);
                    let part = if e.field.ends_with("capital_pence") {
                        "capital"
                    } else if e.field.ends_with("revenue_pence") {
                        "revenue"
                    } else {
                        "year"
                    };
                    add(
                        format!("cost_{part}_{row}"),
                        format!("Cost row {}: {} {}", row + 1, part, e.message),
                        &mut fields,
                        &mut rows,
                    );
                    continue;
                } else {
                    e.field.clone()
                };
                let message = sentence(Self::label(&id), &e.message);
                add(id, message, &mut fields, &mut rows);
            }
        }
        (fields, rows, links)
    }
}

/// An error message as a sentence: "Title must not be empty", or the domain's
/// own instruction ("Choose a department") when it already reads as one.
fn sentence(label: &str, message: &str) -> String {
    let names_the_field = ["must ", "cannot ", "is ", "appears "]
        .iter()
        .any(|p| message.starts_with(p));
    if names_the_field {
        format!("{label} {message}")
    } else {
        let mut chars = message.chars();
        match chars.next() {
            Some(first) => first.to_uppercase().chain(chars).collect(),
            None => format!("{label} is not valid"),
        }
    }
}

/// The form view with per-row cost errors filled in.
pub fn view_with_errors(form: &ProjectForm, rows: &HashMap<usize, String>) -> Value {
    let mut v: serde_json::Value = serde_json::to_value(form.view()).unwrap_or_default();
    if let Some(list) = v.get_mut("cost_rows").and_then(|r| r.as_array_mut()) {
        for (i, row) in list.iter_mut().enumerate() {
            if let Some(message) = rows.get(&i) {
                row["error"] = serde_json::Value::String(message.clone());
            }
        }
    }
    Value::from_serialize(&v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn pounds_dates_and_tags_become_a_draft() {
        let form = ProjectForm::from_pairs(pairs(&[
            ("title", "Teams telephony"),
            ("theme_ids", "a"),
            ("theme_ids", "b"),
            ("start_date-day", "1"),
            ("start_date-month", "4"),
            ("start_date-year", "2026"),
            ("cost_year_0", "2026/27"),
            ("cost_capital_0", "£1,250.50"),
            ("cost_revenue_0", ""),
            ("cost_year_1", ""),
            ("cost_capital_1", ""),
            ("cost_revenue_1", ""),
            ("tags", "teams, , rpa"),
        ]));
        let (draft, errors, rows) = form.to_draft();
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(draft.themes, vec!["a", "b"]);
        assert_eq!(draft.start_date.as_deref(), Some("2026-04-01"));
        assert_eq!(draft.costs.len(), 1);
        assert_eq!(draft.costs[0].capital_pence, 125_050);
        assert_eq!(rows, vec![0]);
        assert_eq!(draft.tags, vec!["teams", "rpa"]);
    }

    #[test]
    fn bad_amounts_and_dates_are_named_by_form_field() {
        let form = ProjectForm::from_pairs(pairs(&[
            ("start_date-day", "31"),
            ("start_date-month", "x"),
            ("start_date-year", "2026"),
            ("cost_year_0", "2026/27"),
            ("cost_capital_0", "tbc"),
            ("cost_revenue_0", "1.005"),
        ]));
        let (_, errors, _) = form.to_draft();
        let ids: Vec<&str> = errors.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(ids, vec!["start_date", "cost_capital_0", "cost_revenue_0"]);
    }
}
