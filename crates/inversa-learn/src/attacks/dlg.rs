//! Deep Leakage from Gradients: Zhu, Liu, Han, NeurIPS 2019, arXiv:1906.08935, Algorithm 1; with
//! the label read off the update first, [`super::idlg::Idlg`] (iDLG, Zhao et al. 2020).
//!
//! The server knows the model and the client's gradient `g = ∇_θ ℓ(f_θ(x), y)`. It draws a dummy
//! input `x'` (and, without a known label, dummy label logits `y'`) and minimises the L2 gradient
//! distance `Σ_layers ‖∇_θ ℓ(f_θ(x'), softmax(y')) − g‖²` with L-BFGS. The gradient of that
//! distance with respect to `x'` is a derivative of a gradient; it is taken through the model's
//! explicit parameter-gradient expression
//! ([`crate::models::victims::ExplicitGradient::gradients`]).

use super::{GradientAttack, Observation, Reconstruction, Step};
use crate::diffusion::standard_normal;
use crate::optim::lbfgs::{minimise, Lbfgs};
use candle_core::{DType, Device, Result, Tensor, Var, D};
use candle_nn::ops::softmax;
use inversa::Control;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// DLG with its L-BFGS settings; the labels are optimised with the image.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Dlg {
    pub lbfgs: Lbfgs,
}

impl GradientAttack for Dlg {
    fn name(&self) -> &'static str {
        "dlg"
    }

    fn reconstruct(
        &self,
        observation: &Observation,
        seed: u64,
        progress: &mut dyn FnMut(&Step) -> Control,
    ) -> Result<Reconstruction> {
        match_gradients(observation, None, self.lbfgs, seed, progress)
    }
}

/// Rebuilds the observed batch by L2 gradient matching; `label` fixes a known label for every
/// image (iDLG), otherwise labels are optimised too. `progress(iteration, distance)` is called
/// after every L-BFGS step.
pub(crate) fn match_gradients(
    observation: &Observation,
    label: Option<usize>,
    settings: Lbfgs,
    seed: u64,
    progress: &mut dyn FnMut(&Step) -> Control,
) -> Result<Reconstruction> {
    if observation.local.is_some() {
        candle_core::bail!("DLG matches gradients, not FedAvg updates");
    }
    let Observation {
        model,
        update: observed,
        shape,
        ..
    } = *observation;
    let classes = observation.classes()?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let batch = shape[0];
    let pixels: usize = shape.iter().product();
    let start_image = standard_normal(&mut rng, shape, DType::F32)?;
    let start_labels = standard_normal(&mut rng, &[batch, classes], DType::F32)?;
    let mut x: Vec<f64> = flat(&start_image)?;
    if label.is_none() {
        x.extend(flat(&start_labels)?);
    }
    let fixed = match label {
        Some(l) => Some(candle_nn::encoding::one_hot(
            Tensor::new(vec![l as u32; batch], &Device::Cpu)?,
            classes,
            1.0f32,
            0.0f32,
        )?),
        None => None,
    };
    let distance = |point: &[f64]| -> Result<(f64, Vec<f64>)> {
        let image = Var::from_tensor(&tensor(&point[..pixels], shape)?)?;
        let logits = Var::from_tensor(&match &fixed {
            Some(_) => Tensor::zeros((batch, classes), DType::F32, &Device::Cpu)?,
            None => tensor(&point[pixels..], &[batch, classes])?,
        })?;
        let p = match &fixed {
            Some(one_hot) => one_hot.clone(),
            None => softmax(logits.as_tensor(), D::Minus1)?,
        };
        let grads = model.gradients(image.as_tensor(), &p, None)?;
        let mut total = Tensor::zeros((), DType::F32, &Device::Cpu)?;
        for (g, o) in grads.iter().zip(observed) {
            total = (total + (g - o)?.sqr()?.sum_all()?)?;
        }
        let value = f64::from(total.to_scalar::<f32>()?);
        let store = total.backward()?;
        let mut gradient = flat(&store.get(&image).cloned().unwrap_or(image.zeros_like()?))?;
        if fixed.is_none() {
            gradient.extend(flat(
                &store.get(&logits).cloned().unwrap_or(logits.zeros_like()?),
            )?);
        }
        Ok((value, gradient))
    };
    let mut history = Vec::new();
    minimise(settings, &mut x, distance, |iteration, value| {
        history.push(value);
        progress(&Step {
            iteration,
            loss: value,
        })
    })?;
    let image = tensor(&x[..pixels], shape)?;
    let labels = match fixed {
        Some(one_hot) => one_hot,
        None => softmax(&tensor(&x[pixels..], &[batch, classes])?, D::Minus1)?,
    };
    Ok(Reconstruction {
        image,
        labels,
        history,
        masks: None,
    })
}

fn flat(t: &Tensor) -> Result<Vec<f64>> {
    t.flatten_all()?.to_dtype(DType::F64)?.to_vec1::<f64>()
}

fn tensor(values: &[f64], shape: &[usize]) -> Result<Tensor> {
    Tensor::from_vec(values.to_vec(), shape, &Device::Cpu)?.to_dtype(DType::F32)
}
