//! M-FAC: inverse-Hessian-vector products (IHVPs) with the damped empirical Fisher
//!
//! $$F = \lambda I + \frac{1}{m}\sum_{i=1}^{m} g_i g_i^\top \in \mathbb{R}^{d\times d}$$
//!
//! of `m` gradients `g_i ∈ R^d`, without ever forming the `d × d` matrix.
//!
//! **Static algorithm** ([`StaticFisher`]). Adding the gradients one at a time, Sherman–Morrison
//! gives $F_0^{-1} = \lambda^{-1} I$ and
//! $$F_i^{-1} = F_{i-1}^{-1} - \frac{v_i v_i^\top}{m + g_i^\top v_i},\qquad v_i = F_{i-1}^{-1} g_i .$$
//! Every `v_i` lies in the span of `g_1 … g_i`, so `v_i = Σ_{k ≤ i} B_{ik} g_k` with a lower-triangular
//! `m × m` coefficient matrix `B`. With the Gram matrix `K = G Gᵀ` (cost `O(m² d)`), row `i` of `B` is
//! $B_i = \lambda^{-1} e_i - \sum_{j<i} \frac{B_j^\top K_{:,i}}{m + B_j^\top K_{:,j}} B_j$ (cost `O(m³)`
//! in all). An IHVP is then `F⁻¹x = λ⁻¹x − Gᵀ Bᵀ diag(1/den) B (G x)`: two passes over `G`, `O(m d + m²)`.
//!
//! **Dynamic algorithm** ([`SlidingFisher`]): a window of the last `m` gradients in a ring buffer,
//! the newest replacing the oldest. Woodbury on the same `F` reads
//! $$F^{-1} = \lambda^{-1}\bigl(I - G^\top S^{-1} G\bigr),\qquad S = m\lambda I + G G^\top,$$
//! and replacing row `j` of `G` changes only row and column `j` of `S`: a symmetric rank-2 update
//! `S + U C Uᵀ` with `U = [e_j, u]`, `C = [[0,1],[1,0]]`, whose inverse Woodbury updates in `O(m²)`.
//! A push therefore costs `O(m d)` (the new row of dot products) plus `O(m²)`, and an IHVP `O(m d + m²)`.
//! The paper's dynamic algorithm instead refactors the rows of its `m × m` LU structure from the
//! replaced slot on (`O(m³)` worst case, cheap on a GPU); both compute the same `F⁻¹x`. To keep
//! rounding from accumulating over many rank-2 updates, `S⁻¹` is refactored from scratch every `m`
//! pushes (amortised `O(m²)`), by an eigen-decomposition of `G Gᵀ`.
//!
//! Paper: E. Frantar, E. Kurtic, D. Alistarh, "M-FAC: Efficient Matrix-Free Approximations of
//! Second-Order Information", NeurIPS 2021, arXiv:2107.03356.

use crate::error::{Error, Result};
use crate::real::dot;
use crate::solvers::SolverError;
use faer::{MatRef, Side};

fn check(lambda: f64, m: usize, d: usize) -> Result<()> {
    if !(lambda > 0.0 && lambda.is_finite()) {
        return Err(Error::config(
            "mfac.lambda",
            format!("the damping must be > 0, got {lambda}"),
        ));
    }
    if m == 0 || d == 0 {
        return Err(Error::config(
            "mfac.window",
            format!("need m ≥ 1 gradients of dimension d ≥ 1, got m = {m}, d = {d}"),
        ));
    }
    Ok(())
}

fn check_len(what: &str, len: usize, want: usize) -> Result<()> {
    if len == want {
        Ok(())
    } else {
        Err(Error::Shape(format!(
            "M-FAC {what} has {len} entries, expected {want}"
        )))
    }
}

/// `G x` for the row-major `m × d` gradient matrix `G`.
fn rows_dot(grads: &[f64], d: usize, x: &[f64]) -> Vec<f64> {
    grads.chunks_exact(d).map(|g| dot(g, x)).collect()
}

/// `λ⁻¹ (x − Gᵀ c)`, the final pass of both IHVPs (with `c` already scaled by `λ` where needed).
fn minus_combination(grads: &[f64], d: usize, x: &[f64], c: &[f64], scale: f64) -> Vec<f64> {
    let mut out: Vec<f64> = x.iter().map(|v| v * scale).collect();
    for (g, &ci) in grads.chunks_exact(d).zip(c) {
        for (o, gk) in out.iter_mut().zip(g) {
            *o -= ci * gk;
        }
    }
    out
}

/// `F x = λ x + (1/m) Σ gᵢ (gᵢᵀ x)`, matrix-free (for checks and for the curvature of a step).
pub fn fisher_times(grads: &[f64], d: usize, lambda: f64, x: &[f64]) -> Vec<f64> {
    let m = grads.len() / d;
    let c: Vec<f64> = rows_dot(grads, d, x)
        .iter()
        .map(|v| -v / m as f64)
        .collect();
    minus_combination(grads, d, x, &c, lambda)
}

