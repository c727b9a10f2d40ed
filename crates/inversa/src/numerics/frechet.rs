//! The Fréchet distance between two sets of feature vectors, each summarised by a Gaussian (its
//! mean and covariance): Dowson, Landau, "The Fréchet distance between multivariate normal
//! distributions", J. Multivariate Anal. 12 (1982), doi:10.1016/0047-259X(82)90077-X; used on a
//! network's features to score generated images by Heusel et al., "GANs Trained by a Two
//! Time-Scale Update Rule Converge to a Local Nash Equilibrium", NeurIPS 2017, arXiv:1706.08500
//! (the FID, there on Inception features).
//!
//! $$ d^2 = \lVert \mu_1 - \mu_2 \rVert^2
//!   + \operatorname{tr}\big(\Sigma_1 + \Sigma_2 - 2 (\Sigma_1^{1/2} \Sigma_2 \Sigma_1^{1/2})^{1/2}\big) $$
//!
//! The two square roots come from [`faer`]'s symmetric eigendecomposition, in f64: `Σ₁^{1/2} =
//! V diag(√λ) Vᵀ`, then only the eigenvalues of the symmetric `Σ₁^{1/2} Σ₂ Σ₁^{1/2}` (the trace of
//! its root is the sum of their roots). The form under the root is symmetric, unlike the
//! `(Σ₁ Σ₂)^{1/2}` of the FID papers (the same trace), so no complex square root is needed.
//! Eigenvalues that round-off pushes below zero are taken as zero. Cost: two `d × d`
//! eigendecompositions and two products, `O(d³)`; fitting is `O(n d²)`.
//!
//! A covariance from fewer than `d + 1` vectors is singular; the distance is still defined, but
//! it is biased upwards for few vectors, so compare distances only between sets of equal size.
//!
//! ```
//! use inversa::numerics::frechet::{frechet_distance, Gaussian};
//! // Two sets of 2-d points, the second shifted by (3, 4): same covariance, distance 3² + 4².
//! let a = [0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 1.0, 1.0];
//! let b: Vec<f64> = a.chunks(2).flat_map(|p| [p[0] + 3.0, p[1] + 4.0]).collect();
//! let d = frechet_distance(&Gaussian::fit(&a, 2)?, &Gaussian::fit(&b, 2)?)?;
//! assert!((d - 25.0).abs() < 1e-9);
//! # Ok::<(), inversa::Error>(())
//! ```

use crate::solvers::SolverError;
use crate::{Error, Result};
use faer::{MatRef, Side};

/// The mean and covariance of a set of vectors.
#[derive(Clone, Debug, PartialEq)]
pub struct Gaussian {
    pub dim: usize,
    pub mean: Vec<f64>,
    /// Row-major `dim × dim`.
    pub covariance: Vec<f64>,
}

impl Gaussian {
    /// The sample mean and unbiased covariance (divided by `n − 1`) of the `n` row vectors of
    /// length `dim` in `rows` (row-major); at least two are needed.
    pub fn fit(rows: &[f64], dim: usize) -> Result<Self> {
        let n = rows.len().checked_div(dim).unwrap_or(0);
        if dim == 0 || n * dim != rows.len() || n < 2 {
            return Err(Error::Shape(format!(
                "a Gaussian fit needs at least two vectors of length {dim}, given {} values",
                rows.len()
            )));
        }
        let mut mean = vec![0.0; dim];
        for row in rows.chunks_exact(dim) {
            mean.iter_mut().zip(row).for_each(|(m, v)| *m += v);
        }
        mean.iter_mut().for_each(|m| *m /= n as f64);
        let centred: Vec<f64> = rows
            .chunks_exact(dim)
            .flat_map(|row| row.iter().zip(&mean).map(|(v, m)| v - m))
            .collect();
        let mut covariance = super::matmul_tn(&centred, &centred, n, dim, dim);
        covariance.iter_mut().for_each(|c| *c /= (n - 1) as f64);
        Ok(Self {
            dim,
            mean,
            covariance,
        })
    }
}

