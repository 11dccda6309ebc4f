//! Highlight reports: each project's report per period (a calendar month by
//! default) with its delivery confidence and a one-line reason, the
//! progress narrative, milestones (planned, forecast, actual), its top risks
//! and issues, and the decisions it needs; and the confidence trend, per
//! project and across the programme.
//!
//! This module parses and decides; it reads no clock and stores nothing.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::confidence::DeliveryConfidence;
use crate::errors::ValidationErrors;
use crate::text::clean;

pub const MAX_REASON: usize = 200;
pub const MAX_TEXT: usize = 4_000;
pub const MAX_MILESTONES: usize = 12;
/// A report names its top risks and issues: five at most.
pub const MAX_TOP_ITEMS: usize = 5;

/// A reporting period: one calendar month, "2026-11".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Month {
    pub year: i32,
    /// 1 to 12.
    pub month: u32,
}

impl Month {
    pub fn of(date: NaiveDate) -> Month {
        Month {
            year: date.year(),
            month: date.month(),
        }
    }

    pub fn parse(s: &str) -> Result<Month, String> {
        let t = s.trim();
        let bad = || format!("'{t}' is not a month; write it like 2026-11");
        let (y, m) = t.split_once('-').ok_or_else(bad)?;
        let (year, month) = (
            y.parse::<i32>().map_err(|_| bad())?,
            m.parse::<u32>().map_err(|_| bad())?,
        );
        if y.len() != 4 || !(1..=12).contains(&month) {
            return Err(bad());
        }
        Ok(Month { year, month })
    }

    /// "2026-11", as addresses, the API and the store write it.
    pub fn as_string(self) -> String {
        format!("{:04}-{:02}", self.year, self.month)
    }

    /// "November 2026".
    pub fn label(self) -> String {
        self.first_day().format("%B %Y").to_string()
    }

    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or(NaiveDate::MIN)
    }

    pub fn previous(self) -> Month {
        if self.month == 1 {
            Month {
                year: self.year - 1,
                month: 12,
            }
        } else {
            Month {
                year: self.year,
                month: self.month - 1,
            }
        }
    }

    /// The `n` months ending with this one, oldest first.
    pub fn last(self, n: usize) -> Vec<Month> {
        let mut out = vec![self];
        while out.len() < n {
            let before = out[out.len() - 1].previous();
            out.push(before);
        }
        out.reverse();
        out
    }
}

impl Serialize for Month {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.as_string())
    }
}

impl<'de> Deserialize<'de> for Month {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Month, D::Error> {
        let s = String::deserialize(d)?;
        Month::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// One milestone as the report gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Milestone {
    pub name: String,
    pub planned: NaiveDate,
    pub forecast: Option<NaiveDate>,
    pub actual: Option<NaiveDate>,
}

impl Milestone {
    /// "Done", "Late" (forecast after plan, or planned date passed with no
    /// actual) or "On track", as of `today`.
    pub fn status(&self, today: NaiveDate) -> &'static str {
        if self.actual.is_some() {
            "Done"
        } else if self.forecast.is_some_and(|f| f > self.planned) || self.planned < today {
            "Late"
        } else {
            "On track"
        }
    }
}

/// A RAID item a report names among its top risks and issues, as it stood.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TopItem {
    pub id: i64,
    /// "R12", "I3".
    pub reference: String,
    pub title: String,
}

/// A stored report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HighlightReport {
    pub id: i64,
    pub project_id: i64,
    pub project_code: String,
    pub project_title: String,
    #[schema(value_type = String, example = "2026-11")]
    pub period: Month,
    pub confidence: DeliveryConfidence,
    /// Why, in one line.
    pub reason: String,
    pub narrative: String,
    pub milestones: Vec<Milestone>,
    pub top_items: Vec<TopItem>,
    pub decisions_needed: String,
    pub submitted_by: String,
    pub submitted_at: DateTime<Utc>,
    pub version: i64,
}

/// A milestone as a form or the API gives it (dates YYYY-MM-DD).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MilestoneDraft {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub planned: String,
    #[serde(default)]
    pub forecast: String,
    #[serde(default)]
    pub actual: String,
}

/// A report as a form or the API describes it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HighlightDraft {
    /// The month reported on, "2026-11".
    #[serde(default)]
    pub period: String,
    /// green, amber_green, amber, amber_red or red.
    #[serde(default)]
    pub confidence: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub narrative: String,
    #[serde(default)]
    pub milestones: Vec<MilestoneDraft>,
    /// Ids of the project's open RAID items to name as its top risks and issues.
    #[serde(default)]
    pub top_items: Vec<i64>,
    #[serde(default)]
    pub decisions_needed: String,
}

