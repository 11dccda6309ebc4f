//! OR-Library's 0-1 multidimensional knapsack files (`mknap1.txt`,
//! `mknapcb*.txt`), solved by the one engine.
//!
//! The format, whitespace-insensitive: `K`, then per problem `n m opt`, the
//! `n` profits, `m` rows of `n` weights, and the `m` capacities. `opt` is the
//! stated optimum, 0 when the file gives none.

use serde::Serialize;

use crate::model::{solve, Model, Sense, Solution, SolveError, SolveOptions, SolveStatus};

/// One problem of a file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Instance {
    /// 0-based position in the file.
    pub index: usize,
    pub profits: Vec<f64>,
    /// `weights[i][j]`: item j's use of resource i.
    pub weights: Vec<Vec<f64>>,
    pub capacities: Vec<f64>,
    /// The optimum the file states, if it gives one (`opt` not 0).
    pub stated_optimum: Option<f64>,
}

/// Why a file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("the file is empty: expected the number of problems")]
    Empty,
    #[error("{place}: expected {expected}, found {found:?} (token {token})")]
    BadToken {
        /// e.g. "problem 2" or "the header".
        place: String,
        expected: String,
        found: String,
        /// 1-based position of the token in the file.
        token: usize,
    },
    #[error("{place}: the file ends where {expected} was expected")]
    Truncated { place: String, expected: String },
    #[error(
        "the file has {count} tokens after its last problem (from token {token}); expected the end"
    )]
    Trailing { count: usize, token: usize },
}

struct Tokens<'a> {
    iter: std::str::SplitWhitespace<'a>,
    position: usize,
}

impl<'a> Tokens<'a> {
    fn next_raw(&mut self, place: &str, expected: &str) -> Result<&'a str, ParseError> {
        self.position += 1;
        self.iter.next().ok_or_else(|| ParseError::Truncated {
            place: place.to_string(),
            expected: expected.to_string(),
        })
    }

    fn count(&mut self, place: &str, expected: &str) -> Result<usize, ParseError> {
        let raw = self.next_raw(place, expected)?;
        raw.parse::<usize>().map_err(|_| ParseError::BadToken {
            place: place.to_string(),
            expected: format!("{expected} (a whole number)"),
            found: raw.to_string(),
            token: self.position,
        })
    }

    fn number(&mut self, place: &str, expected: &str) -> Result<f64, ParseError> {
        let raw = self.next_raw(place, expected)?;
        match raw.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(v),
            _ => Err(ParseError::BadToken {
                place: place.to_string(),
                expected: format!("{expected} (a number)"),
                found: raw.to_string(),
                token: self.position,
            }),
        }
    }
}

/// Reads every problem of an OR-Library mknap1/mknapcb file.
pub fn parse(text: &str) -> Result<Vec<Instance>, ParseError> {
    let mut t = Tokens {
        iter: text.split_whitespace(),
        position: 0,
    };
    if text.split_whitespace().next().is_none() {
        return Err(ParseError::Empty);
    }
    let k = t.count("the header", "the number of problems")?;
    let mut instances = Vec::with_capacity(k.min(1000));
    for index in 0..k {
        let place = format!("problem {}", index + 1);
        let n = t.count(&place, "the number of items n")?;
        let m = t.count(&place, "the number of constraints m")?;
        let opt = t.number(&place, "the stated optimum (0 if none)")?;
        let mut profits = Vec::with_capacity(n.min(100_000));
        for j in 0..n {
            profits.push(t.number(&place, &format!("the profit of item {}", j + 1))?);
        }
        let mut weights = Vec::with_capacity(m.min(1000));
        for i in 0..m {
            let mut row = Vec::with_capacity(n.min(100_000));
            for j in 0..n {
                row.push(t.number(
                    &place,
                    &format!("the weight of item {} in constraint {}", j + 1, i + 1),
                )?);
            }
            weights.push(row);
        }
        let mut capacities = Vec::with_capacity(m.min(1000));
        for i in 0..m {
            capacities.push(t.number(&place, &format!("the capacity of constraint {}", i + 1))?);
        }
        instances.push(Instance {
            index,
            profits,
            weights,
            capacities,
            stated_optimum: (opt != 0.0).then_some(opt),
        });
    }
    let token = t.position + 1;
    let rest = t.iter.count();
    if rest > 0 {
        return Err(ParseError::Trailing { count: rest, token });
    }
    Ok(instances)
}

impl Instance {
    pub fn items(&self) -> usize {
        self.profits.len()
    }

