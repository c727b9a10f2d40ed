//! The Kolmogorov-flow solver against closed forms: a single Fourier mode decays as
//! `e^{−(ν|k|²+α)t}`, the laminar profile is steady, the advection of a two-mode field matches the
//! hand-computed Jacobian, the inviscid unforced flow conserves energy and enstrophy, and the
//! spectrum and the filter on single modes.

use super::kolmogorov_flow::{energy_spectrum, filter_to, Flow, Solver};
use std::f64::consts::PI;

fn flow(n: usize, viscosity: f64, drag: f64, forcing: f64) -> Flow {
    Flow {
        n,
        viscosity,
        drag,
        forcing,
        forcing_wavenumber: 4,
    }
}

/// `f(x, y)` on the `n²` grid, row `j` at `y = 2πj/n`.
fn grid(n: usize, f: impl Fn(f64, f64) -> f64) -> Vec<f64> {
    let at = |j: usize| 2.0 * PI * j as f64 / n as f64;
    (0..n * n).map(|i| f(at(i % n), at(i / n))).collect()
}

fn max_difference(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

#[test]
fn a_single_fourier_mode_decays_exactly_as_the_heat_equation_says() {
    let (nu, alpha, t) = (0.05, 0.1, 1.0);
    let solver = Solver::new(flow(32, nu, alpha, 0.0), 0.05);
    let start = grid(32, |x, y| 0.7 * (2.0 * x + 3.0 * y).cos());
    let end = solver.advance(&start, 20);
    let decay = (-(nu * 13.0 + alpha) * t).exp();
    let expected: Vec<f64> = start.iter().map(|v| v * decay).collect();
    assert!(
        max_difference(&end, &expected) < 1e-12,
        "{}",
        max_difference(&end, &expected)
    );
}

#[test]
fn the_laminar_kolmogorov_profile_is_steady() {
    let solver = Solver::new(flow(32, 0.05, 0.1, 1.0), 0.01);
    let laminar = solver.laminar();
    let end = solver.advance(&laminar, 200);
    let scale = laminar.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    assert!(max_difference(&end, &laminar) < 1e-8 * scale);
}

#[test]
fn the_advection_of_two_modes_matches_the_hand_computed_jacobian() {
    // ω = cos x + cos 2y: ψ = cos x + cos(2y)/4, u = ∂_yψ = −sin(2y)/2, v = −∂_xψ = sin x, so
    // u ω_x + v ω_y = −(3/2) sin x sin 2y and the unforced tendency is +(3/2) sin x sin 2y.
    let solver = Solver::new(flow(16, 0.0, 0.0, 0.0), 0.01);
    let omega = grid(16, |x, y| x.cos() + (2.0 * y).cos());
    let tendency = solver.to_grid(&solver.tendency(&solver.to_fourier(&omega)));
    let expected = grid(16, |x, y| 1.5 * x.sin() * (2.0 * y).sin());
    assert!(max_difference(&tendency, &expected) < 1e-12);
}

#[test]
fn the_inviscid_unforced_flow_conserves_energy_and_enstrophy() {
    let solver = Solver::new(flow(32, 0.0, 0.0, 0.0), 0.005);
    let omega = grid(32, |x, y| {
        (x + 0.3).cos()
            + 0.8 * (2.0 * y).sin()
            + 0.5 * (x + 2.0 * y).cos()
            + 0.4 * (3.0 * x - y).sin()
    });
    let energy = |w: &[f64]| energy_spectrum(&solver, w).iter().sum::<f64>();
    let enstrophy = |w: &[f64]| w.iter().map(|v| v * v).sum::<f64>();
    let end = solver.advance(&omega, 200);
    assert!(max_difference(&end, &omega) > 0.1, "the flow must move");
    assert!((energy(&end) / energy(&omega) - 1.0).abs() < 1e-6);
    assert!((enstrophy(&end) / enstrophy(&omega) - 1.0).abs() < 1e-6);
}

#[test]
fn the_spectrum_and_the_filter_on_single_modes() {
    // ω = A cos 3x: v = (A/3) sin 3x, mean kinetic energy ½·½(A/3)² = A²/36, all in shell 3.
    let solver = Solver::new(flow(32, 0.0, 0.0, 0.0), 0.01);
    let spectrum = energy_spectrum(&solver, &grid(32, |x, _| 2.0 * (3.0 * x).cos()));
    for (i, e) in spectrum.iter().enumerate() {
        let expected = if i + 1 == 3 { 4.0 / 36.0 } else { 0.0 };
        assert!((e - expected).abs() < 1e-12, "shell {}: {e}", i + 1);
    }
    // Mode (2, −1) survives the cut to 8² and is sampled there exactly; mode (5, 0) is removed.
    let coarse = Solver::new(flow(8, 0.0, 0.0, 0.0), 0.01);
    let field = grid(32, |x, y| (2.0 * x - y).sin() + 0.5 * (5.0 * x).cos());
    let filtered = filter_to(&solver, &coarse, &field);
    let expected = grid(8, |x, y| (2.0 * x - y).sin());
    assert!(max_difference(&filtered, &expected) < 1e-12);
}
