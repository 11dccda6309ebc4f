//! The scoring model: criteria, their weights, project assessments, the
//! priority score and the ranked list.
//!
//! An organisation's scoring model names its criteria (each scored 0–5, with
//! a descriptor saying what each score means) and weights them, either
//! directly or from pairwise comparisons on Saaty's 1–9 scale (AHP: the
//! weights are the principal eigenvector of the comparison matrix, and the
//! consistency ratio says how far the comparisons contradict each other).
//! A project's assessment scores it on each criterion; its priority score is
//! `100 × Σ wᵢ·sᵢ / 5`, from 0 to 100. Everything here is pure: the store keeps
//! the versions, the app checks who may change them.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::errors::ValidationErrors;
use crate::project::ProjectCode;

/// The highest score on a criterion (the lowest is 0).
pub const MAX_SCORE: u8 = 5;
/// Criteria a model has at least (one criterion ranks nothing) and at most.
pub const MIN_CRITERIA: usize = 2;
pub const MAX_CRITERIA: usize = 15;
/// Above this consistency ratio, pairwise comparisons contradict each other
/// enough to warn (Saaty's threshold).
pub const CONSISTENCY_THRESHOLD: f64 = 0.10;
pub const MAX_NAME: usize = 200;
pub const MAX_KEY: usize = 50;
pub const MAX_DESCRIPTION: usize = 2_000;
pub const MAX_DESCRIPTOR: usize = 300;
pub const MAX_RATIONALE: usize = 5_000;

/// Saaty's random consistency index for matrices of 1 to 15 criteria.
const RANDOM_INDEX: [f64; 15] = [
    0.0, 0.0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49, 1.51, 1.48, 1.56, 1.57, 1.59,
];

/// One criterion of a model, with its weight (the weights of a model sum to 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Criterion {
    /// Stable identifier, such as `citizen_impact`: assessments are keyed by it,
    /// so they carry over to later versions of the model.
    pub key: String,
    pub name: String,
    pub description: String,
    /// What each score means: `descriptors[0]` for 0 up to `descriptors[5]` for 5.
    pub descriptors: Vec<String>,
    /// Normalised weight, from 0 to 1.
    pub weight: f64,
}

/// How the weights were set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum Weighting {
    /// Typed in directly (then normalised to sum 1).
    Direct,
    /// Derived from pairwise comparisons: `matrix[i][j]` says how much more
    /// criterion i matters than criterion j (1/9 to 9, `matrix[j][i]` its reciprocal).
    Pairwise {
        matrix: Vec<Vec<f64>>,
        consistency: Consistency,
    },
}

/// How consistent a pairwise comparison matrix is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Consistency {
    /// The principal eigenvalue (equal to the number of criteria when perfectly consistent).
    pub lambda_max: f64,
    /// Consistency index: (λmax − n) / (n − 1).
    pub index: f64,
    /// Consistency ratio: the index over Saaty's random index; above 0.10 is inconsistent.
    pub ratio: f64,
    /// The comparison furthest from what the weights imply, when the ratio is above 0.10.
    pub most_inconsistent: Option<Inconsistency>,
}

impl Consistency {
    pub fn is_acceptable(&self) -> bool {
        self.ratio <= CONSISTENCY_THRESHOLD
    }

    /// The warning shown when the ratio is above the threshold.
    pub fn warning(&self) -> Option<String> {
        if self.is_acceptable() {
            return None;
        }
        let mut text = format!(
            "The consistency ratio is {:.2}, above 0.10: the comparisons contradict each other.",
            self.ratio
        );
        if let Some(worst) = &self.most_inconsistent {
            text.push_str(&format!(
                " The most inconsistent is {} against {}: you said {}, the other comparisons imply about {}.",
                worst.first_name,
                worst.second_name,
                saaty_label(worst.given),
                saaty_label(worst.implied)
            ));
        }
        Some(text)
    }
}

/// One pairwise comparison that disagrees with the others.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Inconsistency {
    pub first: String,
    pub first_name: String,
    pub second: String,
    pub second_name: String,
    /// What was given for first against second.
    pub given: f64,
    /// What the derived weights imply (weight of first over weight of second).
    pub implied: f64,
}

/// "3 (first matters moderately more)" style text for a comparison value.
pub fn saaty_label(value: f64) -> String {
    if value >= 1.0 {
        format!("{}", round_to(value, 1))
    } else {
        format!("1/{}", round_to(1.0 / value, 1))
    }
}

/// A saved version of an organisation's scoring model. Versions are never changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ScoringModel {
    pub organisation_id: i64,
    /// 1 for the first model saved, then 2, 3…
    pub version: i64,
    pub name: String,
    pub criteria: Vec<Criterion>,
    pub weighting: Weighting,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

