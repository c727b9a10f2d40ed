//! Diffusion Posterior Sampling. Chung, Kim, McCann, Klasky, Ye, "Diffusion Posterior Sampling
//! for General Noisy Inverse Problems", ICLR 2023, arXiv:2209.14687, Algorithm 1.
//!
//! Each level takes the unconditional ancestral step and then descends the measurement
//! misfit of the Tweedie estimate, differentiated through the network:
//!
//! ```text
//! x̂₀ = (x_k − √(1−ᾱ_k) ε̂(x_k))/√ᾱ_k
//! x'_{k−1} = DDPM step from (x̂₀, ε̂)                     (η = 1)
//! x_{k−1} = x'_{k−1} − (ζ/g) ∇_{x_k} ‖y − A x̂₀(x_k)‖      (the norm, not its square)
//! ```
//!
//! `g` is the operator's gain ([`operator_gain`]): 1 on the masks and Fourier sampling the paper
//! set `ζ` on, so that `ζ` keeps its meaning on a projector or a blur.
//!
//! The paper writes the step as `ζ_i ∇‖y − A x̂₀‖²` with `ζ_i = ζ'/‖y − A x̂₀‖`, which is the
//! gradient of the norm up to a factor 2; its code (and this file) use the norm with `ζ`.
//! `∇_{x_k}` is `J_{x̂₀}(x_k)ᵀ A*(A x̂₀ − y)/‖A x̂₀ − y‖`: the operator's part by its adjoint,
//! the network's by candle's backward pass — one forward and one backward per level.

use super::operator_gain::spectrum;
use super::{check_range, ddim_step, tweedie, DiffusionPrior, Likelihood};
use crate::diffusion::combine;
use crate::Result;
use candle_core::{Tensor, Var};
use inversa::real::Real;
use rand_chacha::ChaCha8Rng;

/// DPS's step size `ζ`.
#[derive(Clone, Debug, PartialEq)]
pub struct Params {
    /// `ζ` in units of the operator's gain (the paper uses 0.3–1 on images in [−1, 1]).
    pub zeta: f64,
}

impl Default for Params {
    fn default() -> Self {
        Self { zeta: 1.0 }
    }
}

/// One reverse run from `x_top`.
pub fn run<T: Real>(
    params: &Params,
    prior: &DiffusionPrior,
    likelihood: &Likelihood<T>,
    x_top: &Tensor,
    rng: &mut ChaCha8Rng,
) -> Result<Tensor> {
    check_range("solver.zeta", params.zeta, 0.0, false, f64::INFINITY)?;
    let step = params.zeta / spectrum(likelihood.operator)?.gain;
    let mut x = x_top.clone();
    for k in (1..=prior.grid.steps()).rev() {
        let (gradient, x0, eps) = guidance(prior, likelihood, &x, k)?;
        let next = ddim_step(&prior.grid, k, &x0, &eps, 1.0, rng)?;
        x = combine(1.0, &next, -step, &gradient)?;
    }
    Ok(x)
}

/// `∇_x Σ_b ‖y − A x̂₀(x_b)‖` at level `k`, with the (detached) `x̂₀` and `ε̂` it came from.
pub fn guidance<T: Real>(
    prior: &DiffusionPrior,
    likelihood: &Likelihood<T>,
    x: &Tensor,
    k: usize,
) -> Result<(Tensor, Tensor, Tensor)> {
    let variable = Var::from_tensor(x)?;
    let eps = prior.eps(variable.as_tensor(), k)?;
    let x0 = tweedie(variable.as_tensor(), &eps, prior.grid.alpha_bar(k))?;
    let (outer, _) = likelihood.norm_gradient(&x0.detach())?;
    // ⟨x̂₀(x), g⟩ with g held fixed has gradient J_{x̂₀}ᵀ g: the vector-Jacobian product.
    let pairing = (&x0 * &outer)?.sum_all()?;
    let gradients = pairing.backward()?;
    let gradient = match gradients.get(variable.as_tensor()) {
        Some(g) => g.clone(),
        // x̂₀ does not depend on x (a model that ignores its input): only the direct path.
        None => outer.affine(1.0 / prior.grid.alpha_bar(k).sqrt(), 0.0)?,
    };
    Ok((gradient, x0.detach(), eps.detach()))
}
