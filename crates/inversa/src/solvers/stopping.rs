//! When an iterative solver stops: the [`Stopping`] rule a task file sets, and the per-iteration
//! bookkeeping every solver shares (finiteness check, relative change, observer, stopping rule).

use super::{Control, Info, Iteration, Observer, Problem, SolverError};
use crate::config::Section;
use crate::error::Result;
use crate::real::{norm, Real};

/// What a task's history keeps per iteration: objective, relative change and PSNR, in f64.
pub const HISTORY_BYTES: usize = 3 * 8;

/// When to stop: after `iterations`, or earlier once `‖x_k − x_{k−1}‖ / ‖x_k‖ < tolerance`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stopping {
    pub iterations: usize,
    pub tolerance: f64,
}

impl Default for Stopping {
    fn default() -> Self {
        Self {
            iterations: 100,
            tolerance: 0.0,
        }
    }
}

impl Stopping {
    /// Reads the keys every iterative solver shares: `iterations` (default `default_iterations`) and
    /// `tolerance` on the relative change between iterates (default 0: run all iterations).
    /// The history keeps [`HISTORY_BYTES`] per iteration, so `iterations` is checked against
    /// the memory ceiling.
    pub fn from_config(section: &mut Section, default_iterations: usize) -> Result<Self> {
        let iterations = section.positive_usize_or("iterations", default_iterations)?;
        crate::memory::check_array(&section.key("iterations"), &[iterations], HISTORY_BYTES, 1)?;
        Ok(Self {
            iterations,
            tolerance: section.non_negative_or("tolerance", 0.0)?,
        })
    }
}

/// Shared per-iteration bookkeeping: finiteness check, relative change, observer, stopping rule.
pub(crate) struct Monitor<'o, T: Real> {
    solver: &'static str,
    stopping: Stopping,
    observer: &'o mut dyn Observer<T>,
    previous: Vec<T>,
}

/// What the monitor decided after an iteration.
pub(crate) enum Next {
    Continue,
    Done(Info),
}

impl<'o, T: Real> Monitor<'o, T> {
    pub fn new(
        solver: &'static str,
        stopping: Stopping,
        observer: &'o mut dyn Observer<T>,
        x0: &[T],
    ) -> Self {
        Self {
            solver,
            stopping,
            observer,
            previous: x0.to_vec(),
        }
    }

    /// Checks the measurement length against the operator before a solve.
    pub fn check_problem(solver: &'static str, problem: &Problem<T>) -> Result<(), SolverError> {
        let expected = problem.operator.output_len();
        let found = problem.measurement.len();
        if expected != found {
            return Err(SolverError::MeasurementLength {
                solver,
                expected,
                found,
            });
        }
        Ok(())
    }

    /// Records the result `x` of a direct method without evaluating the objective (NaN).
    pub fn step_unscored(&mut self, index: usize, x: &[T]) -> Result<Next, SolverError> {
        self.record(index, x, f64::NAN)
    }

    /// Records iteration `index` (1-based) with iterate `x` and its objective.
    pub fn step(&mut self, index: usize, x: &[T], objective: f64) -> Result<Next, SolverError> {
        if !objective.is_finite() {
            return Err(SolverError::NonFinite {
                solver: self.solver,
                iteration: index,
            });
        }
        self.record(index, x, objective)
    }

    fn record(&mut self, index: usize, x: &[T], objective: f64) -> Result<Next, SolverError> {
        if !crate::real::all_finite(x) {
            return Err(SolverError::NonFinite {
                solver: self.solver,
                iteration: index,
            });
        }
        let change = x
            .iter()
            .zip(&self.previous)
            .map(|(a, b)| (*a - *b).to_f64().unwrap_or(0.0).powi(2))
            .sum::<f64>()
            .sqrt();
        let size = norm(x);
        let relative_change = if size > 0.0 { change / size } else { change };
        self.previous.copy_from_slice(x);
        let stop = self.observer.observe(&Iteration {
            index,
            x,
            objective,
            relative_change,
            residual: f64::NAN,
        }) == Control::Stop;
        let converged = relative_change < self.stopping.tolerance;
        if stop || converged || index >= self.stopping.iterations {
            return Ok(Next::Done(Info {
                iterations: index,
                converged,
                objective,
                model_calls: None,
                spread: None,
            }));
        }
        Ok(Next::Continue)
    }
}
