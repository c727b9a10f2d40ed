//! The generative prior of the model-inversion attacks ([`crate::attacks::gmi`], [`crate::attacks::if_gmi`]): a small
//! DCGAN-style generator of 28×28 grey images and its discriminator (Radford, Metz, Chintala,
//! "Unsupervised representation learning with deep convolutional generative adversarial
//! networks", ICLR 2016), trained on public images with the non-saturating GAN loss (Goodfellow et
//! al., "Generative adversarial nets", NeurIPS 2014).
//!
//! Generator, in four blocks (IF-GMI optimises the features between them):
//! 0. `z ∈ [−1, 1]^latent → Linear → [C, 7, 7] → LeakyReLU 0.2 → pixel norm`;
//! 1. `nearest ×2 upsampling → conv 3×3 (C → C/2) → LeakyReLU → pixel norm` (14×14);
//! 2. `nearest ×2 upsampling → conv 3×3 (C/2 → C/4) → LeakyReLU → pixel norm` (28×28);
//! 3. `conv 3×3 (C/4 → 1)`: an image on the data's `[−1, 1]` scale. There is no `tanh`: in a
//!    first recipe (ReLUs, no pixel norm, Adam's β₁ = 0.9) a `tanh` output saturated at −1 (the
//!    black background) within 300 steps and its vanishing gradient never let the generator out;
//!    the discriminator alone keeps the values in range.
//!
//! Pixel norm (Karras, Aila, Laine, Lehtinen, "Progressive growing of GANs", ICLR 2018, §4.2)
//! scales each pixel's feature vector to unit root-mean-square over the channels: it keeps the
//! generator's activations bounded without batch statistics, so each image depends on its own
//! latent only (the attacks optimise several independently in one batch).
//!
//! Discriminator: `conv 3×3 (1 → C/2) → 2×2 average pool → LeakyReLU 0.2 → conv 3×3 (C/2 → C) →
//! pool → LeakyReLU → Linear(49·C → 1)`, a logit `D(x)` (each bias added after its pooling).
//!
//! Training ([`GanTraining`], through the shared loop) takes simultaneous gradient steps on
//! `L = E[0.9·softplus(−D(x)) + 0.1·softplus(D(x))] + E softplus(D(G(z)))  +  E softplus(−D̄(G(z)))`:
//! the discriminator's loss with one-sided label smoothing (real images labelled 0.9; Salimans et
//! al., "Improved techniques for training GANs", NeurIPS 2016, §3.4) and `G(z)` detached, plus the
//! generator's non-saturating loss `−log σ(D̄(G(z)))`, where `D̄` is the discriminator with its
//! weights detached. Each network therefore receives only the gradient of its own loss, and one
//! Adam step (β₁ = 0.5, as DCGAN trains) updates both.

use crate::data::fashion_mnist::LabelledImages;
use crate::nn::bias_relu::{bias_activation, relu};
use crate::nn::conv2d::{conv2d, conv2d_layer, Conv2d};
use crate::training::Trainable;
use candle_core::{DType, Device, Module, Result, Tensor};
use candle_nn::{Init, Linear, VarBuilder, VarMap};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::HashMap;
use std::path::Path;

/// The safetensors metadata value of `architecture` in GAN weights.
pub const ARCHITECTURE: &str = "fashion-gan";

/// The side of the generated images.
pub const SIDE: usize = 28;

/// The generator's blocks ([`Generator::block`]).
pub const BLOCKS: usize = 4;

/// The weight of the "fake" label on real images (one-sided label smoothing).
pub const SMOOTHING: f64 = 0.1;

/// Held-out images and generated samples in the validation.
const VALIDATION: usize = 256;

/// The networks' sizes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GanConfig {
    /// Dimension of the latent `z`.
    pub latent: usize,
    /// Channels of the generator's 7×7 features (halved at 14×14 and 28×28), and of the
    /// discriminator's 7×7 features.
    pub channels: usize,
}

impl Default for GanConfig {
    fn default() -> Self {
        Self {
            latent: 64,
            channels: 64,
        }
    }
}

impl GanConfig {
    /// The `architecture`, `latent` and `channels` metadata of a weights file.
    pub fn metadata(&self) -> HashMap<String, String> {
        crate::nn::weights::metadata(
            ARCHITECTURE,
            &[("latent", &self.latent), ("channels", &self.channels)],
        )
    }

