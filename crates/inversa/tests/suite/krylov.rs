//! Krylov solvers and recycling: answers checked against a dense direct solve and closed forms,
//! the recycling identities `A U = C`, `CᵀC = I`, and the property the recycling papers claim —
//! fewer iterations over a sequence of related systems than solving each from scratch.

use inversa::krylov::cg::Cg;
use inversa::krylov::deflated_cg::{DeflatedCg, DeflationSpace};
use inversa::krylov::gcrodr::{GcroDr, Recycler};
use inversa::krylov::gmres::Gmres;
use inversa::krylov::preconditioner::{Identity, Ilu0, Jacobi, Preconditioner, PreconditionerKind};
use inversa::krylov::problems::convection_diffusion::convection_diffusion_matrix;
use inversa::krylov::problems::diffusion::diffusion_matrix;
use inversa::krylov::problems::random_field::gaussian_random_field;
use inversa::krylov::problems::ProblemKind;
use inversa::krylov::sequence::{solve_sequence, Method, SequenceConfig};
use inversa::krylov::sort::{distance, nearest_neighbour_order};
use inversa::krylov::sparse::{relative_residual, CsrMatrix};
use inversa::operators::LinearOperator;
use inversa::solvers::{Control, Iteration, Observer, Silent};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Gaussian elimination with partial pivoting on a dense row-major copy (the independent reference).
fn dense_solve(a: &CsrMatrix, b: &[f64]) -> Vec<f64> {
    let n = b.len();
    let mut m = a.to_dense();
    let mut x = b.to_vec();
    for col in 0..n {
        let pivot = (col..n)
            .max_by(|&i, &j| m[i * n + col].abs().total_cmp(&m[j * n + col].abs()))
            .unwrap();
        for j in 0..n {
            m.swap(col * n + j, pivot * n + j);
        }
        x.swap(col, pivot);
        for i in col + 1..n {
            let f = m[i * n + col] / m[col * n + col];
            for j in col..n {
                m[i * n + j] -= f * m[col * n + j];
            }
            x[i] -= f * x[col];
        }
    }
    for i in (0..n).rev() {
        let s: f64 = (i + 1..n).map(|j| m[i * n + j] * x[j]).sum();
        x[i] = (x[i] - s) / m[i * n + i];
    }
    x
}

fn relative_error(x: &[f64], reference: &[f64]) -> f64 {
    distance(x, reference) / distance(reference, &vec![0.0; reference.len()])
}

/// A convection–diffusion sequence whose velocity drifts slowly: `β_i = β₀ + 0.05 i β₁`.
fn drifting_sequence(n: usize, count: usize, seed: u64) -> Vec<CsrMatrix> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let fields: Vec<Vec<f64>> = (0..4)
        .map(|_| gaussian_random_field(n, 2.0, 3.0, &mut rng))
        .collect();
    let peak = fields.iter().flatten().fold(0.0f64, |m, v| m.max(v.abs()));
    let scaled = |f: &Vec<f64>, s: f64| -> Vec<f64> { f.iter().map(|v| v * s / peak).collect() };
    (0..count)
        .map(|i| {
            let t = 0.05 * i as f64;
            let bx: Vec<f64> = scaled(&fields[0], 40.0)
                .iter()
                .zip(scaled(&fields[2], 40.0))
                .map(|(a, b)| a + t * b)
                .collect();
            let by: Vec<f64> = scaled(&fields[1], 40.0)
                .iter()
                .zip(scaled(&fields[3], 40.0))
                .map(|(a, b)| a + t * b)
                .collect();
            convection_diffusion_matrix(n, &bx, &by).unwrap()
        })
        .collect()
}

