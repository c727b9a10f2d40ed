//! Fine-tuning IDM ([`crate::diffusion::idm`]) for compressed sensing on Fashion-MNIST with the
//! shared loop, as the paper trains it (Chen et al., TPAMI 2025, arXiv:2403.17006, §4.1): each
//! step draws a batch of training images and one sensing matrix, measures them, runs the whole
//! chain and takes Adam's step on
//!
//! ```text
//! L = mean |x̂(y, A) − x₀|        (pixels in [0, 1], the 28×28 image)
//! ```
//!
//! The matrix is the core's structurally random `P·DCT·D` of `physics.kind = "cs"` (orthonormal
//! rows, as the paper's), drawn afresh each step from the step's generator at a ratio drawn from
//! `ratios`, so that the weights serve any matrix of those ratios — the paper instead permutes the
//! pixels of one matrix per step, to the same end.
//!
//! The gradient comes from [`Chain::gradients`](crate::diffusion::idm::Chain::gradients) in the
//! chosen [`Backprop`] mode. Validation: the PSNR at each ratio on a fixed held-out batch measured
//! by a fixed matrix (seed 0).

use crate::data::fashion_mnist::{LabelledImages, SIDE};
use crate::diffusion::idm::{Backprop, Geometry, Idm, Operator};
use crate::diffusion::{bad, standard_normal};
use crate::training::Trainable;
use crate::Result;
use candle_core::backprop::GradStore;
use candle_core::{DType, Device, Tensor};
use candle_nn::VarMap;
use inversa::operators::compressed_sensing::CompressedSensing;
use inversa::operators::LinearOperator;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::collections::HashMap;

/// The side of the images IDM reconstructs.
const IMAGE: usize = 28;

/// One ratio's fixed validation batch.
struct Held {
    ratio: f64,
    operator: Operator,
    measurements: Tensor,
    truth: Tensor,
}

/// IDM with its training images and validation batches.
pub struct IdmTraining {
    idm: Idm,
    pretrained: HashMap<String, Tensor>,
    data: LabelledImages,
    ratios: Vec<f64>,
    noise: f64,
    backprop: Backprop,
    held: Vec<Held>,
}

/// The structurally random CS matrix of `ratio` on 28×28 images, drawn from `seed`.
pub fn cs_operator(ratio: f64, seed: u64) -> Result<CompressedSensing<f64>> {
    let n = IMAGE * IMAGE;
    let m = (ratio * n as f64).round() as usize;
    if !(ratio > 0.0 && ratio <= 1.0) || m == 0 {
        return Err(bad(
            "ratios",
            format!("a CS ratio must be in (0, 1] and give at least one measurement, got {ratio}"),
        ));
    }
    Ok(CompressedSensing::structured_dct(
        &[1, IMAGE, IMAGE],
        m,
        seed,
    )?)
}

/// The 28×28 images in [0, 1] of a `[B, 1, 32, 32]` batch in [−1, 1], as `[B, 784]`.
fn truth_of(batch: &Tensor) -> candle_core::Result<Tensor> {
    let g = Geometry::FASHION;
    g.crop(batch)?.affine(g.scale, g.offset)
}

/// `A u + σ ξ` for every row `u` of `truth`, `[B, m]` (f64).
fn measure(
    op: &dyn LinearOperator<f64>,
    truth: &Tensor,
    noise: f64,
    rng: &mut ChaCha8Rng,
) -> Result<Tensor> {
    let rows = truth.to_dtype(DType::F64)?.to_vec2::<f64>()?;
    let mut flat = Vec::new();
    for row in &rows {
        flat.extend(op.apply_new(row));
    }
    let y = Tensor::from_vec(flat, (rows.len(), op.output_len()), &Device::Cpu)?;
    if noise == 0.0 {
        return Ok(y);
    }
    let xi = standard_normal(rng, y.dims(), DType::F64)?;
    Ok((y + xi.affine(noise, 0.0)?)?)
}

