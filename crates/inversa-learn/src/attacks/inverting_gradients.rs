//! Inverting Gradients: Geiping, Bauermeister, Dröge, Moeller, "Inverting Gradients — How easy is
//! it to break privacy in federated learning?", NeurIPS 2020, arXiv:2003.14053, §4.
//!
//! Gradient matching by direction rather than size, with a total-variation prior:
//!
//! ```text
//! minimise over x' ∈ [0, 1]ⁿ:   1 − ⟨∇_θ ℓ(x', y), g⟩ / (‖∇_θ ℓ(x', y)‖ ‖g‖) + α TV(x'),
//! ```
//!
//! all parameters' gradients concatenated, TV the mean absolute difference between neighbouring
//! pixels. The optimiser is the paper's: Adam on the *sign* of the gradient, learning rate 0.1
//! divided by 10 at 3/8, 5/8 and 7/8 of the iterations, and a projection onto the image range
//! after each step. The label is the known (or iDLG-recovered) one.

use super::fedavg::local_update;
use super::{GradientAttack, Observation, Reconstruction, Step};
use crate::diffusion::standard_normal;
use crate::models::victims::lenet::dropout_mask;
use crate::models::victims::ExplicitGradient;
use crate::optim::adam::TensorAdam;
use candle_core::{DType, Device, Result, Tensor, Var};
use inversa::Control;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// Settings of [`InvertingGradients`]; defaults follow the paper except the iteration count
/// (24 000 there).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Settings {
    pub iterations: usize,
    pub learning_rate: f64,
    /// `α`, the TV weight.
    pub tv_weight: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            iterations: 2000,
            learning_rate: 0.1,
            tv_weight: 1e-4,
        }
    }
}

/// `1 − cos(∇_θ ℓ(x, p), observed)` over all parameters, as a tracked scalar, for the network
/// with the `dropout` multiplier (when given) on its features.
pub fn cosine_distance(
    model: &dyn ExplicitGradient,
    x: &Tensor,
    p: &Tensor,
    dropout: Option<&Tensor>,
    observed: &[Tensor],
) -> Result<Tensor> {
    cosine(&model.gradients(x, p, dropout)?, observed)
}

/// `1 − cos(ours, observed)` over all parameter tensors concatenated, tracked through `ours`.
pub(crate) fn cosine(ours: &[Tensor], observed: &[Tensor]) -> Result<Tensor> {
    let mut inner = Tensor::zeros((), DType::F32, &Device::Cpu)?;
    let mut squared = Tensor::zeros((), DType::F32, &Device::Cpu)?;
    let mut theirs = 0.0f64;
    for (g, o) in ours.iter().zip(observed) {
        inner = (inner + (g * o)?.sum_all()?)?;
        squared = (squared + g.sqr()?.sum_all()?)?;
        theirs += f64::from(o.sqr()?.sum_all()?.to_scalar::<f32>()?);
    }
    let denominator = (squared.sqrt()? * theirs.sqrt())?;
    1.0 - (inner / denominator)?
}

/// Mean absolute difference between vertical and horizontal neighbours of `[B, C, H, W]` images.
pub fn total_variation(x: &Tensor) -> Result<Tensor> {
    let (_, _, h, w) = x.dims4()?;
    let vertical = (x.narrow(2, 1, h - 1)? - x.narrow(2, 0, h - 1)?)?
        .abs()?
        .mean_all()?;
    let horizontal = (x.narrow(3, 1, w - 1)? - x.narrow(3, 0, w - 1)?)?
        .abs()?
        .mean_all()?;
    vertical + horizontal
}

/// Inverting Gradients with its settings. It matches the observed update with the batch's known
/// labels, on the network without dropout (the server does not know the client's masks); when
/// the client trained locally ([`Observation::local`]), it simulates the same local steps on its
/// dummy data and matches the simulated update instead ([`super::fedavg`]).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct InvertingGradients {
    pub settings: Settings,
}

