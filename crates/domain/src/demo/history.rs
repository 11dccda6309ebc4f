//! A long synthetic history for benchmarks of the history views: each
//! project's past states, dated over the years before today, ending at the
//! project as it is now.

use chrono::{DateTime, Duration, Utc};

use super::Lcg;
use crate::confidence::DeliveryConfidence;
use crate::money::Money;
use crate::project::Project;
use crate::stage::Stage;

/// One generated change of a project: when, what, and the states around it.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntheticChange {
    pub at: DateTime<Utc>,
    /// "created" for the first, "updated" for the others.
    pub action: &'static str,
    pub before: Option<Project>,
    pub after: Project,
}

/// `changes` states of `project` (at least its creation), dated in
/// `[from, to)` in time order, the last being `project` itself (with its
/// version and times set to match its history). Going back in time, each
/// step changes one thing: the delivery confidence, the first year's
/// capital cost, the end date, or (while it has one) the previous stage on
/// the main path.
pub fn synthetic_project_history(
    project: &Project,
    changes: usize,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    seed: u64,
) -> Vec<SyntheticChange> {
    let n = changes.max(1);
    let mut rng = Lcg(seed ^ (project.id as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let span = (to - from).num_seconds().max(1) as u64;
    let mut times: Vec<DateTime<Utc>> = (0..n)
        .map(|_| {
            from + Duration::seconds(rng.below(span) as i64)
                + Duration::microseconds(rng.below(1_000_000) as i64)
        })
        .collect();
    times.sort();
    // States from the newest back to the oldest.
    let mut states = Vec::with_capacity(n);
    let mut state = project.clone();
    states.push(state.clone());
    for _ in 1..n {
        match rng.below(4) {
            0 => {
                let all = DeliveryConfidence::ALL;
                let pick = rng.below(all.len() as u64 + 1) as usize;
                state.confidence = all.get(pick).copied();
            }
            1 => {
                if let Some(line) = state.costs.first_mut() {
                    let pence = line.capital_pence.pence();
                    let step = (pence / 10).max(100_000);
                    let next = if rng.below(2) == 0 {
                        pence + step
                    } else {
                        (pence - step).max(0)
                    };
                    line.capital_pence = Money::from_pence(next).unwrap_or(line.capital_pence);
                } else {
                    state.confidence = None;
                }
            }
            2 => {
                let shift = Duration::days(rng.below(60) as i64 + 7);
                state.end_date = match state.end_date {
                    Some(d) if rng.below(2) == 0 => d.checked_sub_signed(shift),
                    Some(d) => d.checked_add_signed(shift),
                    None => state
                        .start_date
                        .and_then(|s| s.checked_add_signed(shift * 6)),
                };
                if let (Some(s), Some(e)) = (state.start_date, state.end_date) {
                    if e < s {
                        state.end_date = Some(s);
                    }
                }
            }
            _ => {
                if let Some(previous) = Stage::PATH
                    .iter()
                    .position(|s| *s == state.stage)
                    .filter(|i| *i > 0)
                    .map(|i| Stage::PATH[i - 1])
                {
                    state.stage = previous;
                } else {
                    state.confidence = None;
                }
            }
        }
        states.push(state.clone());
    }
    states.reverse();
    let created = times[0];
    let mut out: Vec<SyntheticChange> = Vec::with_capacity(n);
    for (i, (mut s, at)) in states.into_iter().zip(times).enumerate() {
        s.version = i as i64 + 1;
        s.created_at = created;
        s.updated_at = at;
        out.push(SyntheticChange {
            at,
            action: if i == 0 { "created" } else { "updated" },
            before: out.last().map(|c| c.after.clone()),
            after: s,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ends_at_the_project_as_it_is_in_time_order() {
        let mut project: Project = serde_json::from_value(serde_json::json!({
            "id": 3, "organisation_id": 1, "code": "DP-003", "title": "Teams", "summary": "",
            "department": {"id": 1, "slug": "hc", "name": "Health and Care"}, "themes": [],
            "stage": "delivery", "phase": null, "sponsor": "", "manager": "",
            "start_date": "2026-04-01", "end_date": "2027-03-31",
            "costs": [{"year": 2026, "capital_pence": 5000000, "revenue_pence": 0}],
            "confidence": "amber", "tags": [], "published": false, "version": 1,
            "created_at": "2026-11-01T00:00:00Z", "updated_at": "2026-11-01T00:00:00Z"}))
        .unwrap();
        let to = project.created_at;
        let from = to - Duration::days(1000);
        let chain = synthetic_project_history(&project, 40, from, to, 7);
        assert_eq!(chain.len(), 40);
        assert_eq!(chain[0].action, "created");
        assert!(chain[0].before.is_none());
        assert!(chain.windows(2).all(|w| w[0].at <= w[1].at));
        assert!(chain
            .windows(2)
            .all(|w| w[1].before.as_ref() == Some(&w[0].after)));
        assert!(chain
            .iter()
            .all(|c| c.at >= from && c.at < to + Duration::seconds(1)));
        let last = chain.last().unwrap().after.clone();
        project.version = 40;
        project.created_at = chain[0].at;
        project.updated_at = chain[39].at;
        assert_eq!(last, project);
        assert!(chain
            .windows(2)
            .any(|w| w[0].after.stage != w[1].after.stage));
    }
}
