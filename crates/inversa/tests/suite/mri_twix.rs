//! Measured Cartesian raw data: a Siemens Skyra 3 T gradient-echo scan of a phantom (twix VE11C, 2
//! receive channels, 160 × 160; `data/mri/gre.dat`), fully sampled, so it can be undersampled
//! retrospectively and scored against its own full reconstruction (the task's ground truth).

use super::fitted_psnr;
use inversa::task::Task;
use inversa::Control;
use std::path::{Path, PathBuf};

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/mri")
}

fn task(physics: &str, rest: &str) -> Task<f64> {
    let text = format!(
        "[data]\nmeasurement = \"gre.dat\"\n[physics]\nkind = \"mri\"\n{physics}\n{rest}\n[run]\nprecision = \"f64\"\n"
    );
    Task::<f64>::from_toml(&text, &data_dir(), "gre").unwrap()
}

fn error(physics: &str) -> String {
    let text = format!("[data]\nmeasurement = \"gre.dat\"\n[physics]\nkind = \"mri\"\n{physics}\n[solver]\nkind = \"cg\"\n");
    match Task::<f64>::from_toml(&text, &data_dir(), "gre") {
        Ok(_) => panic!("{physics} was accepted"),
        Err(e) => e.to_string(),
    }
}

fn reconstruct(task: &Task<f64>) -> Vec<f64> {
    task.run(&mut |_| Control::Continue).unwrap().reconstruction
}

#[test]
fn the_fully_sampled_scan_is_solved_exactly_by_sense() {
    // All lines kept: A*A = Σ_c |S_c|² = 1 where ESPIRiT keeps the pixel, so least squares returns
    // the coil combination the task scores against.
    let task = task(
        "acceleration = 1",
        "[prior]\nkind = \"none\"\n[solver]\nkind = \"cg\"\niterations = 10",
    );
    assert_eq!(task.image_shape, [1, 160, 160]);
    let truth = task.ground_truth.clone().unwrap();
    let x = reconstruct(&task);
    let error = x
        .iter()
        .zip(&truth)
        .map(|(a, b)| (a - b).powi(2))
        .sum::<f64>()
        .sqrt()
        / truth.iter().map(|b| b * b).sum::<f64>().sqrt();
    assert!(error < 1e-6, "relative error {error}");
}

#[test]
fn four_fold_undersampling_with_tv_beats_zero_filling_and_plain_sense() {
    let physics = "acceleration = 4";
    let tv = task(
        physics,
        "[prior]\nkind = \"tv\"\nweight = 0.02\n[solver]\nkind = \"pdhg\"\niterations = 200",
    );
    let truth = tv.ground_truth.clone().unwrap();
    let zero_filled = tv.physics.operator.adjoint_new(&tv.measurement);
    let sense = reconstruct(&task(
        physics,
        "[prior]\nkind = \"tikhonov\"\nweight = 0.001\n[solver]\nkind = \"cg\"\niterations = 30",
    ));
    let (zf, cg, tv) = (
        fitted_psnr(&zero_filled, &truth),
        fitted_psnr(&sense, &truth),
        fitted_psnr(&reconstruct(&tv), &truth),
    );
    eprintln!("zero-filled {zf:.2} dB, SENSE-CG {cg:.2} dB, TV {tv:.2} dB");
    assert!(
        tv > zf + 3.0 && tv > cg + 1.0,
        "zero-filled {zf:.2}, SENSE {cg:.2}, TV {tv:.2}"
    );
}

#[test]
fn too_few_centre_lines_for_the_coil_maps_are_refused_by_key() {
    let message = error("acceleration = 4\ncenter_fraction = 0.05");
    assert!(
        message.contains("physics.center_fraction") && message.contains("fewer than the 24"),
        "{message}"
    );
    let message = error("coils = 4");
    assert!(
        message.contains("physics.coils") && message.contains("gre.dat fixes it"),
        "{message}"
    );
    let message = error("calibration = 200");
    assert!(message.contains("physics.calibration"), "{message}");
}

#[test]
fn a_poisson_disc_mask_beats_lines_at_the_same_acceleration() {
    // Compressed sensing's incoherence argument (Lustig et al. 2007): a 2-D variable-density mask
    // aliases as noise, lines as coherent ghosts, so TV recovers more from the same number of samples.
    let tv = "[prior]\nkind = \"tv\"\nweight = 0.02\n[solver]\nkind = \"pdhg\"\niterations = 200";
    let score = |mask: &str| {
        let task = task(&format!("acceleration = 4\nmask = \"{mask}\""), tv);
        let kept = task
            .measurement
            .chunks(2)
            .filter(|z| z[0] != 0.0 || z[1] != 0.0)
            .count();
        (
            fitted_psnr(&reconstruct(&task), task.ground_truth.as_ref().unwrap()),
            kept,
        )
    };
    let ((lines, kept_lines), (poisson, kept_points)) =
        (score("variable_density"), score("poisson"));
    eprintln!("TV at 4x: lines {lines:.2} dB ({kept_lines} samples), Poisson disc {poisson:.2} dB ({kept_points})");
    assert!(
        (kept_points as f64 / kept_lines as f64 - 1.0).abs() < 0.05,
        "{kept_points} against {kept_lines}"
    );
    assert!(
        poisson > lines + 1.0,
        "Poisson {poisson:.2} dB, lines {lines:.2} dB"
    );
}
