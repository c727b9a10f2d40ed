//! The gradient-inversion audit from Rust: iDLG rebuilds one client image through DLG's LeNet
//! and reads its label; bad settings are refused naming their key.

use inversa::Control;
use inversa_lab::gradient_audit::{run, Model, Settings};
use inversa_lab::Error;
use inversa_learn::attacks::Step;
use std::path::PathBuf;

/// A scratch folder of this test process.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("inversa-lab-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn idlg_rebuilds_one_client_image_through_lenet_and_reads_its_label() {
    let dir = scratch("audit");
    // A smooth 16×16 picture: the size of DLG's own LeNet experiments.
    let picture: Vec<f32> = (0..16 * 16)
        .map(|p| {
            let (row, col) = ((p / 16) as f32, (p % 16) as f32);
            0.5 + 0.4 * (row / 5.0).sin() * (col / 4.0).cos()
        })
        .collect();
    let image = dir.join("client.png");
    inversa::io::write_png_u8(&image, &[1, 16, 16], &picture).unwrap();
    let settings = Settings {
        method: "idlg".into(),
        image: Some(image),
        label: Some(3),
        iterations: Some(150),
        seed: 7,
        ..Settings::default()
    };
    let mut steps = 0;
    let outcome = run(&settings, &mut |_| {
        steps += 1;
        Control::Continue
    })
    .unwrap();
    let report = &outcome.report;
    // Measured: 70.7 dB.
    eprintln!("iDLG, LeNet, one 16×16 image: PSNR {:.2} dB", report.psnr);
    assert_eq!(report.recovered_labels, [3]);
    assert!(report.psnr > 30.0, "PSNR {} dB", report.psnr);
    assert_eq!(steps, report.iterations);
    let written = outcome.write(&dir.join("out")).unwrap();
    assert_eq!(written.len(), 2, "metrics.json and reconstruction.png");
    let figure = inversa::io::read_png(&dir.join("out/reconstruction.png")).unwrap();
    assert_eq!(figure.shape, [1, 16, 34], "original, gap, reconstruction");
    // A progress callback that says stop ends the attack after that step.
    let stop_after_five = &mut |step: &Step| match step.iteration {
        4 => Control::Stop,
        _ => Control::Continue,
    };
    let stopped = run(&settings, stop_after_five).unwrap().report;
    assert_eq!(stopped.iterations, 5);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_settings_are_refused_naming_their_key() {
    let refused = |settings: Settings| match run(&settings, &mut |_| Control::Continue) {
        Err(Error::Setting { key, .. }) => key,
        Err(other) => panic!("not a setting error: {other}"),
        Ok(_) => panic!("accepted"),
    };
    let base = Settings::default;
    assert_eq!(
        refused(Settings {
            dropout: 1.0,
            ..base()
        }),
        "dropout"
    );
    assert_eq!(refused(Settings { batch: 0, ..base() }), "batch");
    // Sizes whose memory no machine has, refused before the client's data is drawn.
    let huge_batch = Settings {
        batch: 1 << 50,
        ..base()
    };
    assert_eq!(refused(huge_batch), "batch");
    let endless = Settings {
        iterations: Some(1 << 60),
        ..base()
    };
    assert_eq!(refused(endless), "iterations");
    assert_eq!(
        refused(Settings {
            method: "pii".into(),
            ..base()
        }),
        "method"
    );
    // FedAvg updates are inverted by Inverting Gradients only, and iDLG reads one label.
    let resnet_with_fedavg = Settings {
        model: Model::Resnet,
        local_steps: 3,
        method: "dia".into(),
        ..base()
    };
    assert_eq!(refused(resnet_with_fedavg), "local_steps");
    let batch_for_idlg = Settings {
        method: "idlg".into(),
        batch: 2,
        ..base()
    };
    assert_eq!(refused(batch_for_idlg), "method");
}
