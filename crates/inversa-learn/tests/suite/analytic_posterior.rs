//! The exact Gaussian-mixture posterior against independent references:
//!
//! - one component: mean, covariance and evidence against the textbook conditioning of the
//!   joint Gaussian of `(x₀, y)` (Schur complement, `m × m` solves by Gaussian elimination
//!   written here, not faer's Cholesky of the `d × d` precision);
//! - every component's log weight against `ln π_j + ln N(y; Aμ_j, s_j²AAᵀ + σ²I)` evaluated
//!   directly, and the normalised weights and mean against self-normalised importance sampling
//!   from the prior;
//! - the exact samples' mean and covariance against the closed forms;
//! - a class's posterior against the whole mixture's, renormalised;
//! - inpainting: observed coordinates of the mean tend to `y` as `σ → 0` (error ≤ σ²·gap/s²),
//!   missing ones stay at the weighted prior means, and a 0/1 mask (the core `Inpaint`, via
//!   `DenseMatrix::from_operator`) gives the same posterior as the rows of `I`;
//! - bad inputs and oversized sample counts are refused by key.
//!
//! `cargo test -p inversa-learn --test suite -- analytic_posterior:: --nocapture` prints the errors.

use candle_core::DType;
use inversa::operators::compressed_sensing::CompressedSensing;
use inversa::operators::inpaint::Inpaint;
use inversa::operators::LinearOperator;
use inversa_learn::diffusion::analytic::{Component, GaussianMixture};
use inversa_learn::diffusion::analytic_posterior::{
    exact_posterior_samples, DenseMatrix, ExactPosterior,
};
use inversa_learn::diffusion::NoiseSchedule;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

/// `len` standard normal draws.
fn normals(rng: &mut ChaCha8Rng, len: usize) -> Vec<f64> {
    (0..len).map(|_| rng.sample(StandardNormal)).collect()
}

/// A mixture of `(class, weight, std)` components with N(0, spread²) means in `dim` dimensions,
/// and its components (the prior the references use).
fn mixture(
    dim: usize,
    parts: &[(usize, f64, f64)],
    spread: f64,
    seed: u64,
) -> (GaussianMixture, Vec<Component>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let components: Vec<Component> = parts
        .iter()
        .map(|&(class, weight, std)| Component {
            class,
            weight,
            mean: normals(&mut rng, dim).iter().map(|v| spread * v).collect(),
            std,
        })
        .collect();
    let schedule = NoiseSchedule::linear(1000).unwrap();
    (
        GaussianMixture::new(components.clone(), schedule).unwrap(),
        components,
    )
}

/// A random `rows × cols` matrix with N(0, 1/rows) entries.
fn random_matrix(rows: usize, cols: usize, seed: u64) -> DenseMatrix {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let scale = 1.0 / (rows as f64).sqrt();
    let data = normals(&mut rng, rows * cols)
        .iter()
        .map(|v| scale * v)
        .collect();
    DenseMatrix::new(rows, cols, data).unwrap()
}

/// `A` row-major `r × k` times `B` row-major `k × c`.
fn matmul(a: &[f64], b: &[f64], r: usize, k: usize, c: usize) -> Vec<f64> {
    (0..r * c)
        .map(|ij| (0..k).map(|l| a[ij / c * k + l] * b[l * c + ij % c]).sum())
        .collect()
}

fn transpose(a: &[f64], r: usize, c: usize) -> Vec<f64> {
    (0..r * c).map(|ij| a[(ij % r) * c + ij / r]).collect()
}

