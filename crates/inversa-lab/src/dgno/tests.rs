//! The pieces against independent references, the settings' checks, then the claim at the quick
//! setting.

use super::data::{draw_fields, misclassified, relative_l2, sensor_lattice, solve};
use super::inverse::{cholesky, coverage, quantile};
use super::model::phase_loss;
use super::weak::{wendland, WeakForm};
use super::{run, Settings};
use candle_core::{Device, Tensor};
use inversa::krylov::problems::diffusion::diffusion_matrix;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn row(values: &[f64]) -> Tensor {
    Tensor::from_vec(values.to_vec(), (1, values.len()), &Device::Cpu).unwrap()
}

fn residuals(weak: &WeakForm, a: &[f64], u: &[f64]) -> Vec<f64> {
    let faces = row(&weak.face_coefficients(a));
    weak.residuals(&row(u), &faces)
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1()
        .unwrap()
}

#[test]
fn the_weak_residual_is_the_finite_volume_equation_tested_with_each_bump() {
    // Reference: h² ψᵀ(A u − 1) with the sparse matrix that computes the ground truth, divided
    // by h² Σψ.
    let n = 10;
    let h2 = 1.0 / ((n + 1) * (n + 1)) as f64;
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let a = &draw_fields(n, 1, &mut rng)[0];
    let u: Vec<f64> = (0..n * n)
        .map(|p| 0.01 * ((p * 7 % 13) as f64 / 13.0))
        .collect();
    let weak = WeakForm::new(n, 4, 3.0).unwrap();
    let au = diffusion_matrix(n, a, None).unwrap().apply_new(&u);
    let got = residuals(&weak, a, &u);
    for (k, psi) in weak.tests.iter().enumerate() {
        let load: f64 = h2 * psi.iter().sum::<f64>();
        let tested: f64 = psi.iter().zip(&au).map(|(p, v)| h2 * p * (v - 1.0)).sum();
        assert!(
            (got[k] - tested / load).abs() < 1e-10,
            "{k}: {} vs {}",
            got[k],
            tested / load
        );
    }
    // The true discrete solution leaves every residual at zero (up to CG's tolerance).
    let solution = solve(n, a).unwrap();
    let max = residuals(&weak, a, &solution)
        .iter()
        .fold(0.0f64, |m, r| m.max(r.abs()));
    assert!(max < 1e-7, "{max}");
}

#[test]
fn the_weak_residual_of_a_smooth_exact_solution_vanishes_as_the_grid_refines() {
    // a = 1, u = sin(πx) sin(πy): −Δu = 2π² u, so with f = 2π² u, R_k → 0 as h → 0. Here f = 1 is
    // built in, so test u/(2π²) against a = 1 on the bumps where sin·sin ≈ const is false;
    // instead compare ∫∇u·∇ψ with ∫(2π² u)ψ through the residual's two parts.
    let errors: Vec<f64> = [16, 32]
        .iter()
        .map(|&n| {
            let h = 1.0 / (n + 1) as f64;
            let weak = WeakForm::new(n, 3, 0.15 / h).unwrap();
            let u: Vec<f64> = (0..n * n)
                .map(|p| {
                    let (y, x) = (((p / n) + 1) as f64 * h, ((p % n) + 1) as f64 * h);
                    (std::f64::consts::PI * x).sin() * (std::f64::consts::PI * y).sin()
                })
                .collect();
            let ones = vec![1.0; n * n];
            // R̃_k = (∫∇u·∇ψ − L_k)/L_k, so ∫∇u·∇ψ = L_k (R̃_k + 1), L_k = h²Σψ.
            let got = residuals(&weak, &ones, &u);
            weak.tests
                .iter()
                .zip(&got)
                .map(|(psi, r)| {
                    let load = h * h * psi.iter().sum::<f64>();
                    let stiffness = load * (r + 1.0);
                    let exact: f64 = psi
                        .iter()
                        .zip(&u)
                        .map(|(p, v)| h * h * p * 2.0 * std::f64::consts::PI.powi(2) * v)
                        .sum();
                    (stiffness - exact).abs() / exact.abs()
                })
                .fold(0.0, f64::max)
        })
        .collect();
    assert!(errors[1] < 0.01, "{errors:?}");
    assert!(errors[1] < errors[0] / 2.0, "second-order: {errors:?}");
}