/// The static algorithm: a fixed set of `m` gradients, coefficients precomputed once.
///
/// ```
/// use inversa::numerics::mfac::{fisher_times, StaticFisher};
/// let grads = vec![1.0, 0.0, 0.0, 1.0, 1.0, 1.0]; // m = 2 gradients in d = 3
/// let fisher = StaticFisher::new(&grads, 3, 0.5)?;
/// let v = [0.3, -1.0, 2.0];
/// let back = fisher.inverse_times(&fisher_times(&grads, 3, 0.5, &v))?;
/// assert!(back.iter().zip(&v).all(|(a, b)| (a - b).abs() < 1e-12));
/// # Ok::<(), inversa::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct StaticFisher {
    d: usize,
    lambda: f64,
    grads: Vec<f64>,
    /// Lower-triangular `B` (row-major `m × m`): `v_i = Σ_k B_ik g_k`.
    coef: Vec<f64>,
    /// `m + g_iᵀ v_i`.
    denom: Vec<f64>,
}

impl StaticFisher {
    /// Precomputes the coefficients for the row-major `m × d` gradients `grads` (`m = len / d`).
    pub fn new(grads: &[f64], d: usize, lambda: f64) -> Result<Self> {
        let m = grads.len().checked_div(d).unwrap_or(0);
        check(lambda, m, d)?;
        check_len("gradient matrix", grads.len(), m * d)?;
        let gram: Vec<f64> = (0..m * m)
            .map(|ij| dot(&grads[ij / m * d..][..d], &grads[ij % m * d..][..d]))
            .collect();
        let mut coef = vec![0.0; m * m];
        let mut denom = vec![0.0; m];
        for i in 0..m {
            let mut row = vec![0.0; m];
            row[i] = 1.0 / lambda;
            for j in 0..i {
                // v_jᵀ g_i = Σ_k B_jk K_ki
                let bj = &coef[j * m..j * m + j + 1];
                let vj_gi: f64 = bj
                    .iter()
                    .enumerate()
                    .map(|(k, b)| b * gram[k * m + i])
                    .sum();
                let factor = vj_gi / denom[j];
                for (r, b) in row.iter_mut().zip(bj) {
                    *r -= factor * b;
                }
            }
            denom[i] = m as f64 + (0..=i).map(|k| row[k] * gram[k * m + i]).sum::<f64>();
            coef[i * m..(i + 1) * m].copy_from_slice(&row);
        }
        Ok(Self {
            d,
            lambda,
            grads: grads.to_vec(),
            coef,
            denom,
        })
    }

    /// The number of gradients `m`.
    pub fn window(&self) -> usize {
        self.denom.len()
    }

    /// `F⁻¹ x` in `O(m d + m²)`.
    pub fn inverse_times(&self, x: &[f64]) -> Result<Vec<f64>> {
        check_len("vector", x.len(), self.d)?;
        let m = self.window();
        let q = rows_dot(&self.grads, self.d, x);
        // t_j = v_jᵀ x / den_j, then c = Σ_j t_j B_j (the coefficients of Σ_j v_j t_j on G).
        let mut c = vec![0.0; m];
        for j in 0..m {
            let bj = &self.coef[j * m..j * m + j + 1];
            let t = dot(bj, &q[..=j]) / self.denom[j];
            for (ck, b) in c.iter_mut().zip(bj) {
                *ck += t * b;
            }
        }
        Ok(minus_combination(
            &self.grads,
            self.d,
            x,
            &c,
            1.0 / self.lambda,
        ))
    }
}

/// The dynamic algorithm: a sliding window of the last `m` gradients (initially all zero, so
/// `F = λI`), each [`push`](Self::push) replacing the oldest.
#[derive(Clone, Debug)]
pub struct SlidingFisher {
    m: usize,
    d: usize,
    lambda: f64,
    grads: Vec<f64>,
    /// `G Gᵀ`, kept current row by row.
    dots: Vec<f64>,
    /// `S⁻¹ = (mλ I + G Gᵀ)⁻¹`.
    s_inv: Vec<f64>,
    /// Ring-buffer slot the next push overwrites.
    next: usize,
    pushes_since_refactor: usize,
}

impl SlidingFisher {
    /// An empty window of `m` gradients of dimension `d` with damping `λ`.
    pub fn new(m: usize, d: usize, lambda: f64) -> Result<Self> {
        check(lambda, m, d)?;
        let mut s_inv = vec![0.0; m * m];
        for i in 0..m {
            s_inv[i * m + i] = 1.0 / (m as f64 * lambda);
        }
        Ok(Self {
            m,
            d,
            lambda,
            grads: vec![0.0; m * d],
            dots: vec![0.0; m * m],
            s_inv,
            next: 0,
            pushes_since_refactor: 0,
        })
    }