/// A validated report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HighlightInput {
    pub period: Month,
    pub confidence: DeliveryConfidence,
    pub reason: String,
    pub narrative: String,
    pub milestones: Vec<Milestone>,
    pub top_items: Vec<TopItem>,
    pub decisions_needed: String,
}

/// What a report is checked against.
pub struct HighlightContext<'a> {
    /// The project's open RAID items.
    pub open_items: &'a [TopItem],
    pub today: NaiveDate,
}

fn date(
    field: String,
    s: &str,
    required: bool,
    errors: &mut ValidationErrors,
) -> Option<NaiveDate> {
    if !required && s.trim().is_empty() {
        return None;
    }
    crate::text::required_date(&field, s, errors)
}

impl HighlightDraft {
    pub fn validate(&self, ctx: &HighlightContext<'_>) -> Result<HighlightInput, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let period = if self.period.trim().is_empty() {
            errors.push("period", "must name the month reported on, like 2026-11");
            None
        } else {
            errors.check("period", Month::parse(&self.period))
        };
        if let Some(p) = period {
            if p > Month::of(ctx.today) {
                errors.push(
                    "period",
                    format!("cannot be {}: that month has not started", p.label()),
                );
            }
        }
        let confidence = if self.confidence.trim().is_empty() {
            errors.push("confidence", "choose the delivery confidence");
            None
        } else {
            errors.check("confidence", DeliveryConfidence::parse(&self.confidence))
        };
        let reason = errors.check("reason", clean(&self.reason, MAX_REASON, true, false));
        let narrative = errors.check("narrative", clean(&self.narrative, MAX_TEXT, true, true));
        let decisions_needed = errors.check(
            "decisions_needed",
            clean(&self.decisions_needed, MAX_TEXT, false, true),
        );
        let mut milestones = Vec::new();
        for (i, m) in self.milestones.iter().enumerate() {
            let blank = [&m.name, &m.planned, &m.forecast, &m.actual]
                .iter()
                .all(|s| s.trim().is_empty());
            if blank {
                continue;
            }
            let f = |part: &str| format!("milestones[{i}].{part}");
            let name = errors.check(&f("name"), clean(&m.name, MAX_REASON, true, false));
            let planned = date(f("planned"), &m.planned, true, &mut errors);
            let forecast = date(f("forecast"), &m.forecast, false, &mut errors);
            let actual = date(f("actual"), &m.actual, false, &mut errors);
            if actual.is_some_and(|a| a > ctx.today) {
                errors.push(
                    f("actual"),
                    "cannot be in the future: a milestone is done when it is done",
                );
            }
            if let (Some(name), Some(planned)) = (name, planned) {
                milestones.push(Milestone {
                    name,
                    planned,
                    forecast,
                    actual,
                });
            }
        }
        if milestones.len() > MAX_MILESTONES {
            errors.push(
                "milestones",
                format!("must list {MAX_MILESTONES} milestones or fewer"),
            );
        }
        let mut top_items = Vec::new();
        for id in &self.top_items {
            match ctx.open_items.iter().find(|i| i.id == *id) {
                Some(item) if !top_items.contains(item) => top_items.push(item.clone()),
                Some(_) => {}
                None => errors.push(
                    "top_items",
                    format!("item {id} is not an open risk or issue of this project"),
                ),
            }
        }
        if top_items.len() > MAX_TOP_ITEMS {
            errors.push(
                "top_items",
                format!("must name {MAX_TOP_ITEMS} risks and issues or fewer: the top ones"),
            );
        }
        match (period, confidence, reason, narrative, decisions_needed) {
            (
                Some(period),
                Some(confidence),
                Some(reason),
                Some(narrative),
                Some(decisions_needed),
            ) if errors.is_empty() => Ok(HighlightInput {
                period,
                confidence,
                reason,
                narrative,
                milestones,
                top_items,
                decisions_needed,
            }),
            _ => Err(errors),
        }
    }
}

/// One month of the programme's confidence trend.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TrendPoint {
    #[schema(value_type = String, example = "2026-11")]
    pub month: Month,
    /// How many reports of the month gave each rating, Green first.
    pub counts: Vec<TrendCount>,
    /// Reports in the month.
    pub reported: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TrendCount {
    pub confidence: DeliveryConfidence,
    pub count: usize,
}

