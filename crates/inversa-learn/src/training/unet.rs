//! Training the class-conditional [`Unet`] with the shared loop on the DDPM objective (Ho, Jain,
//! Abbeel, NeurIPS 2020, arXiv:2006.11239, Algorithm 1 and eq. 14, `L_simple`):
//!
//! ```text
//! x₀ ~ data (padded to 32×32, in [−1, 1]),  t ~ U{0 … T−1},  ε ~ N(0, I),
//! L = ‖ε − ε_θ(√ᾱ_t x₀ + √(1−ᾱ_t) ε, t, c)‖² / (pixels · B),
//! ```
//!
//! with each sample's class `c` replaced by the null class with probability [`LABEL_DROPOUT`],
//! so one network learns the conditional and the unconditional ε that classifier-free guidance
//! (Ho, Salimans, 2022, arXiv:2207.12598, §3.2) combines.
//!
//! A network whose [`Objective`] is rectified flow is trained instead on the flow-matching loss
//! (Liu, Gong, Liu, ICLR 2023, arXiv:2209.03003, eq. 1; Lipman et al., ICLR 2023,
//! arXiv:2210.02747), with the same label dropout:
//!
//! ```text
//! t ~ U[0, 1),  x_t = (1−t) x₀ + t ε,  L = ‖(ε − x₀) − v_θ(x_t, t, c)‖² / (pixels · B).
//! ```
//!
//! Validation is the same loss, conditional, on a fixed held-out batch at fixed times (evenly
//! spread over the range) and fixed noise, so it is deterministic for given weights.

use crate::data::fashion_mnist::{LabelledImages, SIDE};
use crate::diffusion::standard_normal;
use crate::models::unet::{Objective, Unet, UnetConfig};
use crate::training::Trainable;
use crate::Result;
use candle_core::{DType, Device, Tensor};
use candle_nn::{VarBuilder, VarMap};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::HashMap;

/// The probability that a training sample's class is replaced by the null class.
pub const LABEL_DROPOUT: f64 = 0.1;

/// The fixed noise of the validation batch comes from this seed.
const VALIDATION_SEED: u64 = 0x5eed;

/// Noisy inputs and the network's targets, fixed once.
struct Held {
    corrupted: Corrupted,
    classes: Vec<u32>,
}

/// A batch after the forward process: the network's input, the times it is told and its target.
struct Corrupted {
    x_t: Tensor,
    times: Vec<f64>,
    target: Tensor,
}

/// A UNet with its training images and fixed validation batch.
pub struct UnetTraining {
    varmap: VarMap,
    net: Unet,
    alpha_bars: Vec<f64>,
    data: LabelledImages,
    held: Option<Held>,
    /// Weights to start from instead of random ones (`--init`).
    initial: Option<HashMap<String, Tensor>>,
}

/// Where each sample of a batch sits on the forward process.
enum Position {
    /// Integer DDPM timesteps.
    Timesteps(Vec<usize>),
    /// Rectified-flow times in `[0, 1)`.
    FlowTimes(Vec<f64>),
}

