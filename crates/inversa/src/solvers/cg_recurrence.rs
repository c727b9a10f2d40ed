//! The conjugate-gradient recurrence that every CG of the workspace runs: the imaging CG on the
//! normal equations ([`super::cg`], [`super::normal_solve`]), the Krylov (deflated) PCG
//! ([`crate::krylov::cg`], [`crate::krylov::deflated_cg`]) and the deep conjugate direction method
//! of `inversa-learn`, which takes [`step`] along its learned directions. Hestenes & Stiefel,
//! "Methods of conjugate gradients for solving linear systems", J. Res. NBS 49, 1952, (3:1a–f),
//! with a preconditioner as in Saad, "Iterative Methods for Sparse Linear Systems", 2003,
//! Algorithm 9.1:
//!
//! `α = ⟨r, z⟩/⟨p, q⟩, x ← x + αp, r ← r − αq` ([`step`], `q = N p`), then
//! `β = ⟨r⁺, z⁺⟩/⟨r, z⟩, p ← z⁺ + βp` ([`conjugate`]), where `z = M⁻¹ r` (`z = r` unpreconditioned).
//!
//! Inner products are accumulated in `f64` whatever the element type; the vector updates run in it.

use crate::real::{dot, lit, Real};

/// Moves `x` and the residual `r` along the direction `p`, with `q = N p` and `rz = ⟨r, z⟩`:
/// `α = rz/⟨p, q⟩`, `x ← x + αp`, `r ← r − αq`. Returns `α` (not finite when `⟨p, q⟩ = 0`).
///
/// ```
/// // N = diag(2, 4), x = 0, r = b = (2, 4), p = r: α = 20/72, so x = (5/9, 10/9).
/// let (p, q) = ([2.0, 4.0], [4.0, 16.0]);
/// let (mut x, mut r) = (vec![0.0f64; 2], vec![2.0, 4.0]);
/// let alpha = inversa::solvers::cg_recurrence::step(20.0, &p, &q, &mut x, &mut r);
/// assert!((alpha - 20.0 / 72.0).abs() < 1e-15 && (x[1] - 10.0 / 9.0).abs() < 1e-15);
/// ```
pub fn step<T: Real>(rz: f64, p: &[T], q: &[T], x: &mut [T], r: &mut [T]) -> f64 {
    let alpha = rz / dot(p, q);
    let a = lit::<T>(alpha);
    x.iter_mut().zip(p).for_each(|(xi, pi)| *xi = *xi + a * *pi);
    r.iter_mut().zip(q).for_each(|(ri, qi)| *ri = *ri - a * *qi);
    alpha
}

/// The next search direction `p ← z + βp` with `β = rz_next / rz` (`rz_next = ⟨r⁺, z⁺⟩`).
///
/// ```
/// let mut p = [1.0f64, 0.0];
/// inversa::solvers::cg_recurrence::conjugate(1.0, 4.0, &[0.0, 2.0], &mut p);
/// assert_eq!(p, [0.25, 2.0]);
/// ```
pub fn conjugate<T: Real>(rz_next: f64, rz: f64, z: &[T], p: &mut [T]) {
    let beta = lit::<T>(rz_next / rz);
    p.iter_mut()
        .zip(z)
        .for_each(|(pi, zi)| *pi = *zi + beta * *pi);
}
