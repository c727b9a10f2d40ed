//! Compressed sparse row (CSR) matrices in `f64`: built from `(row, column, value)` triplets
//! (duplicates are summed, as in finite-element/-volume assembly), with `y = A x` and row access.
//! The Krylov methods need only `A x`, so no transpose is stored; `Aᵀ y` (the adjoint of the
//! [`LinearOperator`] it implements) scatters row by row instead.
//!
//! Layout (Saad, "Iterative Methods for Sparse Linear Systems", 2nd ed., 2003, §3.4): row `i`
//! holds the entries `values[row_ptr[i]..row_ptr[i+1]]` in the columns `col_idx[..]`, sorted
//! by column within each row.

use crate::error::{Error, Result};
use crate::operators::LinearOperator;

/// A sparse matrix in CSR form with sorted column indices in each row.
#[derive(Clone, Debug, PartialEq)]
pub struct CsrMatrix {
    /// `[rows, cols]`: the output shape of `A x` is `shape[..1]`, its input shape `shape[1..]`.
    shape: [usize; 2],
    row_ptr: Vec<usize>,
    col_idx: Vec<usize>,
    values: Vec<f64>,
}

impl CsrMatrix {
    /// Assembles `rows × cols` from triplets; entries at the same position are added.
    ///
    /// ```
    /// use inversa::krylov::sparse::CsrMatrix;
    /// let a = CsrMatrix::from_triplets(2, 2, &[(0, 0, 2.0), (0, 1, -1.0), (1, 1, 3.0), (1, 1, 1.0)])?;
    /// let mut y = vec![0.0; 2];
    /// a.matvec(&[1.0, 1.0], &mut y);
    /// assert_eq!(y, vec![1.0, 4.0]);
    /// # Ok::<(), inversa::Error>(())
    /// ```
    #[allow(clippy::expect_used, reason = "a duplicate follows a previous entry")]
    pub fn from_triplets(
        rows: usize,
        cols: usize,
        triplets: &[(usize, usize, f64)],
    ) -> Result<Self> {
        let mut sorted = triplets.to_vec();
        for &(i, j, v) in &sorted {
            if i >= rows || j >= cols || !v.is_finite() {
                return Err(Error::Shape(format!(
                    "triplet ({i}, {j}, {v}) does not fit a finite {rows}×{cols} matrix"
                )));
            }
        }
        sorted.sort_by_key(|&(i, j, _)| (i, j));
        let mut row_ptr = vec![0; rows + 1];
        let mut col_idx = Vec::with_capacity(sorted.len());
        let mut values: Vec<f64> = Vec::with_capacity(sorted.len());
        let mut last = None;
        for (i, j, v) in sorted {
            if last == Some((i, j)) {
                *values.last_mut().expect("a previous entry exists") += v;
                continue;
            }
            last = Some((i, j));
            col_idx.push(j);
            values.push(v);
            row_ptr[i + 1] += 1;
        }
        for i in 0..rows {
            row_ptr[i + 1] += row_ptr[i];
        }
        Ok(Self {
            shape: [rows, cols],
            row_ptr,
            col_idx,
            values,
        })
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.shape[0]
    }

    /// Number of columns.
    pub fn cols(&self) -> usize {
        self.shape[1]
    }

    /// Number of stored entries.
    pub fn nnz(&self) -> usize {
        self.values.len()
    }

    /// The column indices and values of row `i`.
    pub fn row(&self, i: usize) -> (&[usize], &[f64]) {
        let range = self.row_ptr[i]..self.row_ptr[i + 1];
        (&self.col_idx[range.clone()], &self.values[range])
    }

    /// The entry `A[i][j]` (zero when not stored).
    pub fn get(&self, i: usize, j: usize) -> f64 {
        let (cols, vals) = self.row(i);
        cols.binary_search(&j).map_or(0.0, |p| vals[p])
    }

    /// The diagonal `A[i][i]`.
    pub fn diagonal(&self) -> Vec<f64> {
        (0..self.rows().min(self.cols()))
            .map(|i| self.get(i, i))
            .collect()
    }

    /// `y = A x`.
    pub fn matvec(&self, x: &[f64], y: &mut [f64]) {
        assert_eq!(x.len(), self.cols(), "matvec: x has the wrong length");
        assert_eq!(y.len(), self.rows(), "matvec: y has the wrong length");
        for (i, yi) in y.iter_mut().enumerate() {
            let (cols, vals) = self.row(i);
            *yi = cols.iter().zip(vals).map(|(&j, &v)| v * x[j]).sum();
        }
    }

    /// `A x` in a new vector.
    pub fn apply_new(&self, x: &[f64]) -> Vec<f64> {
        let mut y = vec![0.0; self.rows()];
        self.matvec(x, &mut y);
        y
    }

    /// The dense matrix, row-major (for tests and tiny problems).
    pub fn to_dense(&self) -> Vec<f64> {
        let (rows, n) = (self.rows(), self.cols());
        let mut dense = vec![0.0; rows * n];
        for i in 0..rows {
            let (cols, vals) = self.row(i);
            for (&j, &v) in cols.iter().zip(vals) {
                dense[i * n + j] = v;
            }
        }
        dense
    }

    /// The stored values, in row order.
    pub(crate) fn values(&self) -> &[f64] {
        &self.values
    }

    /// The same sparsity pattern with other values (same order as the stored entries).
    pub(crate) fn values_mut(&mut self) -> &mut [f64] {
        &mut self.values
    }

    /// Position of the diagonal entry of each row in the value array, if stored.
    pub(crate) fn diagonal_positions(&self) -> Vec<Option<usize>> {
        (0..self.rows())
            .map(|i| {
                let (cols, _) = self.row(i);
                cols.binary_search(&i).ok().map(|p| self.row_ptr[i] + p)
            })
            .collect()
    }

    /// Start of row `i` in the entry arrays.
    pub(crate) fn row_start(&self, i: usize) -> usize {
        self.row_ptr[i]
    }
}

impl LinearOperator<f64> for CsrMatrix {
    fn input_shape(&self) -> &[usize] {
        &self.shape[1..]
    }

    fn output_shape(&self) -> &[usize] {
        &self.shape[..1]
    }

    fn apply(&self, x: &[f64], y: &mut [f64]) {
        self.matvec(x, y);
    }

    fn adjoint(&self, y: &[f64], x: &mut [f64]) {
        x.fill(0.0);
        for (i, yi) in y.iter().enumerate() {
            let (cols, vals) = self.row(i);
            cols.iter().zip(vals).for_each(|(&j, &v)| x[j] += v * yi);
        }
    }
}

/// `‖b − A x‖ / ‖b‖` computed from scratch (`‖b − A x‖` when `b = 0`).
pub fn relative_residual(a: &CsrMatrix, x: &[f64], b: &[f64]) -> f64 {
    let ax = a.apply_new(x);
    let r: f64 = ax.iter().zip(b).map(|(p, q)| (q - p) * (q - p)).sum();
    let nb: f64 = b.iter().map(|v| v * v).sum();
    if nb > 0.0 {
        (r / nb).sqrt()
    } else {
        r.sqrt()
    }
}
