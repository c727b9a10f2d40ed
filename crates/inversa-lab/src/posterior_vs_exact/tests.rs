use super::*;
use inversa_learn::diffusion::analytic_posterior::ExactPosterior;
use std::sync::OnceLock;

/// The quick run, shared by the tests (it takes a few seconds).
fn quick() -> &'static Report {
    static REPORT: OnceLock<Report> = OnceLock::new();
    REPORT.get_or_init(|| run(&Settings::quick(), &mut |_| {}).unwrap().report)
}

fn curve<'a>(problem: &'a ProblemReport, method: &str) -> &'a Curve {
    problem
        .samplers
        .iter()
        .find(|c| c.method == method)
        .unwrap()
}

#[test]
fn the_references_bracket_every_distance() {
    for p in &quick().problems {
        // Two exact sets agree up to sampling error; the prior is far from the posterior.
        let (floor, prior) = (&p.exact_floor, &p.prior);
        assert!(
            floor.sliced_wasserstein2 < 0.25 * prior.sliced_wasserstein2,
            "{p:?}"
        );
        assert!(
            floor.energy_distance < 0.05 * prior.energy_distance,
            "{p:?}"
        );
        assert!((floor.spread_ratio - 1.0).abs() < 0.15, "{p:?}");
        assert!(prior.spread_ratio > 1.5, "{p:?}");
        assert_eq!(p.samplers.len(), samplers().len());
        for c in &p.samplers {
            let calls: Vec<usize> = c.points.iter().map(|q| q.model_calls).collect();
            assert_eq!(calls, Settings::quick().budgets, "{}", c.method);
        }
    }
}

#[test]
fn every_sampler_uses_the_measurement() {
    for p in &quick().problems {
        for c in &p.samplers {
            let last = &c.points[c.points.len() - 1].distances;
            assert!(
                last.mean_error < p.prior.mean_error,
                "{} on {}: mean error {} (prior {})",
                c.method,
                p.name,
                last.mean_error,
                p.prior.mean_error
            );
        }
    }
}

#[test]
fn dps_approaches_the_inpainting_posterior() {
    let inpainting = &quick().problems[0];
    let dps = curve(inpainting, "dps");
    let [first, last] = [&dps.points[0], &dps.points[dps.points.len() - 1]]
        .map(|p| p.distances.sliced_wasserstein2);
    assert!(last < 0.4 * inpainting.prior.sliced_wasserstein2, "{dps:?}");
    assert!(last < first, "more levels bring DPS closer: {dps:?}");
}

#[test]
fn the_distances_see_a_collapse_onto_the_exact_mean() {
    let settings = Settings::quick();
    let prior = problems::mixture(&settings).unwrap();
    let problem = problems::problems(&settings, &prior).unwrap().remove(0);
    let exact = ExactPosterior::new(
        &prior,
        None,
        &problem.matrix,
        &problem.y,
        settings.noise_std,
    )
    .unwrap();
    let reference = Reference::new(&settings, &exact).unwrap();
    let collapsed = vec![exact.mean(); settings.samples];
    let d = reference.distances(&collapsed).unwrap();
    assert!(d.mean_error < 1e-12 && d.spread_ratio < 1e-12, "{d:?}");
    let drawn = exact.sample(settings.samples, 7).unwrap();
    assert!(d.energy_distance > 10.0 * reference.distances(&drawn).unwrap().energy_distance);
}

#[test]
fn settings_out_of_range_are_refused_by_name() {
    let cases: [(&str, Settings); 5] = [
        (
            "side",
            Settings {
                side: 1,
                ..Settings::quick()
            },
        ),
        (
            "samples",
            Settings {
                samples: 2,
                ..Settings::quick()
            },
        ),
        (
            "budgets",
            Settings {
                budgets: vec![0],
                ..Settings::quick()
            },
        ),
        (
            "missing",
            Settings {
                missing: 1.0,
                ..Settings::quick()
            },
        ),
        (
            "noise_std",
            Settings {
                noise_std: f64::NAN,
                ..Settings::quick()
            },
        ),
    ];
    for (key, settings) in cases {
        let error = run(&settings, &mut |_| {}).err().unwrap().to_string();
        assert!(error.starts_with(key), "{key}: {error}");
    }
    let huge = Settings {
        samples: 1 << 40,
        ..Settings::quick()
    };
    assert!(run(&huge, &mut |_| {}).is_err());
}
