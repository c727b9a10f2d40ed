//! Helpers shared by the integration tests.

use candle_core::{Device, Result, Tensor};

/// Reproducible values in [−1, 1) from a linear congruential sequence (candle's CPU generator
/// cannot be seeded).
pub fn random(shape: &[usize], seed: u64) -> Result<Tensor> {
    let len: usize = shape.iter().product();
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let values: Vec<f32> = (0..len)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 40) as f32 / (1u64 << 23) as f32 - 1.0
        })
        .collect();
    Tensor::from_vec(values, shape, &Device::Cpu)
}
