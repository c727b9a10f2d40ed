//! DRUNet: Zhang, Li, Zuo, Zhang, Van Gool, Timofte, "Plug-and-Play Image Restoration with Deep
//! Denoiser Prior", IEEE TPAMI 2021 — the denoiser DPIR plugs in, here small enough to train on
//! two CPU cores, grey, told the noise level by a constant map.
//!
//! A U-Net of four scales: a 3×3 head, then at each of three scales `blocks` residual blocks
//! (`x + conv(relu(conv(x)))`) and a 2×2 stride-2 convolution down; `blocks` residual blocks at the
//! coarsest scale; then mirrored 2×2 stride-2 transposed convolutions up, each added to the skip
//! connection of its scale and followed by residual blocks; a 3×3 tail. No biases, as in the
//! paper. The output is the clean image itself (not a residual).
//!
//! The strided convolutions are written exactly as a 2×2 pixel unshuffle followed by a 1×1
//! convolution (down) and a 1×1 convolution followed by a pixel shuffle (up), so every layer runs
//! on the stride-1 convolution of [`crate::nn::conv2d`]. Images are padded (repeating the border) to a
//! multiple of 8 and cropped back.

use crate::models::ffdnet::{pixel_shuffle, pixel_unshuffle};
use crate::nn::conv2d::Conv2d;
use candle_core::{DType, Device, Module, Result, Tensor};
use candle_nn::{Init, VarBuilder};
use std::collections::HashMap;
use std::path::Path;

/// The safetensors metadata value of `architecture` in DRUNet weights.
pub const ARCHITECTURE: &str = "drunet";

/// Scales of the U-Net (three downsamplings).
const SCALES: usize = 4;

/// The network's size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DrunetConfig {
    /// Channels at the finest scale, doubled at each coarser one (the paper: 64).
    pub channels: usize,
    /// Residual blocks per scale (the paper: 4).
    pub blocks: usize,
}

impl Default for DrunetConfig {
    /// Sized to train in about 20 minutes on 2 CPU cores.
    fn default() -> Self {
        Self {
            channels: 16,
            blocks: 2,
        }
    }
}

impl DrunetConfig {
    /// The `architecture`, `channels` and `blocks` metadata of a weights file.
    pub fn metadata(&self) -> HashMap<String, String> {
        crate::nn::weights::metadata(
            ARCHITECTURE,
            &[("channels", &self.channels), ("blocks", &self.blocks)],
        )
    }

    /// Reads the architecture back from a weights file's metadata; `origin` names it in errors.
    pub fn from_metadata(
        metadata: &HashMap<String, String>,
        origin: &Path,
    ) -> inversa::Result<Self> {
        crate::nn::weights::expect_architecture(metadata, ARCHITECTURE, "DRUNet weights", origin)?;
        let number = |key| crate::nn::weights::positive_metadata(metadata, key, origin);
        Ok(Self {
            channels: number("channels")?,
            blocks: number("blocks")?,
        })
    }

    /// Channels at scale `s` (0 = finest).
    fn at(&self, s: usize) -> usize {
        self.channels << s
    }
}

/// `x + conv(relu(conv(x)))`.
struct ResidualBlock {
    first: Conv2d,
    second: Conv2d,
}

impl ResidualBlock {
    fn new(channels: usize, vb: VarBuilder) -> Result<Self> {
        Ok(Self {
            first: conv(channels, channels, 3, vb.pp("conv0"))?,
            second: conv(channels, channels, 3, vb.pp("conv1"))?,
        })
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        x + self.second.forward(&self.first.forward_relu(x)?)?
    }
}

/// A bias-free `k×k` convolution with "same" padding, initialised uniform ±1/√fan-in.
fn conv(input: usize, output: usize, kernel: usize, vb: VarBuilder) -> Result<Conv2d> {
    let bound = 1.0 / ((input * kernel * kernel) as f64).sqrt();
    let init = Init::Uniform {
        lo: -bound,
        up: bound,
    };
    let weight = vb.get_with_hints((output, input, kernel, kernel), "weight", init)?;
    Ok(Conv2d::new(weight, None, kernel / 2))
}

/// One scale: residual blocks, and the 1×1 convolution of a resampling (down on the way in, up
/// on the way out).
struct Scale {
    blocks: Vec<ResidualBlock>,
    resample: Conv2d,
}

