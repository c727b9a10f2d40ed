//! Primal-dual hybrid gradient (Chambolle & Pock, "A first-order primal-dual algorithm for convex
//! problems with applications to imaging", J. Math. Imaging Vis. 2011, Algorithm 1 with θ = 1) for
//! `min_x ½‖Ax − y‖² + g(Kx)`, where the prior gives `R = g∘K` ([`crate::priors::Prior::analysis`]):
//!
//! `p ← (p + σ(Ax̄ − y))/(1 + σ)`,  `q ← prox_{σg*}(q + σKx̄)`,
//! `x⁺ ← x − τ(A*p + K*q)`,  `x̄ ← 2x⁺ − x`.
//!
//! Converges when `στ‖[A; K]‖² < 1`; the norm is bounded by `√(‖A‖² + ‖K‖²)` from power estimates with
//! a 2% margin. A prior without an analysis form enters as the primal prox instead
//! (`x⁺ ← prox_{τR}(x − τA*p)`). Linearity gives `Ax̄ = 2Ax⁺ − Ax`, so one `A` and one `A*` per
//! iteration also yield the objective at `x⁺`.

use super::fused_loops::update_with_half_norm;
use super::{Info, Monitor, Next, Observer, Problem, Solver, SolverError, Stopping};
use crate::config::Section;
use crate::real::{lit, Real};

/// Parameters of [`Pdhg`].
#[derive(Clone, Debug, PartialEq)]
pub struct Params {
    pub stopping: Stopping,
    /// `σ/τ`; both steps are `σ = r/L`, `τ = 1/(rL)` with `L` the bound on `‖[A; K]‖`.
    pub step_ratio: f64,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            stopping: Stopping::default(),
            step_ratio: 1.0,
        }
    }
}

/// Chambolle–Pock primal-dual iterations.
pub struct Pdhg {
    pub params: Params,
}

impl<T: Real> Solver<T> for Pdhg {
    fn solve(
        &self,
        problem: &Problem<T>,
        x: &mut [T],
        observer: &mut dyn Observer<T>,
    ) -> Result<Info, SolverError> {
        Monitor::check_problem("pdhg", problem)?;
        let op = problem.operator;
        let analysis = problem.prior.analysis();
        let norm_a = op.norm_estimate(30, 0);
        let norm_k = analysis.map_or(0.0, |k| k.norm_estimate(30, 1));
        let bound = 1.02 * (norm_a * norm_a + norm_k * norm_k).sqrt();
        let sigma = lit::<T>(self.params.step_ratio / bound);
        let tau = lit::<T>(1.0 / (self.params.step_ratio * bound));
        let n = x.len();
        let mut ax = op.apply_new(x);
        let mut ax_bar = ax.clone();
        let mut ax_next = vec![T::zero(); ax.len()];
        let mut p = vec![T::zero(); ax.len()];
        let mut kx = analysis.map_or_else(Vec::new, |k| k.apply_new(x));
        let mut kx_bar = kx.clone();
        let mut kx_next = vec![T::zero(); kx.len()];
        let mut q = vec![T::zero(); kx.len()];
        let mut update = vec![T::zero(); n];
        let mut scratch = vec![T::zero(); n];
        let mut x_next = vec![T::zero(); n];
        let mut monitor = Monitor::new("pdhg", self.params.stopping, observer, x);
        let denominator = T::one() / (T::one() + sigma);
        let mut k = 0;
        loop {
            k += 1;
            update_with_half_norm(&mut p, &ax_bar, problem.measurement, |p, a, y| {
                (p + sigma * (a - y)) * denominator
            });
            op.adjoint(&p, &mut update);
            if let Some(kop) = analysis {
                q.iter_mut()
                    .zip(&kx_bar)
                    .for_each(|(qi, kb)| *qi = *qi + sigma * *kb);
                problem.prior.conjugate_prox(&mut q, sigma);
                kop.adjoint(&q, &mut scratch);
                update
                    .iter_mut()
                    .zip(&scratch)
                    .for_each(|(u, s)| *u = *u + *s);
                x_next
                    .iter_mut()
                    .zip(x.iter())
                    .zip(&update)
                    .for_each(|((xn, xi), u)| *xn = *xi - tau * *u);
            } else {
                scratch
                    .iter_mut()
                    .zip(x.iter())
                    .zip(&update)
                    .for_each(|((s, xi), u)| *s = *xi - tau * *u);
                problem.prior.prox(&scratch, tau, &mut x_next);
            }
            op.apply(&x_next, &mut ax_next);
            extrapolate(&mut ax_bar, &ax_next, &ax);
            std::mem::swap(&mut ax, &mut ax_next);
            if let Some(kop) = analysis {
                kop.apply(&x_next, &mut kx_next);
                extrapolate(&mut kx_bar, &kx_next, &kx);
                std::mem::swap(&mut kx, &mut kx_next);
            }
            x.copy_from_slice(&x_next);
            let objective = problem.data_misfit(&ax) + problem.prior.value(x);
            if let Next::Done(info) = monitor.step(k, x, objective)? {
                return Ok(info);
            }
        }
    }
}

/// `bar = 2·next − current`.
fn extrapolate<T: Real>(bar: &mut [T], next: &[T], current: &[T]) {
    let two = lit::<T>(2.0);
    update_with_half_norm(bar, next, current, |_, n, c| two * n - c);
}

/// Builds `solver.kind = "pdhg"` from `iterations` (default 300), `tolerance` and `step_ratio`
/// (default 1).
pub fn from_config<T: Real>(section: &mut Section) -> crate::Result<Box<dyn Solver<T>>> {
    Ok(Box::new(Pdhg {
        params: Params {
            stopping: Stopping::from_config(section, 300)?,
            step_ratio: section.positive_or("step_ratio", 1.0)?,
        },
    }))
}
