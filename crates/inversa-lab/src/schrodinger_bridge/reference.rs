//! The reference class: two-dimensional SDEs `dx = Θ φ(x) dt + σ dW` whose drift is linear in its
//! parameters `Θ` (2 × p) over a feature map `φ`, with the transition over a gap `Δ` taken as one
//! Euler–Maruyama step,
//!
//! ```text
//! q_Θ(y | x) = N(y; x + Δ Θ φ(x), σ²Δ I),    −log q_Θ(y | x) = ‖y − x − Δ Θ φ(x)‖² / (2σ²Δ) + const.
//! ```
//!
//! `Θ = 0` is Brownian motion, the fixed reference of piecewise bridges. Given couplings `π_k`
//! between consecutive snapshots, the maximum-likelihood `Θ` of the coupled pairs,
//! `argmax Σ_k Σ_ij π_k,ij log q_Θ(y_j | x_i)`, is a weighted least squares whose normal equations
//! `Θ G = B` have `G = Σ_k Δ_k Σ_i a_i φ(x_i) φ(x_i)ᵀ` and `B = Σ_k Σ_i a_i (ŷ_i − x_i) φ(x_i)ᵀ`,
//! `a_i` the row marginal and `ŷ_i = Σ_j π_ij y_j / a_i` the barycentric projection: the fit needs
//! only one pass over each coupling.

use super::sinkhorn::Coupling;
use super::Point;
use crate::{Error, Result};
use faer::linalg::solvers::Solve;
use faer::{MatMut, MatRef, Side};
use inversa::solvers::SolverError;
use serde::Serialize;

/// A feature map `φ` of the drift class.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Features {
    /// `(x₁, x₂, 1)`: linear drift with an offset (an Ornstein–Uhlenbeck class).
    Linear,
    /// `(1, x₁, x₂, x₁x₂)`: every Lotka–Volterra drift, and more.
    LotkaVolterra,
}

impl Features {
    /// `p`, the length of `φ(x)`.
    pub fn count(self) -> usize {
        match self {
            Features::Linear => 3,
            Features::LotkaVolterra => 4,
        }
    }

    /// `φ(x)`, zero-padded to four entries.
    pub fn eval(self, x: Point) -> [f64; 4] {
        match self {
            Features::Linear => [x[0], x[1], 1.0, 0.0],
            Features::LotkaVolterra => [1.0, x[0], x[1], x[0] * x[1]],
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

    /// The drift `Θ φ(x)`.
    pub fn drift(&self, x: Point) -> Point {
        let p = self.features.count();
        let phi = self.features.eval(x);
        let row = |r: usize| (0..p).map(|c| self.theta[r * p + c] * phi[c]).sum();
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
    pub fn fit(&self, snapshots: &[Vec<Point>], couplings: &[Coupling], gaps: &[f64]) -> Result<Self> {
        let p = self.features.count();
        let mut gram = vec![0.0; p * p];
        // Bᵀ, p × 2, the right-hand side of G Θᵀ = Bᵀ.
        let mut rhs = vec![0.0; p * 2];
        for ((pair, coupling), &dt) in snapshots.windows(2).zip(couplings).zip(gaps) {
            for (i, (&x, y_bar)) in pair[0].iter().zip(coupling.barycentres(&pair[1])).enumerate() {
                let a = coupling.row_mass(i);
                let phi = self.features.eval(x);
                for r in 0..p {
                    for c in 0..p {
                        gram[r * p + c] += dt * a * phi[r] * phi[c];
                    }
                    rhs[r * 2] += a * phi[r] * (y_bar[0] - x[0]);
                    rhs[r * 2 + 1] += a * phi[r] * (y_bar[1] - x[1]);
                }
            }
        }
        let factor = MatRef::from_row_major_slice(&gram, p, p)
            .llt(Side::Lower)
            .map_err(|_| failed("the features' Gram matrix is singular (too few distinct particles)"))?;
        factor.solve_in_place(MatMut::from_row_major_slice_mut(&mut rhs, p, 2));
        let theta = (0..2 * p).map(|k| rhs[(k % p) * 2 + k / p]).collect();
        Ok(Self {
            theta,
            ..self.clone()
        })
    }
}

/// A failed refinement or bridge, as the core's solver error.
pub fn failed(reason: &str) -> Error {
    Error::Core(inversa::Error::Solver(SolverError::Unsupported {
        solver: "Schrödinger bridge",
        reason: reason.into(),
    }))
}