    /// Reads the configuration back from a weights file's metadata; `origin` names it in errors.
    pub fn from_metadata(
        metadata: &HashMap<String, String>,
        origin: &Path,
    ) -> inversa::Result<Self> {
        crate::nn::weights::expect_architecture(metadata, ARCHITECTURE, "GAN weights", origin)?;
        let number = |key| crate::nn::weights::positive_metadata(metadata, key, origin);
        let config = Self {
            latent: number("latent")?,
            channels: number("channels")?,
        };
        config
            .check()
            .map_err(|e| inversa::Error::format(origin, e.to_string()))?;
        Ok(config)
    }

    /// Rejects sizes the networks cannot have.
    pub fn check(&self) -> crate::Result<()> {
        if self.latent == 0 || self.channels < 4 || self.channels % 4 != 0 {
            return Err(crate::Error::setting("channels", format!(
                "the GAN needs latent >= 1 and channels a positive multiple of 4, not latent {} channels {}",
                self.latent, self.channels
            )));
        }
        Ok(())
    }
}

/// `z ↦ G(z)`, split into [`BLOCKS`] blocks.
pub struct Generator {
    config: GanConfig,
    fc: Linear,
    convs: Vec<Conv2d>,
}

impl Generator {
    /// The network with weights `fc`, `conv0` … `conv2` under `vb`.
    pub fn new(vb: VarBuilder, config: GanConfig) -> Result<Self> {
        let c = config.channels;
        let sizes = [(c, c / 2), (c / 2, c / 4), (c / 4, 1)];
        let convs = sizes
            .iter()
            .enumerate()
            .map(|(i, &(a, b))| conv2d_layer(a, b, 3, 1, vb.pp(format!("conv{i}"))))
            .collect::<Result<_>>()?;
        Ok(Self {
            config,
            fc: candle_nn::linear(config.latent, c * 49, vb.pp("fc"))?,
            convs,
        })
    }

    /// The networks' sizes.
    pub fn config(&self) -> GanConfig {
        self.config
    }

    /// Block `index` (0 to [`BLOCKS`]` − 1`) applied to its input: the latent `[B, latent]` for
    /// block 0, the previous block's features otherwise.
    pub fn block(&self, index: usize, x: &Tensor) -> Result<Tensor> {
        match index {
            0 => {
                let b = x.dim(0)?;
                let y = self
                    .fc
                    .forward(x)?
                    .reshape((b, self.config.channels, 7, 7))?;
                pixel_norm(&leaky_relu(&y)?)
            }
            1 | 2 => {
                let y = self.convs[index - 1].forward(&upsample(x)?)?;
                pixel_norm(&leaky_relu(&y)?)
            }
            3 => self.convs[2].forward(x),
            _ => candle_core::bail!("the generator has {BLOCKS} blocks, not {}", index + 1),
        }
    }

    /// Blocks `first` … `BLOCKS − 1` applied to `x` (the input of block `first`): images
    /// `[B, 1, 28, 28]` (on the `[−1, 1]` scale, unclamped).
    pub fn forward_from(&self, first: usize, x: &Tensor) -> Result<Tensor> {
        (first..BLOCKS).try_fold(x.clone(), |x, block| self.block(block, &x))
    }

    /// `G(z)` for latents `[B, latent]`.
    pub fn generate(&self, z: &Tensor) -> Result<Tensor> {
        self.forward_from(0, z)
    }
}

/// `x ↦ D(x)`, the logit that `x` is a real image.
#[derive(Clone)]
pub struct Discriminator {
    /// `(weight, bias)` of each convolution.
    convs: Vec<(Tensor, Tensor)>,
    fc: Linear,
}

impl Discriminator {
    /// The network with weights `conv0`, `conv1`, `fc` under `vb`.
    pub fn new(vb: VarBuilder, config: GanConfig) -> Result<Self> {
        let c = config.channels;
        let convs = [(1, c / 2), (c / 2, c)]
            .iter()
            .enumerate()
            .map(|(i, &(a, b))| {
                let vb = vb.pp(format!("conv{i}"));
                let bound = 1.0 / ((a * 9) as f64).sqrt();
                let init = Init::Uniform {
                    lo: -bound,
                    up: bound,
                };
                Ok((
                    vb.get_with_hints((b, a, 3, 3), "weight", init)?,
                    vb.get_with_hints(b, "bias", init)?,
                ))
            })
            .collect::<Result<_>>()?;
        Ok(Self {
            convs,
            fc: candle_nn::linear(c * 49, 1, vb.pp("fc"))?,
        })
    }

