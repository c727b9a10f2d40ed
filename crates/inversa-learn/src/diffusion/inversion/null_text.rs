//! Null-text inversion: DDIM inversion made faithful under classifier-free guidance by tuning the
//! unconditional ("null") condition at every step. Mokady, Hertz, Aberman, Pritch, Cohen-Or,
//! "Null-text Inversion for Editing Real Images using Guided Diffusion Models", CVPR 2023,
//! arXiv:2211.09794, Algorithm 1.
//!
//! 1. **Pivot:** DDIM inversion at guidance 1 (the conditional model alone), whose error is small:
//!    `z*_0 = x₀, …, z*_S`.
//! 2. **Per-step tuning:** from `z̄_S = z*_S`, for `k = S … 1` minimise over the null condition `∅_k`
//!    (initialised with `∅_{k+1}`, the model's own null condition at the start)
//!    `‖z*_{k−1} − DDIM(z̄_k, ε̂)‖²`, `ε̂ = ε(z̄_k, ∅_k) + w (ε(z̄_k, c) − ε(z̄_k, ∅_k))`,
//!    with Adam (learning rate `lr·(1 − k'/100)` at the `k'`-th step taken, the paper's decay) for
//!    at most `inner_steps` steps, stopping early once the loss is below `tolerance + i·2·10⁻⁵`
//!    at inner step `i`; then `z̄_{k−1} = DDIM(z̄_k, ε̂)` with the tuned `∅_k`.
//! 3. **Regeneration** (and editing, with another class `c`) samples from `z*_S` with the tuned
//!    `∅_k` at every step.
//!
//! The model must expose its null condition as a tensor ([`NullConditioned`]): a network's null
//! class embedding, or the class prior and mean shift of the analytic mixture.

use super::ddim;
use super::{Diffusion, Inverter, Latent, Model, Settings};
use crate::diffusion::analytic::GaussianMixture;
use crate::diffusion::model::NoisePredictor;
use crate::diffusion::schedule::Grid;
use crate::diffusion::{bad, combine};
use crate::optim::adam::TensorAdam;
use crate::Result;
use candle_core::{DType, Tensor, Var};

/// A model whose unconditional prediction depends on a null condition that can be tuned.
pub trait NullConditioned: NoisePredictor {
    /// `ε(x_t, t, ∅)` under the null condition `null` (differentiable in `null`).
    fn eps_null(&self, x_t: &Tensor, t: usize, null: &Tensor) -> candle_core::Result<Tensor>;
    /// The null condition the model was trained with (its unconditional prediction).
    fn null_condition(&self, dtype: DType) -> candle_core::Result<Tensor>;
}

impl<M: NullConditioned + ?Sized> NullConditioned for &M {
    fn eps_null(&self, x_t: &Tensor, t: usize, null: &Tensor) -> candle_core::Result<Tensor> {
        (**self).eps_null(x_t, t, null)
    }

    fn null_condition(&self, dtype: DType) -> candle_core::Result<Tensor> {
        (**self).null_condition(dtype)
    }
}

impl NullConditioned for GaussianMixture {
    fn eps_null(&self, x_t: &Tensor, t: usize, null: &Tensor) -> candle_core::Result<Tensor> {
        self.eps_with_null(x_t, t, null)
    }

    fn null_condition(&self, dtype: DType) -> candle_core::Result<Tensor> {
        GaussianMixture::null_condition(self, dtype)
    }
}

/// Settings of [`invert`]; the defaults are the paper's.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NullTextParams {
    /// Adam steps per diffusion step, at most.
    pub inner_steps: usize,
    pub learning_rate: f64,
    /// The early-stopping threshold on the step's loss (mean squared error).
    pub tolerance: f64,
}

impl Default for NullTextParams {
    fn default() -> Self {
        Self {
            inner_steps: 10,
            learning_rate: 1e-2,
            tolerance: 1e-5,
        }
    }
}

/// The result of [`invert`]: the pivot's noise and the tuned null condition of every level.
pub struct NullTextInversion {
    /// `z*_S`.
    pub latent: Tensor,
    /// `∅_k` for `k = 1 … S` (index `k − 1`).
    pub nulls: Vec<Tensor>,
    /// Model evaluations spent (pivot, tuning and the final step of each level).
    pub evaluations: usize,
}

