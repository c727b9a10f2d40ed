//! The linear step shared by ADMM and HQS: `x = (A*A + ρI)⁻¹ rhs`. Uses the operator's closed form
//! when it has one (FFT-diagonal blur, pixel masks) and otherwise warm-started conjugate gradients,
//! which converge fast because `ρI` bounds the condition number by `(‖A‖² + ρ)/ρ`.

use crate::operators::LinearOperator;
use crate::real::{dot, lit, norm_squared, Real};

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
    let mut scratch = vec![T::zero(); op.output_len()];
    let mut apply_normal = |v: &[T], out: &mut [T]| {
        op.apply(v, &mut scratch);
        op.adjoint(&scratch, out);
        out.iter_mut()
            .zip(v)
            .for_each(|(o, vi)| *o = *o + rho * *vi);
    };
    let mut r = vec![T::zero(); x.len()];
    apply_normal(x, &mut r);
    r.iter_mut().zip(rhs).for_each(|(ri, bi)| *ri = *bi - *ri);
    let target = 1e-14 * norm_squared(rhs);
    let mut p = r.clone();
    let mut np = vec![T::zero(); x.len()];
    let mut rr = norm_squared(&r);
    for _ in 0..max_iterations {
        if rr <= target || rr == 0.0 {
            break;
        }
        apply_normal(&p, &mut np);
        let alpha = lit::<T>(rr / dot(&p, &np));
        x.iter_mut()
            .zip(&p)
            .for_each(|(xi, pi)| *xi = *xi + alpha * *pi);
        r.iter_mut()
            .zip(&np)
            .for_each(|(ri, npi)| *ri = *ri - alpha * *npi);
        let rr_next = norm_squared(&r);
        let beta = lit::<T>(rr_next / rr);
        p.iter_mut()
            .zip(&r)
            .for_each(|(pi, ri)| *pi = *ri + beta * *pi);
        rr = rr_next;
    }
}
