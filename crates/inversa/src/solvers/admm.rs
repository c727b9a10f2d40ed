//! ADMM in scaled form for `min ½‖Ax − y‖² + R(z)` subject to `x = z` (Boyd, Parikh, Chu, Peleato,
//! Eckstein, "Distributed optimization and statistical learning via the alternating direction method
//! of multipliers", Found. Trends Mach. Learn. 2011, eq. (3.5)–(3.7)):
//!
//! `x ← (A*A + ρI)⁻¹(A*y + ρ(z − u))`, `z ← prox_{R/ρ}(x + u)`, `u ← u + x − z`.
//!
//! The x-step uses the operator's closed form when it has one (blur, masks), else warm-started CG.
//! Converges for any `ρ > 0` with convex `R`; `ρ` only changes the speed. The reported iterate is `z`.

use super::normal_solve::solve_regularized_normal;
use super::{Info, Monitor, Next, Observer, Problem, Solver, SolverError, Stopping};
use crate::config::Section;
use crate::real::{lit, Real};

/// Parameters of [`Admm`].
#[derive(Clone, Debug, PartialEq)]
pub struct Params {
    pub stopping: Stopping,
    /// Penalty `ρ`.
    pub rho: f64,
    /// CG steps for the x-update when the operator has no closed form.
    pub inner_iterations: usize,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            stopping: Stopping::default(),
            rho: 0.1,
            inner_iterations: 20,
        }
    }
}

/// Scaled-form ADMM.
pub struct Admm {
    pub params: Params,
}

impl<T: Real> Solver<T> for Admm {
    fn solve(
        &self,
        problem: &Problem<T>,
        x: &mut [T],
        observer: &mut dyn Observer<T>,
    ) -> Result<Info, SolverError> {
        Monitor::check_problem("admm", problem)?;
        let op = problem.operator;
        let rho = lit::<T>(self.params.rho);
        let aty = op.adjoint_new(problem.measurement);
        let mut primal = x.to_vec();
        let mut u = vec![T::zero(); x.len()];
        let mut rhs = vec![T::zero(); x.len()];
        let mut shifted = vec![T::zero(); x.len()];
        let mut monitor = Monitor::new("admm", self.params.stopping, observer, x);
        let mut k = 0;
        loop {
            k += 1;
            rhs.iter_mut()
                .zip(&aty)
                .zip(x.iter().zip(&u))
                .for_each(|((r, a), (z, ui))| *r = *a + rho * (*z - *ui));
            solve_regularized_normal(op, &rhs, rho, &mut primal, self.params.inner_iterations);
            shifted
                .iter_mut()
                .zip(&primal)
                .zip(&u)
                .for_each(|((s, p), ui)| *s = *p + *ui);
            problem.prior.prox(&shifted, T::one() / rho, x);
            u.iter_mut()
                .zip(&primal)
                .zip(x.iter())
                .for_each(|((ui, p), z)| *ui = *ui + *p - *z);
            let objective = problem.objective(x);
            if let Next::Done(info) = monitor.step(k, x, objective)? {
                return Ok(info);
            }
        }
    }
}

/// Builds `solver.kind = "admm"` from `iterations` (default 100), `tolerance`, `rho` (default 0.1)
/// and `inner_iterations` (default 20).
pub fn from_config<T: Real>(section: &mut Section) -> crate::Result<Box<dyn Solver<T>>> {
    Ok(Box::new(Admm {
        params: Params {
            stopping: Stopping::from_config(section, 100)?,
            rho: section.positive_or("rho", 0.1)?,
            inner_iterations: section.positive_usize_or("inner_iterations", 20)?,
        },
    }))
}
