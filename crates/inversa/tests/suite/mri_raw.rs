//! Measured raw data: a Siemens Aera 1.5 T spiral scan (ISMRMRD, 8 of 36 channels, 32 interleaves;
//! `data/mri/spiral_8coil.h5`). No ground truth exists, so the full scan's SENSE reconstruction is
//! the reference, and a quarter of its interleaves must be reconstructed closer to it by SENSE + TV
//! (what `tasks/mri_spiral_raw_tv.toml` runs) than by the classical density-compensated gridding of
//! the same quarter.

use super::fitted_psnr;
use inversa::io::ismrmrd::read_ismrmrd;
use inversa::operators::nufft::Nufft;
use inversa::operators::raw_kspace::RawKspace;
use inversa::task::Task;
use inversa::Control;
use std::path::{Path, PathBuf};

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/mri")
}

fn task(data: &str, physics: &str, rest: &str) -> String {
    format!(
        "[data]\nmeasurement = \"spiral_8coil.h5\"\n{data}\n[physics]\nkind = \"mri\"\n{physics}\n{rest}\n[run]\nprecision = \"f64\"\n"
    )
}

fn reconstruct(text: &str) -> Vec<f64> {
    let task = Task::<f64>::from_toml(text, &data_dir(), "spiral").unwrap();
    assert_eq!(task.image_shape, [1, 192, 192]);
    task.run(&mut |_| Control::Continue).unwrap().reconstruction
}

#[test]
fn a_quarter_of_the_spiral_with_tv_is_closer_to_the_full_scan_than_its_gridding() {
    let cg =
        "[prior]\nkind = \"tikhonov\"\nweight = 0.0001\n[solver]\nkind = \"cg\"\niterations = 30";
    let tv = "[prior]\nkind = \"tv\"\nweight = 0.002\n[solver]\nkind = \"pdhg\"\niterations = 150";
    let espirit = "coil_maps = \"espirit\"";
    let full = reconstruct(&task("", "", cg));
    let quarter_tv = reconstruct(&task("readout_stride = 4", "", tv));
    let full_espirit = reconstruct(&task("", espirit, cg));
    let quarter_tv_espirit = reconstruct(&task("readout_stride = 4", espirit, tv));
    let path = data_dir().join("spiral_8coil.h5");
    let gridding = |stride| {
        let raw = RawKspace::from_scan(&path, &read_ismrmrd(&path).unwrap(), stride).unwrap();
        raw.gridding_rss(&Nufft::<f64>::new(192, 192, raw.points.clone(), 6).unwrap())
    };
    let tv_psnr = fitted_psnr(&quarter_tv, &full);
    let gridding_psnr = fitted_psnr(&gridding(4), &full);
    // The two full-scan reconstructions (SENSE with the estimated maps, and gridding's
    // root-sum-of-squares) agree: maps, trajectory and density weights are read consistently.
    let agreement = fitted_psnr(&gridding(1), &full);
    let maps_agreement = fitted_psnr(&full_espirit, &full);
    let espirit_psnr = fitted_psnr(&quarter_tv_espirit, &full_espirit);
    println!(
        "quarter: TV {tv_psnr:.2} dB, gridding {gridding_psnr:.2} dB, TV with ESPIRiT maps {espirit_psnr:.2} dB; \
         full scan: gridding {agreement:.2} dB, ESPIRiT against low-resolution maps {maps_agreement:.2} dB"
    );
    assert!(
        agreement > 25.0,
        "full-scan gridding vs SENSE: {agreement:.2} dB"
    );
    assert!(
        maps_agreement > 35.0,
        "full scan, ESPIRiT vs low-resolution maps: {maps_agreement:.2} dB"
    );
    assert!(
        tv_psnr > gridding_psnr + 2.0,
        "TV {tv_psnr:.2} dB vs gridding {gridding_psnr:.2} dB"
    );
    assert!(
        espirit_psnr > gridding_psnr + 1.0,
        "TV (ESPIRiT) {espirit_psnr:.2} dB vs gridding {gridding_psnr:.2} dB"
    );
}

#[test]
fn raw_scan_keys_are_checked() {
    let error = |text: &str| {
        Task::<f64>::from_toml(text, &data_dir(), "spiral")
            .err()
            .unwrap()
            .to_string()
    };
    let solver = "[solver]\nkind = \"cg\"\niterations = 1";
    let message = error(&task("", "trajectory = \"radial\"", solver));
    assert!(
        message.contains("physics.trajectory") && message.contains("spiral_8coil.h5"),
        "{message}"
    );
    let message = error(&task("", "calibration = 100000", solver));
    assert!(message.contains("physics.calibration"), "{message}");
    let message = error(&task("shape = [128, 128]", "", solver));
    assert!(
        message.contains("data.shape") && message.contains("192×192"),
        "{message}"
    );
    let message = error(&format!(
        "[data]\nimage = \"builtin:camera\"\nreadout_stride = 2\n[physics]\nkind = \"mri\"\n{solver}\n"
    ));
    assert!(
        message.contains("data.readout_stride") && message.contains("ISMRMRD"),
        "{message}"
    );
}