/// `(M⁻¹ B, ln |det M|)` for square `M` (`n × n`) and `B` (`n × k`), by Gaussian elimination with
/// partial pivoting: the reference solver, independent of faer.
fn solve(mut m: Vec<f64>, mut b: Vec<f64>, n: usize, k: usize) -> (Vec<f64>, f64) {
    let mut log_det = 0.0;
    for col in 0..n {
        let pivot = (col..n)
            .max_by(|&i, &j| m[i * n + col].abs().total_cmp(&m[j * n + col].abs()))
            .unwrap();
        for c in 0..n {
            m.swap(col * n + c, pivot * n + c);
        }
        for c in 0..k {
            b.swap(col * k + c, pivot * k + c);
        }
        let p = m[col * n + col];
        log_det += p.abs().ln();
        for row in col + 1..n {
            let f = m[row * n + col] / p;
            for c in col..n {
                m[row * n + c] -= f * m[col * n + c];
            }
            for c in 0..k {
                b[row * k + c] -= f * b[col * k + c];
            }
        }
    }
    for row in (0..n).rev() {
        for c in 0..k {
            let tail: f64 = (row + 1..n).map(|l| m[row * n + l] * b[l * k + c]).sum();
            b[row * k + c] = (b[row * k + c] - tail) / m[row * n + row];
        }
    }
    (b, log_det)
}

/// The conditioning of `x₀ ~ N(μ, s²I)` on `y = A x₀ + N(0, σ²I)` through the joint law:
/// `C = s²AAᵀ + σ²I`, mean `μ + s²AᵀC⁻¹(y − Aμ)`, covariance `s²I − s⁴AᵀC⁻¹A`, and
/// `ln N(y; Aμ, C)`.
fn joint_conditioning(
    a: &DenseMatrix,
    y: &[f64],
    noise: f64,
    mean: &[f64],
    std: f64,
) -> (Vec<f64>, Vec<f64>, f64) {
    let (m, d, s2) = (a.rows(), a.cols(), std * std);
    let at = transpose(a.data(), m, d);
    let mut c = matmul(a.data(), &at, m, d, m);
    c.iter_mut().for_each(|v| *v *= s2);
    (0..m).for_each(|i| c[i * m + i] += noise * noise);
    let residual: Vec<f64> = a
        .apply(mean)
        .unwrap()
        .iter()
        .zip(y)
        .map(|(p, q)| q - p)
        .collect();
    let (c_inv_r, log_det) = solve(c.clone(), residual.clone(), m, 1);
    let (c_inv_a, _) = solve(c, a.data().to_vec(), m, d);
    let gain = matmul(&at, &c_inv_r, d, m, 1);
    let post_mean = mean.iter().zip(&gain).map(|(u, g)| u + s2 * g).collect();
    let reduction = matmul(&at, &c_inv_a, d, m, d);
    let post_cov = (0..d * d)
        .map(|ij| if ij / d == ij % d { s2 } else { 0.0 } - s2 * s2 * reduction[ij])
        .collect();
    let quad: f64 = residual.iter().zip(&c_inv_r).map(|(r, q)| r * q).sum();
    let log_density = -0.5 * (m as f64 * (2.0 * std::f64::consts::PI).ln() + log_det + quad);
    (post_mean, post_cov, log_density)
}

fn max_gap(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(u, v)| (u - v).abs())
        .fold(0.0, f64::max)
}

#[test]
fn one_component_matches_the_joint_gaussian_conditioning() {
    // Under- and over-determined, and a nearly noiseless measurement.
    for (d, m, noise) in [(6, 4, 0.3), (5, 8, 0.3), (7, 3, 1e-3)] {
        let (mixture, prior) = mixture(d, &[(0, 1.0, 0.8)], 1.0, 1);
        let a = random_matrix(m, d, 2);
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let y = normals(&mut rng, m);
        let posterior = ExactPosterior::new(&mixture, None, &a, &y, noise).unwrap();
        let (mean, cov, log_density) = joint_conditioning(&a, &y, noise, &prior[0].mean, 0.8);
        let errors = (
            max_gap(&posterior.mean(), &mean),
            max_gap(&posterior.covariance().unwrap(), &cov),
            (posterior.log_evidence() - log_density).abs(),
        );
        println!(
            "d = {d}, m = {m}, σ = {noise}: |Δmean| {:.1e}, |Δcov| {:.1e}, |Δ ln p(y)| {:.1e}",
            errors.0, errors.1, errors.2
        );
        // Round-off grows with the precision's condition number, ≈ s²‖A‖²/σ².
        let tolerance = 1e-13 / (noise * noise);
        assert!(errors.0 < tolerance && errors.1 < tolerance && errors.2 < 1e2 * tolerance);
        assert_eq!(posterior.components()[0].weight, 1.0);
    }
}

