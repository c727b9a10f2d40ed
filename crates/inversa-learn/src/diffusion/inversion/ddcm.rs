//! Virtual inversion with the denoising diffusion consistent model (DDCM) sampler: editing without
//! an inversion pass. Xu, Huang, Wang, Xu, Dong, Zhu, Jin, "Inversion-Free Image Editing with
//! Natural Language" (InfEdit), CVPR 2024, arXiv:2312.04965, Algorithm 1 (the attention control
//! of the paper needs a text model and is not part of this file).
//!
//! A source branch `z^s` and a target branch `z^t` start from the same noise. At every level `k`
//! the source branch is told the clean image `x₀` instead of inverting it: its "consistent noise"
//! is `ε^c = (z^s_k − √ᾱ_k x₀)/√(1−ᾱ_k)`, so that `z^s_k` lies on a path that ends exactly at
//! `x₀`. The target branch follows the source's path, corrected by the difference between the
//! target and source predictions, `Δ = ε(z^t_k, c_t) − ε(z^s_k, c_s)`:
//!
//! ```text
//! x̂₀^t = x₀ + ((z^t_k − z^s_k) − √(1−ᾱ_k) Δ)/√ᾱ_k,      ε = Δ + ε^c,
//! z^s_{k−1} = √ᾱ_{k−1} x₀   + √(1−ᾱ_{k−1}−σ²) ε + σ ξ,
//! z^t_{k−1} = √ᾱ_{k−1} x̂₀^t + √(1−ᾱ_{k−1}−σ²) ε + σ ξ,     σ² = η(1−ᾱ_{k−1}),
//! ```
//!
//! with the same draw `ξ` in both branches. When the target equals the source, `z^t = z^s` at
//! every level and the output is `x₀` exactly (not to round-off: the correction is exactly zero),
//! which is why the method needs no inversion. `η = 1` (the paper's choice for its consistency
//! models) draws fresh noise at every level; `η = 0` keeps the first draw's direction.

use super::{Diffusion, Inverter, Latent, Model, Settings};
use crate::diffusion::model::NoisePredictor;
use crate::diffusion::schedule::Grid;
use crate::diffusion::{bad, combine, standard_normal};
use crate::Result;
use candle_core::Tensor;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// One branch of the edit: the model (guided as the caller chose) and its class.
pub struct Branch<'a, M> {
    pub model: &'a M,
    pub class: Option<usize>,
}

/// The noise both branches of [`edit`] start from with `seed`: its generator's first draw, the
/// "latent" of the virtual inversion.
pub fn starting_noise(x0: &Tensor, seed: u64) -> Result<Tensor> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    Ok(standard_normal(&mut rng, x0.dims(), x0.dtype())?)
}

/// Edits `x0` from the `source` branch's condition to the `target` branch's, on `grid`, with
/// stochasticity `eta` in [0, 1] and noise from `seed`. Returns the edited sample.
pub fn edit<M: NoisePredictor, N: NoisePredictor>(
    source: Branch<M>,
    target: Branch<N>,
    grid: &Grid,
    x0: &Tensor,
    eta: f64,
    seed: u64,
) -> Result<Tensor> {
    if !(0.0..=1.0).contains(&eta) {
        return Err(bad("eta", format!("{eta} is not in [0, 1]")));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let start = standard_normal(&mut rng, x0.dims(), x0.dtype())?;
    let (mut zs, mut zt) = (start.clone(), start);
    let mut edited = x0.clone();
    for k in (1..=grid.steps()).rev() {
        let t = grid.timestep(k);
        let delta =
            (target.model.eps(&zt, t, target.class)? - source.model.eps(&zs, t, source.class)?)?;
        let (now, next) = (grid.alpha_bar(k), grid.alpha_bar(k - 1));
        let consistent = combine(
            1.0 / (1.0 - now).sqrt(),
            &zs,
            -(now / (1.0 - now)).sqrt(),
            x0,
        )?;
        let gap = (&zt - &zs)?;
        edited = (x0 + combine(1.0 / now.sqrt(), &gap, -((1.0 - now) / now).sqrt(), &delta)?)?;
        let eps = (delta + consistent)?;
        let variance = eta * (1.0 - next);
        let direction = (1.0 - next - variance).max(0.0).sqrt();
        zs = combine(next.sqrt(), x0, direction, &eps)?;
        zt = combine(next.sqrt(), &edited, direction, &eps)?;
        if variance > 0.0 {
            let xi = standard_normal(&mut rng, x0.dims(), x0.dtype())?;
            zs = combine(1.0, &zs, variance.sqrt(), &xi)?;
            zt = combine(1.0, &zt, variance.sqrt(), &xi)?;
        }
    }
    Ok(edited)
}

/// DDCM's virtual inversion under guidance, as an [`Inverter`]: inverting keeps the image and its
/// class, regenerating runs the source branch with that class and the target branch with the new
/// one, from the settings' seed.
pub struct Ddcm<'a> {
    diffusion: Diffusion<'a>,
    eta: f64,
    seed: u64,
}

impl<'a> Ddcm<'a> {
    pub fn new(model: Model<'a>, settings: &Settings) -> Result<Self> {
        Ok(Self {
            diffusion: Diffusion::new(model, settings, "ddcm")?,
            eta: settings.ddcm_eta,
            seed: settings.seed,
        })
    }
}

impl Inverter for Ddcm<'_> {
    fn invert(&self, x0: &Tensor, class: usize) -> Result<Latent> {
        Ok(Latent::Virtual {
            x0: x0.clone(),
            class,
            noise: starting_noise(x0, self.seed)?,
        })
    }

    fn regenerate(&self, latent: &Latent, class: usize) -> Result<Tensor> {
        let Latent::Virtual {
            x0, class: source, ..
        } = latent
        else {
            return Err(Latent::foreign("ddcm"));
        };
        let guided = self.diffusion.guided();
        let branch = |class| Branch {
            model: &guided,
            class: Some(class),
        };
        let grid = &self.diffusion.grid;
        edit(
            branch(*source),
            branch(class),
            grid,
            x0,
            self.eta,
            self.seed,
        )
    }

    fn calls(&self) -> usize {
        self.diffusion.model.calls()
    }
}
