//! Small dense linear algebra for the Krylov methods: the projected matrices are at most a few
//! dozen rows, so plain row-major loops are enough. Thin QR by modified Gram–Schmidt applied twice
//! ("twice is enough", Giraud, Langou & Rozložník, 2005), Cholesky, triangular solves, and the
//! dominant invariant subspace of a small matrix by orthogonal (subspace) iteration (Golub & Van
//! Loan, "Matrix Computations", 4th ed., 2013, §7.3.2) — which is all that harmonic Ritz
//! recycling needs, since only the span of the selected vectors enters GCRO-DR.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A small dense row-major matrix.
#[derive(Clone, Debug, PartialEq)]
pub struct Mat {
    pub rows: usize,
    pub cols: usize,
    pub data: Vec<f64>,
}

impl Mat {
    /// The `rows × cols` zero matrix.
    pub fn zeros(rows: usize, cols: usize) -> Self {
        Self {
            rows,
            cols,
            data: vec![0.0; rows * cols],
        }
    }

    /// Entry `(i, j)`.
    pub fn at(&self, i: usize, j: usize) -> f64 {
        self.data[i * self.cols + j]
    }

    /// Mutable entry `(i, j)`.
    pub fn at_mut(&mut self, i: usize, j: usize) -> &mut f64 {
        &mut self.data[i * self.cols + j]
    }

    /// `selfᵀ`.
    pub fn transpose(&self) -> Mat {
        let mut t = Mat::zeros(self.cols, self.rows);
        for i in 0..self.rows {
            for j in 0..self.cols {
                *t.at_mut(j, i) = self.at(i, j);
            }
        }
        t
    }

    /// `self · other`.
    pub fn mul(&self, other: &Mat) -> Mat {
        assert_eq!(self.cols, other.rows, "Mat::mul: inner dimensions differ");
        let mut p = Mat::zeros(self.rows, other.cols);
        for i in 0..self.rows {
            for l in 0..self.cols {
                let a = self.at(i, l);
                for j in 0..other.cols {
                    p.data[i * other.cols + j] += a * other.at(l, j);
                }
            }
        }
        p
    }

    /// Column `j` as a vector.
    pub fn column(&self, j: usize) -> Vec<f64> {
        (0..self.rows).map(|i| self.at(i, j)).collect()
    }
}

/// `Σ aᵢ bᵢ`.
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// `‖a‖₂`.
pub fn norm(a: &[f64]) -> f64 {
    dot(a, a).sqrt()
}

/// `y ← y + α x`.
pub fn axpy(alpha: f64, x: &[f64], y: &mut [f64]) {
    y.iter_mut().zip(x).for_each(|(yi, xi)| *yi += alpha * xi);
}

/// `Σ_j coefficients[j] · vectors[j]`, the combination of `vectors` (all of length `len`).
pub fn combine(vectors: &[Vec<f64>], coefficients: &[f64], len: usize) -> Vec<f64> {
    let mut out = vec![0.0; len];
    for (v, &c) in vectors.iter().zip(coefficients) {
        axpy(c, v, &mut out);
    }
    out
}

/// Orthonormalises the columns in place (MGS, two passes) and returns `R` with `A = Q R`.
/// A column that is numerically dependent on the earlier ones gets `R[j][j] = 0` and is left as
/// the zero vector; the caller decides what to do with it.
pub fn orthonormalize(columns: &mut [Vec<f64>]) -> Mat {
    let k = columns.len();
    let mut r = Mat::zeros(k, k);
    for j in 0..k {
        let original = norm(&columns[j]);
        for _pass in 0..2 {
            for i in 0..j {
                let (head, tail) = columns.split_at_mut(j);
                let h = dot(&head[i], &tail[0]);
                axpy(-h, &head[i], &mut tail[0]);
                *r.at_mut(i, j) += h;
            }
        }
        let length = norm(&columns[j]);
        if length <= 1e-12 * original || length == 0.0 {
            columns[j].iter_mut().for_each(|v| *v = 0.0);
            continue;
        }
        columns[j].iter_mut().for_each(|v| *v /= length);
        *r.at_mut(j, j) = length;
    }
    r
}

/// Thin QR of a small matrix: `(Q, R)` with orthonormal columns in `Q` (see [`orthonormalize`]).
pub fn thin_qr(a: &Mat) -> (Mat, Mat) {
    let mut columns: Vec<Vec<f64>> = (0..a.cols).map(|j| a.column(j)).collect();
    let r = orthonormalize(&mut columns);
    let mut q = Mat::zeros(a.rows, a.cols);
    for (j, c) in columns.iter().enumerate() {
        for (i, v) in c.iter().enumerate() {
            *q.at_mut(i, j) = *v;
        }
    }
    (q, r)
}

