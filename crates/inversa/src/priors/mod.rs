//! Priors `R(x)`: what we believe about the unknown, given by a value and a proximal map
//! `prox_{τR}(v) = argmin_z ½‖z − v‖² + τ R(z)`, and — for primal-dual solvers — as `R(x) = g(Kx)` with
//! a linear `K` and the prox of the convex conjugate `g*`.

use crate::operators::LinearOperator;
use crate::real::Real;

pub mod cycle_spinning;
pub mod none;
pub mod registry;
pub mod tikhonov;
pub mod tv;
pub mod wavelet;

/// A regulariser with its proximal map.
pub trait Prior<T: Real>: Send + Sync {
    /// `R(x)`.
    fn value(&self, x: &[T]) -> f64;

    /// Writes `prox_{τR}(v)` into `out`.
    fn prox(&self, v: &[T], tau: T, out: &mut [T]);

    /// `Some(w)` when `R(x) = (w/2)‖x‖²`, so linear solvers such as CG can fold it into the normal
    /// equations.
    fn quadratic_weight(&self) -> Option<f64> {
        None
    }

    /// The analysis operator `K` when `R(x) = g(Kx)` and [`Prior::conjugate_prox`] is available.
    fn analysis(&self) -> Option<&dyn LinearOperator<T>> {
        None
    }

    /// In place `p ← prox_{σ g*}(p)` for the `g` of [`Prior::analysis`]. Only called when `analysis`
    /// returns `Some`.
    fn conjugate_prox(&self, _p: &mut [T], _sigma: T) {}
}