#[test]
fn gmres_and_gcrodr_match_a_dense_direct_solve_on_a_nonsymmetric_system() {
    let system = &ProblemKind::ConvectionDiffusion.generate(10, 1, 3).unwrap()[0];
    let (a, b) = (&system.matrix, &system.rhs);
    assert!(
        (0..a.rows()).any(|i| (a.get(i, i + 1) - a.get(i + 1, i)).abs() > 1.0),
        "must be non-symmetric"
    );
    let reference = dense_solve(a, b);
    for kind in PreconditionerKind::ALL {
        let m = kind.build(a).unwrap();
        let gmres = Gmres {
            restart: 15,
            tolerance: 1e-10,
            ..Default::default()
        };
        let mut x = vec![0.0; b.len()];
        let info = gmres.solve(a, b, &mut x, m.as_ref(), &mut Silent).unwrap();
        assert!(
            info.converged && info.relative_residual <= 1e-10,
            "{kind:?}: {info:?}"
        );
        assert!(
            relative_error(&x, &reference) < 1e-7,
            "GMRES {kind:?}: {}",
            relative_error(&x, &reference)
        );
        let gcrodr = GcroDr {
            restart: 15,
            recycle: 5,
            tolerance: 1e-10,
            ..Default::default()
        };
        let mut x = vec![0.0; b.len()];
        let info = gcrodr
            .solve(a, b, &mut x, m.as_ref(), &mut Recycler::new(), &mut Silent)
            .unwrap();
        assert!(
            info.converged && relative_residual(a, &x, b) <= 1e-10,
            "{kind:?}: {info:?}"
        );
        assert!(
            relative_error(&x, &reference) < 1e-7,
            "GCRO-DR {kind:?}: {}",
            relative_error(&x, &reference)
        );
    }
}

#[test]
fn gcrodr_recycling_needs_fewer_iterations_than_gmres_from_scratch() {
    let matrices = drifting_sequence(24, 6, 7);
    let b = vec![1.0; matrices[0].rows()];
    let (mut gmres_total, mut gcrodr_total) = (0, 0);
    let mut recycler = Recycler::new();
    for a in &matrices {
        let mut x = vec![0.0; b.len()];
        let info = Gmres {
            restart: 20,
            ..Default::default()
        }
        .solve(a, &b, &mut x, &Identity, &mut Silent)
        .unwrap();
        assert!(info.converged);
        gmres_total += info.iterations;
        let mut x = vec![0.0; b.len()];
        let gcrodr = GcroDr {
            restart: 20,
            recycle: 8,
            ..Default::default()
        };
        let info = gcrodr
            .solve(a, &b, &mut x, &Identity, &mut recycler, &mut Silent)
            .unwrap();
        assert!(info.converged && relative_residual(a, &x, &b) <= 1e-8);
        gcrodr_total += info.iterations;
    }
    assert!(
        (gcrodr_total as f64) < 0.75 * gmres_total as f64,
        "GCRO-DR {gcrodr_total} vs GMRES {gmres_total} iterations"
    );
}

#[test]
fn the_recycled_subspace_satisfies_a_u_equals_c_with_orthonormal_c() {
    let matrices = drifting_sequence(16, 3, 11);
    let b = vec![1.0; matrices[0].rows()];
    for kind in [PreconditionerKind::None, PreconditionerKind::Ilu0] {
        let mut recycler = Recycler::new();
        for a in &matrices {
            let m = kind.build(a).unwrap();
            let mut x = vec![0.0; b.len()];
            let gcrodr = GcroDr {
                restart: 20,
                recycle: 6,
                ..Default::default()
            };
            gcrodr
                .solve(a, &b, &mut x, m.as_ref(), &mut recycler, &mut Silent)
                .unwrap();
            let (u, c) = recycler.subspace();
            assert_eq!(u.len(), 6);
            for (i, ui) in u.iter().enumerate() {
                let aui = a.apply_new(&m.apply_new(ui));
                let gap = distance(&aui, &c[i]);
                assert!(gap < 1e-10, "{kind:?}: ‖A M⁻¹ u_{i} − c_{i}‖ = {gap}");
                for (j, cj) in c.iter().enumerate() {
                    let expected = if i == j { 1.0 } else { 0.0 };
                    let dot: f64 = c[i].iter().zip(cj).map(|(p, q)| p * q).sum();
                    assert!(
                        (dot - expected).abs() < 1e-10,
                        "{kind:?}: c_{i}·c_{j} = {dot}"
                    );
                }
            }
        }
    }
}

