//! The static Schrödinger bridge between two empirical measures (uniform weights) for a cost
//! `c(x, y) = −log q(y | x)`: the coupling `π = diag(u) K diag(v)`, `K = exp(−c)`, whose scalings
//! Sinkhorn's iteration finds (Cuturi, "Sinkhorn distances", NeurIPS 2013),
//!
//! ```text
//! u ← a ⊘ (K v),    v ← b ⊘ (Kᵀ u),
//! ```
//!
//! with `a = 1/n`, `b = 1/m`, on a kernel stabilised by absorption (Schmitzer, "Stabilized sparse
//! scaling algorithms for entropy regularized transport problems", SIAM J. Sci. Comput. 2019):
//! `K_ij = exp(f_i + g_j − c_ij)` with `g` the column potential absorbed so far and `f_i` the
//! row's shift `min_j (c_ij − g_j)`, so every row's largest entry is 1 and no row underflows.
//! When a scaling leaves `[e^{−LIMIT}, e^{LIMIT}]` it is absorbed, `g ← g + log v`, and the kernel
//! rebuilt: the products stay in range without the exponentials of a log-domain iteration at
//! every step (one `n × m` product per half-step). A column that underflows in every row (a
//! particle that no reference transition reaches) is an error, not a NaN. After the `v` update
//! the column marginals are exact; the iteration stops when the rows' L1 error falls under the
//! tolerance.

use super::{failed, Point};
use crate::Result;
use inversa::solvers::SolverError;

/// Sinkhorn's stopping rule.
#[derive(Clone, Copy, Debug)]
pub struct Params {
    /// Largest L1 error of the row marginals (the total mass is 1).
    pub tolerance: f64,
    pub max_iterations: usize,
}

/// A coupling `π` (row-major `n × m`) and the iterations it took.
#[derive(Clone, Debug)]
pub struct Coupling {
    pub n: usize,
    pub m: usize,
    pub plan: Vec<f64>,
    /// The column potential `g`, the warm start of the next solve with a nearby cost.
    pub potential: Vec<f64>,
    pub iterations: usize,
}

/// The largest `|log|` of a scaling before it is absorbed into the potential.
const LIMIT: f64 = 200.0;

impl Coupling {
    /// Row `i` of `π`.
    pub fn row(&self, i: usize) -> &[f64] {
        &self.plan[i * self.m..(i + 1) * self.m]
    }

    /// `Σ_j π_ij`.
    pub fn row_mass(&self, i: usize) -> f64 {
        self.row(i).iter().sum()
    }

    /// The barycentric projections `Σ_j π_ij y_j / Σ_j π_ij`.
    pub fn barycentres(&self, ys: &[Point]) -> Vec<Point> {
        (0..self.n)
            .map(|i| {
                let row = self.row(i);
                let mass: f64 = row.iter().sum();
                let sum = |d: usize| -> f64 { row.iter().zip(ys).map(|(w, y)| w * y[d]).sum() };
                [sum(0) / mass, sum(1) / mass]
            })
            .collect()
    }
}

/// Solves the bridge for the row-major `n × m` cost `cost`, starting from the column potential
/// `warm` (zeros when `None`).
pub fn solve(
    cost: &[f64],
    n: usize,
    m: usize,
    warm: Option<&[f64]>,
    params: Params,
) -> Result<Coupling> {
    if let Some(c) = cost.iter().find(|c| !c.is_finite()) {
        let reason = format!(
            "a cost is {c}: the snapshots or the reference's drift overflowed (lower sigma or \
             the gap)"
        );
        return Err(failed(&reason));
    }
    let (a, b) = (1.0 / n as f64, 1.0 / m as f64);
    let mut potential = warm.map_or_else(|| vec![0.0; m], <[f64]>::to_vec);
    let mut kernel = stabilised_kernel(cost, m, &potential);
    let (mut u, mut v) = (vec![a; n], vec![1.0; m]);
    let mut error = f64::INFINITY;
    // Whether `u` belongs to the current kernel (not so at the start and after an absorption).
    let mut current = false;
    for iteration in 0..=params.max_iterations {
        let kv = times(&kernel, &v, m);
        if current {
            // The row masses of diag(u) K diag(v); the columns are exact after the `v` update.
            error = kv.iter().zip(&u).map(|(s, ui)| (ui * s - a).abs()).sum();
            if !error.is_finite() {
                return Err(unreachable_particle());
            }
            if error <= params.tolerance {
                potential
                    .iter_mut()
                    .zip(&v)
                    .for_each(|(g, vj)| *g += vj.ln());
                let plan = scale(kernel, &u, &v, m);
                return Ok(Coupling {
                    n,
                    m,
                    plan,
                    potential,
                    iterations: iteration,
                });
            }
        }
        u.iter_mut().zip(&kv).for_each(|(ui, s)| *ui = a / s);
        let ktu = times_transposed(&kernel, &u, m);
        if ktu.iter().any(|&s| !(s > 0.0 && s.is_finite())) {
            return Err(unreachable_particle());
        }
        v.iter_mut().zip(&ktu).for_each(|(vj, s)| *vj = b / s);
        current = true;
        if v.iter().chain(&u).any(|x| x.ln().abs() > LIMIT) {
            potential
                .iter_mut()
                .zip(&v)
                .for_each(|(g, vj)| *g += vj.ln());
            kernel = stabilised_kernel(cost, m, &potential);
            v.iter_mut().for_each(|vj| *vj = 1.0);
            current = false;
        }
    }
    Err(crate::Error::Core(inversa::Error::Solver(
        SolverError::NoConvergence {
            solver: "Sinkhorn",
            what: "the row marginals of the bridge".into(),
            iterations: params.max_iterations,
            tolerance: params.tolerance,
            relative_residual: error,
        },
    )))
}

/// `exp(f_i + g_j − c_ij)` with `f_i = min_j (c_ij − g_j)`: every row's largest entry is 1.
fn stabilised_kernel(cost: &[f64], m: usize, potential: &[f64]) -> Vec<f64> {
    let mut kernel: Vec<f64> = cost
        .chunks(m)
        .flat_map(|row| row.iter().zip(potential).map(|(c, g)| c - g))
        .collect();
    for row in kernel.chunks_mut(m) {
        let least = row.iter().copied().fold(f64::INFINITY, f64::min);
        row.iter_mut().for_each(|c| *c = (least - *c).exp());
    }
    kernel
}

fn times(kernel: &[f64], v: &[f64], m: usize) -> Vec<f64> {
    kernel
        .chunks(m)
        .map(|row| row.iter().zip(v).map(|(k, vj)| k * vj).sum())
        .collect()
}

fn times_transposed(kernel: &[f64], u: &[f64], m: usize) -> Vec<f64> {
    let mut out = vec![0.0; m];
    for (row, &ui) in kernel.chunks(m).zip(u) {
        out.iter_mut().zip(row).for_each(|(o, k)| *o += ui * k);
    }
    out
}

/// `diag(u) K diag(v)`, in place.
fn scale(mut kernel: Vec<f64>, u: &[f64], v: &[f64], m: usize) -> Vec<f64> {
    for (row, &ui) in kernel.chunks_mut(m).zip(u) {
        row.iter_mut().zip(v).for_each(|(k, vj)| *k *= ui * vj);
    }
    kernel
}

fn unreachable_particle() -> crate::Error {
    failed(
        "a particle lies where the reference's transition density underflows from every particle \
         of the previous snapshot; raise sigma or shorten the gap between snapshots",
    )
}
