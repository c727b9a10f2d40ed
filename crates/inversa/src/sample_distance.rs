//! Distances between two sets of samples in `ℝ^d`: how far a sampler's output lies from draws of
//! the law it should sample (for instance exact posterior samples), without any density.
//!
//! - **Sliced Wasserstein-2** (J. Rabin, G. Peyré, J. Delon, M. Bernot, "Wasserstein barycenter
//!   and its application to texture mixing", SSVM 2011; N. Bonneel, J. Rabin, G. Peyré,
//!   H. Pfister, "Sliced and Radon Wasserstein barycenters of measures", JMIV 51, 2015):
//!
//!   `SW₂(μ, ν)² = ∫_{S^{d−1}} W₂(θ#μ, θ#ν)² dσ(θ)`,
//!
//!   estimated with `K` directions `θ_k` drawn uniformly on the sphere from a seed. In one
//!   dimension the optimal coupling of two equal-size empirical measures pairs their sorted
//!   values, so `W₂(θ#x, θ#y)² = (1/n) Σ_i (⟨θ, x_(i)⟩ − ⟨θ, y_(i)⟩)²` after sorting each
//!   projection; the estimate is `√((1/K) Σ_k W₂(θ_k#x, θ_k#y)²)`. Cost `O(K n (d + log n))`.
//!
//!   Scale: averaging over the sphere divides a squared distance by `d` on average
//!   (`E_θ ⟨θ, δ⟩² = |δ|²/d`), so two laws that differ by a translation `δ` are at
//!   `SW₂ = |δ|/√d`, not `|δ|`. Compare values at one dimension, not with `W₂`.
//! - **Energy distance** (G. J. Székely, M. L. Rizzo, "Energy statistics: a class of statistics
//!   based on distances", J. Stat. Planning and Inference 143, 2013, eq. (2.1)):
//!
//!   `D²(X, Y) = 2 E‖X − Y‖ − E‖X − X′‖ − E‖Y − Y′‖ ≥ 0`, zero iff the laws are equal.
//!
//!   [`energy_distance`] is the unbiased estimate: the cross term averages all `n m` pairs and
//!   the two within terms are U-statistics over the `n(n−1)` and `m(m−1)` ordered pairs of
//!   distinct points. Being unbiased it can be slightly negative (`O(1/n)`) when the laws are
//!   equal. [`energy_distance_empirical`] is the V-statistic (within terms divided by `n²`,
//!   `m²`): the energy distance between the two empirical measures, never negative and zero for
//!   identical sets, biased upwards by `O(1/n)`. Cost `O((n + m)² d)`; no allocation.
//!
//! Both take point clouds as slices of points (`&[Vec<f64>]`, `&[&[f64]]`, …), check that they
//! are non-empty, of one dimension and finite, and return an error naming `x`, `y` or
//! `directions` otherwise.
//!
//! ```
//! use inversa::sample_distance::{energy_distance_empirical, sliced_wasserstein2};
//! // Two one-point clouds 3 apart in ℝ¹: SW₂ = 3 whatever the direction (±1), D² = 2·3 = 6.
//! let x = vec![vec![0.0]];
//! let y = vec![vec![3.0]];
//! assert!((sliced_wasserstein2(&x, &y, 5, 0)? - 3.0).abs() < 1e-12);
//! assert!((energy_distance_empirical(&x, &y)? - 6.0).abs() < 1e-12);
//! # Ok::<(), inversa::Error>(())
//! ```

use crate::error::{Error, Result};
use crate::memory;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

/// The sliced Wasserstein-2 distance between two equal-size clouds, from `directions` random
/// unit directions drawn from `seed` (see the module header).
pub fn sliced_wasserstein2<P: AsRef<[f64]>, Q: AsRef<[f64]>>(
    x: &[P],
    y: &[Q],
    directions: usize,
    seed: u64,
) -> Result<f64> {
    let dim = matching_dims(x, y)?;
    if x.len() != y.len() {
        return Err(Error::config(
            "y",
            format!(
                "has {} points and x has {}; sliced W₂ pairs sorted projections and needs equal sizes",
                y.len(),
                x.len()
            ),
        ));
    }
    if directions == 0 {
        return Err(Error::config("directions", "needs at least one direction"));
    }
    memory::check_array("directions", &[directions, dim], 8, 1)?;
    memory::check_array("x", &[x.len()], 8, 2)?;
    let thetas = unit_directions(directions, dim, seed);
    let total: f64 = thetas
        .chunks_exact(dim)
        .map(|theta| projected_w2_squared(x, y, theta))
        .sum();
    Ok((total / directions as f64).sqrt())
}

/// `W₂(θ#x, θ#y)²` of two equal-size clouds: the mean squared gap of the sorted projections.
fn projected_w2_squared<P: AsRef<[f64]>, Q: AsRef<[f64]>>(x: &[P], y: &[Q], theta: &[f64]) -> f64 {
    let mut px = projections(x, theta);
    let mut py = projections(y, theta);
    // The inputs were checked finite, so total_cmp is the numeric order.
    px.sort_unstable_by(f64::total_cmp);
    py.sort_unstable_by(f64::total_cmp);
    let sum: f64 = px.iter().zip(&py).map(|(a, b)| (a - b) * (a - b)).sum();
    sum / px.len() as f64
}

