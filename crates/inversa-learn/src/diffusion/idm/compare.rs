//! IDM against its zero-shot baseline DDNM on the same compressed-sensing measurements: the
//! paper's Table 4 claim (up to +10 dB and 14.5× faster), measured here.
//!
//! Both reconstruct each image alone (batch 1), so the seconds compare one image's cost; both see
//! the same structurally random matrix and noise-free measurement. PSNR (peak 1) is computed on
//! the 28×28 image clamped to [0, 1].

use super::weights::Idm;
use crate::diffusion::model::NoisePredictor;
use crate::diffusion::posterior::{self, ddnm, DiffusionPrior, Likelihood, Method, StateMap};
use crate::diffusion::schedule::Grid;
use crate::Result;
use candle_core::DType;
use inversa::operators::LinearOperator;
use serde::Serialize;
use std::time::Instant;

/// One method's numbers on one set of measurements.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Scores {
    pub method: String,
    /// Mean PSNR (dB) and its standard error over the images.
    pub psnr: f64,
    pub psnr_error: f64,
    /// Network evaluations per image.
    pub model_calls: usize,
    /// Mean wall-clock seconds per image.
    pub seconds: f64,
}

/// IDM and DDNM at one CS ratio.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Comparison {
    pub ratio: f64,
    pub images: usize,
    pub idm: Scores,
    pub ddnm: Scores,
}

/// Mean and standard error of `values`.
fn mean_and_error(values: &[f64]) -> (f64, f64) {
    let n = values.len().max(1) as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
    (mean, (var / n).sqrt())
}

/// `10 log₁₀(1/mse)` of `image` clamped to [0, 1] against `truth`.
pub fn psnr(image: &[f64], truth: &[f64]) -> f64 {
    let mse = image
        .iter()
        .zip(truth)
        .map(|(a, b)| (a.clamp(0.0, 1.0) - b).powi(2))
        .sum::<f64>()
        / truth.len().max(1) as f64;
    -10.0 * mse.max(1e-20).log10()
}

/// IDM and DDNM (`ddnm_steps` levels of `model`, the paper's `η = 0.85`) on `images` (28×28 in
/// [0, 1]) measured by `op` without noise.
pub fn compare(
    idm: &Idm,
    model: &dyn NoisePredictor,
    grid: Grid,
    op: &dyn LinearOperator<f64>,
    ratio: f64,
    images: &[Vec<f64>],
    seed: u64,
) -> Result<Comparison> {
    let map = StateMap::new(&[1, 32, 32], &[1, 28, 28], 0.5, 0.5)?;
    let ddnm_steps = grid.steps();
    let prior = DiffusionPrior::new(model, grid, None);
    let method = Method::Ddnm(ddnm::Params::default());
    let (mut idm_psnr, mut ddnm_psnr) = (Vec::new(), Vec::new());
    let (mut idm_seconds, mut ddnm_seconds) = (0.0, 0.0);
    for (i, truth) in images.iter().enumerate() {
        let y = op.apply_new(truth);
        let clock = Instant::now();
        let rebuilt = idm.reconstruct(op, &[&y])?;
        idm_seconds += clock.elapsed().as_secs_f64();
        idm_psnr.push(psnr(&rebuilt[0], truth));
        let clock = Instant::now();
        let likelihood = Likelihood::new(op, &y, 0.0, map.clone())?;
        let drawn =
            posterior::sample(&method, &prior, &likelihood, 1, DType::F32, seed + i as u64)?;
        let image = likelihood.images(&drawn.samples)?;
        ddnm_seconds += clock.elapsed().as_secs_f64();
        ddnm_psnr.push(psnr(&image[0], truth));
    }
    let n = images.len().max(1) as f64;
    let scores = |method: &str, values: &[f64], calls, seconds: f64| {
        let (psnr, psnr_error) = mean_and_error(values);
        Scores {
            method: method.into(),
            psnr,
            psnr_error,
            model_calls: calls,
            seconds: seconds / n,
        }
    };
    let idm_scores = scores("idm", &idm_psnr, idm.config.steps, idm_seconds);
    let ddnm_scores = scores("ddnm", &ddnm_psnr, ddnm_steps, ddnm_seconds);
    for s in [&idm_scores, &ddnm_scores] {
        if !s.psnr.is_finite() {
            return Err(crate::diffusion::bad("images", "a PSNR is not finite"));
        }
    }
    Ok(Comparison {
        ratio,
        images: images.len(),
        idm: idm_scores,
        ddnm: ddnm_scores,
    })
}