impl ScoringModel {
    pub fn criterion(&self, key: &str) -> Option<&Criterion> {
        self.criteria.iter().find(|c| c.key == key)
    }

    /// The consistency of the pairwise comparisons, when the weights came from them.
    pub fn consistency(&self) -> Option<&Consistency> {
        match &self.weighting {
            Weighting::Direct => None,
            Weighting::Pairwise { consistency, .. } => Some(consistency),
        }
    }

    /// The model as a draft, to edit it.
    pub fn to_draft(&self) -> ScoringModelDraft {
        ScoringModelDraft {
            name: self.name.clone(),
            criteria: self
                .criteria
                .iter()
                .map(|c| CriterionDraft {
                    key: c.key.clone(),
                    name: c.name.clone(),
                    description: c.description.clone(),
                    descriptors: c.descriptors.clone(),
                    weight: Some(c.weight),
                })
                .collect(),
            pairwise: match &self.weighting {
                Weighting::Direct => None,
                Weighting::Pairwise { matrix, .. } => Some(matrix.clone()),
            },
            save_anyway: false,
        }
    }
}

/// A summary of one saved version, for the history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ModelVersionSummary {
    pub version: i64,
    pub name: String,
    pub criteria: usize,
    /// `direct` or `pairwise`.
    pub method: String,
    pub consistency_ratio: Option<f64>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

impl From<&ScoringModel> for ModelVersionSummary {
    fn from(m: &ScoringModel) -> Self {
        ModelVersionSummary {
            version: m.version,
            name: m.name.clone(),
            criteria: m.criteria.len(),
            method: match m.weighting {
                Weighting::Direct => "direct".into(),
                Weighting::Pairwise { .. } => "pairwise".into(),
            },
            consistency_ratio: m.consistency().map(|c| c.ratio),
            created_by: m.created_by.clone(),
            created_at: m.created_at,
        }
    }
}

/// One criterion as submitted.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CriterionDraft {
    pub key: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Six descriptors, for scores 0 to 5.
    pub descriptors: Vec<String>,
    /// The weight when set directly (any non-negative scale; normalised to sum 1).
    /// Ignored when `pairwise` is given.
    #[serde(default)]
    pub weight: Option<f64>,
}

/// A scoring model as submitted: criteria, and either direct weights or a
/// pairwise comparison matrix.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ScoringModelDraft {
    pub name: String,
    pub criteria: Vec<CriterionDraft>,
    /// The pairwise comparison matrix, rows and columns in the order of `criteria`.
    #[serde(default)]
    pub pairwise: Option<Vec<Vec<f64>>>,
    /// Save even though the comparisons' consistency ratio is above 0.10.
    #[serde(default)]
    pub save_anyway: bool,
}

/// A validated model, ready to be saved as the next version.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScoringModelInput {
    pub name: String,
    pub criteria: Vec<Criterion>,
    pub weighting: Weighting,
}

fn valid_key(key: &str) -> Result<String, String> {
    let k = key.trim();
    if k.is_empty() {
        return Err("must not be empty".into());
    }
    if k.len() > MAX_KEY {
        return Err(format!("must be {MAX_KEY} characters or fewer"));
    }
    let ok = k.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && k.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !ok {
        return Err(format!(
            "'{k}' is not a key: use lower-case letters, digits and underscores, starting with a letter, like citizen_impact"
        ));
    }
    Ok(k.to_string())
}

fn text(value: &str, max: usize, required: bool) -> Result<String, String> {
    let v = value.trim();
    if required && v.is_empty() {
        return Err("must not be empty".into());
    }
    if v.chars().count() > max {
        return Err(format!("must be {max} characters or fewer"));
    }
    if v.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err("must not contain control characters".into());
    }
    Ok(v.to_string())
}