/// Lower-triangular `L` with `A = L Lᵀ`, or `None` when `A` is not numerically positive definite.
pub fn cholesky(a: &Mat) -> Option<Mat> {
    let n = a.rows;
    let mut l = Mat::zeros(n, n);
    for j in 0..n {
        let d = a.at(j, j) - (0..j).map(|p| l.at(j, p).powi(2)).sum::<f64>();
        if d <= 1e-14 * a.at(j, j).abs() || !d.is_finite() {
            return None;
        }
        let d = d.sqrt();
        *l.at_mut(j, j) = d;
        for i in j + 1..n {
            let s = a.at(i, j) - (0..j).map(|p| l.at(i, p) * l.at(j, p)).sum::<f64>();
            *l.at_mut(i, j) = s / d;
        }
    }
    Some(l)
}

/// Solves `L X = B` for lower-triangular `L`.
pub fn solve_lower(l: &Mat, b: &Mat) -> Mat {
    let mut x = b.clone();
    for c in 0..b.cols {
        for i in 0..l.rows {
            let s: f64 = (0..i).map(|p| l.at(i, p) * x.at(p, c)).sum();
            *x.at_mut(i, c) = (b.at(i, c) - s) / l.at(i, i);
        }
    }
    x
}

/// Solves `U X = B` for upper-triangular `U`.
pub fn solve_upper(u: &Mat, b: &Mat) -> Mat {
    let mut x = b.clone();
    for c in 0..b.cols {
        for i in (0..u.rows).rev() {
            let s: f64 = (i + 1..u.rows).map(|p| u.at(i, p) * x.at(p, c)).sum();
            *x.at_mut(i, c) = (b.at(i, c) - s) / u.at(i, i);
        }
    }
    x
}

/// An orthonormal basis (`n × k`) of the invariant subspace of the `k` eigenvalues of largest
/// modulus of the square matrix `m`, by orthogonal iteration `Q ← qr(M Q)` from a fixed
/// pseudo-random start, stopped when `‖M Q − Q (QᵀM Q)‖_F ≤ 1e-8 ‖M‖_F` or after 500 steps
/// (an approximate subspace only makes recycling less effective, never wrong).
/// A complex-conjugate pair is captured as its real two-dimensional invariant subspace.
pub fn dominant_subspace(m: &Mat, k: usize) -> Mat {
    let n = m.rows;
    let k = k.min(n);
    let mut rng = ChaCha8Rng::seed_from_u64(0x5eed);
    let mut q = Mat::zeros(n, k);
    q.data.iter_mut().for_each(|v| *v = rng.gen::<f64>() - 0.5);
    let scale = norm(&m.data).max(f64::MIN_POSITIVE);
    for step in 0..500 {
        let mq = m.mul(&q);
        if step % 10 == 0 {
            let rayleigh = q.transpose().mul(&mq);
            let fit = q.mul(&rayleigh);
            let gap: Vec<f64> = mq.data.iter().zip(&fit.data).map(|(a, b)| a - b).collect();
            if norm(&gap) <= 1e-8 * scale {
                break;
            }
        }
        q = thin_qr(&mq).0;
    }
    q
}

/// Harmonic Ritz directions for a GCRO-DR/GMRES cycle (Parks et al. 2006, eq. 2.8/2.9): the `k`
/// vectors `z` of the pencil `ḠᵀḠ z = θ S z` with the smallest `|θ|`, where `S = Ḡᵀ W̄ᵀ Ŵ`.
/// With `ḠᵀḠ = L Lᵀ` and `z = L⁻ᵀ w` this is `L⁻¹ S L⁻ᵀ w = θ⁻¹ w`, so the wanted vectors span
/// the dominant invariant subspace of `L⁻¹ S L⁻ᵀ`. Returns `None` when `Ḡ` is rank deficient.
pub fn harmonic_ritz(g: &Mat, s: &Mat, k: usize) -> Option<Mat> {
    let l = cholesky(&g.transpose().mul(g))?;
    let left = solve_lower(&l, s); // L⁻¹ S
    let m = solve_lower(&l, &left.transpose()).transpose(); // (L⁻¹ (L⁻¹ S)ᵀ)ᵀ = L⁻¹ S L⁻ᵀ
    let w = dominant_subspace(&m, k);
    Some(solve_upper(&l.transpose(), &w))
}
