//! RED-Diff. Mardani, Song, Kautz, Vahdat, "A Variational Perspective on Solving Inverse Problems
//! with Diffusion Models", ICLR 2024, arXiv:2305.04391, Algorithm 1.
//!
//! A Gaussian variational posterior `q(x₀) = N(μ, σ²I)` whose mean is fitted by Adam on
//!
//! ```text
//! ℓ(μ) = ‖y − A μ‖²/(2σ_n²) + λ w_t ⟨sg(ε̂(x_t, t) − ε), μ⟩,   x_t = √ᾱ_t μ + √(1−ᾱ_t) ε,
//! w_t = √(1−ᾱ_t)/√ᾱ_t  (the inverse square-root SNR),
//! ```
//!
//! one Adam step per level with `t` running from the noisiest level down; `sg` stops the
//! gradient, so the network is never differentiated (the score-matching regulariser's gradient is
//! `λ w_t (ε̂ − ε)`, as in the paper's eq. 8). The result is the mean `μ`, a point estimate: several
//! samples differ only through the `ε` they drew. A noise-free measurement (`σ_n = 0`) uses
//! `σ_n = 10⁻³` so the data weight stays finite.

use super::{check_range, DiffusionPrior, Likelihood, NormalSolve};
use crate::diffusion::{combine, standard_normal};
use crate::Result;
use candle_core::Tensor;
use inversa::real::Real;
use rand_chacha::ChaCha8Rng;

/// RED-Diff's settings.
#[derive(Clone, Debug, PartialEq)]
pub struct Params {
    /// `λ`, the regulariser's weight (the paper: 0.25).
    pub lambda: f64,
    /// Adam's step size (the paper: 0.1 to 0.5 on images in [−1, 1]).
    pub lr: f64,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            lambda: 0.25,
            lr: 0.1,
        }
    }
}

/// Adam's moment decays, the paper's `(0.9, 0.99)`.
const BETAS: (f64, f64) = (0.9, 0.99);

/// Smallest `σ_n` in the data weight.
const NOISE_FLOOR: f64 = 1e-3;

/// Fits `μ` for each state of the batch `x_top` (its noise only sets the batch; `μ` starts at the
/// measurement's least-norm image).
pub fn run<T: Real>(
    params: &Params,
    prior: &DiffusionPrior,
    likelihood: &Likelihood<T>,
    x_top: &Tensor,
    rng: &mut ChaCha8Rng,
) -> Result<Tensor> {
    check(params)?;
    let zeros = x_top.zeros_like()?;
    let mut mu = likelihood.proximal(&zeros, 1e-4, NormalSolve::Exact(200))?;
    let mut adam = Adam::new(&mu)?;
    let data_weight = 1.0 / likelihood.noise_std.max(NOISE_FLOOR).powi(2);
    for k in (1..=prior.grid.steps()).rev() {
        let alpha_bar = prior.grid.alpha_bar(k);
        let eps = standard_normal(rng, mu.dims(), mu.dtype())?;
        let x_t = combine(alpha_bar.sqrt(), &mu, (1.0 - alpha_bar).sqrt(), &eps)?;
        let predicted = prior.eps(&x_t, k)?;
        let weight = params.lambda * ((1.0 - alpha_bar) / alpha_bar).sqrt();
        let data = likelihood.misfit_gradient(&mu)?;
        let regulariser = (predicted - eps)?;
        let gradient = combine(data_weight, &data, weight, &regulariser)?;
        mu = adam.step(&mu, &gradient, params.lr)?;
    }
    Ok(mu)
}

fn check(params: &Params) -> Result<()> {
    check_range("solver.lambda", params.lambda, 0.0, false, f64::INFINITY)?;
    check_range("solver.lr", params.lr, 0.0, true, f64::INFINITY)
}

/// Adam (Kingma, Ba, ICLR 2015) on one tensor, with bias correction.
struct Adam {
    first: Tensor,
    second: Tensor,
    steps: i32,
}

impl Adam {
    fn new(like: &Tensor) -> candle_core::Result<Self> {
        Ok(Self {
            first: like.zeros_like()?,
            second: like.zeros_like()?,
            steps: 0,
        })
    }

    /// `x − lr · m̂/(√v̂ + 10⁻⁸)` after folding in `gradient`.
    fn step(&mut self, x: &Tensor, gradient: &Tensor, lr: f64) -> candle_core::Result<Tensor> {
        let (b1, b2) = BETAS;
        self.steps += 1;
        self.first = combine(b1, &self.first, 1.0 - b1, gradient)?;
        self.second = combine(b2, &self.second, 1.0 - b2, &gradient.sqr()?)?;
        let m_hat = self.first.affine(1.0 / (1.0 - b1.powi(self.steps)), 0.0)?;
        let v_hat = self.second.affine(1.0 / (1.0 - b2.powi(self.steps)), 0.0)?;
        let update = (m_hat / (v_hat.sqrt()? + 1e-8)?)?;
        combine(1.0, x, -lr, &update)
    }
}