/// Three components in two classes.
fn three_components(d: usize) -> (GaussianMixture, Vec<Component>) {
    mixture(d, &[(0, 0.5, 0.7), (0, 0.3, 1.0), (1, 0.2, 0.6)], 1.0, 11)
}

#[test]
fn every_log_weight_is_the_prior_weight_times_the_marginal_likelihood() {
    let (d, m, noise) = (5, 3, 0.4);
    let (mixture, prior) = three_components(d);
    let a = random_matrix(m, d, 12);
    let y = vec![0.5, -1.0, 0.8];
    let posterior = ExactPosterior::new(&mixture, None, &a, &y, noise).unwrap();
    for (j, (c, p)) in posterior.components().iter().zip(&prior).enumerate() {
        let (mean, _, log_density) = joint_conditioning(&a, &y, noise, &p.mean, p.std);
        // The weights 0.5, 0.3, 0.2 already sum to one.
        let expected = p.weight.ln() + log_density;
        assert!((c.log_joint - expected).abs() < 1e-9, "component {j}");
        assert!(max_gap(&c.mean, &mean) < 1e-10, "component {j}");
    }
}

#[test]
fn weights_and_mean_match_importance_sampling_from_the_prior() {
    let (d, m, noise) = (3, 2, 0.5);
    let (mixture, prior) = three_components(d);
    let a = random_matrix(m, d, 21);
    // y = A x̄ at the centroid of the three prior means, so that no component dominates.
    let centroid: Vec<f64> = (0..d)
        .map(|k| prior.iter().map(|c| c.mean[k]).sum::<f64>() / 3.0)
        .collect();
    let y = a.apply(&centroid).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(23);
    let posterior = ExactPosterior::new(&mixture, None, &a, &y, noise).unwrap();
    let means: Vec<&Vec<f64>> = prior.iter().map(|c| &c.mean).collect();
    let priors: Vec<f64> = prior.iter().map(|c| c.weight).collect();
    let stds: Vec<f64> = prior.iter().map(|c| c.std).collect();
    // Self-normalised importance sampling: x ~ prior (own sampler), weight ∝ N(y; Ax, σ²I).
    let draws = 400_000;
    let (mut mass, mut mean, mut total, mut squares) = ([0.0; 3], vec![0.0; d], 0.0, 0.0);
    for _ in 0..draws {
        let u: f64 = rng.gen();
        let j = if u < priors[0] {
            0
        } else if u < priors[0] + priors[1] {
            1
        } else {
            2
        };
        let x: Vec<f64> = means[j]
            .iter()
            .map(|mu| mu + stds[j] * rng.sample::<f64, _>(StandardNormal))
            .collect();
        let r2: f64 = a
            .apply(&x)
            .unwrap()
            .iter()
            .zip(&y)
            .map(|(p, q)| (p - q) * (p - q))
            .sum();
        let w = (-0.5 * r2 / (noise * noise)).exp();
        mass[j] += w;
        mean.iter_mut().zip(&x).for_each(|(s, v)| *s += w * v);
        total += w;
        squares += w * w;
    }
    let ess = total * total / squares;
    let estimated: Vec<f64> = mass.iter().map(|w| w / total).collect();
    mean.iter_mut().for_each(|v| *v /= total);
    let exact: Vec<f64> = posterior.components().iter().map(|c| c.weight).collect();
    println!("effective sample size {ess:.0}; weights exact {exact:.4?}, IS {estimated:.4?}");
    println!("mean exact {:.4?}, IS {mean:.4?}", posterior.mean());
    // sd of a weight estimate ≈ √(w(1−w)/ESS) ≤ 0.5/√ESS; 0.01 is over 4 sd for ESS ≥ 40 000.
    assert!(ess > 40_000.0, "{ess}");
    assert!(max_gap(&exact, &estimated) < 0.01);
    assert!(max_gap(&posterior.mean(), &mean) < 0.02);
    assert!(
        exact.iter().all(|w| *w > 0.05),
        "every component should matter here"
    );
}

