//! Darcy flow `−∇·(a ∇u) = 1` on the unit square with `u = 0` on the boundary, with the
//! piecewise-constant permeability of the FNO benchmark (Li et al., "Fourier Neural Operator for
//! parametric partial differential equations", ICLR 2021, §5.2): `a = 12` where a Gaussian random
//! field with covariance `(−Δ + 9I)^(−2)` is non-negative and `a = 3` where it is negative.
//! Discretised by five-point finite volumes with harmonic-mean faces ([`super::diffusion`]):
//! symmetric positive definite.

use super::diffusion::diffusion_matrix;
use super::random_field::gaussian_random_field;
use super::System;
use crate::error::Result;
use rand_chacha::ChaCha8Rng;

/// The thresholded permeability `a = 12` where `g ≥ 0`, `3` elsewhere.
pub fn permeability(g: &[f64]) -> Vec<f64> {
    g.iter()
        .map(|&v| if v >= 0.0 { 12.0 } else { 3.0 })
        .collect()
}

/// One Darcy system on the `n × n` interior grid.
pub fn system(n: usize, rng: &mut ChaCha8Rng) -> Result<System> {
    let a = permeability(&gaussian_random_field(n, 2.0, 3.0, rng));
    Ok(System {
        matrix: diffusion_matrix(n, &a, None)?,
        rhs: vec![1.0; n * n],
        field: a,
    })
}
