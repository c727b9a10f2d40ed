//! What the samplers call: a noise predictor `ε(x_t, t, c)` for diffusion and a velocity
//! `v(x_t, t, c)` for rectified flow, with class `c` (`None`: unconditional).
//!
//! - Diffusion: `x_t = √ᾱ_t x₀ + √(1−ᾱ_t) ε` and `ε(x_t, t, c) ≈ E[ε | x_t, c]`. A network may
//!   instead predict `v = √ᾱ ε − √(1−ᾱ) x₀` (Salimans, Ho, "Progressive Distillation for Fast
//!   Sampling of Diffusion Models", ICLR 2022, arXiv:2202.00512); then
//!   `ε = √ᾱ v + √(1−ᾱ) x_t` and `x₀ = √ᾱ x_t − √(1−ᾱ) v` ([`Prediction`], [`Parameterised`]).
//! - Rectified flow: `x_t = (1−t) x₀ + t ε`, `t ∈ [0, 1]` (`t = 1` is noise, as in FLUX and
//!   RF-Solver) and `v(x_t, t, c) ≈ E[ε − x₀ | x_t, c] = E[dx_t/dt | x_t, c]`.
//! - Classifier-free guidance (Ho, Salimans, "Classifier-Free Diffusion Guidance", 2022,
//!   arXiv:2207.12598, whose `w` is this `w − 1`): `ε̂ = ε(x, ∅) + w (ε(x, c) − ε(x, ∅))`, and the same for `v`
//!   ([`Guided`]).

use super::schedule::NoiseSchedule;
use candle_core::{bail, Result, Tensor};

/// A diffusion model's noise estimate `ε(x_t, t, class)` at integer timestep `t`.
pub trait NoisePredictor {
    fn eps(&self, x_t: &Tensor, t: usize, class: Option<usize>) -> Result<Tensor>;
}

/// A rectified-flow model's velocity `v(x_t, t, class)`, `t ∈ [0, 1]` (1 is noise).
pub trait VelocityModel {
    fn velocity(&self, x_t: &Tensor, t: f64, class: Option<usize>) -> Result<Tensor>;
}

impl<M: NoisePredictor + ?Sized> NoisePredictor for &M {
    fn eps(&self, x_t: &Tensor, t: usize, class: Option<usize>) -> Result<Tensor> {
        (**self).eps(x_t, t, class)
    }
}

impl<M: VelocityModel + ?Sized> VelocityModel for &M {
    fn velocity(&self, x_t: &Tensor, t: f64, class: Option<usize>) -> Result<Tensor> {
        (**self).velocity(x_t, t, class)
    }
}

/// A network's raw output at `(x_t, t, class)`, read according to a [`Prediction`].
pub trait DiffusionNetwork {
    fn forward(&self, x_t: &Tensor, t: usize, class: Option<usize>) -> Result<Tensor>;
}

/// What a diffusion network predicts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prediction {
    /// The noise `ε`.
    Epsilon,
    /// The velocity `v = √ᾱ ε − √(1−ᾱ) x₀`.
    Velocity,
}

impl Prediction {
    /// The noise estimate from a network `output` at `x_t` with `ᾱ_t = alpha_bar`.
    pub fn eps(self, output: &Tensor, x_t: &Tensor, alpha_bar: f64) -> Result<Tensor> {
        match self {
            Prediction::Epsilon => Ok(output.clone()),
            Prediction::Velocity => {
                super::combine(alpha_bar.sqrt(), output, (1.0 - alpha_bar).sqrt(), x_t)
            }
        }
    }

    /// The clean estimate `x̂₀` from a network `output` at `x_t` with `ᾱ_t = alpha_bar`.
    pub fn x0(self, output: &Tensor, x_t: &Tensor, alpha_bar: f64) -> Result<Tensor> {
        let (signal, noise) = (alpha_bar.sqrt(), (1.0 - alpha_bar).sqrt());
        match self {
            Prediction::Epsilon => super::combine(1.0 / signal, x_t, -noise / signal, output),
            Prediction::Velocity => super::combine(signal, x_t, -noise, output),
        }
    }
}

/// A network read as a noise predictor through its [`Prediction`] and training schedule.
pub struct Parameterised<N> {
    pub network: N,
    pub prediction: Prediction,
    pub schedule: NoiseSchedule,
}

impl<N: DiffusionNetwork> NoisePredictor for Parameterised<N> {
    fn eps(&self, x_t: &Tensor, t: usize, class: Option<usize>) -> Result<Tensor> {
        let Some(&alpha_bar) = self.schedule.alpha_bars().get(t) else {
            bail!(
                "timestep {t} is past the schedule's {}",
                self.schedule.len()
            )
        };
        let output = self.network.forward(x_t, t, class)?;
        self.prediction.eps(&output, x_t, alpha_bar)
    }
}

/// Classifier-free guidance of scale `scale` (`w`; 1 is the plain conditional model, 0 the
/// unconditional one). Unconditional calls (`class = None`) pass through unguided.
pub struct Guided<M> {
    pub model: M,
    pub scale: f64,
}

impl<M> Guided<M> {
    /// `u + w (c − u)`; the unconditional call is skipped at `w = 1`, where it cancels.
    fn guide(
        &self,
        class: Option<usize>,
        call: impl Fn(Option<usize>) -> Result<Tensor>,
    ) -> Result<Tensor> {
        let conditional = call(class)?;
        if class.is_none() || self.scale == 1.0 {
            return Ok(conditional);
        }
        let unconditional = call(None)?;
        let difference = (conditional - &unconditional)?;
        unconditional + difference.affine(self.scale, 0.0)?
    }
}

impl<M: NoisePredictor> NoisePredictor for Guided<M> {
    fn eps(&self, x_t: &Tensor, t: usize, class: Option<usize>) -> Result<Tensor> {
        self.guide(class, |c| self.model.eps(x_t, t, c))
    }
}

impl<M: VelocityModel> VelocityModel for Guided<M> {
    fn velocity(&self, x_t: &Tensor, t: f64, class: Option<usize>) -> Result<Tensor> {
        self.guide(class, |c| self.model.velocity(x_t, t, c))
    }
}
