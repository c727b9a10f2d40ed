//! The data: two-phase permeabilities (the FNO Darcy benchmark's thresholded Gaussian random field,
//! [`permeability`]), their finite-volume solutions of `−∇·(a∇u) = 1`, `u = 0` on the boundary
//! ([`diffusion_matrix`], solved by Jacobi-preconditioned CG), and the sensor lattice.

use crate::{Error, Result};
use inversa::krylov::cg::Cg;
use inversa::krylov::preconditioner::Jacobi;
use inversa::krylov::problems::darcy::permeability;
use inversa::krylov::problems::diffusion::diffusion_matrix;
use inversa::krylov::problems::random_field::gaussian_random_field;
use inversa::solvers::Silent;
use rand_chacha::ChaCha8Rng;

/// The two phases' permeabilities (those of [`permeability`]).
pub const HIGH: f64 = 12.0;
pub const LOW: f64 = 3.0;

/// `count` permeabilities on the `n × n` interior grid (row-major, row = `y`).
pub fn draw_fields(n: usize, count: usize, rng: &mut ChaCha8Rng) -> Vec<Vec<f64>> {
    (0..count)
        .map(|_| permeability(&gaussian_random_field(n, 2.0, 3.0, rng)))
        .collect()
}

/// The finite-volume solution of `−∇·(a∇u) = 1` with `u = 0` on the boundary.
pub fn solve(n: usize, a: &[f64]) -> Result<Vec<f64>> {
    let matrix = diffusion_matrix(n, a, None)?;
    let rhs = vec![1.0; n * n];
    let mut u = vec![0.0; n * n];
    let cg = Cg {
        tolerance: 1e-11,
        ..Cg::default()
    };
    let info = cg.solve(&matrix, &rhs, &mut u, &Jacobi::new(&matrix)?, &mut Silent)?;
    if !info.converged {
        return Err(Error::setting(
            "grid",
            format!(
                "CG did not solve the Darcy system (relative residual {:.1e})",
                info.relative_residual
            ),
        ));
    }
    Ok(u)
}

/// The solutions of every field.
pub fn solve_all(n: usize, fields: &[Vec<f64>]) -> Result<Vec<Vec<f64>>> {
    fields.iter().map(|a| solve(n, a)).collect()
}

/// A `side × side` lattice of grid indices, evenly spread with a margin of half a spacing.
pub fn sensor_lattice(n: usize, side: usize) -> Vec<usize> {
    let at = |k: usize| ((2 * k + 1) * n) / (2 * side);
    (0..side)
        .flat_map(|r| (0..side).map(move |c| at(r) * n + at(c)))
        .collect()
}

/// The fraction of points where `estimate` and `truth` lie on different sides of the phases'
/// midpoint.
pub fn misclassified(estimate: &[f64], truth: &[f64]) -> f64 {
    let mid = 0.5 * (HIGH + LOW);
    let wrong = estimate
        .iter()
        .zip(truth)
        .filter(|(e, t)| (**e >= mid) != (**t >= mid))
        .count();
    wrong as f64 / truth.len() as f64
}

/// `‖x − y‖ / ‖y‖`.
pub fn relative_l2(x: &[f64], y: &[f64]) -> f64 {
    let miss: f64 = x.iter().zip(y).map(|(a, b)| (a - b).powi(2)).sum();
    let norm: f64 = y.iter().map(|b| b * b).sum();
    (miss / norm.max(f64::MIN_POSITIVE)).sqrt()
}
