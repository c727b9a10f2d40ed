//! A small class-conditional UNet noise predictor `ε(x_t, t, c)` for 32×32 grey images, after
//! Ho, Jain, Abbeel, "Denoising Diffusion Probabilistic Models", NeurIPS 2020, arXiv:2006.11239
//! (§4 and appendix B: a UNet of residual blocks with group normalisation, the timestep told
//! through a sinusoidal embedding), with the class as a learned embedding added to the timestep's,
//! and one extra "null" class (index `classes`) for classifier-free guidance (Ho, Salimans,
//! "Classifier-Free Diffusion Guidance", 2022, arXiv:2207.12598).
//!
//! - Embedding: `e = MLP(sin/cos(t·ω_i)) + E[c]`, `ω_i = 10000^(−i/h)`, `i < h = channels/2`, the
//!   MLP `Linear → SiLU → Linear` to `4·channels`.
//! - Residual block at `C` channels: `x + conv(SiLU(GN(conv(SiLU(GN(x))) + W·SiLU(e))))`, 3×3
//!   convolutions, `groups` groups.
//! - `levels` resolutions, `channels·2^l` channels at level `l`; `blocks` residual blocks per level
//!   on the way down and again on the way up, one in the middle; the skip at each level is added
//!   (not concatenated), as in DRUNet ([`crate::models::drunet`]). Down- and up-sampling are a 2×2 pixel
//!   (un)shuffle with a 1×1 convolution, so every convolution is the stride-1 one of
//!   [`crate::nn::conv2d`].
//!
//! The same network also serves as a rectified-flow velocity model `v(x_t, t, c)` (Liu, Gong,
//! Liu, ICLR 2023, arXiv:2209.03003) when trained on that objective ([`Objective`]): the flow's
//! time `t ∈ [0, 1]` enters the embedding as `t·T`, so both objectives see timesteps on the same
//! scale.
//!
//! The architecture, the objective and the noise schedule the network was trained on are stored
//! in the safetensors metadata, so a weights file loads by path ([`Unet::load`]).

mod config;

pub use config::{Objective, ScheduleKind, UnetConfig, ARCHITECTURE};

use crate::diffusion::inversion::null_text::NullConditioned;
use crate::diffusion::model::{DiffusionNetwork, Parameterised, Prediction, VelocityModel};
use crate::models::ffdnet::{pixel_shuffle, pixel_unshuffle};
use crate::nn::conv2d::{conv2d_layer, Conv2d};
use candle_core::{bail, DType, Device, Module, Result, Tensor};
use candle_nn::{Embedding, GroupNorm, Linear, VarBuilder};
use std::path::Path;

/// A residual block told the embedding.
pub(crate) struct ResBlock {
    norm1: GroupNorm,
    conv1: Conv2d,
    emb: Linear,
    norm2: GroupNorm,
    conv2: Conv2d,
}

impl ResBlock {
    fn new(channels: usize, config: &UnetConfig, vb: VarBuilder) -> Result<Self> {
        let norm = |vb| candle_nn::group_norm(config.groups, channels, 1e-5, vb);
        Ok(Self {
            norm1: norm(vb.pp("norm1"))?,
            conv1: conv2d_layer(channels, channels, 3, 1, vb.pp("conv1"))?,
            emb: candle_nn::linear(config.embedding(), channels, vb.pp("emb"))?,
            norm2: norm(vb.pp("norm2"))?,
            conv2: conv2d_layer(channels, channels, 3, 1, vb.pp("conv2"))?,
        })
    }

    /// `x` plus the residual; `emb` is `SiLU(e)`, `[B, E]`.
    pub(crate) fn forward(&self, x: &Tensor, emb: &Tensor) -> Result<Tensor> {
        let h = self.conv1.forward(&self.norm1.forward(x)?.silu()?)?;
        let shift = self.emb.forward(emb)?.unsqueeze(2)?.unsqueeze(3)?;
        let h = h.broadcast_add(&shift)?;
        let h = self.conv2.forward(&self.norm2.forward(&h)?.silu()?)?;
        x + h
    }
}

