//! Half-quadratic splitting (Geman & Yang, "Nonlinear image recovery with half-quadratic
//! regularization", IEEE TIP 1995), in the form used by plug-and-play methods (Zhang et al., "Plug-and-
//! play image restoration with deep denoiser prior", IEEE TPAMI 2021, eq. (6)–(7)):
//!
//! `x ← (A*A + μI)⁻¹(A*y + μz)`, `z ← prox_{R/μ}(x)`, with `μ ← γμ` after each iteration.
//!
//! For fixed `μ` it minimises `½‖Ax − y‖² + (μ/2)‖x − z‖² + R(z)`, which approaches the original
//! problem as `μ` grows (`γ > 1`). The reported iterate is `z`.

use super::normal_solve::solve_regularized_normal;
use super::{Info, Monitor, Next, Observer, Problem, Solver, SolverError, Stopping};
use crate::config::Section;
use crate::real::{lit, Real};

/// Parameters of [`Hqs`].
#[derive(Clone, Debug, PartialEq)]
pub struct Params {
    pub stopping: Stopping,
    /// Initial coupling weight `μ`.
    pub mu: f64,
    /// Growth factor `γ ≥ 1` of `μ` per iteration.
    pub mu_growth: f64,
    /// Largest `μ` the schedule reaches.
    pub mu_max: f64,
    /// CG steps for the x-update when the operator has no closed form.
    pub inner_iterations: usize,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            stopping: Stopping::default(),
            mu: 0.1,
            mu_growth: 1.05,
            mu_max: 1e4,
            inner_iterations: 20,
        }
    }
}

/// Half-quadratic splitting with a growing coupling weight.
pub struct Hqs {
    pub params: Params,
}

impl<T: Real> Solver<T> for Hqs {
    fn solve(
        &self,
        problem: &Problem<T>,
        x: &mut [T],
        observer: &mut dyn Observer<T>,
    ) -> Result<Info, SolverError> {
        Monitor::check_problem("hqs", problem)?;
        let op = problem.operator;
        let aty = op.adjoint_new(problem.measurement);
        let mut primal = x.to_vec();
        let mut rhs = vec![T::zero(); x.len()];
        let mut mu = self.params.mu;
        let mut monitor = Monitor::new("hqs", self.params.stopping, observer, x);
        let mut k = 0;
        loop {
            k += 1;
            let mu_t = lit::<T>(mu);
            rhs.iter_mut()
                .zip(&aty)
                .zip(x.iter())
                .for_each(|((r, a), z)| *r = *a + mu_t * *z);
            solve_regularized_normal(op, &rhs, mu_t, &mut primal, self.params.inner_iterations);
            problem.prior.prox(&primal, T::one() / mu_t, x);
            mu = (mu * self.params.mu_growth).min(self.params.mu_max);
            let objective = problem.objective(x);
            if let Next::Done(info) = monitor.step(k, x, objective)? {
                return Ok(info);
            }
        }
    }
}

/// Builds `solver.kind = "hqs"` from `iterations` (default 100), `tolerance`, `mu` (default 0.1),
/// `mu_growth` (default 1.05), `mu_max` (default 1e4) and `inner_iterations` (default 20).
pub fn from_config<T: Real>(section: &mut Section) -> crate::Result<Box<dyn Solver<T>>> {
    let stopping = Stopping::from_config(section, 100)?;
    let mu = section.positive_or("mu", 0.1)?;
    let mu_growth = section.f64_or("mu_growth", 1.05)?;
    if mu_growth < 1.0 {
        return Err(crate::Error::config(
            section.key("mu_growth"),
            format!("expected a number >= 1, found {mu_growth}"),
        ));
    }
    Ok(Box::new(Hqs {
        params: Params {
            stopping,
            mu,
            mu_growth,
            mu_max: section.positive_or("mu_max", 1e4)?,
            inner_iterations: section.positive_usize_or("inner_iterations", 20)?,
        },
    }))
}
