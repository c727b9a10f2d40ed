//! DDIM sampling (DDPM ancestral sampling at `η = 1`) and DDIM inversion, the baseline every
//! exact method improves on. Song, Meng, Ermon, "Denoising Diffusion Implicit Models", ICLR
//! 2021, arXiv:2010.02502, eq. 12; the inversion is the one Null-text inversion starts from
//! (Mokady et al., CVPR 2023, arXiv:2211.09794).
//!
//! On a [`Grid`] with levels `k = 0 … S` (0 clean), with `ε_k = ε(z_k, τ_k, c)` at level `k`'s
//! timestep and `x̂₀ = (z_k − √(1−ᾱ_k) ε_k)/√ᾱ_k`, a sampling step is
//!
//! ```text
//! z_{k−1} = √ᾱ_{k−1} x̂₀ + √(1−ᾱ_{k−1} − σ_k²) ε_k + σ_k ξ,
//! σ_k = η √((1−ᾱ_{k−1})/(1−ᾱ_k)) √(1 − ᾱ_k/ᾱ_{k−1}),   ξ ~ N(0, I),
//! ```
//!
//! deterministic at `η = 0`: `z_{k−1} = a z_k + b ε_k` ([`Grid::ddim_coefficients`]). Inversion
//! runs the deterministic step backwards, `z_k = a' z_{k−1} + b' ε`, but cannot evaluate `ε` at
//! the unknown `z_k`; it uses `ε(z_{k−1}, τ_k, c)`, the noise at the *previous* point. That
//! approximation is the whole of its error, which grows where `ε` changes fast in `x` (large
//! guidance scales, few steps).

use super::{Diffusion, Inverter, Latent, Model, Settings};
use crate::diffusion::model::NoisePredictor;
use crate::diffusion::schedule::Grid;
use crate::diffusion::{bad, combine, standard_normal};
use crate::Result;
use candle_core::Tensor;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// Samples from the noisiest level `x_top` (level `S`) down to level 0, with stochasticity `eta`
/// (`0`: DDIM, deterministic and `seed` unused; `1`: DDPM ancestral sampling).
///
/// ```
/// use inversa_learn::diffusion::{analytic::{Component, GaussianMixture}, inversion::ddim, NoiseSchedule};
/// use candle_core::{DType, Tensor, Device};
/// let schedule = NoiseSchedule::linear(1000).unwrap();
/// let data = vec![Component { class: 0, weight: 1.0, mean: vec![2.0], std: 0.5 }];
/// let model = GaussianMixture::new(data, schedule.clone()).unwrap();
/// let z = Tensor::zeros((1, 1), DType::F64, &Device::Cpu).unwrap();
/// let x = ddim::sample(&model, &schedule.grid(50).unwrap(), &z, Some(0), 0.0, 0).unwrap();
/// // The probability-flow ODE carries the noise median (0) to the data median (2).
/// assert!((x.to_vec2::<f64>().unwrap()[0][0] - 2.0).abs() < 0.01);
/// ```
pub fn sample(
    model: &impl NoisePredictor,
    grid: &Grid,
    x_top: &Tensor,
    class: Option<usize>,
    eta: f64,
    seed: u64,
) -> Result<Tensor> {
    if !(0.0..=1.0).contains(&eta) {
        return Err(bad("eta", format!("{eta} is not in [0, 1]")));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut z = x_top.clone();
    for k in (1..=grid.steps()).rev() {
        let eps = model.eps(&z, grid.timestep(k), class)?;
        if eta == 0.0 {
            let (a, b) = grid.ddim_coefficients(k, k - 1);
            z = combine(a, &z, b, &eps)?;
            continue;
        }
        let (now, next) = (grid.alpha_bar(k), grid.alpha_bar(k - 1));
        let sigma = eta * ((1.0 - next) / (1.0 - now) * (1.0 - now / next)).sqrt();
        let x0 = combine(1.0 / now.sqrt(), &z, -(1.0 - now).sqrt() / now.sqrt(), &eps)?;
        let direction = (1.0 - next - sigma * sigma).max(0.0).sqrt();
        z = combine(next.sqrt(), &x0, direction, &eps)?;
        if sigma > 0.0 {
            let xi = standard_normal(&mut rng, z.dims(), z.dtype())?;
            z = combine(1.0, &z, sigma, &xi)?;
        }
    }
    Ok(z)
}

/// DDIM inversion of `x0` (level 0) up to level `S`: the whole trajectory `z_0 … z_S`.
pub fn invert(
    model: &impl NoisePredictor,
    grid: &Grid,
    x0: &Tensor,
    class: Option<usize>,
) -> Result<Vec<Tensor>> {
    let mut trajectory = vec![x0.clone()];
    for k in 1..=grid.steps() {
        let z = &trajectory[k - 1];
        let eps = model.eps(z, grid.timestep(k), class)?;
        let (a, b) = grid.ddim_coefficients(k - 1, k);
        trajectory.push(combine(a, z, b, &eps)?);
    }
    Ok(trajectory)
}

/// DDIM inversion and deterministic DDIM sampling under guidance, as an [`Inverter`].
pub struct Ddim<'a>(Diffusion<'a>);

impl<'a> Ddim<'a> {
    pub fn new(model: Model<'a>, settings: &Settings) -> Result<Self> {
        Ok(Self(Diffusion::new(model, settings, "ddim")?))
    }
}

impl Inverter for Ddim<'_> {
    #[allow(clippy::expect_used, reason = "the trajectory holds S + 1 ≥ 1 states")]
    fn invert(&self, x0: &Tensor, class: usize) -> Result<Latent> {
        let mut trajectory = invert(&self.0.guided(), &self.0.grid, x0, Some(class))?;
        Ok(Latent::State(trajectory.pop().expect("S + 1 states")))
    }

    fn regenerate(&self, latent: &Latent, class: usize) -> Result<Tensor> {
        let Latent::State(z) = latent else {
            return Err(Latent::foreign("ddim"));
        };
        sample(&self.0.guided(), &self.0.grid, z, Some(class), 0.0, 0)
    }

    fn calls(&self) -> usize {
        self.0.model.calls()
    }
}
