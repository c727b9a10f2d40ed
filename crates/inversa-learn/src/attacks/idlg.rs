//! iDLG label recovery: Zhao, Mopuri, Bilen, "iDLG: Improved Deep Leakage from Gradients", 2020,
//! arXiv:2001.02610, §3.
//!
//! For one sample with cross-entropy loss, the gradient of the last layer's weight row `i` is
//! `(softmax_i − y_i) h`. With non-negative features `h` (after a sigmoid or ReLU), that row is
//! non-positive only for the true class, where `softmax_i − 1 < 0`; every other row is
//! non-negative. So the label is the row whose gradient sums lowest, read off the update without
//! any optimisation; DLG then matches the gradient with that label fixed ([`Idlg`]).

use super::dlg::match_gradients;
use super::{GradientAttack, Observation, Reconstruction, Step};
use crate::optim::lbfgs::Lbfgs;
use candle_core::{Result, Tensor};
use inversa::Control;

/// The label of a single sample, from the gradient of the last fully connected weight
/// (`[classes, features]`).
pub fn label_from_last_layer(weight_gradient: &Tensor) -> Result<usize> {
    let sums = weight_gradient.sum(1)?.to_vec1::<f32>()?;
    Ok(sums
        .iter()
        .enumerate()
        .min_by(|a, b| a.1.total_cmp(b.1))
        .map_or(0, |(i, _)| i))
}

/// DLG on one image whose label is read off the last layer's weight gradient first.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Idlg {
    pub lbfgs: Lbfgs,
}

impl GradientAttack for Idlg {
    fn name(&self) -> &'static str {
        "idlg"
    }

    fn reconstruct(
        &self,
        observation: &Observation,
        seed: u64,
        progress: &mut dyn FnMut(&Step) -> Control,
    ) -> Result<Reconstruction> {
        let update = observation.update;
        if observation.shape.first() != Some(&1) || update.len() < 2 {
            candle_core::bail!("iDLG reads the label of a single image from a model's last layer");
        }
        // The last layer's weight comes just before its bias (see `ExplicitGradient`).
        let label = label_from_last_layer(&update[update.len() - 2])?;
        match_gradients(observation, Some(label), self.lbfgs, seed, progress)
    }
}