impl ScoringModelDraft {
    /// Checks every field and derives the weights. A pairwise matrix whose
    /// consistency ratio is above 0.10 is refused unless `save_anyway`.
    pub fn validate(&self) -> Result<ScoringModelInput, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let name = errors.check("name", text(&self.name, MAX_NAME, true));
        let n = self.criteria.len();
        if n < MIN_CRITERIA {
            errors.push(
                "criteria",
                format!("must have at least {MIN_CRITERIA} criteria to rank projects"),
            );
        }
        if n > MAX_CRITERIA {
            errors.push(
                "criteria",
                format!("must have {MAX_CRITERIA} criteria or fewer"),
            );
        }
        let mut criteria = Vec::with_capacity(n);
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        for (i, c) in self.criteria.iter().enumerate() {
            let field = |f: &str| format!("criteria[{i}].{f}");
            let key = errors.check(&field("key"), valid_key(&c.key));
            if let Some(k) = &key {
                if let Some(first) = seen.insert(k.clone(), i) {
                    errors.push(
                        field("key"),
                        format!(
                            "'{k}' is used by criterion {} already; keys must differ",
                            first + 1
                        ),
                    );
                }
            }
            let cname = errors.check(&field("name"), text(&c.name, MAX_NAME, true));
            let description = errors.check(
                &field("description"),
                text(&c.description, MAX_DESCRIPTION, false),
            );
            if c.descriptors.len() != usize::from(MAX_SCORE) + 1 {
                errors.push(
                    field("descriptors"),
                    format!(
                        "must have 6 descriptors, one for each score from 0 to 5 (has {})",
                        c.descriptors.len()
                    ),
                );
            }
            let mut descriptors = Vec::new();
            for (s, d) in c.descriptors.iter().enumerate() {
                if let Some(d) = errors.check(
                    &format!("criteria[{i}].descriptors[{s}]"),
                    text(d, MAX_DESCRIPTOR, true),
                ) {
                    descriptors.push(d);
                }
            }
            if let (Some(key), Some(name), Some(description)) = (key, cname, description) {
                criteria.push(Criterion {
                    key,
                    name,
                    description,
                    descriptors,
                    weight: 0.0,
                });
            }
        }
        let weighting = match &self.pairwise {
            Some(matrix) => match check_matrix(matrix, n) {
                Err(problems) => {
                    for (field, message) in problems {
                        errors.push(field, message);
                    }
                    None
                }
                Ok(()) if !errors.is_empty() => None,
                Ok(()) => {
                    let (weights, consistency) = derive_weights(matrix, &criteria);
                    if !consistency.is_acceptable() && !self.save_anyway {
                        errors.push(
                            "pairwise",
                            consistency.warning().unwrap_or_default()
                                + " Revise the comparisons, or choose to save anyway.",
                        );
                    }
                    for (c, w) in criteria.iter_mut().zip(weights) {
                        c.weight = w;
                    }
                    Some(Weighting::Pairwise {
                        matrix: matrix.clone(),
                        consistency,
                    })
                }
            },
            None => {
                let mut weights = Vec::with_capacity(n);
                for (i, c) in self.criteria.iter().enumerate() {
                    let field = format!("criteria[{i}].weight");
                    match c.weight {
                        None => errors.push(
                            field,
                            "must be given when there are no pairwise comparisons",
                        ),
                        Some(w) if !w.is_finite() => errors.push(field, "must be a number"),
                        Some(w) if w < 0.0 => errors.push(field, "must not be negative"),
                        Some(w) => weights.push(w),
                    }
                }
                let total: f64 = weights.iter().sum();
                if weights.len() == n && n > 0 && total <= 0.0 {
                    errors.push(
                        "weights",
                        "sum to zero: give at least one criterion a weight above 0",
                    );
                } else if !total.is_finite() {
                    errors.push("weights", "are too large to add up; use smaller numbers");
                }
                if errors.is_empty() {
                    for (c, w) in criteria.iter_mut().zip(&weights) {
                        c.weight = w / total;
                    }
                }
                Some(Weighting::Direct)
            }
        };
        match (errors.is_empty(), name, weighting) {
            (true, Some(name), Some(weighting)) => Ok(ScoringModelInput {
                name,
                criteria,
                weighting,
            }),
            _ => Err(errors),
        }
    }
}

