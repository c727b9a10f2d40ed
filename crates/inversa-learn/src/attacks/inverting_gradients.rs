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

use super::dlg::Reconstruction;
use super::lenet::LeNet;
use crate::diffusion::standard_normal;
use candle_core::{DType, Device, Result, Tensor, Var};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// Settings of [`invert`]; defaults follow the paper except the iteration count (24 000 there).
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

/// `1 − cos(∇_θ ℓ(x, p), observed)` over all parameters, as a tracked scalar.
pub fn cosine_distance(
    model: &LeNet,
    x: &Tensor,
    p: &Tensor,
    observed: &[Tensor],
) -> Result<Tensor> {
    let grads = model.parameter_gradients(x, p)?;
    let mut inner = Tensor::zeros((), DType::F32, &Device::Cpu)?;
    let mut ours = Tensor::zeros((), DType::F32, &Device::Cpu)?;
    let mut theirs = 0.0f64;
    for (g, o) in grads.iter().zip(observed) {
        inner = (inner + (g * o)?.sum_all()?)?;
        ours = (ours + g.sqr()?.sum_all()?)?;
        theirs += f64::from(o.sqr()?.sum_all()?.to_scalar::<f32>()?);
    }
    let denominator = (ours.sqrt()? * theirs.sqrt())?;
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

/// Rebuilds a batch of `shape` with one-hot labels `labels` from `observed` gradients of `model`.
pub fn invert(
    model: &LeNet,
    observed: &[Tensor],
    shape: &[usize],
    labels: &Tensor,
    settings: Settings,
    seed: u64,
) -> Result<Reconstruction> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let image = Var::from_tensor(&standard_normal(&mut rng, shape, DType::F32)?.clamp(0.0, 1.0)?)?;
    let (beta1, beta2, epsilon) = (0.9, 0.999, 1e-8);
    let mut first = image.zeros_like()?;
    let mut second = image.zeros_like()?;
    let mut history = Vec::with_capacity(settings.iterations);
    for step in 0..settings.iterations {
        let distance = cosine_distance(model, image.as_tensor(), labels, observed)?;
        let loss = (&distance + (total_variation(image.as_tensor())? * settings.tv_weight)?)?;
        history.push(f64::from(distance.to_scalar::<f32>()?));
        let grads = loss.backward()?;
        let Some(gradient) = grads.get(&image) else {
            candle_core::bail!("the gradient distance does not depend on the image");
        };
        let signed = gradient.sign()?;
        first = ((first * beta1)? + (&signed * (1.0 - beta1))?)?;
        second = ((second * beta2)? + (signed.sqr()? * (1.0 - beta2))?)?;
        let n = (step + 1) as i32;
        let corrected = (&first / (1.0 - beta1.powi(n)))?;
        let scale = ((&second / (1.0 - beta2.powi(n)))?.sqrt()? + epsilon)?;
        let rate = settings.learning_rate * decay(step, settings.iterations);
        let next = (image.as_tensor() - ((corrected / scale)? * rate)?)?.clamp(0.0, 1.0)?;
        image.set(&next)?;
    }
    Ok(Reconstruction {
        image: image.as_tensor().detach(),
        labels: labels.clone(),
        history,
    })
}

/// The paper's step schedule: ×0.1 at 3/8, 5/8 and 7/8 of the run.
fn decay(step: usize, iterations: usize) -> f64 {
    let milestones = [3, 5, 7].map(|m| iterations * m / 8);
    0.1f64.powi(milestones.iter().filter(|&&m| step >= m).count() as i32)
}
