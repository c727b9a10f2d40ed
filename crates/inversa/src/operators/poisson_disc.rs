//! Variable-density Poisson-disc sampling of a 2-D Cartesian k-space plane, with a fully sampled
//! calibration square at its centre (Lustig, Donoho, Pauly, "Sparse MRI", MRM 2007; Vasanawala et al.,
//! "Practical parallel imaging compressed sensing MRI", ISBI 2011 — what `bart poisson -v` draws).
//!
//! Samples keep a minimum distance from each other that grows linearly with their distance from the
//! centre, `r(k) = r₀ (1 + 2|k|/K)` with `|k|` the elliptical radius normalised by the half-extent `K`
//! of each axis, so the centre is dense and the edge sparse, with no two samples clumped as uniform
//! random sampling clumps them. Points are thrown in a seeded random order and kept when no kept point
//! lies within `r(k)` (random sequential adsorption, an approximation of Bridson's Poisson-disc
//! process); `r₀` is found by bisection so that `H·W / acceleration` points are kept, the calibration
//! square included.
//!
//! This is the mask of a 3-D Cartesian acquisition's two phase-encode axes. On a 2-D scan its
//! readout-direction gaps cannot be acquired; there it serves retrospective studies only.
//!
//! ```
//! use inversa::operators::poisson_disc::poisson_disc;
//! let mask = poisson_disc((64, 64), 4.0, 12, 0).unwrap();
//! let kept = mask.iter().filter(|&&m| m).count();
//! assert!((kept as f64 - 1024.0).abs() <= 0.02 * 1024.0);
//! // The centre (index 0, unshifted) and its 12 × 12 neighbourhood are all sampled.
//! assert!(mask[0] && mask[5 * 64 + 5] && mask[(64 - 6) * 64 + 64 - 6]);
//! ```

use super::kspace_mask::signed_frequency;
use crate::error::{Error, Result};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// Bisection steps on the radius scale.
const BISECTIONS: usize = 30;

/// `h × w` sampled points (unshifted order, `true` = acquired): `h·w / acceleration` of them, a
/// `calibration × calibration` centre among them.
pub fn poisson_disc(
    (h, w): (usize, usize),
    acceleration: f64,
    calibration: usize,
    seed: u64,
) -> Result<Vec<bool>> {
    if !(acceleration.is_finite() && acceleration >= 1.0) {
        return Err(Error::config(
            "acceleration",
            format!("expected a number >= 1, found {acceleration}"),
        ));
    }
    let target = ((h * w) as f64 / acceleration).round() as usize;
    let centre = calibration.min(h) * calibration.min(w);
    if centre > target {
        return Err(Error::config(
            "calibration",
            format!(
                "its {centre} centre points exceed the {target} of {h}×{w} that acceleration {acceleration} keeps"
            ),
        ));
    }
    let mut order: Vec<usize> = (0..h * w).collect();
    order.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
    let throw = |scale: f64| throw_darts((h, w), &order, calibration, scale);
    // More radius, fewer points: bisect on the scale between "every point" and a radius well past
    // the ~√acceleration spacing the count needs (bounded so a large image costs O(HW·R) per throw).
    let (mut dense, mut sparse) = (0.0, 4.0 * acceleration.sqrt() + 4.0);
    for _ in 0..BISECTIONS {
        let middle = 0.5 * (dense + sparse);
        if count(&throw(middle)) > target {
            dense = middle;
        } else {
            sparse = middle;
        }
    }
    Ok(throw(dense))
}

fn count(mask: &[bool]) -> usize {
    mask.iter().filter(|&&m| m).count()
}

