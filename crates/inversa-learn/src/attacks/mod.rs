//! Privacy audits: what an honest-but-curious server can rebuild from the updates a federated
//! client sends, from any classifier with an explicit, twice-differentiable parameter gradient
//! ([`crate::models::victims`]). Every gradient attack implements [`GradientAttack`] and is listed
//! in [`registry`]: [`idlg`] reads the label off the last layer's gradient; [`dlg`] matches
//! gradients with L-BFGS; [`inverting_gradients`] matches their direction with a TV prior, and
//! also inverts the weight change of a client that trained locally ([`fedavg`]);
//! [`dropout_inversion`] also recovers the dropout masks a client trained with;
//! [`batch_matching`] pairs a batch's reconstructions with its originals before scoring.
//!
//! Model inversion rebuilds what a trained classifier learned of a private class from its
//! weights alone, with a GAN trained on public images as the prior ([`crate::models::gan`]): [`gmi`] searches the
//! generator's latent space, [`if_gmi`] then its intermediate features inside ℓ1 balls
//! ([`l1_ball`]).

pub mod batch_matching;
pub mod dlg;
pub mod dropout_inversion;
pub mod fedavg;
pub mod gmi;
pub mod idlg;
pub mod if_gmi;
pub mod inverting_gradients;
pub mod l1_ball;
pub mod registry;

use crate::models::victims::ExplicitGradient;
use candle_core::{Result, Tensor};
use fedavg::LocalTraining;
use inversa::Control;

/// What the server holds when it attacks one client update: the model, the update, the shape of
/// the client's batch, and what else it knows or assumes about how the client trained.
#[derive(Clone, Copy)]
pub struct Observation<'a> {
    pub model: &'a dyn ExplicitGradient,
    /// The client's update: its gradient, or with [`Self::local`] the change of its weights.
    pub update: &'a [Tensor],
    /// `[B, C, H, W]` of the client's batch.
    pub shape: &'a [usize],
    /// One-hot `[B, classes]` labels when the server knows them (or read them by iDLG); attacks
    /// that optimise or read the labels themselves ignore them.
    pub labels: Option<&'a Tensor>,
    /// The client's dropout rate on the features entering the last layer (0: none).
    pub dropout: f64,
    /// The client's local training when it sent a FedAvg update rather than a gradient.
    pub local: Option<LocalTraining>,
}

impl<'a> Observation<'a> {
    /// The gradient `update` of `model` on a batch of `shape`, with unknown labels, no dropout.
    pub fn gradient(
        model: &'a dyn ExplicitGradient,
        update: &'a [Tensor],
        shape: &'a [usize],
    ) -> Self {
        Self {
            model,
            update,
            shape,
            labels: None,
            dropout: 0.0,
            local: None,
        }
    }

    /// The same observation with the batch's one-hot `labels` known.
    pub fn with_labels(self, labels: &'a Tensor) -> Self {
        Self {
            labels: Some(labels),
            ..self
        }
    }

    /// The same observation of a client that trained with dropout `rate`.
    pub fn with_dropout(self, rate: f64) -> Self {
        Self {
            dropout: rate,
            ..self
        }
    }

    /// The same observation of a FedAvg client whose update is the weight change of `local`.
    pub fn after(self, local: LocalTraining) -> Self {
        Self {
            local: Some(local),
            ..self
        }
    }

    /// Classes of the model: the length of the last layer's bias gradient (the last parameter,
    /// see [`ExplicitGradient`]).
    pub fn classes(&self) -> Result<usize> {
        match self.update.last() {
            Some(bias) => bias.dim(0),
            None => candle_core::bail!("the observed update has no parameters"),
        }
    }

    /// The known labels, or an error naming `attack`, which needs them.
    pub(crate) fn known_labels(&self, attack: &str) -> Result<&'a Tensor> {
        match self.labels {
            Some(labels) => Ok(labels),
            None => candle_core::bail!("{attack} needs the batch's labels (known or read by iDLG)"),
        }
    }
}

/// What a gradient attack found: the dummy input, the label distribution it ended with, the
/// matching loss per step and, for the Dropout Inversion Attack, the recovered keep variables
/// (`[B, features]`).
pub struct Reconstruction {
    pub image: Tensor,
    pub labels: Tensor,
    pub history: Vec<f64>,
    pub masks: Option<Tensor>,
}

/// One step of a gradient attack.
#[derive(Clone, Copy, Debug)]
pub struct Step {
    /// 0-based.
    pub iteration: usize,
    /// The gradient-matching loss before the step.
    pub loss: f64,
}

/// A gradient-inversion attack: rebuilds a client's batch from what the server observed.
pub trait GradientAttack {
    /// The name in [`registry::attacks`].
    fn name(&self) -> &'static str;

    /// Rebuilds the batch of `observation.shape`, starting from a point drawn from `seed`;
    /// `progress` sees every step and may stop the attack there.
    fn reconstruct(
        &self,
        observation: &Observation,
        seed: u64,
        progress: &mut dyn FnMut(&Step) -> Control,
    ) -> Result<Reconstruction>;
}
