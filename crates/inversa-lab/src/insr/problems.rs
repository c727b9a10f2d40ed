//! The two problems, their exact solutions, and the time integrator that INSR and the grid solvers
//! share: one semi-Lagrangian step, then (Burgers) implicit Euler for the viscous term.
//!
//! * Advection `u_t + c u_x = 0` on `x ∈ [−2, 2]`, `u₀ = exp(−(x + 1.5)²/(2·0.1²))`, `u = 0`
//!   flowing in at `x = −2` (the INSR paper's 1-D example: `c = 0.25`, the same pulse and domain).
//!   Exact: `u(x, t) = u₀(x − ct)`. The semi-Lagrangian step `u*(x) = uₙ₋₁(x − cΔt)` is exact in time,
//!   so every error is the spatial representation's.
//! * Viscous Burgers `u_t + u u_x = ν u_xx` on `x ∈ [−1, 1]`, `u(±1, t) = 0`, `u₀ = −sin πx`. Exact:
//!   Cole–Hopf ([`crate::lagrangian_pinn`]'s quadrature). The step: the departure point solves
//!   `x_d = x − Δt uₙ₋₁(x_d)` (three fixed-point sweeps from `x_d = x`: inviscid Burgers carries `u`
//!   along straight characteristics), `u*(x) = uₙ₋₁(x_d)`, then `uₙ` minimises the implicit-Euler
//!   energy `∫ ½(u − u*)² + ½ νΔt u_x² dx` with `u(±1) = 0`, whose Euler–Lagrange equation is
//!   `u − νΔt u_xx = u*`. This Lie splitting is first order in Δt, so a fine grid with the same Δt
//!   has an error against the exact solution too: the floor both representations share.

use crate::lagrangian_pinn::problem::cole_hopf;

/// Fixed-point sweeps for Burgers' departure points.
const DEPARTURE_SWEEPS: usize = 3;

/// One problem with its time step.
#[derive(Clone, Copy, Debug)]
pub enum Problem {
    Advection {
        speed: f64,
        dt: f64,
        steps: usize,
    },
    Burgers {
        viscosity: f64,
        dt: f64,
        steps: usize,
    },
}

/// The advection pulse's centre and width, and the domain's half length.
const PULSE_CENTRE: f64 = -1.5;
const PULSE_WIDTH: f64 = 0.1;
const ADVECTION_HALF_LENGTH: f64 = 2.0;

impl Problem {
    pub fn name(&self) -> &'static str {
        match self {
            Problem::Advection { .. } => "advection",
            Problem::Burgers { .. } => "burgers",
        }
    }

    /// `(x_min, x_max)`.
    pub fn domain(&self) -> (f64, f64) {
        match self {
            Problem::Advection { .. } => (-ADVECTION_HALF_LENGTH, ADVECTION_HALF_LENGTH),
            Problem::Burgers { .. } => (-1.0, 1.0),
        }
    }

    pub fn dt(&self) -> f64 {
        match *self {
            Problem::Advection { dt, .. } | Problem::Burgers { dt, .. } => dt,
        }
    }

    pub fn steps(&self) -> usize {
        match *self {
            Problem::Advection { steps, .. } | Problem::Burgers { steps, .. } => steps,
        }
    }

    /// The final time.
    pub fn horizon(&self) -> f64 {
        self.dt() * self.steps() as f64
    }

    /// `νΔt`, the weight of `½ u_x²` in the step's energy (zero for advection).
    pub fn diffusion(&self) -> f64 {
        match *self {
            Problem::Advection { .. } => 0.0,
            Problem::Burgers { viscosity, dt, .. } => viscosity * dt,
        }
    }

    pub fn initial(&self, x: f64) -> f64 {
        self.exact(x, 0.0)
    }

    pub fn exact(&self, x: f64, t: f64) -> f64 {
        match *self {
            Problem::Advection { speed, .. } => {
                let y = x - speed * t - PULSE_CENTRE;
                (-0.5 * y * y / (PULSE_WIDTH * PULSE_WIDTH)).exp()
            }
            Problem::Burgers { viscosity, .. } => cole_hopf(x, t, viscosity),
        }
    }

    /// Physical position of the unit coordinate `a ∈ [−1, 1]`.
    pub fn position(&self, a: f64) -> f64 {
        let (lo, hi) = self.domain();
        lo + 0.5 * (a + 1.0) * (hi - lo)
    }

    /// Unit coordinate of the position `x`.
    pub fn unit(&self, x: f64) -> f64 {
        let (lo, hi) = self.domain();
        2.0 * (x - lo) / (hi - lo) - 1.0
    }

    /// The semi-Lagrangian value `u*(x) = uₙ₋₁(x_d)` at each of `xs`, where `previous` evaluates the
    /// last field at positions inside the domain. Advection: inflow (zero) where `x_d` lies left of
    /// the domain. Burgers: `x_d` solves `x_d = x − Δt uₙ₋₁(x_d)`, kept in the domain.
    pub fn transported<E, F>(&self, xs: &[f64], previous: &mut F) -> Result<Vec<f64>, E>
    where
        F: FnMut(&[f64]) -> Result<Vec<f64>, E>,
    {
        let (lo, hi) = self.domain();
        match *self {
            Problem::Advection { speed, dt, .. } => {
                let departures: Vec<f64> = xs.iter().map(|x| x - speed * dt).collect();
                let inside: Vec<f64> = departures.iter().map(|d| d.clamp(lo, hi)).collect();
                let values = previous(&inside)?;
                Ok(departures
                    .iter()
                    .zip(values)
                    .map(|(d, v)| if (lo..=hi).contains(d) { v } else { 0.0 })
                    .collect())
            }
            Problem::Burgers { dt, .. } => {
                let mut departures = xs.to_vec();
                for _ in 0..DEPARTURE_SWEEPS {
                    let velocity = previous(&departures)?;
                    departures = xs
                        .iter()
                        .zip(velocity)
                        .map(|(x, u)| (x - dt * u).clamp(lo, hi))
                        .collect();
                }
                previous(&departures)
            }
        }
    }
}

/// Relative L2 error of `values` against `truth` (same points).
pub fn relative_error(values: &[f64], truth: &[f64]) -> f64 {
    let (mut error, mut norm) = (0.0, 0.0);
    for (v, t) in values.iter().zip(truth) {
        error += (v - t) * (v - t);
        norm += t * t;
    }
    (error / norm).sqrt()
}
