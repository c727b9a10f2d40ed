//! iDLG label recovery: Zhao, Mopuri, Bilen, "iDLG: Improved Deep Leakage from Gradients", 2020,
//! arXiv:2001.02610, §3.
//!
//! For one sample with cross-entropy loss, the gradient of the last layer's weight row `i` is
//! `(softmax_i − y_i) h`. With non-negative features `h` (after a sigmoid or ReLU), that row is
//! non-positive only for the true class, where `softmax_i − 1 < 0`; every other row is
//! non-negative. So the label is the row whose gradient sums lowest, read off the update without
//! any optimisation.

use candle_core::{Result, Tensor};

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
