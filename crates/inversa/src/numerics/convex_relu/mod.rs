//! Global training of a two-layer ReLU network through its convex reformulation, solved by ADMM.
//!
//! The network `f(x) = Σ_j α_j max(0, x·u_j)` (`x` carries a constant 1, so `u_j` includes a bias),
//! trained with squared loss and weight decay,
//! $$\min_{u,\alpha}\ \tfrac12\|\textstyle\sum_j (Xu_j)_+\alpha_j - y\|^2 + \tfrac\beta2\sum_j(\|u_j\|^2 + \alpha_j^2),$$
//! has the same optimal value as the convex group-lasso problem over activation patterns
//! `D_i = diag(1[X g_i ≥ 0])` (Pilanci & Ergen, ICML 2020):
//! $$\min_{v,w}\ \tfrac12\Bigl\|\sum_i D_iX(v_i - w_i) - y\Bigr\|^2 + \beta\sum_i(\|v_i\| + \|w_i\|)
//!   \quad\text{s.t. } (2D_i - I)Xv_i \ge 0,\ (2D_i - I)Xw_i \ge 0 .$$
//! The constraints say `D_i X v_i = (X v_i)_+`, so a solution maps back to a network with one neuron
//! per non-zero group: `u = v_i/√‖v_i‖, α = √‖v_i‖` (and `α = −√‖w_i‖` for `w_i`), whose loss and
//! weight decay equal the convex fit term and penalty exactly ([`ConvexSolution::network`]). Here the
//! `P` patterns are sampled from Gaussian `g_i` (the "sampled convex program"), so the optimum is the
//! global one over networks whose neurons use those patterns.
//!
//! **ADMM** (the splitting of Bai, Gautam & Sojoudi): with `u = (v, w)` stacked, `F u = Σ D_iX(v_i −
//! w_i)`, `G u` the stacked `(2D_i − I)X v_i, (2D_i − I)X w_i`, split `u = z` (group lasso on `z`) and
//! `G u = s` (`s ≥ 0`); with scaled duals `λ, ν` and penalty `ρ`, each iteration is
//! * `u ← Q⁻¹(Fᵀy + ρ(z − λ) + ρGᵀ(s − ν))`, `Q = FᵀF + ρI + ρGᵀG` — fixed, so factored once by
//!   Cholesky and each iteration costs two triangular solves, `O((Pd)²)`: the quadratic cost;
//!   `GᵀG = blockdiag(XᵀX)` since `(2D_i − I)² = I`;
//! * `z ← ` group soft-thresholding of `u + λ` at `β/ρ`;
//! * `s ← max(0, G u + ν)`;
//! * `λ ← λ + u − z`, `ν ← ν + G u − s`;
//!
//! with over-relaxation (Boyd et al. §3.4.3: `u` and `G u` replaced in the last three lines by
//! `1.6 u + (−0.6) z_prev` and `1.6 G u − 0.6 s_prev`),
//! stopping when the primal residual `‖(u − z, Gu − s)‖` and the dual residual `ρ‖z − z_prev‖` fall
//! below the tolerance times `√(2Pd)`. `ρ` is adapted by residual balancing (Boyd, Parikh, Chu,
//! Peleato, Eckstein, "Distributed Optimization and Statistical Learning via ADMM", 2011, §3.4.1):
//! doubled or halved when one residual exceeds the other tenfold, checked every 50 iterations, each
//! change costing one new factorisation.
//! The returned weights are the group-sparse `z`.
//!
//! Papers: Y. Bai, T. Gautam, S. Sojoudi, "Efficient Global Optimization of Two-layer ReLU Networks:
//! Quadratic-time Algorithms and Adversarial Training", SIAM J. Math. Data Sci. 5(2), 2023,
//! arXiv:2201.01965; M. Pilanci, T. Ergen, "Neural Networks are Convex Regularizers", ICML 2020,
//! arXiv:2002.10553.

mod dataset;
mod network;

pub use dataset::Dataset;
pub use network::{train_adam, Network};

use super::gaussian;
use crate::error::{Error, Result};
use crate::metrics::squared_distance;
use crate::real::dot;
use faer::linalg::solvers::Solve;
use faer::{ColMut, MatRef, Side};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// `P` distinct activation patterns `1[X g ≥ 0]` from Gaussian directions `g` (duplicates and the
/// all-off pattern dropped; at most `10 P` draws).
pub fn sample_patterns(data: &Dataset, count: usize, seed: u64) -> Vec<Vec<bool>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut patterns: Vec<Vec<bool>> = Vec::with_capacity(count);
    for _ in 0..10 * count {
        if patterns.len() == count {
            break;
        }
        let g = gaussian(&mut rng, data.d);
        let mask: Vec<bool> = (0..data.len())
            .map(|j| dot(data.row(j), &g) >= 0.0)
            .collect();
        if mask.iter().any(|&b| b) && !patterns.contains(&mask) {
            patterns.push(mask);
        }
    }
    patterns
}

