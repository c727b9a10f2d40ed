//! Training in two stages, each by Adam with a cosine-decayed rate on windows drawn at random
//! from one training trajectory.
//!
//! 1. Prediction: `N_θ` alone, on rollouts of `window` steps from the true state,
//!    `ℓ = mean_k ‖x_k − u_k‖² / s²` (backpropagated through the whole rollout).
//! 2. Assimilation: `K_ψ` alone with `N_θ` frozen, on observer rollouts of `assimilation_window`
//!    steps fed fresh noisy readings, from the zero field (the attractor's mean: the initial state
//!    unknown) for half the batch and from the true state for the other half (the tracking regime),
//!    with the same loss. The paper trains prediction and correction together with a loss on
//!    the states and the readings; the stages here keep each part's effect separable.

use super::data::readings;
use super::operator::{Semilinear, Sensors};
use crate::Result;
use candle_core::{Device, Tensor, Var};
use inversa_learn::optim::adam::Adam;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::f64::consts::PI;

/// One stage's schedule.
#[derive(Clone, Debug)]
pub struct Schedule {
    pub steps: usize,
    pub rate: f64,
    pub batch: usize,
    /// Rollout length in steps of `Δt`.
    pub window: usize,
    pub seed: u64,
}

/// Rows `[start + offset]` of every start, as a `[batch, n]` tensor.
fn rows(states: &[Vec<f64>], starts: &[usize], offset: usize) -> Result<Tensor> {
    let n = states[0].len();
    let flat: Vec<f64> = starts
        .iter()
        .flat_map(|&s| states[s + offset].iter().copied())
        .collect();
    Ok(Tensor::from_vec(flat, (starts.len(), n), &Device::Cpu)?)
}

fn starts(rng: &mut ChaCha8Rng, count: usize, states: usize, window: usize) -> Vec<usize> {
    (0..count)
        .map(|_| rng.gen_range(0..states - window))
        .collect()
}

/// Adam on `vars` with `loss(rng)` drawn afresh each step; the loss trace.
fn descend(
    vars: Vec<(String, Var)>,
    schedule: &Schedule,
    mut loss: impl FnMut(&mut ChaCha8Rng) -> Result<Tensor>,
) -> Result<Vec<f64>> {
    let mut adam = Adam::new(vars)?;
    let mut rng = ChaCha8Rng::seed_from_u64(schedule.seed);
    let mut trace = Vec::with_capacity(schedule.steps);
    for step in 0..schedule.steps {
        let value = loss(&mut rng)?;
        let progress = step as f64 / schedule.steps as f64;
        let rate = 0.5 * schedule.rate * (1.0 + (PI * progress).cos());
        adam.step(&value.backward()?, rate)?;
        trace.push(value.to_scalar::<f64>()?);
    }
    Ok(trace)
}

/// Stage 1: fits `N_θ` to rollouts of the truth; the loss per step.
pub fn predictor(model: &Semilinear, states: &[Vec<f64>], schedule: &Schedule) -> Result<Vec<f64>> {
    let norm = 1.0 / (schedule.window as f64 * model.scale * model.scale);
    let mut vars = model.nonlinear.vars("nonlinear");
    vars.extend(model.skip.vars("skip"));
    descend(vars, schedule, |rng| {
        let starts = starts(rng, schedule.batch, states.len(), schedule.window);
        let mut x = rows(states, &starts, 0)?;
        let mut total = Tensor::new(0.0, &Device::Cpu)?;
        for k in 1..=schedule.window {
            x = model.step(&x, None)?;
            let miss = (&x - rows(states, &starts, k)?)?.sqr()?.mean_all()?;
            total = (total + miss)?;
        }
        Ok((total * norm)?)
    })
}

/// Stage 2: fits `K_ψ` to observer rollouts with readings of spread `sigma`; the loss per step.
pub fn observer(
    model: &Semilinear,
    sensors: &Sensors,
    states: &[Vec<f64>],
    sigma: f64,
    schedule: &Schedule,
) -> Result<Vec<f64>> {
    let norm = 1.0 / (schedule.window as f64 * model.scale * model.scale);
    let half = schedule.batch / 2;
    descend(model.gain.vars("gain"), schedule, |rng| {
        let starts = starts(rng, schedule.batch, states.len(), schedule.window);
        let truth = rows(states, &starts, 0)?;
        let unknown = truth.narrow(0, 0, half)?.zeros_like()?;
        let known = truth.narrow(0, half, schedule.batch - half)?;
        let mut x = Tensor::cat(&[&unknown, &known], 0)?;
        let mut total = Tensor::new(0.0, &Device::Cpu)?;
        for k in 0..schedule.window {
            let now: Vec<Vec<f64>> = starts.iter().map(|&s| states[s + k].clone()).collect();
            let y = readings(&now, &sensors.positions, sigma, rng);
            let y = Tensor::from_vec(
                y.concat(),
                (schedule.batch, sensors.positions.len()),
                &Device::Cpu,
            )?;
            x = model.assimilate(&x, &y, sensors)?;
            let miss = (&x - rows(states, &starts, k + 1)?)?.sqr()?.mean_all()?;
            total = (total + miss)?;
        }
        Ok((total * norm)?)
    })
}
