//! Conjugate gradients on the normal equations (CGNR/CGLS form): solves
//! `(A*A + wI) x = A*y`, the minimiser of `½‖Ax − y‖² + (w/2)‖x‖²`, for the `none` and `tikhonov`
//! priors. Hestenes & Stiefel, "Methods of conjugate gradients for solving linear systems", J. Res.
//! NBS 1952, Algorithm (3:1a–f):
//!
//! `α = ‖r‖²/⟨p, Np⟩,  x ← x + αp,  r ← r − αNp,  β = ‖r⁺‖²/‖r‖²,  p ← r + βp`, with `N = A*A + wI`.
//!
//! Converges in at most `n` steps in exact arithmetic; the objective falls monotonically. The objective
//! is tracked without extra operator calls from `½‖Ax−y‖² + (w/2)‖x‖² = ½‖y‖² − ½⟨x, b + r⟩`.

use super::normal_solve::{CgRecurrence, NormalOperator};
use super::{Info, Monitor, Next, Observer, Problem, Solver, SolverError, Stopping};
use crate::config::Section;
use crate::real::{lit, norm_squared, Real};

/// Parameters of [`ConjugateGradient`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Params {
    pub stopping: Stopping,
}

/// CG on the regularised normal equations.
pub struct ConjugateGradient {
    pub params: Params,
}

impl<T: Real> Solver<T> for ConjugateGradient {
    fn solve(
        &self,
        problem: &Problem<T>,
        x: &mut [T],
        observer: &mut dyn Observer<T>,
    ) -> Result<Info, SolverError> {
        Monitor::check_problem("cg", problem)?;
        let weight = problem.prior.quadratic_weight().ok_or_else(|| SolverError::Unsupported {
            solver: "cg",
            reason: "CG solves linear least squares; use prior.kind = \"none\" or \"tikhonov\", or another solver".into(),
        })?;
        let op = problem.operator;
        let b = op.adjoint_new(problem.measurement);
        let half_y2 = 0.5 * norm_squared(problem.measurement);
        let mut normal = NormalOperator::new(op, lit::<T>(weight));
        let mut cg = CgRecurrence::new(&mut normal, &b, x);
        let mut monitor = Monitor::new("cg", self.params.stopping, observer, x);
        let mut k = 0;
        loop {
            k += 1;
            cg.step(&mut normal, x);
            let b_plus_r: f64 = x
                .iter()
                .zip(b.iter().zip(&cg.residual))
                .map(|(xi, (bi, ri))| {
                    (xi.to_f64().unwrap_or(f64::NAN)) * (*bi + *ri).to_f64().unwrap_or(f64::NAN)
                })
                .sum();
            let objective = half_y2 - 0.5 * b_plus_r;
            if let Next::Done(info) = monitor.step(k, x, objective)? {
                return Ok(info);
            }
        }
    }
}

/// Builds `solver.kind = "cg"` from `iterations` (default 100) and `tolerance`.
pub fn from_config<T: Real>(section: &mut Section) -> crate::Result<Box<dyn Solver<T>>> {
    Ok(Box::new(ConjugateGradient {
        params: Params {
            stopping: Stopping::from_config(section, 100)?,
        },
    }))
}
