//! The five-point finite-volume discretisation of `−∇·(a ∇u) + c u = f` on the unit square with
//! zero Dirichlet boundary values, shared by the Darcy, Poisson and Helmholtz problems.
//!
//! Unknowns sit at the `n × n` interior nodes `((i+1)h, (j+1)h)`, `h = 1/(n+1)`, and `a` is given
//! at the nodes. The flux through the face between neighbours `p, q` uses the harmonic mean
//! `a_pq = 2 a_p a_q / (a_p + a_q)` (exact for a coefficient that jumps at the face; Eymard,
//! Gallouët & Herbin, "Finite volume methods", 2000, §3.1); a face on the boundary uses `a_p`
//! (the coefficient of the boundary node taken equal to its neighbour's). Row `p` reads
//!
//! `(Σ_faces a_pq) u_p / h² − Σ_interior q a_pq u_q / h² + c_p u_p = f_p`,
//!
//! so for `a > 0`, `c = 0` the matrix is symmetric, weakly diagonally dominant with zero row sums
//! in the interior and positive ones next to the boundary: an irreducible M-matrix, hence SPD.

use crate::error::Result;
use crate::krylov::sparse::CsrMatrix;

/// `−∇·(a∇u) + c u` on the `n × n` interior grid (row-major, `index = row · n + col`).
pub fn diffusion_matrix(n: usize, a: &[f64], reaction: Option<&[f64]>) -> Result<CsrMatrix> {
    let inv_h2 = ((n + 1) * (n + 1)) as f64;
    let mut triplets = Vec::with_capacity(5 * n * n);
    for row in 0..n {
        for col in 0..n {
            let p = row * n + col;
            let mut diagonal = reaction.map_or(0.0, |c| c[p]);
            let neighbours = [
                (row > 0).then(|| p - n),
                (row + 1 < n).then(|| p + n),
                (col > 0).then(|| p - 1),
                (col + 1 < n).then(|| p + 1),
            ];
            for q in neighbours {
                let face = match q {
                    Some(q) => {
                        let face = 2.0 * a[p] * a[q] / (a[p] + a[q]);
                        triplets.push((p, q, -face * inv_h2));
                        face
                    }
                    None => a[p],
                };
                diagonal += face * inv_h2;
            }
            triplets.push((p, p, diagonal));
        }
    }
    CsrMatrix::from_triplets(n * n, n * n, &triplets)
}