/// Problems with the shape and values of a comparison matrix, by field.
fn check_matrix(matrix: &[Vec<f64>], n: usize) -> Result<(), Vec<(String, String)>> {
    let mut problems = Vec::new();
    if matrix.len() != n || matrix.iter().any(|row| row.len() != n) {
        problems.push((
            "pairwise".to_string(),
            format!("must be a {n} × {n} matrix, one row and one column per criterion"),
        ));
        return Err(problems);
    }
    let low = 1.0 / 9.0 - 1e-6;
    let high = 9.0 + 1e-6;
    for (i, row) in matrix.iter().enumerate() {
        for (j, &v) in row.iter().enumerate() {
            let field = format!("pairwise[{i}][{j}]");
            if !v.is_finite() || v < low || v > high {
                problems.push((field, "must be from 1/9 to 9 on Saaty's scale".into()));
            } else if i == j && (v - 1.0).abs() > 1e-6 {
                problems.push((
                    field,
                    "must be 1: a criterion matters as much as itself".into(),
                ));
            } else if j > i {
                let back = matrix[j][i];
                if back.is_finite() && ((v * back) - 1.0).abs() > 0.01 {
                    problems.push((
                        field,
                        format!(
                            "must be the reciprocal of pairwise[{j}][{i}] ({}), not {}",
                            round_to(back, 3),
                            round_to(v, 3)
                        ),
                    ));
                }
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// The weights (principal eigenvector, by power iteration, summing to 1) and
/// consistency of a checked reciprocal matrix.
fn derive_weights(matrix: &[Vec<f64>], criteria: &[Criterion]) -> (Vec<f64>, Consistency) {
    let n = matrix.len();
    let mut w = vec![1.0 / n as f64; n];
    for _ in 0..10_000 {
        let next: Vec<f64> = (0..n)
            .map(|i| (0..n).map(|j| matrix[i][j] * w[j]).sum())
            .collect();
        let total: f64 = next.iter().sum();
        let next: Vec<f64> = next.iter().map(|x| x / total).collect();
        let delta = next
            .iter()
            .zip(&w)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        w = next;
        if delta < 1e-13 {
            break;
        }
    }
    let lambda_max = (0..n)
        .map(|i| (0..n).map(|j| matrix[i][j] * w[j]).sum::<f64>() / w[i])
        .sum::<f64>()
        / n as f64;
    let index = if n > 2 {
        ((lambda_max - n as f64) / (n as f64 - 1.0)).max(0.0)
    } else {
        0.0
    };
    let ri = RANDOM_INDEX[(n - 1).min(RANDOM_INDEX.len() - 1)];
    let ratio = if ri > 0.0 { index / ri } else { 0.0 };
    let mut most_inconsistent = None;
    if ratio > CONSISTENCY_THRESHOLD {
        let mut worst = (0.0, 0, 0);
        for i in 0..n {
            for j in (i + 1)..n {
                let implied = w[i] / w[j];
                let gap = (matrix[i][j] / implied).ln().abs();
                if gap > worst.0 {
                    worst = (gap, i, j);
                }
            }
        }
        let (_, i, j) = worst;
        let name = |k: usize| {
            criteria
                .get(k)
                .map(|c| (c.key.clone(), c.name.clone()))
                .unwrap_or_else(|| {
                    (
                        format!("criterion {}", k + 1),
                        format!("criterion {}", k + 1),
                    )
                })
        };
        let ((first, first_name), (second, second_name)) = (name(i), name(j));
        most_inconsistent = Some(Inconsistency {
            first,
            first_name,
            second,
            second_name,
            given: matrix[i][j],
            implied: w[i] / w[j],
        });
    }
    (
        w,
        Consistency {
            lambda_max,
            index,
            ratio,
            most_inconsistent,
        },
    )
}

/// Builds a reciprocal matrix from the comparisons above the diagonal:
/// `upper[(i, j)]` (i < j) is how much more criterion i matters than j.
/// Missing pairs count as equal (1).
pub fn matrix_from_comparisons(n: usize, upper: &BTreeMap<(usize, usize), f64>) -> Vec<Vec<f64>> {
    let mut m = vec![vec![1.0; n]; n];
    for (&(i, j), &v) in upper {
        if i < n && j < n && i != j && v > 0.0 {
            m[i][j] = v;
            m[j][i] = 1.0 / v;
        }
    }
    m
}

/// One project's score on one criterion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CriterionScore {
    /// 0 to 5.
    pub score: u8,
    #[serde(default)]
    pub rationale: String,
}

/// A project's assessment: its score per criterion key. Scores on criteria a
/// later model dropped are kept, so they return if the criterion does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Assessment {
    #[schema(value_type = String)]
    pub project_code: ProjectCode,
    pub scores: BTreeMap<String, CriterionScore>,
    /// 1 for the first save, then 2, 3…; send it back to save again.
    pub version: i64,
    pub updated_by: String,
    pub updated_at: DateTime<Utc>,
}

/// One criterion's score as submitted.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ScoreDraft {
    /// 0 to 5; absent or null for "not assessed".
    #[serde(default)]
    pub score: Option<i64>,
    #[serde(default)]
    pub rationale: Option<String>,
}

/// An assessment as submitted: scores by criterion key.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AssessmentDraft {
    pub scores: BTreeMap<String, ScoreDraft>,
}

impl AssessmentDraft {
    /// The scores to store: those given for the model's criteria, plus any
    /// earlier scores on criteria the model no longer has. A criterion left
    /// without a score is not assessed.
    pub fn validate(
        &self,
        model: &ScoringModel,
        previous: Option<&Assessment>,
    ) -> Result<BTreeMap<String, CriterionScore>, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let mut scores = BTreeMap::new();
        if let Some(prev) = previous {
            for (k, s) in &prev.scores {
                if model.criterion(k).is_none() {
                    scores.insert(k.clone(), s.clone());
                }
            }
        }
        for (key, draft) in &self.scores {
            let field = format!("scores.{key}");
            if model.criterion(key).is_none() {
                errors.push(
                    field,
                    format!(
                        "'{key}' is not a criterion of the scoring model (version {})",
                        model.version
                    ),
                );
                continue;
            }
            let rationale = errors.check(
                &format!("{field}.rationale"),
                text(
                    draft.rationale.as_deref().unwrap_or(""),
                    MAX_RATIONALE,
                    false,
                ),
            );
            match draft.score {
                None => {
                    if rationale.as_deref().is_some_and(|r| !r.is_empty()) {
                        errors.push(
                            format!("{field}.score"),
                            "must be chosen when a rationale is given",
                        );
                    }
                }
                Some(s) if !(0..=i64::from(MAX_SCORE)).contains(&s) => errors.push(
                    format!("{field}.score"),
                    "must be a whole number from 0 to 5",
                ),
                Some(s) => {
                    if let Some(rationale) = rationale {
                        scores.insert(
                            key.clone(),
                            CriterionScore {
                                score: s as u8,
                                rationale,
                            },
                        );
                    }
                }
            }
        }
        errors.into_result(|| scores)
    }
}

