//! Training a Gaussian denoiser ([`DnCnn`] or [`Drunet`]) with the shared loop: each sample of a batch is a random
//! crop with its own noise level `σ ~ U[0, 50/255]` (the blind range of the DnCNN paper), the network
//! is told σ through its noise-level map, and the loss is the mean squared error to the clean crop
//! (the paper's loss, eq. (1); it is what PSNR measures).
//!
//! Validation denoises whole held-out images at σ = 15, 25, 50 (/255) with fixed noise, and
//! [`compare`] sets a denoiser against the noisy input and TV denoising on them.

use crate::data::image_folder::{GreyImage, ImageFolder};
use crate::models::denoiser::{Architecture, Denoiser, NoiseLevelNetwork};
use crate::training::Trainable;
use candle_core::{DType, Device, Tensor};
use candle_nn::{VarBuilder, VarMap};
use inversa::metrics::psnr;
use inversa::noise::Noise;
use inversa::priors::tv::TotalVariation;
use inversa::priors::Prior;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use std::collections::HashMap;

/// The largest training noise level.
pub const SIGMA_MAX: f32 = 50.0 / 255.0;

/// The validation noise levels, in units of 1/255.
pub const VALIDATION_LEVELS: [u32; 3] = [15, 25, 50];

/// A denoiser with its training and validation images.
pub struct DenoiserTraining {
    varmap: VarMap,
    net: Box<dyn NoiseLevelNetwork>,
    images: ImageFolder,
    validation: Vec<GreyImage>,
}

impl DenoiserTraining {
    /// A new network of `architecture` (its weights are drawn by the training loop from its
    /// seed).
    pub fn new(
        architecture: Architecture,
        images: ImageFolder,
        validation: Vec<GreyImage>,
    ) -> candle_core::Result<Self> {
        let varmap = VarMap::new();
        let net = architecture.build(VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu))?;
        Ok(Self {
            varmap,
            net,
            images,
            validation,
        })
    }

    /// The network being trained.
    pub fn net(&self) -> &dyn NoiseLevelNetwork {
        self.net.as_ref()
    }
}

impl Trainable for DenoiserTraining {
    fn varmap(&self) -> &VarMap {
        &self.varmap
    }

    fn metadata(&self) -> HashMap<String, String> {
        self.net.metadata()
    }

    fn loss(
        &self,
        _step: usize,
        rng: &mut ChaCha8Rng,
        batch: usize,
        crop: usize,
    ) -> candle_core::Result<Tensor> {
        let clean = self.images.sample_batch(rng, batch, crop)?;
        let sigmas: Vec<f32> = (0..batch).map(|_| rng.gen_range(0.0..=SIGMA_MAX)).collect();
        let noise: Vec<f32> = (0..batch * crop * crop)
            .map(|k| sigmas[k / (crop * crop)] * rng.sample::<f32, _>(StandardNormal))
            .collect();
        let noisy = (&clean + Tensor::from_vec(noise, clean.shape(), clean.device())?)?;
        let sigmas = Tensor::from_vec(sigmas, batch, clean.device())?;
        (self.net.forward(&noisy, &sigmas)? - clean)?
            .sqr()?
            .mean_all()
    }

    /// Mean PSNR over the validation images at each of [`VALIDATION_LEVELS`] (none without images).
    fn validate(&self) -> candle_core::Result<Vec<(String, f64)>> {
        if self.validation.is_empty() {
            return Ok(Vec::new());
        }
        VALIDATION_LEVELS
            .iter()
            .map(|&level| {
                let sigma = level as f32 / 255.0;
                let mean = mean_over(&self.validation, |index, image| {
                    let noisy = noisy_image(image, sigma, index)?;
                    Ok(psnr(
                        &denoise(self.net.as_ref(), image, &noisy, sigma),
                        &image.pixels,
                        1.0,
                    ))
                });
                mean.map(|m| (format!("psnr {level}/255"), m))
            })
            .collect::<inversa::Result<Vec<_>>>()
            .map_err(|e| candle_core::Error::Msg(e.to_string()))
    }
}

