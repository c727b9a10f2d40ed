//! Krylov solvers for sparse linear systems `A x = b`, and Krylov subspace recycling for
//! sequences of related systems (Wang et al., "Accelerating Data Generation for Neural Operators
//! via Krylov Subspace Recycling", ICLR 2024: sort the systems by similarity, then solve them in
//! that order with GCRO-DR, carrying `k` harmonic Ritz vectors from one system to the next).
//!
//! - [`sparse`]: CSR matrices; [`preconditioner`]: `M⁻¹` by Jacobi or ILU(0).
//! - [`gmres`]: restarted GMRES(m); [`gcrodr`]: GCRO-DR(m, k) with a [`gcrodr::Recycler`].
//! - [`cg`]: preconditioned CG; [`deflated_cg`]: deflated CG with Ritz vectors of the last solve.
//! - [`problems`]: seeded sequences of PDE systems (Darcy, Poisson, Helmholtz,
//!   convection–diffusion); [`sort`]: nearest-neighbour ordering; [`sequence`]: the driver.
//!
//! Every solver takes `A` as any [`LinearOperator<f64>`] ([`sparse::CsrMatrix`] is one; the
//! preconditioners, which need its entries, come separately), reports its progress to a
//! [`Observer`] — CG and deflated CG after every step, GMRES and GCRO-DR after
//! every restart cycle, when their iterate is formed — and returns a [`SolveInfo`] whose residual is
//! the true `‖b − A x‖/‖b‖`.

pub mod cg;
pub mod deflated_cg;
pub mod dense;
pub mod gcrodr;
pub mod gmres;
pub mod preconditioner;
pub mod problems;
pub mod sequence;
pub mod sort;
pub mod sparse;

mod arnoldi;

use crate::error::{Error, Result};
use crate::operators::LinearOperator;
use crate::solvers::{Control, Iteration, Observer};

/// How one solve ended.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SolveInfo {
    /// Krylov iterations: Arnoldi steps (GMRES, GCRO-DR) or CG steps, one product with `A` each.
    pub iterations: usize,
    /// All products with `A`, including residual recomputations and recycling overhead.
    pub matvecs: usize,
    /// `‖b − A x‖ / ‖b‖`, recomputed from `x` at the end.
    pub relative_residual: f64,
    /// Whether `relative_residual` reached the tolerance within the iteration cap.
    pub converged: bool,
}

/// Checks shapes and settings shared by all solvers.
fn check_system(
    a: &dyn LinearOperator<f64>,
    b: &[f64],
    x: &[f64],
    restart: usize,
    tolerance: f64,
) -> Result<()> {
    let (rows, cols) = (a.output_len(), a.input_len());
    if rows != cols || b.len() != rows || x.len() != cols {
        return Err(Error::Shape(format!(
            "A is {rows}×{cols}, b has {} entries and x has {}; A must be square and match both",
            b.len(),
            x.len()
        )));
    }
    if restart == 0 {
        return Err(Error::config("restart", "must be at least 1"));
    }
    if !(tolerance > 0.0 && tolerance.is_finite()) {
        return Err(Error::config(
            "tol",
            format!("must be positive, got {tolerance}"),
        ));
    }
    Ok(())
}

/// `b − A x`.
fn residual(a: &dyn LinearOperator<f64>, b: &[f64], x: &[f64]) -> Vec<f64> {
    let mut r = a.apply_new(x);
    r.iter_mut().zip(b).for_each(|(ri, bi)| *ri = bi - *ri);
    r
}

/// At the start of a restart cycle: the true residual `b − A x` and its norm, recorded in `info`,
/// or `None` when the solve is over (below `tolerance · ‖b‖`, or out of iterations).
fn restart_residual(
    a: &dyn LinearOperator<f64>,
    b: &[f64],
    x: &[f64],
    tolerance: f64,
    max_iterations: usize,
    info: &mut SolveInfo,
) -> Option<(Vec<f64>, f64)> {
    let r = residual(a, b, x);
    info.matvecs += 1;
    let (beta, b_norm) = (dense::norm(&r), dense::norm(b));
    info.relative_residual = beta / b_norm.max(f64::MIN_POSITIVE);
    if beta <= tolerance * b_norm {
        info.converged = true;
        return None;
    }
    (info.iterations < max_iterations).then_some((r, beta))
}

/// Recomputes the true residual at the end of a CG solve: `relative_residual` and `converged`
/// (`‖b − A x‖ ≤ target`) in `info`.
fn finish(a: &dyn LinearOperator<f64>, b: &[f64], x: &[f64], target: f64, info: &mut SolveInfo) {
    let r = dense::norm(&residual(a, b, x));
    info.matvecs += 1;
    info.relative_residual = r / dense::norm(b).max(f64::MIN_POSITIVE);
    info.converged = r <= target;
}

/// Shows the observer iteration `info.iterations` (iterate `x`, relative residual `residual`);
/// `true` when it asks the solver to stop.
fn report(observer: &mut dyn Observer<f64>, info: &SolveInfo, x: &[f64], residual: f64) -> bool {
    let iteration = Iteration {
        index: info.iterations,
        x,
        objective: f64::NAN,
        relative_change: f64::NAN,
        residual,
    };
    observer.observe(&iteration) == Control::Stop
}