/// The activation patterns `1[X u_j ≥ 0]` of a network's neurons (duplicates and all-off dropped):
/// added to sampled ones, they make the network a feasible point of the convex problem, so the
/// convex optimum is at most its objective.
pub fn network_patterns(net: &Network, data: &Dataset) -> Vec<Vec<bool>> {
    let mut patterns: Vec<Vec<bool>> = Vec::new();
    for u in net.hidden.chunks_exact(net.d) {
        let mask: Vec<bool> = (0..data.len())
            .map(|j| dot(data.row(j), u) >= 0.0)
            .collect();
        if mask.iter().any(|&b| b) && !patterns.contains(&mask) {
            patterns.push(mask);
        }
    }
    patterns
}

/// ADMM settings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdmmParams {
    /// Weight decay `β`.
    pub beta: f64,
    /// Penalty `ρ`.
    pub rho: f64,
    pub max_iterations: usize,
    pub tolerance: f64,
}

impl Default for AdmmParams {
    fn default() -> Self {
        Self {
            beta: 1e-2,
            rho: 1.0,
            max_iterations: 5000,
            tolerance: 1e-7,
        }
    }
}

/// The convex problem's solution and how ADMM got there.
#[derive(Clone, Debug, PartialEq)]
pub struct ConvexSolution {
    pub d: usize,
    /// `v_1 … v_P`, row-major `P × d`.
    pub v: Vec<f64>,
    /// `w_1 … w_P`, row-major `P × d`.
    pub w: Vec<f64>,
    /// The convex objective of `z` after each iteration.
    pub objectives: Vec<f64>,
    pub iterations: usize,
    pub converged: bool,
}

/// The blocks `(2D_i − I)X` and `D_iX` act row by row: row `j` of block `i` is `±x_j` or `x_j`/0.
struct Operators<'a> {
    data: &'a Dataset,
    patterns: &'a [Vec<bool>],
}

impl Operators<'_> {
    fn groups(&self) -> usize {
        2 * self.patterns.len()
    }

    /// `F u = Σ_i D_iX(v_i − w_i)`; `u` holds the `v` groups then the `w` groups.
    fn fit(&self, u: &[f64]) -> Vec<f64> {
        let (d, p) = (self.data.d, self.patterns.len());
        (0..self.data.len())
            .map(|j| {
                let x = self.data.row(j);
                (0..p)
                    .filter(|&i| self.patterns[i][j])
                    .map(|i| {
                        dot(x, &u[i * d..(i + 1) * d]) - dot(x, &u[(p + i) * d..(p + i + 1) * d])
                    })
                    .sum()
            })
            .collect()
    }

    /// `Fᵀ r`.
    fn fit_adjoint(&self, r: &[f64]) -> Vec<f64> {
        let (d, p) = (self.data.d, self.patterns.len());
        let mut out = vec![0.0; 2 * p * d];
        for (j, &rj) in r.iter().enumerate() {
            let x = self.data.row(j);
            for i in (0..p).filter(|&i| self.patterns[i][j]) {
                for (k, xk) in x.iter().enumerate() {
                    out[i * d + k] += rj * xk;
                    out[(p + i) * d + k] -= rj * xk;
                }
            }
        }
        out
    }

    /// `G u`: for group `g` (pattern `g mod P`), the signed products `(2D − I)X u_g`.
    fn constraint(&self, u: &[f64]) -> Vec<f64> {
        let (d, n) = (self.data.d, self.data.len());
        let mut out = Vec::with_capacity(self.groups() * n);
        for g in 0..self.groups() {
            let mask = &self.patterns[g % self.patterns.len()];
            out.extend(
                (0..n).map(|j| sign(mask[j]) * dot(self.data.row(j), &u[g * d..(g + 1) * d])),
            );
        }
        out
    }

    /// `Gᵀ s`.
    fn constraint_adjoint(&self, s: &[f64]) -> Vec<f64> {
        let (d, n) = (self.data.d, self.data.len());
        let mut out = vec![0.0; self.groups() * d];
        for g in 0..self.groups() {
            let mask = &self.patterns[g % self.patterns.len()];
            for j in 0..n {
                let c = sign(mask[j]) * s[g * n + j];
                for (o, xk) in out[g * d..(g + 1) * d].iter_mut().zip(self.data.row(j)) {
                    *o += c * xk;
                }
            }
        }
        out
    }

    /// `Q = FᵀF + ρI + ρ blockdiag(XᵀX)`, assembled column by column from `Fᵀ F e_k`.
    fn system(&self, rho: f64) -> Vec<f64> {
        let (d, size) = (self.data.d, self.groups() * self.data.d);
        let mut gram = vec![0.0; d * d];
        for j in 0..self.data.len() {
            let x = self.data.row(j);
            for a in 0..d {
                for b in 0..d {
                    gram[a * d + b] += x[a] * x[b];
                }
            }
        }
        let mut q = vec![0.0; size * size];
        let mut e = vec![0.0; size];
        for k in 0..size {
            e[k] = 1.0;
            let column = self.fit_adjoint(&self.fit(&e));
            e[k] = 0.0;
            for (row, value) in column.iter().enumerate() {
                q[row * size + k] = *value;
            }
            let (g, a) = (k / d, k % d);
            for b in 0..d {
                q[(g * d + b) * size + k] += rho * gram[b * d + a];
            }
            q[k * size + k] += rho;
        }
        q
    }
}

