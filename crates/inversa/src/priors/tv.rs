//! Isotropic total variation `R(x) = w Σᵢ ‖(∇x)ᵢ‖₂` (Rudin, Osher, Fatemi, "Nonlinear total variation
//! based noise removal algorithms", Physica D 1992), with `∇` the forward differences of
//! [`crate::operators::gradient`], coupled over the two directions of each channel.
//!
//! **Prox** by the fast gradient projection (FGP) on the dual of Beck & Teboulle, "Fast gradient-based
//! algorithms for constrained total variation image denoising and deblurring problems", IEEE TIP 2009,
//! eq. (4.9)–(4.11): with `λ = τw`, `prox_{λTV}(v) = v − λ∇*p` where `p` maximises the dual over
//! `{‖pᵢ‖₂ ≤ 1}`, iterating `p ← P(q + ∇(v − λ∇*q)/(8λ))` with Nesterov momentum on `q` (`‖∇‖² ≤ 8`).
//! The dual is warm-started from the previous call, which makes repeated prox calls inside FISTA,
//! ADMM or HQS cheap.
//!
//! **Primal-dual form**: `R = g(∇x)` with `g = w‖·‖₂,₁`, so `prox_{σg*}` is the projection onto
//! `{‖pᵢ‖₂ ≤ w}` for any `σ`.

use super::Prior;
use crate::config::Section;
use crate::error::Result;
use crate::operators::gradient::Gradient;
use crate::operators::physics::BuildContext;
use crate::operators::{LinearOperator, EXAMPLE_SHAPE};
use crate::real::{lit, Real};
use std::sync::Mutex;

/// `weight · Σ ‖∇x‖₂`.
pub struct TotalVariation<T: Real> {
    weight: f64,
    gradient: Gradient,
    /// Dual iterations per prox call.
    inner_iterations: usize,
    /// Dual variable of the last prox call (scaled to the unit ball), reused as a warm start.
    warm_dual: Mutex<Vec<T>>,
}

impl<T: Real> TotalVariation<T> {
    /// TV with `weight` on images of `shape`, using `inner_iterations` dual steps per prox.
    pub fn new(weight: f64, shape: &[usize], inner_iterations: usize) -> Result<Self> {
        let gradient = Gradient::new(shape)?;
        let len = LinearOperator::<T>::output_len(&gradient);
        Ok(Self {
            weight,
            gradient,
            inner_iterations: inner_iterations.max(1),
            warm_dual: Mutex::new(vec![T::zero(); len]),
        })
    }
}

impl<T: Real> TotalVariation<T> {
    fn image_dims(&self) -> (usize, usize) {
        let shape = LinearOperator::<T>::output_shape(&self.gradient);
        (shape[2], shape[3])
    }
}

/// One fused pass of the dual update: `p⁺ = P(q + step·g)` (projection of each `(dv, dh)` pair onto
/// the unit ball) and `q = p⁺ + momentum·(p⁺ − p)`, with `p ← p⁺`.
fn projected_step_with_momentum<T: Real>(
    p: &mut [T],
    q: &mut [T],
    g: &[T],
    step: T,
    momentum: T,
    image_len: usize,
) {
    let channels = p
        .chunks_mut(2 * image_len)
        .zip(q.chunks_mut(2 * image_len))
        .zip(g.chunks(2 * image_len));
    for ((p, q), g) in channels {
        let (pv, ph) = p.split_at_mut(image_len);
        let (qv, qh) = q.split_at_mut(image_len);
        let (gv, gh) = g.split_at(image_len);
        for k in 0..image_len {
            let a = qv[k] + step * gv[k];
            let b = qh[k] + step * gh[k];
            let length = (a * a + b * b).sqrt();
            let scale = if length > T::one() {
                T::one() / length
            } else {
                T::one()
            };
            let (a, b) = (a * scale, b * scale);
            qv[k] = a + momentum * (a - pv[k]);
            qh[k] = b + momentum * (b - ph[k]);
            pv[k] = a;
            ph[k] = b;
        }
    }
}