#[test]
fn ilu0_of_a_tridiagonal_matrix_is_its_exact_lu_factorisation() {
    let n = 7;
    let sub = |i: usize| -1.0 - 0.1 * i as f64;
    let diag = |i: usize| 4.0 + (i as f64).sin();
    let sup = |i: usize| -0.5 + 0.05 * i as f64;
    let mut triplets = Vec::new();
    for i in 0..n {
        triplets.push((i, i, diag(i)));
        if i > 0 {
            triplets.push((i, i - 1, sub(i)));
        }
        if i + 1 < n {
            triplets.push((i, i + 1, sup(i)));
        }
    }
    let a = CsrMatrix::from_triplets(n, n, &triplets).unwrap();
    let ilu = Ilu0::new(&a).unwrap();
    // Thomas recurrence: u₀ = d₀, lᵢ = aᵢ/uᵢ₋₁, uᵢ = dᵢ − lᵢ cᵢ₋₁, superdiagonal of U = c.
    let mut u_prev = diag(0);
    assert!((ilu.upper(0, 0) - u_prev).abs() < 1e-14);
    for i in 1..n {
        let l = sub(i) / u_prev;
        let u = diag(i) - l * sup(i - 1);
        assert!((ilu.lower(i, i - 1) - l).abs() < 1e-14, "L[{i}][{}]", i - 1);
        assert!((ilu.upper(i, i) - u).abs() < 1e-14, "U[{i}][{i}]");
        assert!((ilu.upper(i - 1, i) - sup(i - 1)).abs() < 1e-14);
        u_prev = u;
    }
    let x: Vec<f64> = (0..n).map(|i| (i as f64 * 0.7).cos()).collect();
    let back = ilu.apply_new(&a.apply_new(&x));
    assert!(distance(&back, &x) < 1e-13, "exact LU: M⁻¹ A x = x");
}

#[test]
fn deflated_cg_needs_fewer_iterations_than_cg_on_a_sequence() {
    let systems = ProblemKind::Poisson.generate(24, 6, 5).unwrap();
    let (mut cg_total, mut deflated_total) = (0, 0);
    let mut space = DeflationSpace::new();
    for s in &systems {
        let (a, b) = (&s.matrix, &s.rhs);
        let jacobi = Jacobi::new(a).unwrap();
        let mut x = vec![0.0; b.len()];
        let info = Cg::default()
            .solve(a, b, &mut x, &jacobi, &mut Silent)
            .unwrap();
        assert!(info.converged && relative_residual(a, &x, b) <= 1e-8);
        cg_total += info.iterations;
        let mut x = vec![0.0; b.len()];
        let info = DeflatedCg::default()
            .solve(a, b, &mut x, &jacobi, &mut space, &mut Silent)
            .unwrap();
        assert!(
            info.converged && relative_residual(a, &x, b) <= 1e-8,
            "{info:?}"
        );
        deflated_total += info.iterations;
    }
    assert!(
        (deflated_total as f64) < 0.85 * cg_total as f64,
        "deflated CG {deflated_total} vs CG {cg_total} iterations"
    );
}

#[test]
fn the_darcy_matrix_is_a_symmetric_m_matrix() {
    let system = &ProblemKind::Darcy.generate(12, 1, 2).unwrap()[0];
    let a = &system.matrix;
    assert!(system.field.contains(&3.0) && system.field.contains(&12.0));
    for i in 0..a.rows() {
        let (cols, vals) = a.row(i);
        assert!(a.get(i, i) > 0.0);
        let row_sum: f64 = vals.iter().sum();
        assert!(row_sum >= -1e-9 * a.get(i, i), "row {i} sums to {row_sum}");
        for (&j, &v) in cols.iter().zip(vals) {
            assert_eq!(v, a.get(j, i), "A[{i}][{j}] ≠ A[{j}][{i}]");
            assert!(j == i || v <= 0.0);
        }
    }
}

