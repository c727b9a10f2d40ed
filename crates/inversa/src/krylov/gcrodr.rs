//! GCRO-DR(m, k): GMRES with deflated restarting and Krylov subspace recycling across a sequence
//! of systems `A⁽ⁱ⁾ x⁽ⁱ⁾ = b⁽ⁱ⁾` (Parks, de Sturler, Mackey, Johnson & Maiti, "Recycling Krylov
//! subspaces for sequences of linear systems", SIAM J. Sci. Comput. 28(5), 2006, Algorithm 2).
//!
//! It keeps `U, C` (`n × k`) with `Â U = C`, `CᵀC = I`, where `Â = A M⁻¹` (right preconditioning;
//! `x = M⁻¹ x̂`). On a new matrix: `[Q, R] = qr(Â U)`, `C ← Q`, `U ← U R⁻¹`, then
//! `x ← x + M⁻¹ U Cᵀ r`. Each cycle runs `m − k` steps of Arnoldi on `(I − C Cᵀ) Â` from the part of
//! `r` orthogonal to `C`, giving `Â Ŵ = W̄ Ḡ` with `Ŵ = [U D, V]`, `W̄ = [C, V₊]`,
//! `Ḡ = [[D, B], [0, H̄]]`, `D = diag(1/‖uᵢ‖)`, and minimises `‖W̄ᵀ r − Ḡ y‖`. Because `D` is
//! square and invertible the `U` block of `y` just cancels `Cᵀ r`, so `y` on `V` is the usual
//! GMRES solution of `min ‖β e₁ − H̄ y‖` and `x ← x + M⁻¹ (U (Cᵀr − B y_V) + V y_V)`.
//! The new `U, C` come from the `k` harmonic Ritz vectors of the cycle — the pencil
//! `ḠᵀḠ z = θ Ḡᵀ W̄ᵀ Ŵ z`, smallest `|θ|` (eq. 2.8; [`super::dense::harmonic_ritz`]):
//! `Ỹ = Ŵ P`, `[Q, R] = qr(Ḡ P)`, `C ← W̄ Q`, `U ← Ỹ R⁻¹`. With no `U` yet (the very first
//! system) the first cycle is plain GMRES(m) and the pencil is `H̄ᵀH̄ z = θ H_mᵀ z`.
//! Convergence is checked on the true residual `‖b − A x‖/‖b‖`, recomputed at every restart.

use super::arnoldi::{cycle, Cycle, CycleSettings};
use super::dense::{axpy, combine, dot, harmonic_ritz, norm, orthonormalize, thin_qr};
use super::preconditioner::Preconditioner;
use super::{check_system, report, residual, restart_residual, SolveInfo};
use crate::error::{Error, Result};
use crate::operators::LinearOperator;
use crate::solvers::Observer;
use faer::{ColRef, Mat, MatRef};

/// GCRO-DR(m, k) settings.
#[derive(Clone, Debug, PartialEq)]
pub struct GcroDr {
    /// `m`: the cycle length (`k` recycled vectors plus `m − k` Arnoldi steps).
    pub restart: usize,
    /// `k`: dimension of the recycled subspace.
    pub recycle: usize,
    /// Target for `‖b − A x‖ / ‖b‖`.
    pub tolerance: f64,
    /// Cap on Arnoldi steps over all cycles of one solve.
    pub max_iterations: usize,
    /// A second Gram–Schmidt pass in every Arnoldi step.
    pub reorthogonalize: bool,
}

impl Default for GcroDr {
    fn default() -> Self {
        Self {
            restart: 30,
            recycle: 10,
            tolerance: 1e-8,
            max_iterations: 10_000,
            reorthogonalize: false,
        }
    }
}

/// The recycled subspace `U, C` that persists from one solve to the next.
#[derive(Clone, Debug, Default)]
pub struct Recycler {
    u: Vec<Vec<f64>>,
    c: Vec<Vec<f64>>,
}

impl Recycler {
    /// An empty recycler: the next solve starts with a plain GMRES cycle.
    pub fn new() -> Self {
        Self::default()
    }

    /// `(U, C)` with `A M⁻¹ U = C`, `CᵀC = I` for the matrix of the last solve.
    pub fn subspace(&self) -> (&[Vec<f64>], &[Vec<f64>]) {
        (&self.u, &self.c)
    }

    /// `k`, the current number of recycled vectors.
    pub fn dimension(&self) -> usize {
        self.u.len()
    }

