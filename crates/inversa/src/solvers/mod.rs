//! Solvers: iterations that combine an operator (data term `½‖Ax − y‖²`) with a prior `R(x)`.
//!
//! Every solver has `Params: Default`, returns `Result<Info, SolverError>`, reports each iteration to
//! an [`Observer`] (which may stop it early) and stops with an error on NaN/Inf.

use crate::operators::LinearOperator;
use crate::priors::Prior;
use crate::real::Real;

pub mod admm;
pub mod cg;
pub mod cg_recurrence;
pub mod fbp;
pub mod fista;
mod fused_loops;
pub mod hqs;
pub mod normal_solve;
pub mod pdhg;
pub mod red;
pub mod registry;
mod stopping;

pub use stopping::Stopping;
pub(crate) use stopping::{Monitor, Next};

/// `min_x ½‖Ax − y‖² + R(x)`.
pub struct Problem<'a, T: Real> {
    pub operator: &'a dyn LinearOperator<T>,
    pub measurement: &'a [T],
    pub prior: &'a dyn Prior<T>,
}

impl<T: Real> Problem<'_, T> {
    /// `½‖Ax − y‖² + R(x)`.
    pub fn objective(&self, x: &[T]) -> f64 {
        let ax = self.operator.apply_new(x);
        self.data_misfit(&ax) + self.prior.value(x)
    }

    /// `½‖r − y‖²` for a given `r = Ax`.
    pub fn data_misfit(&self, ax: &[T]) -> f64 {
        fused_loops::half_squared_distance(ax, self.measurement)
    }

    /// Writes the data-term gradient `A*(Ax − y)` into `grad`, using `ax` as scratch for `Ax`.
    pub fn data_gradient(&self, x: &[T], ax: &mut [T], grad: &mut [T]) {
        self.operator.apply(x, ax);
        ax.iter_mut()
            .zip(self.measurement)
            .for_each(|(a, y)| *a = *a - *y);
        self.operator.adjoint(ax, grad);
    }
}

/// What a solver reports after each iteration.
pub struct Iteration<'a, T: Real> {
    /// 1-based iteration number.
    pub index: usize,
    /// The current iterate.
    pub x: &'a [T],
    /// The objective `½‖Ax − y‖² + R(x)` at `x`; NaN from a direct method that does not evaluate
    /// it (FBP: it would cost a forward projection, more than the reconstruction's back-projection)
    /// and from the Krylov solvers, which report [`Self::residual`].
    pub objective: f64,
    /// `‖x_k − x_{k−1}‖ / ‖x_k‖`; NaN from the Krylov solvers, which do not compute it.
    pub relative_change: f64,
    /// `‖b − A x‖ / ‖b‖` of a linear-system solver ([`crate::krylov`]; CG's is its recurrence's);
    /// NaN from the solvers of a [`Problem`], which track the objective instead.
    pub residual: f64,
}

/// Whether a stepwise computation should go on after a step.
///
/// Everything in Inversa that runs in steps reports each one the same way, to a callback of the
/// shape `FnMut(&Step) -> Control` where `Step` is what one step produced: a solver's
/// [`Iteration`] (through [`Observer`], which every such closure is), a task's
/// [`crate::task::Step`], a training step, an attack's step, an experiment's round. Returning
/// [`Control::Stop`] ends the computation early with what it has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    Continue,
    Stop,
}

/// Receives every iteration (metrics, progress bars, early stopping). Any
/// `FnMut(&Iteration<T>) -> Control` closure is one.
pub trait Observer<T: Real> {
    fn observe(&mut self, iteration: &Iteration<T>) -> Control;
}

impl<T: Real, F: FnMut(&Iteration<T>) -> Control> Observer<T> for F {
    fn observe(&mut self, iteration: &Iteration<T>) -> Control {
        self(iteration)
    }
}

/// An observer that records nothing and never stops the solver.
pub struct Silent;

impl<T: Real> Observer<T> for Silent {
    fn observe(&mut self, _: &Iteration<T>) -> Control {
        Control::Continue
    }
}

/// An observer that records the objective of each iteration.
#[derive(Default)]
pub struct ObjectiveHistory(pub Vec<f64>);

impl<T: Real> Observer<T> for ObjectiveHistory {
    fn observe(&mut self, iteration: &Iteration<T>) -> Control {
        self.0.push(iteration.objective);
        Control::Continue
    }
}

/// Why a solver stopped without a usable result.
#[derive(Debug, thiserror::Error)]
pub enum SolverError {
    /// A result about to be written (a metric, an output array) is NaN or infinite: the run
    /// failed, whatever the computation that produced it (see [`crate::report::finite`]).
    #[error("{what} is {value}: the run produced no usable result")]
    NonFiniteResult { what: String, value: f64 },
    #[error("{solver}: iteration {iteration} produced NaN or Inf; lower the step size or the prior weight")]
    NonFinite {
        solver: &'static str,
        iteration: usize,
    },
    #[error("{solver} cannot be used here: {reason}")]
    Unsupported {
        solver: &'static str,
        reason: String,
    },
    #[error("{solver}: {what} did not reach the tolerance {tolerance:e} within {iterations} iterations (relative residual {relative_residual:e})")]
    NoConvergence {
        solver: &'static str,
        what: String,
        iterations: usize,
        tolerance: f64,
        relative_residual: f64,
    },
    #[error("{solver}: the eigendecomposition of {what} did not converge")]
    EigenNoConvergence {
        solver: &'static str,
        what: &'static str,
    },
    #[error("{solver}: the measurement has {found} values but the operator produces {expected}")]
    MeasurementLength {
        solver: &'static str,
        expected: usize,
        found: usize,
    },
}

/// How a solve ended.
#[derive(Clone, Debug, PartialEq)]
pub struct Info {
    /// Iterations run.
    pub iterations: usize,
    /// `true` when it stopped because the relative change fell under the tolerance.
    pub converged: bool,
    /// Final objective value.
    pub objective: f64,
    /// Network evaluations, for solvers that use a learned model (`metrics.json`'s `model_calls`).
    pub model_calls: Option<usize>,
    /// Per-pixel standard deviation over the posterior samples, for a sampler that drew several.
    pub spread: Option<Vec<f64>>,
}

/// A solver as the task runner sees it.
pub trait Solver<T: Real>: Send + Sync {
    /// Improves `x` in place (it is the starting point on entry).
    fn solve(
        &self,
        problem: &Problem<T>,
        x: &mut [T],
        observer: &mut dyn Observer<T>,
    ) -> Result<Info, SolverError>;
}