/// Projects each pixel's `(dv, dh)` pair of every channel onto the ball of `radius`.
fn project_pairs<T: Real>(p: &mut [T], image_len: usize, radius: T) {
    if radius <= T::zero() {
        p.fill(T::zero());
        return;
    }
    for channel in p.chunks_mut(2 * image_len) {
        let (dv, dh) = channel.split_at_mut(image_len);
        // Branch-free so the loop vectorises: inside the ball `radius / radius` is exactly 1.
        for (a, b) in dv.iter_mut().zip(dh.iter_mut()) {
            let length = (*a * *a + *b * *b).sqrt();
            let scale = radius / length.max(radius);
            *a = *a * scale;
            *b = *b * scale;
        }
    }
}

impl<T: Real> Prior<T> for TotalVariation<T> {
    fn value(&self, x: &[T]) -> f64 {
        let g = self.gradient.apply_new(x);
        let (h, w) = self.image_dims();
        let total: f64 = g
            .chunks(2 * h * w)
            .map(|channel| {
                let (dv, dh) = channel.split_at(h * w);
                dv.iter()
                    .zip(dh)
                    .map(|(a, b)| (*a * *a + *b * *b).sqrt().to_f64().unwrap_or(f64::NAN))
                    .sum::<f64>()
            })
            .sum();
        self.weight * total
    }

    #[allow(
        clippy::expect_used,
        reason = "a poisoned lock means another thread already panicked"
    )]
    fn prox(&self, v: &[T], tau: T, out: &mut [T]) {
        let lambda = tau * lit(self.weight);
        if lambda <= T::zero() {
            out.copy_from_slice(v);
            return;
        }
        let (h, w) = self.image_dims();
        let step = T::one() / (lit::<T>(8.0) * lambda);
        let mut p = self.warm_dual.lock().expect("TV warm start lock").clone();
        let mut q = p.clone();
        let mut grad = vec![T::zero(); p.len()];
        let mut t = 1.0f64;
        for _ in 0..self.inner_iterations {
            // out = v − λ∇*q, the primal point of the current dual estimate.
            self.gradient.adjoint(&q, out);
            out.iter_mut()
                .zip(v)
                .for_each(|(o, vi)| *o = *vi - lambda * *o);
            self.gradient.apply(out, &mut grad);
            let t_next = (1.0 + (1.0 + 4.0 * t * t).sqrt()) / 2.0;
            let momentum = lit::<T>((t - 1.0) / t_next);
            projected_step_with_momentum(&mut p, &mut q, &grad, step, momentum, h * w);
            t = t_next;
        }
        self.gradient.adjoint(&p, out);
        out.iter_mut()
            .zip(v)
            .for_each(|(o, vi)| *o = *vi - lambda * *o);
        *self.warm_dual.lock().expect("TV warm start lock") = p;
    }

    fn analysis(&self) -> Option<&dyn LinearOperator<T>> {
        Some(&self.gradient)
    }

    fn conjugate_prox(&self, p: &mut [T], _sigma: T) {
        let (h, w) = self.image_dims();
        project_pairs(p, h * w, lit(self.weight));
    }
}

/// Builds `prior.kind = "tv"` from `weight` (default 0.01) and `prox_iterations` (default 20, the
/// dual steps per prox call in FISTA/ADMM/HQS; PDHG does not use them).
pub fn from_config<T: Real>(
    section: &mut Section,
    ctx: &BuildContext,
) -> crate::Result<Box<dyn Prior<T>>> {
    let weight = section.non_negative_or("weight", 0.01)?;
    let inner = section.positive_usize_or("prox_iterations", 20)?;
    Ok(Box::new(TotalVariation::<T>::new(
        weight,
        &ctx.image_shape,
        inner,
    )?))
}

/// The self-test instance (many dual steps so the prox is accurate).
#[allow(clippy::expect_used, reason = "a fixed self-test example")]
pub fn example<T: Real>() -> Box<dyn Prior<T>> {
    Box::new(
        TotalVariation::<T>::new(0.2, &EXAMPLE_SHAPE, 500)
            .expect("the example shape is an image shape"),
    )
}