/// `⟨θ, p⟩` for every point `p`.
fn projections<P: AsRef<[f64]>>(points: &[P], theta: &[f64]) -> Vec<f64> {
    points
        .iter()
        .map(|p| p.as_ref().iter().zip(theta).map(|(a, b)| a * b).sum())
        .collect()
}

/// `count` directions uniform on `S^{d−1}` (normalised Gaussian vectors), row-major `[count, d]`.
fn unit_directions(count: usize, dim: usize, seed: u64) -> Vec<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = Vec::with_capacity(count * dim);
    while out.len() < count * dim {
        let v: Vec<f64> = (0..dim).map(|_| StandardNormal.sample(&mut rng)).collect();
        let length = v.iter().map(|a| a * a).sum::<f64>().sqrt();
        // A zero Gaussian vector has probability zero; redrawing keeps the law uniform anyway.
        if length > 0.0 {
            out.extend(v.iter().map(|a| a / length));
        }
    }
    out
}

/// The unbiased (U-statistic) energy distance `2E‖X−Y‖ − E‖X−X′‖ − E‖Y−Y′‖` between the laws
/// that drew `x` and `y` (see the module header); both need at least two points.
pub fn energy_distance<P: AsRef<[f64]>, Q: AsRef<[f64]>>(x: &[P], y: &[Q]) -> Result<f64> {
    matching_dims(x, y)?;
    for (key, len) in [("x", x.len()), ("y", y.len())] {
        if len < 2 {
            return Err(Error::config(
                key,
                "the unbiased energy distance needs at least two points",
            ));
        }
    }
    let (cross, within_x, within_y) = pair_sums(x, y);
    let (n, m) = (x.len() as f64, y.len() as f64);
    Ok(2.0 * cross / (n * m) - within_x / (n * (n - 1.0)) - within_y / (m * (m - 1.0)))
}

/// The energy distance between the empirical measures of `x` and `y` (the V-statistic): never
/// negative, zero for identical sets (see the module header).
pub fn energy_distance_empirical<P: AsRef<[f64]>, Q: AsRef<[f64]>>(
    x: &[P],
    y: &[Q],
) -> Result<f64> {
    matching_dims(x, y)?;
    let (cross, within_x, within_y) = pair_sums(x, y);
    let (n, m) = (x.len() as f64, y.len() as f64);
    // Rounding can leave −1e-17 for identical sets; the exact value is a squared metric (≥ 0).
    Ok((2.0 * cross / (n * m) - within_x / (n * n) - within_y / (m * m)).max(0.0))
}

/// `(Σ_{i,j} ‖x_i − y_j‖, Σ_{i≠i′} ‖x_i − x_i′‖, Σ_{j≠j′} ‖y_j − y_j′‖)` over ordered pairs.
fn pair_sums<P: AsRef<[f64]>, Q: AsRef<[f64]>>(x: &[P], y: &[Q]) -> (f64, f64, f64) {
    let cross = x
        .iter()
        .map(|a| {
            y.iter()
                .map(|b| distance(a.as_ref(), b.as_ref()))
                .sum::<f64>()
        })
        .sum();
    (cross, within_sum(x), within_sum(y))
}

/// `Σ_{i≠i′} ‖p_i − p_i′‖` over ordered pairs: twice the sum over `i < i′`.
fn within_sum<P: AsRef<[f64]>>(points: &[P]) -> f64 {
    let half: f64 = points
        .iter()
        .enumerate()
        .map(|(i, a)| {
            points[i + 1..]
                .iter()
                .map(|b| distance(a.as_ref(), b.as_ref()))
                .sum::<f64>()
        })
        .sum();
    2.0 * half
}

/// `‖a − b‖₂`.
fn distance(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(u, v)| (u - v) * (u - v))
        .sum::<f64>()
        .sqrt()
}

/// The common dimension of two checked clouds.
fn matching_dims<P: AsRef<[f64]>, Q: AsRef<[f64]>>(x: &[P], y: &[Q]) -> Result<usize> {
    let dx = checked_cloud("x", x)?;
    let dy = checked_cloud("y", y)?;
    if dx != dy {
        return Err(Error::config(
            "y",
            format!("has points of dimension {dy} and x of dimension {dx}"),
        ));
    }
    Ok(dx)
}

/// The dimension of a cloud: at least one point, all of one dimension ≥ 1, all entries finite.
fn checked_cloud<P: AsRef<[f64]>>(key: &str, points: &[P]) -> Result<usize> {
    let dim = match points.first() {
        Some(p) if !p.as_ref().is_empty() => p.as_ref().len(),
        Some(_) => return Err(Error::config(key, "has a point of dimension 0")),
        None => return Err(Error::config(key, "has no points")),
    };
    for (i, p) in points.iter().enumerate() {
        let p = p.as_ref();
        if p.len() != dim {
            return Err(Error::config(
                key,
                format!("point {i} has dimension {} and point 0 has {dim}", p.len()),
            ));
        }
        if let Some(k) = p.iter().position(|v| !v.is_finite()) {
            return Err(Error::config(
                key,
                format!("point {i} has a non-finite entry at {k} ({})", p[k]),
            ));
        }
    }
    Ok(dim)
}
