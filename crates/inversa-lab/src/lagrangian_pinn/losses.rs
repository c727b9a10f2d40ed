//! The two physics-informed losses on unit inputs `(a, b) ∈ [−1, 1]²`, `x = x(a)`, `t = (b + 1)/2`
//! (so `∂/∂x = k ∂/∂a` with `k = 2 / (x_max − x_min)` and `∂/∂t = 2 ∂/∂b`). Every term is a mean
//! square, weighted one.
//!
//! Eulerian (the standard PINN, Raissi et al. 2019): one network `u(x, t)`; the residual of the PDE
//! at interior points, the initial condition, and the boundary condition (periodic for advection,
//! `u(±1, t) = 0` for Burgers).
//!
//! Lagrangian (the paper's LPINN, its two-branch architecture): the characteristic from `ξ`,
//! `X(ξ, t) = ξ + t s N(ξ, t)` (the initial condition `X(ξ, 0) = ξ` built in, `s` the largest
//! characteristic speed), and the state on it `U(ξ, t)`. Residuals `(∂X/∂t − v)/s` with `v = c`
//! (advection) or `v = U` (Burgers), and `∂U/∂t − ν U_XX`, where the Eulerian second derivative
//! comes from the chain rule, `U_X = U_ξ / X_ξ`, `U_XX = (U_ξξ X_ξ − U_ξ X_ξξ) / X_ξ³`; the initial
//! condition on `U`; and the boundary condition on the labels (periodic for advection; `U = 0`
//! and `X = ±1` at `ξ = ±1` for Burgers).

use super::problem::Problem;
use crate::pde::mlp::{Jet, Mlp};
use candle_core::{Result, Tensor};

/// The collocation points, `[n, 2]` unit coordinates, with the initial values.
pub struct Points {
    pub interior: Tensor,
    pub initial: Tensor,
    /// `u₀` at `initial`'s points, `[n, 1]`.
    pub initial_values: Tensor,
    /// `a = −1` and `a = +1` at the same times.
    pub left: Tensor,
    pub right: Tensor,
}

fn mean_square(t: &Tensor) -> Result<Tensor> {
    t.sqr()?.mean_all()
}

/// The standard PINN's loss.
pub fn eulerian(net: &Mlp, problem: &Problem, points: &Points) -> Result<Tensor> {
    let k = problem.unit_per_x();
    let Jet { value, da, daa, db } = net.jet(&points.interior)?;
    let (u_t, u_x) = (db.affine(2.0, 0.0)?, da.affine(k, 0.0)?);
    let residual = match *problem {
        Problem::Advection { speed } => (u_t + u_x.affine(speed, 0.0)?)?,
        Problem::Burgers { viscosity } => {
            ((u_t + (&value * &u_x)?)? - daa.affine(k * k * viscosity, 0.0)?)?
        }
    };
    let initial = (net.jet(&points.initial)?.value - &points.initial_values)?;
    let (left, right) = (net.jet(&points.left)?.value, net.jet(&points.right)?.value);
    let boundary = match problem {
        Problem::Advection { .. } => mean_square(&(left - right)?)?,
        Problem::Burgers { .. } => (mean_square(&left)? + mean_square(&right)?)?,
    };
    mean_square(&residual)? + mean_square(&initial)? + boundary
}

/// The Lagrangian pair: the state branch and the characteristic branch.
pub struct Pair {
    pub state: Mlp,
    pub characteristic: Mlp,
}

/// `X`, `X_t`, `X_ξ`, `X_ξξ` of the characteristic branch at `points` (unit coordinates).
pub struct Characteristic {
    pub x: Tensor,
    pub x_t: Tensor,
    pub x_xi: Tensor,
    pub x_xixi: Tensor,
}

impl Pair {
    pub fn characteristic(&self, problem: &Problem, points: &Tensor) -> Result<Characteristic> {
        let (lo, hi) = problem.domain();
        let (k, s) = (problem.unit_per_x(), problem.speed_scale());
        let n = self.characteristic.jet(points)?;
        let a = points.narrow(1, 0, 1)?;
        let t = points.narrow(1, 1, 1)?.affine(0.5, 0.5)?;
        let xi = a.affine(0.5 * (hi - lo), 0.5 * (hi + lo))?;
        let ts = t.affine(s, 0.0)?;
        Ok(Characteristic {
            x: (xi + (&ts * &n.value)?)?,
            // ∂/∂t (t s N) = s N + t s ∂N/∂t, with ∂N/∂t = 2 ∂N/∂b.
            x_t: (n.value.affine(s, 0.0)? + (&ts * n.db.affine(2.0, 0.0)?)?)?,
            x_xi: (&ts * n.da.affine(k, 0.0)?)?.affine(1.0, 1.0)?,
            x_xixi: (&ts * n.daa.affine(k * k, 0.0)?)?,
        })
    }
}

/// The LPINN's loss.
pub fn lagrangian(pair: &Pair, problem: &Problem, points: &Points) -> Result<Tensor> {
    let k = problem.unit_per_x();
    let s = problem.speed_scale();
    let u = pair.state.jet(&points.interior)?;
    let c = pair.characteristic(problem, &points.interior)?;
    let u_t = u.db.affine(2.0, 0.0)?;
    let (transport, diffusion) = match *problem {
        Problem::Advection { speed } => (c.x_t.affine(1.0 / s, -speed / s)?, u_t),
        Problem::Burgers { viscosity } => {
            let (u_xi, u_xixi) = (u.da.affine(k, 0.0)?, u.daa.affine(k * k, 0.0)?);
            let u_xx =
                ((u_xixi * &c.x_xi)? - (u_xi * &c.x_xixi)?)?.div(&(c.x_xi.sqr()? * &c.x_xi)?)?;
            (
                ((&c.x_t - &u.value)? / s)?,
                (u_t - u_xx.affine(viscosity, 0.0)?)?,
            )
        }
    };
    let initial = (pair.state.jet(&points.initial)?.value - &points.initial_values)?;
    let (left, right) = (
        pair.state.jet(&points.left)?.value,
        pair.state.jet(&points.right)?.value,
    );
    let boundary = match problem {
        Problem::Advection { .. } => mean_square(&(left - right)?)?,
        Problem::Burgers { .. } => {
            // The end labels stay put: X(±1, t) = ±1, i.e. N = 0 there.
            let ends = (mean_square(&pair.characteristic.jet(&points.left)?.value)?
                + mean_square(&pair.characteristic.jet(&points.right)?.value)?)?;
            ((mean_square(&left)? + mean_square(&right)?)? + ends)?
        }
    };
    mean_square(&transport)? + mean_square(&diffusion)? + mean_square(&initial)? + boundary
}
