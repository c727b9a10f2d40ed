//! The numerical protocols run from Rust exactly as `inversa experiment` and
//! `inversa solve-sequence` run them, at small sizes.

use inversa_lab::{convex_relu, krylov_sequence, matrix_sensing, mfac, Error};

fn quiet() -> impl FnMut(&str) {
    |_line: &str| {}
}

fn rejected_key(error: Error) -> String {
    match error {
        Error::Setting { key, .. } => key,
        other => panic!("expected a setting error, got {other}"),
    }
}

#[test]
fn matrix_sensing_overparameterisation_slows_the_symmetric_descent() {
    let settings = matrix_sensing::Settings {
        n: 10,
        rank: 1,
        iterations: 600,
        ..Default::default()
    };
    let outcome = matrix_sensing::run(&settings, &mut quiet()).unwrap();
    let runs = &outcome.report.runs;
    // The first panel: k = r, r+1, r+2, r+4 at α = 0.01. Exact parameterisation converges
    // linearly, over-parameterised runs sublinearly (the paper's claim), so k = r ends lowest.
    let exact = runs[0].final_error;
    let over = runs[3].final_error;
    assert_eq!((runs[0].k, runs[3].k), (1, 5));
    assert!(exact < 1e-6, "k = r: {exact}");
    assert!(over > 100.0 * exact, "k = r + 4: {over} against {exact}");
    assert_eq!(outcome.files.len(), 1);
}

#[test]
fn matrix_sensing_rejects_a_rank_the_side_cannot_hold() {
    let settings = matrix_sensing::Settings {
        n: 6,
        rank: 3,
        ..Default::default()
    };
    let error = matrix_sensing::run(&settings, &mut quiet()).err().unwrap();
    assert_eq!(rejected_key(error), "rank");
}

#[test]
fn convex_relu_admm_is_no_worse_than_adam_at_its_width() {
    let settings = convex_relu::Settings {
        samples: 40,
        patterns: 20,
        seeds: 1,
        steps: 300,
        ..Default::default()
    };
    let report = convex_relu::run(&settings, &mut quiet()).unwrap().report;
    let widened = report.adam[0].convex_objective_with_its_patterns.unwrap();
    // The network Adam found is a feasible point of the widened convex program.
    assert!(
        widened <= report.adam[0].objective + 1e-3,
        "{widened} vs {}",
        report.adam[0].objective
    );
}

#[test]
fn mfac_rejects_a_too_small_dimension_before_timing_anything() {
    let settings = mfac::Settings {
        max_d: 10,
        ..Default::default()
    };
    assert_eq!(
        rejected_key(mfac::run(&settings, &mut quiet()).err().unwrap()),
        "max_d"
    );
}

#[test]
fn krylov_recycling_saves_iterations_over_gmres_on_a_sequence() {
    let base = krylov_sequence::Settings {
        problem: "poisson".into(),
        grid: 16,
        systems: 4,
        ..Default::default()
    };
    let total = |method: &str| {
        let settings = krylov_sequence::Settings {
            method: method.into(),
            ..base.clone()
        };
        let report = krylov_sequence::run(&settings).unwrap().report;
        assert!(report.solved.max_relative_residual <= settings.tol);
        report.solved.total_iterations
    };
    let (gmres, gcrodr) = (total("gmres"), total("gcrodr"));
    assert!(gcrodr < gmres, "GCRO-DR {gcrodr} against GMRES {gmres}");
}

#[test]
fn krylov_sequence_names_the_setting_it_refuses() {
    let cases = [
        (
            "method",
            krylov_sequence::Settings {
                method: "bicg".into(),
                ..Default::default()
            },
        ),
        (
            "problem",
            krylov_sequence::Settings {
                method: "deep-cd".into(),
                ..Default::default()
            },
        ),
        (
            "grid",
            krylov_sequence::Settings {
                grid: 2,
                ..Default::default()
            },
        ),
        // 10¹⁴ unknowns: refused against the memory ceiling before anything is allocated.
        (
            "grid",
            krylov_sequence::Settings {
                grid: 10_000_000,
                ..Default::default()
            },
        ),
    ];
    for (key, settings) in cases {
        let error = krylov_sequence::run(&settings).err().unwrap();
        assert_eq!(rejected_key(error), key);
    }
}

#[test]
fn sizes_that_imply_petabytes_are_refused_by_their_setting() {
    let sensing = matrix_sensing::Settings {
        n: 1_000_000,
        rank: 1,
        ..Default::default()
    };
    let error = matrix_sensing::run(&sensing, &mut quiet()).err().unwrap();
    assert!(error.to_string().starts_with("n needs "), "{error}");
    let mfac = mfac::Settings {
        max_d: usize::MAX / 2,
        ..Default::default()
    };
    let error = mfac::run(&mfac, &mut quiet()).err().unwrap();
    assert_eq!(rejected_key(error), "max_d");
    // ADMM's dense system grows as (6P)²: 10⁸ patterns would need 2.9 × 10¹⁸ bytes.
    for (key, settings) in [
        (
            "patterns",
            convex_relu::Settings {
                patterns: 100_000_000,
                ..Default::default()
            },
        ),
        (
            "samples",
            convex_relu::Settings {
                samples: usize::MAX / 4,
                ..Default::default()
            },
        ),
    ] {
        let error = convex_relu::run(&settings, &mut quiet()).err().unwrap();
        assert_eq!(rejected_key(error), key);
    }
}