#[test]
fn constant_coefficient_solution_matches_the_sine_expansion() {
    // For a ≡ 2 the matrix is 2 × the 5-point Laplacian, diagonalised by φ_pq = sin(pπx) sin(qπy)
    // with eigenvalues (4/h²)(sin²(pπh/2) + sin²(qπh/2)).
    let n = 8;
    let h = 1.0 / (n + 1) as f64;
    let a = diffusion_matrix(n, &vec![2.0; n * n], None).unwrap();
    let f = vec![1.0; n * n];
    let pi = std::f64::consts::PI;
    let phi = |p: usize, q: usize, row: usize, col: usize| {
        (p as f64 * pi * (col + 1) as f64 * h).sin() * (q as f64 * pi * (row + 1) as f64 * h).sin()
    };
    let mut expected = vec![0.0; n * n];
    for p in 1..=n {
        for q in 1..=n {
            let lambda = 2.0 * 4.0 / (h * h)
                * ((p as f64 * pi * h / 2.0).sin().powi(2)
                    + (q as f64 * pi * h / 2.0).sin().powi(2));
            let norm2 = (n + 1) as f64 * (n + 1) as f64 / 4.0;
            let coefficient: f64 = (0..n * n)
                .map(|i| f[i] * phi(p, q, i / n, i % n))
                .sum::<f64>()
                / norm2;
            for (i, e) in expected.iter_mut().enumerate() {
                *e += coefficient / lambda * phi(p, q, i / n, i % n);
            }
        }
    }
    let mut x = vec![0.0; n * n];
    let info = Cg {
        tolerance: 1e-13,
        ..Default::default()
    }
    .solve(&a, &f, &mut x, &Identity, &mut Silent)
    .unwrap();
    assert!(info.converged);
    assert!(
        relative_error(&x, &expected) < 1e-10,
        "{}",
        relative_error(&x, &expected)
    );
    assert!(relative_error(&dense_solve(&a, &f), &expected) < 1e-12);
}

#[test]
fn the_sort_order_is_a_nearest_neighbour_permutation() {
    let systems = ProblemKind::Poisson.generate(6, 9, 4).unwrap();
    let fields: Vec<Vec<f64>> = systems.iter().map(|s| s.field.clone()).collect();
    let order = nearest_neighbour_order(&fields);
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(sorted, (0..9).collect::<Vec<_>>());
    assert_eq!(order[0], 0);
    for step in 1..order.len() {
        let here = &fields[order[step - 1]];
        let chosen = distance(here, &fields[order[step]]);
        for &later in &order[step..] {
            assert!(
                chosen <= distance(here, &fields[later]),
                "step {step} skipped a closer system"
            );
        }
    }
}

#[test]
fn a_system_that_misses_the_tolerance_is_an_error_and_cg_refuses_indefinite_problems() {
    let config = SequenceConfig {
        grid: 10,
        systems: 2,
        max_iterations: 3,
        method: Method::Gmres,
        ..Default::default()
    };
    let error = solve_sequence(&config).unwrap_err().to_string();
    assert!(error.contains("did not reach the tolerance"), "{error}");
    let config = SequenceConfig {
        grid: 10,
        systems: 2,
        method: Method::Cg,
        problem: ProblemKind::Helmholtz,
        ..Default::default()
    };
    let error = solve_sequence(&config).unwrap_err().to_string();
    assert!(error.starts_with("method:"), "{error}");
    let config = SequenceConfig {
        grid: 2,
        ..Default::default()
    };
    assert!(solve_sequence(&config)
        .unwrap_err()
        .to_string()
        .starts_with("grid:"));
}