/// The residual blocks of one level on one path, and the resampling that leaves (down) or enters
/// (up) it.
pub(crate) struct Level {
    pub(crate) blocks: Vec<ResBlock>,
    pub(crate) resample: Option<Conv2d>,
}

/// The class-conditional noise-prediction UNet.
///
/// Its parts are open to the crate so that IDM ([`crate::diffusion::idm`]) can run them one by one
/// with its measurement injectors and reversible couplings.
pub struct Unet {
    config: UnetConfig,
    time_fc1: Linear,
    time_fc2: Linear,
    class_embedding: Embedding,
    pub(crate) head: Conv2d,
    pub(crate) down: Vec<Level>,
    pub(crate) middle: ResBlock,
    pub(crate) up: Vec<Level>,
    pub(crate) out_norm: GroupNorm,
    pub(crate) tail: Conv2d,
}

impl Unet {
    /// The network with its weights under `vb` (keys `time.fc1`, `class`, `head`, `down{l}`,
    /// `middle`, `up{l}`, `out_norm`, `tail`).
    pub fn new(vb: VarBuilder, config: UnetConfig) -> Result<Self> {
        config.check().map_err(candle_core::Error::wrap)?;
        let e = config.embedding();
        let level = |path: &str, l: usize, resample: Option<(usize, usize)>| -> Result<Level> {
            let vb = vb.pp(format!("{path}{l}"));
            Ok(Level {
                blocks: (0..config.blocks)
                    .map(|j| ResBlock::new(config.at(l), &config, vb.pp(format!("res{j}"))))
                    .collect::<Result<_>>()?,
                resample: resample
                    .map(|(i, o)| conv2d_layer(i, o, 1, 0, vb.pp("resample")))
                    .transpose()?,
            })
        };
        let last = config.levels - 1;
        let down = (0..config.levels)
            .map(|l| {
                level(
                    "down",
                    l,
                    (l < last).then(|| (4 * config.at(l), config.at(l + 1))),
                )
            })
            .collect::<Result<_>>()?;
        let up = (0..config.levels)
            .map(|l| {
                level(
                    "up",
                    l,
                    (l > 0).then(|| (config.at(l), 4 * config.at(l - 1))),
                )
            })
            .collect::<Result<_>>()?;
        Ok(Self {
            config,
            time_fc1: candle_nn::linear(config.channels, e, vb.pp("time.fc1"))?,
            time_fc2: candle_nn::linear(e, e, vb.pp("time.fc2"))?,
            class_embedding: candle_nn::embedding(config.classes + 1, e, vb.pp("class"))?,
            head: conv2d_layer(1, config.channels, 3, 1, vb.pp("head"))?,
            down,
            middle: ResBlock::new(config.at(last), &config, vb.pp("middle"))?,
            up,
            out_norm: candle_nn::group_norm(
                config.groups,
                config.channels,
                1e-5,
                vb.pp("out_norm"),
            )?,
            tail: conv2d_layer(config.channels, 1, 3, 1, vb.pp("tail"))?,
        })
    }

    /// Reads a weights file written by `inversa train diffusion`.
    pub fn load(path: &Path) -> inversa::Result<Self> {
        let bytes = std::fs::read(path).map_err(|e| inversa::Error::io(path, e))?;
        Self::from_safetensors(&bytes, path)
    }

    /// The network from safetensors `bytes` (configuration in the metadata); `origin` names them
    /// in errors.
    pub fn from_safetensors(bytes: &[u8], origin: &Path) -> inversa::Result<Self> {
        let (tensors, metadata) = crate::nn::weights::read_safetensors(bytes, origin)?;
        let config = UnetConfig::from_metadata(&metadata, origin)?;
        let vb = VarBuilder::from_tensors(tensors, DType::F32, &Device::Cpu);
        Self::new(vb, config).map_err(|e| inversa::Error::format(origin, e.to_string()))
    }

