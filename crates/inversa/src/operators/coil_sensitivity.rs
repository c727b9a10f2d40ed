//! Coil sensitivities from the data's own low frequencies (the low-resolution estimate of
//! McKenzie, Yeh, Ohliger, Price, Sodickson, "Self-calibrating parallel imaging with automatic
//! coil sensitivity extraction", MRM 2002): each coil's image from the centre of k-space only
//! (a Hann window of `calibration` samples across, density-compensated), divided by their
//! root-sum-of-squares,
//!
//! `S_c = I_c^low / √(Σ_c |I_c^low|²)`.
//!
//! The maps keep the coil images' phase, the object's smooth phase included, so the image that
//! `Σ_c S̄_c I_c` combines is real and non-negative up to the phase finer than the window: this is
//! what lets a real-valued image model the reconstruction of measured, complex data.

use super::nufft::Nufft;
use num_complex::Complex64 as C64;
use std::f64::consts::PI;

/// Calibration region of the estimate, in k-space samples across (as `bart ecalib`'s default
/// 24).
pub const DEFAULT_CALIBRATION: usize = 24;

/// `[coils, h, w]` sensitivities from `data` (`[coils, M]`) at `points` with density `weights`.
pub fn low_resolution(
    nufft: &Nufft<f64>,
    points: &[[f64; 2]],
    data: &[C64],
    weights: &[f64],
    (height, width): (usize, usize),
    calibration: usize,
) -> Vec<C64> {
    let radius = calibration as f64 / (2.0 * height.max(width) as f64);
    let window: Vec<f64> = points
        .iter()
        .zip(weights)
        .map(|(k, w)| {
            let r = k[0].hypot(k[1]);
            if r < radius {
                w * 0.5 * (1.0 + (PI * r / radius).cos())
            } else {
                0.0
            }
        })
        .collect();
    let pixels = height * width;
    let mut maps = vec![C64::new(0.0, 0.0); data.len() / points.len() * pixels];
    for (coil, map) in data.chunks(points.len()).zip(maps.chunks_mut(pixels)) {
        let windowed: Vec<C64> = coil.iter().zip(&window).map(|(y, w)| y * w).collect();
        nufft.adjoint(&windowed, map);
    }
    normalise(&mut maps, pixels);
    maps
}

/// Divides each pixel's coil values by their root-sum-of-squares, floored at 10⁻³ of its maximum
/// so that the background (no signal) does not divide by zero.
pub(super) fn normalise(maps: &mut [C64], pixels: usize) {
    let rss: Vec<f64> = (0..pixels)
        .map(|p| {
            maps.iter()
                .skip(p)
                .step_by(pixels)
                .map(|z| z.norm_sqr())
                .sum::<f64>()
                .sqrt()
        })
        .collect();
    let floor = 1e-3 * rss.iter().copied().fold(0.0, f64::max);
    for coil in maps.chunks_mut(pixels) {
        coil.iter_mut()
            .zip(&rss)
            .for_each(|(z, r)| *z /= r.max(floor).max(f64::MIN_POSITIVE));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operators::trajectory::radial;

    #[test]
    fn recovers_smooth_maps_and_a_real_combined_image() {
        let (n, coils) = (32, 4);
        let points = radial(64, 64);
        let nufft = Nufft::<f64>::new(n, n, points.clone(), 6).unwrap();
        // A disc with a smooth phase ramp, seen by coils with smooth magnitude and phase.
        let centre = (n / 2) as f64;
        let object: Vec<C64> = (0..n * n)
            .map(|p| {
                let (y, x) = ((p / n) as f64 - centre, (p % n) as f64 - centre);
                let inside = if y.hypot(x) < 10.0 { 1.0 } else { 0.0 };
                C64::from_polar(inside, 0.05 * x)
            })
            .collect();
        let truth: Vec<C64> = (0..coils * n * n)
            .map(|i| {
                let (c, p) = (i / (n * n), i % (n * n));
                let (y, x) = ((p / n) as f64, (p % n) as f64);
                let angle = 2.0 * PI * c as f64 / coils as f64;
                C64::from_polar(1.0 + 0.5 * (angle + 0.08 * (x + y)).cos(), angle + 0.03 * y)
            })
            .collect();
        let mut data = vec![C64::new(0.0, 0.0); coils * points.len()];
        for (c, values) in data.chunks_mut(points.len()).enumerate() {
            let image: Vec<C64> = object
                .iter()
                .zip(&truth[c * n * n..])
                .map(|(o, s)| o * s)
                .collect();
            nufft.forward(&image, values);
        }
        let weights = crate::operators::density_compensation::pipe_menon(&nufft, n, n);
        let maps = low_resolution(&nufft, &points, &data, &weights, (n, n), 16);
        // Inside the disc (away from its edge) the estimate is the truth up to the pixel's common
        // factor |o|·e^{iφ}/RSS: the ratio of two coils' maps is the truth's ratio.
        for p in (0..n * n).filter(|p| {
            let (y, x) = ((p / n) as f64 - centre, (p % n) as f64 - centre);
            y.hypot(x) < 6.0
        }) {
            let estimated = maps[n * n + p] / maps[p];
            let expected = truth[n * n + p] / truth[p];
            assert!((estimated / expected - 1.0).norm() < 0.1, "pixel {p}");
        }
        // Combining the fully sampled coil images with the maps gives a near-real image.
        let mut combined = vec![C64::new(0.0, 0.0); n * n];
        let mut coil_image = vec![C64::new(0.0, 0.0); n * n];
        for (c, values) in data.chunks(points.len()).enumerate() {
            let weighted: Vec<C64> = values.iter().zip(&weights).map(|(y, w)| y * w).collect();
            nufft.adjoint(&weighted, &mut coil_image);
            for (z, (s, i)) in combined
                .iter_mut()
                .zip(maps[c * n * n..].iter().zip(&coil_image))
            {
                *z += s.conj() * i;
            }
        }
        let centre_pixel = combined[(n / 2) * n + n / 2];
        assert!(
            centre_pixel.im.abs() < 0.05 * centre_pixel.re,
            "{centre_pixel}"
        );
    }
}
