//! Solvers against independent references: a dense Gaussian-elimination solve of the regularised
//! normal equations, agreement of different algorithms on the same TV problem, and objective decrease.

use inversa::operators::denoise::Identity;
use inversa::operators::{random_vector, LinearOperator};
use inversa::priors::none::NoPrior;
use inversa::priors::tikhonov::Tikhonov;
use inversa::priors::tv::TotalVariation;
use inversa::priors::Prior;
use inversa::solvers::{
    self, Control, Iteration, ObjectiveHistory, Observer, Problem, Silent, Solver, Stopping,
};

/// A dense `m × n` matrix as an operator, for comparing against a direct solve.
struct Dense {
    input: Vec<usize>,
    output: Vec<usize>,
    a: Vec<f64>,
}

impl Dense {
    fn random(m: usize, n: usize, seed: u64) -> Self {
        Self {
            input: vec![1, 1, n],
            output: vec![m],
            a: random_vector(m * n, seed),
        }
    }
}

impl LinearOperator<f64> for Dense {
    fn input_shape(&self) -> &[usize] {
        &self.input
    }
    fn output_shape(&self) -> &[usize] {
        &self.output
    }
    fn apply(&self, x: &[f64], y: &mut [f64]) {
        let n = x.len();
        y.iter_mut()
            .enumerate()
            .for_each(|(i, yi)| *yi = (0..n).map(|j| self.a[i * n + j] * x[j]).sum());
    }
    fn adjoint(&self, y: &[f64], x: &mut [f64]) {
        let n = x.len();
        x.iter_mut()
            .enumerate()
            .for_each(|(j, xj)| *xj = (0..y.len()).map(|i| self.a[i * n + j] * y[i]).sum());
    }
}

/// Solves `(AᵀA + wI) x = Aᵀy` by Gaussian elimination with partial pivoting.
fn dense_regularised_solve(op: &Dense, y: &[f64], w: f64) -> Vec<f64> {
    let n = op.input[2];
    let m = op.output[0];
    let mut g = vec![0.0; n * (n + 1)];
    for r in 0..n {
        for c in 0..n {
            g[r * (n + 1) + c] = (0..m)
                .map(|i| op.a[i * n + r] * op.a[i * n + c])
                .sum::<f64>()
                + if r == c { w } else { 0.0 };
        }
        g[r * (n + 1) + n] = (0..m).map(|i| op.a[i * n + r] * y[i]).sum();
    }
    for col in 0..n {
        let pivot = (col..n)
            .max_by(|a, b| {
                g[a * (n + 1) + col]
                    .abs()
                    .total_cmp(&g[b * (n + 1) + col].abs())
            })
            .unwrap();
        for c in 0..=n {
            g.swap(col * (n + 1) + c, pivot * (n + 1) + c);
        }
        for r in 0..n {
            if r != col {
                let f = g[r * (n + 1) + col] / g[col * (n + 1) + col];
                for c in col..=n {
                    g[r * (n + 1) + c] -= f * g[col * (n + 1) + c];
                }
            }
        }
    }
    (0..n)
        .map(|r| g[r * (n + 1) + n] / g[r * (n + 1) + r])
        .collect()
}

/// HQS runs at a fixed coupling weight in these tests, so its limit has a closed form.
const HQS_MU: f64 = 2.0;

fn all_solvers(iterations: usize) -> Vec<(&'static str, Box<dyn Solver<f64>>)> {
    let stopping = Stopping {
        iterations,
        tolerance: 0.0,
    };
    vec![
        (
            "cg",
            Box::new(solvers::cg::ConjugateGradient {
                params: solvers::cg::Params { stopping },
            }),
        ),
        (
            "fista",
            Box::new(solvers::fista::Fista {
                params: solvers::fista::Params {
                    stopping,
                    ..Default::default()
                },
            }),
        ),
        (
            "admm",
            Box::new(solvers::admm::Admm {
                params: solvers::admm::Params {
                    stopping,
                    rho: 1.0,
                    inner_iterations: 200,
                },
            }),
        ),
        (
            "pdhg",
            Box::new(solvers::pdhg::Pdhg {
                params: solvers::pdhg::Params {
                    stopping,
                    step_ratio: 1.0,
                },
            }),
        ),
        (
            "hqs",
            Box::new(solvers::hqs::Hqs {
                params: solvers::hqs::Params {
                    stopping,
                    mu: HQS_MU,
                    mu_growth: 1.0,
                    mu_max: HQS_MU,
                    inner_iterations: 200,
                },
            }),
        ),
    ]
}

