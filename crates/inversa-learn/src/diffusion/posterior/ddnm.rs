//! Denoising Diffusion Null-space Model. Wang, Yu, Zhang, "Zero-Shot Image Restoration Using
//! Denoising Diffusion Null-Space Model", ICLR 2023, arXiv:2212.00490, Algorithm 1.
//!
//! The measurement fixes the range-space part of the image, `A†y`; the network supplies only the
//! null-space part. At each level the Tweedie estimate is corrected by
//!
//! ```text
//! x̂₀ ← x̂₀ − A†(A x̂₀ − y)
//! ```
//!
//! and the DDIM step (stochasticity `η`) continues from the corrected `x̂₀` and the network's `ε̂`.
//! `A† = (A*A + δI)⁻¹A*` with a small `δ` (`pinv_delta`): exact for masks and row-orthonormal
//! matrices in the limit, and a regularised pseudo-inverse for ill-conditioned physics such as blur,
//! where the paper uses the SVD (DDNM+ adds noise-aware scaling, which this file does not).
//! It is the zero-shot baseline of IDM.

use super::{check_range, ddim_step, tweedie, DiffusionPrior, Likelihood, NormalSolve};
use crate::Result;
use candle_core::Tensor;
use inversa::real::Real;
use rand_chacha::ChaCha8Rng;

/// DDNM's settings.
#[derive(Clone, Debug, PartialEq)]
pub struct Params {
    /// DDIM's stochasticity `η` (the paper's default 0.85).
    pub eta: f64,
    /// `δ` of the regularised pseudo-inverse, relative to `‖A‖²` of a unit-gain physics.
    pub pinv_delta: f64,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            eta: 0.85,
            pinv_delta: 1e-4,
        }
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
    check_range("solver.eta", params.eta, 0.0, false, 1.0)?;
    check_range(
        "solver.pinv_delta",
        params.pinv_delta,
        0.0,
        true,
        f64::INFINITY,
    )?;
    let mut x = x_top.clone();
    for k in (1..=prior.grid.steps()).rev() {
        let eps = prior.eps(&x, k)?;
        let x0 = tweedie(&x, &eps, prior.grid.alpha_bar(k))?;
        let corrected = range_null_split(params, likelihood, &x0)?;
        x = ddim_step(&prior.grid, k, &corrected, &eps, params.eta, rng)?;
    }
    Ok(x)
}

/// `x̂₀ − A†(A x̂₀ − y)`: the proximal point of `x̂₀` with a vanishing weight on staying close,
/// `(A*A + δI)⁻¹(A*y + δ x̂₀)`, differs from it by `O(δ)`; in state units `γ = δ s²`.
fn range_null_split<T: Real>(
    params: &Params,
    likelihood: &Likelihood<T>,
    x0: &Tensor,
) -> Result<Tensor> {
    let s = likelihood.map.scale;
    likelihood.proximal(x0, params.pinv_delta * s * s, NormalSolve::Exact(200))
}
