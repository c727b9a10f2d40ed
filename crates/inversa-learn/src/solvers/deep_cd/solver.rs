//! The deep conjugate direction iteration (Kaneda, Akar, Chen, Kala, Hyde, Teran, "A Deep
//! Conjugate Direction Method for Iteratively Solving Linear Systems", ICML 2023,
//! arXiv:2205.10763, Algorithm 1) for a symmetric positive definite `A`:
//!
//! ```text
//! r₀ = b − A x₀,   d₀ = f(r₀/‖r₀‖)
//! αₖ = dₖᵀrₖ / dₖᵀAdₖ,   xₖ₊₁ = xₖ + αₖdₖ,   rₖ₊₁ = rₖ − αₖAdₖ
//! dₖ₊₁ = f(rₖ₊₁/‖rₖ₊₁‖) − Σ_{i=k−s+1…k} (dᵢᵀA f)/(dᵢᵀAdᵢ) dᵢ
//! ```
//!
//! Each step (the CG step of [`inversa::solvers::cg_recurrence::step`]) minimises the energy norm
//! of the error along `dₖ`, and the new direction is
//! A-orthogonal to the last `s` (the paper uses `s = 2`). With `f` the identity this is
//! conjugate gradients (in exact arithmetic `rₖ₊₁` is already A-orthogonal to all but the last
//! direction), which the tests use to check the iteration apart from any network.
//!
//! When the recurrence residual reaches the tolerance the true residual `b − A x` is recomputed;
//! if it has not, the iteration goes on from it.

use inversa::krylov::dense::{axpy, dot, norm};
use inversa::krylov::sparse::CsrMatrix;
use inversa::krylov::SolveInfo;
use inversa::solvers::{cg_recurrence, SolverError};
use std::collections::VecDeque;

/// The map from a unit residual to a search direction: a network approximating `A⁻¹` up to a
/// constant, or any other approximate inverse.
pub trait DirectionMap {
    /// `f(r)` for a residual `r` with `‖r‖ = 1`.
    fn direction(&self, r: &[f64]) -> inversa::Result<Vec<f64>>;
}

/// `f(r) = r`: turns the iteration into conjugate gradients.
#[derive(Clone, Copy, Debug, Default)]
pub struct IdentityMap;

impl DirectionMap for IdentityMap {
    fn direction(&self, r: &[f64]) -> inversa::Result<Vec<f64>> {
        Ok(r.to_vec())
    }
}

/// Deep conjugate direction settings.
#[derive(Clone, Debug, PartialEq)]
pub struct DeepCd {
    /// Target for `‖b − A x‖ / ‖b‖`.
    pub tolerance: f64,
    /// Cap on iterations (one network evaluation and one product with `A` each).
    pub max_iterations: usize,
    /// `s`: how many earlier directions each new one is A-orthogonalised against.
    pub history: usize,
}

impl Default for DeepCd {
    fn default() -> Self {
        Self {
            tolerance: 1e-4,
            max_iterations: 10_000,
            history: 2,
        }
    }
}

/// A search direction with its product `A d` and `dᵀ A d`.
struct Direction {
    d: Vec<f64>,
    ad: Vec<f64>,
    dad: f64,
}

impl DeepCd {
    /// Solves `A x = b` from the starting point in `x`.
    ///
    /// ```
    /// use inversa::krylov::sparse::CsrMatrix;
    /// use inversa_learn::solvers::deep_cd::solver::{DeepCd, IdentityMap};
    /// let a = CsrMatrix::from_triplets(2, 2, &[(0, 0, 4.0), (0, 1, 1.0), (1, 0, 1.0), (1, 1, 3.0)])?;
    /// let mut x = vec![0.0; 2];
    /// let info = DeepCd { tolerance: 1e-10, ..Default::default() }.solve(&a, &[5.0, 4.0], &mut x, &IdentityMap)?;
    /// assert!(info.converged && info.iterations <= 3);
    /// assert!((x[0] - 1.0).abs() < 1e-9 && (x[1] - 1.0).abs() < 1e-9);
    /// # Ok::<(), inversa::Error>(())
    /// ```
    pub fn solve(
        &self,
        a: &CsrMatrix,
        b: &[f64],
        x: &mut [f64],
        map: &dyn DirectionMap,
    ) -> inversa::Result<SolveInfo> {
        self.solve_observed(a, b, x, map, &mut |_, _| {})
    }