#[test]
fn the_small_helpers_match_hand_computations() {
    assert_eq!(wendland(0.0), 1.0);
    assert_eq!(wendland(1.0), 0.0);
    assert!((wendland(0.5) - 0.0625 * 3.0).abs() < 1e-15);
    assert_eq!(
        sensor_lattice(16, 4),
        vec![34, 38, 42, 46, 98, 102, 106, 110, 162, 166, 170, 174, 226, 230, 234, 238]
    );
    assert_eq!(
        misclassified(&[12.0, 3.0, 8.0, 7.0], &[12.0, 12.0, 3.0, 3.0]),
        0.5
    );
    assert!((relative_l2(&[1.0, 1.0], &[1.0, 0.0]) - 1.0).abs() < 1e-15);
    let mut values = vec![4.0, 1.0, 3.0, 2.0, 5.0];
    assert_eq!(quantile(&mut values, 0.5), 3.0);
    assert_eq!(quantile(&mut values, 0.25), 2.0);
    assert_eq!(
        coverage(
            &[1.0, 5.0, 2.0],
            &[0.0, 0.0, 0.0],
            &[2.0, 2.0, 2.0],
            &[0, 1]
        ),
        0.5
    );
    // L Lᵀ reproduces the matrix.
    let a = [4.0, 2.0, 0.4, 2.0, 5.0, 1.0, 0.4, 1.0, 3.0];
    let l = cholesky(&a, 3).unwrap();
    for i in 0..3 {
        for j in 0..3 {
            let s: f64 = (0..3).map(|k| l[i * 3 + k] * l[j * 3 + k]).sum();
            assert!((s - a[i * 3 + j]).abs() < 1e-12);
        }
    }
    assert!(cholesky(&[1.0, 2.0, 2.0, 1.0], 2).is_none());
}

#[test]
fn the_phase_loss_is_the_logistic_loss_without_overflow() {
    let phi = [-800.0, -1.0, 0.0, 2.0, 800.0];
    let chi = [0.0, 1.0, 1.0, 0.0, 1.0];
    let got = phase_loss(&row(&phi), &row(&chi))
        .unwrap()
        .to_scalar::<f64>()
        .unwrap();
    // −log σ(φ) for χ = 1, −log(1 − σ(φ)) for χ = 0, computed separately.
    let reference: f64 = [
        0.0,
        (1.0 + (1.0f64).exp()).ln(),
        2f64.ln(),
        (1.0 + 2f64.exp()).ln(),
        0.0,
    ]
    .iter()
    .sum::<f64>()
        / 5.0;
    assert!((got - reference).abs() < 1e-12, "{got} vs {reference}");
}

#[test]
fn bad_settings_are_refused_by_name() {
    for (settings, key) in [
        (
            Settings {
                grid: 4,
                ..Settings::quick()
            },
            "grid",
        ),
        (
            Settings {
                sensors: 30,
                ..Settings::quick()
            },
            "sensors",
        ),
        (
            Settings {
                noise: f64::NAN,
                ..Settings::quick()
            },
            "noise",
        ),
        (
            Settings {
                labels: vec![5, 0],
                ..Settings::quick()
            },
            "labels",
        ),
        (
            Settings {
                burn_in: 5000,
                ..Settings::quick()
            },
            "burn_in",
        ),
        (
            Settings {
                inverse_cases: 1000,
                ..Settings::quick()
            },
            "inverse_cases",
        ),
    ] {
        let error = run(&settings, &mut |_| {}).err().unwrap().to_string();
        assert!(error.contains(key), "{key}: {error}");
    }
}

#[test]
fn dgno_beats_supervised_with_few_labels_and_its_posterior_covers_the_truth() {
    let report = run(&Settings::quick(), &mut |_| {}).unwrap().report;
    let fewest = &report.sweep[0];
    let summary = format!(
        "{:?}\n{:?}\n{:?}",
        report.sweep, report.inverse_mean, report.inflated_mean
    );
    // Forward: with 5 labels, the weak residuals of the unlabelled fields cut the supervised
    // operator's error by at least a third, and DGNO is accurate to well under half the solution.
    assert_eq!(fewest.labels, 5);
    assert!(report.dgno_better_at_fewest_labels, "{summary}");
    assert!(fewest.dgno_error < 0.4, "{summary}");
    // Inverse: the posterior mean gets most of the phases right (a constant guess gets about half
    // wrong) and u within 15 %; the true phase lies in the 90 % interval of a at most nodes.
    let m = &report.inverse_mean;
    assert!(m.a_misclassified < 0.25, "{summary}");
    assert!(m.u_error < 0.15, "{summary}");
    assert!(m.a_coverage_90 > 0.85, "{summary}");
    // u's intervals are too narrow (see the README): coverage of 90 % intervals stays far below
    // nominal with the noise alone, and adding the surrogate's error widens them.
    assert!(
        report.inflated_mean.u_coverage_90 > m.u_coverage_90,
        "{summary}"
    );
}
