//! Solving a whole sequence of related systems, the experiment of Wang et al., "Accelerating Data
//! Generation for Neural Operators via Krylov Subspace Recycling" (ICLR 2024): generate the
//! systems ([`super::problems`]), optionally sort them ([`super::sort`]), then solve them in that
//! order from `x = 0` with one method, carrying the recycled subspace (GCRO-DR) or deflation space
//! (deflated CG) from each system to the next. Every system must reach the tolerance on its true
//! residual `‖b − A x‖/‖b‖`, recomputed here after the solve; the first that does not is an error.

use super::cg::Cg;
use super::deflated_cg::{DeflatedCg, DeflationSpace};
use super::gcrodr::{GcroDr, Recycler};
use super::gmres::Gmres;
use super::preconditioner::PreconditionerKind;
use super::problems::ProblemKind;
use super::sort::nearest_neighbour_order;
use super::sparse::relative_residual;
use crate::error::{Error, Result};
use crate::krylov::SolveInfo;
use crate::solvers::{Silent, SolverError};
use std::time::Instant;

/// The solver used for every system of a sequence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Cg,
    DeflatedCg,
    Gmres,
    GcroDr,
}

impl Method {
    /// Every method.
    pub const ALL: [Method; 4] = [Self::Cg, Self::DeflatedCg, Self::Gmres, Self::GcroDr];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::Cg => "cg",
            Self::DeflatedCg => "deflated-cg",
            Self::Gmres => "gmres",
            Self::GcroDr => "gcrodr",
        }
    }

    /// Parses a name from [`Self::name`].
    pub fn parse(name: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|m| m.name() == name)
            .ok_or_else(|| {
                Error::config(
                    "method",
                    format!("unknown method {name:?}; expected cg, deflated-cg, gmres or gcrodr"),
                )
            })
    }
}

/// What to solve and how.
#[derive(Clone, Debug, PartialEq)]
pub struct SequenceConfig {
    pub problem: ProblemKind,
    /// `n`: the grid has `n × n` unknowns.
    pub grid: usize,
    pub systems: usize,
    /// Target for every system's `‖b − A x‖ / ‖b‖`.
    pub tolerance: f64,
    pub method: Method,
    pub preconditioner: PreconditionerKind,
    /// `m` of GMRES(m) and GCRO-DR(m, k).
    pub restart: usize,
    /// `k` of GCRO-DR(m, k) and of deflated CG.
    pub recycle: usize,
    /// Solve in nearest-neighbour order (otherwise in generation order).
    pub sort: bool,
    pub seed: u64,
    /// Cap on iterations per system.
    pub max_iterations: usize,
}

impl Default for SequenceConfig {
    fn default() -> Self {
        Self {
            problem: ProblemKind::Darcy,
            grid: 64,
            systems: 50,
            tolerance: 1e-8,
            method: Method::GcroDr,
            preconditioner: PreconditionerKind::None,
            restart: 30,
            recycle: 10,
            sort: true,
            seed: 0,
            max_iterations: 20_000,
        }
    }
}

/// Per-system results, in solve order.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct SequenceReport {
    /// `order[i]` is the index (in generation order) of the `i`-th system solved.
    pub order: Vec<usize>,
    pub iterations: Vec<usize>,
    pub matvecs: Vec<usize>,
    /// `‖b − A x‖ / ‖b‖` recomputed after each solve.
    pub relative_residuals: Vec<f64>,
    pub total_iterations: usize,
    pub total_matvecs: usize,
    /// Wall time of preconditioner set-up and solves (not of generating the systems).
    pub seconds: f64,
    /// Wall time of generating (and sorting) the systems.
    pub setup_seconds: f64,
    pub max_relative_residual: f64,
}

impl SequenceReport {
    /// Appends one solved system: its counts and its recomputed relative residual.
    pub fn record(&mut self, info: &SolveInfo, residual: f64) {
        self.iterations.push(info.iterations);
        self.matvecs.push(info.matvecs);
        self.relative_residuals.push(residual);
    }

    /// Sets the totals and the solve time once every system is recorded.
    pub fn finish(&mut self, seconds: f64) {
        self.seconds = seconds;
        self.total_iterations = self.iterations.iter().sum();
        self.total_matvecs = self.matvecs.iter().sum();
        self.max_relative_residual = crate::report::finite::max_propagating_nan(
            std::iter::once(0.0).chain(self.relative_residuals.iter().copied()),
        );
    }
}

/// The state one method carries from system to system.
enum State {
    None,
    Recycler(Recycler),
    Deflation(DeflationSpace),
}

