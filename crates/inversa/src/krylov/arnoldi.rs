//! One cycle of the (optionally deflated) Arnoldi process with right preconditioning, shared by
//! GMRES(m) and GCRO-DR(m, k). Starting from a unit vector `v₁` it builds
//!
//! `(I − C Cᵀ) A M⁻¹ V_j = V_{j+1} H̄_j`, with `B_j = Cᵀ A M⁻¹ V_j`,
//!
//! where `C` has orthonormal columns (empty for plain GMRES; Parks et al. 2006, Algorithm 2, step
//! 4(b)). Orthogonalisation is modified Gram–Schmidt, first against `C` then against `V`, with an
//! optional second pass. The least-squares problem `min ‖β e₁ − H̄_j y‖` is updated by Givens
//! rotations (Saad & Schultz, "GMRES: a generalized minimal residual algorithm for solving
//! nonsymmetric linear systems", SIAM J. Sci. Stat. Comput. 7, 1986), so its minimum — the
//! residual norm of the cycle — is known after every step without forming `y`.

use super::dense::{axpy, dot, norm};
use super::preconditioner::Preconditioner;
use crate::operators::LinearOperator;
use faer::Mat;

/// The result of one Arnoldi cycle of `steps` steps.
pub(crate) struct Cycle {
    /// `v₁ … v_{steps+1}` (the last one is zero after a lucky breakdown).
    pub basis: Vec<Vec<f64>>,
    /// `H̄`, `(steps+1) × steps`, not rotated.
    pub hessenberg: Mat<f64>,
    /// `B = Cᵀ A M⁻¹ V`, `k × steps`.
    pub projections: Mat<f64>,
    /// `argmin_y ‖β e₁ − H̄ y‖` (its length is the number of steps run).
    pub y: Vec<f64>,
}

/// Settings of one cycle.
pub(crate) struct CycleSettings<'a> {
    pub matrix: &'a dyn LinearOperator<f64>,
    pub preconditioner: &'a dyn Preconditioner,
    /// `C`, orthonormal columns to deflate (empty for GMRES).
    pub deflate: &'a [Vec<f64>],
    pub max_steps: usize,
    /// Stop once the cycle's residual norm is at most this.
    pub target: f64,
    pub reorthogonalize: bool,
}

/// Runs one cycle from `v₁ = start / β`, `β = ‖start‖ > 0`.
pub(crate) fn cycle(settings: &CycleSettings, start: &[f64], beta: f64) -> Cycle {
    let n = start.len();
    let k = settings.deflate.len();
    let mut basis = vec![start.iter().map(|v| v / beta).collect::<Vec<f64>>()];
    let mut columns: Vec<Vec<f64>> = Vec::new();
    let mut b_columns: Vec<Vec<f64>> = Vec::new();
    let mut rotated: Vec<Vec<f64>> = Vec::new();
    let mut rotations: Vec<(f64, f64)> = Vec::new();
    let mut g = vec![beta];
    let mut z = vec![0.0; n];
    let mut w = vec![0.0; n];
    let passes = if settings.reorthogonalize { 2 } else { 1 };
    for j in 0..settings.max_steps {
        settings.preconditioner.apply(&basis[j], &mut z);
        settings.matrix.apply(&z, &mut w);
        let before = norm(&w);
        let mut b_col = vec![0.0; k];
        let mut h_col = vec![0.0; j + 2];
        for _ in 0..passes {
            for (c, bc) in settings.deflate.iter().zip(b_col.iter_mut()) {
                let h = dot(c, &w);
                axpy(-h, c, &mut w);
                *bc += h;
            }
            for (v, hc) in basis.iter().zip(h_col.iter_mut()) {
                let h = dot(v, &w);
                axpy(-h, v, &mut w);
                *hc += h;
            }
        }
        let next = norm(&w);
        h_col[j + 1] = next;
        let mut r_col = h_col.clone();
        for (i, &(c, s)) in rotations.iter().enumerate() {
            let (a, b) = (r_col[i], r_col[i + 1]);
            r_col[i] = c * a + s * b;
            r_col[i + 1] = -s * a + c * b;
        }
        let radius = r_col[j].hypot(r_col[j + 1]);
        let (c, s) = if radius == 0.0 {
            (1.0, 0.0)
        } else {
            (r_col[j] / radius, r_col[j + 1] / radius)
        };
        r_col[j] = radius;
        r_col[j + 1] = 0.0;
        rotations.push((c, s));
        g.push(-s * g[j]);
        g[j] *= c;
        columns.push(h_col);
        b_columns.push(b_col);
        rotated.push(r_col);
        let breakdown = next <= 1e-14 * before.max(f64::MIN_POSITIVE);
        basis.push(if breakdown {
            vec![0.0; n]
        } else {
            w.iter().map(|v| v / next).collect()
        });
        if breakdown || g[j + 1].abs() <= settings.target {
            break;
        }
    }
    finish(basis, &columns, &b_columns, &rotated, &g, k)
}

/// Assembles `H̄`, `B` and the least-squares solution from the columns of a cycle.
fn finish(
    basis: Vec<Vec<f64>>,
    columns: &[Vec<f64>],
    b_columns: &[Vec<f64>],
    rotated: &[Vec<f64>],
    g: &[f64],
    k: usize,
) -> Cycle {
    let steps = columns.len();
    let mut hessenberg = Mat::zeros(steps + 1, steps);
    let mut projections = Mat::zeros(k, steps);
    for j in 0..steps {
        for (i, h) in columns[j].iter().enumerate() {
            hessenberg[(i, j)] = *h;
        }
        for (i, b) in b_columns[j].iter().enumerate() {
            projections[(i, j)] = *b;
        }
    }
    let mut y = g[..steps].to_vec();
    for i in (0..steps).rev() {
        let s: f64 = (i + 1..steps).map(|p| rotated[p][i] * y[p]).sum();
        let d = rotated[i][i];
        y[i] = if d == 0.0 { 0.0 } else { (y[i] - s) / d };
    }
    Cycle {
        basis,
        hessenberg,
        projections,
        y,
    }
}
