//! The Recurrent Inference Machine for MRI in the efficient form of Karkalousos, Lønning, van
//! Hulst, Dumoulin, Sonke, Vos, Caan, "Reconstructing unseen modalities and pathology with an
//! efficient Recurrent Inference Machine" (arXiv:2012.07819, 2020), after Putzky & Welling,
//! "Recurrent Inference Machines for Solving Inverse Problems" (arXiv:1706.04008, 2017) and
//! Lønning et al., "Recurrent inference machines for reconstructing heterogeneous MRI data"
//! (MedIA 2019).
//!
//! The RIM learns the iteration of an optimiser rather than a prior. From the zero-filled image
//! `x₀ = A*y` it takes `T` steps, each driven by the gradient of the log-likelihood:
//!
//! ```text
//! ∇ₜ = A*(y − A xₜ)                                   (any linear operator A)
//! (Δxₜ, sₜ₊₁) = g_φ([xₜ, ∇ₜ], sₜ)                      (the same weights φ at every step)
//! xₜ₊₁ = xₜ + Δxₜ
//! ```
//!
//! with `g_φ` = 5×5 conv (C channels) + ReLU → recurrent cell → 3×3 conv + ReLU → recurrent cell
//! → 3×3 conv to one channel, and `sₜ` the two cells' hidden states ([`recurrent_unit`]: GRU, MGU
//! or IndRNN, the comparison of the efficient-RIM paper). Training minimises the mean over the
//! steps of `‖xₜ − x‖²` ([`crate::training::rim`]).
//!
//! Departures from the paper, for a 2-core CPU: the images are real (Inversa's MRI image model is
//! real-valued, so there is no phase channel); the middle convolution is not dilated (the fast
//! convolution here has no dilation); and `C` is 16–32 where the paper uses 64–128.
//!
//! The network is not scale-equivariant, so callers feed it images scaled to a 99th percentile of
//! 1 ([`input_scale`]) and scale the result back.

pub mod recurrent_unit;

use crate::nn::conv2d::{conv2d_layer, Conv2d};
use crate::nn::weights::{expect_architecture, metadata, positive_metadata};
use candle_core::{DType, Device, Module, Result, Tensor};
use candle_nn::VarBuilder;
use recurrent_unit::{ConvCell, RecurrentUnit};
use std::collections::HashMap;
use std::path::Path;

/// The safetensors metadata value of `architecture` in RIM weights.
pub const ARCHITECTURE: &str = "rim";

/// The most unrolled steps a RIM may have: training keeps every step's activations, and a weights
/// file asking for more is damaged or hostile.
pub const MAX_STEPS: usize = 64;

/// The RIM's size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RimConfig {
    /// Hidden channels of every layer and cell.
    pub channels: usize,
    /// Unrolled steps `T`.
    pub steps: usize,
    pub unit: RecurrentUnit,
}

impl Default for RimConfig {
    fn default() -> Self {
        Self {
            channels: 16,
            steps: 8,
            unit: RecurrentUnit::IndRnn,
        }
    }
}

impl RimConfig {
    /// The `architecture`, `channels`, `steps` and `unit` metadata of a weights file.
    pub fn metadata(&self) -> HashMap<String, String> {
        metadata(
            ARCHITECTURE,
            &[
                ("channels", &self.channels),
                ("steps", &self.steps),
                ("unit", &self.unit),
            ],
        )
    }

    /// Reads the configuration back from a weights file's metadata; `origin` names it in errors.
    pub fn from_metadata(
        metadata: &HashMap<String, String>,
        origin: &Path,
    ) -> inversa::Result<Self> {
        expect_architecture(metadata, ARCHITECTURE, "RIM weights", origin)?;
        let unit = metadata
            .get("unit")
            .ok_or_else(|| "missing".to_string())
            .and_then(|u| u.parse())
            .map_err(|e| inversa::Error::format(origin, format!("metadata \"unit\": {e}")))?;
        let steps = positive_metadata(metadata, "steps", origin)?;
        if steps > MAX_STEPS {
            return Err(inversa::Error::format(
                origin,
                format!("metadata \"steps\" is {steps}, more than a RIM's {MAX_STEPS}"),
            ));
        }
        Ok(Self {
            channels: positive_metadata(metadata, "channels", origin)?,
            steps,
            unit,
        })
    }
}

