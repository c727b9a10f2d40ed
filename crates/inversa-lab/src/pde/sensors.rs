//! Sensors: how an experiment sees a simulated field. [`noisy`] adds independent Gaussian noise
//! to each reading; [`segment`] thresholds a field at increasing iso-levels into labels, the way a
//! segmentation of an MR image marks the regions where a concentration exceeds a visibility
//! threshold (label `l` = the number of levels exceeded).

use inversa::numerics::gaussian;
use rand_chacha::ChaCha8Rng;

/// `values + σ ε` with independent standard normal `ε`.
pub fn noisy(values: &[f64], sigma: f64, rng: &mut ChaCha8Rng) -> Vec<f64> {
    values
        .iter()
        .zip(gaussian(rng, values.len()))
        .map(|(v, e)| v + sigma * e)
        .collect()
}

/// The number of `levels` (increasing) that each value exceeds.
pub fn segment(values: &[f64], levels: &[f64]) -> Vec<u8> {
    values
        .iter()
        .map(|&v| levels.iter().take_while(|&&c| v > c).count() as u8)
        .collect()
}
