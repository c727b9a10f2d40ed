//! The numerical methods of `inversa::numerics`, each checked against an independent reference:
//! M-FAC against a dense inverse, matrix sensing against the rates the paper proves, the convex ReLU
//! training against its own nonconvex network and against gradient training.

use faer::linalg::solvers::Solve;
use faer::{ColMut, MatRef, Side};
use inversa::numerics::gaussian;
use inversa::numerics::mfac::{fisher_times, SlidingFisher, StaticFisher};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn relative_error(a: &[f64], b: &[f64]) -> f64 {
    let diff: f64 = a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum();
    let scale: f64 = b.iter().map(|y| y * y).sum();
    (diff / scale).sqrt()
}

/// The dense `F = λI + (1/m) Σ gᵢgᵢᵀ`, inverted by Cholesky: the reference for M-FAC.
fn dense_inverse_times(grads: &[f64], d: usize, lambda: f64, x: &[f64]) -> Vec<f64> {
    let m = grads.len() / d;
    let mut f = vec![0.0; d * d];
    for i in 0..d {
        f[i * d + i] = lambda;
    }
    for g in grads.chunks_exact(d) {
        for i in 0..d {
            for j in 0..d {
                f[i * d + j] += g[i] * g[j] / m as f64;
            }
        }
    }
    let mut out = x.to_vec();
    MatRef::from_row_major_slice(&f, d, d)
        .llt(Side::Lower)
        .expect("F is SPD")
        .solve_in_place(ColMut::from_slice_mut(&mut out));
    out
}

#[test]
fn mfac_static_matches_the_dense_inverse_and_inverts_f() {
    let (m, d) = (10, 50);
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    for lambda in [1e-3, 0.1, 10.0] {
        let grads = gaussian(&mut rng, m * d);
        let x = gaussian(&mut rng, d);
        let fisher = StaticFisher::new(&grads, d, lambda).unwrap();
        let got = fisher.inverse_times(&x).unwrap();
        let want = dense_inverse_times(&grads, d, lambda, &x);
        let err = relative_error(&got, &want);
        assert!(err < 1e-5, "λ = {lambda}: relative error {err:e}");
        let back = fisher
            .inverse_times(&fisher_times(&grads, d, lambda, &x))
            .unwrap();
        let err = relative_error(&back, &x);
        assert!(err < 1e-8, "λ = {lambda}: F⁻¹F x vs x: {err:e}");
    }
}

#[test]
fn mfac_sliding_window_matches_the_dense_inverse_after_many_slides() {
    let (m, d, lambda) = (10, 50, 0.05);
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let mut fisher = SlidingFisher::new(m, d, lambda).unwrap();
    let x = gaussian(&mut rng, d);
    // Partly filled window, full window, and 3.7 windows of slides (crossing refactorisations).
    for pushes in 1..=(4 * m - 3) {
        let g: Vec<f64> = gaussian(&mut rng, d)
            .iter()
            .map(|v| v * (1.0 + pushes as f64 / 7.0))
            .collect();
        fisher.push(&g).unwrap();
        let want = dense_inverse_times(fisher.gradients(), d, lambda, &x);
        let err = relative_error(&fisher.inverse_times(&x).unwrap(), &want);
        assert!(err < 1e-5, "after {pushes} pushes: relative error {err:e}");
        let stat = StaticFisher::new(fisher.gradients(), d, lambda).unwrap();
        let err = relative_error(
            &fisher.inverse_times(&x).unwrap(),
            &stat.inverse_times(&x).unwrap(),
        );
        assert!(
            err < 1e-8,
            "after {pushes} pushes: static vs dynamic {err:e}"
        );
    }
    let back = fisher
        .inverse_times(&fisher_times(fisher.gradients(), d, lambda, &x))
        .unwrap();
    assert!(relative_error(&back, &x) < 1e-8);
}

#[test]
fn mfac_rejects_bad_damping_and_shapes_naming_them() {
    let err = StaticFisher::new(&[1.0; 6], 3, 0.0)
        .unwrap_err()
        .to_string();
    assert!(err.contains("mfac.lambda"), "{err}");
    let err = SlidingFisher::new(0, 3, 1.0).unwrap_err().to_string();
    assert!(err.contains("mfac.window"), "{err}");
    let mut fisher = SlidingFisher::new(2, 3, 1.0).unwrap();
    assert!(fisher.push(&[1.0; 4]).is_err());
    assert!(fisher.inverse_times(&[1.0; 2]).is_err());
}