/// What one criterion adds to a priority score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Contribution {
    pub key: String,
    pub name: String,
    pub weight: f64,
    pub score: u8,
    /// Points out of 100: 100 × weight × score / 5, to one decimal.
    pub points: f64,
}

/// A project's priority score (0–100, one decimal) and what each criterion contributed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PriorityScore {
    pub score: f64,
    pub contributions: Vec<Contribution>,
}

/// `x` rounded to `places` decimals.
pub fn round_to(x: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (x * f).round() / f
}

/// The priority score from scores by criterion key, or the names of the
/// criteria not yet assessed.
pub fn priority_score(
    model: &ScoringModel,
    scores: &BTreeMap<String, CriterionScore>,
) -> Result<PriorityScore, Vec<String>> {
    let missing: Vec<String> = model
        .criteria
        .iter()
        .filter(|c| !scores.contains_key(&c.key))
        .map(|c| c.name.clone())
        .collect();
    if !missing.is_empty() {
        return Err(missing);
    }
    let max = f64::from(MAX_SCORE);
    let mut total = 0.0;
    let contributions = model
        .criteria
        .iter()
        .map(|c| {
            let s = scores.get(&c.key).map(|s| s.score).unwrap_or(0);
            let raw = 100.0 * c.weight * f64::from(s) / max;
            total += raw;
            Contribution {
                key: c.key.clone(),
                name: c.name.clone(),
                weight: c.weight,
                score: s,
                points: round_to(raw, 1),
            }
        })
        .collect();
    Ok(PriorityScore {
        score: round_to(total, 1),
        contributions,
    })
}

/// A project to rank: its code, title and assessment (if any).
#[derive(Debug, Clone)]
pub struct RankCandidate<'a> {
    pub code: ProjectCode,
    pub title: String,
    pub assessment: Option<&'a Assessment>,
}

/// One line of the ranked list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RankedProject {
    /// 1 for the highest score; equal scores are ordered by code.
    pub rank: usize,
    #[schema(value_type = String)]
    pub code: ProjectCode,
    pub title: String,
    pub score: f64,
    pub contributions: Vec<Contribution>,
}

/// A project left out of the ranking: not assessed, or not on every criterion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UnassessedProject {
    #[schema(value_type = String)]
    pub code: ProjectCode,
    pub title: String,
    /// The names of the criteria it has no score on.
    pub missing: Vec<String>,
}

/// The ranked list, and the scoring model version that made it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Ranking {
    pub model_version: i64,
    pub model_name: String,
    pub entries: Vec<RankedProject>,
    /// Projects not assessed on every criterion, by code.
    pub unassessed: Vec<UnassessedProject>,
}

