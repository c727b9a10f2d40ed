//! The pieces against closed forms (the exact solutions, the grid's interpolants and diffusion
//! solve, the network's slope), then the claim at the quick setting.

use super::field::{column, Siren};
use super::grid::{implicit_diffusion, solve, Grid, Interpolation};
use super::problems::{relative_error, Problem};
use super::{run, Settings};

const ADVECTION: Problem = Problem::Advection {
    speed: 0.25,
    dt: 0.09,
    steps: 10,
};

#[test]
fn the_advected_pulse_is_the_initial_one_shifted() {
    for &(x, t) in &[(-1.2, 0.7), (0.3, 5.0)] {
        let moved = ADVECTION.exact(x + 0.25 * t, t);
        assert!((moved - ADVECTION.initial(x)).abs() < 1e-12);
    }
}

#[test]
fn interpolants_are_exact_on_polynomials_of_their_degree() {
    let burgers = Problem::Burgers {
        viscosity: 0.01,
        dt: 0.01,
        steps: 1,
    };
    let mut grid = Grid::initial(&burgers, 9, Interpolation::Cubic);
    let nodes: Vec<f64> = (0..9).map(|i| -1.0 + 0.25 * i as f64).collect();
    let cubic = |x: f64| 0.3 - x + 2.0 * x * x - 0.7 * x * x * x;
    grid.values = nodes.iter().map(|&x| cubic(x)).collect();
    for x in [-1.0, -0.93, -0.1, 0.55, 0.99, 1.0] {
        assert!((grid.at(x) - cubic(x)).abs() < 1e-12, "{x}");
    }
    let mut linear = Grid::initial(&burgers, 9, Interpolation::Linear);
    linear.values = nodes.iter().map(|&x| 2.0 * x - 0.5).collect();
    assert!((linear.at(0.37) - (2.0 * 0.37 - 0.5)).abs() < 1e-12);
}

#[test]
fn the_implicit_diffusion_solve_satisfies_its_equations() {
    let b = [0.0, 0.4, -1.0, 2.0, 0.3, 0.0];
    let r = 0.7;
    let u = implicit_diffusion(&b, r);
    assert_eq!((u[0], u[5]), (0.0, 0.0));
    for i in 1..5 {
        let row = u[i] - r * (u[i - 1] - 2.0 * u[i] + u[i + 1]);
        assert!(
            (row - b[i]).abs() < 1e-12,
            "row {i}: {row} against {}",
            b[i]
        );
    }
}

#[test]
fn the_fine_grid_converges_to_the_exact_solutions() {
    // Advection's semi-Lagrangian step is exact in time: the fine grid is exact to its spatial error.
    let t = ADVECTION.horizon();
    let grid = solve(&ADVECTION, 2001, Interpolation::Cubic);
    let xs: Vec<f64> = (0..401).map(|i| -2.0 + 0.01 * i as f64).collect();
    let exact: Vec<f64> = xs.iter().map(|&x| ADVECTION.exact(x, t)).collect();
    let values: Vec<f64> = xs.iter().map(|&x| grid.at(x)).collect();
    assert!(relative_error(&values, &exact) < 1e-5);
    // Burgers: first order in Δt, so halving Δt about halves the error.
    let error = |dt: f64, steps: usize| {
        let p = Problem::Burgers {
            viscosity: 0.02,
            dt,
            steps,
        };
        let grid = solve(&p, 2001, Interpolation::Cubic);
        let xs: Vec<f64> = (0..201).map(|i| -1.0 + 0.01 * i as f64).collect();
        let exact: Vec<f64> = xs.iter().map(|&x| p.exact(x, 0.4)).collect();
        let values: Vec<f64> = xs.iter().map(|&x| grid.at(x)).collect();
        relative_error(&values, &exact)
    };
    let (coarse, fine) = (error(0.02, 20), error(0.01, 40));
    assert!(coarse < 0.05 && fine < 0.6 * coarse, "{coarse} then {fine}");
}

#[test]
fn the_networks_slope_matches_finite_differences() {
    let net = Siren::new(6, 2, 30.0, 3).unwrap();
    let a = [-0.4, 0.1, 0.77];
    let (_, slope) = net.value_and_slope(&column(&a).unwrap()).unwrap();
    let slope = slope.flatten_all().unwrap().to_vec1::<f64>().unwrap();
    let frozen = net.freeze().unwrap();
    let h = 1e-6;
    for (i, &x) in a.iter().enumerate() {
        let v = frozen.eval(&[x - h, x + h]).unwrap();
        let by_differences = (v[1] - v[0]) / (2.0 * h);
        assert!(
            (slope[i] - by_differences).abs() < 1e-5 * (1.0 + by_differences.abs()),
            "{} against {by_differences}",
            slope[i]
        );
    }
    // Weights 1·6 + 6, 6·6 + 6, 6 + 1.
    assert_eq!(net.parameters(), 61);
}

#[test]
fn insr_beats_the_grid_at_matched_memory_on_advection_and_improves_with_width() {
    let settings = Settings::quick();
    let outcome = run(&settings, &mut |_| {}).unwrap();
    let advection = &outcome.report.advection;
    let errors: Vec<f64> = advection.insr.iter().map(|r| r.error).collect();
    // More weights, less error: every width below the next.
    assert!(errors.windows(2).all(|w| w[1] < w[0]), "{errors:?}");
    // At the middle (small) memory, INSR below the linear semi-Lagrangian grid of as many values.
    let middle = &advection.insr[1];
    let grid = advection
        .grids
        .iter()
        .find(|g| g.memory == middle.memory)
        .unwrap();
    assert!(
        middle.error < 0.5 * grid.linear_error,
        "INSR {} against the linear grid's {}",
        middle.error,
        grid.linear_error
    );
    let burgers = &outcome.report.burgers;
    assert!(burgers.insr.iter().all(|r| r.error < 0.5), "{burgers:?}");
}
