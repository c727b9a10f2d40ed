//! A variable-coefficient Poisson problem `−∇·(a ∇u) = 1` on the unit square, `u = 0` on the
//! boundary, with a smooth log-normal coefficient `a = exp(g / std(g))`, `g` a Gaussian random
//! field with covariance `(−Δ + 9I)^(−2)` (the FNO Darcy field before thresholding). Five-point
//! finite volumes with harmonic-mean faces ([`super::diffusion`]): symmetric positive definite.

use super::diffusion::diffusion_matrix;
use super::random_field::{gaussian_random_field, standardized};
use super::System;
use crate::error::Result;
use rand_chacha::ChaCha8Rng;

/// One Poisson system on the `n × n` interior grid.
pub fn system(n: usize, rng: &mut ChaCha8Rng) -> Result<System> {
    let g = standardized(&gaussian_random_field(n, 2.0, 3.0, rng));
    let a: Vec<f64> = g.iter().map(|v| v.exp()).collect();
    Ok(System {
        matrix: diffusion_matrix(n, &a, None)?,
        rhs: vec![1.0; n * n],
        field: a,
    })
}
