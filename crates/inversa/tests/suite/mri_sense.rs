//! SENSE (Pruessmann et al. 1999) on simulated 8-coil data with 4× undersampling beats the
//! zero-filled reconstruction `A*y`, the baseline every accelerated-MRI paper reports against.

use inversa::task::Task;
use inversa::Control;
use std::path::Path;

fn mri_task(coils: usize, solver: &str) -> String {
    format!(
        r#"
[data]
image = "builtin:camera"
downscale = 4
[physics]
kind = "mri"
acceleration = 4
center_fraction = 0.08
mask = "random"
coils = {coils}
noise = {{ kind = "gaussian", sigma = 0.005 }}
[prior]
kind = "tikhonov"
weight = 0.001
[solver]
{solver}
[run]
seed = 3
precision = "f64"
"#
    )
}

#[test]
fn sense_with_8_coils_at_4x_beats_zero_filling_by_a_wide_margin() {
    let task = Task::<f64>::from_toml(
        &mri_task(8, "kind = \"cg\"\niterations = 40"),
        Path::new("."),
        "sense",
    )
    .unwrap();
    let outcome = task.run(&mut |_| Control::Continue).unwrap();
    let sense = outcome.quality.unwrap().psnr;
    // The starting point A*y/‖A‖² is exactly the zero-filled reconstruction (‖A‖ = 1 for normalised coils).
    let zero_filled = outcome.initial_quality.unwrap().psnr;
    // Measured: 23.75 dB against 20.06 dB (128×128 cameraman, seed 3).
    assert!(
        sense > zero_filled + 3.0,
        "SENSE {sense:.2} dB vs zero filling {zero_filled:.2} dB"
    );
}

#[test]
fn eight_coils_beat_one_coil_at_the_same_acceleration() {
    let run = |coils| {
        let task = Task::<f64>::from_toml(
            &mri_task(coils, "kind = \"cg\"\niterations = 40"),
            Path::new("."),
            "sense",
        )
        .unwrap();
        task.run(&mut |_| Control::Continue)
            .unwrap()
            .quality
            .unwrap()
            .psnr
    };
    let (one, eight) = (run(1), run(8));
    // Measured: 23.75 dB with 8 coils against 22.18 dB with one.
    assert!(
        eight > one + 1.0,
        "parallel imaging must help: 8 coils {eight:.2} dB vs 1 coil {one:.2} dB"
    );
}