    /// The logits `[B]` of images `[B, 1, 28, 28]`.
    pub fn logits(&self, x: &Tensor) -> Result<Tensor> {
        let mut z = x.clone();
        for (weight, bias) in &self.convs {
            // Pooling before the bias and activation does them on a quarter of the pixels.
            let y = conv2d(&z, weight, 1)?.avg_pool2d(2)?;
            z = leaky_relu(&bias_activation(&y, bias, false)?)?;
        }
        self.fc.forward(&z.flatten_from(1)?)?.flatten_all()
    }

    /// The same network with every weight detached: gradients flow to its input only.
    pub fn detached(&self) -> Self {
        let convs = self
            .convs
            .iter()
            .map(|(w, b)| (w.detach(), b.detach()))
            .collect();
        let fc = Linear::new(
            self.fc.weight().detach(),
            self.fc.bias().map(Tensor::detach),
        );
        Self { convs, fc }
    }
}

/// A trained generator with its discriminator.
pub struct Gan {
    pub generator: Generator,
    pub discriminator: Discriminator,
}

impl Gan {
    /// Both networks, `generator.*` and `discriminator.*` under `vb`.
    pub fn new(vb: VarBuilder, config: GanConfig) -> Result<Self> {
        config.check().map_err(candle_core::Error::wrap)?;
        Ok(Self {
            generator: Generator::new(vb.pp("generator"), config)?,
            discriminator: Discriminator::new(vb.pp("discriminator"), config)?,
        })
    }

    /// The GAN from safetensors `bytes` written by `inversa train gan` (f32 or f16; sizes in the
    /// metadata); `origin` names them in errors.
    pub fn from_safetensors(bytes: &[u8], origin: &Path) -> inversa::Result<Self> {
        let (tensors, metadata) = crate::nn::weights::read_safetensors(bytes, origin)?;
        let config = GanConfig::from_metadata(&metadata, origin)?;
        let vb = VarBuilder::from_tensors(tensors, DType::F32, &Device::Cpu);
        Self::new(vb, config).map_err(|e| inversa::Error::format(origin, e.to_string()))
    }

    /// Reads a weights file written by `inversa train gan`.
    pub fn load(path: &Path) -> inversa::Result<Self> {
        let bytes = std::fs::read(path).map_err(|e| inversa::Error::io(path, e))?;
        Self::from_safetensors(&bytes, path)
    }
}

/// `softplus(x) = log(1 + eˣ)`, computed as `max(x, 0) + log(1 + e^{−|x|})` so that it never
/// overflows.
pub fn softplus(x: &Tensor) -> Result<Tensor> {
    x.relu()? + x.abs()?.neg()?.exp()?.affine(1.0, 1.0)?.log()?
}

/// `count` latents drawn uniformly in `[−1, 1]^dim` from `rng`: `[count, dim]`.
pub fn uniform_latents(rng: &mut impl Rng, count: usize, dim: usize) -> Result<Tensor> {
    let values: Vec<f32> = (0..count * dim).map(|_| rng.gen_range(-1.0..1.0)).collect();
    Tensor::from_vec(values, (count, dim), &Device::Cpu)
}

/// Nearest-neighbour ×2 upsampling of `[B, C, H, W]`, as a broadcast (candle's
/// `upsample_nearest2d` backward is a slower grouped convolution).
fn upsample(x: &Tensor) -> Result<Tensor> {
    let (b, c, h, w) = x.dims4()?;
    x.reshape((b, c, h, 1, w, 1))?
        .broadcast_as((b, c, h, 2, w, 2))?
        .reshape((b, c, 2 * h, 2 * w))
}

/// `x / √(mean over channels of x² + 10⁻⁸)` for `[B, C, H, W]`.
fn pixel_norm(x: &Tensor) -> Result<Tensor> {
    let scale = (x.sqr()?.mean_keepdim(1)? + 1e-8)?.sqrt()?;
    x.broadcast_div(&scale)
}

/// `LeakyReLU₀.₂(x) = 0.8·relu(x) + 0.2·x`, in fewer candle operations than candle-nn's (whose
/// backward, through `maximum`/`minimum`, costs ten times the forward pass).
fn leaky_relu(x: &Tensor) -> Result<Tensor> {
    (relu(x)? * 0.8)? + (x * 0.2)?
}

