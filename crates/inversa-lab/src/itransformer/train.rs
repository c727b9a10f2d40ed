//! Training and scoring of the two Transformers: Adam on the mean squared error of the
//! standardised forecast, the parameters of the epoch with the lowest validation error kept (the
//! paper's early stopping, without stopping), then MSE and MAE on the test windows.
//!
//! With `revin` each window is normalised by its own lookback statistics before the network and
//! the forecast mapped back after (Kim et al.'s RevIN without the affine part, the iTransformer
//! code's `use_norm`):
//!
//! ```text
//! μₙ = mean_t x_{t,n},  σₙ = (var_t x_{t,n} + 10⁻⁵)^{1/2},   ŷ_{s,n} = σₙ f((x − μ)/σ)_{s,n} + μₙ.
//! ```

use super::data::{Split, Windows};
use crate::Result;
use candle_core::{Device, Tensor, Var};
use candle_nn::{AdamW, Optimizer, ParamsAdamW};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// A network mapping inputs `[B, L, N]` to forecasts `[B, S, N]`.
pub trait Forecaster {
    fn forecast(&self, x: &Tensor) -> candle_core::Result<Tensor>;
    fn vars(&self) -> Vec<Var>;
}

/// The loop's settings.
#[derive(Clone, Copy, Debug)]
pub struct Loop {
    pub epochs: usize,
    pub batch: usize,
    pub learning_rate: f64,
    pub revin: bool,
    pub seed: u64,
}

/// The forecast, normalised per window and variate when `revin`.
pub fn predict(model: &dyn Forecaster, x: &Tensor, revin: bool) -> candle_core::Result<Tensor> {
    if !revin {
        return model.forecast(x);
    }
    let mean = x.mean_keepdim(1)?;
    let centred = x.broadcast_sub(&mean)?;
    let std = (centred.sqr()?.mean_keepdim(1)? + 1e-5)?.sqrt()?;
    model
        .forecast(&centred.broadcast_div(&std)?)?
        .broadcast_mul(&std)?
        .broadcast_add(&mean)
}

/// Mean squared and mean absolute error over every window, step and variate of `windows`.
pub fn errors(
    model: &dyn Forecaster,
    windows: &Windows,
    settings: &Loop,
    device: &Device,
) -> Result<(f64, f64)> {
    let all: Vec<usize> = (0..windows.series.variates).collect();
    errors_on(model, windows, settings, &all, device)
}

/// [`errors`] over the variates `columns` only (the model still reads every variate).
pub fn errors_on(
    model: &dyn Forecaster,
    windows: &Windows,
    settings: &Loop,
    columns: &[usize],
    device: &Device,
) -> Result<(f64, f64)> {
    let (mut squared, mut absolute, mut count) = (0.0, 0.0, 0usize);
    let all: Vec<usize> = (0..windows.len()).collect();
    let picked_columns: Vec<u32> = columns.iter().map(|&c| c as u32).collect();
    let picked_columns = Tensor::new(picked_columns.as_slice(), device)?;
    for picked in all.chunks(settings.batch.max(1)) {
        let (x, y) = windows.batch(picked, device)?;
        let difference =
            (predict(model, &x, settings.revin)? - y)?.index_select(&picked_columns, 2)?;
        squared += difference.sqr()?.sum_all()?.to_scalar::<f32>()? as f64;
        absolute += difference.abs()?.sum_all()?.to_scalar::<f32>()? as f64;
        count += difference.elem_count();
    }
    Ok((squared / count as f64, absolute / count as f64))
}

/// What one training run did.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Fit {
    /// Mean training loss per epoch.
    pub losses: Vec<f64>,
    /// Validation MSE after each epoch.
    pub validation: Vec<f64>,
    /// The epoch (from 1) whose parameters were kept.
    pub best_epoch: usize,
}

/// Trains `model` on `split.train`, keeping the parameters with the lowest validation MSE.
pub fn fit(
    name: &str,
    model: &dyn Forecaster,
    split: &Split,
    settings: &Loop,
    say: &mut dyn FnMut(&str),
) -> Result<Fit> {
    let device = Device::Cpu;
    let vars = model.vars();
    let params = ParamsAdamW {
        lr: settings.learning_rate,
        weight_decay: 0.0,
        ..Default::default()
    };
    let mut adam = AdamW::new(vars.clone(), params)?;
    let mut rng = ChaCha8Rng::seed_from_u64(settings.seed ^ 0x17a5);
    let mut order: Vec<usize> = (0..split.train.len()).collect();
    let mut fit = Fit {
        losses: Vec::new(),
        validation: Vec::new(),
        best_epoch: 0,
    };
    let mut best = (f64::INFINITY, snapshot(&vars)?);
    for epoch in 1..=settings.epochs {
        order.shuffle(&mut rng);
        let mut total = 0.0;
        for picked in order.chunks(settings.batch) {
            let (x, y) = split.train.batch(picked, &device)?;
            let loss = (predict(model, &x, settings.revin)? - y)?
                .sqr()?
                .mean_all()?;
            adam.backward_step(&loss)?;
            total += loss.to_scalar::<f32>()? as f64 * picked.len() as f64;
        }
        let loss = total / split.train.len() as f64;
        if !loss.is_finite() {
            return Err(super::failed(&format!(
                "{name}: the training loss became {loss} in epoch {epoch}"
            )));
        }
        let (validation, _) = errors(model, &split.validation, settings, &device)?;
        say(&format!(
            "{name}: epoch {epoch} loss {loss:.4}, validation MSE {validation:.4}"
        ));
        fit.losses.push(loss);
        fit.validation.push(validation);
        if validation < best.0 {
            best = (validation, snapshot(&vars)?);
            fit.best_epoch = epoch;
        }
    }
    for (var, value) in vars.iter().zip(&best.1) {
        var.set(value)?;
    }
    Ok(fit)
}

fn snapshot(vars: &[Var]) -> Result<Vec<Tensor>> {
    Ok(vars
        .iter()
        .map(|v| v.as_tensor().copy())
        .collect::<candle_core::Result<_>>()?)
}
