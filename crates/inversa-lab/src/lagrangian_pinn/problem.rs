//! The two test problems, their exact solutions and the scaling of their inputs to `[−1, 1]²`.
//!
//! * Advection `u_t + c u_x = 0` on `x ∈ [0, 2π)` (periodic), `t ∈ [0, 1]`, `u₀ = sin x`:
//!   `u = sin(x − ct)`.
//! * Viscous Burgers `u_t + u u_x = ν u_xx` on `x ∈ [−1, 1]`, `u(±1, t) = 0`, `u₀ = −sin πx`:
//!   by Cole–Hopf, `u = −∫ sin π(x − η) f(x − η) G(η) dη / ∫ f(x − η) G(η) dη` with
//!   `f(y) = exp(−cos(πy) / (2πν))` and the heat kernel `G(η) = exp(−η² / (4νt))`, integrated
//!   here by the trapezoid rule on `η ∈ ±10 √(4νt)` with 4001 nodes.

/// One problem.
#[derive(Clone, Copy, Debug)]
pub enum Problem {
    Advection { speed: f64 },
    Burgers { viscosity: f64 },
}

impl Problem {
    /// `(x_min, x_max)`.
    pub fn domain(&self) -> (f64, f64) {
        match self {
            Problem::Advection { .. } => (0.0, 2.0 * std::f64::consts::PI),
            Problem::Burgers { .. } => (-1.0, 1.0),
        }
    }

    pub fn initial(&self, x: f64) -> f64 {
        match self {
            Problem::Advection { .. } => x.sin(),
            Problem::Burgers { .. } => -(std::f64::consts::PI * x).sin(),
        }
    }

    /// The largest characteristic speed, which scales the Lagrangian displacement.
    pub fn speed_scale(&self) -> f64 {
        match self {
            Problem::Advection { speed } => speed.abs().max(1.0),
            Problem::Burgers { .. } => 1.0,
        }
    }

    pub fn exact(&self, x: f64, t: f64) -> f64 {
        match *self {
            Problem::Advection { speed } => (x - speed * t).sin(),
            Problem::Burgers { viscosity } => cole_hopf(x, t, viscosity),
        }
    }

    /// `∂a/∂x`.
    pub fn unit_per_x(&self) -> f64 {
        let (lo, hi) = self.domain();
        2.0 / (hi - lo)
    }
}

/// The Cole–Hopf solution of Burgers with `u₀ = −sin πx` (see the module).
pub fn cole_hopf(x: f64, t: f64, viscosity: f64) -> f64 {
    use std::f64::consts::PI;
    if t <= 0.0 {
        return -(PI * x).sin();
    }
    let width = (4.0 * viscosity * t).sqrt();
    let nodes = 4001;
    let exponent =
        |eta: f64| -(PI * (x - eta)).cos() / (2.0 * PI * viscosity) - eta * eta / (width * width);
    let etas: Vec<f64> = (0..nodes)
        .map(|i| width * (-10.0 + 20.0 * i as f64 / (nodes - 1) as f64))
        .collect();
    // Exponents reach ±1/(2πν); subtracting the largest keeps every term finite.
    let top = etas
        .iter()
        .map(|&e| exponent(e))
        .fold(f64::NEG_INFINITY, f64::max);
    let (mut numerator, mut denominator) = (0.0, 0.0);
    for (i, &eta) in etas.iter().enumerate() {
        let weight = if i == 0 || i == nodes - 1 { 0.5 } else { 1.0 } * (exponent(eta) - top).exp();
        numerator -= weight * (PI * (x - eta)).sin();
        denominator += weight;
    }
    numerator / denominator
}
