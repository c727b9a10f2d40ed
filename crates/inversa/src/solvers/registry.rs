//! The one list of solvers, walked by `inversa list` and the task-file parser.

use super::{Solver, Stopping};
use crate::config::Section;
use crate::error::Result;
use crate::real::Real;

/// A registered solver: its task-file name, a one-line summary and its builder.
pub struct SolverEntry<T: Real> {
    /// The `solver.kind` value.
    pub name: &'static str,
    /// One line for `inversa list`.
    pub summary: &'static str,
    /// Builds the solver from the rest of the `[solver]` table.
    pub build: fn(&mut Section) -> Result<Box<dyn Solver<T>>>,
}

/// Every solver a task file can name.
pub fn solvers<T: Real>() -> Vec<SolverEntry<T>> {
    vec![]
}

/// Looks up a solver by its task-file name.
pub fn find<T: Real>(name: &str) -> Option<SolverEntry<T>> {
    solvers().into_iter().find(|e| e.name == name)
}

/// The names of all solvers, for error messages.
pub fn names() -> Vec<&'static str> {
    solvers::<f64>().iter().map(|e| e.name).collect()
}

/// Reads the keys every iterative solver shares: `iterations` (default `default_iterations`) and
/// `tolerance` on the relative change between iterates (default 0: run all iterations).
pub fn stopping_from_config(section: &mut Section, default_iterations: usize) -> Result<Stopping> {
    Ok(Stopping {
        iterations: section.positive_usize_or("iterations", default_iterations)?,
        tolerance: section.non_negative_or("tolerance", 0.0)?,
    })
}
