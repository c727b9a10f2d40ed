//! The exact solutions against their PDEs, then the claim at the quick setting.

use super::problem::{cole_hopf, Problem};
use super::{run, Settings};

#[test]
fn cole_hopf_satisfies_burgers_and_starts_from_the_sine() {
    let nu = 0.05;
    let (h, k) = (1e-3, 1e-4);
    for &(x, t) in &[(0.3, 0.2), (-0.6, 0.5), (0.1, 0.9)] {
        let u = |x: f64, t: f64| cole_hopf(x, t, nu);
        let u_t = (u(x, t + k) - u(x, t - k)) / (2.0 * k);
        let u_x = (u(x + h, t) - u(x - h, t)) / (2.0 * h);
        let u_xx = (u(x + h, t) - 2.0 * u(x, t) + u(x - h, t)) / (h * h);
        let residual = u_t + u(x, t) * u_x - nu * u_xx;
        assert!(residual.abs() < 1e-4, "residual {residual} at ({x}, {t})");
    }
    let start = cole_hopf(0.4, 1e-7, nu);
    assert!(
        (start + (std::f64::consts::PI * 0.4).sin()).abs() < 1e-3,
        "{start}"
    );
    // The boundary condition u(±1, t) = 0 holds by symmetry.
    assert!(cole_hopf(1.0, 0.5, nu).abs() < 1e-9 && cole_hopf(-1.0, 0.5, nu).abs() < 1e-9);
}

#[test]
fn advection_exact_solution_is_carried_at_speed_c() {
    let p = Problem::Advection { speed: 7.0 };
    for &(x, t) in &[(0.5, 0.1), (3.0, 0.7)] {
        assert!((p.exact(x + 7.0 * t, t) - p.initial(x)).abs() < 1e-12);
    }
}

#[test]
fn the_standard_pinn_fails_at_high_speed_where_the_lagrangian_one_does_not() {
    let outcome = run(&Settings::quick(), &mut |_| {}).unwrap();
    let report = &outcome.report;
    let [slow, fast] = [&report.advection[0], &report.advection[1]];
    // At c = 1 both fit; at c = 30 the standard PINN misses the solution entirely (error of
    // order one) while the LPINN's error stays a small fraction of it.
    assert!(slow.fits.eulerian.error < super::FAILURE, "{slow:?}");
    assert!(slow.fits.lagrangian.error < super::FAILURE, "{slow:?}");
    assert!(fast.fits.eulerian.error > 3.0 * super::FAILURE, "{fast:?}");
    assert!(
        fast.fits.lagrangian.error < fast.fits.eulerian.error / 3.0,
        "{fast:?}"
    );
}
