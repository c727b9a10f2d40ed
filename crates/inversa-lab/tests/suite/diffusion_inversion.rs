//! The diffusion-inversion protocols on the bundled Fashion-MNIST models, with few steps so they
//! run in seconds: inverting and editing one garment, the editing experiment, and sampling. Each
//! returns the report and files the CLI writes, and names the setting it refuses.

use inversa_lab::fashion_inversion::{self, edit, invert, Picture};
use inversa_lab::{editing, sampling, Artifact, Error};

/// The key of a refused setting.
fn refused<T>(result: inversa_lab::Result<T>) -> String {
    match result {
        Err(Error::Setting { key, .. }) => key,
        Err(other) => panic!("expected a refused setting, got {other}"),
        Ok(_) => panic!("expected a refused setting"),
    }
}

fn common(method: &str, steps: usize) -> fashion_inversion::Settings {
    fashion_inversion::Settings {
        method: Some(method.into()),
        steps,
        ..Default::default()
    }
}

/// The names of an outcome's files.
fn names(files: &[(String, Artifact)]) -> Vec<&str> {
    files.iter().map(|(name, _)| name.as_str()).collect()
}

#[test]
fn edict_inverts_a_bundled_image_to_its_reconstruction() {
    let settings = invert::Settings {
        common: common("edict", 5),
        class: None,
    };
    let outcome = invert::run(&settings, &mut |_| {}).unwrap();
    let report = &outcome.report;
    assert!(
        report.reconstruction_psnr > 40.0,
        "EDICT is exact up to f32 round-off: {} dB",
        report.reconstruction_psnr
    );
    assert_eq!((report.method, report.class), ("edict", 9), "an ankle boot");
    // Five steps of two guided predictions (two calls each), inverted and regenerated.
    assert_eq!(report.model_calls, 2 * 5 * 2 * 2);
    assert_eq!(report.fixed_point_residual, None);
    assert_eq!(
        names(&outcome.files),
        ["reconstruction.png", "comparison.png", "latent.npy"]
    );
    let Artifact::Array { shape, .. } = &outcome.files[2].1 else {
        panic!("latent.npy is an array")
    };
    assert_eq!(shape, &[2, 32, 32], "EDICT's pair");
}

#[test]
fn spdinv_reports_its_fixed_point_residual() {
    let settings = invert::Settings {
        common: common("spdinv", 3),
        class: Some(9),
    };
    let report = invert::run(&settings, &mut |_| {}).unwrap().report;
    assert!(report.fixed_point_residual.is_some_and(f64::is_finite));
}

#[test]
fn invert_refuses_bad_settings_by_name() {
    let with = |change: &dyn Fn(&mut invert::Settings)| {
        let mut settings = invert::Settings::default();
        settings.common.steps = 2;
        change(&mut settings);
        refused(invert::run(&settings, &mut |_| {}))
    };
    let mismatch = with(&|s| {
        s.common.model = "rf".into();
        s.common.method = Some("edict".into());
    });
    assert_eq!(mismatch, "method", "a diffusion method on the flow model");
    assert_eq!(with(&|s| s.common.method = Some("euler".into())), "method");
    assert_eq!(with(&|s| s.common.method = Some("sdedit".into())), "method");
    assert_eq!(with(&|s| s.common.steps = 0), "steps");
    assert_eq!(with(&|s| s.common.steps = 5000), "steps");
    // A flow has no timestep bound: its trajectory is checked against memory instead.
    let flow_steps = with(&|s| {
        s.common.model = "rf".into();
        s.common.steps = usize::MAX / 64;
    });
    assert_eq!(flow_steps, "steps");
    assert_eq!(with(&|s| s.common.guidance = f64::NAN), "guidance");
    assert_eq!(
        with(&|s| s.common.image = Picture::Bundled(100)),
        "test_image"
    );
    assert_eq!(
        with(&|s| s.common.image = Picture::Pixels(vec![0.5; 27 * 28])),
        "image"
    );
    assert_eq!(
        with(&|s| s.common.image = Picture::Pixels(vec![f64::NAN; 28 * 28])),
        "image"
    );
    assert_eq!(with(&|s| s.class = Some(12)), "class");
    assert_eq!(
        with(&|s| s.common.model = "nowhere.safetensors".into()),
        "model"
    );
}

