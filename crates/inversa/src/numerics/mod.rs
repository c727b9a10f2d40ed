//! Numerical methods around inversion that are not image operators: matrix-free inverse-Fisher
//! products ([`mfac`]), gradient descent on over-parameterised matrix sensing ([`matrix_sensing`])
//! and the convex training of two-layer ReLU networks ([`convex_relu`]).
//!
//! This module works in `f64` only: its methods are numerical experiments whose claims (a relative
//! error of 1e-8, a global optimum) need double precision. The small dense helpers below (Cholesky
//! factorisation, Gaussian samples) are shared by the three files.

pub mod convex_relu;
pub mod matrix_sensing;
pub mod mfac;
pub mod mfac_optimizer;

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

/// `count` independent standard normal samples.
pub fn gaussian(rng: &mut ChaCha8Rng, count: usize) -> Vec<f64> {
    (0..count).map(|_| rng.sample(StandardNormal)).collect()
}

/// `count` standard normal samples from a fresh generator seeded with `seed`.
pub fn seeded_gaussian(seed: u64, count: usize) -> Vec<f64> {
    use rand::SeedableRng;
    gaussian(&mut ChaCha8Rng::seed_from_u64(seed), count)
}

/// Lower-triangular Cholesky factor `L` (row-major, `n × n`) of the symmetric positive definite
/// `a = L Lᵀ`; `None` when a pivot is not positive (the matrix is not numerically SPD).
pub fn cholesky(a: &[f64], n: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let s: f64 = (0..j).map(|k| l[i * n + k] * l[j * n + k]).sum();
            if i == j {
                let pivot = a[i * n + i] - s;
                if pivot <= 0.0 || !pivot.is_finite() {
                    return None;
                }
                l[i * n + i] = pivot.sqrt();
            } else {
                l[i * n + j] = (a[i * n + j] - s) / l[j * n + j];
            }
        }
    }
    Some(l)
}

/// Solves `L Lᵀ x = b` in place, given the Cholesky factor `L` from [`cholesky`].
pub fn cholesky_solve(l: &[f64], n: usize, b: &mut [f64]) {
    for i in 0..n {
        let s: f64 = (0..i).map(|k| l[i * n + k] * b[k]).sum();
        b[i] = (b[i] - s) / l[i * n + i];
    }
    for i in (0..n).rev() {
        let s: f64 = (i + 1..n).map(|k| l[k * n + i] * b[k]).sum();
        b[i] = (b[i] - s) / l[i * n + i];
    }
}

/// `A B` for row-major `A` (`rows × inner`) and `B` (`inner × cols`).
pub fn matmul(a: &[f64], b: &[f64], rows: usize, inner: usize, cols: usize) -> Vec<f64> {
    let mut out = vec![0.0; rows * cols];
    for (i, out_row) in out.chunks_exact_mut(cols).enumerate() {
        for (l, &a_il) in a[i * inner..(i + 1) * inner].iter().enumerate() {
            for (o, b_lj) in out_row.iter_mut().zip(&b[l * cols..(l + 1) * cols]) {
                *o += a_il * b_lj;
            }
        }
    }
    out
}

/// `Aᵀ B` for row-major `A` (`inner × rows`) and `B` (`inner × cols`).
pub fn matmul_tn(a: &[f64], b: &[f64], inner: usize, rows: usize, cols: usize) -> Vec<f64> {
    let mut out = vec![0.0; rows * cols];
    for l in 0..inner {
        for (i, &a_li) in a[l * rows..(l + 1) * rows].iter().enumerate() {
            let out_row = &mut out[i * cols..(i + 1) * cols];
            for (o, b_lj) in out_row.iter_mut().zip(&b[l * cols..(l + 1) * cols]) {
                *o += a_li * b_lj;
            }
        }
    }
    out
}

/// Eigen-decomposition `A = V diag(w) Vᵀ` of a small symmetric `n × n` matrix by cyclic Jacobi
/// rotations; returns `(w, V)` with the eigenvectors as the columns of row-major `V`.
pub fn symmetric_eigen(a: &[f64], n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut a = a.to_vec();
    let mut v = vec![0.0; n * n];
    for i in 0..n {
        v[i * n + i] = 1.0;
    }
    for _sweep in 0..100 {
        let off: f64 = (0..n * n)
            .filter(|ij| ij / n != ij % n)
            .map(|ij| a[ij] * a[ij])
            .sum();
        let scale: f64 = a.iter().map(|x| x * x).sum();
        if off <= 1e-30 * scale.max(f64::MIN_POSITIVE) {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                if a[p * n + q] == 0.0 {
                    continue;
                }
                // Rotation angle that zeroes a_pq (Golub & Van Loan, Algorithm 8.4.1).
                let theta = (a[q * n + q] - a[p * n + p]) / (2.0 * a[p * n + q]);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..n {
                    let (akp, akq) = (a[k * n + p], a[k * n + q]);
                    a[k * n + p] = c * akp - s * akq;
                    a[k * n + q] = s * akp + c * akq;
                }
                for k in 0..n {
                    let (apk, aqk) = (a[p * n + k], a[q * n + k]);
                    a[p * n + k] = c * apk - s * aqk;
                    a[q * n + k] = s * apk + c * aqk;
                }
                for k in 0..n {
                    let (vkp, vkq) = (v[k * n + p], v[k * n + q]);
                    v[k * n + p] = c * vkp - s * vkq;
                    v[k * n + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    ((0..n).map(|i| a[i * n + i]).collect(), v)
}
