//! Portfolio's optimiser: which projects to do and when to start them.
//!
//! This crate is pure computation (no I/O, no clock except the solver's own
//! time limit) and knows nothing of the database or the web. It owns:
//! - [`model`]: a small mixed-integer linear programme (rows, columns,
//!   bounds, integrality) and [`model::solve`], the one engine every caller
//!   uses: a heuristic start and reduced-cost fixing, then its own branch and
//!   bound for small pure 0/1 models and HiGHS for the rest, with
//!   deterministic settings and a time limit;
//! - [`export`]: the model as free MPS or CPLEX LP text, to check in another solver;
//! - [`mkp`]: OR-Library's multidimensional-knapsack files, solved by the same engine;
//! - [`portfolio`]: the portfolio problem (choose and schedule projects against
//!   budgets per year and capacity per pool per quarter, with dependencies,
//!   exclusive options and forced decisions), its explanations, the
//!   value-versus-budget frontier and the marginal value of more capacity.
//!
//! HiGHS is built from source by `highs-sys` (cmake and libclang needed); it is
//! kept in this crate alone so the rest of the workspace rebuilds without it.

mod engine;
pub mod export;
mod interrupt;
pub mod mkp;
pub mod model;
pub mod portfolio;
