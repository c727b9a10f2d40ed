//! Convection–diffusion `−Δu + β·∇u = 1` on the unit square, `u = 0` on the boundary, with a
//! random velocity field `β = V (g₁, g₂) / max(|g₁|, |g₂|)`, `V = 50`, `g₁, g₂` independent Gaussian
//! random fields with covariance `(−Δ + 9I)^(−2)`. The Laplacian is the five-point stencil; the
//! convection term uses first-order upwind differences (`β_x ∂ₓu ≈ β_x (u_p − u_west)/h` when
//! `β_x > 0`, `β_x (u_east − u_p)/h` otherwise; Patankar, "Numerical Heat Transfer and Fluid Flow",
//! 1980, §5.2), which keeps the matrix an M-matrix. The matrix is **not symmetric**: this is the
//! non-symmetric test case for GMRES and GCRO-DR (CG does not apply).

use super::random_field::gaussian_random_field;
use super::System;
use crate::error::Result;
use crate::krylov::sparse::CsrMatrix;
use rand_chacha::ChaCha8Rng;

/// `V`, the largest velocity component.
pub const SPEED: f64 = 50.0;

/// One convection–diffusion system on the `n × n` interior grid.
pub fn system(n: usize, rng: &mut ChaCha8Rng) -> Result<System> {
    let gx = gaussian_random_field(n, 2.0, 3.0, rng);
    let gy = gaussian_random_field(n, 2.0, 3.0, rng);
    let peak = gx.iter().chain(&gy).fold(0.0f64, |m, v| m.max(v.abs()));
    let scale = SPEED / peak.max(f64::MIN_POSITIVE);
    let bx: Vec<f64> = gx.iter().map(|v| v * scale).collect();
    let by: Vec<f64> = gy.iter().map(|v| v * scale).collect();
    let matrix = convection_diffusion_matrix(n, &bx, &by)?;
    Ok(System {
        matrix,
        rhs: vec![1.0; n * n],
        field: bx.into_iter().chain(by).collect(),
    })
}

/// `−Δ + β·∇` (upwind) on the `n × n` interior grid, row-major with `x` along a row.
pub fn convection_diffusion_matrix(n: usize, bx: &[f64], by: &[f64]) -> Result<CsrMatrix> {
    let h = 1.0 / (n + 1) as f64;
    let mut triplets = Vec::with_capacity(5 * n * n);
    for row in 0..n {
        for col in 0..n {
            let p = row * n + col;
            // (neighbour, upwind weight): diffusion 1/h², plus |β|/h on the upwind side.
            let west = 1.0 / (h * h) + bx[p].max(0.0) / h;
            let east = 1.0 / (h * h) + (-bx[p]).max(0.0) / h;
            let south = 1.0 / (h * h) + by[p].max(0.0) / h;
            let north = 1.0 / (h * h) + (-by[p]).max(0.0) / h;
            triplets.push((p, p, west + east + south + north));
            let sides = [
                (col > 0, p.wrapping_sub(1), west),
                (col + 1 < n, p + 1, east),
                (row > 0, p.wrapping_sub(n), south),
                (row + 1 < n, p + n, north),
            ];
            for (inside, q, w) in sides {
                if inside {
                    triplets.push((p, q, -w));
                }
            }
        }
    }
    CsrMatrix::from_triplets(n * n, n * n, &triplets)
}
