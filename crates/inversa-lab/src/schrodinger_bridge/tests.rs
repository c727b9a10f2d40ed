use super::closed_form::{
    brownian_cross_covariance, coupling_cross_covariance, inverse, linear_cross_covariance, mul,
    relative_error, shift, transpose, Mat2,
};
use super::paths::{independent_path_mse, path_mse};
use super::reference::{Features, Reference};
use super::*;
use inversa::numerics::seeded_gaussian;

/// `n` draws of `N(0, cov)`.
fn draws(cov: Mat2, n: usize, seed: u64) -> Vec<Point> {
    let l11 = cov[0].sqrt();
    let l21 = cov[2] / l11;
    let l22 = (cov[3] - l21 * l21).sqrt();
    seeded_gaussian(seed, 2 * n)
        .chunks(2)
        .map(|z| [l11 * z[0], l21 * z[0] + l22 * z[1]])
        .collect()
}

const PARAMS: sinkhorn::Params = sinkhorn::Params {
    tolerance: 1e-8,
    max_iterations: 100_000,
};
const SIGMA0: Mat2 = [1.0, 0.3, 0.3, 0.5];
const SIGMA1: Mat2 = [0.8, -0.2, -0.2, 1.2];

/// Mean relative error of Sinkhorn's cross-covariance against `exact` over three draws of `n`
/// particles, for the reference `reference` over a gap `dt`.
fn sinkhorn_error(reference: &Reference, dt: f64, exact: Mat2, n: usize) -> f64 {
    (0..3)
        .map(|seed| {
            let (x, y) = (draws(SIGMA0, n, 2 * seed), draws(SIGMA1, n, 2 * seed + 1));
            let coupling =
                sinkhorn::solve(&reference.cost(&x, &y, dt), n, n, None, PARAMS).unwrap();
            relative_error(coupling_cross_covariance(&coupling, &x, &y), exact)
        })
        .sum::<f64>()
        / 3.0
}

#[test]
fn closed_forms_solve_their_defining_equations() {
    // The Brownian bridge's cross-covariance solves C = Σ₀ (Σ₁ − Cᵀ Σ₀⁻¹ C) / s.
    for s in [0.05, 0.5, 4.0] {
        let c = brownian_cross_covariance(SIGMA0, SIGMA1, s);
        let schur: Mat2 = {
            let t = mul(mul(transpose(c), inverse(SIGMA0)), c);
            [
                SIGMA1[0] - t[0],
                SIGMA1[1] - t[1],
                SIGMA1[2] - t[2],
                SIGMA1[3] - t[3],
            ]
        };
        let rhs = mul(SIGMA0, schur).map(|v| v / s);
        assert!(relative_error(c, rhs) < 1e-12, "s = {s}: {c:?} vs {rhs:?}");
    }
    // For the reference that generated Σ₁ = M Σ₀ Mᵀ + qI, the bridge is the true coupling Σ₀ Mᵀ.
    let (m, q) = ([0.85, 0.5, -0.5, 0.85], 0.3);
    let sigma1 = shift(mul(mul(m, SIGMA0), transpose(m)), q);
    let c = linear_cross_covariance(SIGMA0, sigma1, m, q);
    assert!(
        relative_error(c, mul(SIGMA0, transpose(m))) < 1e-12,
        "{c:?}"
    );
}

#[test]
fn sinkhorn_matches_the_gaussian_closed_form_and_improves_with_particles() {
    let s = 0.5;
    let brownian = Reference::brownian(Features::Linear, 1.0);
    let exact = brownian_cross_covariance(SIGMA0, SIGMA1, s);
    let (coarse, fine) = (
        sinkhorn_error(&brownian, s, exact, 100),
        sinkhorn_error(&brownian, s, exact, 1600),
    );
    // Finite-sample error, O(n^-1/2): within 5% at 1,600 particles, and smaller than at 100.
    assert!(fine < 0.05 && fine < coarse, "{coarse} → {fine}");
    // A linear reference N(y; Mx + m, qI) (θ rows (M − I)/Δ and an offset, σ²Δ = q).
    let dt = 0.5;
    let linear = Reference {
        features: Features::Linear,
        theta: vec![-0.3, 1.0, 0.2, -1.0, -0.3, -0.1],
        sigma: 1.0,
    };
    let m = [1.0 - 0.15, 0.5, -0.5, 1.0 - 0.15];
    let exact = linear_cross_covariance(SIGMA0, SIGMA1, m, dt);
    let error = sinkhorn_error(&linear, dt, exact, 1600);
    assert!(error < 0.05, "{error}");
}

#[test]
fn sinkhorn_meets_its_marginals_and_refuses_an_unreachable_particle() {
    let n = 50;
    let (x, y) = (draws(SIGMA0, n, 7), draws(SIGMA1, n, 8));
    let brownian = Reference::brownian(Features::Linear, 0.3);
    let coupling = sinkhorn::solve(&brownian.cost(&x, &y, 0.5), n, n, None, PARAMS).unwrap();
    let rows: f64 = (0..n)
        .map(|i| (coupling.row_mass(i) - 1.0 / n as f64).abs())
        .sum();
    let columns: f64 = (0..n)
        .map(|j| ((0..n).map(|i| coupling.row(i)[j]).sum::<f64>() - 1.0 / n as f64).abs())
        .sum();
    assert!(
        rows <= PARAMS.tolerance && columns < 1e-12,
        "{rows} {columns}"
    );
    // A particle a thousand transition deviations from every other: an error, not a NaN.
    let mut far = y.clone();
    far[0] = [1e3, 0.0];
    let error = sinkhorn::solve(&brownian.cost(&x, &far, 0.5), n, n, None, PARAMS).err();
    assert!(matches!(error, Some(Error::Core(_))), "{error:?}");
}

