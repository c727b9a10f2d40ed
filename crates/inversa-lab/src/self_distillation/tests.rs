use super::krr::{optimal_weight, squared_error};
use super::*;
use inversa::numerics::gaussian;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

#[test]
fn closed_forms_match_brute_force_iteration() {
    let outcome = run(&Settings::quick(), &mut |_| {}).unwrap();
    for regime in &outcome.report.regimes {
        let c = &regime.checks;
        assert!(c.closed_form_vs_iteration < 1e-10, "{c:?}");
        assert!(c.from_initial_fit_vs_iteration < 1e-10, "{c:?}");
        assert!(c.constant_weight_form_vs_iteration < 1e-10, "{c:?}");
        assert!(c.limit_vs_amplified_ridge < 1e-10, "{c:?}");
        // The grid's best point is the one nearest the closed form, and no grid point beats it.
        assert!(c.optimal_weight_vs_grid_spacings <= 0.5 + 1e-9, "{c:?}");
        assert!(c.grid_minimum_minus_closed_form >= -1e-12, "{c:?}");
    }
    outcome.check_finite().unwrap();
}

#[test]
fn labels_dampen_the_regularisation_of_distillation() {
    let outcome = run(&Settings::quick(), &mut |_| {}).unwrap();
    let [small, large] = &outcome.report.regimes[..] else {
        panic!("two regimes expected")
    };
    // An overfitting teacher (small c): distillation lowers the test error.
    assert!(small.gain_over_initial > 0.05, "{small:?}");
    // A well-regularised teacher (larger c): without the labels the steps over-regularise;
    // with the validation-optimal weight on the labels they do not.
    assert!(large.gain_without_labels_final_step < -0.2, "{large:?}");
    assert!(large.gain_over_initial_final_step > -0.05, "{large:?}");
    assert!(large.interior_weights > 0.3, "{large:?}");
}

#[test]
fn optimal_weight_minimises_the_quadratic() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    for _ in 0..50 {
        let [u, v, r] = [0, 1, 2].map(|_| gaussian(&mut rng, 7));
        let alpha = optimal_weight(&u, &v, &r);
        let cost = |a: f64| -> f64 {
            let fit: Vec<f64> = v.iter().zip(&u).map(|(vi, ui)| vi + a * ui).collect();
            squared_error(&fit, &r)
        };
        let best = (0..=10_000)
            .map(|i| cost(i as f64 / 10_000.0))
            .fold(f64::INFINITY, f64::min);
        assert!(cost(alpha) <= best + 1e-12);
    }
}

#[test]
fn settings_are_checked_by_name() {
    let settings = Settings {
        ridges: vec![0.1, -1.0],
        ..Settings::quick()
    };
    let error = run(&settings, &mut |_| {}).err().unwrap();
    assert!(matches!(error, Error::Setting { ref key, .. } if key == "ridges"));
    let settings = Settings {
        train: 2,
        ..Settings::quick()
    };
    let error = run(&settings, &mut |_| {}).err().unwrap();
    assert!(matches!(error, Error::Setting { ref key, .. } if key == "train"));
}