    /// `C ← qr(Â U)`, `U ← U R⁻¹` for a new matrix (Algorithm 2, step 2); returns the products used.
    fn refresh(
        &mut self,
        a: &dyn LinearOperator<f64>,
        preconditioner: &dyn Preconditioner,
    ) -> usize {
        let mut c: Vec<Vec<f64>> = self
            .u
            .iter()
            .map(|u| a.apply_new(&preconditioner.apply_new(u)))
            .collect();
        let products = c.len();
        let r = orthonormalize(&mut c);
        self.u = right_divide(&self.u, &r);
        c.truncate(self.u.len());
        self.c = c;
        products
    }
}

/// `Y R⁻¹` for upper-triangular `R`, keeping the columns before the first zero pivot.
fn right_divide(y: &[Vec<f64>], r: &Mat<f64>) -> Vec<Vec<f64>> {
    let mut out: Vec<Vec<f64>> = Vec::with_capacity(y.len());
    for (j, yj) in y.iter().enumerate() {
        if r[(j, j)] == 0.0 {
            break;
        }
        let mut col = yj.clone();
        for (i, prev) in out.iter().enumerate() {
            axpy(-r[(i, j)], prev, &mut col);
        }
        col.iter_mut().for_each(|v| *v /= r[(j, j)]);
        out.push(col);
    }
    out
}

impl GcroDr {
    /// Solves `A x = b` from the starting point in `x`, reusing and then updating `recycler`.
    pub fn solve(
        &self,
        a: &dyn LinearOperator<f64>,
        b: &[f64],
        x: &mut [f64],
        preconditioner: &dyn Preconditioner,
        recycler: &mut Recycler,
        observer: &mut dyn Observer<f64>,
    ) -> Result<SolveInfo> {
        check_system(a, b, x, self.restart, self.tolerance)?;
        if self.recycle == 0 || self.recycle >= self.restart {
            return Err(Error::config(
                "recycle",
                format!(
                    "GCRO-DR needs 1 ≤ k < m, got k = {} and m = {}",
                    self.recycle, self.restart
                ),
            ));
        }
        let b_norm = norm(b);
        let target = self.tolerance * b_norm;
        let mut info = SolveInfo::default();
        if recycler.dimension() > 0 {
            info.matvecs += recycler.refresh(a, preconditioner) + 1;
            let r = residual(a, b, x);
            let coefficients: Vec<f64> = recycler.c.iter().map(|c| dot(c, &r)).collect();
            let step = combine(&recycler.u, &coefficients, x.len());
            axpy(1.0, &preconditioner.apply_new(&step), x);
        }
        loop {
            let next = restart_residual(a, b, x, self.tolerance, self.max_iterations, &mut info);
            if info.iterations > 0 && report(observer, &info, x, info.relative_residual) {
                return Ok(info);
            }
            let Some((r, beta)) = next else {
                return Ok(info);
            };
            let remaining = self.max_iterations - info.iterations;
            let steps = if recycler.dimension() == 0 {
                self.first_cycle(a, preconditioner, recycler, &r, beta, target, remaining, x)
            } else {
                self.deflated_cycle(a, preconditioner, recycler, &r, target, remaining, x)
            };
            info.iterations += steps;
            info.matvecs += steps;
        }
    }

    /// A plain GMRES(m) cycle, then `U, C` from its harmonic Ritz vectors; returns the steps run.
    #[allow(clippy::too_many_arguments)]
    fn first_cycle(
        &self,
        a: &dyn LinearOperator<f64>,
        preconditioner: &dyn Preconditioner,
        recycler: &mut Recycler,
        r: &[f64],
        beta: f64,
        target: f64,
        remaining: usize,
        x: &mut [f64],
    ) -> usize {
        let settings = self.settings(a, preconditioner, &[], self.restart.min(remaining), target);
        let run = cycle(&settings, r, beta);
        let j = run.y.len();
        let step = combine(&run.basis, &run.y, x.len());
        axpy(1.0, &preconditioner.apply_new(&step), x);
        let h = &run.hessenberg;
        let s = h.get(..j, ..).transpose(); // S = H̄ᵀ [I; 0] = H_jᵀ
        if let Some(p) = harmonic_ritz(h.as_ref(), s, self.recycle.min(j)) {
            let y_tilde = project(&run.basis[..j], p.as_ref(), x.len());
            let (q, rr) = thin_qr((h * &p).as_ref());
            recycler.u = right_divide(&y_tilde, &rr);
            recycler.c = project(&run.basis, q.as_ref(), x.len());
            recycler.c.truncate(recycler.u.len());
        }
        j
    }

