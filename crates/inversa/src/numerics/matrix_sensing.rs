//! Gradient descent on factorised matrix sensing, exact and over-parameterised.
//!
//! A rank-`r` PSD matrix `M* = X* X*ᵀ ∈ R^{n×n}` is measured by `m` Gaussian matrices `A_i` (i.i.d.
//! `N(0, 1)` entries): `y_i = ⟨A_i, M*⟩`. With `r_i = ⟨A_i, M⟩ − y_i` for the current estimate `M` and
//! the back-projection `S = (1/m) Σ_i r_i A_i` (so that `E[S] = M − M*`):
//!
//! * **symmetric**: `X ∈ R^{n×k}`, `f(X) = (1/4m) Σ_i (⟨A_i, XXᵀ⟩ − y_i)²`, gradient `sym(S) X`,
//!   update `X ← X − η sym(S) X`, started at `X₀ = α N(0, 1/n)`;
//! * **asymmetric**: `F, G ∈ R^{n×k}`, `f(F, G) = (1/2m) Σ_i (⟨A_i, FGᵀ⟩ − y_i)²`, gradients `S G` and
//!   `Sᵀ F`, started imbalanced at `F₀ = α N(0, 1/n)`, `G₀ = (α/3) N(0, 1/n)`.
//!
//! What the paper proves, and the tests and the `matrix-sensing` experiment reproduce: with `k = r`
//! the error `‖XXᵀ − M*‖_F` falls geometrically, `exp(−Ω(T))`; with `k > r` symmetric GD is slowed
//! to `Ω(1/T²)` (the `k − r` surplus columns shrink only like `‖x‖² ≈ 1/(ηt)`, and not at all before
//! `t ≈ 1/(ηα²)`); asymmetric GD with `k > r` is linear again but at a rate `exp(−Ω(α² T))` set by
//! the initialisation scale, because `FᵀF − GᵀG` is nearly conserved and keeps the smallest
//! singular values of `F` at the size `α`.
//!
//! **One-step modification** (the paper's remedy for the `α`-dependence): once the error has
//! fallen below a threshold (the end of the first phase), one step replaces `(F, G)` by
//! `(F B, G B⁻ᵀ)`, which leaves `FGᵀ` unchanged, with `B = (FᵀF)^{-1/2} s` chosen so that every
//! singular value of `F` becomes `s = (‖F‖₂ ‖G‖₂)^{1/2}`; afterwards the surplus directions of `G`
//! shrink at a rate set by `s² ≈ ‖M*‖₂`, not by `α²`, and plain GD continues. (The full text of the
//! paper's method section was not available to this implementation; this is the rebalancing its
//! analysis calls for — lifting `σ_min(F)` by a product-preserving change of factors — and the
//! tests check its claimed effect, an `α`-independent linear rate.)
//!
//! Paper: N. Xiong, L. Ding, S. S. Du, "How Over-Parameterization Slows Down Gradient Descent in
//! Matrix Sensing: The Curses of Symmetry and Initialization", ICLR 2024, arXiv:2310.01769.

use super::{gaussian, matmul, matmul_tn};
use crate::error::{Error, Result};
use crate::real::dot;
use crate::solvers::SolverError;
use faer::{MatRef, Side};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// A sensing problem: the truth and its `m` Gaussian measurements.
#[derive(Clone, Debug)]
pub struct Problem {
    pub n: usize,
    pub rank: usize,
    /// `M*`, row-major `n × n`.
    pub truth: Vec<f64>,
    /// `A_1 … A_m`, each row-major `n × n`, stored one after the other.
    pub sensing: Vec<f64>,
    pub measurements: Vec<f64>,
}

impl Problem {
    /// `M* = U diag(σ) Uᵀ` with `U` orthonormal (from a Gaussian matrix) and `σ` spaced evenly from
    /// 1 down to 1/2 (condition number 2), measured by `m` Gaussian matrices.
    pub fn gaussian(n: usize, rank: usize, m: usize, seed: u64) -> Result<Self> {
        if rank == 0 || rank > n {
            return Err(Error::config(
                "matrix_sensing.rank",
                format!("need 1 ≤ r ≤ n = {n}, got {rank}"),
            ));
        }
        if m == 0 {
            return Err(Error::config(
                "matrix_sensing.measurements",
                "need at least one measurement",
            ));
        }
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let u = orthonormal_columns(&gaussian(&mut rng, n * rank), n, rank);
        let mut factor = u.clone();
        for row in factor.chunks_exact_mut(rank) {
            for (j, x) in row.iter_mut().enumerate() {
                let sigma = if rank == 1 {
                    1.0
                } else {
                    1.0 - 0.5 * j as f64 / (rank - 1) as f64
                };
                *x *= sigma.sqrt();
            }
        }
        let truth = outer(&factor, &factor, n, rank);
        let sensing = gaussian(&mut rng, m * n * n);
        let measurements = sensing
            .chunks_exact(n * n)
            .map(|a| dot(a, &truth))
            .collect();
        Ok(Self {
            n,
            rank,
            truth,
            sensing,
            measurements,
        })
    }