#[test]
fn fit_recovers_the_drift_from_exact_pairs() {
    for (features, theta) in [
        (Features::Linear, vec![-0.3, 1.0, 0.2, -1.0, -0.3, -0.1]),
        (Features::LotkaVolterra, vec![1.0, -0.25, -1.0, 0.25]),
    ] {
        let truth = Reference {
            features,
            theta,
            sigma: 0.2,
        };
        let x: Vec<Point> = draws(SIGMA0, 40, 3)
            .iter()
            .map(|p| [p[0] + 3.0, p[1] + 2.0])
            .collect();
        // Noise-free steps: the least squares has the drift as its exact solution.
        let y: Vec<Point> = x.iter().map(|&p| truth.mean(p, 0.4)).collect();
        let fitted = Reference::brownian(features, 0.2)
            .fit_pairs(&[x, y], &[0.4])
            .unwrap();
        let error: f64 = fitted
            .theta
            .iter()
            .zip(&truth.theta)
            .map(|(a, b)| (a - b).abs())
            .sum();
        assert!(error < 1e-9, "{features:?}: {:?}", fitted.theta);
    }
}

#[test]
fn path_error_is_zero_for_the_identity_and_matches_independence() {
    let n = 30;
    let snapshots: Vec<Vec<Point>> = (0..3).map(|k| draws(SIGMA1, n, 20 + k)).collect();
    let coupling = |plan: Vec<f64>| sinkhorn::Coupling {
        n,
        m: n,
        plan,
        potential: vec![0.0; n],
        iterations: 0,
    };
    let diagonal = (0..n * n).map(|k| if k / n == k % n { 1.0 / n as f64 } else { 0.0 });
    let identity = vec![coupling(diagonal.collect()); 2];
    assert!(path_mse(&snapshots, &identity) < 1e-15);
    let uniform = vec![coupling(vec![1.0 / (n * n) as f64; n * n]); 2];
    let (chained, direct) = (
        path_mse(&snapshots, &uniform),
        independent_path_mse(&snapshots),
    );
    assert!(
        (chained - direct).abs() < 1e-12 * direct,
        "{chained} vs {direct}"
    );
}

#[test]
fn refinement_recovers_the_reference_and_the_trajectories() {
    let settings = Settings::quick();
    let outcome = run(&settings, &mut |_| {}).unwrap();
    outcome.check_finite().unwrap();
    let report = &outcome.report;
    assert!(
        report.closed_form.brownian_relative_error < 0.15,
        "{:?}",
        report.closed_form
    );
    assert!(
        report.closed_form.true_reference_relative_error < 0.15,
        "{:?}",
        report.closed_form
    );
    let [gaussian, ecology] = &report.scenarios[..] else {
        panic!("two scenarios expected")
    };
    let last = settings.refinements;
    // The Gaussian chain's drift is in the class: refinement finds it, within the finite-sample
    // error of 200 particles, and its paths are as good as the true reference's.
    assert!(gaussian.parameter_error[last] < 0.05, "{gaussian:?}");
    assert!(
        gaussian.path_mse[last] < 1.05 * gaussian.path_mse_true_reference,
        "{gaussian:?}"
    );
    // On both, refined paths are far closer to the true ones than the Brownian reference's.
    for s in [gaussian, ecology] {
        assert!(s.path_mse[last] < 0.5 * s.path_mse[0], "{s:?}");
        assert!(
            s.parameter_error[last] < 0.5 * s.parameter_error[0],
            "{s:?}"
        );
    }
    // The ecology's class (one Euler step) only approximates its transition: refinement arrives
    // near the class's fit to the true pairs, not at the Lotka–Volterra coefficients.
    assert!(ecology.refined_vs_true_pairs < 0.15, "{ecology:?}");
}

#[test]
fn gaussian_drift_error_shrinks_with_the_particle_count() {
    let error = |particles: usize| -> f64 {
        let settings = Settings {
            particles,
            ..Settings::quick()
        };
        let refined = refine(&simulate::gaussian_chain(&settings), &settings).unwrap();
        refined.report.parameter_error[settings.refinements]
    };
    let (few, many) = (error(50), error(800));
    // Finite-sample error, O(n^-1/2): the stated tolerance 0.5/√n at 800 particles.
    assert!(many < 0.5 / 800f64.sqrt() && many < few, "{few} → {many}");
}

#[test]
fn settings_are_checked_by_name() {
    let refused = |settings: Settings, key: &str| {
        let error = run(&settings, &mut |_| {}).err().unwrap();
        assert!(
            matches!(error, Error::Setting { key: ref k, .. } if k == key),
            "{error}"
        );
    };
    refused(
        Settings {
            sigma: -1.0,
            ..Settings::quick()
        },
        "sigma",
    );
    refused(
        Settings {
            snapshots: 2,
            ..Settings::quick()
        },
        "snapshots",
    );
    // 10⁷ particles: 800 TB of couplings, refused before anything is allocated.
    refused(
        Settings {
            particles: 10_000_000,
            ..Settings::quick()
        },
        "particles",
    );
}
