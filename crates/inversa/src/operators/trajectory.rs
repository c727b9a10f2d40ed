//! Non-Cartesian k-space trajectories, in cycles per pixel (`[−½, ½)` per axis), points
//! `(k_y, k_x)`: the generated ones that `physics.kind = "mri"` offers with `trajectory =
//! "radial" | "spiral"`.

use std::f64::consts::PI;

/// Radial spokes through the centre, uniformly spaced in angle over `[0, π)`.
pub fn radial(spokes: usize, samples: usize) -> Vec<[f64; 2]> {
    (0..spokes)
        .flat_map(|s| {
            let theta = PI * s as f64 / spokes as f64;
            (0..samples).map(move |i| {
                let r = (i as f64 - (samples / 2) as f64) / samples as f64;
                [r * theta.sin(), r * theta.cos()]
            })
        })
        .collect()
}

/// Archimedean spiral arms from the centre to radius `½` (exclusive), `turns` turns each.
pub fn spiral(interleaves: usize, samples: usize, turns: f64) -> Vec<[f64; 2]> {
    (0..interleaves)
        .flat_map(|j| {
            let offset = 2.0 * PI * j as f64 / interleaves as f64;
            (0..samples).map(move |i| {
                let tau = i as f64 / samples as f64;
                let angle = 2.0 * PI * turns * tau + offset;
                [0.5 * tau * angle.sin(), 0.5 * tau * angle.cos()]
            })
        })
        .collect()
}

/// The first point outside `[−½, ½)` on either axis, with its index, and the message that says so.
pub fn first_outside(points: &[[f64; 2]]) -> Option<String> {
    points
        .iter()
        .enumerate()
        .find(|(_, k)| !k.iter().all(|v| (-0.5..0.5).contains(v)))
        .map(|(m, k)| format!("point {m} is {k:?}: k-space points are in [−½, ½) cycles per pixel"))
}
