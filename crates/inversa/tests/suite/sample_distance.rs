//! Sliced Wasserstein-2 and energy distance against what is known in closed form: SW₂ of a
//! translation `δ` is `|δ|/√d` (`|δ|` in one dimension) and near zero between two samples of one
//! law; the energy distance of two 1-D Gaussians is `2E|X−Y| − E|X−X′| − E|Y−Y′|` with
//! `E|N(μ, s²)| = s√(2/π) e^{−μ²/2s²} + μ erf(μ/(s√2))`; the empirical (V) form is never negative
//! and the unbiased (U) form is near zero for one law. Bad inputs are errors naming the argument.
//!
//! `cargo test -p inversa --test suite -- sample_distance:: --nocapture` prints the measured values.

use inversa::sample_distance::{energy_distance, energy_distance_empirical, sliced_wasserstein2};
use inversa::Error;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

/// `n` draws of `N(shift, std² I)` in `shift.len()` dimensions.
fn gaussian(n: usize, shift: &[f64], std: f64, seed: u64) -> Vec<Vec<f64>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n)
        .map(|_| {
            shift
                .iter()
                .map(|m| {
                    let z: f64 = StandardNormal.sample(&mut rng);
                    m + std * z
                })
                .collect()
        })
        .collect()
}

#[test]
fn sliced_w2_of_a_translation_is_its_length_over_root_d() {
    let n = 4000;
    for (dim, length) in [(1usize, 1.5), (8, 2.0 * 8f64.sqrt())] {
        let delta: Vec<f64> = (0..dim).map(|_| length / (dim as f64).sqrt()).collect();
        let x = gaussian(n, &vec![0.0; dim], 1.0, 1);
        let y = gaussian(n, &delta, 1.0, 2);
        let same = gaussian(n, &vec![0.0; dim], 1.0, 3);
        let expected = length / (dim as f64).sqrt();
        let shifted = sliced_wasserstein2(&x, &y, 1000, 4).unwrap();
        let null = sliced_wasserstein2(&x, &same, 1000, 4).unwrap();
        println!("d = {dim}: SW₂ = {shifted:.4} (|δ|/√d = {expected:.4}), same law {null:.4}");
        // Direction sampling: relative sd of E⟨θ,δ⟩² over 1000 directions ≤ 3.7% (d = 8), so
        // SW₂ within 2% of it at 1σ; 4000 points add ≈ 0.03 in quadrature.
        assert!(
            (shifted - expected).abs() < 0.06 * expected.max(1.0),
            "d = {dim}"
        );
        assert!(null < 0.08, "d = {dim}: {null}");
    }
}

#[test]
fn sliced_w2_is_exact_for_translated_copies_in_one_dimension() {
    // y = x + 0.7 pointwise: the sorted projections differ by exactly ±0.7.
    let x = gaussian(100, &[0.0], 1.0, 5);
    let y: Vec<Vec<f64>> = x.iter().map(|p| vec![p[0] + 0.7]).collect();
    let sw = sliced_wasserstein2(&x, &y, 3, 0).unwrap();
    assert!((sw - 0.7).abs() < 1e-12, "{sw}");
    assert_eq!(sliced_wasserstein2(&x, &x, 10, 0).unwrap(), 0.0);
}

/// `erf(x)` by its Maclaurin series, exact to round-off for `|x| ≤ 3`.
fn erf(x: f64) -> f64 {
    let (mut term, mut sum) = (x, x);
    for k in 1..100 {
        term *= -x * x / k as f64;
        sum += term / (2 * k + 1) as f64;
    }
    sum * 2.0 / std::f64::consts::PI.sqrt()
}

/// `E|N(mean, std²)|`, the mean of a folded normal.
fn mean_abs_normal(mean: f64, std: f64) -> f64 {
    std * (2.0 / std::f64::consts::PI).sqrt() * (-mean * mean / (2.0 * std * std)).exp()
        + mean * erf(mean / (std * 2f64.sqrt()))
}

