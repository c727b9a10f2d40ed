//! The grid solvers INSR is measured against: the same integrator ([`Problem::transported`], then
//! implicit Euler for viscosity) on `N` equispaced nodes that include both ends, so the field is `N`
//! stored values. The semi-Lagrangian step reads the last field between nodes through its
//! interpolant, piecewise linear (the classic, dissipative scheme) or four-point Lagrange cubic
//! (a stronger baseline, as in the fluid solvers INSR compares with); the field is read the same way
//! when its error is measured. The viscous step solves `(I − νΔt D₂) u = u*` with `D₂` the three-point
//! second difference and `u = 0` at both ends (Thomas algorithm).

use super::problems::Problem;
use serde::Serialize;

/// How the grid is read between nodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Interpolation {
    Linear,
    Cubic,
}

/// Values on `N` equispaced nodes of the problem's domain.
#[derive(Clone, Debug)]
pub struct Grid {
    pub values: Vec<f64>,
    lo: f64,
    spacing: f64,
    interpolation: Interpolation,
}

impl Grid {
    /// `u₀` on `nodes ≥ 4` nodes.
    pub fn initial(problem: &Problem, nodes: usize, interpolation: Interpolation) -> Self {
        let (lo, hi) = problem.domain();
        let spacing = (hi - lo) / (nodes - 1) as f64;
        let values = (0..nodes)
            .map(|i| problem.initial(lo + i as f64 * spacing))
            .collect();
        Self {
            values,
            lo,
            spacing,
            interpolation,
        }
    }

    fn node(&self, i: usize) -> f64 {
        self.lo + i as f64 * self.spacing
    }

    /// The interpolant at `x` (inside the domain).
    pub fn at(&self, x: f64) -> f64 {
        let n = self.values.len();
        let s = ((x - self.lo) / self.spacing).clamp(0.0, (n - 1) as f64);
        match self.interpolation {
            Interpolation::Linear => {
                let i = (s.floor() as usize).min(n - 2);
                let f = s - i as f64;
                (1.0 - f) * self.values[i] + f * self.values[i + 1]
            }
            Interpolation::Cubic => {
                // The four nodes around s, shifted inwards at the ends.
                let first = (s.floor() as usize).saturating_sub(1).min(n - 4);
                let t = s - first as f64;
                (0..4)
                    .map(|k| {
                        let weight: f64 = (0..4)
                            .filter(|&m| m != k)
                            .map(|m| (t - m as f64) / (k as f64 - m as f64))
                            .product();
                        weight * self.values[first + k]
                    })
                    .sum()
            }
        }
    }

    /// One time step of `problem`.
    pub fn step(&mut self, problem: &Problem) {
        let nodes: Vec<f64> = (0..self.values.len()).map(|i| self.node(i)).collect();
        let mut read = |xs: &[f64]| -> Result<Vec<f64>, std::convert::Infallible> {
            Ok(xs.iter().map(|&x| self.at(x)).collect())
        };
        let transported = match problem.transported(&nodes, &mut read) {
            Ok(values) => values,
            Err(never) => match never {},
        };
        let nu_dt = problem.diffusion();
        self.values = if nu_dt > 0.0 {
            implicit_diffusion(&transported, nu_dt / (self.spacing * self.spacing))
        } else {
            transported
        };
    }
}

/// Solves `u_i − r (u_{i−1} − 2u_i + u_{i+1}) = b_i` inside, `u = 0` at both ends.
pub(super) fn implicit_diffusion(b: &[f64], r: f64) -> Vec<f64> {
    let n = b.len();
    let mut u = vec![0.0; n];
    if n < 3 {
        return u;
    }
    // Forward sweep over the interior rows 1 ..= n − 2: diagonal 1 + 2r, off-diagonals −r.
    let (mut upper, mut rhs) = (vec![0.0; n], vec![0.0; n]);
    for i in 1..n - 1 {
        let (prev_upper, prev_rhs) = if i == 1 {
            (0.0, 0.0)
        } else {
            (upper[i - 1], rhs[i - 1])
        };
        let pivot = 1.0 + 2.0 * r + r * prev_upper;
        upper[i] = -r / pivot;
        rhs[i] = (b[i] + r * prev_rhs) / pivot;
    }
    for i in (1..n - 1).rev() {
        u[i] = rhs[i] - upper[i] * u[i + 1];
    }
    u
}

/// Runs `problem` on the grid; returns it at the final time.
pub fn solve(problem: &Problem, nodes: usize, interpolation: Interpolation) -> Grid {
    let mut grid = Grid::initial(problem, nodes, interpolation);
    for _ in 0..problem.steps() {
        grid.step(problem);
    }
    grid
}
