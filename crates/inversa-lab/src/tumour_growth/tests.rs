//! The pieces against independent references, then the claim at the quick setting.

use super::model::{
    dice, negative_log_likelihood, observe, segment_truth, simulate, Brain, CELL_CM, LEVELS,
};
use super::search::Trace;
use super::{cmaes, gradient, run, Database, Settings, Tumour};
use crate::pde::sensors::segment;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// An ill-conditioned quadratic with its minimum at `(0.3, 0.7, 0.2, 0.6)`.
fn ellipsoid(points: &[[f64; 4]]) -> crate::Result<Vec<f64>> {
    let centre = [0.3, 0.7, 0.2, 0.6];
    let scales = [1.0, 10.0, 100.0, 1000.0];
    Ok(points
        .iter()
        .map(|z| (0..4).map(|i| scales[i] * (z[i] - centre[i]).powi(2)).sum())
        .collect())
}

fn distance_to_minimum(trace: &Trace) -> f64 {
    let best = trace.best().unwrap();
    let centre = [0.3, 0.7, 0.2, 0.6];
    (0..4)
        .map(|i| (best[i] - centre[i]).powi(2))
        .sum::<f64>()
        .sqrt()
}

#[test]
fn cma_es_and_adam_find_the_minimum_of_an_ill_conditioned_quadratic() {
    let start = [0.5; 4];
    let cma = cmaes::minimise(&ellipsoid, start, 0.2, 2000, 1).unwrap();
    assert!(
        distance_to_minimum(&cma) < 1e-3,
        "CMA-ES {}",
        distance_to_minimum(&cma)
    );
    let adam = gradient::minimise(&ellipsoid, start, 0.01, 400).unwrap();
    assert!(
        distance_to_minimum(&adam) < 2e-2,
        "Adam {}",
        distance_to_minimum(&adam)
    );
    // The traces account for every evaluation and keep time moving forward.
    assert!(cma.rounds.last().unwrap().evaluations <= 2000);
    assert_eq!(adam.rounds.len(), 400);
    assert!(cma.rounds.windows(2).all(|w| w[0].seconds <= w[1].seconds));
}

#[test]
fn the_likelihood_prefers_the_truth_to_its_neighbours() {
    let brain = Brain::mni152().unwrap();
    let settings = Settings::quick();
    let steps = brain
        .solver
        .stable_steps(settings.prior.d_max(), settings.prior.rho_max(), 1.0);
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let truth = settings.prior.sample(&brain, &mut rng);
    let scan = observe(&simulate(&brain, &truth, steps).unwrap(), 0.05, &mut rng);
    let nll =
        |t: &Tumour| negative_log_likelihood(&simulate(&brain, t, steps).unwrap(), &scan, 0.05);
    let at_truth = nll(&truth);
    let neighbours = [
        Tumour {
            d: truth.d * 1.3,
            ..truth
        },
        Tumour {
            rho: truth.rho * 0.75,
            ..truth
        },
        Tumour {
            x: truth.x + 2.0 * CELL_CM,
            ..truth
        },
        Tumour {
            y: truth.y - 2.0 * CELL_CM,
            ..truth
        },
    ];
    for t in neighbours {
        assert!(nll(&t) > at_truth, "{t:?}: {} ≤ {at_truth}", nll(&t));
    }
}

#[test]
fn dice_is_one_on_itself_and_falls_with_the_overlap() {
    let a = segment(&[0.1, 0.3, 0.8, 0.9, 0.3, 0.0], &LEVELS);
    assert_eq!(dice(&a, &a), 1.0);
    let shifted = segment(&[0.0, 0.1, 0.3, 0.8, 0.9, 0.3], &LEVELS);
    // Oedema {1,2,3,4} against {2,3,4,5}: 2·3/8; core {2,3} against {3,4}: 2·1/4.
    assert!((dice(&a, &shifted) - (0.75 + 0.5) / 2.0).abs() < 1e-12);
}

#[test]
fn a_database_entry_queried_without_noise_is_found_exactly() {
    let brain = Brain::mni152().unwrap();
    let settings = Settings::quick();
    let steps = brain
        .solver
        .stable_steps(settings.prior.d_max(), settings.prior.rho_max(), 1.0);
    let database = Database::build(&brain, &settings.prior, steps, 40, 3).unwrap();
    let labels = |k: usize| segment_truth(&brain, &database.tumours[k], steps).unwrap();
    let answer = database.query(&labels(17), 1);
    assert_eq!(answer.best, database.tumours[17]);
    // The bit masks score as the labels do.
    let scan = super::database::Masks::new(&labels(3));
    let masks = super::database::Masks::new(&labels(17));
    assert_eq!(masks.dice(&scan), dice(&labels(17), &labels(3)));
}

#[test]
fn the_query_is_ten_times_faster_at_comparable_error() {
    let outcome = run(&Settings::quick(), &mut |_| {}).unwrap();
    let report = &outcome.report;
    let [best, weighted, cma, adam] = [0, 1, 2, 3].map(|m| &report.methods[m]);
    assert!(
        report.speedup_over_cma >= 10.0,
        "{}",
        report.speedup_over_cma
    );
    assert!(
        report.speedup_over_gradient >= 10.0,
        "{}",
        report.speedup_over_gradient
    );
    // Comparable: the query lands within a few cells of the origin and within the prior's
    // spread of D and ρ, where a guess from the prior's centre would not.
    for s in [best, weighted] {
        assert!(s.origin_error_mm < 8.0, "{s:?}");
        assert!(s.d_error < 0.5 && s.rho_error < 0.5, "{s:?}");
        assert!(s.dice > 0.7, "{s:?}");
    }
    // The better search fits the scan at least as well as the query: they optimise its likelihood.
    assert!(
        cma.dice.max(adam.dice) >= weighted.dice - 0.02,
        "{cma:?} {adam:?} {weighted:?}"
    );
    let names: Vec<&str> = outcome.file_names().collect();
    assert_eq!(names, [super::FIGURES[0], super::FIGURES[1], "report.html"]);
}

#[test]
fn bad_settings_are_refused_with_their_key() {
    let cases = [
        Settings {
            database: 0,
            ..Settings::quick()
        },
        Settings {
            noise: 0.0,
            ..Settings::quick()
        },
        Settings {
            top_k: 500,
            ..Settings::quick()
        },
    ];
    for (settings, key) in cases.into_iter().zip(["database", "noise", "top_k"]) {
        let error = run(&settings, &mut |_| {}).err().unwrap();
        assert!(
            error.is_bad_input() && error.to_string().starts_with(key),
            "{error}"
        );
    }
}
