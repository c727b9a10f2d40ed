//! Federated-averaging clients and the inversion of their updates. A FedAvg client (McMahan,
//! Moore, Ramage, Hampson, Agüera y Arcas, "Communication-Efficient Learning of Deep Networks from
//! Decentralized Data", AISTATS 2017) takes several local gradient steps on its data and sends
//! only the change of its weights; Geiping et al. ("Inverting Gradients", NeurIPS 2020, §6)
//! invert that update by simulating the same local steps on the dummy data and matching the
//! simulated update's direction to the observed one.
//!
//! The client here takes `steps` full-batch SGD steps of rate `η` from the server's weights
//! `θ₀`: `θ_{t+1} = θ_t − η ∇_θ ℓ(θ_t; x, y)`, update `Δ = θ_T − θ₀`. The update is built from
//! the model's explicit parameter gradient ([`ExplicitGradient::gradients_at`]), so it is a
//! differentiable expression of `x` (through the later steps' weights as well), and Inverting
//! Gradients minimises `1 − cos(Δ(x'), Δ) + α TV(x')` over `x'`
//! ([`super::inverting_gradients::InvertingGradients`] of an observation [`super::Observation::after`]
//! local training). With one step the update is `−η g`, whose direction is the
//! gradient's: FedSGD.

use crate::models::victims::ExplicitGradient;
use candle_core::{Result, Tensor};

/// A client's local training: `steps` SGD steps of `learning_rate` on its whole batch.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LocalTraining {
    pub steps: usize,
    pub learning_rate: f64,
}

/// The update `θ_T − θ₀` of `model` after local training on images `x` with label distributions
/// `p` (`[B, classes]`), differentiable in `x`.
pub fn local_update(
    model: &dyn ExplicitGradient,
    x: &Tensor,
    p: &Tensor,
    local: LocalTraining,
) -> Result<Vec<Tensor>> {
    if local.steps == 0 || local.learning_rate.is_nan() || local.learning_rate <= 0.0 {
        candle_core::bail!("local training needs at least one step and a positive learning rate");
    }
    let start = model.parameters();
    let mut current = start.to_vec();
    for _ in 0..local.steps {
        let gradients = model.gradients_at(&current, x, p, None)?;
        current = current
            .iter()
            .zip(&gradients)
            .map(|(theta, g)| theta - (g * local.learning_rate)?)
            .collect::<Result<Vec<_>>>()?;
    }
    current
        .iter()
        .zip(start)
        .map(|(end, begin)| end - begin)
        .collect()
}