/// A GAN with its public training images and a held-out set.
pub struct GanTraining {
    varmap: VarMap,
    gan: Gan,
    config: GanConfig,
    data: LabelledImages,
    held_out: LabelledImages,
}

impl GanTraining {
    /// A fresh GAN of `config` (its weights are drawn by the training loop), trained on the
    /// 28×28 images of `data` and validated on `held_out`.
    pub fn new(
        config: GanConfig,
        data: LabelledImages,
        held_out: LabelledImages,
    ) -> inversa::Result<Self> {
        config
            .check()
            .map_err(|e| inversa::Error::config("gan", e.to_string()))?;
        for (set, key) in [(&data, "data"), (&held_out, "validation")] {
            if set.size() != (SIDE, SIDE) || set.is_empty() {
                return Err(inversa::Error::config(
                    key,
                    format!(
                        "the GAN needs {SIDE}×{SIDE} images, not {} of {:?}",
                        set.len(),
                        set.size()
                    ),
                ));
            }
        }
        let varmap = VarMap::new();
        let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
        let gan = Gan::new(vb, config).map_err(|e| inversa::Error::config("gan", e.to_string()))?;
        Ok(Self {
            varmap,
            gan,
            config,
            data,
            held_out,
        })
    }

    /// The GAN being trained.
    pub fn gan(&self) -> &Gan {
        &self.gan
    }
}

impl Trainable for GanTraining {
    fn varmap(&self) -> &VarMap {
        &self.varmap
    }

    fn metadata(&self) -> HashMap<String, String> {
        self.config.metadata()
    }

    /// β₁ = 0.5, as DCGAN trains (0.9 oscillates).
    fn adam_beta1(&self) -> f64 {
        0.5
    }

    /// The discriminator's loss plus the generator's on `batch` real images and as many latents
    /// (`_crop` is unused).
    fn loss(
        &self,
        _step: usize,
        rng: &mut ChaCha8Rng,
        batch: usize,
        _crop: usize,
    ) -> Result<Tensor> {
        let indices = self.data.random_indices(rng, batch);
        let real = self.data.batch(&indices, SIDE)?;
        let fake =
            self.gan
                .generator
                .generate(&uniform_latents(rng, batch, self.config.latent)?)?;
        let d = &self.gan.discriminator;
        let real_logits = d.logits(&real)?;
        let real_loss = ((softplus(&real_logits.neg()?)? * (1.0 - SMOOTHING))?
            + (softplus(&real_logits)? * SMOOTHING)?)?;
        let d_loss = (real_loss.mean_all()? + softplus(&d.logits(&fake.detach())?)?.mean_all()?)?;
        let g_loss = softplus(&d.detached().logits(&fake)?.neg()?)?.mean_all()?;
        d_loss + g_loss
    }

    /// The discriminator's mean probability `σ(D)` (in %) on held-out real images and on samples
    /// from fixed latents.
    fn validate(&self) -> Result<Vec<(String, f64)>> {
        let count = VALIDATION.min(self.held_out.len());
        let real = self.held_out.batch(&(0..count).collect::<Vec<_>>(), SIDE)?;
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let z = uniform_latents(&mut rng, count, self.config.latent)?;
        let fake = self.gan.generator.generate(&z)?;
        let mean_probability = |x: &Tensor| -> Result<f64> {
            let p = candle_nn::ops::sigmoid(&self.gan.discriminator.logits(x)?)?;
            Ok(100.0 * f64::from(p.mean_all()?.to_scalar::<f32>()?))
        };
        Ok(vec![
            ("D(real) %".into(), mean_probability(&real)?),
            ("D(fake) %".into(), mean_probability(&fake)?),
        ])
    }
}

/// Generator images `[B, 1, H, W]` in `[−1, 1]` laid out `columns` to a row with `gap`-pixel white
/// gaps: a grey picture `[1, height, width]` in `[0, 1]`.
pub fn tile(images: &Tensor, columns: usize, gap: usize) -> Result<(Vec<usize>, Vec<f32>)> {
    let (_, _, h, w) = images.dims4()?;
    let values = images
        .affine(0.5, 0.5)?
        .clamp(0f32, 1f32)?
        .flatten_all()?
        .to_vec1::<f32>()?;
    Ok(inversa::io::image::tile(&values, (h, w), columns, gap))
}
