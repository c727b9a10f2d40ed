//! The Helmholtz equation with a variable wavenumber, `−Δu − κ²(x) u = 1` on the unit square with
//! `u = 0` on the boundary, `κ² = κ₀² exp(0.2 g / std(g))`, `κ₀ = 10`, `g` a Gaussian random field
//! with covariance `(−Δ + 9I)^(−2)`. Five-point finite volumes ([`super::diffusion`] with `a = 1`
//! and reaction `c = −κ²`). The matrix is real, symmetric and *indefinite*: the Dirichlet
//! Laplacian has about six eigenvalues below `κ₀² = 100` (`π²(i² + j²) < 100`), so CG does not
//! apply and GMRES-type methods must cope with eigenvalues on both sides of zero — the setting in
//! which deflating the eigenvalues closest to zero pays most.

use super::diffusion::diffusion_matrix;
use super::random_field::{gaussian_random_field, standardized};
use super::System;
use crate::error::Result;
use rand_chacha::ChaCha8Rng;

/// `κ₀`, the mean wavenumber.
pub const WAVENUMBER: f64 = 10.0;

/// One Helmholtz system on the `n × n` interior grid.
pub fn system(n: usize, rng: &mut ChaCha8Rng) -> Result<System> {
    let g = standardized(&gaussian_random_field(n, 2.0, 3.0, rng));
    let k2: Vec<f64> = g
        .iter()
        .map(|v| WAVENUMBER * WAVENUMBER * (0.2 * v).exp())
        .collect();
    let reaction: Vec<f64> = k2.iter().map(|v| -v).collect();
    Ok(System {
        matrix: diffusion_matrix(n, &vec![1.0; n * n], Some(&reaction))?,
        rhs: vec![1.0; n * n],
        field: k2,
    })
}
