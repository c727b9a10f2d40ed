//! FISTA with backtracking: Beck & Teboulle, "A fast iterative shrinkage-thresholding algorithm for
//! linear inverse problems", SIAM J. Imaging Sci. 2009, Section 4 (FISTA with backtracking):
//!
//! `z = prox_{R/L}(v − ∇f(v)/L)`, raising `L ← ηL` until
//! `f(z) ≤ f(v) + ⟨∇f(v), z − v⟩ + (L/2)‖z − v‖²` (eq. 2.5 as the acceptance test), then
//! `t⁺ = (1 + √(1 + 4t²))/2`, `v ← z + ((t − 1)/t⁺)(z − x)`, `x ← z`,
//! with `f(x) = ½‖Ax − y‖²`. `L` starts from the power-method estimate of `‖A‖²`, which is a lower
//! bound, so backtracking keeps the step valid. Objective rate `O(1/k²)` for an exact prox.
//!
//! One `A` and one `A*` per iteration, not two `A`s: the backtracking test needs `Az` anyway, and
//! by linearity the residual at the extrapolated point is `r_v = r_z + m(r_z − r_x)`, a
//! combination of fresh products rather than a third operator call (no round-off accumulates:
//! `Az` is recomputed every iteration). The measurement-sized loops are fused and parallel.

use super::fused_loops::update_with_half_norm;
use super::{Info, Monitor, Next, Observer, Problem, Solver, SolverError, Stopping};
use crate::config::Section;
use crate::real::{lit, norm_squared, Real};

/// Parameters of [`Fista`].
#[derive(Clone, Debug, PartialEq)]
pub struct Params {
    pub stopping: Stopping,
    /// Initial Lipschitz constant of `∇f`; `None` estimates `‖A‖²` by 30 power iterations.
    pub lipschitz: Option<f64>,
    /// Backtracking factor `η > 1`.
    pub eta: f64,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            stopping: Stopping::default(),
            lipschitz: None,
            eta: 1.5,
        }
    }
}

/// Accelerated proximal gradient with backtracking.
pub struct Fista {
    pub params: Params,
}

impl<T: Real> Solver<T> for Fista {
    fn solve(
        &self,
        problem: &Problem<T>,
        x: &mut [T],
        observer: &mut dyn Observer<T>,
    ) -> Result<Info, SolverError> {
        Monitor::check_problem("fista", problem)?;
        let op = problem.operator;
        let mut lipschitz = self
            .params
            .lipschitz
            .unwrap_or_else(|| op.norm_estimate(30, 0).powi(2))
            .max(1e-12);
        let n = x.len();
        let mut v = x.to_vec();
        let mut z = vec![T::zero(); n];
        let mut gradient = vec![T::zero(); n];
        let mut step_point = vec![T::zero(); n];
        // Residuals `A· − y` at v, at the last x and at the trial z (measurement-sized, the big ones).
        let mut residual_v = op.apply_new(x);
        let mut f_v = subtract_measurement(&mut residual_v, problem.measurement);
        let mut residual_x = residual_v.clone();
        let mut residual_z = vec![T::zero(); op.output_len()];
        let measurement_norm = norm_squared(problem.measurement).sqrt();
        let epsilon = T::epsilon().to_f64().unwrap_or(f64::EPSILON);
        let mut t = 1.0f64;
        let mut monitor = Monitor::new("fista", self.params.stopping, observer, x);
        let mut k = 0;
        loop {
            k += 1;
            op.adjoint(&residual_v, &mut gradient);
            // `f(z) − f(v)` is a difference of two rounded sums of size ‖Av‖·‖r‖; a test tighter
            // than that round-off would raise L without end near convergence (it did in f32).
            let slack =
                10.0 * epsilon * (measurement_norm + (2.0 * f_v).sqrt()) * (2.0 * f_v).sqrt();
            let f_z = loop {
                let inv_l = lit::<T>(1.0 / lipschitz);
                step_point
                    .iter_mut()
                    .zip(&v)
                    .zip(&gradient)
                    .for_each(|((s, vi), gi)| *s = *vi - inv_l * *gi);
                problem.prior.prox(&step_point, inv_l, &mut z);
                op.apply(&z, &mut residual_z);
                let f_z = subtract_measurement(&mut residual_z, problem.measurement);
                let bound = f_v + quadratic_model_increment(&z, &v, &gradient, lipschitz);
                if f_z <= bound + slack || !f_z.is_finite() || lipschitz > 1e300 {
                    break f_z;
                }
                lipschitz *= self.params.eta;
            };
            let t_next = (1.0 + (1.0 + 4.0 * t * t).sqrt()) / 2.0;
            let momentum = lit::<T>((t - 1.0) / t_next);
            extrapolate(&mut v, &z, x, momentum);
            f_v = update_with_half_norm(&mut residual_v, &residual_z, &residual_x, |_, z, x| {
                z + momentum * (z - x)
            });
            x.copy_from_slice(&z);
            std::mem::swap(&mut residual_x, &mut residual_z);
            t = t_next;
            let objective = f_z + problem.prior.value(x);
            if let Next::Done(info) = monitor.step(k, x, objective)? {
                return Ok(info);
            }
        }
    }
}

/// `r ← r − y`, returning `½‖r‖²`.
fn subtract_measurement<T: Real>(r: &mut [T], y: &[T]) -> f64 {
    update_with_half_norm(r, y, y, |r, y, _| r - y)
}

/// `v = z + m(z − x)`.
fn extrapolate<T: Real>(v: &mut [T], z: &[T], x: &[T], momentum: T) {
    v.iter_mut()
        .zip(z)
        .zip(x)
        .for_each(|((vi, zi), xi)| *vi = *zi + momentum * (*zi - *xi));
}

/// `⟨g, z − v⟩ + (L/2)‖z − v‖²`, accumulated in `f64` without a temporary vector.
fn quadratic_model_increment<T: Real>(z: &[T], v: &[T], g: &[T], lipschitz: f64) -> f64 {
    z.iter()
        .zip(v)
        .zip(g)
        .map(|((zi, vi), gi)| {
            let d = (*zi - *vi).to_f64().unwrap_or(f64::NAN);
            gi.to_f64().unwrap_or(f64::NAN) * d + 0.5 * lipschitz * d * d
        })
        .sum()
}

/// Builds `solver.kind = "fista"` from `iterations` (default 100), `tolerance`, `lipschitz`
/// (optional) and `eta` (default 1.5).
pub fn from_config<T: Real>(section: &mut Section) -> crate::Result<Box<dyn Solver<T>>> {
    let stopping = Stopping::from_config(section, 100)?;
    let lipschitz = section.f64_opt("lipschitz")?;
    if let Some(l) = lipschitz.filter(|l| *l <= 0.0) {
        return Err(crate::Error::config(
            section.key("lipschitz"),
            format!("expected a positive number, found {l}"),
        ));
    }
    let eta = section.f64_or("eta", 1.5)?;
    if eta <= 1.0 {
        return Err(crate::Error::config(
            section.key("eta"),
            format!("expected a number > 1, found {eta}"),
        ));
    }
    Ok(Box::new(Fista {
        params: Params {
            stopping,
            lipschitz,
            eta,
        },
    }))
}
