//! Training checkpoints: next to the weights file `<out>` (safetensors, with the model's
//! architecture and the step in its metadata) go `<out>.adam.safetensors` (the optimizer's
//! moments), `<out>.history.json` (the configuration, step, time, loss and validation history) and
//! `<out>.plot.png` (the curves). With a moving average of the weights ([`crate::training::ema`]),
//! `<out>` holds the average and `<out>.raw.safetensors` the raw weights the optimiser works on.
//! Every file is written to a temporary name and renamed, the history
//! last, and each safetensors file records its step, so a checkpoint cut short by a crash is
//! detected when resuming instead of mixing two steps.

use crate::nn::weights::read_safetensors;
use crate::optim::adam::Adam;
use crate::training::ema::Ema;
use crate::training::{named_vars, plot, History, TrainConfig, Trainable};
use candle_core::Tensor;
use candle_nn::VarMap;
use inversa::io::write_atomically;
use inversa::report::finite;
use inversa::Error;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// `<out>` with `suffix` appended to its file name.
pub fn sibling(out: &Path, suffix: &str) -> PathBuf {
    let mut name = out.as_os_str().to_os_string();
    name.push(suffix);
    PathBuf::from(name)
}

/// The history file of the weights at `out`.
pub fn history_path(out: &Path) -> PathBuf {
    sibling(out, ".history.json")
}

/// The optimizer-state file of the weights at `out`.
pub fn adam_path(out: &Path) -> PathBuf {
    sibling(out, ".adam.safetensors")
}

/// The raw weights beside the moving average at `out`.
pub fn raw_path(out: &Path) -> PathBuf {
    sibling(out, ".raw.safetensors")
}

/// The loss/validation plot of the weights at `out`.
pub fn plot_path(out: &Path) -> PathBuf {
    sibling(out, ".plot.png")
}

/// Writes the checkpoint of `model` (with its moving average `ema`, if any) after
/// `history.step` steps.
pub fn write<M: Trainable + ?Sized>(
    out: &Path,
    model: &M,
    adam: &Adam,
    ema: Option<&Ema>,
    history: &History,
) -> Result<(), crate::Error> {
    // Nothing is written when a weight or a recorded number is NaN or infinite.
    let weights: Vec<(String, Tensor)> = named_vars(model.varmap())
        .into_iter()
        .map(|(k, v)| (k, v.as_tensor().clone()))
        .collect();
    let averaged = ema.map(|e| e.weights().to_vec());
    for (name, tensor) in weights.iter().chain(averaged.iter().flatten()) {
        let values = tensor
            .flatten_all()?
            .to_dtype(candle_core::DType::F64)?
            .to_vec1::<f64>()?;
        finite::check_array(&values, &format!("{} ({name})", out.display()))?;
    }
    finite::check(history, &history_path(out).display().to_string())?;
    let step = history.step.to_string();
    let mut metadata = model.metadata();
    metadata.insert("step".into(), step.clone());
    match averaged {
        Some(averaged) => {
            write_safetensors(&raw_path(out), weights, metadata.clone())?;
            write_safetensors(out, averaged, metadata)?;
        }
        None => write_safetensors(out, weights, metadata)?,
    }
    let adam_metadata = HashMap::from([("step".to_string(), step)]);
    write_safetensors(&adam_path(out), adam.state(), adam_metadata)?;
    plot(history, &plot_path(out))?;
    let json = serde_json::to_string_pretty(history)
        .map_err(|e| Error::format(history_path(out), e.to_string()))?;
    write_atomically(&history_path(out), json.as_bytes())?;
    Ok(())
}

/// Reloads the checkpoint at `config.out` into `varmap` and `adam`, checking that it was made with
/// the same `config`; returns its history and, with `config.ema_decay > 0`, the moving average.
pub fn resume(
    config: &TrainConfig,
    varmap: &VarMap,
    adam: &mut Adam,
) -> Result<(History, Option<Ema>), crate::Error> {
    let out = &config.out;
    let history = read_history(out)?;
    check_same_config(&history.config, config, &history_path(out))?;
    let ema = if config.ema_decay > 0.0 {
        load_weights(&raw_path(out), varmap, history.step)?;
        let averaged = read_weights(out, varmap, history.step)?;
        Some(Ema::new(config.ema_decay, history.step, averaged)?)
    } else {
        load_weights(out, varmap, history.step)?;
        None
    };
    let path = adam_path(out);
    let (state, metadata) = read_safetensors(&read(&path)?, &path)?;
    check_step(&metadata, history.step, &path)?;
    adam.restore(&state, history.step)
        .map_err(|e| Error::format(&path, e.to_string()))?;
    Ok((history, ema))
}

/// Sets the variables of `varmap` to the weights at `path`, written after `step` steps.
fn load_weights(path: &Path, varmap: &VarMap, step: usize) -> inversa::Result<()> {
    let weights = read_weights(path, varmap, step)?;
    crate::training::ema::set(varmap, &weights).map_err(|e| Error::format(path, e.to_string()))
}

/// The tensors at `path` (written after `step` steps) of the variables of `varmap`, in their
/// order.
fn read_weights(
    path: &Path,
    varmap: &VarMap,
    step: usize,
) -> inversa::Result<Vec<(String, Tensor)>> {
    let (weights, metadata) = read_safetensors(&read(path)?, path)?;
    check_step(&metadata, step, path)?;
    named_vars(varmap)
        .into_iter()
        .map(|(name, _)| match weights.get(&name) {
            Some(saved) => Ok((name, saved.clone())),
            None => Err(Error::format(
                path,
                format!("no tensor {name:?} in the checkpoint"),
            )),
        })
        .collect()
}

/// The history of the checkpoint at `out`.
pub fn read_history(out: &Path) -> inversa::Result<History> {
    let path = history_path(out);
    let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
    serde_json::from_str(&text)
        .map_err(|e| Error::format(&path, format!("not a training history: {e}")))
}

fn write_safetensors(
    path: &Path,
    mut tensors: Vec<(String, Tensor)>,
    metadata: HashMap<String, String>,
) -> Result<(), crate::Error> {
    tensors.sort_by(|a, b| a.0.cmp(&b.0));
    let bytes = safetensors::tensor::serialize(tensors, Some(metadata))
        .map_err(|e| Error::format(path, format!("cannot encode safetensors: {e}")))?;
    Ok(write_atomically(path, &bytes)?)
}

fn read(path: &Path) -> inversa::Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| Error::io(path, e))
}

fn check_step(metadata: &HashMap<String, String>, step: usize, path: &Path) -> inversa::Result<()> {
    match metadata.get("step") {
        Some(s) if *s == step.to_string() => Ok(()),
        other => Err(Error::format(
            path,
            format!(
                "holds step {other:?} but the history is at step {step}; the checkpoint was cut short"
            ),
        )),
    }
}

/// Names the first setting in which `given` differs from the checkpoint's `saved`.
fn check_same_config(saved: &TrainConfig, given: &TrainConfig, path: &Path) -> inversa::Result<()> {
    let as_map = |c: &TrainConfig| match serde_json::to_value(c) {
        Ok(serde_json::Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    };
    let (saved, given) = (as_map(saved), as_map(given));
    for (key, value) in &saved {
        if given.get(key) != Some(value) {
            return Err(Error::format(
                path,
                format!(
                    "the checkpoint was trained with {key} = {value}, this run asks for {}; resume with the same settings",
                    given.get(key).map_or("nothing".to_string(), |v| v.to_string())
                ),
            ));
        }
    }
    Ok(())
}