impl GradientAttack for InvertingGradients {
    fn name(&self) -> &'static str {
        "ig"
    }

    fn reconstruct(
        &self,
        observation: &Observation,
        seed: u64,
        progress: &mut dyn FnMut(&Step) -> Control,
    ) -> Result<Reconstruction> {
        run(observation, self.settings, None, seed, progress)
    }
}

/// The masks being optimised by the Dropout Inversion Attack: the dropout rate and the `[B,
/// features]` keep variables in `[0, 1]`.
pub(crate) struct MaskSearch {
    pub(crate) rate: f64,
    pub(crate) regularization: f64,
}

/// The optimisation behind [`InvertingGradients`] and the Dropout Inversion Attack: with `masks`,
/// the dropout keep variables are optimised jointly with the image (and returned).
pub(crate) fn run(
    observation: &Observation,
    settings: Settings,
    masks: Option<MaskSearch>,
    seed: u64,
    progress: &mut dyn FnMut(&Step) -> Control,
) -> Result<Reconstruction> {
    let Observation {
        model,
        update: observed,
        shape,
        local,
        ..
    } = *observation;
    let labels = observation.known_labels("Inverting Gradients")?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let image = Var::from_tensor(&standard_normal(&mut rng, shape, DType::F32)?.clamp(0.0, 1.0)?)?;
    let keep = match &masks {
        Some(search) => {
            let features = model.dropout_features(&shape[1..])?;
            let start = dropout_mask(shape[0], features, search.rate, seed)?;
            Some(Var::from_tensor(&(start * (1.0 - search.rate))?)?)
        }
        None => None,
    };
    let mut image_adam = TensorAdam::new(image.as_tensor())?;
    let mut keep_adam = match &keep {
        Some(k) => Some(TensorAdam::new(k.as_tensor())?),
        None => None,
    };
    let mut history = Vec::with_capacity(settings.iterations);
    for step in 0..settings.iterations {
        let multiplier = match (&keep, &masks) {
            (Some(k), Some(search)) => Some((k.as_tensor() / (1.0 - search.rate))?),
            _ => None,
        };
        let ours = match local {
            Some(local) => local_update(model, image.as_tensor(), labels, local)?,
            None => model.gradients(image.as_tensor(), labels, multiplier.as_ref())?,
        };
        let distance = cosine(&ours, observed)?;
        let mut loss = (&distance + (total_variation(image.as_tensor())? * settings.tv_weight)?)?;
        if let (Some(k), Some(search)) = (&keep, &masks) {
            // The paper's pull of the mean keep rate towards 1 − p.
            let dropped = (1.0 - k.as_tensor().mean_all()?)?;
            loss = (loss + ((dropped - search.rate)?.abs()? * search.regularization)?)?;
        }
        let value = f64::from(distance.to_scalar::<f32>()?);
        history.push(value);
        if progress(&Step {
            iteration: step,
            loss: value,
        }) == Control::Stop
        {
            break;
        }
        let grads = loss.backward()?;
        let Some(gradient) = grads.get(&image) else {
            candle_core::bail!("the gradient distance does not depend on the image");
        };
        let n = (step + 1) as i32;
        let rate = settings.learning_rate * decay(step, settings.iterations);
        let moved = image_adam.step(&gradient.sign()?, n, rate)?;
        image.set(&(image.as_tensor() + moved)?.clamp(0.0, 1.0)?)?;
        if let (Some(k), Some(adam)) = (&keep, keep_adam.as_mut()) {
            if let Some(g) = grads.get(k) {
                let moved = adam.step(g, n, rate)?;
                k.set(&(k.as_tensor() + moved)?.clamp(0.0, 1.0)?)?;
            }
        }
    }
    Ok(Reconstruction {
        image: image.as_tensor().detach(),
        labels: labels.clone(),
        history,
        masks: keep.map(|k| k.as_tensor().detach()),
    })
}

/// The paper's step schedule: ×0.1 at 3/8, 5/8 and 7/8 of the run.
fn decay(step: usize, iterations: usize) -> f64 {
    let milestones = [3, 5, 7].map(|m| iterations * m / 8);
    0.1f64.powi(milestones.iter().filter(|&&m| step >= m).count() as i32)
}
