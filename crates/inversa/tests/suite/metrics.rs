//! PSNR / SSIM / NMSE against scikit-image.
//!
//! Expected numbers: `python3 tools/metrics_reference.py` (scikit-image 0.26.0, numpy 2.4.6), which
//! builds the same arrays (the formulas of `wave`, `ripple`, `perturbation` below, or crops of
//! `data/camera.png`) and calls `peak_signal_noise_ratio`, `structural_similarity(gaussian_weights=True,
//! sigma=1.5, use_sample_covariance=False, data_range=R, channel_axis=0)` and
//! `normalized_root_mse(normalization="euclidean")²`.

use inversa::metrics::{nmse, psnr, ssim};
use inversa::Error;

/// `0.5 + 0.4 sin(0.3 i + 0.2 (k + 1) j + 0.7 k)` on `[c, h, w]`.
fn wave(c: usize, h: usize, w: usize) -> Vec<f64> {
    grid(c, h, w, |k, i, j| {
        0.5 + 0.4 * (0.3 * i + 0.2 * (k + 1.0) * j + 0.7 * k).sin()
    })
}

/// `0.5 + 0.3 cos(0.17 i j + k) + 0.1 sin(1.3 i − 0.4 j)` on `[c, h, w]`.
fn ripple(c: usize, h: usize, w: usize) -> Vec<f64> {
    grid(c, h, w, |k, i, j| {
        0.5 + 0.3 * (0.17 * i * j + k).cos() + 0.1 * (1.3 * i - 0.4 * j).sin()
    })
}

/// `0.08 sin(0.7 i + 1.3 j) + 0.03 cos(2.1 i j)` on `[h, w]`.
fn perturbation(h: usize, w: usize) -> Vec<f64> {
    grid(1, h, w, |_, i, j| {
        0.08 * (0.7 * i + 1.3 * j).sin() + 0.03 * (2.1 * i * j).cos()
    })
}

fn grid(c: usize, h: usize, w: usize, f: impl Fn(f64, f64, f64) -> f64) -> Vec<f64> {
    (0..c * h * w)
        .map(|n| f((n / (h * w)) as f64, ((n / w) % h) as f64, (n % w) as f64))
        .collect()
}

/// `wave + 0.2 (ripple − 0.5)`, compared against `wave`.
fn wave_plus_ripple(c: usize, h: usize, w: usize) -> (Vec<f64>, Vec<f64>) {
    let reference = wave(c, h, w);
    let x = reference
        .iter()
        .zip(ripple(c, h, w))
        .map(|(a, r)| a + 0.2 * (r - 0.5))
        .collect();
    (x, reference)
}

/// Rows `top..top+h`, columns `left..left+w` of `data/camera.png` in [0, 1].
fn camera_crop(top: usize, left: usize, h: usize, w: usize) -> Vec<f64> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/camera.png");
    let image = inversa::io::read_png(&path).unwrap();
    assert_eq!(image.shape, vec![1, 512, 512]);
    (0..h * w)
        .map(|n| image.data[(top + n / w) * 512 + left + n % w])
        .collect()
}

fn add(a: &[f64], b: &[f64], scale: f64) -> Vec<f64> {
    a.iter().zip(b).map(|(p, q)| p + scale * q).collect()
}

/// Asserts all three metrics of `x` against `reference` (PSNR to 1e-9 dB, SSIM to 1e-9, NMSE to 1e-9
/// relative).
fn check(x: &[f64], reference: &[f64], shape: &[usize], range: f64, expected: [f64; 3]) {
    let [p, s, n] = expected;
    let got = [
        psnr(x, reference, range),
        ssim(x, reference, shape, range).unwrap(),
        nmse(x, reference),
    ];
    assert!((got[0] - p).abs() < 1e-9, "PSNR {} vs {p}", got[0]);
    assert!((got[1] - s).abs() < 1e-9, "SSIM {} vs {s}", got[1]);
    assert!((got[2] - n).abs() < 1e-9 * n, "NMSE {} vs {n}", got[2]);
}

