//! The comparison itself: per series and horizon the linear fit and the two Transformers trained
//! from the same seed, their test errors; the variate-permutation check; and the variate
//! generalisation run on Lorenz-96.

use super::data::{self, Series, Split};
use super::encoder::Size;
use super::inverted::Inverted;
use super::linear::{Errors, Linear};
use super::temporal::Temporal;
use super::train::{errors, errors_on, fit, predict, Fit, Forecaster, Loop};
use super::Settings;
use crate::Result;
use candle_core::{Device, Tensor};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

/// One model at one horizon.
#[derive(Clone, Debug, Serialize)]
pub struct ModelRow {
    pub model: String,
    pub test: Errors,
    pub seconds: f64,
    /// The training curve (none for the closed-form linear fit).
    pub fit: Option<Fit>,
}

/// Every model at one horizon.
#[derive(Clone, Debug, Serialize)]
pub struct HorizonRow {
    pub horizon: usize,
    pub train_windows: usize,
    pub test_windows: usize,
    pub models: Vec<ModelRow>,
}

/// One series' comparison.
#[derive(Clone, Debug, Serialize)]
pub struct SeriesRun {
    pub name: String,
    pub variates: usize,
    pub steps: usize,
    pub lookback: usize,
    pub rows: Vec<HorizonRow>,
}

/// The model names, in the report's order.
pub const MODELS: [&str; 3] = ["iTransformer", "Transformer (temporal tokens)", "Linear"];

pub fn size(settings: &Settings) -> Size {
    Size {
        width: settings.width,
        heads: settings.heads,
        layers: settings.layers,
        hidden: settings.hidden,
    }
}

pub fn training_loop(settings: &Settings) -> Loop {
    Loop {
        epochs: settings.epochs,
        batch: settings.batch,
        learning_rate: settings.learning_rate,
        revin: settings.revin,
        seed: settings.seed,
    }
}

fn trained(
    name: &str,
    model: &dyn Forecaster,
    split: &Split,
    settings: &Settings,
    say: &mut dyn FnMut(&str),
) -> Result<ModelRow> {
    let clock = std::time::Instant::now();
    let training = training_loop(settings);
    let fit = fit(name, model, split, &training, say)?;
    let (mse, mae) = errors(model, &split.test, &training, &Device::Cpu)?;
    say(&format!("{name}: test MSE {mse:.4}, MAE {mae:.4}"));
    Ok(ModelRow {
        model: name.into(),
        test: Errors { mse, mae },
        seconds: clock.elapsed().as_secs_f64(),
        fit: Some(fit),
    })
}

/// The three models on `series` at each horizon.
pub fn compare(
    name: &str,
    series: &Series,
    lookback: usize,
    horizons: &[usize],
    settings: &Settings,
    say: &mut dyn FnMut(&str),
) -> Result<SeriesRun> {
    let device = Device::Cpu;
    let mut rows = Vec::new();
    for &horizon in horizons {
        let split = data::split(series, lookback, horizon)?;
        say(&format!(
            "{name}, horizon {horizon}: {} training windows",
            split.train.len()
        ));
        // Both networks start from the same seed at every horizon.
        let mut rng = ChaCha8Rng::seed_from_u64(settings.seed ^ horizon as u64);
        let shape = (lookback, horizon, series.variates);
        let inverted = Inverted::new(&mut rng, lookback, horizon, size(settings), &device)?;
        let temporal = Temporal::new(&mut rng, shape, size(settings), &device)?;
        let clock = std::time::Instant::now();
        let linear = Linear::fit(&split.train, settings.revin);
        let linear_row = ModelRow {
            model: MODELS[2].into(),
            test: linear.errors(&split.test),
            seconds: clock.elapsed().as_secs_f64(),
            fit: None,
        };
        say(&format!("Linear: test MSE {:.4}", linear_row.test.mse));
        rows.push(HorizonRow {
            horizon,
            train_windows: split.train.len(),
            test_windows: split.test.len(),
            models: vec![
                trained(MODELS[0], &inverted, &split, settings, say)?,
                trained(MODELS[1], &temporal, &split, settings, say)?,
                linear_row,
            ],
        });
    }
    Ok(SeriesRun {
        name: name.into(),
        variates: series.variates,
        steps: series.steps(),
        lookback,
        rows,
    })
}

/// `max |f(xP) − f(x)P|` over a batch, for a random permutation `P` of the variates.
pub fn permutation_gap(model: &dyn Forecaster, x: &Tensor, rng: &mut ChaCha8Rng) -> Result<f64> {
    use rand::seq::SliceRandom;
    let variates = x.dim(2)?;
    let mut order: Vec<u32> = (0..variates as u32).collect();
    order.shuffle(rng);
    let order = Tensor::new(order.as_slice(), x.device())?;
    let permuted_first = predict(model, &x.index_select(&order, 2)?, true)?;
    let permuted_after = predict(model, x, true)?.index_select(&order, 2)?;
    let gap = (permuted_first - permuted_after)?
        .abs()?
        .max_keepdim(0)?
        .flatten_all()?
        .max(0)?
        .to_scalar::<f32>()?;
    Ok(gap as f64)
}

/// The inverted model trained on the first `seen` variates only, scored on the others.
#[derive(Clone, Debug, Serialize)]
pub struct Generalisation {
    pub horizon: usize,
    pub seen: usize,
    pub unseen: usize,
    /// Trained on the seen variates, run on all: test errors on the unseen ones.
    pub partial: Errors,
    /// Trained on every variate: test errors on the same unseen ones.
    pub full: Errors,
    /// The linear fit on the seen variates: test errors on the unseen ones.
    pub linear_partial: Errors,
}

/// The paper's variate generalisation (Sec. 4.3) on `series`.
pub fn generalisation(
    series: &Series,
    lookback: usize,
    horizon: usize,
    settings: &Settings,
    say: &mut dyn FnMut(&str),
) -> Result<Generalisation> {
    let device = Device::Cpu;
    let seen = (series.variates / 4).max(1);
    let seen_variates: Vec<usize> = (0..seen).collect();
    let unseen_variates: Vec<usize> = (seen..series.variates).collect();
    let full_split = data::split(series, lookback, horizon)?;
    let partial_split = data::split(&series.select(&seen_variates), lookback, horizon)?;
    let training = training_loop(settings);
    let mut scores = Vec::new();
    for (label, split) in [("seen only", &partial_split), ("all", &full_split)] {
        let mut rng = ChaCha8Rng::seed_from_u64(settings.seed ^ horizon as u64);
        let model = Inverted::new(&mut rng, lookback, horizon, size(settings), &device)?;
        fit(
            &format!("iTransformer on {label}"),
            &model,
            split,
            &training,
            say,
        )?;
        let (mse, mae) = errors_on(
            &model,
            &full_split.test,
            &training,
            &unseen_variates,
            &device,
        )?;
        say(&format!(
            "trained on {label}: MSE on the unseen variates {mse:.4}"
        ));
        scores.push(Errors { mse, mae });
    }
    let linear = Linear::fit(&partial_split.train, settings.revin);
    let unseen_test = data::split(&series.select(&unseen_variates), lookback, horizon)?.test;
    Ok(Generalisation {
        horizon,
        seen,
        unseen: unseen_variates.len(),
        partial: scores[0],
        full: scores[1],
        linear_partial: linear.errors(&unseen_test),
    })
}
