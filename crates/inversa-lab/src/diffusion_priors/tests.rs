use super::images::{from_bundled, Sets};
use super::*;
use crate::Artifact;
use std::sync::OnceLock;

/// The quick run, shared by the tests that read it.
fn quick() -> &'static Outcome<Report> {
    static OUTCOME: OnceLock<Outcome<Report>> = OnceLock::new();
    OUTCOME.get_or_init(|| run(&Settings::quick(), &mut |line| eprintln!("{line}")).unwrap())
}

fn row<'a>(report: &'a Report, physics: &str, method: &str) -> &'a Row {
    report
        .rows
        .iter()
        .find(|r| r.physics == physics && r.method == method)
        .unwrap_or_else(|| panic!("no row {physics} × {method}"))
}

#[test]
fn the_quick_run_covers_every_physics_and_method_with_finite_scores() {
    let outcome = quick();
    let report = &outcome.report;
    outcome.check_finite().unwrap();
    for physics in ["inpaint-random", "ct-sparse"] {
        for method in METHODS {
            let r = row(report, physics, method);
            assert_eq!(r.psnr.len(), 2, "{physics} × {method}");
            assert!(r.ssim_mean > -1.0 && r.ssim_mean <= 1.0);
            assert!(r.frechet >= 0.0 && r.seconds_per_image >= 0.0);
            let expected_calls = Settings::quick().steps.of(method);
            assert_eq!(r.model_calls, expected_calls, "{physics} × {method}");
        }
    }
    assert_eq!(report.rows.len(), 2 * METHODS.len());
    // DiffPIR, RED-Diff and STSL against DPS on both physics, DDS on CT only.
    assert_eq!(report.claims.len(), 7);
    // The quick budgets are none of the papers' (RED-Diff's would be DPS's).
    assert!(report.claims.iter().all(|c| !c.at_paper_budgets));
    let names: Vec<&str> = outcome.file_names().collect();
    assert_eq!(names, [FIGURE, "report.html"]);
    // The figure: one row per physics, the truth then the 9 methods (back-projection first).
    let Some((_, Artifact::Image { shape, .. })) = outcome.files.first() else {
        panic!("the figure is an image");
    };
    assert_eq!(
        shape[1],
        2 * 56 + 4,
        "two rows of 28×28 cells at zoom 2 with a gap"
    );
    assert_eq!(shape[2], 10 * 56 + 9 * 4);
}

#[test]
fn every_method_beats_the_back_projection_on_inpainting() {
    let report = &quick().report;
    let floor = row(report, "inpaint-random", "adjoint").psnr_mean;
    for method in &METHODS[1..] {
        let psnr = row(report, "inpaint-random", method).psnr_mean;
        assert!(
            psnr > floor + 1.0,
            "{method}: {psnr:.2} dB vs back-projection {floor:.2} dB"
        );
    }
}

#[test]
fn the_true_images_score_below_every_method_in_feature_distance() {
    let report = &quick().report;
    // Not a law for two images, but the truths are the reference's own members.
    assert!(report.frechet_truth.is_finite() && report.frechet_truth >= 0.0);
    let html = match &quick().files[1].1 {
        Artifact::Html(text) => text.clone(),
        _ => panic!("report.html is HTML"),
    };
    assert!(html.contains("<table>") && html.contains("<td>red-diff</td>"));
}

#[test]
fn settings_are_refused_by_name() {
    let refused = |settings: Settings| match run(&settings, &mut |_| {}) {
        Err(Error::Setting { key, .. }) => key,
        Err(other) => panic!("not a setting error: {other}"),
        Ok(_) => panic!("accepted"),
    };
    let base = Settings::quick();
    let with = |f: &dyn Fn(&mut Settings)| {
        let mut s = base.clone();
        f(&mut s);
        s
    };
    assert_eq!(refused(with(&|s| s.images = 1)), "images");
    assert_eq!(
        refused(with(&|s| s.physics = vec!["blur".into()])),
        "physics"
    );
    assert_eq!(
        refused(with(&|s| s.methods = vec!["admm".into()])),
        "methods"
    );
    assert_eq!(refused(with(&|s| s.steps.dds = 0)), "steps");
    assert_eq!(refused(with(&|s| s.steps.dps = 5000)), "steps");
    assert_eq!(refused(with(&|s| s.batch = 0)), "batch");
    assert_eq!(refused(with(&|s| s.batch = 1 << 40)), "batch");
    assert_eq!(refused(with(&|s| s.images = 1 << 50)), "images");
    assert_eq!(refused(with(&|s| s.tune_images = 0)), "tune_images");
    let nowhere = std::env::temp_dir().join("inversa-no-fashion-mnist-here");
    assert_eq!(refused(with(&|s| s.data = Some(nowhere.clone()))), "data");
    // A method not selected may have any budget.
    let only_tv = with(&|s| {
        s.methods = vec!["tv".into()];
        s.steps.dps = 0;
    });
    assert!(only_tv.check().is_ok());
    let mut budgets = base.steps.clone();
    assert!(budgets.set("tv", 3).is_err());
    budgets.set("red-diff", 7).unwrap();
    assert_eq!(budgets.of("red-diff"), Some(7));
}

