//! Rectified flow: sampling and inversion by Euler steps of the flow ODE. Liu, Gong, Liu, "Flow
//! Straight and Fast: Learning to Generate and Transfer Data with Rectified Flow", ICLR 2023,
//! arXiv:2209.03003.
//!
//! With `x_t = (1−t) x₀ + t ε` (`t = 1` noise) and `v(x, t) = E[ε − x₀ | x_t = x]`, the ODE
//! `dx/dt = v(x, t)` carries noise at `t = 1` to data at `t = 0` and back. On a grid of times
//! `t_0, t_1, …` (decreasing to sample, increasing to invert) the Euler step is
//!
//! ```text
//! x_{t_{i+1}} = x_{t_i} + (t_{i+1} − t_i) v(x_{t_i}, t_i).
//! ```
//!
//! Inversion runs the same steps on the reversed grid; each uses `v` at the step's start, so the
//! inversion and the sampler are not exact inverses (the error is first order in the step).

use crate::diffusion::model::VelocityModel;
use crate::diffusion::{bad, combine};
use crate::Result;
use candle_core::Tensor;

/// `steps + 1` evenly spaced times from 1 (noise) to 0 (data): the sampling grid. Reverse it
/// to invert.
///
/// ```
/// let t = inversa_learn::diffusion::inversion::rectified_flow::sampling_times(4).unwrap();
/// assert_eq!(t, vec![1.0, 0.75, 0.5, 0.25, 0.0]);
/// ```
pub fn sampling_times(steps: usize) -> Result<Vec<f64>> {
    if steps == 0 {
        return Err(bad("steps", "must be at least 1"));
    }
    Ok((0..=steps).map(|i| 1.0 - i as f64 / steps as f64).collect())
}

/// Checks that `times` has at least two entries, all in `[0, 1]`.
pub(crate) fn check_times(times: &[f64]) -> Result<()> {
    if times.len() < 2 || times.iter().any(|t| !(0.0..=1.0).contains(t)) {
        return Err(bad("times", "needs at least two times, each in [0, 1]"));
    }
    Ok(())
}

/// Integrates from `times[0]` to the last time with Euler steps (one model call per step).
pub fn euler(
    model: &dyn VelocityModel,
    x: &Tensor,
    times: &[f64],
    class: Option<usize>,
) -> Result<Tensor> {
    check_times(times)?;
    let mut x = x.clone();
    for pair in times.windows(2) {
        let v = model.velocity(&x, pair[0], class)?;
        x = combine(1.0, &x, pair[1] - pair[0], &v)?;
    }
    Ok(x)
}