fn relative_error(a: &[f64], b: &[f64]) -> f64 {
    let d: f64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| (x - y).powi(2))
        .sum::<f64>()
        .sqrt();
    d / b.iter().map(|v| v * v).sum::<f64>().sqrt()
}

#[test]
fn every_solver_reaches_the_dense_least_squares_solution() {
    let op = Dense::random(30, 12, 4);
    let y = random_vector::<f64>(30, 8);
    for (weight, prior) in [
        (0.0, Box::new(NoPrior) as Box<dyn Prior<f64>>),
        (0.7, Box::new(Tikhonov::new(0.7, &[1, 1, 12]))),
    ] {
        let problem = Problem {
            operator: &op,
            measurement: &y,
            prior: prior.as_ref(),
        };
        for (name, solver) in all_solvers(3000) {
            let reference = if name == "hqs" {
                // At fixed μ, HQS minimises ½‖Ax−y‖² + (μ/2)‖x−z‖² + (w/2)‖z‖²: eliminating z gives
                // Tikhonov with weight μw/(μ+w) for x, and z = μx/(μ+w).
                let x = dense_regularised_solve(&op, &y, HQS_MU * weight / (HQS_MU + weight));
                x.iter().map(|v| v * HQS_MU / (HQS_MU + weight)).collect()
            } else {
                dense_regularised_solve(&op, &y, weight)
            };
            let mut x = vec![0.0; 12];
            solver.solve(&problem, &mut x, &mut Silent).unwrap();
            let error = relative_error(&x, &reference);
            assert!(
                error < 1e-6,
                "{name} (w = {weight}): relative error {error:e}"
            );
        }
    }
}

#[test]
fn cg_decreases_the_objective_monotonically_and_stops_in_n_steps() {
    let op = Dense::random(40, 15, 2);
    let y = random_vector::<f64>(40, 3);
    let problem = Problem {
        operator: &op,
        measurement: &y,
        prior: &NoPrior,
    };
    let mut history = ObjectiveHistory::default();
    let mut x = vec![0.0; 15];
    let solver = solvers::cg::ConjugateGradient {
        params: solvers::cg::Params {
            stopping: Stopping {
                iterations: 15,
                tolerance: 0.0,
            },
        },
    };
    solver.solve(&problem, &mut x, &mut history).unwrap();
    assert!(
        history.0.windows(2).all(|w| w[1] <= w[0] + 1e-12),
        "{:?}",
        history.0
    );
    let reference = dense_regularised_solve(&op, &y, 0.0);
    assert!(
        relative_error(&x, &reference) < 1e-8,
        "CG needs at most n = 15 steps"
    );
    // The tracked objective equals the directly computed one.
    assert!(
        (history.0.last().unwrap() - problem.objective(&x)).abs() < 1e-9 * problem.objective(&x)
    );
}

/// A 24×20 two-level image with a square and a bar, plus seeded noise.
fn noisy_piecewise_constant() -> (Vec<f64>, Vec<f64>) {
    let (h, w) = (24, 20);
    let clean: Vec<f64> = (0..h * w)
        .map(|k| {
            let (i, j) = (k / w, k % w);
            if (6..16).contains(&i) && (4..12).contains(&j) || (18..21).contains(&i) {
                0.8
            } else {
                0.2
            }
        })
        .collect();
    let noise = random_vector::<f64>(h * w, 17);
    let noisy = clean.iter().zip(noise).map(|(c, n)| c + 0.1 * n).collect();
    (clean, noisy)
}

#[test]
fn tv_denoising_solvers_agree_and_restore_a_piecewise_constant_image() {
    let shape = [1, 24, 20];
    let (clean, noisy) = noisy_piecewise_constant();
    let op = Identity::new(&shape);
    let tv = TotalVariation::<f64>::new(0.08, &shape, 200).unwrap();
    let problem = Problem {
        operator: &op,
        measurement: &noisy,
        prior: &tv,
    };
    let mut objectives = Vec::new();
    for (name, solver) in all_solvers(600) {
        if name == "cg" {
            let mut x = noisy.clone();
            assert!(
                solver.solve(&problem, &mut x, &mut Silent).is_err(),
                "CG must refuse a TV prior"
            );
            continue;
        }
        let mut x = vec![0.0; noisy.len()];
        let mut history = ObjectiveHistory::default();
        solver.solve(&problem, &mut x, &mut history).unwrap();
        let mse = |a: &[f64]| {
            a.iter()
                .zip(&clean)
                .map(|(x, c)| (x - c).powi(2))
                .sum::<f64>()
                / clean.len() as f64
        };
        assert!(
            mse(&x) < 0.3 * mse(&noisy),
            "{name}: TV must remove most of the noise ({} vs {})",
            mse(&x),
            mse(&noisy)
        );
        assert!(
            history.0.last().unwrap() < &history.0[0],
            "{name}: objective must decrease"
        );
        objectives.push((name, *history.0.last().unwrap()));
    }
    // The TV-L2 problem is strongly convex: every solver converges to the same minimum value. HQS at
    // a fixed μ minimises a relaxed problem, so it only comes close.
    let best = objectives
        .iter()
        .map(|(_, v)| *v)
        .fold(f64::INFINITY, f64::min);
    for (name, value) in &objectives {
        let bound = if *name == "hqs" { 2e-2 } else { 1e-3 };
        assert!(
            (value - best) / best < bound,
            "{name}: objective {value} vs best {best}"
        );
    }
}