/// The programme's trend over `months`: per month, the ratings the reports
/// of that month gave. `points` are (project id, month, rating).
pub fn programme_trend(
    points: &[(i64, Month, DeliveryConfidence)],
    months: &[Month],
) -> Vec<TrendPoint> {
    let mut by_month: BTreeMap<Month, Vec<DeliveryConfidence>> = BTreeMap::new();
    for (_, m, c) in points {
        by_month.entry(*m).or_default().push(*c);
    }
    months
        .iter()
        .map(|m| {
            let ratings = by_month.get(m).cloned().unwrap_or_default();
            TrendPoint {
                month: *m,
                counts: DeliveryConfidence::ALL
                    .iter()
                    .map(|c| TrendCount {
                        confidence: *c,
                        count: ratings.iter().filter(|r| *r == c).count(),
                    })
                    .collect(),
                reported: ratings.len(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
    }

    fn items() -> Vec<TopItem> {
        vec![TopItem {
            id: 4,
            reference: "R4".into(),
            title: "Data migration".into(),
        }]
    }

    fn good() -> HighlightDraft {
        HighlightDraft {
            period: "2026-11".into(),
            confidence: "amber".into(),
            reason: "Supplier late with the data migration".into(),
            narrative: "Testing started.\n\nTraining is booked.".into(),
            milestones: vec![
                MilestoneDraft {
                    name: "Go live".into(),
                    planned: "2027-01-10".into(),
                    forecast: "2027-02-01".into(),
                    actual: String::new(),
                },
                MilestoneDraft::default(),
            ],
            top_items: vec![4, 4],
            decisions_needed: String::new(),
        }
    }

    #[test]
    fn months_parse_label_and_step_back() {
        let m = Month::parse("2026-01").unwrap();
        assert_eq!(m.label(), "January 2026");
        assert_eq!(m.previous().as_string(), "2025-12");
        assert_eq!(
            m.last(3).iter().map(|m| m.as_string()).collect::<Vec<_>>(),
            vec!["2025-11", "2025-12", "2026-01"]
        );
        assert!(Month::parse("2026-13").is_err());
        assert!(Month::parse("26-1").is_err());
        assert!(Month::parse("November").is_err());
    }

    #[test]
    fn a_good_report_validates_and_its_milestone_is_late() {
        let ctx = HighlightContext {
            open_items: &items(),
            today: today(),
        };
        let r = good().validate(&ctx).unwrap();
        assert_eq!(r.confidence, DeliveryConfidence::Amber);
        assert_eq!(r.milestones.len(), 1, "blank rows are left out");
        assert_eq!(r.milestones[0].status(today()), "Late");
        assert_eq!(r.top_items.len(), 1, "named once");
    }

    #[test]
    fn every_problem_is_named() {
        let ctx = HighlightContext {
            open_items: &items(),
            today: today(),
        };
        let mut d = good();
        d.period = "2027-01".into();
        d.confidence = "purple".into();
        d.reason = "two\nlines".into();
        d.narrative = " ".into();
        d.milestones[0].planned = "2027-02-30".into();
        d.milestones[0].actual = "2026-12-25".into();
        d.top_items = vec![99];
        let e = d.validate(&ctx).unwrap_err();
        for field in [
            "period",
            "confidence",
            "reason",
            "narrative",
            "milestones[0].planned",
            "milestones[0].actual",
            "top_items",
        ] {
            assert!(e.for_field(field).is_some(), "{field}: {e:?}");
        }
        assert!(e.for_field("period").unwrap().contains("has not started"));
    }

    #[test]
    fn the_trend_counts_each_months_ratings() {
        let nov = Month::parse("2026-11").unwrap();
        let oct = nov.previous();
        let points = vec![
            (1, oct, DeliveryConfidence::Green),
            (2, oct, DeliveryConfidence::Red),
            (1, nov, DeliveryConfidence::Amber),
        ];
        let t = programme_trend(&points, &nov.last(3));
        assert_eq!(t.len(), 3);
        assert_eq!(t[0].reported, 0);
        assert_eq!(t[1].reported, 2);
        assert_eq!(t[1].counts[0].count, 1, "one Green in October");
        assert_eq!(t[2].counts.iter().map(|c| c.count).sum::<usize>(), 1);
    }
}