    /// `S = (1/m) Σ_i (⟨A_i, M⟩ − y_i) A_i`.
    fn back_projection(&self, estimate: &[f64]) -> Vec<f64> {
        let m = self.measurements.len();
        let mut s = vec![0.0; self.n * self.n];
        for (a, y) in self
            .sensing
            .chunks_exact(self.n * self.n)
            .zip(&self.measurements)
        {
            let r = (dot(a, estimate) - y) / m as f64;
            for (si, ai) in s.iter_mut().zip(a) {
                *si += r * ai;
            }
        }
        s
    }

    /// `‖M − M*‖_F`.
    pub fn error(&self, estimate: &[f64]) -> f64 {
        estimate
            .iter()
            .zip(&self.truth)
            .map(|(a, b)| (a - b).powi(2))
            .sum::<f64>()
            .sqrt()
    }
}

/// How the estimate is factorised.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Factorisation {
    /// `XXᵀ`.
    Symmetric,
    /// `FGᵀ`; with `rebalance_below: Some(ε)`, the one-step modification is applied once, at the
    /// first iteration whose error is below `ε ‖M*‖_F`.
    Asymmetric { rebalance_below: Option<f64> },
}

/// One gradient-descent run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Settings {
    pub k: usize,
    /// Initialisation scale `α`.
    pub alpha: f64,
    /// Step size `η`.
    pub step: f64,
    pub iterations: usize,
    pub factorisation: Factorisation,
    pub seed: u64,
}

/// The error `‖M_t − M*‖_F` for `t = 0 … iterations`, and when the one-step modification ran.
#[derive(Clone, Debug, PartialEq)]
pub struct Trace {
    pub errors: Vec<f64>,
    pub rebalanced_at: Option<usize>,
}

