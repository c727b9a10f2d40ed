//! A denoiser as the core solvers see it: a map from a noisy `[C, H, W]` image and a noise level to
//! a clean one, on plain `f32` slices.

use crate::models::dncnn::{DnCnn, DnCnnConfig};
use crate::models::drunet::{Drunet, DrunetConfig};
use crate::models::ffdnet::FfdNet;
use candle_core::{Device, Tensor};
use candle_nn::VarBuilder;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// Removes Gaussian noise of a given standard deviation (on the [0, 1] intensity scale).
pub trait Denoiser: Send + Sync {
    /// A short name for reports.
    fn name(&self) -> &str;
    /// Whether `[C, H, W]` images can be denoised (checked once, when a task is built).
    fn supports(&self, shape: &[usize]) -> crate::Result<()>;
    /// Writes the denoised `image` (of a supported `shape`) into `out`.
    fn denoise(&self, image: &[f32], shape: &[usize], sigma: f32, out: &mut [f32]);
}

impl Denoiser for FfdNet {
    fn name(&self) -> &str {
        "ffdnet"
    }

    fn supports(&self, shape: &[usize]) -> crate::Result<()> {
        match shape {
            [1 | 3, h, w] if *h >= 2 && *w >= 2 => Ok(()),
            _ => Err(crate::Error::setting(
                "shape",
                format!("FFDNet denoises grey or RGB images of at least 2×2 pixels, not {shape:?}"),
            )),
        }
    }

    /// Grey images go through the colour network as three equal channels; the output channels are
    /// averaged back to grey. Their noise is then identical in the three channels, so the network's
    /// luminance sees √3 times the level it learned for independent colour noise of the same σ;
    /// telling it σ·√3 makes it remove all of it (on a grey test image with σ = 25/255: +16.7 dB
    /// instead of +3.5 dB).
    #[allow(
        clippy::expect_used,
        reason = "`supports` accepted the shape when the task was built"
    )]
    fn denoise(&self, image: &[f32], shape: &[usize], sigma: f32, out: &mut [f32]) {
        let (c, h, w) = (shape[0], shape[1], shape[2]);
        let run = || -> candle_core::Result<Vec<f32>> {
            let x = Tensor::from_slice(image, (1, c, h, w), &Device::Cpu)?;
            let rgb = if c == 1 { x.repeat((1, 3, 1, 1))? } else { x };
            let level = if c == 1 { sigma * 3f32.sqrt() } else { sigma };
            let clean = self.forward(&rgb, level)?;
            let clean = if c == 1 {
                clean.mean_keepdim(1)?
            } else {
                clean
            };
            clean.flatten_all()?.to_vec1::<f32>()
        };
        // `supports` accepted the shape when the task was built; a failure here is a bug.
        let clean = run().expect("FFDNet forward on a supported shape");
        out.copy_from_slice(&clean);
    }
}

/// A grey network told each sample's noise level, as `inversa train denoiser` trains them
/// (DnCNN, DRUNet). Colour images are denoised channel by channel, as one batch.
pub trait NoiseLevelNetwork: Denoiser {
    /// Denoises a `[B, 1, H, W]` batch, sample `b` having noise level `sigmas[b]` (`[B]`, on the
    /// [0, 1] intensity scale).
    fn forward(&self, noisy: &Tensor, sigmas: &Tensor) -> candle_core::Result<Tensor>;
    /// The weights file's metadata: the architecture and its size.
    fn metadata(&self) -> HashMap<String, String>;
}

impl NoiseLevelNetwork for DnCnn {
    fn forward(&self, noisy: &Tensor, sigmas: &Tensor) -> candle_core::Result<Tensor> {
        DnCnn::forward(self, noisy, sigmas)
    }

    fn metadata(&self) -> HashMap<String, String> {
        self.config().metadata()
    }
}

impl NoiseLevelNetwork for Drunet {
    fn forward(&self, noisy: &Tensor, sigmas: &Tensor) -> candle_core::Result<Tensor> {
        Drunet::forward(self, noisy, sigmas)
    }

    fn metadata(&self) -> HashMap<String, String> {
        self.config().metadata()
    }
}

impl Denoiser for DnCnn {
    fn name(&self) -> &str {
        "dncnn"
    }

    fn supports(&self, shape: &[usize]) -> crate::Result<()> {
        grey_network_supports("DnCNN", shape)
    }