    pub fn constraints(&self) -> usize {
        self.capacities.len()
    }

    /// `max sum p_j x_j` subject to `sum_j r_ij x_j <= b_i`, `x` binary.
    pub fn to_model(&self) -> Model {
        let mut model = Model::new(Sense::Maximise);
        for (j, &p) in self.profits.iter().enumerate() {
            model.add_binary(format!("x{}", j + 1), p);
        }
        for (i, (row, &b)) in self.weights.iter().zip(&self.capacities).enumerate() {
            let terms = row
                .iter()
                .enumerate()
                .filter(|(_, &a)| a != 0.0)
                .map(|(j, &a)| (j, a))
                .collect();
            model.add_row(format!("resource{}", i + 1), f64::NEG_INFINITY, b, terms);
        }
        model
    }

    /// Solves the instance with the one engine.
    pub fn solve(&self, options: &SolveOptions) -> Result<InstanceResult, SolveError> {
        let solution = solve(&self.to_model(), options)?;
        Ok(InstanceResult::new(self, solution))
    }
}

/// What `portfolio bench-mkp` reports per instance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InstanceResult {
    /// 0-based position in the file.
    pub index: usize,
    pub items: usize,
    pub constraints: usize,
    pub status: SolveStatus,
    /// The best value found (`None` when none was found).
    pub value: Option<f64>,
    /// Whether `value` is proved optimal.
    pub proven: bool,
    pub bound: f64,
    pub gap: f64,
    pub nodes: i64,
    pub seconds: f64,
    pub fixed_by_reduced_cost: usize,
    pub stated_optimum: Option<f64>,
    /// Whether `value` equals the stated optimum (`None` when none is stated).
    pub matches_stated: Option<bool>,
    /// The chosen items, 1-based as in the file.
    pub chosen: Vec<usize>,
}

impl InstanceResult {
    pub fn new(instance: &Instance, s: Solution) -> InstanceResult {
        let value =
            matches!(s.status, SolveStatus::Optimal | SolveStatus::Feasible).then_some(s.objective);
        let chosen = s
            .values
            .iter()
            .enumerate()
            .filter(|(_, &v)| v > 0.5)
            .map(|(j, _)| j + 1)
            .collect();
        InstanceResult {
            index: instance.index,
            items: instance.items(),
            constraints: instance.constraints(),
            status: s.status,
            value,
            proven: s.status == SolveStatus::Optimal,
            bound: s.bound,
            gap: s.gap,
            nodes: s.nodes,
            seconds: s.seconds,
            fixed_by_reduced_cost: s.fixed_by_reduced_cost,
            stated_optimum: instance.stated_optimum,
            matches_stated: instance
                .stated_optimum
                .map(|opt| value.is_some_and(|v| (v - opt).abs() <= 1e-6 * opt.abs().max(1.0))),
            chosen,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_small_file_whatever_the_line_breaks() {
        let text = "2\n3 1 5\n 2 3 4\n1 2 3 4\n\n2 2 0 1 1 1 0 0 1 1 1";
        let got = parse(text).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].profits, vec![2.0, 3.0, 4.0]);
        assert_eq!(got[0].weights, vec![vec![1.0, 2.0, 3.0]]);
        assert_eq!(got[0].capacities, vec![4.0]);
        assert_eq!(got[0].stated_optimum, Some(5.0));
        assert_eq!(got[1].weights, vec![vec![1.0, 0.0], vec![0.0, 1.0]]);
        assert_eq!(got[1].stated_optimum, None);
    }

    #[test]
    fn says_which_problem_and_token_is_wrong() {
        let err = parse("2\n1 1 0 5 2 3\n1 1 0 5 x 3").unwrap_err();
        assert_eq!(
            err.to_string(),
            "problem 2: expected the weight of item 1 in constraint 1 (a number), \
             found \"x\" (token 12)"
        );
        let err = parse("1\n2 1 0 5 6 1").unwrap_err();
        assert_eq!(
            err.to_string(),
            "problem 1: the file ends where the weight of item 2 in constraint 1 was expected"
        );
        let err = parse("1 1 1 0 5 1 1 7").unwrap_err();
        assert!(
            err.to_string().contains("1 tokens after its last problem"),
            "{err}"
        );
        assert_eq!(parse("  \n").unwrap_err(), ParseError::Empty);
        let err = parse("two").unwrap_err();
        assert!(err
            .to_string()
            .starts_with("the header: expected the number of problems"));
    }
}
