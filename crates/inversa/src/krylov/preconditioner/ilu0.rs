//! Incomplete LU factorisation with zero fill-in, ILU(0): `A ≈ L U` with `L` unit lower and `U`
//! upper triangular, both restricted to the sparsity pattern of `A` (Saad, "Iterative Methods for
//! Sparse Linear Systems", 2nd ed., 2003, Algorithm 10.4, the IKJ variant):
//!
//! for `i = 1..n`, for each stored `k < i` in row `i`: `a_ik ← a_ik / a_kk`, then for each stored
//! `j > k` in row `i`: `a_ij ← a_ij − a_ik a_kj` (only where `(i, j)` is in the pattern).
//!
//! For a tridiagonal matrix no fill-in is dropped, so ILU(0) is the exact LU factorisation.
//! `M⁻¹ r` is a forward solve with `L` followed by a backward solve with `U`.

use super::Preconditioner;
use crate::error::{Error, Result};
use crate::krylov::sparse::CsrMatrix;

/// ILU(0) factors stored in one CSR matrix (strict lower part `L` with unit diagonal, upper `U`).
pub struct Ilu0 {
    factors: CsrMatrix,
    diagonal: Vec<usize>,
}

impl Ilu0 {
    /// Factorises `a`; fails when a diagonal entry is missing or a pivot becomes zero.
    ///
    /// ```
    /// use inversa::krylov::{preconditioner::{Ilu0, Preconditioner}, sparse::CsrMatrix};
    /// let a = CsrMatrix::from_triplets(2, 2, &[(0, 0, 4.0), (0, 1, 1.0), (1, 0, 2.0), (1, 1, 3.0)])?;
    /// let ilu = Ilu0::new(&a)?; // 2×2 is dense: exact LU, so M⁻¹ A x = x
    /// let z = ilu.apply_new(&a.apply_new(&[1.0, -2.0]));
    /// assert!((z[0] - 1.0).abs() < 1e-14 && (z[1] + 2.0).abs() < 1e-14);
    /// # Ok::<(), inversa::Error>(())
    /// ```
    pub fn new(a: &CsrMatrix) -> Result<Self> {
        let n = a.rows();
        let positions = a.diagonal_positions();
        let mut diagonal = Vec::with_capacity(n);
        for (i, p) in positions.iter().enumerate() {
            diagonal.push(p.ok_or_else(|| {
                Error::config("preconditioner", format!("ILU(0) needs A[{i}][{i}] stored"))
            })?);
        }
        let mut factors = a.clone();
        for i in 0..n {
            let start = factors.row_start(i);
            let (cols, _) = factors.row(i);
            let cols = cols.to_vec();
            for (offset, &k) in cols.iter().enumerate().take_while(|(_, &k)| k < i) {
                let pivot = factors.values()[diagonal[k]];
                if pivot == 0.0 || !pivot.is_finite() {
                    return Err(Error::config(
                        "preconditioner",
                        format!("ILU(0) broke down: pivot {k} is {pivot}"),
                    ));
                }
                let lik = factors.values()[start + offset] / pivot;
                factors.values_mut()[start + offset] = lik;
                let (k_cols, k_vals) = factors.row(k);
                let upper: Vec<(usize, f64)> = k_cols
                    .iter()
                    .zip(k_vals)
                    .filter(|(&j, _)| j > k)
                    .map(|(&j, &v)| (j, v))
                    .collect();
                for (j, ukj) in upper {
                    if let Ok(p) = cols.binary_search(&j) {
                        factors.values_mut()[start + p] -= lik * ukj;
                    }
                }
            }
            let pivot = factors.values()[diagonal[i]];
            if pivot == 0.0 || !pivot.is_finite() {
                return Err(Error::config(
                    "preconditioner",
                    format!("ILU(0) broke down: pivot {i} is {pivot}"),
                ));
            }
        }
        Ok(Self { factors, diagonal })
    }

    /// `L[i][j]` for `j < i`, `1` on the diagonal, `0` above.
    pub fn lower(&self, i: usize, j: usize) -> f64 {
        match j.cmp(&i) {
            std::cmp::Ordering::Less => self.factors.get(i, j),
            std::cmp::Ordering::Equal => 1.0,
            std::cmp::Ordering::Greater => 0.0,
        }
    }

    /// `U[i][j]` for `j ≥ i`, `0` below.
    pub fn upper(&self, i: usize, j: usize) -> f64 {
        if j >= i {
            self.factors.get(i, j)
        } else {
            0.0
        }
    }
}

impl Preconditioner for Ilu0 {
    fn apply(&self, r: &[f64], z: &mut [f64]) {
        let n = r.len();
        for i in 0..n {
            let (cols, vals) = self.factors.row(i);
            let s: f64 = cols
                .iter()
                .zip(vals)
                .take_while(|(&j, _)| j < i)
                .map(|(&j, &v)| v * z[j])
                .sum();
            z[i] = r[i] - s;
        }
        for i in (0..n).rev() {
            let (cols, vals) = self.factors.row(i);
            let s: f64 = cols
                .iter()
                .zip(vals)
                .filter(|(&j, _)| j > i)
                .map(|(&j, &v)| v * z[j])
                .sum();
            z[i] = (z[i] - s) / self.factors.values()[self.diagonal[i]];
        }
    }
}
