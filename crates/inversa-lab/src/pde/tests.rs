//! The solver against closed forms: conservation without reaction, the heat kernel, the
//! Fisher–KPP travelling-wave speed `2√(Dρ)`, and the maximum principle; the sensors' counts.

use super::reaction_diffusion::FisherKpp;
use super::sensors::{noisy, segment};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// A Gaussian bump `exp(−|x − c|² / (2σ²))` on an `n × n` grid of side `h`, centred cell-wise.
fn bump(n: usize, h: f64, sigma: f64) -> Vec<f64> {
    let c = 0.5 * n as f64 * h;
    (0..n * n)
        .map(|k| {
            let (x, y) = (
                ((k % n) as f64 + 0.5) * h - c,
                ((k / n) as f64 + 0.5) * h - c,
            );
            (-(x * x + y * y) / (2.0 * sigma * sigma)).exp()
        })
        .collect()
}

#[test]
fn no_reaction_conserves_mass_on_a_heterogeneous_masked_domain() {
    let n = 40;
    // A ring-shaped domain with a diffusivity that varies tenfold: no flux leaves it.
    let unit: Vec<f64> = (0..n * n)
        .map(|k| {
            let (x, y) = ((k % n) as f64 - 19.5, (k / n) as f64 - 19.5);
            let r = (x * x + y * y).sqrt();
            if (4.0..18.0).contains(&r) {
                if x > 0.0 {
                    1.0
                } else {
                    0.1
                }
            } else {
                0.0
            }
        })
        .collect();
    let solver = FisherKpp::new(n, n, 0.1, &unit).unwrap();
    let mut u: Vec<f64> = bump(n, 0.1, 0.6)
        .iter()
        .zip(&unit)
        .map(|(v, &d)| if d > 0.0 { *v } else { 0.0 })
        .collect();
    let before: f64 = u.iter().sum();
    let steps = solver.stable_steps(1.0, 0.0, 0.5);
    solver.run(&mut u, 1.0, 0.0, 0.5, steps).unwrap();
    let after: f64 = u.iter().sum();
    assert!(
        (after - before).abs() < 1e-12 * before,
        "{before} → {after}"
    );
    // The mass moved: the test would pass vacuously on a frozen field.
    let peak = u.iter().cloned().fold(0.0, f64::max);
    assert!(peak < 0.9, "peak {peak}");
}

#[test]
fn no_reaction_follows_the_heat_kernel() {
    // Uniform D on an open square large enough that the boundary is not felt:
    // a Gaussian of variance σ₀² spreads to σ₀² + 2Dt with its mass kept.
    let (n, h, d, t, sigma0) = (120, 0.05, 0.5, 0.2, 0.3);
    let solver = FisherKpp::new(n, n, h, &vec![1.0; n * n]).unwrap();
    let mut u = bump(n, h, sigma0);
    solver
        .run(&mut u, d, 0.0, t, solver.stable_steps(d, 0.0, t))
        .unwrap();
    let variance = sigma0 * sigma0 + 2.0 * d * t;
    let exact: Vec<f64> = bump(n, h, variance.sqrt())
        .iter()
        .map(|v| v * sigma0 * sigma0 / variance)
        .collect();
    let error = u
        .iter()
        .zip(&exact)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert!(error < 2e-3, "max error {error}");
}

/// Where a 1-D front `u = 1/2` lies on a strip (linear interpolation between cells).
fn front(u: &[f64], h: f64) -> f64 {
    let k = u.iter().position(|&v| v < 0.5).unwrap();
    let (a, b) = (u[k - 1], u[k]);
    ((k - 1) as f64 + (a - 0.5) / (a - b) + 0.5) * h
}

