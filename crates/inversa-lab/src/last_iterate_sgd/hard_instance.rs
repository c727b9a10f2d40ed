//! Harvey, Liaw, Plan, Randhawa (COLT 2019, §3.1): the instance on which the last iterate of
//! gradient descent with step 1/√t is Ω(log T/√T) from the optimum.

use super::problems::{dot, log_slope};
use super::HardInstance;
use rayon::prelude::*;

/// Subgradient descent on Harvey et al.'s function in `R^T` for each horizon `T`.
pub(super) fn hard_instance(horizons: &[usize]) -> HardInstance {
    let runs: Vec<(f64, f64)> = horizons.par_iter().map(|&t| hard_run(t)).collect();
    let last: Vec<f64> = runs.iter().map(|r| r.0).collect();
    let average: Vec<f64> = runs.iter().map(|r| r.1).collect();
    let ts: Vec<f64> = horizons.iter().map(|&t| t as f64).collect();
    let lower_bound = ts
        .iter()
        .map(|&t| (1..=t as usize).map(|j| 1.0 / j as f64).sum::<f64>() / (32.0 * t.sqrt()))
        .collect();
    let last_times_sqrt_t_over_log_t = last
        .iter()
        .zip(&ts)
        .map(|(f, t)| f * t.sqrt() / t.ln())
        .collect();
    HardInstance {
        horizons: horizons.to_vec(),
        last_fitted_exponent: log_slope(&ts, &last),
        last,
        average,
        lower_bound,
        last_times_sqrt_t_over_log_t,
    }
}

/// Harvey et al.'s `f(x) = max_{i ≤ T+1} hᵢᵀx` on the unit ball of `R^T`, with
/// `h_{i,j} = a_j (j < i)`, `−b_i (j = i ≤ T)`, `0 (j > i)`, `a_j = 1/(8(T − j + 1))`,
/// `b_j = √j / (2√T)` (1-based).
pub(super) struct Hard {
    pub(super) a: Vec<f64>,
    pub(super) b: Vec<f64>,
}

impl Hard {
    pub(super) fn new(t: usize) -> Self {
        let tf = t as f64;
        Self {
            a: (1..=t)
                .map(|j| 1.0 / (8.0 * (tf - j as f64 + 1.0)))
                .collect(),
            b: (1..=t)
                .map(|j| (j as f64).sqrt() / (2.0 * tf.sqrt()))
                .collect(),
        }
    }

    /// `f(x)` and the first index (0-based) attaining the maximum: the oracle of the paper.
    pub(super) fn value(&self, x: &[f64]) -> (f64, usize) {
        let (mut prefix, mut best, mut arg) = (0.0, f64::NEG_INFINITY, 0);
        for (i, ((ai, bi), xi)) in self.a.iter().zip(&self.b).zip(x).enumerate() {
            let hx = prefix - bi * xi;
            if hx > best {
                (best, arg) = (hx, i);
            }
            prefix += ai * xi;
        }
        if prefix > best {
            (best, arg) = (prefix, self.a.len());
        }
        (best, arg)
    }
}

/// `(f(x_{T+1}), f(x̄_T))` of subgradient descent with `η_t = 1/√t` and projection on the ball.
pub(super) fn hard_run(t: usize) -> (f64, f64) {
    let hard = Hard::new(t);
    let (mut x, mut sum) = (vec![0.0; t], vec![0.0; t]);
    for step in 1..=t {
        sum.iter_mut().zip(&x).for_each(|(s, xi)| *s += xi);
        let (_, i) = hard.value(&x);
        let eta = 1.0 / (step as f64).sqrt();
        // x − η hᵢ: hᵢ = (a_1, …, a_{i−1}, −b_i, 0, …).
        x.iter_mut()
            .zip(&hard.a)
            .take(i)
            .for_each(|(xj, aj)| *xj -= eta * aj);
        if i < t {
            x[i] += eta * hard.b[i];
        }
        let norm = dot(&x, &x).sqrt();
        if norm > 1.0 {
            x.iter_mut().for_each(|v| *v /= norm);
        }
    }
    let mean: Vec<f64> = sum.iter().map(|s| s / t as f64).collect();
    (hard.value(&x).0, hard.value(&mean).0)
}