fn sign(active: bool) -> f64 {
    if active {
        1.0
    } else {
        -1.0
    }
}

/// The convex objective `½‖F u − y‖² + β Σ_g ‖u_g‖`.
pub fn convex_objective(
    data: &Dataset,
    patterns: &[Vec<bool>],
    v: &[f64],
    w: &[f64],
    beta: f64,
) -> f64 {
    let u = [v, w].concat();
    let ops = Operators { data, patterns };
    0.5 * squared_distance(&ops.fit(&u), &data.labels) + beta * group_norms(&u, data.d)
}

fn group_norms(u: &[f64], d: usize) -> f64 {
    u.chunks_exact(d).map(|g| dot(g, g).sqrt()).sum()
}

/// Solves the convex problem by ADMM from zero.
pub fn solve_admm(
    data: &Dataset,
    patterns: &[Vec<bool>],
    params: &AdmmParams,
) -> Result<ConvexSolution> {
    if patterns.is_empty() || patterns.iter().any(|p| p.len() != data.len()) {
        return Err(Error::config(
            "convex_relu.patterns",
            "need at least one pattern with one entry per sample",
        ));
    }
    if !(params.beta > 0.0 && params.rho > 0.0) {
        return Err(Error::config(
            "convex_relu.beta",
            "the weight decay β and the penalty ρ must be > 0",
        ));
    }
    let ops = Operators { data, patterns };
    let (d, size) = (data.d, ops.groups() * data.d);
    let factorise = |rho: f64| {
        let system = ops.system(rho);
        MatRef::from_row_major_slice(&system, size, size)
            .llt(Side::Lower)
            .map_err(|_| {
                Error::Shape("convex ReLU: the ADMM system is not positive definite".into())
            })
    };
    let mut rho = params.rho;
    let mut factor = factorise(rho)?;
    let fty = ops.fit_adjoint(&data.labels);
    let mut z = vec![0.0; size];
    let mut lambda = vec![0.0; size];
    let mut s = vec![0.0; ops.groups() * data.len()];
    let mut nu = s.clone();
    let mut objectives = Vec::new();
    let scale = (size as f64).sqrt();
    for iteration in 1..=params.max_iterations {
        let back =
            ops.constraint_adjoint(&s.iter().zip(&nu).map(|(a, b)| a - b).collect::<Vec<f64>>());
        let mut u: Vec<f64> = (0..size)
            .map(|k| fty[k] + rho * (z[k] - lambda[k] + back[k]))
            .collect();
        factor.solve_in_place(ColMut::from_slice_mut(&mut u));
        // Over-relaxation (Boyd et al. 2011, §3.4.3): the z-, s- and dual updates see
        // û = a u + (1 − a) z_prev and ĝ = a G u + (1 − a) s_prev instead of u and G u.
        let a = RELAXATION;
        let gu = ops.constraint(&u);
        let u_hat: Vec<f64> = u
            .iter()
            .zip(&z)
            .map(|(x, zk)| a * x + (1.0 - a) * zk)
            .collect();
        let g_hat: Vec<f64> = gu
            .iter()
            .zip(&s)
            .map(|(x, sk)| a * x + (1.0 - a) * sk)
            .collect();
        let previous =
            std::mem::replace(&mut z, group_shrink(&u_hat, &lambda, d, params.beta / rho));
        s = g_hat
            .iter()
            .zip(&nu)
            .map(|(x, n)| (x + n).max(0.0))
            .collect();
        let mut primal = 0.0;
        for k in 0..size {
            lambda[k] += u_hat[k] - z[k];
            primal += (u[k] - z[k]).powi(2);
        }
        for k in 0..nu.len() {
            nu[k] += g_hat[k] - s[k];
            primal += (gu[k] - s[k]).powi(2);
        }
        let primal = primal.sqrt();
        let dual = rho * squared_distance(&z, &previous).sqrt();
        let (v, w) = z.split_at(size / 2);
        objectives.push(convex_objective(data, patterns, v, w, params.beta));
        if !objectives[objectives.len() - 1].is_finite() {
            return Err(crate::solvers::SolverError::NonFinite {
                solver: "convex ReLU ADMM",
                iteration,
            }
            .into());
        }
        if primal < params.tolerance * scale && dual < params.tolerance * scale {
            return Ok(solution(d, z, objectives, iteration, true));
        }
        // Residual balancing (Boyd et al. 2011, §3.4.1), at most every 50 iterations since each
        // change of ρ refactors Q; the scaled duals scale by ρ_old / ρ_new.
        if iteration % 50 == 0 && (primal > 10.0 * dual || dual > 10.0 * primal) {
            let change = if primal > dual { 2.0 } else { 0.5 };
            rho *= change;
            lambda
                .iter_mut()
                .chain(nu.iter_mut())
                .for_each(|x| *x /= change);
            factor = factorise(rho)?;
        }
    }
    let iterations = params.max_iterations;
    Ok(solution(d, z, objectives, iterations, false))
}

