//! Long rollouts of the three estimators on held-out trajectories, and the relative error
//! `‖x̂_n − u_n‖ / ‖u_n‖` at every step (the mean over trajectories). The estimate at step `n` has
//! seen the readings of steps `0 … n−1`.
//!
//! * prediction: the operator from the true initial state, no readings (its best case);
//! * learned observer: the operator with `K_ψ`, from the zero field (the state unknown);
//! * fixed gain (nudging): the operator with the hand-set correction `(γ/Δt) G_σ Hᵀ(y − H x)`,
//!   `G_σ` a periodic Gaussian of width `σ` cells and peak 1, from the zero field; `(γ, σ)` is the
//!   best pair of a small grid on training windows ([`tune_fixed_gain`]).

use super::operator::{Semilinear, Sensors};
use crate::Result;
use candle_core::{Device, Tensor};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

/// How the estimate is corrected.
pub enum Estimator {
    Prediction,
    Learned,
    /// The nudging matrix `(γ/Δt) G_σ` `[n, n]`.
    Fixed(Tensor),
}

/// The errors of one estimator and its estimate of the first trajectory.
pub struct Rollout {
    pub errors: Vec<f64>,
    /// `[steps][n]`: the estimate of trajectory 0.
    pub field: Vec<Vec<f64>>,
}

/// The nudging matrix of gain `gamma` (fraction per step) and width `sigma` (cells).
pub fn nudging(n: usize, gamma: f64, sigma: f64, dt: f64) -> Result<Tensor> {
    let mut g = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            let d = i.abs_diff(j).min(n - i.abs_diff(j)) as f64;
            g[i * n + j] = gamma / dt * (-d * d / (2.0 * sigma * sigma)).exp();
        }
    }
    Ok(Tensor::from_vec(g, (n, n), &Device::Cpu)?)
}

/// Runs `estimator` over `truths` (each `steps + 1` states) with `readings[t][n]` per trajectory.
pub fn roll(
    model: &Semilinear,
    sensors: &Sensors,
    truths: &[Vec<Vec<f64>>],
    readings: &[Vec<Vec<f64>>],
    estimator: &Estimator,
) -> Result<Rollout> {
    let (count, n, m) = (truths.len(), truths[0][0].len(), sensors.positions.len());
    let steps = truths[0].len();
    let start: Vec<f64> = match estimator {
        Estimator::Prediction => truths.iter().flat_map(|t| t[0].clone()).collect(),
        _ => vec![0.0; count * n],
    };
    let mut x = Tensor::from_vec(start, (count, n), &Device::Cpu)?;
    let mut errors = Vec::with_capacity(steps);
    let mut field = Vec::with_capacity(steps);
    for step in 0..steps {
        let estimate: Vec<Vec<f64>> = x.to_vec2()?;
        let mean_error = estimate
            .iter()
            .zip(truths)
            .map(|(e, t)| relative_error(e, &t[step]))
            .sum::<f64>()
            / count as f64;
        errors.push(mean_error);
        field.push(estimate[0].clone());
        if step + 1 == steps {
            break;
        }
        let y: Vec<f64> = readings.iter().flat_map(|r| r[step].clone()).collect();
        let y = Tensor::from_vec(y, (count, m), &Device::Cpu)?;
        x = match estimator {
            Estimator::Prediction => model.step(&x, None)?,
            Estimator::Learned => model.assimilate(&x, &y, sensors)?,
            Estimator::Fixed(gain) => {
                let forcing = sensors.innovation(&x, &y)?.matmul(gain)?;
                model.step(&x, Some(&forcing))?
            }
        };
    }
    Ok(Rollout { errors, field })
}

pub fn relative_error(estimate: &[f64], truth: &[f64]) -> f64 {
    let (e, t) = estimate
        .iter()
        .zip(truth)
        .fold((0.0, 0.0), |(e, t), (a, b)| {
            (e + (a - b).powi(2), t + b * b)
        });
    (e / t).sqrt()
}

/// The fixed gain chosen by the tuning, and every pair's score.
#[derive(Clone, Debug, Serialize)]
pub struct FixedGain {
    pub gamma: f64,
    pub sigma: f64,
    /// `(γ, σ, mean error over the second half)` of every pair tried.
    pub tried: Vec<(f64, f64, f64)>,
}

/// Picks `(γ, σ)` from a grid by the mean error over the second half of rollouts on
/// `windows` (training data) with fresh readings of spread `noise`.
pub fn tune_fixed_gain(
    model: &Semilinear,
    sensors: &Sensors,
    windows: &[Vec<Vec<f64>>],
    noise: f64,
    seed: u64,
) -> Result<FixedGain> {
    let n = windows[0][0].len();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let readings: Vec<_> = windows
        .iter()
        .map(|w| super::data::readings(w, &sensors.positions, noise, &mut rng))
        .collect();
    let mut tried = Vec::new();
    for gamma in [0.05, 0.1, 0.2, 0.4, 0.8] {
        for sigma in [1.0, 2.0, 3.0] {
            let gain = nudging(n, gamma, sigma, model.dt)?;
            let run = roll(model, sensors, windows, &readings, &Estimator::Fixed(gain))?;
            let late = &run.errors[run.errors.len() / 2..];
            let score = late.iter().sum::<f64>() / late.len() as f64;
            // A diverged pair scores as unusable, not as NaN.
            tried.push((
                gamma,
                sigma,
                if score.is_finite() { score } else { f64::MAX },
            ));
        }
    }
    let best = tried
        .iter()
        .copied()
        .min_by(|a, b| a.2.total_cmp(&b.2))
        .unwrap_or((0.1, 2.0, f64::MAX));
    Ok(FixedGain {
        gamma: best.0,
        sigma: best.1,
        tried,
    })
}