/// GMRES(m) with a short restart can stagnate on the indefinite Helmholtz matrices (it does with
/// m = 20 here), so the sweep uses m = 40, which every combination reaches the tolerance with.
#[test]
fn every_method_solves_every_problem_it_applies_to_with_every_preconditioner() {
    for problem in ProblemKind::ALL {
        for method in Method::ALL {
            if matches!(method, Method::Cg | Method::DeflatedCg)
                && !problem.symmetric_positive_definite()
            {
                continue;
            }
            for preconditioner in PreconditionerKind::ALL {
                let config = SequenceConfig {
                    problem,
                    method,
                    preconditioner,
                    grid: 12,
                    systems: 3,
                    restart: 40,
                    recycle: 10,
                    ..Default::default()
                };
                let report = solve_sequence(&config)
                    .unwrap_or_else(|e| panic!("{problem:?} {method:?} {preconditioner:?}: {e}"));
                assert!(report.max_relative_residual <= 1e-8);
                assert_eq!(report.iterations.len(), 3);
            }
        }
    }
}

/// Records the index and residual of every report; asks for a stop at the `stop_after`-th.
struct Reports {
    seen: Vec<(usize, f64)>,
    stop_after: usize,
}

impl Observer<f64> for Reports {
    fn observe(&mut self, iteration: &Iteration<f64>) -> Control {
        self.seen.push((iteration.index, iteration.residual));
        if self.seen.len() >= self.stop_after {
            Control::Stop
        } else {
            Control::Continue
        }
    }
}

fn reports(stop_after: usize) -> Reports {
    Reports {
        seen: Vec::new(),
        stop_after,
    }
}

#[test]
fn krylov_solvers_report_to_the_observer_and_stop_when_it_asks() {
    let system = &ProblemKind::Poisson.generate(16, 1, 3).unwrap()[0];
    let (a, b) = (&system.matrix, &system.rhs);
    // CG reports every step, its recurrence residual ending at the tolerance.
    let mut all = reports(usize::MAX);
    let mut x = vec![0.0; b.len()];
    let info = Cg::default()
        .solve(a, b, &mut x, &Identity, &mut all)
        .unwrap();
    assert!(info.converged);
    assert_eq!(all.seen.len(), info.iterations);
    assert!(all.seen.iter().enumerate().all(|(k, (i, _))| *i == k + 1));
    assert!(all.seen.last().unwrap().1 <= 1e-8);
    // A stop at the 5th report ends CG there, unconverged, with the true residual.
    let mut five = reports(5);
    let mut x = vec![0.0; b.len()];
    let info = Cg::default()
        .solve(a, b, &mut x, &Identity, &mut five)
        .unwrap();
    assert!(!info.converged && info.iterations == 5);
    assert!((info.relative_residual - relative_residual(a, &x, b)).abs() < 1e-12);
    // GMRES(10) reports once per cycle, with the true residual.
    let mut one = reports(1);
    let mut x = vec![0.0; b.len()];
    let gmres = Gmres {
        restart: 10,
        ..Default::default()
    };
    let info = gmres.solve(a, b, &mut x, &Identity, &mut one).unwrap();
    assert!(!info.converged);
    assert_eq!((info.iterations, one.seen[0].0), (10, 10));
    // Equal up to the order of a parallel sum, which depends on what else the thread pool runs.
    let true_residual = relative_residual(a, &x, b);
    assert!((one.seen[0].1 - true_residual).abs() <= 1e-12 * true_residual);
}

#[test]
fn a_csr_matrix_is_a_linear_operator_whose_adjoint_is_its_transpose() {
    let mut rng = ChaCha8Rng::seed_from_u64(8);
    let triplets: Vec<(usize, usize, f64)> = (0..20)
        .map(|_| {
            (
                rng.gen_range(0..7),
                rng.gen_range(0..5),
                rng.gen_range(-1.0..1.0),
            )
        })
        .collect();
    let a = CsrMatrix::from_triplets(7, 5, &triplets).unwrap();
    assert_eq!((a.input_shape(), a.output_shape()), (&[5][..], &[7][..]));
    assert!(a.adjoint_mismatch(3) < 1e-14);
    let dense = a.to_dense();
    let y: Vec<f64> = (0..7).map(|i| i as f64 - 2.5).collect();
    let transpose: Vec<f64> = (0..5)
        .map(|j| (0..7).map(|i| dense[i * 5 + j] * y[i]).sum())
        .collect();
    assert!(distance(&a.adjoint_new(&y), &transpose) < 1e-14);
}
