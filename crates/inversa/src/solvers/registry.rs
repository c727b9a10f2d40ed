//! The one list of solvers, walked by `inversa list` and the task-file parser.

use super::Solver;
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
    vec![
        SolverEntry {
            name: "cg",
            summary: "conjugate gradients on the normal equations (priors none | tikhonov)",
            build: super::cg::from_config,
        },
        SolverEntry {
            name: "fista",
            summary: "accelerated proximal gradient with backtracking (Beck & Teboulle 2009)",
            build: super::fista::from_config,
        },
        SolverEntry {
            name: "admm",
            summary: "alternating direction method of multipliers, closed-form or CG data step",
            build: super::admm::from_config,
        },
        SolverEntry {
            name: "pdhg",
            summary: "Chambolle-Pock primal-dual hybrid gradient",
            build: super::pdhg::from_config,
        },
        SolverEntry {
            name: "hqs",
            summary: "half-quadratic splitting with a growing coupling weight",
            build: super::hqs::from_config,
        },
        SolverEntry {
            name: "red",
            summary: "regularisation by denoising, fixed-point or gradient (Romano, Elad, Milanfar 2017); D = the prior's prox",
            build: super::red::from_config,
        },
        SolverEntry {
            name: "fbp",
            summary: "filtered back-projection, direct (physics.kind = \"ct\" only)",
            build: super::fbp::from_config,
        },
    ]
}

/// Looks up a solver by its task-file name.
pub fn find<T: Real>(name: &str) -> Option<SolverEntry<T>> {
    solvers().into_iter().find(|e| e.name == name)
}

/// The names of all solvers, for error messages.
pub fn names() -> Vec<&'static str> {
    solvers::<f64>().iter().map(|e| e.name).collect()
}
