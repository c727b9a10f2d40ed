//! The regularised normal equations `(A*A + ρI) x = b` and the conjugate-gradient recurrence that
//! solves them (Hestenes & Stiefel, "Methods of conjugate gradients for solving linear systems",
//! J. Res. NBS 1952). The `cg` solver runs the recurrence as its iteration; ADMM and HQS use
//! [`solve_regularized_normal`] for their linear step, which takes the operator's closed form when it
//! has one (FFT-diagonal blur, pixel masks) and warm-started CG otherwise — fast, because `ρI` bounds
//! the condition number by `(‖A‖² + ρ)/ρ`.

use super::cg_recurrence;
use crate::operators::LinearOperator;
use crate::real::{norm_squared, Real};

/// `N = A*A + ρI` applied through a reusable scratch vector of `A`'s output size.
pub(crate) struct NormalOperator<'a, T: Real> {
    op: &'a dyn LinearOperator<T>,
    rho: T,
    scratch: Vec<T>,
}

impl<'a, T: Real> NormalOperator<'a, T> {
    pub fn new(op: &'a dyn LinearOperator<T>, rho: T) -> Self {
        Self {
            op,
            rho,
            scratch: vec![T::zero(); op.output_len()],
        }
    }

    /// `out = (A*A + ρI) v`.
    pub fn apply(&mut self, v: &[T], out: &mut [T]) {
        self.op.apply(v, &mut self.scratch);
        self.op.adjoint(&self.scratch, out);
        let rho = self.rho;
        out.iter_mut()
            .zip(v)
            .for_each(|(o, vi)| *o = *o + rho * *vi);
    }
}

/// State of the CG recurrence ([`cg_recurrence`], unpreconditioned: `z = r`) for `N x = b`:
/// `α = ‖r‖²/⟨p, Np⟩, x ← x + αp, r ← r − αNp, β = ‖r⁺‖²/‖r‖², p ← r + βp`.
pub(crate) struct CgRecurrence<T: Real> {
    /// Residual `b − N x`.
    pub residual: Vec<T>,
    direction: Vec<T>,
    n_direction: Vec<T>,
    /// `‖r‖²`.
    pub residual_norm2: f64,
}

impl<T: Real> CgRecurrence<T> {
    /// Starts from `x` with `r = p = b − N x`.
    pub fn new(normal: &mut NormalOperator<T>, b: &[T], x: &[T]) -> Self {
        let mut residual = vec![T::zero(); x.len()];
        normal.apply(x, &mut residual);
        residual.iter_mut().zip(b).for_each(|(r, bi)| *r = *bi - *r);
        Self {
            direction: residual.clone(),
            n_direction: vec![T::zero(); x.len()],
            residual_norm2: norm_squared(&residual),
            residual,
        }
    }

    /// One CG step on `x`; does nothing once the residual is exactly zero.
    pub fn step(&mut self, normal: &mut NormalOperator<T>, x: &mut [T]) {
        if self.residual_norm2 == 0.0 {
            return;
        }
        normal.apply(&self.direction, &mut self.n_direction);
        let (p, np) = (&self.direction, &self.n_direction);
        cg_recurrence::step(self.residual_norm2, p, np, x, &mut self.residual);
        let next = norm_squared(&self.residual);
        cg_recurrence::conjugate(
            next,
            self.residual_norm2,
            &self.residual,
            &mut self.direction,
        );
        self.residual_norm2 = next;
    }
}

/// Solves `(A*A + ρI) x = rhs`, starting CG from the `x` passed in when no closed form exists.
/// Stops CG after `max_iterations` or at relative residual `1e-7`.
pub fn solve_regularized_normal<T: Real>(
    op: &dyn LinearOperator<T>,
    rhs: &[T],
    rho: T,
    x: &mut [T],
    max_iterations: usize,
) {
    if op.solve_regularized_normal(rhs, rho, x) {
        return;
    }
    cg_regularized_normal(op, rhs, rho, x, max_iterations);
}

/// At most `max_iterations` CG steps on `(A*A + ρI) x = rhs` from the `x` passed in, never the
/// closed form: for methods whose definition is "a few CG steps" (DDS), where zero steps must leave
/// `x` as it was. Stops early at relative residual `1e-7`.
pub fn cg_regularized_normal<T: Real>(
    op: &dyn LinearOperator<T>,
    rhs: &[T],
    rho: T,
    x: &mut [T],
    max_iterations: usize,
) {
    let mut normal = NormalOperator::new(op, rho);
    let mut cg = CgRecurrence::new(&mut normal, rhs, x);
    let target = 1e-14 * norm_squared(rhs);
    for _ in 0..max_iterations {
        if cg.residual_norm2 <= target {
            break;
        }
        cg.step(&mut normal, x);
    }
}