#[test]
fn grey_non_square_matches_scikit_image() {
    let (x, reference) = wave_plus_ripple(1, 23, 31);
    let expected = [26.735394536030, 0.938130931908, 6.424455281818e-03];
    check(&x, &reference, &[1, 23, 31], 1.0, expected);
    // The same image given as [H, W].
    check(&x, &reference, &[23, 31], 1.0, expected);
}

#[test]
fn three_channels_with_range_two_match_scikit_image() {
    let (x, reference) = wave_plus_ripple(3, 17, 29);
    let expected = [32.988593704999, 0.963958954132, 6.176228312987e-03];
    check(&x, &reference, &[3, 17, 29], 2.0, expected);
}

#[test]
fn window_sized_image_keeps_only_the_centre_and_matches_scikit_image() {
    let expected = [9.537192690867, -0.439629210024, 3.180974604506e-01];
    check(
        &wave(1, 11, 11),
        &ripple(1, 11, 11),
        &[1, 11, 11],
        1.0,
        expected,
    );
}

#[test]
fn camera_crop_matches_scikit_image() {
    let crop = camera_crop(100, 200, 64, 64);
    let noisy = add(&crop, &perturbation(64, 64), 1.0);
    let expected = [24.361169983237, 0.574876425502, 2.376172329304e-02];
    check(&noisy, &crop, &[1, 64, 64], 1.0, expected);
}

#[test]
fn camera_crop_in_0_255_units_matches_scikit_image() {
    let wide: Vec<f64> = camera_crop(300, 150, 48, 80)
        .iter()
        .map(|v| v * 255.0)
        .collect();
    let shifted = add(&wide, &perturbation(48, 80), 1.5 * 255.0);
    let expected = [20.839390333875, 0.261598892085, 4.166414668028e-02];
    check(&shifted, &wide, &[1, 48, 80], 255.0, expected);
}

#[test]
fn f32_input_agrees_with_f64() {
    let (x, reference) = wave_plus_ripple(3, 17, 29);
    let to32 = |v: &[f64]| -> Vec<f32> { v.iter().map(|&a| a as f32).collect() };
    let (x32, ref32) = (to32(&x), to32(&reference));
    assert!((psnr(&x32, &ref32, 2.0) - 32.988593704999).abs() < 1e-4);
    assert!((ssim(&x32, &ref32, &[3, 17, 29], 2.0).unwrap() - 0.963958954132).abs() < 1e-5);
    assert!((nmse(&x32, &ref32) - 6.176228312987e-03).abs() < 1e-7);
}

#[test]
fn identical_images_give_infinite_psnr_unit_ssim_and_zero_nmse() {
    let x = camera_crop(0, 0, 20, 20);
    assert_eq!(psnr(&x, &x, 1.0), f64::INFINITY);
    assert!((ssim(&x, &x, &[1, 20, 20], 1.0).unwrap() - 1.0).abs() < 1e-12);
    assert_eq!(nmse(&x, &x), 0.0);
}

#[test]
fn bad_shapes_and_ranges_are_errors_not_panics() {
    let small = wave(1, 10, 40);
    let message = ssim(&small, &small, &[1, 10, 40], 1.0)
        .unwrap_err()
        .to_string();
    assert!(message.contains("11×11"), "{message}");
    let x = wave(1, 12, 12);
    assert!(matches!(
        ssim(&x, &x, &[1, 12, 13], 1.0),
        Err(Error::Shape(_))
    ));
    assert!(matches!(ssim(&x, &x, &[144], 1.0), Err(Error::Shape(_))));
    assert!(matches!(
        ssim(&x, &x[1..], &[1, 12, 12], 1.0),
        Err(Error::Shape(_))
    ));
    assert!(matches!(
        ssim(&x, &x, &[0, 12, 12], 1.0),
        Err(Error::Shape(_))
    ));
    for range in [0.0, -1.0, f64::NAN] {
        assert!(matches!(
            ssim(&x, &x, &[1, 12, 12], range),
            Err(Error::Config { .. })
        ));
    }
    assert!(psnr(&x, &x[1..], 1.0).is_nan());
    assert!(nmse(&x, &x[1..]).is_nan());
}