#[test]
fn ddcm_edits_a_bundled_image_and_reconstructs_it_exactly() {
    let settings = edit::Settings {
        common: common("ddcm", 4),
        source_class: None,
        target_class: 7,
    };
    let outcome = edit::run(&settings, &mut |_| {}).unwrap();
    let report = &outcome.report;
    assert_eq!((report.source_class, report.target_class), (9, 7));
    let total: f64 = report.class_probabilities.iter().sum();
    assert!((total - 1.0).abs() < 1e-4, "probabilities sum to {total}");
    assert!(
        report.reconstruction_psnr > 100.0,
        "DDCM's reconstruction is the source"
    );
    assert!(report.ssim_to_source < 1.0, "the edit changed the image");
    assert_eq!(names(&outcome.files), ["edit.png", "comparison.png"]);
    let bad = edit::Settings {
        target_class: 10,
        ..settings
    };
    assert_eq!(refused(edit::run(&bad, &mut |_| {})), "target_class");
}

#[test]
fn the_editing_experiment_tabulates_each_method_on_its_model() {
    let settings = editing::Settings {
        images: 2,
        steps: 3,
        methods: vec!["bdia".into(), "euler".into()],
        figure_images: 1,
        ..editing::Settings::default()
    };
    let mut lines = Vec::new();
    let outcome = editing::run(&settings, &mut |line| lines.push(line.to_string())).unwrap();
    let rows = &outcome.report.methods;
    assert_eq!(lines.len(), 2);
    assert_eq!((rows[0].model, rows[1].model), ("unet", "rf"));
    assert!(rows[0].reconstruction_psnr_mean > 40.0, "BDIA is exact");
    // BDIA: 3 guided predictions to invert and 2 per regeneration (its first step is the pair),
    // two calls each; Euler: 3 per pass.
    assert_eq!(rows[0].model_calls_per_image, ((3 + 2 + 2) * 2) as f64);
    assert_eq!(rows[1].model_calls_per_image, (3 * 3 * 2) as f64);
    assert_eq!(names(&outcome.files), ["editing.png"]);
    let unknown = editing::Settings {
        methods: vec!["sdedit".into()],
        ..settings.clone()
    };
    assert_eq!(refused(editing::run(&unknown, &mut |_| {})), "method");
    let none = editing::Settings {
        images: 0,
        ..settings
    };
    assert_eq!(refused(editing::run(&none, &mut |_| {})), "images");
}

#[test]
fn sampling_draws_the_same_images_from_the_same_seed() {
    let settings = sampling::Settings {
        class: Some(3),
        count: 2,
        steps: 3,
        ..sampling::Settings::default()
    };
    let draw = |settings: &sampling::Settings| {
        let outcome = sampling::run(settings, &mut |_| {}).unwrap();
        let Artifact::Array { shape, data } = &outcome.files[0].1 else {
            panic!("samples.npy is an array")
        };
        assert_eq!(shape, &[2, 32, 32]);
        data.clone()
    };
    let samples = draw(&settings);
    assert!(samples.iter().all(|v| v.is_finite()));
    assert_eq!(samples, draw(&settings));
    let flow = sampling::Settings {
        model: "rf".into(),
        ..settings.clone()
    };
    assert_ne!(samples, draw(&flow));
    let bad = sampling::Settings {
        class: Some(10),
        ..settings.clone()
    };
    assert_eq!(refused(sampling::run(&bad, &mut |_| {})), "class");
    // A count whose batch needs petabytes is refused before the noise is drawn.
    let huge = sampling::Settings {
        count: 1_000_000_000_000,
        ..settings
    };
    assert_eq!(refused(sampling::run(&huge, &mut |_| {})), "count");
}
