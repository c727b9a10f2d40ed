//! The reference class: two-dimensional SDEs `dx = b_Θ(x) dt + σ dW` whose drift is linear in its
//! parameters, `b_Θ(x)_r = θ_rᵀ φ_r(x)` (coordinate `r` over its own features `φ_r`, `Θ` the
//! 2 × p matrix of rows `θ_r`), with the transition over a gap `Δ` taken as one Euler–Maruyama
//! step,
//!
//! ```text
//! q_Θ(y | x) = N(y; x + Δ b_Θ(x), σ²Δ I),
//! −log q_Θ(y | x) = ‖y − x − Δ b_Θ(x)‖² / (2σ²Δ) + const.
//! ```
//!
//! `Θ = 0` is Brownian motion, the fixed reference of piecewise bridges. Given couplings `π_k`
//! between consecutive snapshots, the maximum-likelihood `Θ` of the coupled pairs,
//! `argmax Σ_k Σ_ij π_k,ij log q_Θ(y_j | x_i)`, is a weighted least squares, one per coordinate
//! (the noise is isotropic), whose normal equations `G_r θ_r = B_r` have
//! `G_r = Σ_k Δ_k Σ_i a_i φ_r(x_i) φ_r(x_i)ᵀ` and `B_r = Σ_k Σ_i a_i (ŷ_i − x_i)_r φ_r(x_i)`,
//! `a_i` the row marginal and `ŷ_i = Σ_j π_ij y_j / a_i` the barycentric projection: the fit needs
//! only one pass over each coupling.

use super::sinkhorn::Coupling;
use super::{failed, Point};
use crate::Result;
use faer::linalg::solvers::Solve;
use faer::{ColMut, MatRef, Side};
use serde::Serialize;

/// The feature maps `φ_r` of a drift class.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Features {
    /// `(x₁, x₂, 1)`: linear drift with an offset (an Ornstein–Uhlenbeck class).
    Linear,
    /// `(x₁, x₁x₂)` and `(x₂, x₁x₂)`: the Lotka–Volterra drifts
    /// `(α x₁ − β x₁x₂, −γ x₂ + δ x₁x₂)`, `Θ = [[α, −β], [−γ, δ]]`.
    LotkaVolterra,
}

impl Features {
    /// `p`, the length of each `φ_r(x)`.
    pub fn count(self) -> usize {
        match self {
            Features::Linear => 3,
            Features::LotkaVolterra => 2,
        }
    }

    /// `φ₁(x)` and `φ₂(x)`, each zero-padded to three entries.
    pub fn eval(self, x: Point) -> [[f64; 3]; 2] {
        match self {
            Features::Linear => [[x[0], x[1], 1.0]; 2],
            Features::LotkaVolterra => [[x[0], x[0] * x[1], 0.0], [x[1], x[0] * x[1], 0.0]],
        }
    }
}

/// One member of the class: `Θ` (row-major, 2 × p) and the known diffusion `σ`.
#[derive(Clone, Debug, PartialEq)]
pub struct Reference {
    pub features: Features,
    pub theta: Vec<f64>,
    pub sigma: f64,
}

impl Reference {
    /// `Θ = 0`: Brownian motion with diffusion `σ`.
    pub fn brownian(features: Features, sigma: f64) -> Self {
        Self {
            features,
            theta: vec![0.0; 2 * features.count()],
            sigma,
        }
    }

    /// The drift `b_Θ(x)`.
    pub fn drift(&self, x: Point) -> Point {
        let p = self.features.count();
        let phi = self.features.eval(x);
        let row = |r: usize| (0..p).map(|c| self.theta[r * p + c] * phi[r][c]).sum();
        [row(0), row(1)]
    }

    /// The transition's mean `x + Δ Θ φ(x)`.
    pub fn mean(&self, x: Point, dt: f64) -> Point {
        let b = self.drift(x);
        [x[0] + dt * b[0], x[1] + dt * b[1]]
    }

    /// The cost `−log q_Θ(y | x)` up to its constant, as a row-major `xs.len() × ys.len()` matrix.
    pub fn cost(&self, xs: &[Point], ys: &[Point], dt: f64) -> Vec<f64> {
        let scale = 0.5 / (self.sigma * self.sigma * dt);
        xs.iter()
            .flat_map(|&x| {
                let m = self.mean(x, dt);
                ys.iter()
                    .map(move |y| scale * ((y[0] - m[0]).powi(2) + (y[1] - m[1]).powi(2)))
            })
            .collect()
    }

    /// The maximum-likelihood member of the class for the coupled pairs: `couplings[k]` couples
    /// `snapshots[k]` to `snapshots[k + 1]`, `gaps[k]` apart.
    pub fn fit(
        &self,
        snapshots: &[Vec<Point>],
        couplings: &[Coupling],
        gaps: &[f64],
    ) -> Result<Self> {
        let rows =
            snapshots
                .windows(2)
                .zip(couplings)
                .zip(gaps)
                .flat_map(|((pair, coupling), &dt)| {
                    let masses = (0..coupling.n).map(|i| coupling.row_mass(i));
                    let targets = coupling.barycentres(&pair[1]);
                    pair[0]
                        .iter()
                        .zip(masses)
                        .zip(targets)
                        .map(move |((&x, a), y)| (x, a, y, dt))
                });
        self.fit_rows(rows)
    }

    /// The same for known pairs `(x, y)` of equal weight: each individual with its own next
    /// position, the best the class can do when the identities are known.
    pub fn fit_pairs(&self, snapshots: &[Vec<Point>], gaps: &[f64]) -> Result<Self> {
        let rows = snapshots.windows(2).zip(gaps).flat_map(|(pair, &dt)| {
            let a = 1.0 / pair[0].len() as f64;
            pair[0]
                .iter()
                .zip(&pair[1])
                .map(move |(&x, &y)| (x, a, y, dt))
        });
        self.fit_rows(rows)
    }

    /// Solves `G_r θ_r = B_r` from rows `(x_i, a_i, ŷ_i, Δ)`.
    fn fit_rows(&self, rows: impl Iterator<Item = (Point, f64, Point, f64)>) -> Result<Self> {
        let p = self.features.count();
        let mut gram = [vec![0.0; p * p], vec![0.0; p * p]];
        let mut rhs = [vec![0.0; p], vec![0.0; p]];
        for (x, a, y, dt) in rows {
            let phi = self.features.eval(x);
            for r in 0..2 {
                for c in 0..p {
                    for e in 0..p {
                        gram[r][c * p + e] += dt * a * phi[r][c] * phi[r][e];
                    }
                    rhs[r][c] += a * phi[r][c] * (y[r] - x[r]);
                }
            }
        }
        let mut theta = Vec::with_capacity(2 * p);
        for (g, mut b) in gram.iter().zip(rhs) {
            let factor = MatRef::from_row_major_slice(g, p, p)
                .llt(Side::Lower)
                .map_err(|_| {
                    failed("the features' Gram matrix is singular (too few distinct particles)")
                })?;
            factor.solve_in_place(ColMut::from_slice_mut(&mut b));
            theta.extend(b);
        }
        if !theta.iter().all(|t| t.is_finite()) {
            return Err(failed("the refitted drift is not finite"));
        }
        Ok(Self {
            theta,
            ..self.clone()
        })
    }
}
