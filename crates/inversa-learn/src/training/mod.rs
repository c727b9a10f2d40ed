//! The training loop every learned model shares: Adam ([`crate::optim::adam`]) on a learning-rate
//! schedule ([`crate::optim::lr_schedule`]), a fresh seeded batch per step, periodic validation, and
//! checkpoints ([`crate::training::checkpoint`]) from which a run resumes exactly where it stopped.
//!
//! A model plugs in by implementing [`Trainable`]: its variables, the loss on a batch it draws from
//! the step's random generator, and its validation metrics. Everything random comes from the seed:
//! the weights' initialisation and step `k`'s batch (ChaCha8 stream `k` of the seed), so a run is
//! reproducible and a resumed run draws the batches the uninterrupted one would have.
//!
//! The loop reports through a callback ([`Progress`]) and never prints, so the crate stays free of
//! terminal code; the CLI draws the progress bar. The callback can stop the run
//! ([`Control::Stop`]), which then writes a checkpoint to resume from.
//!
//! With `ema_decay > 0` the loop also keeps an exponential moving average of the weights
//! ([`ema`]); the average is validated and written as the weights file, and the raw weights go
//! into the checkpoint beside it, so a resumed run continues the raw weights exactly.

pub mod checkpoint;
pub mod config;
pub mod denoiser;
pub mod ema;
pub mod idm;
pub mod lpn;
pub mod recurrent_varnet;
pub mod rim;
pub mod unet;

use crate::optim::adam::Adam;
use crate::optim::lr_schedule::{Decay, Schedule};
use candle_core::backprop::GradStore;
use candle_core::{Tensor, Var};
use candle_nn::VarMap;
use ema::Ema;
use inversa::Control;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// A model the loop can train.
pub trait Trainable {
    /// The trained variables; their names are the keys of the weights file.
    fn varmap(&self) -> &VarMap;
    /// Metadata written into the weights file, enough to rebuild the network without flags.
    fn metadata(&self) -> HashMap<String, String>;
    /// Draws the initial weights from `seed` (default: [`initialise`], uniform ±1/√fan-in).
    fn initialise(&self, seed: u64) -> candle_core::Result<()> {
        initialise(self.varmap(), seed)
    }
    /// The scalar loss at `step` (0-based; losses may follow a schedule) on a fresh batch of
    /// `batch` samples of side `crop`, drawn from `rng`.
    fn loss(
        &self,
        step: usize,
        rng: &mut ChaCha8Rng,
        batch: usize,
        crop: usize,
    ) -> candle_core::Result<Tensor>;
    /// The loss on a fresh batch (as [`Trainable::loss`]) and the gradient of every trained
    /// variable. By default autograd's backward pass on [`Trainable::loss`]; a model whose backward
    /// pass recomputes instead of storing (IDM) brings its own.
    fn gradients(
        &self,
        step: usize,
        rng: &mut ChaCha8Rng,
        batch: usize,
        crop: usize,
    ) -> candle_core::Result<(Tensor, GradStore)> {
        let loss = self.loss(step, rng, batch, crop)?;
        let grads = loss.backward()?;
        Ok((loss, grads))
    }
    /// Adam's first-moment decay β₁ (default 0.9).
    fn adam_beta1(&self) -> f64 {
        0.9
    }
    /// Runs after each optimiser step (e.g. to project weights back onto a constraint).
    fn after_step(&self) -> candle_core::Result<()> {
        Ok(())
    }
    /// Held-out metrics by name (e.g. `"psnr 25/255"`), deterministic for given weights.
    fn validate(&self) -> candle_core::Result<Vec<(String, f64)>>;
}

/// How to train.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    pub steps: usize,
    pub batch: usize,
    pub crop: usize,
    /// The peak learning rate.
    pub learning_rate: f64,
    /// Linear warm-up steps before the decay.
    pub warmup: usize,
    pub decay: Decay,
    pub seed: u64,
    /// Validate every this many steps (0: only at the end).
    pub validate_every: usize,
    /// Write a checkpoint every this many steps (0: only at the end).
    pub checkpoint_every: usize,
    /// Decay of the weights' moving average ([`ema`]); 0: none, the raw weights are the output.
    /// Absent from histories written before it existed, which had none.
    #[serde(default)]
    pub ema_decay: f64,
    /// The weights file; the checkpoint's other files are named after it ([`checkpoint`]).
    #[serde(skip)]
    pub out: PathBuf,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            steps: 2000,
            batch: 16,
            crop: 48,
            learning_rate: 1e-3,
            warmup: 100,
            decay: Decay::Cosine,
            seed: 0,
            validate_every: 250,
            checkpoint_every: 250,
            ema_decay: 0.0,
            out: PathBuf::from("weights.safetensors"),
        }
    }
}

