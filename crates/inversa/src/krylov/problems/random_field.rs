//! Gaussian random fields with covariance `(−Δ + τ² I)^(−α)` and zero Neumann boundary conditions
//! on the unit square — the input distribution of the FNO Darcy benchmark (Li et al., "Fourier
//! Neural Operator for parametric partial differential equations", ICLR 2021, §5.2: `α = 2`,
//! `τ = 3`). The Karhunen–Loève expansion in the Neumann eigenfunctions of `−Δ`,
//!
//! `g(x, y) = Σ_{(k₁,k₂) ≠ (0,0)} ξ_k (π²(k₁² + k₂²) + τ²)^(−α/2) cos(π k₁ x) cos(π k₂ y)`,
//! `ξ_k ~ N(0, 1)`,
//!
//! is truncated to `n × n` modes and evaluated at the interior grid points `(i+1)/(n+1)`. The
//! constant mode is left out (as in FNO's sampler), so the field has zero mean. At these sizes the
//! separable direct sum (`O(n³)`) costs about what a DCT would, and needs no grid alignment.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

/// A sample on the `n × n` grid, row-major (`index = row · n + column`, row = `y`).
pub fn gaussian_random_field(n: usize, alpha: f64, tau: f64, rng: &mut ChaCha8Rng) -> Vec<f64> {
    let pi = std::f64::consts::PI;
    let modes = n;
    let mut weights = vec![0.0; modes * modes];
    for k1 in 0..modes {
        for k2 in 0..modes {
            let xi: f64 = rng.sample(StandardNormal);
            if k1 + k2 > 0 {
                let eigen = pi * pi * (k1 * k1 + k2 * k2) as f64 + tau * tau;
                weights[k1 * modes + k2] = xi * eigen.powf(-alpha / 2.0);
            }
        }
    }
    let h = 1.0 / (n + 1) as f64;
    let cosines: Vec<f64> = (0..modes)
        .flat_map(|k| (0..n).map(move |i| (pi * k as f64 * (i + 1) as f64 * h).cos()))
        .collect();
    // partial[k2][col] = Σ_{k1} w[k1][k2] cos(π k1 x_col)
    let mut partial = vec![0.0; modes * n];
    for k1 in 0..modes {
        for k2 in 0..modes {
            let w = weights[k1 * modes + k2];
            for col in 0..n {
                partial[k2 * n + col] += w * cosines[k1 * n + col];
            }
        }
    }
    let mut field = vec![0.0; n * n];
    for k2 in 0..modes {
        for row in 0..n {
            let c = cosines[k2 * n + row];
            for col in 0..n {
                field[row * n + col] += c * partial[k2 * n + col];
            }
        }
    }
    field
}

/// `g / std(g)` (the field has zero mean by construction up to sampling).
pub fn standardized(g: &[f64]) -> Vec<f64> {
    let mean = g.iter().sum::<f64>() / g.len() as f64;
    let var = g.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / g.len() as f64;
    let s = var.sqrt().max(f64::MIN_POSITIVE);
    g.iter().map(|v| (v - mean) / s).collect()
}