/// Inverts `x0` of `class` for sampling at guidance `guidance` on `grid`.
pub fn invert<M: NullConditioned>(
    model: &M,
    grid: &Grid,
    x0: &Tensor,
    class: usize,
    guidance: f64,
    params: NullTextParams,
) -> Result<NullTextInversion> {
    let positive_rate = params.learning_rate.is_finite() && params.learning_rate > 0.0;
    if params.inner_steps == 0 || !positive_rate {
        return Err(bad(
            "inner_steps",
            "needs at least one step and a positive learning rate",
        ));
    }
    let pivot = ddim::invert(model, grid, x0, Some(class))?;
    let mut evaluations = grid.steps();
    let mut z = pivot[grid.steps()].clone();
    let mut null = model.null_condition(x0.dtype())?;
    let mut nulls = vec![null.clone(); grid.steps()];
    for (taken, k) in (1..=grid.steps()).rev().enumerate() {
        let t = grid.timestep(k);
        let conditional = model.eps(&z, t, Some(class))?;
        let (a, b) = grid.ddim_coefficients(k, k - 1);
        let step = |null: &Tensor| -> candle_core::Result<Tensor> {
            let unconditional = model.eps_null(&z, t, null)?;
            let guided = combine(1.0 - guidance, &unconditional, guidance, &conditional)?;
            combine(a, &z, b, &guided)
        };
        let rate = params.learning_rate * (1.0 - taken as f64 / 100.0).max(0.0);
        let (tuned, spent) = tune(&step, &null, &pivot[k - 1], rate, params)?;
        evaluations += 2 + spent;
        null = tuned;
        z = step(&null)?;
        nulls[k - 1] = null.clone();
    }
    Ok(NullTextInversion {
        latent: pivot[grid.steps()].clone(),
        nulls,
        evaluations,
    })
}

/// Adam on `null` to bring `step(null)` to `target`; the tuned null and the evaluations spent.
fn tune(
    step: &impl Fn(&Tensor) -> candle_core::Result<Tensor>,
    start: &Tensor,
    target: &Tensor,
    rate: f64,
    params: NullTextParams,
) -> Result<(Tensor, usize)> {
    let var = Var::from_tensor(start)?;
    let mut adam = TensorAdam::new(start)?;
    for i in 0..params.inner_steps {
        let loss = (step(var.as_tensor())? - target)?.sqr()?.mean_all()?;
        let value = loss.to_dtype(DType::F64)?.to_scalar::<f64>()?;
        if value < params.tolerance + i as f64 * 2e-5 {
            return Ok((var.as_tensor().detach(), i + 1));
        }
        let grads = loss.backward()?;
        let Some(gradient) = grads.get(&var) else {
            return Err(bad("null", "the model's prediction does not depend on it"));
        };
        let moved = adam.step(gradient, (i + 1) as i32, rate)?;
        var.set(&(var.as_tensor() + moved)?)?;
    }
    Ok((var.as_tensor().detach(), params.inner_steps))
}

/// Samples from `inversion.latent` with `class` at `guidance`, using the tuned null condition of
/// every level: regenerates the source with its own class, edits it with another.
pub fn sample<M: NullConditioned>(
    model: &M,
    grid: &Grid,
    inversion: &NullTextInversion,
    class: usize,
    guidance: f64,
) -> Result<Tensor> {
    if inversion.nulls.len() != grid.steps() {
        return Err(bad(
            "nulls",
            format!(
                "{} null conditions for a grid of {} steps",
                inversion.nulls.len(),
                grid.steps()
            ),
        ));
    }
    let mut z = inversion.latent.clone();
    for k in (1..=grid.steps()).rev() {
        let t = grid.timestep(k);
        let unconditional = model.eps_null(&z, t, &inversion.nulls[k - 1])?;
        let conditional = model.eps(&z, t, Some(class))?;
        let guided = combine(1.0 - guidance, &unconditional, guidance, &conditional)?;
        let (a, b) = grid.ddim_coefficients(k, k - 1);
        z = combine(a, &z, b, &guided)?;
    }
    Ok(z)
}

/// Null-text inversion at the settings' guidance, as an [`Inverter`].
pub struct NullText<'a> {
    diffusion: Diffusion<'a>,
    params: NullTextParams,
}

impl<'a> NullText<'a> {
    pub fn new(model: Model<'a>, settings: &Settings) -> Result<Self> {
        Ok(Self {
            diffusion: Diffusion::new(model, settings, "null-text")?,
            params: settings.null_text,
        })
    }
}

impl Inverter for NullText<'_> {
    fn invert(&self, x0: &Tensor, class: usize) -> Result<Latent> {
        let d = &self.diffusion;
        let inversion = invert(&d.model, &d.grid, x0, class, d.guidance, self.params)?;
        Ok(Latent::NullText(inversion))
    }

    fn regenerate(&self, latent: &Latent, class: usize) -> Result<Tensor> {
        let Latent::NullText(inversion) = latent else {
            return Err(Latent::foreign("null-text"));
        };
        let d = &self.diffusion;
        sample(&d.model, &d.grid, inversion, class, d.guidance)
    }

    fn calls(&self) -> usize {
        self.diffusion.model.calls()
    }
}