#[test]
fn exact_samples_have_the_posterior_mean_and_covariance() {
    let (d, m, noise) = (4, 2, 0.3);
    let (mixture, _) = three_components(d);
    let a = random_matrix(m, d, 31);
    let y = vec![0.4, -0.6];
    let posterior = ExactPosterior::new(&mixture, None, &a, &y, noise).unwrap();
    let n = 200_000;
    let samples = exact_posterior_samples(&mixture, None, &a, &y, noise, n, 32).unwrap();
    let mean: Vec<f64> = (0..d)
        .map(|k| samples.iter().map(|s| s[k]).sum::<f64>() / n as f64)
        .collect();
    let cov: Vec<f64> = (0..d * d)
        .map(|ij| {
            samples
                .iter()
                .map(|s| (s[ij / d] - mean[ij / d]) * (s[ij % d] - mean[ij % d]))
                .sum::<f64>()
                / n as f64
        })
        .collect();
    let exact_cov = posterior.covariance().unwrap();
    let errors = (max_gap(&mean, &posterior.mean()), max_gap(&cov, &exact_cov));
    println!(
        "{n} samples: |Δmean| {:.1e}, |Δcov| {:.1e}; weights {:.3?}",
        errors.0,
        errors.1,
        posterior
            .components()
            .iter()
            .map(|c| c.weight)
            .collect::<Vec<_>>()
    );
    // Variances are ≤ 1.5 here: sd of a mean ≤ 0.003, of a covariance entry ≤ 0.005.
    assert!(errors.0 < 0.012 && errors.1 < 0.02);
    let tensor = posterior.sample_tensor(5, 33, DType::F64).unwrap();
    assert_eq!(tensor.dims(), &[5, d]);
    let rows: Vec<Vec<f64>> = tensor.to_vec2().unwrap();
    assert_eq!(rows, posterior.sample(5, 33).unwrap());
}

#[test]
fn a_class_posterior_is_the_mixture_posterior_restricted_and_renormalised() {
    let (d, m, noise) = (5, 3, 0.5);
    let (mixture, _) = three_components(d);
    let a = random_matrix(m, d, 41);
    let y = vec![1.0, 0.0, -0.5];
    let all = ExactPosterior::new(&mixture, None, &a, &y, noise).unwrap();
    let class0 = ExactPosterior::new(&mixture, Some(0), &a, &y, noise).unwrap();
    let mass: f64 = all.components()[..2].iter().map(|c| c.weight).sum();
    for (c, full) in class0.components().iter().zip(all.components()) {
        assert!((c.weight - full.weight / mass).abs() < 1e-12);
        assert_eq!(c.mean, full.mean);
    }
    // p(y | c) = p(y) P(c | y) / P(c), P(class 0) = 0.8.
    let expected = all.log_evidence() + mass.ln() - 0.8f64.ln();
    assert!((class0.log_evidence() - expected).abs() < 1e-12);
}

#[test]
fn inpainting_means_reach_the_observations_as_the_noise_vanishes() {
    let d = 8;
    let (mixture, prior) = three_components(d);
    let observed = [true, false, true, true, false, true, false, true];
    let mask = Inpaint::<f64>::new(&[1, 2, 4], &observed).unwrap();
    let masked = DenseMatrix::from_operator(&mask).unwrap();
    let kept: Vec<usize> = (0..d).filter(|&k| observed[k]).collect();
    let rows = DenseMatrix::new(
        kept.len(),
        d,
        kept.iter()
            .flat_map(|&k| (0..d).map(move |c| f64::from(u8::from(c == k))))
            .collect(),
    )
    .unwrap();
    let y_rows = vec![0.3, -1.2, 0.8, 2.0, -0.4];
    let mut y_full = vec![0.0; d];
    kept.iter().zip(&y_rows).for_each(|(&k, v)| y_full[k] = *v);
    let means: Vec<&Vec<f64>> = prior.iter().map(|c| &c.mean).collect();
    let gap = means
        .iter()
        .flat_map(|mu| kept.iter().zip(&y_rows).map(|(&k, v)| (mu[k] - v).abs()))
        .fold(0.0, f64::max);
    let mut previous = f64::INFINITY;
    for noise in [1e-1, 1e-2, 1e-3, 1e-4] {
        let posterior = ExactPosterior::new(&mixture, None, &rows, &y_rows, noise).unwrap();
        let through_mask = ExactPosterior::new(&mixture, None, &masked, &y_full, noise).unwrap();
        let mean = posterior.mean();
        assert!(max_gap(&mean, &through_mask.mean()) < 1e-9);
        let error = kept
            .iter()
            .zip(&y_rows)
            .map(|(&k, v)| (mean[k] - v).abs())
            .fold(0.0, f64::max);
        // Per component m_j,k = (y_k s² + μ_k σ²)/(s² + σ²): off by ≤ σ² gap / s²_min.
        println!("σ = {noise:.0e}: max |m_obs − y| = {error:.2e}");
        assert!(error <= noise * noise * gap / 0.36 && error < previous);
        previous = error;
        for &k in (0..d).filter(|k| !observed[*k]).collect::<Vec<_>>().iter() {
            let expected: f64 = posterior
                .components()
                .iter()
                .zip(&means)
                .map(|(c, mu)| c.weight * mu[k])
                .sum();
            assert!((mean[k] - expected).abs() < 1e-12);
        }
    }
    assert!(previous < 1e-6);
}

