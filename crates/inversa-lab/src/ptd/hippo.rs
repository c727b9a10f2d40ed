//! The HiPPO-LegS system (Gu, Dao, Ermon, Rudra, Ré, "HiPPO: Recurrent Memory with Optimal
//! Polynomial Projections", NeurIPS 2020, arXiv:2008.07669, Theorem 2) and its normal part
//! (Gu, Goel, Ré, "Efficiently Modeling Long Sequences with Structured State Spaces", ICLR 2022,
//! arXiv:2111.00396, Sec. 3.2).
//!
//! ```text
//! A_nk = −√(2n+1)√(2k+1)  (n > k),   −(n+1)  (n = k),   0  (n < k);      B_n = √(2n+1),
//! A = A_N − P Pᵀ,   P_n = √(n + ½),   A_N = −½ I + S  with S skew-symmetric (so A_N is normal).
//! ```
//!
//! `A` is lower triangular with eigenvalues `−1, …, −n`, but its eigenvector matrix has a
//! condition number that grows exponentially in `n`: diagonalising it is ill-posed.

/// A state matrix (row-major, `n × n`) with its input vector.
#[derive(Clone, Debug)]
pub struct System {
    pub n: usize,
    pub a: Vec<f64>,
    pub b: Vec<f64>,
}

/// The HiPPO-LegS `(A, B)` of size `n`.
pub fn legs(n: usize) -> System {
    let root = |k: usize| ((2 * k + 1) as f64).sqrt();
    let mut a = vec![0.0; n * n];
    for row in 0..n {
        for col in 0..row {
            a[row * n + col] = -root(row) * root(col);
        }
        a[row * n + row] = -((row + 1) as f64);
    }
    System {
        n,
        a,
        b: (0..n).map(root).collect(),
    }
}

/// The low-rank factor `P` of `A = A_N − P Pᵀ`.
pub fn low_rank(n: usize) -> Vec<f64> {
    (0..n).map(|k| (k as f64 + 0.5).sqrt()).collect()
}

/// S4D-LegS's system: the normal part `A_N` with `B/2` (the halved input makes `A_N`'s transfer
/// function match LegS's at low frequencies: Gu, Gupta, Goel, Ré, NeurIPS 2022, Sec. 4).
pub fn s4d_legs(n: usize) -> System {
    let mut system = normal_part(n);
    system.b.iter_mut().for_each(|b| *b *= 0.5);
    system
}

/// The normal part `A_N = A + P Pᵀ` of HiPPO-LegS, with the same `B`: the matrix whose
/// eigendecomposition S4D (and S5) use in place of `A`'s (S4D drops the low-rank term).
pub fn normal_part(n: usize) -> System {
    let mut system = legs(n);
    let p = low_rank(n);
    for row in 0..n {
        for col in 0..n {
            system.a[row * n + col] += p[row] * p[col];
        }
    }
    system
}

/// The exact scaled-Legendre coefficients of `tᵏ` over `[0, t]`, divided by `tᵏ`:
/// `√(2m+1) ∫₀¹ xᵏ P_m(2x − 1) dx = √(2m+1) k!² / ((k − m)! (k + m + 1)!)` for `m ≤ k`, else 0.
pub fn monomial_coefficients(n: usize, k: usize) -> Vec<f64> {
    let factorial = |m: usize| (1..=m).map(|i| i as f64).product::<f64>();
    (0..n)
        .map(|m| {
            if m > k {
                0.0
            } else {
                ((2 * m + 1) as f64).sqrt() * factorial(k).powi(2)
                    / (factorial(k - m) * factorial(k + m + 1))
            }
        })
        .collect()
}

/// `max |v − c|` over `k = 0 … max_degree`, with `v = −(A − kI)⁻¹ B` and `c` the exact
/// coefficients of [`monomial_coefficients`]. LegS's state `c(t)` obeys `t c' = A c + B u`; for
/// `u = tᵏ` the projection is `c(t) = tᵏ v`, so `k v = A v + B`: the closed form of `A` and `B`
/// is right exactly when these fixed points are the Legendre coefficients.
pub fn fixed_point_error(n: usize, max_degree: usize) -> f64 {
    let system = legs(n);
    let mut worst = 0.0_f64;
    for k in 0..=max_degree {
        // (A − kI) is lower triangular: forward substitution of (A − kI) v = −B.
        let mut v = vec![0.0; n];
        for row in 0..n {
            let known: f64 = (0..row).map(|col| system.a[row * n + col] * v[col]).sum();
            v[row] = (-system.b[row] - known) / (system.a[row * n + row] - k as f64);
        }
        let exact = monomial_coefficients(n, k);
        let error = v
            .iter()
            .zip(&exact)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        worst = worst.max(error);
    }
    worst
}

/// `‖M Mᵀ − Mᵀ M‖_F / ‖M‖_F²`: zero exactly when `M` is normal.
pub fn commutator(system: &System) -> f64 {
    let (n, m) = (system.n, &system.a);
    let mut commutator = 0.0;
    for i in 0..n {
        for j in 0..n {
            let left: f64 = (0..n).map(|k| m[i * n + k] * m[j * n + k]).sum();
            let right: f64 = (0..n).map(|k| m[k * n + i] * m[k * n + j]).sum();
            commutator += (left - right).powi(2);
        }
    }
    let norm: f64 = m.iter().map(|x| x * x).sum();
    commutator.sqrt() / norm
}