mod sensing {
    use inversa::numerics::matrix_sensing::{run, Factorisation, Problem, Settings};

    fn settings(k: usize, alpha: f64, iterations: usize, factorisation: Factorisation) -> Settings {
        Settings {
            k,
            alpha,
            step: 0.25,
            iterations,
            factorisation,
            seed: 7,
        }
    }

    /// The paper's setting at a test size: n = 20, r = 2, m = 10 n r Gaussian measurements.
    fn problem() -> Problem {
        Problem::gaussian(20, 2, 400, 3).unwrap()
    }

    #[test]
    fn exact_parameterisation_converges_linearly_and_over_parameterisation_does_not() {
        let p = problem();
        let n = 300;
        let exact = run(&p, &settings(2, 1e-2, n, Factorisation::Symmetric))
            .unwrap()
            .errors;
        assert!(
            exact[n] < 1e-8,
            "k = r: error {:e} after {n} iterations",
            exact[n]
        );
        // Geometric: equal error ratios over equal spans once the first phase is over, each < 0.1.
        let (a, b) = (
            exact[n - 100] / exact[n - 150],
            exact[n - 50] / exact[n - 100],
        );
        assert!(
            a < 0.1 && b < 0.1 && (a / b).ln().abs() < 0.5_f64.ln().abs(),
            "ratios {a:e}, {b:e}"
        );
        let over = run(&p, &settings(4, 1e-2, 2 * n, Factorisation::Symmetric))
            .unwrap()
            .errors;
        assert!(
            over[n] > 100.0 * exact[n],
            "k = r + 2: {:e} vs k = r: {:e}",
            over[n],
            exact[n]
        );
        // Sublinear: doubling the iterations gains at most the 4× of a 1/T² decay.
        assert!(
            over[2 * n] > over[n] / 4.0,
            "{:e} → {:e}",
            over[n],
            over[2 * n]
        );
    }

    #[test]
    fn the_one_step_modification_restores_a_fast_linear_rate_for_asymmetric_factors() {
        let p = problem();
        let n = 800;
        let plain = Factorisation::Asymmetric {
            rebalance_below: None,
        };
        let modified = Factorisation::Asymmetric {
            rebalance_below: Some(1e-2),
        };
        let slow = run(&p, &settings(4, 0.1, n, plain)).unwrap();
        let fast = run(&p, &settings(4, 0.1, n, modified)).unwrap();
        let at = fast.rebalanced_at.expect("the error fell below 1e-2 ‖M*‖");
        assert_eq!(
            fast.errors[..=at],
            slow.errors[..=at],
            "identical until the modification"
        );
        assert!(fast.errors[n] < 1e-8, "modified: {:e}", fast.errors[n]);
        assert!(slow.errors[n] > 100.0 * fast.errors[n] && slow.errors[n] > 1e-4);
        // The rate after the modification does not depend on α: compare α = 0.1 with α = 0.3.
        let other = run(&p, &settings(4, 0.3, n + 300, modified)).unwrap();
        let rate = |e: &[f64], from: usize| (e[from + 100] / e[from]).ln() / 100.0;
        let other_at = other.rebalanced_at.unwrap();
        let (r1, r2) = (
            rate(&fast.errors, at + 50),
            rate(&other.errors, other_at + 50),
        );
        assert!(
            r1 < -0.02 && (r1 / r2 - 1.0).abs() < 0.2,
            "log-rates {r1}, {r2}"
        );
        // … and is many times the rate plain GD has at the same iterations.
        let plain_rate = rate(&slow.errors, at + 50);
        assert!(plain_rate > r1 / 5.0, "plain {plain_rate} vs modified {r1}");
    }
}

#[test]
fn mfac_preconditioning_needs_fewer_steps_than_tuned_sgd_and_adam() {
    use inversa::numerics::mfac_optimizer::{steps_to_target, Logistic, Optimiser};
    let p = Logistic::synthetic(400, 10, 1e4, 5);
    let (_, best) = p.minimum();
    let start = p.loss(&[0.0; 10]);
    let target = best + 0.1 * (start - best);
    let max_steps = 3000;
    let fewest = |make: &dyn Fn(f64) -> Optimiser, rates: &[f64]| -> usize {
        rates
            .iter()
            .filter_map(|&lr| {
                steps_to_target(&p, make(lr), 16, target, max_steps, 9)
                    .unwrap()
                    .1
            })
            .min()
            .unwrap_or(usize::MAX)
    };
    let rates = [1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3];
    let sgd = fewest(&|lr| Optimiser::Sgd { lr }, &rates);
    let adam = fewest(&|lr| Optimiser::Adam { lr }, &rates);
    let mfac = [1e-2, 1e-1]
        .map(|damping| {
            fewest(
                &|lr| Optimiser::Mfac {
                    lr,
                    window: 16,
                    damping,
                },
                &rates,
            )
        })
        .into_iter()
        .min()
        .unwrap();
    assert!(mfac < max_steps, "M-FAC never reached the target");
    assert!(
        3 * mfac < sgd.min(adam),
        "steps: M-FAC {mfac}, SGD {sgd}, Adam {adam}"
    );
}