/// The grey, noise-level-aware DRUNet.
pub struct Drunet {
    config: DrunetConfig,
    head: Conv2d,
    down: Vec<Scale>,
    body: Vec<ResidualBlock>,
    up: Vec<Scale>,
    tail: Conv2d,
}

impl Drunet {
    /// The network with its weights under `vb`.
    pub fn new(vb: VarBuilder, config: DrunetConfig) -> Result<Self> {
        let blocks = |channels: usize, vb: VarBuilder| -> Result<Vec<ResidualBlock>> {
            (0..config.blocks)
                .map(|j| ResidualBlock::new(channels, vb.pp(format!("res{j}"))))
                .collect()
        };
        let down = (0..SCALES - 1)
            .map(|s| {
                let vb = vb.pp(format!("down{s}"));
                Ok(Scale {
                    blocks: blocks(config.at(s), vb.clone())?,
                    resample: conv(4 * config.at(s), config.at(s + 1), 1, vb.pp("down"))?,
                })
            })
            .collect::<Result<_>>()?;
        let up = (0..SCALES - 1)
            .map(|s| {
                let vb = vb.pp(format!("up{s}"));
                Ok(Scale {
                    blocks: blocks(config.at(s), vb.clone())?,
                    resample: conv(config.at(s + 1), 4 * config.at(s), 1, vb.pp("up"))?,
                })
            })
            .collect::<Result<_>>()?;
        Ok(Self {
            config,
            head: conv(2, config.at(0), 3, vb.pp("head"))?,
            down,
            body: blocks(config.at(SCALES - 1), vb.pp("body"))?,
            up,
            tail: conv(config.at(0), 1, 3, vb.pp("tail"))?,
        })
    }

    /// The network from safetensors `bytes` (architecture in the metadata); `origin` names them in
    /// errors.
    pub fn from_safetensors(bytes: &[u8], origin: &Path) -> inversa::Result<Self> {
        let (tensors, metadata) = crate::nn::weights::read_safetensors(bytes, origin)?;
        let config = DrunetConfig::from_metadata(&metadata, origin)?;
        let vb = VarBuilder::from_tensors(tensors, DType::F32, &Device::Cpu);
        Self::new(vb, config).map_err(|e| inversa::Error::format(origin, e.to_string()))
    }

    /// The network's size.
    pub fn config(&self) -> DrunetConfig {
        self.config
    }

    /// Denoises a `[B, 1, H, W]` batch, sample `b` having noise level `sigmas[b]` (`[B]`).
    pub fn forward(&self, noisy: &Tensor, sigmas: &Tensor) -> Result<Tensor> {
        let (batch, _, h, w) = noisy.dims4()?;
        let multiple = 1 << (SCALES - 1);
        let (ph, pw) = (
            (multiple - h % multiple) % multiple,
            (multiple - w % multiple) % multiple,
        );
        let padded = noisy.pad_with_same(2, 0, ph)?.pad_with_same(3, 0, pw)?;
        let level = sigmas
            .reshape((batch, 1, 1, 1))?
            .broadcast_as((batch, 1, h + ph, w + pw))?;
        let mut x = self.head.forward(&Tensor::cat(&[&padded, &level], 1)?)?;
        let mut skips = Vec::with_capacity(SCALES);
        for scale in &self.down {
            skips.push(x.clone());
            x = run_blocks(&scale.blocks, &x)?;
            x = scale.resample.forward(&pixel_unshuffle(&x)?)?;
        }
        let mut x = (run_blocks(&self.body, &x)? + &x)?;
        for (scale, skip) in self.up.iter().zip(skips).rev() {
            x = pixel_shuffle(&scale.resample.forward(&x)?)?;
            x = (run_blocks(&scale.blocks, &x)? + skip)?;
        }
        self.tail.forward(&x)?.narrow(2, 0, h)?.narrow(3, 0, w)
    }

    /// [`Drunet::forward`] with one noise level for the whole batch.
    pub fn forward_level(&self, noisy: &Tensor, sigma: f32) -> Result<Tensor> {
        let batch = noisy.dim(0)?;
        self.forward(noisy, &Tensor::full(sigma, batch, noisy.device())?)
    }
}

fn run_blocks(blocks: &[ResidualBlock], x: &Tensor) -> Result<Tensor> {
    blocks
        .iter()
        .try_fold(x.clone(), |x, block| block.forward(&x))
}