#[test]
fn a_dense_matrix_from_an_operator_applies_as_the_operator() {
    let op = CompressedSensing::<f64>::gaussian(&[1, 3, 4], 5, 7).unwrap();
    let dense = DenseMatrix::from_operator(&op).unwrap();
    assert_eq!((dense.rows(), dense.cols()), (5, 12));
    let x: Vec<f64> = (0..12).map(|k| (k as f64).sin()).collect();
    assert!(max_gap(&dense.apply(&x).unwrap(), &op.apply_new(&x)) < 1e-14);
}

/// The key of a configuration error.
fn refused_key<T: std::fmt::Debug>(result: inversa_learn::Result<T>) -> String {
    match result {
        Err(inversa_learn::Error::Input(inversa::Error::Config { key, .. })) => key,
        other => panic!("expected a configuration error, got {other:?}"),
    }
}

#[test]
fn bad_inputs_and_oversized_requests_are_refused_by_key() {
    let (mixture, _) = three_components(4);
    let a = random_matrix(2, 4, 51);
    let y = [0.1, 0.2];
    let build = |a: &DenseMatrix, y: &[f64], class, noise| {
        ExactPosterior::new(&mixture, class, a, y, noise)
    };
    assert_eq!(
        refused_key(build(&random_matrix(2, 3, 0), &y, None, 0.1)),
        "operator"
    );
    assert_eq!(refused_key(build(&a, &y[..1], None, 0.1)), "y");
    assert_eq!(refused_key(build(&a, &[0.1, f64::NAN], None, 0.1)), "y");
    assert_eq!(refused_key(build(&a, &y, None, 0.0)), "noise_std");
    assert_eq!(refused_key(build(&a, &y, None, f64::INFINITY)), "noise_std");
    assert_eq!(refused_key(build(&a, &y, None, 1e-200)), "noise_std");
    assert_eq!(refused_key(build(&a, &y, Some(2), 0.1)), "class");
    // A std whose square underflows: refused rather than returned as NaN.
    let tiny = Component {
        class: 0,
        weight: 1.0,
        mean: vec![0.0; 4],
        std: 1e-200,
    };
    let degenerate = GaussianMixture::new(vec![tiny], NoiseSchedule::linear(10).unwrap()).unwrap();
    assert!(ExactPosterior::new(&degenerate, None, &a, &y, 0.1).is_err());
    assert_eq!(
        refused_key(DenseMatrix::new(2, 2, vec![0.0; 3])),
        "operator"
    );
    assert_eq!(
        refused_key(DenseMatrix::new(1, 1, vec![f64::NAN])),
        "operator"
    );
    let posterior = build(&a, &y, None, 0.1).unwrap();
    // 2⁶⁰ samples of ℝ⁴ need 2⁶⁵·8 bytes: refused before anything is allocated.
    assert_eq!(refused_key(posterior.sample(1 << 60, 0)), "samples");
    assert_eq!(
        refused_key(posterior.sample_tensor(1 << 60, 0, DType::F32)),
        "samples"
    );
}