#[test]
fn without_the_full_set_tuning_images_are_never_test_images() {
    let bundled = inversa_learn::models::bundled::test_images().unwrap();
    let settings = Settings {
        images: 10,
        tune_images: 5,
        ..Settings::quick()
    };
    let Sets {
        test,
        tuning,
        reference,
    } = from_bundled(&settings, &bundled).unwrap();
    assert_eq!((test.images.len(), tuning.images.len()), (10, 5));
    assert_eq!(reference.images.len(), 100);
    assert_eq!(test.images[..], reference.images[..10]);
    assert_eq!(tuning.images[..], reference.images[95..]);
    let too_many = Settings {
        images: 96,
        ..settings
    };
    match from_bundled(&too_many, &bundled) {
        Err(Error::Setting { key, message }) => {
            assert_eq!(key, "images");
            assert!(message.contains("only 95"), "{message}");
        }
        _ => panic!("96 of 95 held-out images accepted"),
    }
}

#[test]
fn pnp_schedule_falls_from_dpir_start_to_the_noise_level() {
    let lambda = 0.3;
    let table: toml::Table = baselines::tables("pnp", lambda).parse().unwrap();
    let number = |t: &str, k: &str| table[t][k].as_float().unwrap();
    let weight = number("prior", "weight");
    let (mu, growth, most) = (
        number("solver", "mu"),
        number("solver", "mu_growth"),
        number("solver", "mu_max"),
    );
    let iterations = table["solver"]["iterations"].as_integer().unwrap() as i32;
    assert!((weight - lambda * NOISE * NOISE).abs() < 1e-15);
    // σ_k = √(weight/μ_k): 49/255 first, σ_n at the last iteration.
    assert!(((weight / mu).sqrt() - 49.0 / 255.0).abs() < 1e-12);
    let last = mu * growth.powi(iterations - 1);
    assert!(((weight / last).sqrt() - NOISE).abs() < 1e-9);
    assert!((most - last).abs() < 1e-9 * most);
}

#[test]
fn claims_compare_paired_psnr_and_speed() {
    let make = |method: &str, psnr: Vec<f64>, calls: usize, seconds: f64| Row {
        physics: "mri-4x".into(),
        method: method.into(),
        model_calls: Some(calls),
        psnr_mean: psnr.iter().sum::<f64>() / psnr.len() as f64,
        psnr_std: 0.0,
        ssim_mean: 0.5,
        ssim_std: 0.0,
        frechet: 1.0,
        seconds_per_image: seconds,
        psnr,
    };
    let rows = vec![
        make("dps", vec![29.0, 29.0], 1000, 20.0),
        make("dds", vec![28.0, 29.0], 50, 1.0),
        make("diffpir", vec![30.0, 31.0], 100, 1.0),
    ];
    let claims = claims::judge(&rows, &Settings::default().steps);
    assert_eq!(claims.len(), 2);
    let diffpir = &claims[0];
    // Gaps 1 and 2: mean 1.5, sample std √0.5, standard error √0.5/√2 = 0.5.
    assert!((diffpir.psnr_gap - 1.5).abs() < 1e-12);
    assert!((diffpir.psnr_gap_stderr - 0.5).abs() < 1e-12);
    assert!(diffpir.holds && diffpir.at_paper_budgets);
    assert_eq!(diffpir.challenger, "diffpir@100");
    // DDS: −0.5 dB on average (at the limit) and 20× faster.
    let dds = &claims[1];
    assert!((dds.psnr_gap + 0.5).abs() < 1e-12 && (dds.speedup - 20.0).abs() < 1e-12);
    assert!(dds.holds);
    let slow = vec![rows[0].clone(), make("dds", vec![28.0, 29.0], 50, 4.0)];
    assert!(!claims::judge(&slow, &Settings::default().steps)[0].holds);
}