impl UnetTraining {
    /// A fresh network of `config` (its weights are drawn by the training loop from its seed),
    /// trained on `data`, validated on the first `validation_size` images of `held_out`.
    pub fn new(
        config: UnetConfig,
        data: LabelledImages,
        held_out: &LabelledImages,
        validation_size: usize,
    ) -> Result<Self> {
        if data.is_empty() {
            return Err(crate::diffusion::bad("data", "no training images"));
        }
        for (set, key) in [(&data, "data"), (held_out, "validation")] {
            check_images(set, config.classes, key)?;
        }
        let varmap = VarMap::new();
        let net = Unet::new(
            VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu),
            config,
        )?;
        let alpha_bars = config.noise_schedule()?.alpha_bars().to_vec();
        let count = validation_size.min(held_out.len());
        let held = (count > 0)
            .then(|| held_batch(held_out, count, config.objective, &alpha_bars))
            .transpose()?;
        Ok(Self {
            varmap,
            net,
            alpha_bars,
            data,
            held,
            initial: None,
        })
    }

    /// Starts the run from `weights` (read from `origin`, f32 or f16) instead of random ones;
    /// every variable must be there with its shape.
    pub fn starting_from(
        mut self,
        weights: HashMap<String, Tensor>,
        origin: &std::path::Path,
    ) -> Result<Self> {
        let mut initial = HashMap::new();
        for (name, var) in crate::training::named_vars(&self.varmap) {
            let bad = |m: String| inversa::Error::format(origin, m);
            let tensor = weights
                .get(&name)
                .ok_or_else(|| bad(format!("no tensor {name:?} for this network")))?;
            if tensor.dims() != var.dims() {
                let m = format!(
                    "{name:?} is {:?}, the network needs {:?}",
                    tensor.dims(),
                    var.dims()
                );
                return Err(bad(m).into());
            }
            initial.insert(name, tensor.to_dtype(DType::F32)?);
        }
        self.initial = Some(initial);
        Ok(self)
    }

    /// The network being trained.
    pub fn net(&self) -> &Unet {
        &self.net
    }

    /// The mean squared error of the network's output against its target, told `classes`.
    fn loss_of(&self, corrupted: &Corrupted, classes: &[u32]) -> candle_core::Result<Tensor> {
        let output = self
            .net
            .forward_batch(&corrupted.x_t, &corrupted.times, classes)?;
        (output - &corrupted.target)?.sqr()?.mean_all()
    }
}

/// Every label below `classes` and every image fits the 32×32 input.
fn check_images(set: &LabelledImages, classes: usize, key: &str) -> Result<()> {
    let (rows, cols) = set.size();
    if rows > SIDE || cols > SIDE {
        return Err(crate::diffusion::bad(
            key,
            format!("images of {rows}×{cols} do not fit the {SIDE}×{SIDE} input"),
        ));
    }
    if let Some(l) = set.labels().iter().find(|&&l| usize::from(l) >= classes) {
        return Err(crate::diffusion::bad(
            key,
            format!("label {l} is past the network's {classes} classes"),
        ));
    }
    Ok(())
}

/// `x0` carried to `position` by the forward process with noise `eps`: DDPM's
/// `√ᾱ_t x₀ + √(1−ᾱ_t) ε` (target `ε`) or the flow's `(1−t) x₀ + t ε` (target `ε − x₀`, times
/// told as `t·T`).
fn corrupt(
    x0: &Tensor,
    eps: &Tensor,
    position: &Position,
    alpha_bars: &[f64],
) -> candle_core::Result<Corrupted> {
    let column = |values: Vec<f64>| {
        let values: Vec<f32> = values.into_iter().map(|v| v as f32).collect();
        Tensor::from_vec(values, (x0.dim(0)?, 1, 1, 1), &Device::Cpu)
    };
    let (signal, noise, times, target) = match position {
        Position::Timesteps(steps) => (
            steps.iter().map(|&t| alpha_bars[t].sqrt()).collect(),
            steps
                .iter()
                .map(|&t| (1.0 - alpha_bars[t]).sqrt())
                .collect(),
            steps.iter().map(|&t| t as f64).collect(),
            eps.clone(),
        ),
        Position::FlowTimes(times) => (
            times.iter().map(|t| 1.0 - t).collect(),
            times.clone(),
            times.iter().map(|t| t * alpha_bars.len() as f64).collect(),
            (eps - x0)?,
        ),
    };
    let x_t = (x0.broadcast_mul(&column(signal)?)? + eps.broadcast_mul(&column(noise)?)?)?;
    Ok(Corrupted { x_t, times, target })
}