    /// The network's configuration.
    pub fn config(&self) -> UnetConfig {
        self.config
    }

    /// The network as a noise predictor on its training schedule (ε-trained weights only).
    pub fn into_noise_predictor(self) -> crate::Result<Parameterised<Unet>> {
        if self.config.objective != Objective::Epsilon {
            return Err(crate::diffusion::bad(
                "model",
                "these weights are a rectified-flow velocity model, not a noise predictor",
            ));
        }
        Ok(Parameterised {
            schedule: self.config.noise_schedule()?,
            network: self,
            prediction: Prediction::Epsilon,
        })
    }

    /// The network as a rectified-flow velocity model (flow-trained weights only).
    pub fn into_velocity_model(self) -> crate::Result<FlowUnet> {
        if self.config.objective != Objective::RectifiedFlow {
            return Err(crate::diffusion::bad(
                "model",
                "these weights are a diffusion noise predictor, not a rectified-flow model",
            ));
        }
        Ok(FlowUnet(self))
    }

    /// The output for a `[B, 1, H, W]` batch, sample `b` at timestep `timesteps[b]` with class
    /// `classes[b]` (`config.classes` is the null class).
    pub fn forward_batch(
        &self,
        x_t: &Tensor,
        timesteps: &[f64],
        classes: &[u32],
    ) -> Result<Tensor> {
        let batch = x_t.dim(0)?;
        if timesteps.len() != batch || classes.len() != batch {
            bail!(
                "{batch} samples need as many timesteps and classes, not {} and {}",
                timesteps.len(),
                classes.len()
            );
        }
        if let Some(c) = classes.iter().find(|&&c| c as usize > self.config.classes) {
            bail!(
                "class {c} is past the {} classes and the null class",
                self.config.classes
            );
        }
        let ids = Tensor::from_vec(classes.to_vec(), classes.len(), &Device::Cpu)?;
        self.forward_embedded(x_t, timesteps, &self.class_embedding.forward(&ids)?)
    }

    /// The embedding row of the null class, `[E]` (f32): the condition Null-text inversion tunes.
    pub fn null_embedding(&self) -> Result<Tensor> {
        self.class_embedding.embeddings().get(self.config.classes)
    }

    /// The output with the class embedding given as a row `[E]` shared by the whole batch.
    pub fn forward_with_class_row(
        &self,
        x_t: &Tensor,
        timestep: f64,
        row: &Tensor,
    ) -> Result<Tensor> {
        let batch = x_t.dim(0)?;
        let rows = row
            .to_dtype(DType::F32)?
            .unsqueeze(0)?
            .broadcast_as((batch, self.config.embedding()))?;
        self.forward_embedded(x_t, &vec![timestep; batch], &rows)
    }

    /// The output given each sample's class-embedding row `[B, E]`.
    fn forward_embedded(
        &self,
        x_t: &Tensor,
        timesteps: &[f64],
        class_rows: &Tensor,
    ) -> Result<Tensor> {
        let (_, _, h, w) = x_t.dims4()?;
        let multiple = 1 << (self.config.levels - 1);
        if h % multiple != 0 || w % multiple != 0 {
            bail!(
                "the UNet of {} levels needs sides that are multiples of {multiple}, not {h}×{w}",
                self.config.levels
            );
        }
        let emb = (self.time_embedding(timesteps)? + class_rows)?.silu()?;
        let mut x = self.head.forward(&x_t.to_dtype(DType::F32)?)?;
        let mut skips = Vec::with_capacity(self.config.levels);
        for level in &self.down {
            x = run(&level.blocks, &x, &emb)?;
            skips.push(x.clone());
            if let Some(down) = &level.resample {
                x = down.forward(&pixel_unshuffle(&x)?)?;
            }
        }
        x = self.middle.forward(&x, &emb)?;
        for (level, skip) in self.up.iter().zip(skips).rev() {
            x = run(&level.blocks, &(x + skip)?, &emb)?;
            if let Some(up) = &level.resample {
                x = pixel_shuffle(&up.forward(&x)?)?;
            }
        }
        let out = self.tail.forward(&self.out_norm.forward(&x)?.silu()?)?;
        out.to_dtype(x_t.dtype())
    }

