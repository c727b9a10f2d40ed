//! Deflated (preconditioned) conjugate gradients for sequences of SPD systems (Saad, Yeung,
//! Erhel & Guyomarc'h, "A deflated version of the conjugate gradient algorithm", SIAM J. Sci.
//! Comput. 21(5), 2000, Algorithm 2.1 with a preconditioner as in their §3).
//!
//! With a deflation space `W` (`n × k`) and `E = WᵀAW`: start from `x ← x + W E⁻¹ Wᵀ r` so that
//! `Wᵀ r = 0`, and keep every search direction `A`-conjugate to `W`:
//!
//! `z = M⁻¹ r, μ = E⁻¹ (AW)ᵀ z, p = z − W μ` (first), then `α = ⟨r, z⟩/⟨p, Ap⟩`, `x ← x + αp`,
//! `r ← r − αAp`, `β = ⟨r⁺, z⁺⟩/⟨r, z⟩`, `p ← β p + z⁺ − W E⁻¹ (AW)ᵀ z⁺`.
//!
//! The deflation space for the next system comes, as in Saad et al. §5, from a Rayleigh–Ritz
//! step on `Z = [W, p₀ … p_{s−1}]` (the current space plus the first `s` search directions):
//! the `k` Ritz vectors of `ZᵀAZ y = θ ZᵀZ y` with the smallest `θ` (Ritz vectors of `A` itself,
//! also when a preconditioner is used). `AW` is recomputed for each new matrix (`k` products).
//! Convergence is confirmed on the true residual, as in [`super::cg`].

use super::cg::{next_direction, step};
use super::dense::{axpy, cholesky, congruence, dot, norm, orthonormalize, solve_transposed_lower};
use super::preconditioner::Preconditioner;
use super::{check_system, finish, report, residual, SolveInfo};
use crate::error::Result;
use crate::operators::LinearOperator;
use crate::solvers::Observer;
use faer::linalg::solvers::{Llt, Solve};
use faer::{ColMut, Mat, Side};

/// Deflated CG settings.
#[derive(Clone, Debug, PartialEq)]
pub struct DeflatedCg {
    /// `k`: dimension of the deflation space carried to the next system.
    pub recycle: usize,
    /// `s`: search directions of each solve kept for the Rayleigh–Ritz update.
    pub directions: usize,
    /// Target for `‖b − A x‖ / ‖b‖`.
    pub tolerance: f64,
    /// Cap on CG steps.
    pub max_iterations: usize,
}

impl Default for DeflatedCg {
    fn default() -> Self {
        Self {
            recycle: 10,
            directions: 20,
            tolerance: 1e-8,
            max_iterations: 10_000,
        }
    }
}

/// The deflation space `W` carried from one solve to the next.
#[derive(Clone, Debug, Default)]
pub struct DeflationSpace {
    w: Vec<Vec<f64>>,
}

impl DeflationSpace {
    /// An empty space: the next solve is plain PCG.
    pub fn new() -> Self {
        Self::default()
    }

    /// The current basis of `W` (orthonormal columns).
    pub fn basis(&self) -> &[Vec<f64>] {
        &self.w
    }
}

/// One system `A x = b` with its preconditioner and deflation.
#[derive(Clone, Copy)]
struct System<'a> {
    a: &'a dyn LinearOperator<f64>,
    b: &'a [f64],
    preconditioner: &'a dyn Preconditioner,
    deflation: Option<&'a Deflation<'a>>,
}

/// `W`, `AW` and the Cholesky factorisation of `E = WᵀAW` for the current matrix.
struct Deflation<'a> {
    w: &'a [Vec<f64>],
    aw: Vec<Vec<f64>>,
    e: Llt<f64>,
}

impl Deflation<'_> {
    /// `E⁻¹ Bᵀ v` for the basis `B` (`W` or `AW`).
    fn solve(&self, basis: &[Vec<f64>], v: &[f64]) -> Vec<f64> {
        let mut rhs: Vec<f64> = basis.iter().map(|c| dot(c, v)).collect();
        self.e.solve_in_place(ColMut::from_slice_mut(&mut rhs));
        rhs
    }

    /// `v ← v − W c`.
    fn subtract(&self, c: &[f64], v: &mut [f64]) {
        self.w.iter().zip(c).for_each(|(w, ci)| axpy(-ci, w, v));
    }
}

impl DeflatedCg {
    /// Solves `A x = b` from the starting point in `x`, deflating with `space` and then updating it.
    pub fn solve(
        &self,
        a: &dyn LinearOperator<f64>,
        b: &[f64],
        x: &mut [f64],
        preconditioner: &dyn Preconditioner,
        space: &mut DeflationSpace,
        observer: &mut dyn Observer<f64>,
    ) -> Result<SolveInfo> {
        check_system(a, b, x, 1, self.tolerance)?;
        let mut info = SolveInfo::default();
        let aw: Vec<Vec<f64>> = space.w.iter().map(|w| a.apply_new(w)).collect();
        info.matvecs += aw.len();
        let e = Mat::from_fn(aw.len(), aw.len(), |i, j| {
            0.5 * (dot(&space.w[i], &aw[j]) + dot(&space.w[j], &aw[i]))
        });
        let deflation = cholesky(e.as_ref()).map(|e| Deflation { w: &space.w, aw, e });
        let mut kept: Vec<(Vec<f64>, Vec<f64>)> = Vec::new();
        let system = System {
            a,
            b,
            preconditioner,
            deflation: deflation.as_ref(),
        };
        self.iterate(&system, x, &mut info, &mut kept, observer);
        let aw = deflation.map(|d| d.aw).unwrap_or_default();
        let w = if aw.is_empty() {
            Vec::new()
        } else {
            space.w.clone()
        };
        if let Some(next) = self.ritz_update(w, aw, kept) {
            space.w = next;
        }
        Ok(info)
    }

