//! Restarted GMRES(m) with right preconditioning (Saad & Schultz, "GMRES: a generalized minimal
//! residual algorithm for solving nonsymmetric linear systems", SIAM J. Sci. Stat. Comput. 7,
//! 1986; Saad, "Iterative Methods for Sparse Linear Systems", 2003, Algorithm 9.5).
//!
//! Each cycle starts from the true residual `r = b − A x`, runs up to `m` Arnoldi steps on
//! `A M⁻¹` from `v₁ = r/‖r‖` ([`super::arnoldi`]), and updates `x ← x + M⁻¹ V_j y` with
//! `y = argmin ‖‖r‖ e₁ − H̄_j y‖`. It stops when the *true* relative residual `‖b − A x‖/‖b‖`
//! (recomputed at every restart, so the answer never rests on the recurrence alone) is at most the
//! tolerance, or when `max_iterations` Arnoldi steps have run.

use super::arnoldi::{cycle, CycleSettings};
use super::dense::{axpy, combine, norm};
use super::preconditioner::Preconditioner;
use super::{check_system, report, restart_residual, SolveInfo};
use crate::error::Result;
use crate::operators::LinearOperator;
use crate::solvers::Observer;

/// GMRES(m) settings.
#[derive(Clone, Debug, PartialEq)]
pub struct Gmres {
    /// `m`, Arnoldi steps per cycle.
    pub restart: usize,
    /// Target for `‖b − A x‖ / ‖b‖`.
    pub tolerance: f64,
    /// Cap on Arnoldi steps (matrix–vector products inside cycles) over all cycles.
    pub max_iterations: usize,
    /// A second Gram–Schmidt pass in every Arnoldi step.
    pub reorthogonalize: bool,
}

impl Default for Gmres {
    fn default() -> Self {
        Self {
            restart: 30,
            tolerance: 1e-8,
            max_iterations: 10_000,
            reorthogonalize: false,
        }
    }
}

impl Gmres {
    /// Solves `A x = b` from the starting point in `x`.
    ///
    /// ```
    /// use inversa::krylov::{gmres::Gmres, preconditioner::Identity, sparse::CsrMatrix};
    /// use inversa::solvers::Silent;
    /// let a = CsrMatrix::from_triplets(2, 2, &[(0, 0, 2.0), (0, 1, 1.0), (1, 0, -1.0), (1, 1, 3.0)])?;
    /// let mut x = vec![0.0; 2];
    /// let info = Gmres::default().solve(&a, &[3.0, 2.0], &mut x, &Identity, &mut Silent)?;
    /// assert!(info.converged && info.iterations == 2);
    /// assert!((x[0] - 1.0).abs() < 1e-12 && (x[1] - 1.0).abs() < 1e-12);
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
        check_system(a, b, x, self.restart, self.tolerance)?;
        let b_norm = norm(b);
        let target = self.tolerance * b_norm;
        let mut info = SolveInfo::default();
        loop {
            let next = restart_residual(a, b, x, self.tolerance, self.max_iterations, &mut info);
            if info.iterations > 0 && report(observer, &info, x, info.relative_residual) {
                return Ok(info);
            }
            let Some((r, beta)) = next else {
                return Ok(info);
            };
            let settings = CycleSettings {
                matrix: a,
                preconditioner,
                deflate: &[],
                max_steps: self.restart.min(self.max_iterations - info.iterations),
                target,
                reorthogonalize: self.reorthogonalize,
            };
            let result = cycle(&settings, &r, beta);
            info.iterations += result.y.len();
            info.matvecs += result.y.len();
            let step = combine(&result.basis, &result.y, x.len());
            axpy(1.0, &preconditioner.apply_new(&step), x);
        }
    }
}