/// The network `g_φ` and its unrolling; images are `[B, 1, H, W]`.
#[derive(Clone, Debug)]
pub struct Rim {
    config: RimConfig,
    lift: Conv2d,
    first: ConvCell,
    middle: Conv2d,
    second: ConvCell,
    out: Conv2d,
}

impl Rim {
    /// The network of `config` with its weights under `vb` (keys `lift`, `first`, `middle`,
    /// `second`, `out`).
    pub fn new(vb: VarBuilder, config: RimConfig) -> Result<Self> {
        let c = config.channels;
        Ok(Self {
            config,
            lift: conv2d_layer(2, c, 5, 2, vb.pp("lift"))?,
            first: ConvCell::new(config.unit, c, vb.pp("first"))?,
            middle: conv2d_layer(c, c, 3, 1, vb.pp("middle"))?,
            second: ConvCell::new(config.unit, c, vb.pp("second"))?,
            out: conv2d_layer(c, 1, 3, 1, vb.pp("out"))?,
        })
    }

    /// The network from safetensors `bytes` (configuration in the metadata); `origin` names them
    /// in errors.
    pub fn from_safetensors(bytes: &[u8], origin: &Path) -> inversa::Result<Self> {
        let (tensors, metadata) = crate::nn::weights::read_safetensors(bytes, origin)?;
        let config = RimConfig::from_metadata(&metadata, origin)?;
        let vb = VarBuilder::from_tensors(tensors, DType::F32, &Device::Cpu);
        Self::new(vb, config).map_err(|e| inversa::Error::format(origin, e.to_string()))
    }

    /// The network's configuration.
    pub fn config(&self) -> RimConfig {
        self.config
    }

    /// The `T` iterates `x₁ … x_T` from `x0`, with `likelihood_gradient(x) = A*(y − A x)` for
    /// each image of the batch.
    pub fn unroll(
        &self,
        x0: &Tensor,
        mut likelihood_gradient: impl FnMut(&Tensor) -> Result<Tensor>,
    ) -> Result<Vec<Tensor>> {
        let (b, _, h, w) = x0.dims4()?;
        let zeros = Tensor::zeros((b, self.config.channels, h, w), DType::F32, x0.device())?;
        let (mut s1, mut s2) = (zeros.clone(), zeros);
        let mut x = x0.clone();
        let mut iterates = Vec::with_capacity(self.config.steps);
        for _ in 0..self.config.steps {
            let gradient = likelihood_gradient(&x)?;
            let features = self.lift.forward_relu(&Tensor::cat(&[&x, &gradient], 1)?)?;
            s1 = self.first.step(&features, &s1)?;
            s2 = self.second.step(&self.middle.forward_relu(&s1)?, &s2)?;
            x = (x + self.out.forward(&s2)?)?;
            iterates.push(x.clone());
        }
        Ok(iterates)
    }
}

/// The factor that brings an image to a 99th percentile of |x| equal to 1 (1 for an image that
/// is zero at that percentile), the normalisation the RIM is trained and run at.
pub fn input_scale(image: &[f32]) -> f32 {
    let mut magnitudes: Vec<f32> = image.iter().map(|v| v.abs()).collect();
    if magnitudes.is_empty() {
        return 1.0;
    }
    let rank = ((magnitudes.len() - 1) as f64 * 0.99).round() as usize;
    let (_, pth, _) = magnitudes.select_nth_unstable_by(rank, f32::total_cmp);
    if *pth > 0.0 && pth.is_finite() {
        1.0 / *pth
    } else {
        1.0
    }
}

#[cfg(test)]
mod tests;
