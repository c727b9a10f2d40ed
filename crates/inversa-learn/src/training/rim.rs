//! Training a Recurrent Inference Machine ([`crate::models::rim`]) on simulated multi-coil
//! Cartesian k-space of real MR images: slices of the MNI152 T1 template (the bundled
//! [`crate::models::bundled::mni152_t1`] slices), as Karkalousos et al. train on T1-weighted brains
//! and test on other contrasts (arXiv:2012.07819, §2.3–2.4).
//!
//! Every sample draws its own acquisition: a random 64×64 crop under one of the 8 square
//! symmetries, 2, 4 or 8 coils ([`inversa::operators::mri::synthetic_coil_maps`] with a random
//! phase per coil), a random or variable-density line mask at 4× or 8× with 8% or 15% of the
//! lines in the always-kept centre (8% only at 8×), and complex Gaussian noise of σ ∈ [0, 0.02] on the acquired
//! samples. The measurement and the image are scaled so that the zero-filled image `A*y` has a
//! 99th percentile of 1 ([`crate::models::rim::input_scale`]), the scale the network runs at.
//!
//! The loss is the mean over the `T` steps of the mean squared error of each iterate (Lønning et
//! al. 2019, eq. 6, with equal weights), so every step learns to improve on the last; the
//! gradient flows through the operator by its adjoint ([`crate::nn::operator_bridge`]).
//!
//! Validation: the PSNR of the last iterate on the held-out test slices, at 4× and 8×
//! (variable-density lines, 4 coils, σ = 0.005, fixed masks), on the scale where the image's
//! maximum is its peak.

use crate::data::image_folder::ImageFolder;
use crate::models::rim::{input_scale, Rim, RimConfig};
use crate::nn::operator_bridge::{LinearOperatorExt, SharedOperator};
use crate::training::Trainable;
use candle_core::{DType, Device, Result, Tensor};
use candle_nn::{VarBuilder, VarMap};
use inversa::metrics::psnr;
use inversa::operators::kspace_mask::{LineMask, MaskKind};
use inversa::operators::mri::{synthetic_coil_maps, Mri};
use inversa::operators::LinearOperator;
use num_complex::Complex;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use std::collections::HashMap;
use std::sync::Arc;

/// The accelerations validation reports.
pub const VALIDATION_ACCELERATIONS: [f64; 2] = [4.0, 8.0];

/// How one sample is acquired.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Acquisition {
    pub coils: usize,
    pub mask: LineMask,
    /// σ of the complex noise on each acquired sample (real and imaginary parts alike), on the
    /// image's own scale (the DFT is unitary).
    pub noise: f32,
    /// Seeds the mask, the coil phases and the noise.
    pub seed: u64,
}

impl Acquisition {
    /// A random acquisition as the training draws them.
    pub fn draw(rng: &mut impl Rng) -> Self {
        let kind = match rng.gen_bool(0.5) {
            true => MaskKind::Random,
            false => MaskKind::VariableDensity,
        };
        let acceleration = [4.0, 8.0][rng.gen_range(0..2)];
        // 15% of the lines in the centre is more than 8× keeps in all.
        let center_fraction = match acceleration < 8.0 && rng.gen_bool(0.5) {
            true => 0.15,
            false => 0.08,
        };
        Self {
            coils: [2, 4, 8][rng.gen_range(0..3)],
            mask: LineMask {
                kind,
                acceleration,
                center_fraction,
            },
            noise: rng.gen_range(0.0..0.02),
            seed: rng.gen(),
        }
    }

    /// The fixed acquisition validation uses at `acceleration`.
    pub fn validation(acceleration: f64, seed: u64) -> Self {
        Self {
            coils: 4,
            mask: LineMask {
                kind: MaskKind::VariableDensity,
                acceleration,
                center_fraction: 0.08,
            },
            noise: 0.005,
            seed,
        }
    }
}

/// One simulated reconstruction problem, already at the network's scale.
pub struct MriCase {
    pub operator: SharedOperator,
    /// `[1, …output shape]`.
    pub measurement: Tensor,
    /// `[1, 1, H, W]`.
    pub truth: Tensor,
    /// `A*y`, `[1, 1, H, W]`.
    pub zero_filled: Tensor,
}

impl MriCase {
    /// The case of the `h × w` `image` under `acquisition`.
    pub fn simulate(image: &[f32], (h, w): (usize, usize), acq: &Acquisition) -> Result<Self> {
        let wrap = candle_core::Error::wrap;
        let mut rng = ChaCha8Rng::seed_from_u64(acq.seed);
        let mut maps = synthetic_coil_maps::<f32>(acq.coils, h, w);
        for map in maps.chunks_mut(h * w) {
            let phase = Complex::from_polar(1.0, rng.gen_range(0.0..std::f32::consts::TAU));
            map.iter_mut().for_each(|s| *s *= phase);
        }
        let sampled = acq.mask.sample(w, rng.gen()).map_err(wrap)?;
        let mri = Mri::new(&[1, h, w], maps, sampled.clone()).map_err(wrap)?;
        let mut y = mri.apply_new(image);
        // y is [1, coils, H, W, 2]: column j of every coil and row is acquired when sampled[j].
        for (k, value) in y.iter_mut().enumerate() {
            if sampled[(k / 2) % w] {
                *value += acq.noise * rng.sample::<f32, _>(StandardNormal);
            }
        }
        let x0 = mri.adjoint_new(&y);
        let scale = input_scale(&x0);
        let out_shape: Vec<usize> = std::iter::once(1)
            .chain(mri.output_shape().iter().copied())
            .collect();
        let tensor = |v: Vec<f32>, shape: &[usize]| {
            Tensor::from_vec(
                v.iter().map(|a| a * scale).collect::<Vec<_>>(),
                shape,
                &Device::Cpu,
            )
        };
        Ok(Self {
            measurement: tensor(y, &out_shape)?,
            truth: tensor(image.to_vec(), &[1, 1, h, w])?,
            zero_filled: tensor(x0, &[1, 1, h, w])?,
            operator: Arc::new(mri),
        })
    }
}

