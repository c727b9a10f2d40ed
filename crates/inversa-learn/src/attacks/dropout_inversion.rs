//! The Dropout Inversion Attack (DIA): Scheliga, Mäder, Seeland, "Dropout is NOT All You Need to
//! Prevent Gradient Leakage", AAAI 2023, arXiv:2208.06163.
//!
//! A client that trains with dropout sends the gradient of a network thinned by masks the server
//! never sees, so Inverting Gradients, which matches against the full network, chases the wrong
//! target. DIA optimises the masks too: keep variables `m ∈ [0, 1]^{B×F}` (initialised with a
//! Bernoulli(1 − p) draw, clipped to `[0, 1]` after each step) enter the network as the dropout
//! multiplier `m/(1 − p)`, and the loss of Inverting Gradients gains `λ |(1 − mean m) − p|`
//! (λ = 10⁻⁴, the paper's setting), which keeps the dropped fraction near the known rate.

use super::dlg::Reconstruction;
use super::inverting_gradients::{run, MaskSearch, Settings, Target};
use crate::models::victims::ExplicitGradient;
use candle_core::{Result, Tensor};

/// Rebuilds a batch of `shape` with one-hot `labels` from gradients `observed` of `model`
/// trained with dropout rate `rate` on its features; returns the reconstruction and the
/// recovered keep variables (`[B, features]`); `progress(iteration, cosine distance)` is called
/// at every step.
#[allow(clippy::too_many_arguments)]
pub fn invert(
    model: &dyn ExplicitGradient,
    observed: &[Tensor],
    shape: &[usize],
    labels: &Tensor,
    rate: f64,
    settings: Settings,
    seed: u64,
    progress: &mut dyn FnMut(usize, f64),
) -> Result<(Reconstruction, Tensor)> {
    if !(0.0..1.0).contains(&rate) {
        candle_core::bail!("a dropout rate is in [0, 1), not {rate}");
    }
    if settings.local_training.is_some() {
        candle_core::bail!("the Dropout Inversion Attack inverts gradients, not FedAvg updates");
    }
    let search = MaskSearch {
        rate,
        regularization: 1e-4,
    };
    let target = Target {
        model,
        observed,
        labels,
        local: None,
    };
    let (reconstruction, keep) = run(&target, shape, settings, Some(search), seed, progress)?;
    match keep {
        Some(keep) => Ok((reconstruction, keep)),
        None => candle_core::bail!("the mask search returned no masks"),
    }
}
