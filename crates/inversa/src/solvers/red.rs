//! Regularisation by denoising (RED): Romano, Elad, Milanfar, "The little engine that could:
//! Regularization by denoising (RED)", SIAM J. Imaging Sci. 2017.
//!
//! With a denoiser `D`, RED's regulariser is `ρ(x) = (λ/2)⟨x, x − D(x)⟩`, whose gradient is
//! `λ(x − D(x))` for denoisers that are locally homogeneous with a symmetric Jacobian. It minimises
//! `½‖Ax − y‖² + ρ(x)` by either of the paper's two schemes:
//!
//! - **fixed point** (Section 5.2): `x ← (A*A + λI)⁻¹(A*y + λD(x))`, with the closed-form normal
//!   solve of the physics when it has one and CG otherwise;
//! - **gradient** (steepest descent, Section 5.1): `x ← x − μ(A*(Ax − y) + λ(x − D(x)))`,
//!   `μ = 1/(‖A‖² + λ)`.
//!
//! `D` is the prior's proximal map at a fixed step: `D(x) = prox_{τR}(x)`. With `prior.kind = "pnp"`
//! that is the pretrained denoiser at `σ = √(weight·τ)`; with TV it is TV denoising. The reported
//! objective is `½‖Ax − y‖² + ρ(x)`.

use super::normal_solve::solve_regularized_normal;
use super::{Info, Monitor, Next, Observer, Problem, Solver, SolverError, Stopping};
use crate::config::Section;
use crate::real::{lit, Real};

/// How [`Red`] steps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    FixedPoint,
    Gradient,
}

/// Parameters of [`Red`].
#[derive(Clone, Debug, PartialEq)]
pub struct Params {
    pub stopping: Stopping,
    /// Weight `λ` of the RED regulariser.
    pub lambda: f64,
    /// Prox step `τ` that makes the prior's prox the denoiser.
    pub prox_step: f64,
    pub scheme: Scheme,
    /// CG steps for the fixed-point data solve when the physics has no closed form.
    pub inner_iterations: usize,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            stopping: Stopping::default(),
            lambda: 0.1,
            prox_step: 1.0,
            scheme: Scheme::FixedPoint,
            inner_iterations: 20,
        }
    }
}

/// Regularisation by denoising.
pub struct Red {
    pub params: Params,
}

impl<T: Real> Solver<T> for Red {
    fn solve(
        &self,
        problem: &Problem<T>,
        x: &mut [T],
        observer: &mut dyn Observer<T>,
    ) -> Result<Info, SolverError> {
        Monitor::check_problem("red", problem)?;
        let op = problem.operator;
        let lambda = lit::<T>(self.params.lambda);
        let tau = lit::<T>(self.params.prox_step);
        // What each scheme needs once: A*y for the fixed point, the step 1/(‖A‖² + λ) for the
        // gradient.
        let (aty, step) = match self.params.scheme {
            Scheme::FixedPoint => (op.adjoint_new(problem.measurement), T::zero()),
            Scheme::Gradient => (
                Vec::new(),
                lit::<T>(1.0 / (op.norm_estimate(30, 0).powi(2) + self.params.lambda)),
            ),
        };
        let mut denoised = vec![T::zero(); x.len()];
        let mut work = vec![T::zero(); x.len()];
        // `Ax` of the current iterate serves its objective and the next gradient step.
        let mut ax = op.apply_new(x);
        let mut monitor = Monitor::new("red", self.params.stopping, observer, x);
        // `D(x)` of the current iterate serves both its objective and the next step: one
        // denoiser call per iteration.
        problem.prior.prox(x, tau, &mut denoised);
        let mut k = 0;
        loop {
            k += 1;
            match self.params.scheme {
                Scheme::FixedPoint => {
                    work.iter_mut()
                        .zip(&aty)
                        .zip(&denoised)
                        .for_each(|((w, a), d)| *w = *a + lambda * *d);
                    solve_regularized_normal(op, &work, lambda, x, self.params.inner_iterations);
                }
                Scheme::Gradient => {
                    ax.iter_mut()
                        .zip(problem.measurement)
                        .for_each(|(a, y)| *a = *a - *y);
                    op.adjoint(&ax, &mut work);
                    x.iter_mut()
                        .zip(&work)
                        .zip(&denoised)
                        .for_each(|((xi, g), d)| *xi = *xi - step * (*g + lambda * (*xi - *d)));
                }
            }
            problem.prior.prox(x, tau, &mut denoised);
            op.apply(x, &mut ax);
            let objective = self.objective(problem, x, &denoised, &ax);
            if let Next::Done(info) = monitor.step(k, x, objective)? {
                return Ok(info);
            }
        }
    }
}

impl Red {
    /// `½‖Ax − y‖² + (λ/2)⟨x, x − D(x)⟩` from `Ax` and `D(x)`.
    fn objective<T: Real>(&self, problem: &Problem<T>, x: &[T], denoised: &[T], ax: &[T]) -> f64 {
        let data = problem.data_misfit(ax);
        let regulariser: f64 = x
            .iter()
            .zip(denoised)
            .map(|(xi, d)| (*xi * (*xi - *d)).to_f64().unwrap_or(f64::NAN))
            .sum();
        data + 0.5 * self.params.lambda * regulariser
    }
}

/// Builds `solver.kind = "red"` from `iterations` (default 50), `tolerance`, `lambda` (default
/// 0.1), `prox_step` (default 1), `scheme` (`fixed_point` or `gradient`, default `fixed_point`) and
/// `inner_iterations` (default 20).
pub fn from_config<T: Real>(section: &mut Section) -> crate::Result<Box<dyn Solver<T>>> {
    let stopping = Stopping::from_config(section, 50)?;
    let scheme = match section
        .choice_or("scheme", "fixed_point", &["fixed_point", "gradient"])?
        .as_str()
    {
        "gradient" => Scheme::Gradient,
        _ => Scheme::FixedPoint,
    };
    Ok(Box::new(Red {
        params: Params {
            stopping,
            lambda: section.positive_or("lambda", 0.1)?,
            prox_step: section.positive_or("prox_step", 1.0)?,
            scheme,
            inner_iterations: section.positive_usize_or("inner_iterations", 20)?,
        },
    }))
}
