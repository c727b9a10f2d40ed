use super::*;
use std::f64::consts::PI;

/// A disc of radius 14 with a smooth phase, seen by 4 coils of smooth magnitude and phase, on a
/// 48 × 48 grid: the object, the true maps and the coil images.
fn phantom(n: usize, coils: usize) -> (Vec<C64>, Vec<C64>) {
    let centre = (n / 2) as f64;
    let object: Vec<C64> = (0..n * n)
        .map(|p| {
            let (y, x) = ((p / n) as f64 - centre, (p % n) as f64 - centre);
            C64::from_polar(if y.hypot(x) < 14.0 { 1.0 } else { 0.0 }, 0.04 * x)
        })
        .collect();
    let truth: Vec<C64> = (0..coils * n * n)
        .map(|i| {
            let (c, p) = (i / (n * n), i % (n * n));
            let (y, x) = ((p / n) as f64, (p % n) as f64);
            let angle = 2.0 * PI * c as f64 / coils as f64;
            C64::from_polar(1.0 + 0.5 * (angle + 0.06 * (x + y)).cos(), angle + 0.02 * y)
        })
        .collect();
    let images = (0..coils * n * n)
        .map(|i| object[i % (n * n)] * truth[i])
        .collect();
    (truth, images)
}

#[test]
fn recovers_the_true_maps_up_to_a_common_phase() {
    let (n, coils) = (48, 4);
    let (truth, images) = phantom(n, coils);
    let calibration = calibration_from_images(&images, coils, (n, n), 24);
    let (maps, eigenvalues) = espirit(&calibration, coils, 24, (n, n), Params::default()).unwrap();
    let centre = (n / 2) as f64;
    let inside = |p: usize| ((p / n) as f64 - centre).hypot((p % n) as f64 - centre) < 10.0;
    for p in (0..n * n).filter(|p| inside(*p)) {
        assert!(
            (eigenvalues[p] - 1.0).abs() < 0.02,
            "pixel {p}: eigenvalue {}",
            eigenvalues[p]
        );
        // Unit norm across coils, and the same direction as the truth's (|⟨s, ŝ⟩| = 1).
        let norm: f64 = (0..coils)
            .map(|c| truth[c * n * n + p].norm_sqr())
            .sum::<f64>()
            .sqrt();
        let overlap: C64 = (0..coils)
            .map(|c| maps[c * n * n + p].conj() * truth[c * n * n + p] / norm)
            .sum();
        assert!(
            overlap.norm() > 0.99,
            "pixel {p}: |⟨s, ŝ⟩| = {}",
            overlap.norm()
        );
    }
    // Far from the object the data say nothing: the eigenvalue falls below the crop.
    assert!(eigenvalues[0] < 0.8, "corner eigenvalue {}", eigenvalues[0]);
    assert_eq!(maps[0], C64::new(0.0, 0.0));
}

#[test]
fn aligned_maps_combine_the_coil_images_into_a_real_image() {
    let (n, coils) = (48, 4);
    let (_, images) = phantom(n, coils);
    let calibration = calibration_from_images(&images, coils, (n, n), 24);
    let (mut maps, _) = espirit(&calibration, coils, 24, (n, n), Params::default()).unwrap();
    align_phase(&mut maps, &images, n * n);
    let p = (n / 2) * n + n / 2 + 5;
    let combined: C64 = (0..coils)
        .map(|c| maps[c * n * n + p].conj() * images[c * n * n + p])
        .sum();
    assert!(
        combined.re > 0.0 && combined.im.abs() < 1e-12 * combined.re,
        "{combined}"
    );
}

#[test]
fn refuses_a_kernel_larger_than_the_calibration() {
    let calibration = vec![C64::new(1.0, 0.0); 2 * 4 * 4];
    let params = Params {
        kernel: 6,
        ..Params::default()
    };
    assert!(espirit(&calibration, 2, 4, (8, 8), params).is_err());
}