impl TrainConfig {
    /// The learning-rate schedule of the run.
    pub fn schedule(&self) -> Schedule {
        Schedule {
            peak: self.learning_rate,
            warmup: self.warmup,
            decay: self.decay,
            steps: self.steps,
        }
    }
}

/// Validation metrics after a step.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Validation {
    pub step: usize,
    pub metrics: BTreeMap<String, f64>,
}

/// Everything a run has recorded; written as `<out>.history.json` with each checkpoint.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct History {
    pub config: TrainConfig,
    /// Steps done.
    pub step: usize,
    /// Training time so far, over every resumed part.
    pub seconds: f64,
    /// The loss of every step.
    pub loss: Vec<f32>,
    pub validation: Vec<Validation>,
}

/// What the loop reports after each step.
pub struct Progress<'a> {
    /// Steps done (1-based) of `steps`.
    pub step: usize,
    pub steps: usize,
    pub loss: f32,
    /// Mean loss of the last (up to) 50 steps.
    pub running_loss: f32,
    pub learning_rate: f64,
    /// Present after a validation.
    pub validation: Option<&'a Validation>,
    /// Whether a checkpoint was written after this step.
    pub checkpointed: bool,
}

/// Trains `model` by `config`; with `resume`, continues from the checkpoint at `config.out` (which
/// must have been made with the same `config`). Stops early, with a checkpoint, when `progress`
/// breaks. Returns the history, also written to disk.
pub fn train<M: Trainable + ?Sized>(
    model: &M,
    config: &TrainConfig,
    resume: bool,
    progress: &mut dyn FnMut(&Progress) -> Control,
) -> Result<History, crate::Error> {
    let mut adam = Adam::with_beta1(named_vars(model.varmap()), model.adam_beta1())?;
    let (mut history, mut ema) = if resume {
        checkpoint::resume(config, model.varmap(), &mut adam)?
    } else {
        model.initialise(config.seed)?;
        let ema = (config.ema_decay > 0.0)
            .then(|| Ema::start(config.ema_decay, model.varmap()))
            .transpose()?;
        let history = History {
            config: config.clone(),
            step: 0,
            seconds: 0.0,
            loss: Vec::new(),
            validation: Vec::new(),
        };
        (history, ema)
    };
    let schedule = config.schedule();
    let (start, seconds_before) = (Instant::now(), history.seconds);
    for step in history.step..config.steps {
        let rate = schedule.rate(step);
        let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
        rng.set_stream(step as u64);
        let (value, gradients) =
            crate::nn::conv2d::fast_convolutions(|| -> Result<_, crate::Error> {
                let (loss, gradients) =
                    model.gradients(step, &mut rng, config.batch, config.crop)?;
                let value = loss.to_scalar::<f32>()?;
                if !value.is_finite() {
                    return Err(crate::Error::Diverged { step, loss: value });
                }
                Ok((value, gradients))
            })?;
        adam.step(&gradients, rate)?;
        model.after_step()?;
        if let Some(ema) = &mut ema {
            ema.update(model.varmap())?;
        }
        history.loss.push(value);
        history.step = step + 1;
        history.seconds = seconds_before + start.elapsed().as_secs_f64();
        if due(history.step, config.validate_every, config.steps) {
            let metrics = validate(model, ema.as_ref())?.into_iter().collect();
            history.validation.push(Validation {
                step: history.step,
                metrics,
            });
        }
        let checkpointed = due(history.step, config.checkpoint_every, config.steps);
        if checkpointed {
            checkpoint::write(&config.out, model, &adam, ema.as_ref(), &history)?;
        }
        let recent = &history.loss[history.loss.len().saturating_sub(50)..];
        let flow = progress(&Progress {
            step: history.step,
            steps: config.steps,
            loss: value,
            running_loss: recent.iter().sum::<f32>() / recent.len() as f32,
            learning_rate: rate,
            validation: history.validation.last().filter(|v| v.step == history.step),
            checkpointed,
        });
        if flow == Control::Stop {
            if !checkpointed {
                checkpoint::write(&config.out, model, &adam, ema.as_ref(), &history)?;
            }
            break;
        }
    }
    Ok(history)
}