    /// The current window, row-major `m × d`, in slot order.
    pub fn gradients(&self) -> &[f64] {
        &self.grads
    }

    /// Replaces the oldest gradient with `g`: `O(m d + m²)`.
    pub fn push(&mut self, g: &[f64]) -> Result<()> {
        check_len("gradient", g.len(), self.d)?;
        let (m, j) = (self.m, self.next);
        self.grads[j * self.d..(j + 1) * self.d].copy_from_slice(g);
        let new = rows_dot(&self.grads, self.d, g);
        // S changes by e_j uᵀ + u e_jᵀ with u = Δ − (Δ_j / 2) e_j, Δ the change of column j.
        let mut u: Vec<f64> = (0..m).map(|k| new[k] - self.dots[k * m + j]).collect();
        u[j] *= 0.5;
        for (k, &value) in new.iter().enumerate() {
            self.dots[k * m + j] = value;
            self.dots[j * m + k] = value;
        }
        self.next = (j + 1) % m;
        self.pushes_since_refactor += 1;
        if self.pushes_since_refactor >= m {
            return self.refactor();
        }
        self.rank_two_update(j, &u)
    }

    /// Woodbury for `S + U C Uᵀ`, `U = [e_j, u]`, `C = C⁻¹ = [[0,1],[1,0]]`:
    /// `S⁻¹ ← S⁻¹ − (S⁻¹U) (C + UᵀS⁻¹U)⁻¹ (S⁻¹U)ᵀ`.
    fn rank_two_update(&mut self, j: usize, u: &[f64]) -> Result<()> {
        let m = self.m;
        let a: Vec<f64> = (0..m).map(|k| self.s_inv[k * m + j]).collect(); // S⁻¹ e_j
        let b: Vec<f64> = (0..m)
            .map(|k| dot(&self.s_inv[k * m..(k + 1) * m], u))
            .collect(); // S⁻¹ u
        let (p, q, r) = (a[j], dot(u, &b), dot(u, &a) + 1.0); // [[p, r], [r, q]] = C + UᵀS⁻¹U
        let det = p * q - r * r;
        if det.abs() < 1e-300 || !det.is_finite() {
            return self.refactor();
        }
        let (i11, i12, i22) = (q / det, -r / det, p / det);
        for k in 0..m {
            let (ak, bk) = (a[k], b[k]);
            for l in 0..m {
                self.s_inv[k * m + l] -=
                    ak * (i11 * a[l] + i12 * b[l]) + bk * (i12 * a[l] + i22 * b[l]);
            }
        }
        Ok(())
    }

    /// Recomputes `S⁻¹` from `G Gᵀ` by a symmetric eigen-decomposition (`O(m³)`), its eigenvalues
    /// clamped at `mλ`, the exact lower bound of `S`, so that rounding on a nearly singular `G Gᵀ`
    /// (e.g. `m > d`, or gradients of very different sizes) cannot make `S⁻¹` indefinite.
    fn refactor(&mut self) -> Result<()> {
        let m = self.m;
        if !self.dots.iter().all(|v| v.is_finite()) {
            return Err(Error::Shape(
                "M-FAC: a gradient in the window has a non-finite norm".into(),
            ));
        }
        let floor = m as f64 * self.lambda;
        let eigen = MatRef::from_row_major_slice(&self.dots, m, m)
            .self_adjoint_eigen(Side::Lower)
            .map_err(|_| SolverError::EigenNoConvergence {
                solver: "M-FAC",
                what: "G Gᵀ",
            })?;
        let (values, vectors) = (eigen.S(), eigen.U());
        for (ij, s) in self.s_inv.iter_mut().enumerate() {
            let (i, j) = (ij / m, ij % m);
            *s = (0..m)
                .map(|l| vectors[(i, l)] * vectors[(j, l)] / (values[l] + floor).max(floor))
                .sum();
        }
        self.pushes_since_refactor = 0;
        Ok(())
    }

    /// `F⁻¹ x = λ⁻¹ (x − Gᵀ S⁻¹ G x)` in `O(m d + m²)`.
    pub fn inverse_times(&self, x: &[f64]) -> Result<Vec<f64>> {
        check_len("vector", x.len(), self.d)?;
        let q = rows_dot(&self.grads, self.d, x);
        let c: Vec<f64> = self
            .s_inv
            .chunks_exact(self.m)
            .map(|row| dot(row, &q) / self.lambda)
            .collect();
        Ok(minus_combination(
            &self.grads,
            self.d,
            x,
            &c,
            1.0 / self.lambda,
        ))
    }
}