#[test]
fn fisher_kpp_front_moves_at_two_root_d_rho() {
    // A strip one cell tall is the 1-D equation; a step initial condition develops the pulled
    // front of speed 2√(Dρ), whose position lags by Bramson's (3/2) √(D/ρ) ln t.
    let (n, h, d, rho) = (1800, 0.05, 0.5, 2.0);
    let solver = FisherKpp::new(n, 1, h, &vec![1.0; n]).unwrap();
    let mut u: Vec<f64> = (0..n).map(|k| if k < 40 { 1.0 } else { 0.0 }).collect();
    let (t1, t2) = (15.0, 30.0);
    solver
        .run(&mut u, d, rho, t1, solver.stable_steps(d, rho, t1))
        .unwrap();
    let x1 = front(&u, h);
    let dt = t2 - t1;
    solver
        .run(&mut u, d, rho, dt, solver.stable_steps(d, rho, dt))
        .unwrap();
    let speed = (front(&u, h) - x1) / dt;
    let lag = 1.5 * (d / rho).sqrt() * (t2 / t1).ln() / dt;
    let exact = 2.0 * (d * rho).sqrt() - lag;
    assert!(
        (speed / exact - 1.0).abs() < 0.01,
        "speed {speed}, 2√(Dρ) − lag = {exact}"
    );
}

#[test]
fn the_stable_step_keeps_the_field_in_the_unit_interval() {
    let n = 30;
    let solver = FisherKpp::new(n, n, 0.2, &vec![1.0; n * n]).unwrap();
    let mut u: Vec<f64> = (0..n * n)
        .map(|k| if k % 7 == 0 { 1.0 } else { 0.0 })
        .collect();
    solver
        .run(&mut u, 2.0, 5.0, 1.0, solver.stable_steps(2.0, 5.0, 1.0))
        .unwrap();
    assert!(u.iter().all(|&v| (0.0..=1.0).contains(&v)));
    // One step too few breaks the bound and is refused, not run.
    let steps = solver.stable_steps(2.0, 5.0, 1.0) - 1;
    assert!(solver.run(&mut u, 2.0, 5.0, 1.0, steps).is_err());
}

#[test]
fn sensors_segment_by_levels_and_add_noise_of_the_given_spread() {
    assert_eq!(
        segment(&[0.1, 0.3, 0.7, 0.9], &[0.25, 0.675]),
        vec![0, 1, 2, 2]
    );
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let readings = noisy(&vec![1.0; 20_000], 0.1, &mut rng);
    let mean = readings.iter().sum::<f64>() / 20_000.0;
    let spread = (readings.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / 20_000.0).sqrt();
    assert!(
        (mean - 1.0).abs() < 3e-3 && (spread - 0.1).abs() < 3e-3,
        "{mean} {spread}"
    );
}

#[test]
fn the_network_jet_matches_finite_differences_of_its_value() {
    use super::mlp::Mlp;
    use candle_core::{Device, Tensor};
    let net = Mlp::new(16, 3, 5).unwrap();
    let (a, b, e) = (0.3, -0.7, 1e-4);
    let points = [(a, b), (a + e, b), (a - e, b), (a, b + e), (a, b - e)];
    let flat: Vec<f64> = points.iter().flat_map(|&(p, q)| [p, q]).collect();
    let input = Tensor::from_vec(flat, (5, 2), &Device::Cpu).unwrap();
    let jet = net.jet(&input).unwrap();
    let v: Vec<f64> = jet.value.flatten_all().unwrap().to_vec1().unwrap();
    let at = |t: &Tensor| t.flatten_all().unwrap().to_vec1::<f64>().unwrap()[0];
    let da = (v[1] - v[2]) / (2.0 * e);
    let daa = (v[1] - 2.0 * v[0] + v[2]) / (e * e);
    let db = (v[3] - v[4]) / (2.0 * e);
    assert!((at(&jet.da) - da).abs() < 1e-7, "{} {da}", at(&jet.da));
    assert!((at(&jet.daa) - daa).abs() < 1e-4, "{} {daa}", at(&jet.daa));
    assert!((at(&jet.db) - db).abs() < 1e-7, "{} {db}", at(&jet.db));
}

