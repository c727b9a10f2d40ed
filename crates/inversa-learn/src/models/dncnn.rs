//! DnCNN: Zhang, Zuo, Chen, Meng, Zhang, "Beyond a Gaussian denoiser: Residual learning of deep
//! CNN for image denoising", IEEE TIP 2017, doi:10.1109/TIP.2017.2662206 — grey, told the noise
//! level as FFDNet is, so that one network serves every σ that plug-and-play asks for.
//!
//! The input is the noisy image and a constant map of its noise level σ (2 channels); `depth` 3×3
//! convolutions with `features` channels and ReLU between them predict the noise (the paper's
//! residual learning, eq. (1)), and the output is `x − net(x, σ)`.
//!
//! Unlike the paper there is no batch normalisation: its batch statistics would make the denoiser
//! (and so the prox of a PnP prior) depend on the batch it runs in, and in inference mode they are
//! a per-channel affine map that the next convolution can learn itself. Trained with Adam from the
//! residual output, the network converges without it at the depths used here.
//!
//! The architecture (`depth`, `features`) is stored in the safetensors metadata, so a weights file
//! is loaded without flags.

use crate::nn::conv2d::{conv2d_layer, Conv2d};
use candle_core::{DType, Device, Module, Result, Tensor};
use candle_nn::VarBuilder;
use std::collections::HashMap;
use std::path::Path;

/// The bundled grey weights (trained by `inversa train denoiser`, see `data/README.md`).
pub const GREY_WEIGHTS: &[u8] = include_bytes!("../../../../data/weights/dncnn_grey.safetensors");

/// The safetensors metadata value of `architecture` in DnCNN weights.
pub const ARCHITECTURE: &str = "dncnn";

/// The network's size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DnCnnConfig {
    /// Convolution layers (the paper: 17 for known σ, 20 for blind).
    pub depth: usize,
    /// Channels of the hidden layers (the paper: 64).
    pub features: usize,
}

impl Default for DnCnnConfig {
    /// Sized to train in about 20 minutes on 2 CPU cores (see `data/README.md`).
    fn default() -> Self {
        Self {
            depth: 10,
            features: 32,
        }
    }
}

impl DnCnnConfig {
    /// The `architecture`, `depth` and `features` metadata of a weights file.
    pub fn metadata(&self) -> HashMap<String, String> {
        crate::nn::weights::metadata(
            ARCHITECTURE,
            &[("depth", &self.depth), ("features", &self.features)],
        )
    }

    /// Reads the architecture back from a weights file's metadata; `origin` names it in errors.
    pub fn from_metadata(
        metadata: &HashMap<String, String>,
        origin: &Path,
    ) -> inversa::Result<Self> {
        crate::nn::weights::expect_architecture(metadata, ARCHITECTURE, "DnCNN weights", origin)?;
        let number = |key| crate::nn::weights::positive_metadata(metadata, key, origin);
        let config = Self {
            depth: number("depth")?,
            features: number("features")?,
        };
        config
            .check()
            .map_err(|e| inversa::Error::format(origin, e.to_string()))?;
        Ok(config)
    }

    /// Why the network cannot be built, if it cannot.
    pub fn check(&self) -> crate::Result<()> {
        if self.depth < 2 || self.features == 0 {
            return Err(crate::Error::setting(
                "depth",
                format!(
                    "DnCNN needs depth >= 2 and features >= 1, not depth {} and features {}",
                    self.depth, self.features
                ),
            ));
        }
        Ok(())
    }
}

/// The grey, noise-level-aware DnCNN.
///
/// ```
/// use inversa_learn::{Denoiser, DnCnn};
/// let net = DnCnn::pretrained_grey().unwrap();
/// // Mid-grey plus a ±0.1 checkerboard, which has the spectrum of white noise at its highest frequency.
/// let noisy: Vec<f32> = (0..32 * 32).map(|p| 0.5 + if (p / 32 + p % 32) % 2 == 0 { 0.1 } else { -0.1 }).collect();
/// let mut clean = vec![0.0; noisy.len()];
/// net.denoise(&noisy, &[1, 32, 32], 0.1, &mut clean);
/// let error = clean.iter().map(|v| (v - 0.5).abs()).fold(0.0f32, f32::max);
/// assert!(error < 0.03, "largest error {error}");
/// ```
pub struct DnCnn {
    config: DnCnnConfig,
    layers: Vec<Conv2d>,
}

impl DnCnn {
    /// The network with weights `conv0` … `conv{depth−1}` (`weight` OIHW, `bias`) under `vb`.
    pub fn new(vb: VarBuilder, config: DnCnnConfig) -> Result<Self> {
        config.check().map_err(candle_core::Error::wrap)?;
        let layers = (0..config.depth)
            .map(|i| {
                let input = if i == 0 { 2 } else { config.features };
                let output = if i + 1 == config.depth {
                    1
                } else {
                    config.features
                };
                conv2d_layer(input, output, 3, 1, vb.pp(format!("conv{i}")))
            })
            .collect::<Result<_>>()?;
        Ok(Self { config, layers })
    }

    /// The bundled grey weights.
    pub fn pretrained_grey() -> inversa::Result<Self> {
        Self::from_safetensors(
            GREY_WEIGHTS,
            Path::new("the bundled dncnn_grey.safetensors"),
        )
    }

    /// Reads a weights file written by `inversa train denoiser`.
    pub fn load(path: &Path) -> inversa::Result<Self> {
        let bytes = std::fs::read(path).map_err(|e| inversa::Error::io(path, e))?;
        Self::from_safetensors(&bytes, path)
    }

    /// The network from safetensors `bytes` (architecture in the metadata); `origin` names them in
    /// errors.
    pub fn from_safetensors(bytes: &[u8], origin: &Path) -> inversa::Result<Self> {
        let (tensors, metadata) = crate::nn::weights::read_safetensors(bytes, origin)?;
        let config = DnCnnConfig::from_metadata(&metadata, origin)?;
        let vb = VarBuilder::from_tensors(tensors, DType::F32, &Device::Cpu);
        Self::new(vb, config).map_err(|e| inversa::Error::format(origin, e.to_string()))
    }

    /// The network's size.
    pub fn config(&self) -> DnCnnConfig {
        self.config
    }

    /// Denoises a `[B, 1, H, W]` batch, sample `b` having noise level `sigmas[b]` (`[B]`, on the
    /// [0, 1] intensity scale).
    pub fn forward(&self, noisy: &Tensor, sigmas: &Tensor) -> Result<Tensor> {
        let (batch, _, h, w) = noisy.dims4()?;
        let level = sigmas
            .reshape((batch, 1, 1, 1))?
            .broadcast_as((batch, 1, h, w))?;
        let mut z = Tensor::cat(&[noisy, &level], 1)?;
        for (i, layer) in self.layers.iter().enumerate() {
            z = if i + 1 < self.layers.len() {
                layer.forward_relu(&z)?
            } else {
                layer.forward(&z)?
            };
        }
        noisy - z
    }

    /// [`DnCnn::forward`] with one noise level for the whole batch.
    pub fn forward_level(&self, noisy: &Tensor, sigma: f32) -> Result<Tensor> {
        let batch = noisy.dim(0)?;
        self.forward(noisy, &Tensor::full(sigma, batch, noisy.device())?)
    }
}