mod convex {
    use inversa::numerics::convex_relu::*;

    /// A small XOR set, 60 sampled patterns and a weight decay at which ADMM converges in ~3000
    /// iterations: sizes that keep this test file fast.
    fn setting() -> (Dataset, Vec<Vec<bool>>, AdmmParams) {
        let data = Dataset::xor(50, 1);
        let patterns = sample_patterns(&data, 60, 3);
        let params = AdmmParams {
            beta: 1.0,
            rho: 1.0,
            max_iterations: 10000,
            tolerance: 1e-7,
        };
        (data, patterns, params)
    }

    #[test]
    fn admm_reaches_a_stationary_feasible_point_that_is_a_network_with_the_same_objective() {
        let (data, patterns, params) = setting();
        let sol = solve_admm(&data, &patterns, &params).unwrap();
        assert!(
            sol.converged,
            "ADMM stopped after {} iterations",
            sol.iterations
        );
        let o = &sol.objectives;
        let last = o[o.len() - 1];
        assert!(last < 0.5 * o[0].max(o[9]), "objective {} → {last}", o[9]);
        let tail = &o[o.len() * 9 / 10..];
        let spread = tail.iter().fold(0.0_f64, |m, v| m.max((v - last).abs()));
        assert!(
            spread < 1e-6 * last,
            "objective still moving by {spread:e} over the last 10%"
        );
        let violation = sol.constraint_violation(&data, &patterns);
        assert!(violation < 1e-6, "constraint violation {violation:e}");
        // The equivalence: the network built from (v, w) has the convex fit and penalty.
        let net = sol.network();
        assert!(net.width() >= 2 && net.width() < 2 * patterns.len());
        let zero = vec![0.0; sol.w.len()];
        let penalty =
            convex_objective(&data, &patterns, &zero, &zero, params.beta) - 0.5 * data.len() as f64;
        assert!(
            penalty.abs() < 1e-12,
            "with zero weights only the fit ½‖y‖² remains"
        );
        let convex = convex_objective(&data, &patterns, &sol.v, &sol.w, params.beta);
        let group_sum: f64 = sol
            .v
            .chunks(3)
            .chain(sol.w.chunks(3))
            .map(|g| g.iter().map(|x| x * x).sum::<f64>().sqrt())
            .sum();
        let convex_fit = convex - params.beta * group_sum;
        assert!(
            (net.fit(&data) - convex_fit).abs() < 1e-6 * convex_fit,
            "{} vs {convex_fit}",
            net.fit(&data)
        );
        assert!((net.objective(&data, params.beta) - convex).abs() < 1e-6 * convex);
        assert!(
            net.accuracy(&data) > 0.9,
            "training accuracy {}",
            net.accuracy(&data)
        );
    }

    #[test]
    fn the_convex_optimum_is_no_worse_than_gradient_training_of_the_same_network() {
        let (data, patterns, params) = setting();
        let width = solve_admm(&data, &patterns, &params)
            .unwrap()
            .network()
            .width();
        for seed in [5, 6] {
            let (trained, trace) = train_adam(&data, width, params.beta, 1e-2, 3000, seed);
            let trained_objective = trace[trace.len() - 1];
            // The trained network's own patterns make it a feasible point of the convex problem.
            let mut union = patterns.clone();
            union.extend(
                network_patterns(&trained, &data)
                    .into_iter()
                    .filter(|p| !patterns.contains(p)),
            );
            let sol = solve_admm(
                &data,
                &union,
                &AdmmParams {
                    tolerance: 1e-5,
                    ..params
                },
            )
            .unwrap();
            let convex = sol.objectives[sol.objectives.len() - 1];
            assert!(
                convex <= trained_objective + 1e-9,
                "seed {seed}: convex {convex} vs Adam {trained_objective}"
            );
        }
    }
}