mod kuramoto_sivashinsky {
    use crate::pde::kuramoto_sivashinsky::{phi1, Etdrk4};
    use std::f64::consts::PI;

    fn wave(n: usize, j: usize, amplitude: f64) -> Vec<f64> {
        (0..n)
            .map(|i| amplitude * (2.0 * PI * j as f64 * i as f64 / n as f64).cos())
            .collect()
    }

    #[test]
    fn tiny_waves_follow_the_linear_growth_rate_exactly() {
        // At amplitude 1e-9 the quadratic term is 1e-18: each wave grows or decays at
        // λ = k² − k⁴ (the first three waves of L = 22 grow, the fourth decays).
        let (n, length, t) = (64, 22.0, 2.0);
        let solver = Etdrk4::new(n, length, 0.05);
        for j in [1, 2, 3, 4, 6] {
            let u = solver.advance(&wave(n, j, 1e-9), 40, None);
            let k = 2.0 * PI * j as f64 / length;
            let expected = 1e-9 * ((k * k - k.powi(4)) * t).exp();
            let measured = u[0];
            assert!(
                (measured / expected - 1.0).abs() < 1e-6,
                "wave {j}: {measured:e} against {expected:e}"
            );
        }
    }

    #[test]
    fn the_mean_is_conserved_and_the_scheme_is_fourth_order() {
        let (n, length) = (64, 22.0);
        let start: Vec<f64> = (0..n)
            .map(|i| {
                let x = 2.0 * PI * i as f64 / n as f64;
                0.3 + (x).cos() + 0.5 * (2.0 * x).sin() + 0.2 * (3.0 * x).cos()
            })
            .collect();
        let run =
            |h: f64| Etdrk4::new(n, length, h).advance(&start, (4.0 / h).round() as usize, None);
        let (coarse, fine, finest) = (run(0.05), run(0.025), run(0.003125));
        let mean = fine.iter().sum::<f64>() / n as f64;
        assert!((mean - 0.3).abs() < 1e-12, "{mean}");
        let distance = |a: &[f64], b: &[f64]| {
            a.iter()
                .zip(b)
                .map(|(x, y)| (x - y).abs())
                .fold(0.0, f64::max)
        };
        // Halving h divides the error by 2⁴ = 16 for a fourth-order method; ETDRK4's stiff order
        // can fall short of four (Hochbruck & Ostermann 2005), and 2^3.2 was measured here, so
        // the test asks for more than third order's 8 less a margin, and far more than second's 4.
        let ratio = distance(&coarse, &finest) / distance(&fine, &finest);
        assert!((7.0..24.0).contains(&ratio), "error ratio {ratio}");
        // The field moved: the test would pass vacuously on a frozen one.
        assert!(distance(&start, &fine) > 0.1);
    }

    #[test]
    fn multiplier_matrices_apply_the_symbol_to_each_wave() {
        let (n, length, dt) = (32, 22.0, 0.25);
        let solver = Etdrk4::new(n, length, 0.05);
        let symbol = solver.spectral.ks_symbol();
        let matrix = solver
            .spectral
            .multiplier_matrix(&symbol, |l| dt * phi1(dt * l));
        for j in [0, 1, 5] {
            let u = wave(n, j, 1.0);
            let k = 2.0 * PI * j as f64 / length;
            let gain = dt * phi1(dt * (k * k - k.powi(4)));
            for (row, &value) in u.iter().enumerate() {
                let applied: f64 = (0..n).map(|c| matrix[row * n + c] * u[c]).sum();
                assert!((applied - gain * value).abs() < 1e-12, "wave {j}");
            }
        }
        assert!(
            (phi1(1e-9) - 1.0).abs() < 1e-9
                && (phi1(-2.0) - (1.0 - (-2.0f64).exp()) / 2.0).abs() < 1e-15
        );
    }
}
