//! CMA-ES (N. Hansen, "The CMA Evolution Strategy: A Tutorial", arXiv:1604.00772): the sampling
//! baseline. Each generation draws `λ` points `z_k = m + σ B D ε_k` from the search distribution
//! `N(m, σ² C)`, `C = B D² Bᵀ`, moves the mean to the weighted mean of the `μ` best, and adapts
//! `C` by the rank-one (evolution path `p_c`) and rank-`μ` updates and `σ` by cumulative step
//! length adaptation (path `p_σ`), with the tutorial's default constants (its Table 1).

use super::search::{Objectives, Trace};
use crate::{Error, Result};
use faer::{MatRef, Side};
use inversa::numerics::gaussian;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

const N: usize = 4;

/// The tutorial's default constants for dimension `N` and population `λ`.
struct Constants {
    weights: Vec<f64>,
    mu_eff: f64,
    c_sigma: f64,
    d_sigma: f64,
    c_c: f64,
    c_1: f64,
    c_mu: f64,
    chi_n: f64,
}

impl Constants {
    fn new(lambda: usize) -> Self {
        let n = N as f64;
        let mu = lambda / 2;
        let raw: Vec<f64> = (0..mu)
            .map(|i| ((lambda as f64 + 1.0) / 2.0).ln() - (i as f64 + 1.0).ln())
            .collect();
        let total: f64 = raw.iter().sum();
        let weights: Vec<f64> = raw.iter().map(|w| w / total).collect();
        let mu_eff = 1.0 / weights.iter().map(|w| w * w).sum::<f64>();
        let c_sigma = (mu_eff + 2.0) / (n + mu_eff + 5.0);
        let c_1 = 2.0 / ((n + 1.3).powi(2) + mu_eff);
        Self {
            d_sigma: 1.0 + 2.0 * (((mu_eff - 1.0) / (n + 1.0)).sqrt() - 1.0).max(0.0) + c_sigma,
            c_c: (4.0 + mu_eff / n) / (n + 4.0 + 2.0 * mu_eff / n),
            c_mu: (1.0 - c_1)
                .min(2.0 * (mu_eff - 2.0 + 1.0 / mu_eff) / ((n + 2.0).powi(2) + mu_eff)),
            chi_n: n.sqrt() * (1.0 - 1.0 / (4.0 * n) + 1.0 / (21.0 * n * n)),
            weights,
            mu_eff,
            c_sigma,
            c_1,
        }
    }
}

/// Minimises the objective from `start` with step `sigma` until `budget` evaluations are spent;
/// the trace has a round per generation.
pub fn minimise(
    objectives: &Objectives,
    start: [f64; 4],
    sigma: f64,
    budget: usize,
    seed: u64,
) -> Result<Trace> {
    let lambda = 4 + (3.0 * (N as f64).ln()) as usize;
    let k = Constants::new(lambda);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (mut mean, mut sigma) = (start, sigma);
    let mut c = [[0.0; N]; N];
    (0..N).for_each(|i| c[i][i] = 1.0);
    let (mut p_sigma, mut p_c) = ([0.0; N], [0.0; N]);
    let mut trace = Trace::start();
    let mut generation = 0;
    while trace.rounds.last().map_or(0, |r| r.evaluations) + lambda <= budget {
        let (b, d) = eigen(&c)?;
        let steps: Vec<[f64; N]> = (0..lambda)
            .map(|_| {
                let e = gaussian(&mut rng, N);
                std::array::from_fn(|i| (0..N).map(|j| b[i][j] * d[j] * e[j]).sum())
            })
            .collect();
        let points: Vec<[f64; N]> = steps
            .iter()
            .map(|y| std::array::from_fn(|i| mean[i] + sigma * y[i]))
            .collect();
        let values = objectives(&points)?;
        trace.saw(&points, &values);
        let mut order: Vec<usize> = (0..lambda).collect();
        order.sort_by(|&i, &j| values[i].total_cmp(&values[j]));
        let step: [f64; N] = std::array::from_fn(|i| {
            k.weights
                .iter()
                .zip(&order)
                .map(|(w, &o)| w * steps[o][i])
                .sum()
        });
        (0..N).for_each(|i| mean[i] += sigma * step[i]);
        // C^{-1/2} step = B D⁻¹ Bᵀ step.
        let whitened: [f64; N] = std::array::from_fn(|i| {
            (0..N)
                .map(|j| b[i][j] / d[j] * (0..N).map(|l| b[l][j] * step[l]).sum::<f64>())
                .sum()
        });
        let a = (k.c_sigma * (2.0 - k.c_sigma) * k.mu_eff).sqrt();
        (0..N).for_each(|i| p_sigma[i] = (1.0 - k.c_sigma) * p_sigma[i] + a * whitened[i]);
        let norm = p_sigma.iter().map(|v| v * v).sum::<f64>().sqrt();
        generation += 1;
        let decay = (1.0 - (1.0 - k.c_sigma).powi(2 * generation)).sqrt();
        let stalled = norm / decay < (1.4 + 2.0 / (N as f64 + 1.0)) * k.chi_n;
        let a = (k.c_c * (2.0 - k.c_c) * k.mu_eff).sqrt();
        let h = if stalled { 1.0 } else { 0.0 };
        (0..N).for_each(|i| p_c[i] = (1.0 - k.c_c) * p_c[i] + h * a * step[i]);
        let lost = (1.0 - h) * k.c_c * (2.0 - k.c_c);
        for i in 0..N {
            for j in 0..N {
                let rank_mu: f64 = k
                    .weights
                    .iter()
                    .zip(&order)
                    .map(|(w, &o)| w * steps[o][i] * steps[o][j])
                    .sum();
                c[i][j] = (1.0 - k.c_1 - k.c_mu) * c[i][j]
                    + k.c_1 * (p_c[i] * p_c[j] + lost * c[i][j])
                    + k.c_mu * rank_mu;
            }
        }
        sigma *= ((k.c_sigma / k.d_sigma) * (norm / k.chi_n - 1.0)).exp();
        trace.round();
    }
    Ok(trace)
}

/// `C = B diag(d)² Bᵀ`: the eigenvectors (columns of `B`) and the square roots of the eigenvalues.
fn eigen(c: &[[f64; N]; N]) -> Result<([[f64; N]; N], [f64; N])> {
    let flat: Vec<f64> = c.iter().flatten().copied().collect();
    let decomposition = MatRef::from_row_major_slice(&flat, N, N)
        .self_adjoint_eigen(Side::Lower)
        .map_err(|_| {
            Error::setting(
                "cma_evaluations",
                "CMA-ES lost its covariance (no eigendecomposition)",
            )
        })?;
    let (values, vectors) = (decomposition.S(), decomposition.U());
    let b = std::array::from_fn(|i| std::array::from_fn(|j| vectors[(i, j)]));
    let d = std::array::from_fn(|j| values[j].max(1e-20).sqrt());
    Ok((b, d))
}
