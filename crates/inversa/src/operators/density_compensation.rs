//! Sampling density compensation for non-Cartesian k-space (Pipe, Menon, "Sampling density
//! compensation in MRI: rationale and an iterative numerical solution", MRM 1999): weights `w`
//! with `w ⊙ (C w) ≈ 1`, where `C` convolves the samples' density with the NUFFT's Kaiser–Bessel
//! gridding kernel on the 2× grid (spread, then interpolate back: positive and compact, as the
//! paper requires), found by the fixed point `w ← w / (C w)`. They are then scaled so that the
//! gridding reconstruction `N* (w ⊙ y)` of a unit point is one at the point.

use super::nufft::Nufft;
use num_complex::Complex64 as C64;

/// Pipe–Menon iterations: the weights change by under 1% (median) after ~10 on radial and spiral
/// trajectories.
pub const ITERATIONS: usize = 15;

/// Density weights for `nufft`'s points, scaled so that the weighted adjoint of all-ones k-space
/// (the image of a unit point at the centre) is one at the centre.
pub fn pipe_menon(nufft: &Nufft<f64>, height: usize, width: usize) -> Vec<f64> {
    let mut weights = vec![1.0; nufft.points()];
    let mut image = vec![C64::new(0.0, 0.0); height * width];
    for _ in 0..ITERATIONS {
        let density = nufft.density_convolution(&weights);
        for (w, c) in weights.iter_mut().zip(&density) {
            if *c > 0.0 {
                *w /= c;
            }
        }
    }
    normalise_to_unit_centre(nufft, &mut weights, height, width, &mut image);
    weights
}

/// Scales `weights` so that `N* w` (a point at the centre, gridded) is one at the centre pixel.
pub fn normalise_to_unit_centre(
    nufft: &Nufft<f64>,
    weights: &mut [f64],
    height: usize,
    width: usize,
    image: &mut [C64],
) {
    let complex: Vec<C64> = weights.iter().map(|w| C64::new(*w, 0.0)).collect();
    nufft.adjoint(&complex, image);
    // N is unitary-scaled by 1/√(hw): a unit point's k-space is 1/√(hw) everywhere.
    let centre = image[(height / 2) * width + width / 2].re / ((height * width) as f64).sqrt();
    if centre > 0.0 && centre.is_finite() {
        weights.iter_mut().for_each(|w| *w /= centre);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operators::trajectory::radial;

    #[test]
    fn radial_weights_grow_with_the_radius_as_the_analytic_ramp() {
        let (n, spokes, samples) = (32, 48, 64);
        let points = radial(spokes, samples);
        let nufft = Nufft::<f64>::new(n, n, points.clone(), 6).unwrap();
        let weights = pipe_menon(&nufft, n, n);
        // The analytic density of radial sampling falls as 1/|k|, so its compensation is ∝ |k|:
        // compare w/|k| between the middle and the edge of each spoke (away from the centre, where
        // the spokes overlap, and from the edge, where the kernel is cut).
        let ratio = |i: usize| -> f64 {
            let k = points[i];
            weights[i] / k[0].hypot(k[1])
        };
        let (mid, outer) = (samples / 2 + samples / 8, samples / 2 + 3 * samples / 8);
        for s in [0, spokes / 3, spokes / 2] {
            let (a, b) = (ratio(s * samples + mid), ratio(s * samples + outer));
            assert!((a / b - 1.0).abs() < 0.1, "spoke {s}: {a} vs {b}");
        }
        // And uniform compensation is not that: the centre sample weighs far less than the edge.
        assert!(weights[samples / 2] < 0.2 * weights[samples / 2 + 3 * samples / 8]);
    }
}