impl IdmTraining {
    /// Fine-tunes `idm` from `pretrained` (the UNet's weights) on `data` at `ratios`, with
    /// measurement noise `noise` (image units), validated on the first `validation_size` images
    /// of `held_out`.
    pub fn new(
        idm: Idm,
        pretrained: HashMap<String, Tensor>,
        data: LabelledImages,
        held_out: &LabelledImages,
        settings: (Vec<f64>, f64, Backprop, usize),
    ) -> Result<Self> {
        let (ratios, noise, backprop, validation_size) = settings;
        if data.is_empty() {
            return Err(bad("data", "no training images"));
        }
        if ratios.is_empty() {
            return Err(bad("ratios", "give at least one CS ratio"));
        }
        if !(noise >= 0.0 && noise.is_finite()) {
            return Err(bad("noise", format!("must be finite and ≥ 0, got {noise}")));
        }
        let count = validation_size.min(held_out.len());
        let mut held = Vec::new();
        if count > 0 {
            let truth = truth_of(&held_out.batch(&(0..count).collect::<Vec<_>>(), SIDE)?)?;
            for &ratio in &ratios {
                let op = cs_operator(ratio, 0)?;
                let mut rng = rand::SeedableRng::seed_from_u64(0);
                held.push(Held {
                    ratio,
                    operator: Operator::from_operator(&op, Geometry::FASHION, PINV)?,
                    measurements: measure(&op, &truth, noise, &mut rng)?,
                    truth: truth.clone(),
                });
            }
        } else {
            for &ratio in &ratios {
                cs_operator(ratio, 0)?;
            }
        }
        Ok(Self {
            idm,
            pretrained,
            data,
            ratios,
            noise,
            backprop,
            held,
        })
    }

    /// The model being trained.
    pub fn idm(&self) -> &Idm {
        &self.idm
    }

    /// `mean |x̂ − x₀|` on the image window.
    fn loss_of(output: &Tensor, truth: &Tensor) -> candle_core::Result<Tensor> {
        (truth_of(output)? - truth)?.abs()?.mean_all()
    }
}

/// `δ` of the pseudo-inverse (the matrices here have orthonormal rows, so it hardly matters).
const PINV: f64 = crate::diffusion::idm::PINV_DELTA;

impl Trainable for IdmTraining {
    fn varmap(&self) -> &VarMap {
        self.idm.varmap()
    }

    fn metadata(&self) -> HashMap<String, String> {
        self.idm.config.metadata()
    }

    /// The pretrained UNet, the injectors and the couplings' starting values
    /// ([`Idm::initialise`]).
    fn initialise(&self, seed: u64) -> candle_core::Result<()> {
        self.idm
            .initialise(&self.pretrained, seed)
            .map_err(candle_core::Error::wrap)
    }

    /// The loss alone (plain autograd); the loop calls [`Trainable::gradients`].
    fn loss(
        &self,
        step: usize,
        rng: &mut ChaCha8Rng,
        batch: usize,
        crop: usize,
    ) -> candle_core::Result<Tensor> {
        Ok(self.gradients(step, rng, batch, crop)?.0)
    }

    fn gradients(
        &self,
        _step: usize,
        rng: &mut ChaCha8Rng,
        batch: usize,
        _crop: usize,
    ) -> candle_core::Result<(Tensor, GradStore)> {
        let wrap = candle_core::Error::wrap;
        let ratio = self.ratios[rng.gen_range(0..self.ratios.len())];
        let op = cs_operator(ratio, rng.gen()).map_err(wrap)?;
        let operator = Operator::from_operator(&op, Geometry::FASHION, PINV).map_err(wrap)?;
        let indices = self.data.random_indices(rng, batch);
        let truth = truth_of(&self.data.batch(&indices, SIDE)?)?;
        let y = measure(&op, &truth, self.noise, rng).map_err(wrap)?;
        let measured = operator.measure(&y).map_err(wrap)?;
        self.idm
            .chain
            .gradients(&measured, self.backprop, |out| Self::loss_of(out, &truth))
    }

    /// `psnr cs0.10`, … : the mean PSNR (dB, peak 1) of the clamped reconstructions per ratio.
    fn validate(&self) -> candle_core::Result<Vec<(String, f64)>> {
        let wrap = candle_core::Error::wrap;
        let mut metrics = Vec::new();
        for held in &self.held {
            let measured = held.operator.measure(&held.measurements).map_err(wrap)?;
            let states = self
                .idm
                .chain
                .reconstruct(&measured)?
                .to_dtype(DType::F32)?;
            let images = truth_of(&states)?.clamp(0.0, 1.0)?;
            let psnr = mean_psnr(&images, &held.truth)?;
            metrics.push((format!("psnr cs{:.2}", held.ratio), psnr));
        }
        Ok(metrics)
    }
}

/// The mean over rows of `10 log₁₀(1/mse)`.
pub fn mean_psnr(images: &Tensor, truth: &Tensor) -> candle_core::Result<f64> {
    let mse = (images - truth)?
        .sqr()?
        .mean(1)?
        .to_dtype(DType::F64)?
        .to_vec1::<f64>()?;
    let psnr: Vec<f64> = mse.iter().map(|m| -10.0 * m.max(1e-20).log10()).collect();
    Ok(psnr.iter().sum::<f64>() / psnr.len().max(1) as f64)
}
