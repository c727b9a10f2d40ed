//! The six posterior samplers on a bench's test measurements: the bundled UNet as the
//! unconditional prior, each sampler at its paper's settings ([`method`]), one posterior sample per
//! image, `batch` images per network call (each with its own measurement,
//! [`Likelihood::per_item`]).

use super::physics::Bench;
use super::{Budgets, Reconstructions, Settings, NOISE};
use crate::{Error, Result};
use candle_core::DType;
use inversa_learn::diffusion::posterior::{self, ddnm, dds, diffpir, dps, red_diff, stsl};
use inversa_learn::diffusion::posterior::{DiffusionPrior, Likelihood, Method, StateMap};
use inversa_learn::diffusion::{NoisePredictor, Parameterised};
use inversa_learn::models::{bundled, unet::Unet};
use std::time::Instant;

/// The model's 32×32 state in [−1, 1] holds the 28×28 image in [0, 1] in its centre.
const STATE: [usize; 3] = [1, 32, 32];

/// The bundled model and how to run the samplers with it.
pub struct Samplers {
    model: Parameterised<Unet>,
    budgets: Budgets,
    batch: usize,
    seed: u64,
}

/// Sampler `name` at its paper's settings (those of `inversa run`).
pub fn method(name: &str) -> Result<Method> {
    Ok(match name {
        "dps" => Method::Dps(dps::Params::default()),
        "ddnm" => Method::Ddnm(ddnm::Params::default()),
        "dds" => Method::Dds(dds::Params::default()),
        "diffpir" => Method::DiffPir(diffpir::Params::default()),
        "red-diff" => Method::RedDiff(red_diff::Params::default()),
        "stsl" => Method::Stsl(stsl::Params::default()),
        other => {
            return Err(Error::setting(
                "methods",
                format!("{other:?} is not a sampler"),
            ))
        }
    })
}

impl Samplers {
    pub fn new(settings: &Settings) -> Result<Self> {
        let model = bundled::diffusion_unet()?.into_noise_predictor()?;
        let timesteps = model.schedule.len();
        for name in ["dps", "ddnm", "dds", "diffpir", "red-diff", "stsl"] {
            let per_level = method(name)?.calls_per_level();
            let calls = settings.steps.of(name).unwrap_or(0);
            if calls / per_level > timesteps || calls < per_level {
                let message = format!(
                    "{name} makes {per_level} calls a level: its calls must give 1 to the model's {timesteps} levels, got {calls}"
                );
                return Err(Error::setting("steps", message));
            }
        }
        Ok(Self {
            model,
            budgets: settings.steps.clone(),
            batch: settings.batch,
            seed: settings.seed,
        })
    }

    /// Sampler `name` on every test measurement of `bench`.
    pub fn run(&self, name: &str, bench: &Bench) -> Result<Reconstructions> {
        let method = method(name)?;
        let levels = self.budgets.of(name).unwrap_or(0) / method.calls_per_level();
        let grid = self.model.schedule.grid(levels)?;
        let map = StateMap::new(&STATE, &[1, 28, 28], 0.5, 0.5)?;
        let operator = bench.task.physics.operator.as_ref();
        let model: &dyn NoisePredictor = &self.model;
        let mut images = Vec::with_capacity(bench.test.measurements.len());
        let mut calls = 0;
        let start = Instant::now();
        for (chunk, measurements) in bench.test.measurements.chunks(self.batch).enumerate() {
            let flat: Vec<f64> = measurements.concat();
            let likelihood = Likelihood::per_item(operator, &flat, NOISE, map.clone())?;
            let prior = DiffusionPrior::new(model, grid.clone(), None);
            let seed = self.seed.wrapping_mul(0x2545_f491_4f6c_dd1d) ^ chunk as u64;
            let drawn = posterior::sample(
                &method,
                &prior,
                &likelihood,
                measurements.len(),
                DType::F32,
                seed,
            )?;
            // Every image of a batch is in every one of its calls.
            calls = drawn.model_calls;
            images.extend(likelihood.images(&drawn.samples)?);
        }
        Ok(Reconstructions {
            seconds_per_image: start.elapsed().as_secs_f64() / images.len().max(1) as f64,
            images,
            model_calls: Some(calls),
        })
    }
}