    /// `MLP(sinusoid(t))`, `[B, 4·channels]`, in f32.
    pub(crate) fn time_embedding(&self, timesteps: &[f64]) -> Result<Tensor> {
        let half = self.config.channels / 2;
        let mut values = Vec::with_capacity(timesteps.len() * 2 * half);
        for &t in timesteps {
            let angles = (0..half).map(|i| t * 10000f64.powf(-(i as f64) / half as f64));
            let (sin, cos): (Vec<f64>, Vec<f64>) = angles.map(|a| (a.sin(), a.cos())).unzip();
            values.extend(sin.into_iter().chain(cos).map(|v| v as f32));
        }
        let sinusoid = Tensor::from_vec(values, (timesteps.len(), 2 * half), &Device::Cpu)?;
        self.time_fc2
            .forward(&self.time_fc1.forward(&sinusoid)?.silu()?)
    }

    /// The class of `class` (`None`: the null class), checked against the network's classes.
    fn class_index(&self, class: Option<usize>) -> Result<u32> {
        match class {
            Some(c) if c >= self.config.classes => bail!(
                "class {c} is past the network's {} classes",
                self.config.classes
            ),
            Some(c) => Ok(c as u32),
            None => Ok(self.config.classes as u32),
        }
    }
}

fn run(blocks: &[ResBlock], x: &Tensor, emb: &Tensor) -> Result<Tensor> {
    blocks
        .iter()
        .try_fold(x.clone(), |x, block| block.forward(&x, emb))
}

impl DiffusionNetwork for Unet {
    /// `class = None` is the null class.
    fn forward(&self, x_t: &Tensor, t: usize, class: Option<usize>) -> Result<Tensor> {
        let batch = x_t.dim(0)?;
        let c = self.class_index(class)?;
        self.forward_batch(x_t, &vec![t as f64; batch], &vec![c; batch])
    }
}

/// Null-text inversion tunes the UNet's null-class embedding row.
impl NullConditioned for Parameterised<Unet> {
    fn eps_null(&self, x_t: &Tensor, t: usize, null: &Tensor) -> Result<Tensor> {
        let Some(&alpha_bar) = self.schedule.alpha_bars().get(t) else {
            bail!(
                "timestep {t} is past the schedule's {}",
                self.schedule.len()
            )
        };
        let output = self.network.forward_with_class_row(x_t, t as f64, null)?;
        self.prediction.eps(&output, x_t, alpha_bar)
    }

    fn null_condition(&self, dtype: DType) -> Result<Tensor> {
        self.network.null_embedding()?.to_dtype(dtype)
    }
}

/// A UNet trained on the rectified-flow objective, read as a velocity model.
pub struct FlowUnet(Unet);

impl FlowUnet {
    /// The network.
    pub fn network(&self) -> &Unet {
        &self.0
    }
}

impl VelocityModel for FlowUnet {
    /// The flow's time `t ∈ [0, 1]` is told to the network as `t·T`.
    fn velocity(&self, x_t: &Tensor, t: f64, class: Option<usize>) -> Result<Tensor> {
        let net = &self.0;
        let batch = x_t.dim(0)?;
        let c = net.class_index(class)?;
        let scaled = t * net.config.timesteps as f64;
        net.forward_batch(x_t, &vec![scaled; batch], &vec![c; batch])
    }
}
