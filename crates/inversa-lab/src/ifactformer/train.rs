//! One-step training, as the paper's: Adam (no weight decay) with a cosine-decayed rate on the
//! mean squared error of `ω_{t+Δt}/s` predicted from `ω_t/s`, pairs drawn at random from the
//! training trajectories (`s` the training data's RMS). Both networks see the same batches in the
//! same order.

use super::data::Trajectory;
use super::model::{batch, Network};
use crate::Result;
use candle_nn::{AdamW, Optimizer, ParamsAdamW};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::f64::consts::PI;

/// The loop's settings.
#[derive(Clone, Copy, Debug)]
pub struct Schedule {
    pub steps: usize,
    pub batch: usize,
    pub rate: f64,
    pub seed: u64,
}

/// Trains `network` on normalised `trajectories` (each field already divided by `s`); the loss
/// of every step.
pub fn fit(
    network: &Network,
    trajectories: &[Trajectory],
    n: usize,
    schedule: &Schedule,
) -> Result<Vec<f64>> {
    let params = ParamsAdamW {
        lr: schedule.rate,
        weight_decay: 0.0,
        ..Default::default()
    };
    let mut adam = AdamW::new(network.vars(), params)?;
    let mut rng = ChaCha8Rng::seed_from_u64(schedule.seed ^ 0xfac7);
    let mut losses = Vec::with_capacity(schedule.steps);
    for step in 0..schedule.steps {
        let mut inputs = Vec::with_capacity(schedule.batch);
        let mut targets = Vec::with_capacity(schedule.batch);
        for _ in 0..schedule.batch {
            let t = &trajectories[rng.gen_range(0..trajectories.len())];
            let i = rng.gen_range(0..t.len() - 1);
            inputs.push(t[i].as_slice());
            targets.push(t[i + 1].as_slice());
        }
        let prediction = network.forward(&batch(&inputs, n)?)?;
        let loss = (prediction - batch(&targets, n)?)?.sqr()?.mean_all()?;
        let progress = step as f64 / schedule.steps as f64;
        adam.set_learning_rate(0.5 * schedule.rate * (1.0 + (PI * progress).cos()));
        adam.backward_step(&loss)?;
        let value = loss.to_scalar::<f32>()? as f64;
        if !value.is_finite() {
            return Err(super::failed(&format!(
                "{:?}: the training loss became {value} at step {step}",
                network.merge
            )));
        }
        losses.push(value);
    }
    Ok(losses)
}
