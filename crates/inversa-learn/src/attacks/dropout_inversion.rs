//! The Dropout Inversion Attack (DIA): Scheliga, Mäder, Seeland, "Dropout is NOT All You Need to
//! Prevent Gradient Leakage", AAAI 2023, arXiv:2208.06163.
//!
//! A client that trains with dropout sends the gradient of a network thinned by masks the server
//! never sees, so Inverting Gradients, which matches against the full network, chases the wrong
//! target. DIA optimises the masks too: keep variables `m ∈ [0, 1]^{B×F}` (initialised with a
//! Bernoulli(1 − p) draw, clipped to `[0, 1]` after each step) enter the network as the dropout
//! multiplier `m/(1 − p)`, and the loss of Inverting Gradients gains `λ |(1 − mean m) − p|`
//! (λ = 10⁻⁴, the paper's setting), which keeps the dropped fraction near the known rate.

use super::inverting_gradients::{run, MaskSearch, Settings};
use super::{GradientAttack, Observation, Reconstruction, Step};
use candle_core::Result;
use inversa::Control;

/// DIA with the settings of its Inverting Gradients optimisation. It reads the client's dropout
/// rate from [`Observation::dropout`] and returns the recovered keep variables in
/// [`Reconstruction::masks`]; without dropout there are no masks to find, and it is Inverting
/// Gradients.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct DropoutInversion {
    pub settings: Settings,
}

impl GradientAttack for DropoutInversion {
    fn name(&self) -> &'static str {
        "dia"
    }

    fn reconstruct(
        &self,
        observation: &Observation,
        seed: u64,
        progress: &mut dyn FnMut(&Step) -> Control,
    ) -> Result<Reconstruction> {
        let rate = observation.dropout;
        if !(0.0..1.0).contains(&rate) {
            candle_core::bail!("a dropout rate is in [0, 1), not {rate}");
        }
        if observation.local.is_some() {
            candle_core::bail!(
                "the Dropout Inversion Attack inverts gradients, not FedAvg updates"
            );
        }
        let search = (rate > 0.0).then_some(MaskSearch {
            rate,
            regularization: 1e-4,
        });
        run(observation, self.settings, search, seed, progress)
    }
}
