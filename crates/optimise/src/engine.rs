//! The engine behind [`crate::model::solve`]: HiGHS, deterministic settings.

use std::time::Instant;

use highs::{HighsModelStatus, RowProblem, Sense as HSense};

use crate::model::{Model, Sense, Solution, SolveError, SolveOptions, SolveStatus};

pub(crate) fn solve(model: &Model, options: &SolveOptions) -> Result<Solution, SolveError> {
    let started = Instant::now();
    let mut problem = RowProblem::default();
    let cols: Vec<highs::Col> = model
        .columns
        .iter()
        .map(|c| {
            if c.integer {
                problem.add_integer_column(c.cost, c.lower..=c.upper)
            } else {
                problem.add_column(c.cost, c.lower..=c.upper)
            }
        })
        .collect();
    for row in &model.rows {
        let terms: Vec<(highs::Col, f64)> = row
            .terms
            .iter()
            .map(|&(j, a)| {
                cols.get(j).map(|c| (*c, a)).ok_or_else(|| {
                    SolveError::Malformed(format!("row {} names column {j}", row.name))
                })
            })
            .collect::<Result<_, _>>()?;
        problem.add_row(row.lower..=row.upper, terms);
    }
    let sense = match model.sense {
        Sense::Maximise => HSense::Maximise,
        Sense::Minimise => HSense::Minimise,
    };
    let mut m = problem.optimise(sense);
    m.make_quiet();
    m.set_option("threads", 1);
    m.set_option("random_seed", 0);
    m.set_option("mip_rel_gap", 0.0);
    m.set_option("mip_abs_gap", 0.0);
    m.set_option("time_limit", options.time_limit.as_secs_f64());
    let solved = m
        .try_solve()
        .map_err(|e| SolveError::Solver(format!("{e:?}")))?;
    let status = match solved.status() {
        HighsModelStatus::Optimal => SolveStatus::Optimal,
        HighsModelStatus::Infeasible => SolveStatus::Infeasible,
        _ if solved.primal_solution_status() == highs::HighsSolutionStatus::Feasible => {
            SolveStatus::Feasible
        }
        _ => SolveStatus::NoSolution,
    };
    let has_solution = matches!(status, SolveStatus::Optimal | SolveStatus::Feasible);
    let (values, row_activity) = if has_solution {
        let s = solved.get_solution();
        (s.columns().to_vec(), s.rows().to_vec())
    } else {
        (Vec::new(), Vec::new())
    };
    let objective = if has_solution {
        solved.objective_value()
    } else {
        0.0
    };
    let bound = solved
        .double_info_value(c"mip_dual_bound")
        .unwrap_or(objective);
    Ok(Solution {
        status,
        objective,
        bound,
        gap: if status == SolveStatus::Optimal {
            0.0
        } else {
            solved.mip_gap()
        },
        values,
        row_activity,
        seconds: started.elapsed().as_secs_f64(),
        nodes: solved.int_info_value(c"mip_node_count").unwrap_or(0),
        cancelled: false,
    })
}