/// The first `count` held-out images at evenly spread positions with fixed noise.
fn held_batch(
    set: &LabelledImages,
    count: usize,
    objective: Objective,
    alpha_bars: &[f64],
) -> Result<Held> {
    let indices: Vec<usize> = (0..count).collect();
    let x0 = set.batch(&indices, SIDE)?;
    let steps = alpha_bars.len();
    let position = match objective {
        Objective::Epsilon => Position::Timesteps(
            (0..count)
                .map(|i| (2 * i + 1) * steps / (2 * count))
                .collect(),
        ),
        Objective::RectifiedFlow => Position::FlowTimes(
            (0..count)
                .map(|i| (2 * i + 1) as f64 / (2 * count) as f64)
                .collect(),
        ),
    };
    let mut rng = ChaCha8Rng::seed_from_u64(VALIDATION_SEED);
    let eps = standard_normal(&mut rng, x0.dims(), DType::F32)?;
    Ok(Held {
        corrupted: corrupt(&x0, &eps, &position, alpha_bars)?,
        classes: indices
            .iter()
            .map(|&i| u32::from(set.labels()[i]))
            .collect(),
    })
}

impl Trainable for UnetTraining {
    fn varmap(&self) -> &VarMap {
        &self.varmap
    }

    fn metadata(&self) -> HashMap<String, String> {
        self.net.config().metadata()
    }

    /// The default uniform draw, then the usual start of a normalisation (scale 1, shift 0) and a
    /// zero output layer, so the untrained network predicts ε = 0 (loss 1).
    /// With [`UnetTraining::starting_from`], those weights instead.
    fn initialise(&self, seed: u64) -> candle_core::Result<()> {
        if let Some(initial) = &self.initial {
            for (name, var) in crate::training::named_vars(&self.varmap) {
                match initial.get(&name) {
                    Some(tensor) => var.set(tensor)?,
                    None => candle_core::bail!("no initial weights for {name:?}"),
                }
            }
            return Ok(());
        }
        crate::training::initialise(&self.varmap, seed)?;
        for (name, var) in crate::training::named_vars(&self.varmap) {
            let is_norm = name.contains("norm");
            let tensor = var.as_tensor();
            if is_norm && name.ends_with(".weight") {
                var.set(&tensor.ones_like()?)?;
            } else if is_norm || name.starts_with("tail.") {
                var.set(&tensor.zeros_like()?)?;
            }
        }
        Ok(())
    }

    /// The objective's loss on `batch` random training images (`_crop` is unused: images are whole).
    fn loss(
        &self,
        _step: usize,
        rng: &mut ChaCha8Rng,
        batch: usize,
        _crop: usize,
    ) -> candle_core::Result<Tensor> {
        let config = self.net.config();
        let null = config.classes as u32;
        let indices = self.data.random_indices(rng, batch);
        let position = match config.objective {
            Objective::Epsilon => Position::Timesteps(
                (0..batch)
                    .map(|_| rng.gen_range(0..config.timesteps))
                    .collect(),
            ),
            Objective::RectifiedFlow => {
                Position::FlowTimes((0..batch).map(|_| rng.gen()).collect())
            }
        };
        let classes: Vec<u32> = indices
            .iter()
            .map(|&i| match rng.gen_bool(LABEL_DROPOUT) {
                true => null,
                false => u32::from(self.data.labels()[i]),
            })
            .collect();
        let x0 = self.data.batch(&indices, SIDE)?;
        let eps = standard_normal(rng, x0.dims(), DType::F32)?;
        self.loss_of(&corrupt(&x0, &eps, &position, &self.alpha_bars)?, &classes)
    }

    /// `eps mse` (or `velocity mse`): the conditional loss on the fixed held-out batch (none
    /// without one).
    fn validate(&self) -> candle_core::Result<Vec<(String, f64)>> {
        let Some(held) = &self.held else {
            return Ok(Vec::new());
        };
        let mse = self.loss_of(&held.corrupted, &held.classes)?;
        let name = match self.net.config().objective {
            Objective::Epsilon => "eps mse",
            Objective::RectifiedFlow => "velocity mse",
        };
        Ok(vec![(name.into(), f64::from(mse.to_scalar::<f32>()?))])
    }
}