    /// The deflated PCG iteration with restarts from the true residual; keeps `(p, Ap)` pairs.
    fn iterate(
        &self,
        system: &System,
        x: &mut [f64],
        info: &mut SolveInfo,
        kept: &mut Vec<(Vec<f64>, Vec<f64>)>,
        observer: &mut dyn Observer<f64>,
    ) {
        let System {
            a,
            b,
            preconditioner,
            deflation,
        } = *system;
        let target = self.tolerance * norm(b);
        let b_norm = norm(b).max(f64::MIN_POSITIVE);
        let mut q = vec![0.0; x.len()];
        loop {
            let mut r = residual(a, b, x);
            info.matvecs += 1;
            info.relative_residual = norm(&r) / b_norm;
            if norm(&r) <= target {
                info.converged = true;
                return;
            }
            if info.iterations >= self.max_iterations {
                return;
            }
            if let Some(d) = deflation {
                let c = d.solve(d.w, &r);
                d.w.iter().zip(&c).for_each(|(w, ci)| axpy(*ci, w, x));
                d.aw.iter()
                    .zip(&c)
                    .for_each(|(aw, ci)| axpy(-ci, aw, &mut r));
            }
            let mut z = preconditioner.apply_new(&r);
            let mut p = z.clone();
            if let Some(d) = deflation {
                d.subtract(&d.solve(&d.aw, &z), &mut p);
            }
            let mut rz = dot(&r, &z);
            while info.iterations < self.max_iterations {
                let alpha = step(a, &p, &mut q, x, &mut r, rz, info);
                if kept.len() < self.directions {
                    kept.push((p.clone(), q.clone()));
                }
                if report(observer, info, x, norm(&r) / b_norm) {
                    return finish(a, b, x, target, info);
                }
                if norm(&r) <= target || !alpha.is_finite() {
                    break;
                }
                rz = next_direction(preconditioner, &r, &mut z, &mut p, rz);
                if let Some(d) = deflation {
                    d.subtract(&d.solve(&d.aw, &z), &mut p);
                }
            }
        }
    }

    /// The `k` Ritz vectors with the smallest Ritz values on `Z = [W, p₀ … p_{s−1}]`, orthonormalised.
    fn ritz_update(
        &self,
        w: Vec<Vec<f64>>,
        aw: Vec<Vec<f64>>,
        kept: Vec<(Vec<f64>, Vec<f64>)>,
    ) -> Option<Vec<Vec<f64>>> {
        let (mut z, mut az) = (w, aw);
        for (p, ap) in kept {
            z.push(p);
            az.push(ap);
        }
        for (zi, azi) in z.iter_mut().zip(az.iter_mut()) {
            let s = norm(zi);
            if s > 0.0 {
                zi.iter_mut().for_each(|v| *v /= s);
                azi.iter_mut().for_each(|v| *v /= s);
            }
        }
        let m = z.len();
        if m == 0 || self.recycle == 0 {
            return None;
        }
        let stiffness = Mat::from_fn(m, m, |i, j| 0.5 * (dot(&z[i], &az[j]) + dot(&z[j], &az[i])));
        let gram = Mat::from_fn(m, m, |i, j| dot(&z[i], &z[j]));
        // ZᵀAZ = L Lᵀ, y = L⁻ᵀ v: L⁻¹ ZᵀZ L⁻ᵀ v = θ⁻¹ v, so the smallest θ are its largest
        // eigenvalues, the last ones of the symmetric eigendecomposition (ascending order).
        let l = cholesky(stiffness.as_ref())?;
        let pencil = congruence(l.L(), gram.as_ref());
        let eigen = pencil.self_adjoint_eigen(Side::Lower).ok()?;
        let keep = self.recycle.min(m);
        let mut y = eigen.U().get(.., m - keep..).to_owned();
        solve_transposed_lower(l.L(), &mut y);
        let n = z[0].len();
        let mut next: Vec<Vec<f64>> = y
            .col_iter()
            .map(|c| {
                let mut col = vec![0.0; n];
                z.iter()
                    .zip(c.iter())
                    .for_each(|(zi, yi)| axpy(*yi, zi, &mut col));
                col
            })
            .collect();
        let r = orthonormalize(&mut next);
        let keep = (0..next.len()).take_while(|&j| r[(j, j)] != 0.0).count();
        next.truncate(keep);
        Some(next)
    }
}