/// Ranks projects by priority score, highest first; ties by code.
pub fn rank(model: &ScoringModel, candidates: &[RankCandidate<'_>]) -> Ranking {
    let empty = BTreeMap::new();
    let mut scored = Vec::new();
    let mut unassessed = Vec::new();
    for c in candidates {
        let scores = c.assessment.map(|a| &a.scores).unwrap_or(&empty);
        match priority_score(model, scores) {
            Ok(p) => scored.push((c, p)),
            Err(missing) => unassessed.push(UnassessedProject {
                code: c.code.clone(),
                title: c.title.clone(),
                missing,
            }),
        }
    }
    scored.sort_by(|(a, pa), (b, pb)| {
        pb.score
            .total_cmp(&pa.score)
            .then_with(|| a.code.cmp(&b.code))
    });
    unassessed.sort_by(|a, b| a.code.cmp(&b.code));
    Ranking {
        model_version: model.version,
        model_name: model.name.clone(),
        entries: scored
            .into_iter()
            .enumerate()
            .map(|(i, (c, p))| RankedProject {
                rank: i + 1,
                code: c.code.clone(),
                title: c.title.clone(),
                score: p.score,
                contributions: p.contributions,
            })
            .collect(),
        unassessed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn descriptors() -> Vec<String> {
        (0..6).map(|i| format!("Level {i}")).collect()
    }

    fn criterion(key: &str, weight: Option<f64>) -> CriterionDraft {
        CriterionDraft {
            key: key.into(),
            name: key.replace('_', " "),
            description: String::new(),
            descriptors: descriptors(),
            weight,
        }
    }

    fn draft(weights: &[(&str, f64)]) -> ScoringModelDraft {
        ScoringModelDraft {
            name: "Test model".into(),
            criteria: weights
                .iter()
                .map(|(k, w)| criterion(k, Some(*w)))
                .collect(),
            pairwise: None,
            save_anyway: false,
        }
    }

    fn model(input: ScoringModelInput) -> ScoringModel {
        ScoringModel {
            organisation_id: 1,
            version: 3,
            name: input.name,
            criteria: input.criteria,
            weighting: input.weighting,
            created_by: "t".into(),
            created_at: Utc::now(),
        }
    }

    fn scores(pairs: &[(&str, u8)]) -> BTreeMap<String, CriterionScore> {
        pairs
            .iter()
            .map(|(k, s)| {
                (
                    k.to_string(),
                    CriterionScore {
                        score: *s,
                        rationale: String::new(),
                    },
                )
            })
            .collect()
    }

    #[test]
    fn direct_weights_are_normalised_to_sum_one() {
        let input = draft(&[("a", 3.0), ("b", 1.0)]).validate().unwrap();
        assert_eq!(input.criteria[0].weight, 0.75);
        assert_eq!(input.criteria[1].weight, 0.25);
        assert_eq!(input.weighting, Weighting::Direct);
    }

    #[test]
    fn bad_direct_weights_are_refused_naming_the_field() {
        let huge = draft(&[("a", f64::MAX), ("b", f64::MAX)])
            .validate()
            .unwrap_err();
        assert!(huge.for_field("weights").unwrap().contains("too large"));
        let zero = draft(&[("a", 0.0), ("b", 0.0)]).validate().unwrap_err();
        assert!(zero.for_field("weights").unwrap().contains("sum to zero"));
        let negative = draft(&[("a", 1.0), ("b", -1.0)]).validate().unwrap_err();
        assert_eq!(
            negative.for_field("criteria[1].weight"),
            Some("must not be negative")
        );
        let mut missing = draft(&[("a", 1.0), ("b", 1.0)]);
        missing.criteria[0].weight = None;
        assert!(missing
            .validate()
            .unwrap_err()
            .for_field("criteria[0].weight")
            .is_some());
    }

    #[test]
    fn criteria_must_be_two_or_more_with_distinct_keys_and_six_descriptors() {
        let one = draft(&[("a", 1.0)]).validate().unwrap_err();
        assert!(one.for_field("criteria").unwrap().contains("at least 2"));
        let dup = draft(&[("a", 1.0), ("a", 2.0)]).validate().unwrap_err();
        assert!(dup.for_field("criteria[1].key").unwrap().contains("'a'"));
        let mut short = draft(&[("a", 1.0), ("b", 2.0)]);
        short.criteria[1].descriptors.pop();
        let e = short.validate().unwrap_err();
        assert!(e
            .for_field("criteria[1].descriptors")
            .unwrap()
            .contains("6 descriptors"));
        let bad_key = draft(&[("Citizen Impact", 1.0), ("b", 2.0)])
            .validate()
            .unwrap_err();
        assert!(bad_key.for_field("criteria[0].key").is_some());
    }

    #[test]
    fn a_consistent_matrix_gives_the_exact_weights() {
        // a is twice b and four times c; b is twice c: weights 4/7, 2/7, 1/7.
        let mut d = draft(&[("a", 0.0), ("b", 0.0), ("c", 0.0)]);
        d.pairwise = Some(vec![
            vec![1.0, 2.0, 4.0],
            vec![0.5, 1.0, 2.0],
            vec![0.25, 0.5, 1.0],
        ]);
        let input = d.validate().unwrap();
        let w: Vec<f64> = input.criteria.iter().map(|c| c.weight).collect();
        for (got, want) in w.iter().zip([4.0 / 7.0, 2.0 / 7.0, 1.0 / 7.0]) {
            assert!((got - want).abs() < 1e-9, "{w:?}");
        }
        let Weighting::Pairwise { consistency, .. } = input.weighting else {
            panic!("pairwise expected")
        };
        assert!((consistency.lambda_max - 3.0).abs() < 1e-9);
        assert!(consistency.ratio.abs() < 1e-9);
        assert!(consistency.warning().is_none());
    }

    /// For 3 × 3 reciprocal matrices λmax has a closed form, and the row
    /// geometric means are the principal eigenvector: an independent check.
    fn closed_form(a: f64, b: f64, c: f64) -> (f64, [f64; 3]) {
        let lambda = 1.0 + (b / (a * c)).cbrt() + (a * c / b).cbrt();
        let g = [(a * b).cbrt(), (c / a).cbrt(), (1.0 / (b * c)).cbrt()];
        let t: f64 = g.iter().sum();
        (lambda, [g[0] / t, g[1] / t, g[2] / t])
    }

    fn three(a: f64, b: f64, c: f64) -> ScoringModelDraft {
        let mut d = draft(&[("a", 0.0), ("b", 0.0), ("c", 0.0)]);
        d.pairwise = Some(vec![
            vec![1.0, a, b],
            vec![1.0 / a, 1.0, c],
            vec![1.0 / b, 1.0 / c, 1.0],
        ]);
        d
    }

    #[test]
    fn eigenvector_and_ratio_match_the_closed_form() {
        for (a, b, c) in [(1.0 / 3.0, 0.5, 3.0), (3.0, 0.2, 5.0), (7.0, 9.0, 2.0)] {
            let (lambda, want) = closed_form(a, b, c);
            let mut d = three(a, b, c);
            d.save_anyway = true;
            let input = d.validate().unwrap();
            let Weighting::Pairwise { consistency, .. } = &input.weighting else {
                panic!("pairwise expected")
            };
            assert!(
                (consistency.lambda_max - lambda).abs() < 1e-9,
                "{consistency:?}"
            );
            let ratio = (lambda - 3.0) / 2.0 / 0.58;
            assert!((consistency.ratio - ratio).abs() < 1e-9, "{consistency:?}");
            for (got, want) in input.criteria.iter().zip(want) {
                assert!((got.weight - want).abs() < 1e-9, "{} {want}", got.weight);
            }
        }
    }

    #[test]
    fn an_inconsistent_matrix_needs_save_anyway() {
        // a > b (3), b > c (5), yet c > a (5): CR ≈ 2.1.
        let mut d = three(3.0, 0.2, 5.0);
        let refused = d.validate().unwrap_err();
        let msg = refused.for_field("pairwise").unwrap();
        assert!(msg.contains("above 0.10"), "{msg}");
        assert!(msg.contains("save anyway"), "{msg}");
        d.save_anyway = true;
        assert!(d.validate().is_ok());
        // Mildly off (CR ≈ 0.05) saves without asking.
        assert!(three(1.0 / 3.0, 0.5, 3.0).validate().is_ok());
    }

    #[test]
    fn the_warning_names_the_comparison_that_breaks_the_pattern() {
        // a > b > c > d consistently, except a vs d said to be 1/9 (d far above a).
        let mut upper = BTreeMap::new();
        for (i, j, v) in [
            (0, 1, 2.0),
            (0, 2, 4.0),
            (0, 3, 1.0 / 9.0),
            (1, 2, 2.0),
            (1, 3, 4.0),
            (2, 3, 2.0),
        ] {
            upper.insert((i, j), v);
        }
        let mut d = draft(&[("a", 0.0), ("b", 0.0), ("c", 0.0), ("d", 0.0)]);
        d.pairwise = Some(matrix_from_comparisons(4, &upper));
        d.save_anyway = true;
        let input = d.validate().unwrap();
        let c = match &input.weighting {
            Weighting::Pairwise { consistency, .. } => consistency.clone(),
            _ => panic!(),
        };
        assert!(c.ratio > 0.10, "{c:?}");
        let worst = c.most_inconsistent.clone().unwrap();
        assert_eq!((worst.first.as_str(), worst.second.as_str()), ("a", "d"));
        assert!(c.warning().unwrap().contains("a against d"));
    }

    #[test]
    fn bad_matrices_are_refused_naming_the_cell() {
        let mut d = draft(&[("a", 0.0), ("b", 0.0)]);
        d.pairwise = Some(vec![vec![1.0, 2.0]]);
        assert!(d
            .validate()
            .unwrap_err()
            .for_field("pairwise")
            .unwrap()
            .contains("2 × 2"));
        d.pairwise = Some(vec![vec![1.0, 2.0], vec![2.0, 1.0]]);
        assert!(d
            .validate()
            .unwrap_err()
            .for_field("pairwise[0][1]")
            .unwrap()
            .contains("reciprocal"));
        d.pairwise = Some(vec![vec![1.0, 10.0], vec![0.1, 1.0]]);
        let e = d.validate().unwrap_err();
        assert!(e.for_field("pairwise[0][1]").unwrap().contains("1/9 to 9"));
        assert!(e.for_field("pairwise[1][0]").unwrap().contains("1/9 to 9"));
        d.pairwise = Some(vec![vec![2.0, 1.0], vec![1.0, 1.0]]);
        assert!(d
            .validate()
            .unwrap_err()
            .for_field("pairwise[0][0]")
            .is_some());
    }

    #[test]
    fn the_priority_score_is_the_weighted_sum_out_of_100() {
        let m = model(draft(&[("a", 3.0), ("b", 1.0)]).validate().unwrap());
        // 100 × (0.75 × 4 + 0.25 × 1) / 5 = 65.0
        let p = priority_score(&m, &scores(&[("a", 4), ("b", 1)])).unwrap();
        assert_eq!(p.score, 65.0);
        assert_eq!(p.contributions[0].points, 60.0);
        assert_eq!(p.contributions[1].points, 5.0);
        let top = priority_score(&m, &scores(&[("a", 5), ("b", 5)])).unwrap();
        assert_eq!(top.score, 100.0);
        let missing = priority_score(&m, &scores(&[("a", 5)])).unwrap_err();
        assert_eq!(missing, vec!["b".to_string()]);
    }

    #[test]
    fn ranking_orders_by_score_then_code_and_lists_the_unassessed_apart() {
        let m = model(draft(&[("a", 1.0), ("b", 1.0)]).validate().unwrap());
        let assessment = |code: &str, a: u8, b: Option<u8>| Assessment {
            project_code: ProjectCode::parse(code).unwrap(),
            scores: match b {
                Some(b) => scores(&[("a", a), ("b", b)]),
                None => scores(&[("a", a)]),
            },
            version: 1,
            updated_by: "t".into(),
            updated_at: Utc::now(),
        };
        let a1 = assessment("DP-003", 2, Some(2));
        let a2 = assessment("DP-001", 2, Some(2));
        let a3 = assessment("DP-002", 5, Some(4));
        let a4 = assessment("DP-004", 5, None);
        let cand = |a: &'static str, x: Option<&'static Assessment>| RankCandidate {
            code: ProjectCode::parse(a).unwrap(),
            title: a.into(),
            assessment: x,
        };
        let leak = |a: Assessment| -> &'static Assessment { Box::leak(Box::new(a)) };
        let (a1, a2, a3, a4) = (leak(a1), leak(a2), leak(a3), leak(a4));
        let r = rank(
            &m,
            &[
                cand("DP-003", Some(a1)),
                cand("DP-001", Some(a2)),
                cand("DP-002", Some(a3)),
                cand("DP-004", Some(a4)),
                cand("DP-005", None),
            ],
        );
        let order: Vec<(usize, String, f64)> = r
            .entries
            .iter()
            .map(|e| (e.rank, e.code.to_string(), e.score))
            .collect();
        assert_eq!(
            order,
            vec![
                (1, "DP-002".into(), 90.0),
                (2, "DP-001".into(), 40.0),
                (3, "DP-003".into(), 40.0)
            ]
        );
        assert_eq!(r.model_version, 3);
        let un: Vec<(String, Vec<String>)> = r
            .unassessed
            .iter()
            .map(|u| (u.code.to_string(), u.missing.clone()))
            .collect();
        assert_eq!(
            un,
            vec![
                ("DP-004".into(), vec!["b".to_string()]),
                ("DP-005".into(), vec!["a".to_string(), "b".to_string()])
            ]
        );
    }

    #[test]
    fn assessments_check_scores_and_keep_dropped_criteria() {
        let m = model(draft(&[("a", 1.0), ("b", 1.0)]).validate().unwrap());
        let mut d = AssessmentDraft::default();
        d.scores.insert(
            "a".into(),
            ScoreDraft {
                score: Some(6),
                rationale: None,
            },
        );
        d.scores.insert(
            "zz".into(),
            ScoreDraft {
                score: Some(1),
                rationale: None,
            },
        );
        let e = d.validate(&m, None).unwrap_err();
        assert_eq!(
            e.for_field("scores.a.score"),
            Some("must be a whole number from 0 to 5")
        );
        assert!(e
            .for_field("scores.zz")
            .unwrap()
            .contains("not a criterion"));

        let previous = Assessment {
            project_code: ProjectCode::parse("DP-001").unwrap(),
            scores: scores(&[("old", 3), ("a", 1)]),
            version: 1,
            updated_by: "t".into(),
            updated_at: Utc::now(),
        };
        let mut d = AssessmentDraft::default();
        d.scores.insert(
            "a".into(),
            ScoreDraft {
                score: Some(4),
                rationale: Some(" Because ".into()),
            },
        );
        d.scores.insert(
            "b".into(),
            ScoreDraft {
                score: None,
                rationale: None,
            },
        );
        let kept = d.validate(&m, Some(&previous)).unwrap();
        assert_eq!(
            kept.get("a").map(|s| (s.score, s.rationale.as_str())),
            Some((4, "Because"))
        );
        assert_eq!(
            kept.get("old").map(|s| s.score),
            Some(3),
            "a dropped criterion's score is kept"
        );
        assert!(!kept.contains_key("b"), "no score is not assessed");
    }
}
