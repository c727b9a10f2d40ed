//! Decomposed Diffusion Sampler. Chung, Lee, Ye, "Decomposed Diffusion Sampler for Accelerating
//! Large-Scale Inverse Problems", ICLR 2024, arXiv:2303.05754, Algorithm 1.
//!
//! The Tweedie estimate lies (approximately) on the clean-data manifold, and a few Krylov steps
//! from it stay in its tangent space; so instead of differentiating the network (DPS), DDS takes
//! `M` conjugate-gradient steps on
//!
//! ```text
//! (A*A + γI) x = A*y + γ x̂₀,      started at x̂₀,
//! ```
//!
//! and continues with the DDIM step (stochasticity `η`) from the result and the network's `ε̂`.
//! With `M = 0` it is exactly DDIM; the closed form is never used, since the method is defined by
//! its few CG steps.

use super::{check_range, ddim_step, tweedie, DiffusionPrior, Likelihood, NormalSolve};
use crate::Result;
use candle_core::Tensor;
use inversa::real::Real;
use rand_chacha::ChaCha8Rng;

/// DDS's settings.
#[derive(Clone, Debug, PartialEq)]
pub struct Params {
    /// CG steps per level `M` (the paper: 5).
    pub cg_steps: usize,
    /// `γ`, a weight that keeps the CG solution near `x̂₀` (in the state's units). The paper's
    /// Algorithm 1 has none (`γ = 0`): stopping CG after `M` steps from `x̂₀` is the
    /// regularisation; a `γ > 0` damps noisy measurements further.
    pub gamma: f64,
    /// DDIM's stochasticity `η` (the paper: 0.15 to 0.85).
    pub eta: f64,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            cg_steps: 5,
            gamma: 0.0,
            eta: 0.15,
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
    check_range("solver.gamma", params.gamma, 0.0, false, f64::INFINITY)?;
    let mut x = x_top.clone();
    for k in (1..=prior.grid.steps()).rev() {
        let eps = prior.eps(&x, k)?;
        let x0 = tweedie(&x, &eps, prior.grid.alpha_bar(k))?;
        let solve = NormalSolve::CgSteps(params.cg_steps);
        let refined = likelihood.proximal(&x0, params.gamma, solve)?;
        x = ddim_step(&prior.grid, k, &refined, &eps, params.eta, rng)?;
    }
    Ok(x)
}