    /// [`Self::solve`], calling `observe(d, A d)` with every search direction.
    pub fn solve_observed(
        &self,
        a: &CsrMatrix,
        b: &[f64],
        x: &mut [f64],
        map: &dyn DirectionMap,
        observe: &mut dyn FnMut(&[f64], &[f64]),
    ) -> inversa::Result<SolveInfo> {
        self.check(a, b, x)?;
        let target = self.tolerance * norm(b);
        let mut info = SolveInfo::default();
        let mut r = residual(a, b, x);
        info.matvecs += 1;
        let mut directions: VecDeque<Direction> = VecDeque::with_capacity(self.history + 1);
        loop {
            let size = norm(&r);
            if size <= target {
                // Converged on the recurrence: confirm on the true residual.
                r = residual(a, b, x);
                info.matvecs += 1;
                if norm(&r) <= target {
                    info.relative_residual = norm(&r) / norm(b).max(f64::MIN_POSITIVE);
                    info.converged = true;
                    return Ok(info);
                }
                continue;
            }
            if info.iterations >= self.max_iterations {
                info.relative_residual = norm(&residual(a, b, x)) / norm(b).max(f64::MIN_POSITIVE);
                info.matvecs += 1;
                return Ok(info);
            }
            let unit: Vec<f64> = r.iter().map(|v| v / size).collect();
            let direction = next_direction(a, map.direction(&unit)?, &directions)?;
            info.iterations += 1;
            info.matvecs += 1;
            if !(direction.dad > 0.0 && direction.dad.is_finite()) {
                return Err(SolverError::NonFinite {
                    solver: "deep-cd",
                    iteration: info.iterations,
                }
                .into());
            }
            observe(&direction.d, &direction.ad);
            let dr = dot(&direction.d, &r);
            cg_recurrence::step(dr, &direction.d, &direction.ad, x, &mut r);
            directions.push_back(direction);
            if directions.len() > self.history {
                directions.pop_front();
            }
        }
    }

    fn check(&self, a: &CsrMatrix, b: &[f64], x: &[f64]) -> inversa::Result<()> {
        if a.rows() != a.cols() || b.len() != a.rows() || x.len() != a.cols() {
            return Err(inversa::Error::Shape(format!(
                "A is {}×{}, b has {} entries and x has {}; A must be square and match both",
                a.rows(),
                a.cols(),
                b.len(),
                x.len()
            )));
        }
        if !(self.tolerance > 0.0 && self.tolerance.is_finite()) {
            return Err(inversa::Error::config(
                "tol",
                format!("must be positive, got {}", self.tolerance),
            ));
        }
        Ok(())
    }
}

/// `f` made A-orthogonal to the `earlier` directions, with its product by `A`.
fn next_direction(
    a: &CsrMatrix,
    f: Vec<f64>,
    earlier: &VecDeque<Direction>,
) -> inversa::Result<Direction> {
    if f.len() != a.rows() {
        return Err(inversa::Error::Shape(format!(
            "the direction map returned {} values for a system of {}",
            f.len(),
            a.rows()
        )));
    }
    let mut d = f;
    // dᵢᵀ A f = (A dᵢ)ᵀ f for symmetric A, so no product with A is spent on f itself.
    let coefficients: Vec<f64> = earlier.iter().map(|e| dot(&e.ad, &d) / e.dad).collect();
    for (e, c) in earlier.iter().zip(coefficients) {
        axpy(-c, &e.d, &mut d);
    }
    let ad = a.apply_new(&d);
    let dad = dot(&d, &ad);
    Ok(Direction { d, ad, dad })
}