#[test]
fn energy_distance_of_two_gaussians_matches_the_closed_form() {
    assert!((erf(0.5) - 0.520_499_877_813_046_5).abs() < 1e-15);
    let n = 3000;
    for (mu, sx, sy) in [(1.0f64, 1.0f64, 1.0f64), (0.0, 1.0, 2.0), (0.5, 0.5, 1.5)] {
        let exact = 2.0 * mean_abs_normal(mu, (sx * sx + sy * sy).sqrt())
            - mean_abs_normal(0.0, sx * 2f64.sqrt())
            - mean_abs_normal(0.0, sy * 2f64.sqrt());
        // Three disjoint seed pairs, averaged: the U-statistic's sd at n = 3000 is ≈ 0.01 here.
        let estimates: Vec<f64> = (0..3)
            .map(|s| {
                let x = gaussian(n, &[0.0], sx, 10 + 2 * s);
                let y = gaussian(n, &[mu], sy, 11 + 2 * s);
                energy_distance(&x, &y).unwrap()
            })
            .collect();
        let mean = estimates.iter().sum::<f64>() / 3.0;
        println!("μ = {mu}, σx = {sx}, σy = {sy}: exact {exact:.4}, U-estimates {estimates:.4?}");
        assert!((mean - exact).abs() < 0.02, "{mean} vs {exact}");
    }
}

#[test]
fn energy_distance_is_zero_for_one_law_and_never_negative_empirically() {
    for dim in [1usize, 5] {
        let zero = vec![0.0; dim];
        let x = gaussian(1500, &zero, 1.0, 20);
        let y = gaussian(1500, &zero, 1.0, 21);
        let unbiased = energy_distance(&x, &y).unwrap();
        let empirical = energy_distance_empirical(&x, &y).unwrap();
        println!("d = {dim}, one law: U = {unbiased:.2e}, V = {empirical:.2e}");
        // The U-statistic's sd under the null is O(1/n) times E‖X−X′‖ (≈ 1.1 √d).
        assert!(unbiased.abs() < 0.01, "{unbiased}");
        assert!((0.0..0.01).contains(&empirical), "{empirical}");
        assert_eq!(energy_distance_empirical(&x, &x).unwrap(), 0.0);
        // Unbiased, the U-form of a set against itself is −2Σ_{i<j}‖·‖/(n²(n−1))·2 < 0.
        assert!(energy_distance(&x, &x).unwrap() < 0.0);
        for seed in 0..20 {
            let a = gaussian(7, &zero, 1.0, 100 + seed);
            let b = gaussian(5, &vec![0.3; dim], 2.0, 200 + seed);
            assert!(energy_distance_empirical(&a, &b).unwrap() >= 0.0);
        }
    }
}

/// The key of a configuration error.
fn refused_key(result: Result<f64, Error>) -> String {
    match result {
        Err(Error::Config { key, .. }) => key,
        other => panic!("expected a configuration error, got {other:?}"),
    }
}

#[test]
fn bad_clouds_are_refused_by_argument() {
    let good = vec![vec![0.0, 1.0], vec![1.0, 0.0]];
    let empty: Vec<Vec<f64>> = Vec::new();
    let nan = vec![vec![0.0, f64::NAN], vec![1.0, 0.0]];
    let ragged = vec![vec![0.0, 1.0], vec![1.0]];
    let flat = vec![vec![0.0], vec![1.0]];
    let three = vec![vec![0.0, 1.0]; 3];
    let sw = |x: &Vec<Vec<f64>>, y: &Vec<Vec<f64>>| sliced_wasserstein2(x, y, 4, 0);
    assert_eq!(refused_key(sw(&empty, &good)), "x");
    assert_eq!(refused_key(sw(&good, &nan)), "y");
    assert_eq!(refused_key(sw(&ragged, &good)), "x");
    assert_eq!(refused_key(sw(&good, &flat)), "y");
    assert_eq!(refused_key(sw(&good, &three)), "y");
    assert_eq!(
        refused_key(sliced_wasserstein2(&good, &good, 0, 0)),
        "directions"
    );
    // 2⁶⁰ directions of ℝ² need 2⁶⁴·8 bytes: refused before allocation.
    assert_eq!(
        refused_key(sliced_wasserstein2(&good, &good, 1 << 60, 0)),
        "directions"
    );
    type Energy = fn(&[Vec<f64>], &[Vec<f64>]) -> Result<f64, Error>;
    let energies: [Energy; 2] = [energy_distance, energy_distance_empirical];
    for energy in energies {
        assert_eq!(refused_key(energy(&good, &empty)), "y");
        assert_eq!(refused_key(energy(&nan, &good)), "x");
        assert_eq!(refused_key(energy(&good, &flat)), "y");
    }
    assert_eq!(refused_key(energy_distance(&good, &good[..1])), "y");
    assert!(energy_distance_empirical(&good, &good[..1]).is_ok());
}