    /// A cycle of deflated Arnoldi against `C`, then the harmonic Ritz update of `U, C`.
    #[allow(clippy::too_many_arguments)]
    fn deflated_cycle(
        &self,
        a: &dyn LinearOperator<f64>,
        preconditioner: &dyn Preconditioner,
        recycler: &mut Recycler,
        r: &[f64],
        target: f64,
        remaining: usize,
        x: &mut [f64],
    ) -> usize {
        let n = x.len();
        let k = recycler.dimension();
        let coefficients: Vec<f64> = recycler.c.iter().map(|c| dot(c, r)).collect();
        let mut rest = r.to_vec();
        for (c, h) in recycler.c.iter().zip(&coefficients) {
            axpy(-h, c, &mut rest);
        }
        let beta = norm(&rest);
        if beta == 0.0 {
            let step = combine(&recycler.u, &coefficients, n);
            axpy(1.0, &preconditioner.apply_new(&step), x);
            return 0;
        }
        let max_steps = (self.restart - k).min(remaining);
        let settings = self.settings(a, preconditioner, &recycler.c, max_steps, target);
        let run = cycle(&settings, &rest, beta);
        let j = run.y.len();
        let b_y = &run.projections * ColRef::from_slice(&run.y);
        let on_u: Vec<f64> = (0..k).map(|i| coefficients[i] - b_y[i]).collect();
        let mut step = combine(&recycler.u, &on_u, n);
        axpy(1.0, &combine(&run.basis, &run.y, n), &mut step);
        axpy(1.0, &preconditioner.apply_new(&step), x);
        self.update_subspace(recycler, &run);
        j
    }

    /// `Ỹ = Ŵ P`, `[Q, R] = qr(Ḡ P)`, `C ← W̄ Q`, `U ← Ỹ R⁻¹` after a deflated cycle.
    fn update_subspace(&self, recycler: &mut Recycler, run: &Cycle) {
        let (k, j, n) = (recycler.dimension(), run.y.len(), recycler.u[0].len());
        let scales: Vec<f64> = recycler.u.iter().map(|u| 1.0 / norm(u)).collect();
        let u_scaled: Vec<Vec<f64>> = recycler
            .u
            .iter()
            .zip(&scales)
            .map(|(u, d)| u.iter().map(|v| v * d).collect())
            .collect();
        let mut g = Mat::zeros(k + j + 1, k + j);
        let mut overlap = Mat::zeros(k + j + 1, k + j); // W̄ᵀ Ŵ
        for (i, d) in scales.iter().enumerate() {
            g[(i, i)] = *d;
        }
        for q in 0..j {
            for i in 0..k {
                g[(i, k + q)] = run.projections[(i, q)];
            }
            for i in 0..=j {
                g[(k + i, k + q)] = run.hessenberg[(i, q)];
            }
            overlap[(k + q, k + q)] = 1.0;
        }
        let w_bar: Vec<&Vec<f64>> = recycler.c.iter().chain(&run.basis).collect();
        for (p, w) in w_bar.iter().enumerate() {
            for (q, u) in u_scaled.iter().enumerate() {
                overlap[(p, q)] = dot(w, u);
            }
        }
        let s = g.transpose() * &overlap;
        let Some(p) = harmonic_ritz(g.as_ref(), s.as_ref(), k) else {
            return;
        };
        let w_hat: Vec<Vec<f64>> = u_scaled
            .into_iter()
            .chain(run.basis[..j].iter().cloned())
            .collect();
        let y_tilde = project(&w_hat, p.as_ref(), n);
        let (q, rr) = thin_qr((&g * &p).as_ref());
        let w_bar: Vec<Vec<f64>> = w_bar.into_iter().cloned().collect();
        let u = right_divide(&y_tilde, &rr);
        if u.is_empty() {
            return;
        }
        recycler.c = project(&w_bar, q.as_ref(), n);
        recycler.c.truncate(u.len());
        recycler.u = u;
    }

    fn settings<'a>(
        &self,
        a: &'a dyn LinearOperator<f64>,
        preconditioner: &'a dyn Preconditioner,
        deflate: &'a [Vec<f64>],
        max_steps: usize,
        target: f64,
    ) -> CycleSettings<'a> {
        CycleSettings {
            matrix: a,
            preconditioner,
            deflate,
            max_steps,
            target,
            reorthogonalize: self.reorthogonalize,
        }
    }
}

/// The columns of `vectors · P` (vectors of length `n`).
fn project(vectors: &[Vec<f64>], p: MatRef<'_, f64>, n: usize) -> Vec<Vec<f64>> {
    p.col_iter()
        .map(|c| combine(vectors, &c.iter().copied().collect::<Vec<f64>>(), n))
        .collect()
}
