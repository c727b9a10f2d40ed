//! DiffPIR. Zhu, Zhang, Liang, Cao, Wen, Timofte, Van Gool, "Denoising Diffusion Models for
//! Plug-and-Play Image Restoration", CVPR Workshops 2023, arXiv:2305.08995, Algorithm 1.
//!
//! Half-quadratic splitting with the diffusion model as the denoiser: at level `k` with
//! `σ̄_k = √((1−ᾱ_k)/ᾱ_k)` (the noise level of `x_k/√ᾱ_k`),
//!
//! ```text
//! x̂₀   = (x_k − √(1−ᾱ_k) ε̂)/√ᾱ_k                               (the denoiser)
//! x̂₀'  = argmin_x ‖y − A x‖² + ρ_k ‖x − x̂₀‖²,  ρ_k = λ σ_n²/σ̄_k²   (the data step, eq. 13)
//! ε̂'   = (x_k − √ᾱ_k x̂₀')/√(1−ᾱ_k)
//! x_{k−1} = √ᾱ_{k−1} x̂₀' + √(1−ᾱ_{k−1}) (√(1−ζ) ε̂' + √ζ ξ)          (eq. 15)
//! ```
//!
//! The data step uses the operator's closed form of `(A*A + ρI)⁻¹` where it has one (masks,
//! FFT-diagonal blur) and CG to convergence otherwise. With a noise-free measurement (`σ_n = 0`)
//! `ρ_k` is floored at `10⁻⁶`, so the data step is the projection onto `A x = y` in the limit.

use super::{check_range, tweedie, DiffusionPrior, Likelihood, NormalSolve};
use crate::diffusion::{combine, standard_normal};
use crate::Result;
use candle_core::Tensor;
use inversa::real::Real;
use rand_chacha::ChaCha8Rng;

/// DiffPIR's settings.
#[derive(Clone, Debug, PartialEq)]
pub struct Params {
    /// `λ`, the prior's weight against the data (the paper: 1–10 depending on the task).
    pub lambda: f64,
    /// `ζ`, the share of fresh noise in the re-noising (0: deterministic; the paper: 0.3–1).
    pub zeta: f64,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            lambda: 7.0,
            zeta: 0.3,
        }
    }
}

/// Smallest `ρ_k`, so a noise-free measurement still gives a well-posed data step.
const RHO_FLOOR: f64 = 1e-6;

/// One reverse run from `x_top`.
pub fn run<T: Real>(
    params: &Params,
    prior: &DiffusionPrior,
    likelihood: &Likelihood<T>,
    x_top: &Tensor,
    rng: &mut ChaCha8Rng,
) -> Result<Tensor> {
    check(params)?;
    let mut x = x_top.clone();
    for k in (1..=prior.grid.steps()).rev() {
        let (now, next) = (prior.grid.alpha_bar(k), prior.grid.alpha_bar(k - 1));
        let eps = prior.eps(&x, k)?;
        let x0 = tweedie(&x, &eps, now)?;
        let refined = data_step(params, likelihood, &x0, now)?;
        let eps_refined = combine(
            1.0 / (1.0 - now).sqrt(),
            &x,
            -now.sqrt() / (1.0 - now).sqrt(),
            &refined,
        )?;
        let xi = standard_normal(rng, x.dims(), x.dtype())?;
        let noise = combine(
            (1.0 - params.zeta).sqrt(),
            &eps_refined,
            params.zeta.sqrt(),
            &xi,
        )?;
        x = combine(next.sqrt(), &refined, (1.0 - next).sqrt(), &noise)?;
    }
    Ok(x)
}

/// `argmin_x ‖y − A u(x)‖² + ρ_k‖x − x̂₀‖²` at the level with `ᾱ = alpha_bar`.
pub fn data_step<T: Real>(
    params: &Params,
    likelihood: &Likelihood<T>,
    x0: &Tensor,
    alpha_bar: f64,
) -> Result<Tensor> {
    let sigma_bar2 = (1.0 - alpha_bar) / alpha_bar;
    let rho = (params.lambda * likelihood.noise_std.powi(2) / sigma_bar2).max(RHO_FLOOR);
    likelihood.proximal(x0, rho, NormalSolve::Exact(200))
}

fn check(params: &Params) -> Result<()> {
    check_range("solver.lambda", params.lambda, 0.0, true, f64::INFINITY)?;
    check_range("solver.zeta", params.zeta, 0.0, false, 1.0)
}