/// The model's validation with the weights it will be saved with: the average when there is one.
fn validate<M: Trainable + ?Sized>(
    model: &M,
    ema: Option<&Ema>,
) -> candle_core::Result<Vec<(String, f64)>> {
    let Some(ema) = ema else {
        return model.validate();
    };
    let raw = ema::current(model.varmap())?;
    ema::set(model.varmap(), ema.weights())?;
    let metrics = model.validate();
    ema::set(model.varmap(), &raw)?;
    metrics
}

/// Whether step `done` (1-based) is a multiple of `every`, or the last.
fn due(done: usize, every: usize, steps: usize) -> bool {
    done == steps || (every > 0 && done % every == 0)
}

/// The variables of `varmap` with their names.
pub fn named_vars(varmap: &VarMap) -> Vec<(String, Var)> {
    let data = varmap.data().lock().unwrap_or_else(|p| p.into_inner());
    data.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

/// Draws every variable uniformly in `±1/√fan-in` from `seed` (candle's own CPU initialiser cannot
/// be seeded). The fan-in of `[out, in, …]` is the product of all but the first dimension; a
/// `….bias` takes the fan-in of its layer's `….weight`, as PyTorch's default initialiser does.
pub fn initialise(varmap: &VarMap, seed: u64) -> candle_core::Result<()> {
    let mut vars = named_vars(varmap);
    vars.sort_by(|a, b| a.0.cmp(&b.0));
    let fan_in = |var: &Var| var.dims().iter().skip(1).product::<usize>().max(1);
    let by_name: HashMap<&str, &Var> = vars.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for (name, var) in &vars {
        let fan = match name.strip_suffix(".bias") {
            Some(layer) => by_name
                .get(format!("{layer}.weight").as_str())
                .map_or(1, |w| fan_in(w)),
            None => fan_in(var),
        };
        let bound = 1.0 / (fan as f32).sqrt();
        let values: Vec<f32> = (0..var.elem_count())
            .map(|_| rng.gen_range(-bound..bound))
            .collect();
        var.set(&Tensor::from_vec(values, var.shape(), var.device())?)?;
    }
    Ok(())
}

/// The loss and validation curves as a two-panel PNG.
pub fn plot(history: &History, path: &Path) -> inversa::Result<()> {
    use inversa::report::plot::{render_panels, write_png, Panel, Series};
    let loss: Vec<(f64, f64)> = history
        .loss
        .iter()
        .enumerate()
        .map(|(i, &l)| ((i + 1) as f64, f64::from(l)))
        .collect();
    // Each batch's loss scatters with its noise levels; the running mean shows the trend.
    let mean: Vec<(f64, f64)> = (0..loss.len())
        .map(|i| {
            let recent = &loss[i.saturating_sub(49)..=i];
            (
                loss[i].0,
                recent.iter().map(|p| p.1).sum::<f64>() / recent.len() as f64,
            )
        })
        .collect();
    let names: Vec<&String> = history
        .validation
        .first()
        .map(|v| v.metrics.keys().collect())
        .unwrap_or_default();
    let validation = names
        .iter()
        .map(|name| Series {
            label: name.to_string(),
            values: history
                .validation
                .iter()
                .filter_map(|v| v.metrics.get(*name).map(|&m| (v.step as f64, m)))
                .collect(),
        })
        .collect();
    let panels = [
        Panel {
            title: "training loss".into(),
            x_label: "step".into(),
            y_label: "loss".into(),
            log_y: true,
            series: vec![
                Series {
                    label: "loss".into(),
                    values: loss,
                },
                Series {
                    label: "mean of 50".into(),
                    values: mean,
                },
            ],
        },
        Panel {
            title: "validation".into(),
            x_label: "step".into(),
            y_label: validation_label(&names),
            log_y: false,
            series: validation,
        },
    ];
    write_png(path, &render_panels(&panels, 1000, 360))
}

/// The validation panel's axis: PSNR for the denoisers' `psnr …` metrics, otherwise the metric's
/// own name (one metric) or "value".
fn validation_label(names: &[&String]) -> String {
    match names {
        _ if !names.is_empty() && names.iter().all(|n| n.starts_with("psnr")) => "PSNR (dB)".into(),
        [only] => only.to_string(),
        _ => "value".into(),
    }
}
