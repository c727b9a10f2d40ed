//! Stale-update conversion by gradient inversion: Wang and Gao, "Tackling the Unlimited Staleness
//! in Federated Learning with Intertwined Data and Device Heterogeneities", arXiv:2309.13536
//! (2023), Figure 3.
//!
//! A slow client sends `Δ = θ_T − θ₀` computed by local training on the old global model
//! `w_{t−τ}`. The server, which knows `w_{t−τ}` and the client's local training recipe, estimates
//! the client's data `D_rec = (x', p')` (`M` dummy inputs in `[−1, 1]` and soft labels
//! `p' = softmax(ℓ')`) by making the simulated update reproduce the stale one,
//!
//! ```text
//! minimise over x', ℓ':   ‖Δ(w_{t−τ}; x', softmax(ℓ')) − Δ‖² / ‖Δ‖²,
//! ```
//!
//! with Adam (inputs projected back onto `[−1, 1]` after each step), and then replaces the stale
//! update by the update the same local training would produce on the current model,
//! `Δ̂ = Δ(w_t; x', p')`, which is aggregated as a fresh one. The matching is on the whole update
//! by squared distance (not direction only, as in Inverting Gradients) because `Δ̂` must also have
//! the right size. As the paper suggests for clients whose data do not change, the estimate of one
//! round is the starting point of the next, so that each round needs only a few iterations.

use super::mlp::Mlp;
use crate::attacks::fedavg::LocalTraining;
use crate::optim::adam::TensorAdam;
use candle_core::{DType, Device, Result, Tensor, Var, D};
use candle_nn::ops::softmax;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// How hard the server works on each stale update.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Settings {
    /// `M`, the number of dummy samples in `D_rec`.
    pub samples: usize,
    /// Adam steps per conversion (warm-started from the previous round's estimate).
    pub iterations: usize,
    pub learning_rate: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            samples: 8,
            iterations: 40,
            learning_rate: 0.05,
        }
    }
}

/// The server's estimate `D_rec` of one client's data.
#[derive(Clone, Debug)]
pub struct DataEstimate {
    /// `[M, inputs]`, in `[−1, 1]`.
    pub inputs: Tensor,
    /// `[M, classes]`: the soft labels are their softmax.
    pub label_logits: Tensor,
}

impl DataEstimate {
    /// Inputs uniform in `[−1, 1]` from `seed` and uniform soft labels, in `dtype`.
    pub fn random(
        samples: usize,
        inputs: usize,
        classes: usize,
        dtype: DType,
        seed: u64,
    ) -> Result<Self> {
        if samples == 0 || inputs == 0 || classes == 0 {
            candle_core::bail!("a data estimate needs samples, inputs and classes, got {samples}, {inputs}, {classes}");
        }
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let values: Vec<f64> = (0..samples * inputs)
            .map(|_| rng.gen_range(-1.0..1.0))
            .collect();
        Ok(Self {
            inputs: Tensor::from_vec(values, (samples, inputs), &Device::Cpu)?.to_dtype(dtype)?,
            label_logits: Tensor::zeros((samples, classes), dtype, &Device::Cpu)?,
        })
    }

    /// The soft labels `softmax(ℓ')`.
    pub fn labels(&self) -> Result<Tensor> {
        softmax(&self.label_logits, D::Minus1)
    }
}

/// `‖ours − observed‖² / ‖observed‖²` over all parameter tensors, tracked through `ours`.
pub fn matching_loss(ours: &[Tensor], observed: &[Tensor]) -> Result<Tensor> {
    let mut distance = Tensor::zeros((), ours[0].dtype(), &Device::Cpu)?;
    let mut size = 0.0f64;
    for (o, t) in ours.iter().zip(observed) {
        distance = (distance + (o - t)?.sqr()?.sum_all()?)?;
        size += t
            .sqr()?
            .sum_all()?
            .to_dtype(DType::F64)?
            .to_scalar::<f64>()?;
    }
    if size == 0.0 {
        candle_core::bail!("the stale update is zero: there is nothing to invert");
    }
    distance / size
}

/// A converted update with the data estimate behind it.
#[derive(Clone, Debug)]
pub struct Conversion {
    /// `Δ̂ = Δ(w_t; D_rec)`.
    pub update: Vec<Tensor>,
    pub estimate: DataEstimate,
    /// The matching loss at the last inversion step (0: the stale update is reproduced exactly).
    pub matching_loss: f64,
}

/// Fits `start` so that `local` training of `base` on it reproduces `stale`; returns the fitted
/// estimate and the matching loss at the last step.
pub fn estimate_data(
    base: &Mlp,
    stale: &[Tensor],
    local: LocalTraining,
    start: DataEstimate,
    settings: Settings,
) -> Result<(DataEstimate, f64)> {
    if settings.iterations == 0 || settings.learning_rate.is_nan() || settings.learning_rate <= 0.0
    {
        candle_core::bail!("the inversion needs at least one step and a positive learning rate");
    }
    let inputs = Var::from_tensor(&start.inputs)?;
    let logits = Var::from_tensor(&start.label_logits)?;
    let mut inputs_adam = TensorAdam::new(inputs.as_tensor())?;
    let mut logits_adam = TensorAdam::new(logits.as_tensor())?;
    let mut last = f64::NAN;
    for step in 0..settings.iterations {
        let labels = softmax(logits.as_tensor(), D::Minus1)?;
        let ours = base.local_update(inputs.as_tensor(), &labels, local)?;
        let loss = matching_loss(&ours, stale)?;
        last = loss.to_dtype(DType::F64)?.to_scalar::<f64>()?;
        if !last.is_finite() {
            candle_core::bail!("the inversion's matching loss became {last} at step {step}");
        }
        let grads = loss.backward()?;
        let n = (step + 1) as i32;
        if let Some(g) = grads.get(&inputs) {
            let moved = inputs_adam.step(g, n, settings.learning_rate)?;
            inputs.set(&(inputs.as_tensor() + moved)?.clamp(-1.0, 1.0)?)?;
        }
        if let Some(g) = grads.get(&logits) {
            logits.set(&(logits.as_tensor() + logits_adam.step(g, n, settings.learning_rate)?)?)?;
        }
    }
    let fitted = DataEstimate {
        inputs: inputs.as_tensor().detach(),
        label_logits: logits.as_tensor().detach(),
    };
    Ok((fitted, last))
}

/// Converts `stale`, computed by `local` training on `base` (`w_{t−τ}`), into an update of
/// `current` (`w_t`), starting the data estimate from `start`.
pub fn convert(
    base: &Mlp,
    current: &Mlp,
    stale: &[Tensor],
    local: LocalTraining,
    start: DataEstimate,
    settings: Settings,
) -> Result<Conversion> {
    let (estimate, matching_loss) = estimate_data(base, stale, local, start, settings)?;
    let update = current.local_update(&estimate.inputs, &estimate.labels()?, local)?;
    Ok(Conversion {
        update,
        estimate,
        matching_loss,
    })
}