/// Generates, orders and solves the sequence described by `config`.
///
/// ```
/// use inversa::krylov::sequence::{solve_sequence, Method, SequenceConfig};
/// let config = SequenceConfig { grid: 8, systems: 3, method: Method::GcroDr, restart: 10, recycle: 3, ..Default::default() };
/// let report = solve_sequence(&config)?;
/// assert_eq!(report.iterations.len(), 3);
/// assert!(report.max_relative_residual <= 1e-8);
/// # Ok::<(), inversa::Error>(())
/// ```
pub fn solve_sequence(config: &SequenceConfig) -> Result<SequenceReport> {
    validate(config)?;
    let start = Instant::now();
    let systems = config
        .problem
        .generate(config.grid, config.systems, config.seed)?;
    let order = if config.sort {
        let fields: Vec<Vec<f64>> = systems.iter().map(|s| s.field.clone()).collect();
        nearest_neighbour_order(&fields)
    } else {
        (0..systems.len()).collect()
    };
    let setup_seconds = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let mut state = match config.method {
        Method::GcroDr => State::Recycler(Recycler::new()),
        Method::DeflatedCg => State::Deflation(DeflationSpace::new()),
        Method::Cg | Method::Gmres => State::None,
    };
    let mut report = SequenceReport {
        order: order.clone(),
        iterations: Vec::new(),
        matvecs: Vec::new(),
        relative_residuals: Vec::new(),
        total_iterations: 0,
        total_matvecs: 0,
        seconds: 0.0,
        setup_seconds,
        max_relative_residual: 0.0,
    };
    for &index in &order {
        let system = &systems[index];
        let preconditioner = config.preconditioner.build(&system.matrix)?;
        let mut x = vec![0.0; system.rhs.len()];
        let (a, b, m) = (&system.matrix, &system.rhs, preconditioner.as_ref());
        let silent = &mut Silent;
        let info = match &mut state {
            State::Recycler(recycler) => gcrodr(config).solve(a, b, &mut x, m, recycler, silent)?,
            State::Deflation(space) => deflated_cg(config).solve(a, b, &mut x, m, space, silent)?,
            State::None if config.method == Method::Cg => {
                cg(config).solve(a, b, &mut x, m, silent)?
            }
            State::None => gmres(config).solve(a, b, &mut x, m, silent)?,
        };
        let residual = relative_residual(a, &x, b);
        let reached = residual <= config.tolerance; // false for NaN
        if !info.converged || !reached {
            return Err(Error::Solver(SolverError::NoConvergence {
                solver: config.method.name(),
                what: format!("system {index} of the {} sequence", config.problem.name()),
                iterations: info.iterations,
                tolerance: config.tolerance,
                relative_residual: residual,
            }));
        }
        report.record(&info, residual);
    }
    report.finish(start.elapsed().as_secs_f64());
    Ok(report)
}

/// Rejects settings no method can run with, naming the setting.
fn validate(config: &SequenceConfig) -> Result<()> {
    if config.grid < 3 {
        return Err(Error::config(
            "grid",
            format!("must be at least 3, got {}", config.grid),
        ));
    }
    if config.systems == 0 {
        return Err(Error::config("systems", "must be at least 1"));
    }
    if !(config.tolerance > 0.0 && config.tolerance < 1.0) {
        return Err(Error::config(
            "tol",
            format!("must be in (0, 1), got {}", config.tolerance),
        ));
    }
    if config.restart < 2 {
        return Err(Error::config(
            "restart",
            format!("must be at least 2, got {}", config.restart),
        ));
    }
    let recycles = matches!(config.method, Method::GcroDr | Method::DeflatedCg);
    if recycles && config.recycle == 0 {
        return Err(Error::config("recycle", "must be at least 1"));
    }
    if config.method == Method::GcroDr && config.recycle >= config.restart {
        return Err(Error::config(
            "recycle",
            format!(
                "GCRO-DR needs k < m, got k = {} and m = {}",
                config.recycle, config.restart
            ),
        ));
    }
    let spd_only = matches!(config.method, Method::Cg | Method::DeflatedCg);
    if spd_only && !config.problem.symmetric_positive_definite() {
        return Err(Error::config(
            "method",
            format!(
                "{} needs symmetric positive definite matrices, but {} is not; use gmres or gcrodr",
                config.method.name(),
                config.problem.name()
            ),
        ));
    }
    Ok(())
}

fn gcrodr(config: &SequenceConfig) -> GcroDr {
    GcroDr {
        restart: config.restart,
        recycle: config.recycle,
        tolerance: config.tolerance,
        max_iterations: config.max_iterations,
        reorthogonalize: false,
    }
}

fn gmres(config: &SequenceConfig) -> Gmres {
    Gmres {
        restart: config.restart,
        tolerance: config.tolerance,
        max_iterations: config.max_iterations,
        reorthogonalize: false,
    }
}

fn cg(config: &SequenceConfig) -> Cg {
    Cg {
        tolerance: config.tolerance,
        max_iterations: config.max_iterations,
    }
}

fn deflated_cg(config: &SequenceConfig) -> DeflatedCg {
    DeflatedCg {
        recycle: config.recycle,
        directions: 2 * config.recycle,
        tolerance: config.tolerance,
        max_iterations: config.max_iterations,
    }
}
