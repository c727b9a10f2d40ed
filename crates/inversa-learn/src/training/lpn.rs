//! Training a Learned Proximal Network with the shared loop, by the paper's schedule (Fang,
//! Buchanan, Sulam, ICLR 2024, §4 and their `train.py`): an ℓ₁ warm start, then the proximal
//! matching loss
//!
//! ```text
//! ℓ_PM = 1 − exp(−(‖f(y) − x‖₂ / γ)²),   y = x + σ·noise,
//! ```
//!
//! with `γ` halved over four stages down to `γ_min = 0.08·√d` (`d` pixels per crop). As `γ → 0`
//! the loss rewards the mode of the posterior `p(x | y)` rather than its mean (which MSE would
//! learn), so the learned prox is the MAP denoiser of a true regulariser. The non-negative
//! weights are projected back onto `W ≥ 0` after every step.
//!
//! Validation reports the PSNR of the prox on the held-out images at the training noise level.

use crate::data::image_folder::{GreyImage, ImageFolder};
use crate::models::lpn::{LearnedProximalNetwork, LpnShape};
use crate::training::denoiser::noisy_image;
use crate::training::Trainable;
use candle_core::{Device, Tensor, D};
use candle_nn::VarMap;
use inversa::metrics::psnr;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use std::collections::HashMap;

/// Proximal-matching stages after the ℓ₁ warm start.
const STAGES: usize = 4;

/// An LPN with its training images and schedule.
pub struct LpnTraining {
    varmap: VarMap,
    net: LearnedProximalNetwork,
    images: ImageFolder,
    validation: Vec<GreyImage>,
    /// The training noise level.
    sigma: f32,
    /// ℓ₁ warm-start steps, then proximal matching up to `steps`.
    warm_start: usize,
    steps: usize,
}

impl LpnTraining {
    /// A fresh network of `shape` trained at noise level `sigma` for `steps` steps, the first
    /// `warm_start` of them on the ℓ₁ loss.
    pub fn new(
        shape: LpnShape,
        sigma: f32,
        (warm_start, steps): (usize, usize),
        images: ImageFolder,
        validation: Vec<GreyImage>,
    ) -> candle_core::Result<Self> {
        let varmap = VarMap::new();
        let net = LearnedProximalNetwork::for_training(shape, &varmap, 0)?;
        Ok(Self {
            varmap,
            net,
            images,
            validation,
            sigma,
            warm_start,
            steps,
        })
    }

    /// The network being trained.
    pub fn net(&self) -> &LearnedProximalNetwork {
        &self.net
    }

    /// `γ` of the proximal-matching loss at `step` (after the warm start), for crops of `pixels`.
    fn gamma(&self, step: usize, pixels: usize) -> f64 {
        let per_stage = (self.steps - self.warm_start).div_ceil(STAGES).max(1);
        let stage = ((step - self.warm_start) / per_stage).min(STAGES - 1);
        0.08 * (pixels as f64).sqrt() * f64::from(1u32 << (STAGES - 1 - stage))
    }
}

impl Trainable for LpnTraining {
    fn varmap(&self) -> &VarMap {
        &self.varmap
    }

    fn metadata(&self) -> HashMap<String, String> {
        let mut metadata = self.net.shape().metadata();
        metadata.insert("sigma".into(), self.sigma.to_string());
        metadata
    }

    /// The paper's initialisation: the non-negative weights at `exp(N(−10, 0.1))`.
    fn initialise(&self, seed: u64) -> candle_core::Result<()> {
        crate::training::initialise(&self.varmap, seed)?;
        LearnedProximalNetwork::initialise_nonnegative(&self.varmap, seed)
    }

    fn loss(
        &self,
        step: usize,
        rng: &mut ChaCha8Rng,
        batch: usize,
        crop: usize,
    ) -> candle_core::Result<Tensor> {
        let clean = self.images.sample_batch(rng, batch, crop)?;
        let noise: Vec<f32> = (0..batch * crop * crop)
            .map(|_| self.sigma * rng.sample::<f32, _>(StandardNormal))
            .collect();
        let noisy = (&clean + Tensor::from_vec(noise, clean.shape(), clean.device())?)?;
        let error = (self.net.prox(&noisy)? - clean)?;
        if step < self.warm_start {
            return error.abs()?.mean_all();
        }
        let gamma = self.gamma(step, crop * crop);
        let distance = error.sqr()?.flatten_from(1)?.sum(D::Minus1)?;
        ((distance / (-gamma * gamma))?.exp()? * -1.0)?
            .affine(1.0, 1.0)?
            .mean_all()
    }

    fn after_step(&self) -> candle_core::Result<()> {
        LearnedProximalNetwork::clip_weights(&self.varmap)
    }

    /// Mean PSNR of the prox over the validation images at the training noise level.
    fn validate(&self) -> candle_core::Result<Vec<(String, f64)>> {
        if self.validation.is_empty() {
            return Ok(Vec::new());
        }
        let mut sum = 0.0;
        for (index, image) in self.validation.iter().enumerate() {
            let noisy = noisy_image(image, self.sigma, index)
                .map_err(|e| candle_core::Error::Msg(e.to_string()))?;
            let input = Tensor::from_vec(noisy, (1, 1, image.height, image.width), &Device::Cpu)?;
            let clean = self.net.prox(&input)?.flatten_all()?.to_vec1::<f32>()?;
            sum += psnr(&clean, &image.pixels, 1.0);
        }
        let level = (self.sigma * 255.0).round();
        Ok(vec![(
            format!("psnr {level}/255"),
            sum / self.validation.len() as f64,
        )])
    }
}