/// The squared Fréchet distance between the Gaussians `a` and `b` (the module's formula).
pub fn frechet_distance(a: &Gaussian, b: &Gaussian) -> Result<f64> {
    let d = a.dim;
    if b.dim != d || a.mean.len() != d || b.mean.len() != d || a.covariance.len() != d * d {
        return Err(Error::Shape(format!(
            "Fréchet distance between Gaussians of dimensions {} and {}",
            a.dim, b.dim
        )));
    }
    if b.covariance.len() != d * d {
        return Err(Error::Shape("a covariance is not dim × dim".into()));
    }
    let means: f64 = a
        .mean
        .iter()
        .zip(&b.mean)
        .map(|(x, y)| (x - y).powi(2))
        .sum();
    let trace = |m: &[f64]| (0..d).map(|i| m[i * d + i]).sum::<f64>();
    let root_a = symmetric_sqrt(&a.covariance, d)?;
    let middle = super::matmul(
        &super::matmul(&root_a, &b.covariance, d, d, d),
        &root_a,
        d,
        d,
        d,
    );
    let cross: f64 = eigenvalues(&symmetrised(middle, d), d)?
        .into_iter()
        .map(|l| l.max(0.0).sqrt())
        .sum();
    Ok(means + trace(&a.covariance) + trace(&b.covariance) - 2.0 * cross)
}

/// `(M + Mᵀ)/2`: round-off leaves a product of symmetric factors slightly unsymmetric, and the
/// eigensolver reads one triangle only.
fn symmetrised(mut m: Vec<f64>, d: usize) -> Vec<f64> {
    for i in 0..d {
        for j in 0..i {
            let mean = 0.5 * (m[i * d + j] + m[j * d + i]);
            m[i * d + j] = mean;
            m[j * d + i] = mean;
        }
    }
    m
}

/// `V diag(√max(λ, 0)) Vᵀ` of the symmetric row-major `m` (`d × d`).
fn symmetric_sqrt(m: &[f64], d: usize) -> Result<Vec<f64>> {
    let eigen = MatRef::from_row_major_slice(m, d, d)
        .self_adjoint_eigen(Side::Lower)
        .map_err(|_| no_convergence())?;
    let (values, vectors) = (eigen.S(), eigen.U());
    let roots: Vec<f64> = (0..d).map(|l| values[l].max(0.0).sqrt()).collect();
    let mut out = vec![0.0; d * d];
    for (ij, o) in out.iter_mut().enumerate() {
        let (i, j) = (ij / d, ij % d);
        *o = (0..d)
            .map(|l| vectors[(i, l)] * roots[l] * vectors[(j, l)])
            .sum();
    }
    Ok(out)
}

/// The eigenvalues of the symmetric row-major `m` (`d × d`).
fn eigenvalues(m: &[f64], d: usize) -> Result<Vec<f64>> {
    MatRef::from_row_major_slice(m, d, d)
        .self_adjoint_eigenvalues(Side::Lower)
        .map_err(|_| no_convergence())
}

