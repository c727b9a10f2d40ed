//! Preconditioned conjugate gradients for a symmetric positive definite `A` (Hestenes & Stiefel,
//! "Methods of conjugate gradients for solving linear systems", J. Res. NBS 49, 1952; with a
//! preconditioner as in Saad, "Iterative Methods for Sparse Linear Systems", 2003, Algorithm 9.1):
//!
//! `z = M⁻¹ r, α = ⟨r, z⟩/⟨p, Ap⟩, x ← x + αp, r ← r − αAp, β = ⟨r⁺, z⁺⟩/⟨r, z⟩, p ← z⁺ + βp`.
//!
//! The recurrence is the one all CGs share ([`crate::solvers::cg_recurrence`]). When the recurrence
//! residual reaches the tolerance the true residual `b − A x` is recomputed;
//! if it has not, CG restarts from it, so the answer never rests on the recurrence alone.

use super::dense::{dot, norm};
use super::preconditioner::Preconditioner;
use super::{check_system, finish, report, residual, SolveInfo};
use crate::error::Result;
use crate::operators::LinearOperator;
use crate::solvers::{cg_recurrence, Observer};

/// CG settings.
#[derive(Clone, Debug, PartialEq)]
pub struct Cg {
    /// Target for `‖b − A x‖ / ‖b‖`.
    pub tolerance: f64,
    /// Cap on CG steps.
    pub max_iterations: usize,
}

impl Default for Cg {
    fn default() -> Self {
        Self {
            tolerance: 1e-8,
            max_iterations: 10_000,
        }
    }
}

impl Cg {
    /// Solves `A x = b` from the starting point in `x`.
    ///
    /// ```
    /// use inversa::krylov::{cg::Cg, preconditioner::Identity, sparse::CsrMatrix};
    /// use inversa::solvers::Silent;
    /// let a = CsrMatrix::from_triplets(2, 2, &[(0, 0, 4.0), (0, 1, 1.0), (1, 0, 1.0), (1, 1, 3.0)])?;
    /// let mut x = vec![0.0; 2];
    /// let info = Cg::default().solve(&a, &[5.0, 4.0], &mut x, &Identity, &mut Silent)?;
    /// assert!(info.converged && info.iterations <= 2);
    /// assert!((x[0] - 1.0).abs() < 1e-10 && (x[1] - 1.0).abs() < 1e-10);
    /// # Ok::<(), inversa::Error>(())
    /// ```
    pub fn solve(
        &self,
        a: &dyn LinearOperator<f64>,
        b: &[f64],
        x: &mut [f64],
        preconditioner: &dyn Preconditioner,
        observer: &mut dyn Observer<f64>,
    ) -> Result<SolveInfo> {
        check_system(a, b, x, 1, self.tolerance)?;
        let target = self.tolerance * norm(b);
        let b_norm = norm(b).max(f64::MIN_POSITIVE);
        let mut info = SolveInfo::default();
        let mut q = vec![0.0; x.len()];
        'restart: loop {
            let mut r = residual(a, b, x);
            info.matvecs += 1;
            info.relative_residual = norm(&r) / b_norm;
            if norm(&r) <= target {
                info.converged = true;
                return Ok(info);
            }
            let mut z = preconditioner.apply_new(&r);
            let mut p = z.clone();
            let mut rz = dot(&r, &z);
            while info.iterations < self.max_iterations {
                let alpha = step(a, &p, &mut q, x, &mut r, rz, &mut info);
                if report(observer, &info, x, norm(&r) / b_norm) {
                    break;
                }
                if norm(&r) <= target || !alpha.is_finite() {
                    continue 'restart;
                }
                rz = next_direction(preconditioner, &r, &mut z, &mut p, rz);
            }
            finish(a, b, x, target, &mut info);
            return Ok(info);
        }
    }
}

/// One conjugate-gradient step along `p`: `q = A p`, `x += α p`, `r −= α q` with
/// `α = ⟨r, z⟩ / ⟨p, q⟩` (`rz` is ⟨r, z⟩); returns α. Shared with deflated CG, whose directions
/// differ only in how they are kept conjugate.
pub(super) fn step(
    a: &dyn LinearOperator<f64>,
    p: &[f64],
    q: &mut [f64],
    x: &mut [f64],
    r: &mut [f64],
    rz: f64,
    info: &mut SolveInfo,
) -> f64 {
    a.apply(p, q);
    info.iterations += 1;
    info.matvecs += 1;
    cg_recurrence::step(rz, p, q, x, r)
}

/// Preconditions the new residual into `z` and turns `p` into the next search direction
/// `z + β p`, `β = ⟨r, z⟩ / rz`; returns the new ⟨r, z⟩.
pub(super) fn next_direction(
    preconditioner: &dyn Preconditioner,
    r: &[f64],
    z: &mut [f64],
    p: &mut [f64],
    rz: f64,
) -> f64 {
    preconditioner.apply(r, z);
    let rz_next = dot(r, z);
    cg_recurrence::conjugate(rz_next, rz, z, p);
    rz_next
}