/// `b − A x`.
fn residual(a: &CsrMatrix, b: &[f64], x: &[f64]) -> Vec<f64> {
    let mut r = a.apply_new(x);
    r.iter_mut().zip(b).for_each(|(ri, bi)| *ri = bi - *ri);
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::solvers::deep_cd::laplacian_matrix;
    use inversa::krylov::cg::Cg;
    use inversa::krylov::preconditioner::Identity;
    use inversa::krylov::problems::ProblemKind;
    use inversa::krylov::sparse::relative_residual;
    use inversa::solvers::Silent;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn random_rhs(len: usize, seed: u64) -> Vec<f64> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        (0..len).map(|_| rng.gen_range(-1.0..1.0)).collect()
    }

    #[test]
    fn with_the_identity_map_it_takes_as_many_steps_as_cg() {
        for (matrix, tolerance) in [
            (laplacian_matrix(16).unwrap(), 1e-8),
            (
                ProblemKind::Poisson.generate(16, 1, 4).unwrap()[0]
                    .matrix
                    .clone(),
                1e-6,
            ),
        ] {
            let b = random_rhs(matrix.rows(), 5);
            let mut x_cg = vec![0.0; b.len()];
            let cg = Cg {
                tolerance,
                max_iterations: 5000,
            };
            let cg_info = cg
                .solve(&matrix, &b, &mut x_cg, &Identity, &mut Silent)
                .unwrap();
            let mut x = vec![0.0; b.len()];
            let solver = DeepCd {
                tolerance,
                max_iterations: 5000,
                history: 2,
            };
            let info = solver.solve(&matrix, &b, &mut x, &IdentityMap).unwrap();
            assert!(info.converged && cg_info.converged);
            assert!(relative_residual(&matrix, &x, &b) <= tolerance);
            let gap = info.iterations.abs_diff(cg_info.iterations);
            assert!(
                gap <= 1,
                "deep-cd {} vs cg {}",
                info.iterations,
                cg_info.iterations
            );
        }
    }

    /// A fixed nonlinear map, so the directions are not CG's: `r ↦ r + 0.5 |r| ⊙ shift(r)`.
    struct Nonlinear;

    impl DirectionMap for Nonlinear {
        fn direction(&self, r: &[f64]) -> inversa::Result<Vec<f64>> {
            let n = r.len();
            Ok((0..n)
                .map(|i| r[i] + 0.5 * r[i].abs() * r[(i + 1) % n])
                .collect())
        }
    }

    #[test]
    fn consecutive_directions_are_a_orthogonal_and_the_residual_is_reached() {
        let a = laplacian_matrix(12).unwrap();
        let b = random_rhs(a.rows(), 6);
        let solver = DeepCd {
            tolerance: 1e-6,
            max_iterations: 5000,
            history: 2,
        };
        let mut seen: Vec<(Vec<f64>, Vec<f64>)> = Vec::new();
        let mut x = vec![0.0; b.len()];
        let info = solver
            .solve_observed(&a, &b, &mut x, &Nonlinear, &mut |d, ad| {
                seen.push((d.to_vec(), ad.to_vec()))
            })
            .unwrap();
        assert!(info.converged);
        assert!(relative_residual(&a, &x, &b) <= 1e-6);
        assert_eq!(seen.len(), info.iterations);
        for pair in seen.windows(3) {
            for earlier in &pair[..2] {
                let (d, ad) = (&earlier.0, &earlier.1);
                let later = &pair[2].0;
                let cosine =
                    dot(ad, later) / (dot(d, ad).sqrt() * dot(later, &a.apply_new(later)).sqrt());
                assert!(cosine.abs() <= 1e-10, "A-cosine {cosine}");
            }
        }
    }

    #[test]
    fn bad_shapes_are_errors() {
        let a = laplacian_matrix(4).unwrap();
        let mut x = vec![0.0; 16];
        assert!(DeepCd::default()
            .solve(&a, &[1.0; 15], &mut x, &IdentityMap)
            .is_err());
    }
}