/// `A_b*(y_b − A_b x_b)` for each image `x_b` of the batch and its case.
pub fn likelihood_gradient(x: &Tensor, cases: &[MriCase]) -> Result<Tensor> {
    let parts = cases
        .iter()
        .enumerate()
        .map(|(b, case)| {
            let residual =
                (&case.measurement - x.narrow(0, b, 1)?.apply_operator(&case.operator)?)?;
            residual.apply_adjoint(&case.operator)
        })
        .collect::<Result<Vec<_>>>()?;
    Tensor::cat(&parts, 0)
}

/// The RIM's iterates on a batch of cases.
pub fn reconstruct(net: &Rim, cases: &[MriCase]) -> Result<Vec<Tensor>> {
    let x0 = Tensor::cat(&cases.iter().map(|c| &c.zero_filled).collect::<Vec<_>>(), 0)?;
    net.unroll(&x0, |x| likelihood_gradient(x, cases))
}

/// A RIM with its training slices and fixed validation cases.
pub struct RimTraining {
    varmap: VarMap,
    net: Rim,
    images: ImageFolder,
    /// Per validation acceleration, one case per held-out slice.
    validation: Vec<(f64, Vec<MriCase>)>,
}

impl RimTraining {
    /// A fresh RIM of `config` trained on `images`, validated on `held_out` (`[H, W]` images).
    pub fn new(
        config: RimConfig,
        images: ImageFolder,
        held_out: &[(usize, usize, Vec<f32>)],
    ) -> Result<Self> {
        let varmap = VarMap::new();
        let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
        let net = Rim::new(vb, config)?;
        let validation = VALIDATION_ACCELERATIONS
            .iter()
            .map(|&r| {
                let cases = held_out
                    .iter()
                    .enumerate()
                    .map(|(i, (h, w, image))| {
                        MriCase::simulate(image, (*h, *w), &Acquisition::validation(r, i as u64))
                    })
                    .collect::<Result<Vec<_>>>()?;
                Ok((r, cases))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            varmap,
            net,
            images,
            validation,
        })
    }

    /// The network being trained.
    pub fn net(&self) -> &Rim {
        &self.net
    }
}

impl Trainable for RimTraining {
    fn varmap(&self) -> &VarMap {
        &self.varmap
    }

    fn metadata(&self) -> HashMap<String, String> {
        self.net.config().metadata()
    }

    fn loss(
        &self,
        _step: usize,
        rng: &mut ChaCha8Rng,
        batch: usize,
        crop: usize,
    ) -> Result<Tensor> {
        let crops = self.images.sample_batch(rng, batch, crop)?;
        let cases = (0..batch)
            .map(|b| {
                let image = crops.get(b)?.flatten_all()?.to_vec1::<f32>()?;
                MriCase::simulate(&image, (crop, crop), &Acquisition::draw(rng))
            })
            .collect::<Result<Vec<_>>>()?;
        let truth = Tensor::cat(&cases.iter().map(|c| &c.truth).collect::<Vec<_>>(), 0)?;
        let iterates = reconstruct(&self.net, &cases)?;
        let steps = iterates.len() as f64;
        let mut total = Tensor::zeros((), DType::F32, &Device::Cpu)?;
        for x in &iterates {
            total = (total + (x - &truth)?.sqr()?.mean_all()?)?;
        }
        total / steps
    }

    /// Mean PSNR of the last iterate over the held-out slices, per acceleration.
    fn validate(&self) -> Result<Vec<(String, f64)>> {
        let mut metrics = Vec::new();
        for (acceleration, cases) in &self.validation {
            let mut sum = 0.0;
            for case in cases {
                let iterates = reconstruct(&self.net, std::slice::from_ref(case))?;
                let Some(last) = iterates.last() else {
                    candle_core::bail!("a RIM of zero steps");
                };
                let x = last.flatten_all()?.to_vec1::<f32>()?;
                let truth = case.truth.flatten_all()?.to_vec1::<f32>()?;
                let peak = truth.iter().fold(0f32, |m, v| m.max(*v));
                sum += psnr(&x, &truth, f64::from(peak));
            }
            metrics.push((format!("psnr {acceleration}x"), sum / cases.len() as f64));
        }
        Ok(metrics)
    }
}