    fn denoise(&self, image: &[f32], shape: &[usize], sigma: f32, out: &mut [f32]) {
        denoise_channels(self, image, shape, sigma, out);
    }
}

impl Denoiser for Drunet {
    fn name(&self) -> &str {
        "drunet"
    }

    fn supports(&self, shape: &[usize]) -> crate::Result<()> {
        grey_network_supports("DRUNet", shape)
    }

    fn denoise(&self, image: &[f32], shape: &[usize], sigma: f32, out: &mut [f32]) {
        denoise_channels(self, image, shape, sigma, out);
    }
}

fn grey_network_supports(name: &str, shape: &[usize]) -> crate::Result<()> {
    match shape {
        [c, h, w] if *c >= 1 && *h >= 1 && *w >= 1 => Ok(()),
        _ => Err(crate::Error::setting(
            "shape",
            format!("{name} denoises [channels, height, width] images, not {shape:?}"),
        )),
    }
}

/// Runs a grey network on each channel of `image`, as one batch.
#[allow(
    clippy::expect_used,
    reason = "`supports` accepted the shape when the task was built"
)]
fn denoise_channels<N: NoiseLevelNetwork>(
    net: &N,
    image: &[f32],
    shape: &[usize],
    sigma: f32,
    out: &mut [f32],
) {
    let (c, h, w) = (shape[0], shape[1], shape[2]);
    let run = || -> candle_core::Result<Vec<f32>> {
        let x = Tensor::from_slice(image, (c, 1, h, w), &Device::Cpu)?;
        let sigmas = Tensor::full(sigma, c, &Device::Cpu)?;
        net.forward(&x, &sigmas)?.flatten_all()?.to_vec1::<f32>()
    };
    // `supports` accepted the shape when the task was built; a failure here is a bug.
    let clean = run().expect("denoiser forward on a supported shape");
    out.copy_from_slice(&clean);
}

/// A solver's iterate as the f32 the networks run in.
pub(crate) fn to_f32<T: inversa::Real>(values: &[T]) -> Vec<f32> {
    values
        .iter()
        .map(|x| x.to_f32().unwrap_or(f32::NAN))
        .collect()
}

/// A network's f32 output back into the solver's precision.
pub(crate) fn from_f32<T: inversa::Real>(values: &[f32], out: &mut [T]) {
    out.iter_mut()
        .zip(values)
        .for_each(|(o, v)| *o = inversa::real::lit(f64::from(*v)));
}

/// The denoisers `inversa train denoiser` can train, with their sizes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Architecture {
    DnCnn(DnCnnConfig),
    Drunet(DrunetConfig),
}

impl Architecture {
    /// Reads the architecture from a weights file's metadata; `origin` names it in errors.
    pub fn from_metadata(
        metadata: &HashMap<String, String>,
        origin: &Path,
    ) -> inversa::Result<Self> {
        match metadata.get("architecture").map(String::as_str) {
            Some(crate::models::drunet::ARCHITECTURE) => {
                Ok(Self::Drunet(DrunetConfig::from_metadata(metadata, origin)?))
            }
            _ => Ok(Self::DnCnn(DnCnnConfig::from_metadata(metadata, origin)?)),
        }
    }

    /// A fresh network with its variables under `vb`.
    pub fn build(&self, vb: VarBuilder) -> candle_core::Result<Box<dyn NoiseLevelNetwork>> {
        Ok(match *self {
            Self::DnCnn(config) => Box::new(DnCnn::new(vb, config)?),
            Self::Drunet(config) => Box::new(Drunet::new(vb, config)?),
        })
    }
}

/// A denoiser written by `inversa train denoiser` (its architecture read from the metadata).
pub fn load_trained(path: &Path) -> inversa::Result<Arc<dyn Denoiser>> {
    let bytes = std::fs::read(path).map_err(|e| inversa::Error::io(path, e))?;
    let (_, metadata) = crate::nn::weights::read_safetensors(&bytes, path)?;
    Ok(match Architecture::from_metadata(&metadata, path)? {
        Architecture::DnCnn(_) => Arc::new(DnCnn::from_safetensors(&bytes, path)?),
        Architecture::Drunet(_) => Arc::new(Drunet::from_safetensors(&bytes, path)?),
    })
}
