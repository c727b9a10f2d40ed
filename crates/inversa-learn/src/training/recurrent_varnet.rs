//! Training a Recurrent Variational Network ([`crate::models::recurrent_varnet`]) on the same
//! simulated multi-coil k-space of MNI152 T1 slices as the RIM ([`crate::training::rim`]: random
//! crops, 2/4/8 coils with random phases, random or variable-density lines at 4× or 8×, noise).
//!
//! The network is given coil maps as a scanner pipeline would have them: for half the samples the
//! true maps, for the other half the low-resolution estimate from the acquired centre of k-space
//! (each coil's image through a Hann window of the central lines, divided by the root-sum-of-
//! squares; McKenzie et al., MRM 2002), so the sensitivity refinement has something to correct.
//!
//! The loss is the mean squared error of the output `E* w_T` against the image (imaginary part
//! zero: the true maps carry all the phase), on the final block only, as the paper trains it.
//! The samples are unrolled one by one, since their coil counts differ.
//!
//! Validation: the PSNR of the output's real part on the held-out slices at 4× and 8× with the
//! RIM's fixed acquisitions and the true maps, as the task files run it.

use crate::data::image_folder::ImageFolder;
use crate::models::recurrent_varnet::kspace::{dft, inverse, normalise, Complex2};
use crate::models::recurrent_varnet::{KspaceProblem, RecurrentVarNet, RecurrentVarNetConfig};
use crate::training::rim::{Acquisition, MriCase, VALIDATION_ACCELERATIONS};
use crate::training::{initialise, named_vars, Trainable};
use candle_core::{DType, Device, Result, Tensor};
use candle_nn::{VarBuilder, VarMap};
use inversa::metrics::psnr;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::collections::HashMap;

/// One case as the RVN takes it, at the network's scale.
pub struct KspaceCase {
    /// `[1, coils, H, W, 2]`.
    pub measurement: Tensor,
    /// `[1, 1, H, W, 1]`.
    pub mask: Tensor,
    /// `[1, coils, H, W]` each.
    pub maps: Complex2,
    /// `[1, 2, H, W]`: the image and a zero imaginary part.
    pub target: Tensor,
}

impl KspaceCase {
    /// The RVN's view of a simulated `case`, with its true maps or (`estimate_maps`) the
    /// low-resolution estimate from `centre_lines` central lines.
    pub fn from_case(case: &MriCase, estimate_maps: bool, centre_lines: usize) -> Result<Self> {
        let sense = case.operator.cartesian_sense().ok_or_else(|| {
            candle_core::Error::Msg("the simulated case is not Cartesian SENSE".into())
        })?;
        let (_, _, h, w) = case.truth.dims4()?;
        let coils = sense.coil_maps.len() / (h * w);
        let measurement = case.measurement.reshape((1, coils, h, w, 2))?;
        let mask: Vec<f32> = sense
            .acquired
            .iter()
            .map(|&a| f32::from(u8::from(a)))
            .collect();
        let mask = Tensor::from_vec(mask, (1, 1, h, w, 1), &Device::Cpu)?;
        let part = |f: fn(&num_complex::Complex<f32>) -> f32| {
            let v: Vec<f32> = sense.coil_maps.iter().map(f).collect();
            Tensor::from_vec(v, (1, coils, h, w), &Device::Cpu)
        };
        let maps = match estimate_maps {
            false => (part(|s| s.re)?, part(|s| s.im)?),
            true => low_resolution_maps(&measurement, centre_lines)?,
        };
        let zeros = case.truth.zeros_like()?;
        Ok(Self {
            measurement,
            mask,
            maps,
            target: Tensor::cat(&[&case.truth, &zeros], 1)?,
        })
    }

    /// The network's input.
    pub fn problem(&self) -> KspaceProblem<'_> {
        KspaceProblem {
            measurement: &self.measurement,
            mask: &self.mask,
            maps: &self.maps,
        }
    }
}

/// `0.5 (1 + cos(π f / r))` for the signed frequency `f` of index `i` of `n`, zero beyond `r`.
fn hann(i: usize, n: usize, radius: f64) -> f32 {
    let f = if i < n.div_ceil(2) {
        i as f64
    } else {
        i as f64 - n as f64
    };
    if f.abs() >= radius {
        return 0.0;
    }
    (0.5 * (1.0 + (std::f64::consts::PI * f / radius).cos())) as f32
}