/// The calibration square, then every point of `order` with no kept neighbour within its radius.
fn throw_darts(
    (h, w): (usize, usize),
    order: &[usize],
    calibration: usize,
    scale: f64,
) -> Vec<bool> {
    let frequency = |p: usize| (signed_frequency(p / w, h), signed_frequency(p % w, w));
    let half = |n: usize| (n as f64 / 2.0).max(1.0);
    let radius = |(fy, fx): (isize, isize)| {
        let r = ((fy as f64 / half(h)).powi(2) + (fx as f64 / half(w)).powi(2)).sqrt();
        scale * (1.0 + 2.0 * r)
    };
    let in_calibration = |(fy, fx): (isize, isize)| {
        let c = calibration as isize;
        (-(c / 2)..c - c / 2).contains(&fy) && (-(c / 2)..c - c / 2).contains(&fx)
    };
    let mut mask: Vec<bool> = (0..h * w).map(|p| in_calibration(frequency(p))).collect();
    for &p in order {
        let f = frequency(p);
        if mask[p] {
            continue;
        }
        let r = radius(f);
        let reach = r.ceil() as isize;
        let free = (-reach..=reach).all(|dy| {
            (-reach..=reach).all(|dx| {
                if (dy * dy + dx * dx) as f64 >= r * r || (dy == 0 && dx == 0) {
                    return true;
                }
                let y = (f.0 + dy).rem_euclid(h as isize) as usize;
                let x = (f.1 + dx).rem_euclid(w as isize) as usize;
                !mask[y * w + x]
            })
        });
        if free {
            mask[p] = true;
        }
    }
    mask
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_count_is_the_acceleration_and_the_centre_is_dense() {
        for (acceleration, seed) in [(3.0, 1), (6.0, 2)] {
            let (h, w) = (96, 80);
            let mask = poisson_disc((h, w), acceleration, 16, seed).unwrap();
            let target = (h * w) as f64 / acceleration;
            assert!(
                (count(&mask) as f64 - target).abs() <= 0.02 * target,
                "{} of {target}",
                count(&mask)
            );
            // Sampling density falls from the centre to the edge.
            let density = |inner: f64, outer: f64| {
                let ring: Vec<bool> = (0..h * w)
                    .filter(|p| {
                        let (fy, fx) = (
                            signed_frequency(p / w, h) as f64 / 48.0,
                            signed_frequency(p % w, w) as f64 / 40.0,
                        );
                        (inner..outer).contains(&fy.hypot(fx))
                    })
                    .map(|p| mask[p])
                    .collect();
                count(&ring) as f64 / ring.len() as f64
            };
            assert!(
                density(0.25, 0.5) > 1.5 * density(0.75, 1.0),
                "{} {}",
                density(0.25, 0.5),
                density(0.75, 1.0)
            );
        }
    }

    #[test]
    fn samples_touch_far_less_often_than_uniform_random_ones() {
        // The disc property: kept points keep their distance, where uniform random points of the
        // same count land next to each other often.
        let (h, w) = (64, 64);
        let mask = poisson_disc((h, w), 8.0, 8, 3).unwrap();
        let mut uniform = vec![false; h * w];
        let mut order: Vec<usize> = (0..h * w).collect();
        order.shuffle(&mut ChaCha8Rng::seed_from_u64(9));
        order[..count(&mask)]
            .iter()
            .for_each(|&p| uniform[p] = true);
        let off_centre =
            |p: usize| signed_frequency(p / w, h).abs() > 4 || signed_frequency(p % w, w).abs() > 4;
        let touching = |m: &[bool]| {
            (0..h * w)
                .filter(|&p| m[p] && off_centre(p))
                .map(|p| [(p / w) * w + (p % w + 1) % w, ((p / w + 1) % h) * w + p % w])
                .map(|next| next.iter().filter(|&&q| m[q] && off_centre(q)).count())
                .sum::<usize>()
        };
        assert!(
            touching(&mask) * 4 < touching(&uniform),
            "{} against {}",
            touching(&mask),
            touching(&uniform)
        );
    }

    #[test]
    fn impossible_budgets_name_their_key() {
        let error = poisson_disc((32, 32), 8.0, 16, 0).unwrap_err().to_string();
        assert!(error.contains("calibration"), "{error}");
        let error = poisson_disc((32, 32), 0.5, 4, 0).unwrap_err().to_string();
        assert!(error.contains("acceleration"), "{error}");
    }
}