fn no_convergence() -> Error {
    Error::from(SolverError::EigenNoConvergence {
        solver: "Fréchet distance",
        what: "a covariance",
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::numerics::seeded_gaussian;

    /// `n` samples of `N(mean, L Lᵀ)` for row-major lower-triangular `l`, row-major.
    fn samples(n: usize, mean: &[f64], l: &[f64], seed: u64) -> Vec<f64> {
        let d = mean.len();
        let z = seeded_gaussian(seed, n * d);
        z.chunks_exact(d)
            .flat_map(|z| {
                (0..d).map(move |i| mean[i] + (0..d).map(|j| l[i * d + j] * z[j]).sum::<f64>())
            })
            .collect()
    }

    fn gaussian(mean: Vec<f64>, covariance: Vec<f64>) -> Gaussian {
        Gaussian {
            dim: mean.len(),
            mean,
            covariance,
        }
    }

    #[test]
    fn identical_sets_are_at_distance_zero_and_a_shift_adds_its_squared_norm() {
        let d = 6;
        let l: Vec<f64> = (0..d * d)
            .map(|ij| {
                if ij % d <= ij / d {
                    1.0 + 0.3 * (ij % 5) as f64
                } else {
                    0.0
                }
            })
            .collect();
        let a = samples(200, &[0.0; 6], &l, 1);
        let shift = [0.5, -1.0, 2.0, 0.0, 0.25, 3.0];
        let b: Vec<f64> = a
            .chunks_exact(d)
            .flat_map(|r| r.iter().zip(&shift).map(|(v, s)| v + s).collect::<Vec<_>>())
            .collect();
        let (ga, gb) = (Gaussian::fit(&a, d).unwrap(), Gaussian::fit(&b, d).unwrap());
        let scale: f64 = (0..d).map(|i| ga.covariance[i * d + i]).sum();
        assert!(frechet_distance(&ga, &ga).unwrap().abs() < 1e-10 * scale);
        let norm: f64 = shift.iter().map(|s| s * s).sum();
        let shifted = frechet_distance(&ga, &gb).unwrap();
        assert!(
            (shifted - norm).abs() < 1e-10 * scale,
            "{shifted} vs {norm}"
        );
    }

    #[test]
    fn diagonal_covariances_give_the_sum_of_squared_root_differences() {
        // Commuting covariances: tr(Σ₁ + Σ₂ − 2(Σ₁Σ₂)^{1/2}) = Σ (√a − √b)².
        let (a, b) = ([1.0, 4.0, 9.0], [4.0, 1.0, 0.25]);
        let diag = |v: &[f64; 3]| {
            (0..9)
                .map(|ij| if ij % 4 == 0 { v[ij / 4] } else { 0.0 })
                .collect()
        };
        let d = frechet_distance(
            &gaussian(vec![1.0, 0.0, 0.0], diag(&a)),
            &gaussian(vec![0.0, 2.0, 0.0], diag(&b)),
        )
        .unwrap();
        let expected = 1.0
            + 4.0
            + a.iter()
                .zip(&b)
                .map(|(x, y)| (x.sqrt() - y.sqrt()).powi(2))
                .sum::<f64>();
        assert!((d - expected).abs() < 1e-12, "{d} vs {expected}");
    }

    #[test]
    fn non_commuting_covariances_match_the_closed_form_and_the_distance_is_symmetric() {
        // Σ₁ = s I and Σ₂ = R diag(λ) Rᵀ (a rotation): d² = 2s + Σλ − 2√s Σ√λ.
        let (s, lambda, angle) = (2.0f64, [3.0f64, 0.5], 0.7f64);
        let (c, n) = (angle.cos(), angle.sin());
        let rotated = vec![
            c * c * lambda[0] + n * n * lambda[1],
            c * n * (lambda[0] - lambda[1]),
            c * n * (lambda[0] - lambda[1]),
            n * n * lambda[0] + c * c * lambda[1],
        ];
        let a = gaussian(vec![0.0; 2], vec![s, 0.0, 0.0, s]);
        let b = gaussian(vec![0.0; 2], rotated.clone());
        let expected = 2.0 * s + lambda.iter().sum::<f64>()
            - 2.0 * s.sqrt() * lambda.iter().map(|l| l.sqrt()).sum::<f64>();
        let d = frechet_distance(&a, &b).unwrap();
        assert!((d - expected).abs() < 1e-12, "{d} vs {expected}");
        // Two general covariances that do not commute: d(a, b) = d(b, a), and d ≥ 0.
        let c = gaussian(vec![1.0, -1.0], vec![1.0, 0.9, 0.9, 2.0]);
        let (cb, bc) = (
            frechet_distance(&c, &b).unwrap(),
            frechet_distance(&b, &c).unwrap(),
        );
        assert!(cb > 0.0 && (cb - bc).abs() < 1e-12, "{cb} vs {bc}");
    }

    #[test]
    fn mismatched_shapes_are_errors() {
        assert!(Gaussian::fit(&[1.0, 2.0], 2).is_err());
        assert!(Gaussian::fit(&[1.0, 2.0, 3.0], 2).is_err());
        let a = gaussian(vec![0.0], vec![1.0]);
        let b = gaussian(vec![0.0; 2], vec![1.0, 0.0, 0.0, 1.0]);
        assert!(frechet_distance(&a, &b).is_err());
    }
}