/// One row of [`compare`]: mean PSNRs (dB) over the images at noise level `level`/255.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    pub level: u32,
    pub noisy: f64,
    pub denoiser: f64,
    /// The reference network's PSNR (the pretrained FFDNet in `inversa train`'s table).
    pub reference: f64,
    /// TV denoising with the best of a few weights (an oracle choice, which favours TV).
    pub tv: f64,
    pub tv_weight: f64,
}

/// TV weights tried, as multiples of σ.
const TV_WEIGHTS: [f64; 5] = [0.4, 0.6, 0.8, 1.0, 1.3];

/// Dual iterations of the TV prox: enough to converge on 512² images (checked on camera at σ = 25:
/// 200 iterations change the PSNR by < 0.001 dB).
const TV_ITERATIONS: usize = 100;

/// The noisy input, `denoiser`, a `reference` denoiser and the best TV denoising of `images` at the
/// noise `level`/255, with the same fixed noise as validation.
pub fn compare(
    denoiser: &dyn Denoiser,
    reference: &dyn Denoiser,
    images: &[GreyImage],
    level: u32,
) -> inversa::Result<Comparison> {
    let sigma = level as f32 / 255.0;
    let noisy = mean_over(images, |index, image| {
        Ok(psnr(&noisy_image(image, sigma, index)?, &image.pixels, 1.0))
    })?;
    let denoised_psnr = |net: &dyn Denoiser| {
        mean_over(images, |index, image| {
            let noisy = noisy_image(image, sigma, index)?;
            Ok(psnr(
                &denoise(net, image, &noisy, sigma),
                &image.pixels,
                1.0,
            ))
        })
    };
    let network = denoised_psnr(denoiser)?;
    let reference = denoised_psnr(reference)?;
    let mut best = (f64::NEG_INFINITY, 0.0);
    for factor in TV_WEIGHTS {
        let weight = factor * f64::from(sigma);
        let tv = mean_over(images, |index, image| {
            let noisy = noisy_image(image, sigma, index)?;
            let prior =
                TotalVariation::<f32>::new(weight, &[1, image.height, image.width], TV_ITERATIONS)?;
            let mut clean = vec![0.0f32; noisy.len()];
            prior.prox(&noisy, 1.0, &mut clean);
            Ok(psnr(&clean, &image.pixels, 1.0))
        })?;
        if tv > best.0 {
            best = (tv, weight);
        }
    }
    Ok(Comparison {
        level,
        noisy,
        denoiser: network,
        reference,
        tv: best.0,
        tv_weight: best.1,
    })
}

/// `image` plus Gaussian noise of `sigma`, from a seed fixed by the level and the image's index.
pub fn noisy_image(image: &GreyImage, sigma: f32, index: usize) -> inversa::Result<Vec<f32>> {
    let mut noisy = image.pixels.clone();
    let seed = (u64::from((sigma * 255.0).round() as u32) << 32) | index as u64;
    Noise::Gaussian {
        sigma: f64::from(sigma),
    }
    .apply(&mut noisy, false, seed)?;
    Ok(noisy)
}

fn denoise(denoiser: &dyn Denoiser, image: &GreyImage, noisy: &[f32], sigma: f32) -> Vec<f32> {
    let mut clean = vec![0.0f32; noisy.len()];
    denoiser.denoise(noisy, &[1, image.height, image.width], sigma, &mut clean);
    clean
}

fn mean_over(
    images: &[GreyImage],
    mut value: impl FnMut(usize, &GreyImage) -> inversa::Result<f64>,
) -> inversa::Result<f64> {
    let mut sum = 0.0;
    for (index, image) in images.iter().enumerate() {
        sum += value(index, image)?;
    }
    Ok(sum / images.len().max(1) as f64)
}