/// Runs gradient descent from a random start of scale `α`.
///
/// ```
/// use inversa::numerics::matrix_sensing::{run, Factorisation, Problem, Settings};
/// let problem = Problem::gaussian(8, 1, 160, 0)?;
/// let settings = Settings { k: 1, alpha: 1e-2, step: 0.3, iterations: 300, factorisation: Factorisation::Symmetric, seed: 1 };
/// let trace = run(&problem, &settings)?;
/// assert!(trace.errors[300] < 1e-8 * trace.errors[0]);
/// # Ok::<(), inversa::Error>(())
/// ```
pub fn run(problem: &Problem, settings: &Settings) -> Result<Trace> {
    let (n, k) = (problem.n, settings.k);
    if k == 0 {
        return Err(Error::config(
            "matrix_sensing.k",
            "the factor width k must be ≥ 1",
        ));
    }
    if !(settings.alpha > 0.0 && settings.step > 0.0) {
        return Err(Error::config(
            "matrix_sensing.alpha",
            "the initialisation scale and the step must be > 0",
        ));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(settings.seed);
    let scale = settings.alpha / (n as f64).sqrt();
    let mut f: Vec<f64> = gaussian(&mut rng, n * k)
        .iter()
        .map(|v| v * scale)
        .collect();
    let mut g: Vec<f64> = match settings.factorisation {
        Factorisation::Symmetric => f.clone(),
        Factorisation::Asymmetric { .. } => gaussian(&mut rng, n * k)
            .iter()
            .map(|v| v * scale / 3.0)
            .collect(),
    };
    let truth_norm = problem.error(&vec![0.0; n * n]);
    let mut trace = Trace {
        errors: Vec::with_capacity(settings.iterations + 1),
        rebalanced_at: None,
    };
    for t in 0..=settings.iterations {
        let estimate = outer(&f, &g, n, k);
        let error = problem.error(&estimate);
        if !error.is_finite() {
            return Err(SolverError::NonFinite {
                solver: "matrix sensing GD",
                iteration: t,
            }
            .into());
        }
        trace.errors.push(error);
        if t == settings.iterations {
            break;
        }
        let s = problem.back_projection(&estimate);
        match settings.factorisation {
            Factorisation::Symmetric => {
                let sym: Vec<f64> = (0..n * n)
                    .map(|ij| 0.5 * (s[ij] + s[ij % n * n + ij / n]))
                    .collect();
                let step = matmul(&sym, &f, n, n, k);
                axpy(&mut f, -settings.step, &step);
                g.clone_from(&f);
            }
            Factorisation::Asymmetric { rebalance_below } => {
                if trace.rebalanced_at.is_none()
                    && rebalance_below.is_some_and(|eps| error < eps * truth_norm)
                {
                    rebalance(&mut f, &mut g, n, k)?;
                    trace.rebalanced_at = Some(t);
                }
                let grad_f = matmul(&s, &g, n, n, k);
                let grad_g = matmul_tn(&s, &f, n, n, k);
                axpy(&mut f, -settings.step, &grad_f);
                axpy(&mut g, -settings.step, &grad_g);
            }
        }
    }
    Ok(trace)
}

/// The one-step modification: `F ← F (FᵀF)^{-1/2} s`, `G ← G (FᵀF)^{1/2} / s`, so `FGᵀ` is kept and
/// every singular value of `F` becomes `s = (‖F‖₂ ‖G‖₂)^{1/2}`.
fn rebalance(f: &mut Vec<f64>, g: &mut Vec<f64>, n: usize, k: usize) -> Result<()> {
    let failed = |_| {
        Error::from(SolverError::EigenNoConvergence {
            solver: "matrix sensing",
            what: "a Gram matrix",
        })
    };
    let gram_f = matmul_tn(f, f, n, k, k);
    let eigen = MatRef::from_row_major_slice(&gram_f, k, k)
        .self_adjoint_eigen(Side::Lower)
        .map_err(failed)?;
    let (w, v) = (eigen.S(), eigen.U());
    let gram_g = matmul_tn(g, g, n, k, k);
    let w_g = MatRef::from_row_major_slice(&gram_g, k, k)
        .self_adjoint_eigenvalues(Side::Lower)
        .map_err(failed)?;
    // Eigenvalues come in ascending order.
    let top = |largest: f64| largest.max(0.0).sqrt();
    let s = (top(w[k - 1]) * top(w_g[k - 1])).sqrt();
    // (FᵀF)^{±1/2} = V diag(w^{±1/2}) Vᵀ
    let power = |p: f64| -> Vec<f64> {
        let mut out = vec![0.0; k * k];
        for (i, o) in out.iter_mut().enumerate() {
            let (a, b) = (i / k, i % k);
            *o = (0..k)
                .map(|l| v[(a, l)] * w[l].max(1e-300).powf(p) * v[(b, l)])
                .sum();
        }
        out
    };
    *f = matmul(f, &power(-0.5), n, k, k)
        .iter()
        .map(|x| x * s)
        .collect();
    *g = matmul(g, &power(0.5), n, k, k)
        .iter()
        .map(|x| x / s)
        .collect();
    Ok(())
}

/// `F Gᵀ` for row-major `n × k` factors.
fn outer(f: &[f64], g: &[f64], n: usize, k: usize) -> Vec<f64> {
    (0..n * n)
        .map(|ij| dot(&f[ij / n * k..][..k], &g[ij % n * k..][..k]))
        .collect()
}

fn axpy(x: &mut [f64], a: f64, y: &[f64]) {
    for (xi, yi) in x.iter_mut().zip(y) {
        *xi += a * yi;
    }
}

/// Gram–Schmidt orthonormalisation of the `cols` columns of a row-major `rows × cols` matrix.
fn orthonormal_columns(a: &[f64], rows: usize, cols: usize) -> Vec<f64> {
    let mut q = a.to_vec();
    for j in 0..cols {
        for p in 0..j {
            let proj: f64 = (0..rows).map(|i| q[i * cols + j] * q[i * cols + p]).sum();
            for i in 0..rows {
                q[i * cols + j] -= proj * q[i * cols + p];
            }
        }
        let norm = (0..rows)
            .map(|i| q[i * cols + j].powi(2))
            .sum::<f64>()
            .sqrt();
        for i in 0..rows {
            q[i * cols + j] /= norm;
        }
    }
    q
}