/// Maps from the centre of k-space `[1, coils, H, W, 2]`: each coil's image through a 2-D Hann
/// window of half-width `max(3, centre_lines / 2)`, divided by the root-sum-of-squares.
pub fn low_resolution_maps(kspace: &Tensor, centre_lines: usize) -> Result<Complex2> {
    let (_, coils, h, w, _) = kspace.dims5()?;
    let radius = (centre_lines as f64 / 2.0).max(3.0);
    let window: Vec<f32> = (0..h * w)
        .map(|p| hann(p / w, h, radius) * hann(p % w, w, radius))
        .collect();
    let window = Tensor::from_vec(window, (1, 1, h, w, 1), &Device::Cpu)?;
    let low = kspace.broadcast_mul(&window)?.reshape((coils, h, w, 2))?;
    let (re, im) = inverse(&low, &dft(h, w)?)?;
    normalise(&(re.reshape((1, coils, h, w))?, im.reshape((1, coils, h, w))?))
}

/// The central lines an acquisition always keeps, `round(center_fraction · W)`.
fn centre_lines(acquisition: &Acquisition, width: usize) -> usize {
    (acquisition.mask.center_fraction * width as f64).round() as usize
}

/// An RVN with its training slices and fixed validation cases.
pub struct RecurrentVarNetTraining {
    varmap: VarMap,
    net: RecurrentVarNet,
    images: ImageFolder,
    /// Per validation acceleration, one case per held-out slice.
    validation: Vec<(f64, Vec<KspaceCase>)>,
}

impl RecurrentVarNetTraining {
    /// A fresh RVN of `config` trained on `images`, validated on `held_out` (`[H, W]` images).
    pub fn new(
        config: RecurrentVarNetConfig,
        images: ImageFolder,
        held_out: &[(usize, usize, Vec<f32>)],
    ) -> Result<Self> {
        let varmap = VarMap::new();
        let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
        let net = RecurrentVarNet::new(vb, config)?;
        let validation = VALIDATION_ACCELERATIONS
            .iter()
            .map(|&r| {
                let cases = held_out
                    .iter()
                    .enumerate()
                    .map(|(i, (h, w, image))| {
                        let acquisition = Acquisition::validation(r, i as u64);
                        let case = MriCase::simulate(image, (*h, *w), &acquisition)?;
                        KspaceCase::from_case(&case, false, centre_lines(&acquisition, *w))
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
    pub fn net(&self) -> &RecurrentVarNet {
        &self.net
    }
}

impl Trainable for RecurrentVarNetTraining {
    fn varmap(&self) -> &VarMap {
        &self.varmap
    }

    fn metadata(&self) -> HashMap<String, String> {
        self.net.config().metadata()
    }

    /// The default uniform draw, then every step size `α_t` at 1: a full data-consistency step,
    /// where the paper starts it.
    fn initialise(&self, seed: u64) -> Result<()> {
        initialise(&self.varmap, seed)?;
        for (name, var) in named_vars(&self.varmap) {
            if name.ends_with("step_size") {
                var.set(&var.as_tensor().ones_like()?)?;
            }
        }
        Ok(())
    }

    fn loss(
        &self,
        _step: usize,
        rng: &mut ChaCha8Rng,
        batch: usize,
        crop: usize,
    ) -> Result<Tensor> {
        let crops = self.images.sample_batch(rng, batch, crop)?;
        let mut total = Tensor::zeros((), DType::F32, &Device::Cpu)?;
        for b in 0..batch {
            let image = crops.get(b)?.flatten_all()?.to_vec1::<f32>()?;
            let acquisition = Acquisition::draw(rng);
            let case = MriCase::simulate(&image, (crop, crop), &acquisition)?;
            let estimate = rng.gen_bool(0.5);
            let case = KspaceCase::from_case(&case, estimate, centre_lines(&acquisition, crop))?;
            let images = self.net.unroll(&case.problem())?;
            let Some(last) = images.last() else {
                candle_core::bail!("a Recurrent VarNet of zero blocks");
            };
            total = (total + (last - &case.target)?.sqr()?.mean_all()?)?;
        }
        total / batch as f64
    }

    /// Mean PSNR of the output's real part over the held-out slices, per acceleration.
    fn validate(&self) -> Result<Vec<(String, f64)>> {
        let mut metrics = Vec::new();
        for (acceleration, cases) in &self.validation {
            let mut sum = 0.0;
            for case in cases {
                let images = self.net.unroll(&case.problem())?;
                let Some(last) = images.last() else {
                    candle_core::bail!("a Recurrent VarNet of zero blocks");
                };
                let x = last.narrow(1, 0, 1)?.flatten_all()?.to_vec1::<f32>()?;
                let truth = case
                    .target
                    .narrow(1, 0, 1)?
                    .flatten_all()?
                    .to_vec1::<f32>()?;
                let peak = truth.iter().fold(0f32, |m, v| m.max(*v));
                sum += psnr(&x, &truth, f64::from(peak));
            }
            metrics.push((format!("psnr {acceleration}x"), sum / cases.len() as f64));
        }
        Ok(metrics)
    }
}
