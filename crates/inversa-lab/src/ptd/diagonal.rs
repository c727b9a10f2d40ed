//! Diagonal forms of a state-space system `(A, B, C)` and their transfer functions.
//!
//! A diagonalisation `A = V Λ V⁻¹` gives the diagonal system `(Λ, V⁻¹B, CV)` whose transfer
//! function `G̃(s) = Σⱼ (CV)ⱼ (V⁻¹B)ⱼ / (s − λⱼ)` equals `G(s) = C (sI − A)⁻¹ B` in exact
//! arithmetic. In floating point the computed `V` satisfies `A V = V Λ + O(u ‖A‖ ‖V‖)`, and the
//! transfer function inherits an error of order `u κ(V)` (`u` the unit round-off): for
//! HiPPO-LegS, where `κ(V)` grows exponentially, the computed diagonal system is useless. PTD
//! diagonalises `A + E` instead, `‖E‖₂ = ε`, whose eigenvector matrix is far better conditioned
//! (Yu et al., ICLR 2024, Sec. 4, after Banks, Garza-Vargas, Kulkarni, Srivastava's
//! pseudospectral shattering, arXiv:1912.08805).

use super::failed;
use super::hippo::System;
use crate::Result;
use faer::linalg::solvers::Solve;
use faer::{c64, Mat, MatRef};
use inversa::numerics::gaussian;
use rand_chacha::ChaCha8Rng;

/// `(Λ, V⁻¹B, CV)` and what the computed decomposition is worth.
#[derive(Clone, Debug)]
pub struct Diagonal {
    pub lambda: Vec<c64>,
    /// `V⁻¹ B`.
    pub b: Vec<c64>,
    /// `C V`.
    pub c: Vec<c64>,
    /// `κ₂(V)` with unit-norm columns.
    pub condition: f64,
    /// `‖A V − V Λ‖_F / (‖A‖_F ‖V‖_F)`: the decomposition's backward error.
    pub backward_error: f64,
}

impl Diagonal {
    /// Diagonalises `system.a` with `faer`'s non-symmetric eigensolver, for the output row `c`.
    pub fn of(system: &System, c: &[f64]) -> Result<Self> {
        let n = system.n;
        let a = MatRef::from_row_major_slice(&system.a, n, n);
        let eigen = a
            .eigen()
            .map_err(|_| failed("the eigensolver did not converge"))?;
        // Unit-norm columns (faer's are not all of norm 1), so κ(V) is the usual measure.
        let u = eigen.U();
        let v = Mat::from_fn(n, n, |i, j| u[(i, j)] / u.col(j).norm_l2());
        let lambda: Vec<c64> = (0..n).map(|j| eigen.S()[j]).collect();
        let complex_a = Mat::from_fn(n, n, |i, j| c64::new(a[(i, j)], 0.0));
        let residual = &complex_a * &v - &v * Mat::from_fn(n, n, |i, j| diagonal(&lambda, i, j));
        let backward_error = residual.norm_l2() / (complex_a.norm_l2() * v.norm_l2());
        let column = Mat::from_fn(n, 1, |i, _| c64::new(system.b[i], 0.0));
        let b_tilde = v.partial_piv_lu().solve(&column);
        let c_tilde: Vec<c64> = (0..n)
            .map(|j| (0..n).map(|i| v[(i, j)] * c[i]).sum())
            .collect();
        Ok(Self {
            lambda,
            b: (0..n).map(|i| b_tilde[(i, 0)]).collect(),
            c: c_tilde,
            condition: condition(v.as_ref())?,
            backward_error,
        })
    }

    /// `G̃(s) = Σⱼ c̃ⱼ b̃ⱼ / (s − λⱼ)`.
    pub fn transfer(&self, s: c64) -> c64 {
        self.lambda
            .iter()
            .zip(self.b.iter().zip(&self.c))
            .map(|(&l, (&b, &c))| c * b / (s - l))
            .sum()
    }
}

fn diagonal(values: &[c64], i: usize, j: usize) -> c64 {
    if i == j {
        values[i]
    } else {
        c64::new(0.0, 0.0)
    }
}

/// `σ_max / σ_min` of `v`.
fn condition(v: MatRef<'_, c64>) -> Result<f64> {
    let sigma = v
        .singular_values()
        .map_err(|_| failed("the SVD of the eigenvectors did not converge"))?;
    let (largest, smallest) = (sigma[0], sigma[sigma.len() - 1]);
    // An exactly singular computed V (LegS at large n) has an infinite condition number; the
    // report keeps a finite stand-in, 1/u, the point where the bound says nothing.
    Ok(if smallest > 0.0 {
        (largest / smallest).min(1.0 / f64::EPSILON)
    } else {
        1.0 / f64::EPSILON
    })
}

/// `G(s) = C (sI − A)⁻¹ B` by a dense LU solve: the reference every diagonal form is held to.
pub fn dense_transfer(system: &System, c: &[f64], s: c64) -> c64 {
    let n = system.n;
    let shifted = Mat::from_fn(n, n, |i, j| {
        let a = c64::new(-system.a[i * n + j], 0.0);
        if i == j {
            a + s
        } else {
            a
        }
    });
    let column = Mat::from_fn(n, 1, |i, _| c64::new(system.b[i], 0.0));
    let x = shifted.partial_piv_lu().solve(&column);
    (0..n).map(|i| x[(i, 0)] * c[i]).sum()
}

/// `E = ε G / ‖G‖₂` with `G` a real standard Gaussian `n × n` matrix (row-major).
pub fn perturbation(n: usize, epsilon: f64, rng: &mut ChaCha8Rng) -> Result<Vec<f64>> {
    let g = gaussian(rng, n * n);
    let sigma = MatRef::from_row_major_slice(&g, n, n)
        .singular_values()
        .map_err(|_| failed("the SVD of the perturbation did not converge"))?;
    Ok(g.iter().map(|x| x * epsilon / sigma[0]).collect())
}

/// `system` with `a` replaced by `a + e`.
pub fn perturbed(system: &System, e: &[f64]) -> System {
    System {
        a: system.a.iter().zip(e).map(|(a, e)| a + e).collect(),
        ..system.clone()
    }
}