/// The over-relaxation factor `a ∈ (1, 2)`; 1.6 is the value Boyd et al. report as typical.
const RELAXATION: f64 = 1.6;

fn solution(
    d: usize,
    z: Vec<f64>,
    objectives: Vec<f64>,
    iterations: usize,
    converged: bool,
) -> ConvexSolution {
    let (v, w) = z.split_at(z.len() / 2);
    ConvexSolution {
        d,
        v: v.to_vec(),
        w: w.to_vec(),
        objectives,
        iterations,
        converged,
    }
}

/// `prox` of `t Σ_g ‖·‖` at `u + λ`: each group shrunk towards 0 by `t` in norm.
fn group_shrink(u: &[f64], lambda: &[f64], d: usize, t: f64) -> Vec<f64> {
    let mut out: Vec<f64> = u.iter().zip(lambda).map(|(a, b)| a + b).collect();
    for g in out.chunks_exact_mut(d) {
        let norm = dot(g, g).sqrt();
        let keep = if norm > t { 1.0 - t / norm } else { 0.0 };
        g.iter_mut().for_each(|x| *x *= keep);
    }
    out
}

impl ConvexSolution {
    /// The largest violation `max(0, −(2D_i − I)X v_i)` over all groups and samples, relative to
    /// the largest `|X v_i|`.
    pub fn constraint_violation(&self, data: &Dataset, patterns: &[Vec<bool>]) -> f64 {
        let u = [self.v.as_slice(), self.w.as_slice()].concat();
        let gu = Operators { data, patterns }.constraint(&u);
        // NaN propagates: a NaN constraint value is no violation of zero.
        use crate::report::finite::max_propagating_nan as max;
        let worst = max(std::iter::once(0.0).chain(gu.iter().map(|v| -v)));
        let size = max(std::iter::once(0.0).chain(gu.iter().map(|v| v.abs())));
        if size == 0.0 {
            0.0
        } else {
            worst / size
        }
    }

    /// The network with one neuron per non-zero group: `u = v/√‖v‖`, `α = ±√‖v‖`.
    pub fn network(&self) -> Network {
        let mut net = Network {
            d: self.d,
            hidden: Vec::new(),
            output: Vec::new(),
        };
        for (sign, weights) in [(1.0, &self.v), (-1.0, &self.w)] {
            for g in weights.chunks_exact(self.d) {
                let norm = dot(g, g).sqrt();
                if norm > 0.0 {
                    net.hidden.extend(g.iter().map(|x| x / norm.sqrt()));
                    net.output.push(sign * norm.sqrt());
                }
            }
        }
        net
    }
}
