//! EDICT: exact inversion of a deterministic diffusion sampler by two coupled sequences.
//! Wallace, Gokul, Naik, "EDICT: Exact Diffusion Inversion via Coupled Transformations", CVPR
//! 2023, arXiv:2211.12446.
//!
//! Two copies `(x, y)` of the state (both `x₀` at the start of an inversion) take turns: each is
//! moved by the DDIM affine step `z ↦ a z + b ε(·)` ([`super::Grid::ddim_coefficients`]) with
//! the noise evaluated at the *other* copy, then the two are mixed with weight `p`. One sampling
//! step from level `k` (timestep `τ_k`) to `k − 1`:
//!
//! ```text
//! x' = a x + b ε(y, τ_k),     y' = a y + b ε(x', τ_k),
//! x'' = p x' + (1−p) y',      y'' = p y' + (1−p) x''.
//! ```
//!
//! Each line changes one copy by a function of the other only, so it is undone exactly, in
//! reverse order: `y' = (y'' − (1−p) x'')/p`, `x' = (x'' − (1−p) y')/p`,
//! `y = (y' − b ε(x', τ_k))/a`, `x = (x' − b ε(y, τ_k))/a`. This is the inversion; sampling from
//! its result returns `x₀` up to floating-point round-off. The mixing (`p = 0.93` in the paper)
//! keeps the copies from drifting apart while sampling; in the inversion it expands their
//! difference by up to `1/p²` per step, which sampling contracts again. (The reference code
//! alternates which copy moves first between steps; this file follows the paper's fixed order.)

use super::{Diffusion, Inverter, Latent, Model, Settings};
use crate::diffusion::model::NoisePredictor;
use crate::diffusion::schedule::Grid;
use crate::diffusion::{bad, combine};
use crate::Result;
use candle_core::Tensor;

fn check(mix: f64) -> Result<()> {
    if mix > 0.0 && mix <= 1.0 {
        Ok(())
    } else {
        Err(bad("mix", format!("{mix} is not in (0, 1]")))
    }
}

/// Samples the pair `(x, y)` from level `S` down to level 0 with mixing weight `mix`.
pub fn sample(
    model: &impl NoisePredictor,
    grid: &Grid,
    pair: (&Tensor, &Tensor),
    class: Option<usize>,
    mix: f64,
) -> Result<(Tensor, Tensor)> {
    check(mix)?;
    let (mut x, mut y) = (pair.0.clone(), pair.1.clone());
    for k in (1..=grid.steps()).rev() {
        let t = grid.timestep(k);
        let (a, b) = grid.ddim_coefficients(k, k - 1);
        let x_inter = combine(a, &x, b, &model.eps(&y, t, class)?)?;
        let y_inter = combine(a, &y, b, &model.eps(&x_inter, t, class)?)?;
        x = combine(mix, &x_inter, 1.0 - mix, &y_inter)?;
        y = combine(mix, &y_inter, 1.0 - mix, &x)?;
    }
    Ok((x, y))
}

/// Inverts `x0` (both copies start there) up to the pair at level `S`.
pub fn invert(
    model: &impl NoisePredictor,
    grid: &Grid,
    x0: &Tensor,
    class: Option<usize>,
    mix: f64,
) -> Result<(Tensor, Tensor)> {
    check(mix)?;
    let (mut x, mut y) = (x0.clone(), x0.clone());
    for k in 1..=grid.steps() {
        let t = grid.timestep(k);
        // The sampling step's `a, b` (level k to k − 1), undone.
        let (a, b) = grid.ddim_coefficients(k, k - 1);
        let y_inter = combine(1.0 / mix, &y, -(1.0 - mix) / mix, &x)?;
        let x_inter = combine(1.0 / mix, &x, -(1.0 - mix) / mix, &y_inter)?;
        y = combine(1.0 / a, &y_inter, -b / a, &model.eps(&x_inter, t, class)?)?;
        x = combine(1.0 / a, &x_inter, -b / a, &model.eps(&y, t, class)?)?;
    }
    Ok((x, y))
}

/// EDICT under guidance with the settings' mixing weight, as an [`Inverter`].
pub struct Edict<'a> {
    diffusion: Diffusion<'a>,
    mix: f64,
}

impl<'a> Edict<'a> {
    pub fn new(model: Model<'a>, settings: &Settings) -> Result<Self> {
        check(settings.edict_mix)?;
        Ok(Self {
            diffusion: Diffusion::new(model, settings, "edict")?,
            mix: settings.edict_mix,
        })
    }
}

impl Inverter for Edict<'_> {
    fn invert(&self, x0: &Tensor, class: usize) -> Result<Latent> {
        let d = &self.diffusion;
        let (x, y) = invert(&d.guided(), &d.grid, x0, Some(class), self.mix)?;
        Ok(Latent::Pair(x, y))
    }

    fn regenerate(&self, latent: &Latent, class: usize) -> Result<Tensor> {
        let Latent::Pair(x, y) = latent else {
            return Err(Latent::foreign("edict"));
        };
        let d = &self.diffusion;
        Ok(sample(&d.guided(), &d.grid, (x, y), Some(class), self.mix)?.0)
    }

    fn calls(&self) -> usize {
        self.diffusion.model.calls()
    }
}
