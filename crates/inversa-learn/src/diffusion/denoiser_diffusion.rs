//! A Gaussian denoiser as a diffusion model over the noise levels it was trained for, so that the
//! posterior samplers that only need Tweedie's estimate `x̂₀` (DiffPIR, RED-Diff, DDS, DDNM) run on
//! natural images of any size with the bundled FFDNet or DnCNN. DiffPIR's paper (Zhu et al., CVPRW
//! 2023, §3) builds on exactly this reading of DPIR's plug-and-play denoiser.
//!
//! The sampler's state `x ∈ [−1, 1]` holds the image `u = (x + 1)/2 ∈ [0, 1]`. At timestep `t`
//! (`x_t = √ᾱ_t x₀ + √(1−ᾱ_t) ε`), `x_t/√ᾱ_t` is the clean state plus Gaussian noise of standard
//! deviation `√((1−ᾱ_t)/ᾱ_t)`, i.e. the image `u_t = (x_t/√ᾱ_t + 1)/2` with noise
//!
//! ```text
//! σ_u(t) = ½ √((1−ᾱ_t)/ᾱ_t),   û = D(u_t, σ_u(t)),   x̂₀ = 2û − 1,   ε̂ = (x_t − √ᾱ_t x̂₀)/√(1−ᾱ_t).
//! ```
//!
//! An MMSE denoiser gives `E[x₀ | x_t]`, and then `ε̂ = E[ε | x_t]` exactly: the noise predictor the
//! diffusion samplers expect (the tests check this against the closed form of a Gaussian prior).
//! A denoiser only knows the levels it was trained on, so sampling covers the timesteps with
//! `σ_u(t) ≤ max_sigma` ([`DenoiserDiffusion::grid`]) and starts from a noised initial
//! reconstruction rather than from pure noise ([`super::posterior::sample_from`]).

use super::model::NoisePredictor;
use super::schedule::{Grid, NoiseSchedule};
use crate::models::denoiser::Denoiser;
use crate::{Error, Result};
use candle_core::{DType, Device, Tensor};
use std::sync::Arc;

/// A denoiser read as a noise predictor on the 1000-step linear schedule.
pub struct DenoiserDiffusion {
    denoiser: Arc<dyn Denoiser>,
    schedule: NoiseSchedule,
    /// `[C, H, W]` of one state (and image).
    shape: Vec<usize>,
    max_sigma: f64,
}

impl DenoiserDiffusion {
    /// `denoiser` on images of `shape`, used up to noise level `max_sigma` (on [0, 1]).
    pub fn new(denoiser: Arc<dyn Denoiser>, shape: &[usize], max_sigma: f64) -> Result<Self> {
        denoiser.supports(shape)?;
        if !(max_sigma > 0.0 && max_sigma <= 1.0) {
            return Err(Error::setting(
                "max_sigma",
                format!("must be in (0, 1] (a noise level on [0, 1] intensities), got {max_sigma}"),
            ));
        }
        Ok(Self {
            denoiser,
            schedule: NoiseSchedule::linear(1000)?,
            shape: shape.to_vec(),
            max_sigma,
        })
    }

    /// `σ_u(t) = ½ √((1−ᾱ_t)/ᾱ_t)`, the image noise level of timestep `t`.
    pub fn intensity_sigma(&self, t: usize) -> f64 {
        let alpha_bar = self.schedule.alpha_bars()[t];
        0.5 * ((1.0 - alpha_bar) / alpha_bar).sqrt()
    }

    /// `steps` timesteps evenly spread over `0 … t_max`, the largest timestep whose noise level is
    /// at most `max_sigma`, ending at a clean level.
    pub fn grid(&self, steps: usize) -> Result<Grid> {
        let covered = (0..self.schedule.len())
            .take_while(|&t| self.intensity_sigma(t) <= self.max_sigma)
            .count();
        if covered == 0 {
            let least = self.intensity_sigma(0);
            let message = format!(
                "{} is below the schedule's first level {least:.2e}",
                self.max_sigma
            );
            return Err(Error::setting("max_sigma", message));
        }
        if steps == 0 || steps > covered {
            let message =
                format!("must be 1 to {covered} (the timesteps within max_sigma), got {steps}");
            return Err(Error::setting("steps", message));
        }
        let timesteps: Vec<usize> = (1..=steps).rev().map(|i| i * covered / steps - 1).collect();
        Grid::new(&self.schedule, &timesteps, 1.0)
    }

    /// Denoises one state `x` (flat, `[C, H, W]`) seen at timestep `t`, returning `x̂₀`.
    fn clean_state(&self, x: &[f32], signal: f64, sigma: f32) -> Vec<f32> {
        let noisy: Vec<f32> = x
            .iter()
            .map(|v| (0.5 * f64::from(*v) / signal + 0.5) as f32)
            .collect();
        let mut clean = vec![0.0f32; noisy.len()];
        self.denoiser
            .denoise(&noisy, &self.shape, sigma, &mut clean);
        clean.iter().map(|u| 2.0 * u - 1.0).collect()
    }
}

impl NoisePredictor for DenoiserDiffusion {
    fn eps(&self, x_t: &Tensor, t: usize, _class: Option<usize>) -> candle_core::Result<Tensor> {
        let len: usize = self.shape.iter().product();
        let batch = x_t.dims().first().copied().unwrap_or(0);
        if batch == 0 || x_t.elem_count() != batch * len {
            candle_core::bail!(
                "a batch of states {:?} does not hold images of {:?}",
                x_t.dims(),
                self.shape
            );
        }
        if t >= self.schedule.len() {
            candle_core::bail!("timestep {t} is not below {}", self.schedule.len());
        }
        let alpha_bar = self.schedule.alpha_bars()[t];
        let (signal, noise) = (alpha_bar.sqrt(), (1.0 - alpha_bar).sqrt());
        let sigma = self.intensity_sigma(t) as f32;
        let flat = x_t.to_dtype(DType::F32)?.flatten_all()?.to_vec1::<f32>()?;
        let mut eps = Vec::with_capacity(flat.len());
        for x in flat.chunks_exact(len) {
            let x0 = self.clean_state(x, signal, sigma);
            eps.extend(
                x.iter()
                    .zip(&x0)
                    .map(|(xv, x0v)| ((f64::from(*xv) - signal * f64::from(*x0v)) / noise) as f32),
            );
        }
        Tensor::from_vec(eps, x_t.dims(), &Device::Cpu)?.to_dtype(x_t.dtype())
    }
}