struct StopAfter(usize);

impl Observer<f64> for StopAfter {
    fn observe(&mut self, iteration: &Iteration<f64>) -> Control {
        if iteration.index >= self.0 {
            Control::Stop
        } else {
            Control::Continue
        }
    }
}

#[test]
fn observers_and_tolerance_stop_every_solver_early() {
    let op = Dense::random(20, 8, 1);
    let y = random_vector::<f64>(20, 2);
    let problem = Problem {
        operator: &op,
        measurement: &y,
        prior: &NoPrior,
    };
    for (name, solver) in all_solvers(500) {
        let mut x = vec![0.0; 8];
        let info = solver.solve(&problem, &mut x, &mut StopAfter(7)).unwrap();
        assert_eq!(info.iterations, 7, "{name}");
    }
    let stopping = Stopping {
        iterations: 10_000,
        tolerance: 1e-6,
    };
    let solver = solvers::fista::Fista {
        params: solvers::fista::Params {
            stopping,
            ..Default::default()
        },
    };
    let mut x = vec![0.0; 8];
    let info = solver.solve(&problem, &mut x, &mut Silent).unwrap();
    assert!(info.converged && info.iterations < 10_000, "{info:?}");
}

#[test]
fn a_nan_in_the_measurement_is_an_error_not_a_result() {
    let op = Dense::random(20, 8, 1);
    let mut y = random_vector::<f64>(20, 2);
    y[3] = f64::NAN;
    let problem = Problem {
        operator: &op,
        measurement: &y,
        prior: &NoPrior,
    };
    for (name, solver) in all_solvers(5) {
        let mut x = vec![0.0; 8];
        let result = solver.solve(&problem, &mut x, &mut Silent);
        assert!(
            matches!(result, Err(solvers::SolverError::NonFinite { .. })),
            "{name}: {:?}",
            result.map(|i| i.iterations)
        );
    }
}

#[test]
fn red_with_a_linear_denoiser_reaches_its_closed_form_minimiser_by_both_schemes() {
    // With the Tikhonov prox as the denoiser, D(x) = c·x with c = 1/(1 + τw), RED's objective
    // ½‖Ax − y‖² + (λ/2)⟨x, x − D(x)⟩ is the ridge problem with weight λ(1 − c).
    let op = Dense::random(30, 20, 11);
    let y = random_vector::<f64>(30, 12);
    let (w, tau, lambda) = (1.0, 1.0, 1.0);
    let prior = Tikhonov::new(w, &[1, 1, 20]);
    let c = 1.0 / (1.0 + tau * w);
    let expected = dense_regularised_solve(&op, &y, lambda * (1.0 - c));
    let problem = Problem {
        operator: &op,
        measurement: &y,
        prior: &prior,
    };
    // The fixed-point data solve is CG stopped at relative residual 1e-7, and (AᵀA + λI) has a
    // condition number near 100 here, so that scheme is accurate to about 1e-5.
    for (scheme, iterations, tolerance) in [
        (solvers::red::Scheme::FixedPoint, 200, 1e-5),
        (solvers::red::Scheme::Gradient, 4000, 1e-8),
    ] {
        let red = solvers::red::Red {
            params: solvers::red::Params {
                stopping: Stopping {
                    iterations,
                    tolerance: 0.0,
                },
                lambda,
                prox_step: tau,
                scheme,
                inner_iterations: 40,
            },
        };
        let mut x = vec![0.0; 20];
        let mut history = ObjectiveHistory::default();
        red.solve(&problem, &mut x, &mut history).unwrap();
        let error = relative_error(&x, &expected);
        assert!(error < tolerance, "{scheme:?}: relative error {error:e}");
        // A convex quadratic minimised by descent steps: the objective never rises.
        assert!(
            history
                .0
                .windows(2)
                .all(|p| p[1] <= p[0] + 1e-12 * p[0].abs()),
            "{scheme:?}: objective rose"
        );
    }
}
