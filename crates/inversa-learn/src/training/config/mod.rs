//! What to train, as one value: [`TrainSettings`] names the model and holds its settings, one
//! serde type per trainable model, each with the shared loop settings ([`LoopSettings`]) flattened
//! into it. `inversa train config.toml` reads it from a `[train]` table ([`TrainSettings::read`]),
//! `inversa train MODEL --flags` builds it from flags (with the `clap` feature), and both train
//! through [`prepare`] and [`Job::run`], as a Rust program does:
//!
//! ```no_run
//! use inversa_learn::training::config::{run, TrainSettings};
//! let settings = TrainSettings::read(std::path::Path::new("train.toml")).unwrap();
//! let trained = run(&settings, &mut |_| inversa::Control::Continue).unwrap();
//! println!("{} steps: {}", trained.history.step, trained.out.display());
//! ```
//!
//! Every setting is optional: an unset one takes the checkpoint's value when resuming, else the
//! model's default, so a value of the type says exactly what the user asked for.

mod classifier;
mod common;
mod deep_cd;
mod denoiser;
mod fashion;
mod gan;
mod gan_samples;
mod idm;
mod job;
mod lpn;
mod recurrent_varnet;
mod rim;
mod unet;

pub use classifier::ClassifierSettings;
pub use common::{DecayKind, LoopSettings};
pub use deep_cd::DeepCdSettings;
pub use denoiser::{DenoiserKind, DenoiserSettings};
pub use gan::GanSettings;
pub use idm::IdmSettings;
pub use job::{prepare, run, Job, Outcome, Trained};
pub use lpn::LpnSettings;
pub use recurrent_varnet::RecurrentVarNetSettings;
pub use rim::RimSettings;
pub use unet::UnetSettings;

use crate::data::fashion_mnist::DEFAULT_DIR;
use crate::training::checkpoint::{adam_path, history_path, plot_path, raw_path};
use inversa::io::overlap::Guard;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// A model to train and its settings; in a TOML file, the `[train]` table with `model = "…"`
/// (`"denoiser"` when absent) beside the settings' keys.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::Subcommand))]
#[serde(tag = "model", rename_all = "kebab-case")]
pub enum TrainSettings {
    /// Train a grey denoiser, DnCNN or DRUNet (noise σ ~ U[0, 50/255], MSE loss, Adam).
    Denoiser(DenoiserSettings),
    /// Train a Learned Proximal Network (ℓ1 warm start, then proximal matching; Adam).
    Lpn(LpnSettings),
    /// Train the class-conditional diffusion UNet on Fashion-MNIST (DDPM ε loss, label dropout 0.1;
    /// defaults: batch 64, lr 5e-4, warmup 200, validate and checkpoint every 500).
    Diffusion(UnetSettings),
    /// Train the class-conditional rectified-flow UNet on Fashion-MNIST (velocity loss, label
    /// dropout 0.1; defaults as for `train diffusion`).
    Flow(UnetSettings),
    /// Train the Fashion-MNIST classifier that scores edits (cross-entropy; test accuracy;
    /// defaults as for `train diffusion`).
    Classifier(ClassifierSettings),
    /// Train the GAN prior of `inversa attack model` on public Fashion-MNIST classes
    /// (non-saturating loss; defaults: 3000 steps, batch 64, lr 2e-4, no warm-up).
    Gan(GanSettings),
    /// Train the deep conjugate direction network on the five-point Poisson matrix (no solutions
    /// needed; defaults: 1000 steps, batch 16, grids 32,64, validate and checkpoint every 100).
    DeepCd(DeepCdSettings),
    /// Fine-tune IDM, a few DDIM steps of the diffusion UNet, end to end for compressed sensing
    /// (L1 loss, CS ratios 0.1 and 0.25; defaults: 400 steps, batch 8, lr 2e-4, 3 sampling steps).
    Idm(IdmSettings),
    /// Train a Recurrent Inference Machine for multi-coil MRI on simulated k-space of the bundled
    /// MNI152 T1 slices (or --images); defaults: 1500 steps, batch 4, crop 64, 8 RIM steps.
    Rim(RimSettings),
    /// Train a Recurrent Variational Network for multi-coil MRI on simulated k-space of the bundled
    /// MNI152 T1 slices (or --images), true or low-resolution coil maps; defaults as for `train rim`.
    #[cfg_attr(feature = "clap", command(name = "recurrent-varnet"))]
    #[serde(rename = "recurrent-varnet")]
    RecurrentVarNet(RecurrentVarNetSettings),
}

/// The model named when a `[train]` table names none.
const DEFAULT_MODEL: &str = "denoiser";

impl TrainSettings {
    /// The paths the run reads (`--images`, `--validation`, `--data`) against the files it
    /// writes (`--out` and its history, optimizer state, plot and, for the GAN, samples), for
    /// [`Guard::check`] before any work; resuming reads `--out`'s checkpoint, which is no input.
    pub fn guard(&self) -> Guard {
        let common = self.common();
        let data = match self {
            Self::Diffusion(s) | Self::Flow(s) => Some(s.data.as_deref()),
            Self::Classifier(s) => Some(s.data.as_deref()),
            Self::Gan(s) => Some(s.data.as_deref()),
            Self::Idm(s) => Some(s.data.as_deref()),
            Self::Denoiser(_)
            | Self::Lpn(_)
            | Self::DeepCd(_)
            | Self::Rim(_)
            | Self::RecurrentVarNet(_) => None,
        }
        .map(|given| given.unwrap_or(Path::new(DEFAULT_DIR)));
        let mut outputs = Vec::new();
        if let Some(out) = &common.out {
            outputs = vec![
                out.clone(),
                history_path(out),
                adam_path(out),
                plot_path(out),
                raw_path(out),
            ];
            if matches!(self, Self::Gan(_)) {
                outputs.push(gan_samples::samples_path(out));
            }
        }
        let init = match self {
            Self::Diffusion(s) | Self::Flow(s) => s.init.as_deref(),
            Self::Idm(s) => s.init.as_deref(),
            _ => None,
        };
        Guard::new()
            .inputs("--init", init)
            .inputs("--images", common.images.as_deref())
            .inputs("--validation", common.validation.as_deref())
            .inputs("--data", data)
            .outputs("--out", outputs)
    }

    /// The loop settings every model shares.
    pub fn common(&self) -> &LoopSettings {
        match self {
            Self::Denoiser(s) => &s.common,
            Self::Lpn(s) => &s.common,
            Self::Diffusion(s) | Self::Flow(s) => &s.common,
            Self::Classifier(s) => &s.common,
            Self::Gan(s) => &s.common,
            Self::DeepCd(s) => &s.common,
            Self::Idm(s) => &s.common,
            Self::Rim(s) => &s.common,
            Self::RecurrentVarNet(s) => &s.common,
        }
    }

    /// The loop settings, to change.
    pub fn common_mut(&mut self) -> &mut LoopSettings {
        match self {
            Self::Denoiser(s) => &mut s.common,
            Self::Lpn(s) => &mut s.common,
            Self::Diffusion(s) | Self::Flow(s) => &mut s.common,
            Self::Classifier(s) => &mut s.common,
            Self::Gan(s) => &mut s.common,
            Self::DeepCd(s) => &mut s.common,
            Self::Idm(s) => &mut s.common,
            Self::Rim(s) => &mut s.common,
            Self::RecurrentVarNet(s) => &mut s.common,
        }
    }

    /// Reads the `[train]` table of the TOML file at `path`; relative paths in it are taken from
    /// the file's folder. Errors name the file and the key (e.g. `train.stpes: unknown key`).
    pub fn read(path: &Path) -> inversa::Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| inversa::Error::io(path, e))?;
        Self::from_toml(&text, path)
    }

    /// [`TrainSettings::read`] on the `text` of the file at `path`.
    pub fn from_toml(text: &str, path: &Path) -> inversa::Result<Self> {
        let bad = |message: String| inversa::Error::format(path, message);
        let mut root: toml::Table = text
            .parse()
            .map_err(|e| bad(format!("not a valid TOML file: {e}")))?;
        let train = match root.remove("train") {
            Some(toml::Value::Table(train)) => train,
            Some(_) => return Err(bad("train: expected a [train] table".into())),
            None => return Err(bad("missing [train] table".into())),
        };
        if let Some(other) = root.keys().next() {
            return Err(bad(format!(
                "{other}: unknown key; the file holds one [train] table"
            )));
        }
        let mut settings = parse_table(train, path)?;
        settings.rebase(path.parent().unwrap_or(Path::new("")));
        Ok(settings)
    }

    /// Takes every relative path as relative to `base` (a settings file's folder).
    fn rebase(&mut self, base: &Path) {
        let (common, data, init) = match self {
            Self::Denoiser(s) => (&mut s.common, None, None),
            Self::Lpn(s) => (&mut s.common, None, None),
            Self::DeepCd(s) => (&mut s.common, None, None),
            Self::Rim(s) => (&mut s.common, None, None),
            Self::RecurrentVarNet(s) => (&mut s.common, None, None),
            Self::Diffusion(s) | Self::Flow(s) => (&mut s.common, s.data.as_mut(), s.init.as_mut()),
            Self::Classifier(s) => (&mut s.common, s.data.as_mut(), None),
            Self::Gan(s) => (&mut s.common, s.data.as_mut(), None),
            Self::Idm(s) => (&mut s.common, s.data.as_mut(), s.init.as_mut()),
        };
        let paths = [&mut common.out, &mut common.images, &mut common.validation];
        for path in paths.into_iter().flatten().chain(data).chain(init) {
            *path = base.join(&*path);
        }
    }
}

/// The settings in a `[train]` table of the file at `path`, or an error naming the key at fault
/// (`train.KEY: …`).
fn parse_table(mut train: toml::Table, path: &Path) -> inversa::Result<TrainSettings> {
    let bad = |message: String| inversa::Error::format(path, message);
    let model = train
        .remove("model")
        .unwrap_or_else(|| DEFAULT_MODEL.into());
    let with_model = |mut table: toml::Table| {
        table.insert("model".into(), model.clone());
        TrainSettings::deserialize(toml::Value::Table(table))
    };
    let whole = match with_model(train.clone()) {
        Ok(settings) => return Ok(settings),
        Err(e) => e,
    };
    if let Err(e) = with_model(toml::Table::new()) {
        return Err(bad(format!("train.model: {}", e.message())));
    }
    // Every setting is optional, so a key that fails alone is the one at fault; serde's own
    // message does not name it when the key sits in the flattened loop settings.
    let alone = |key: &String, value: &toml::Value| {
        let table = toml::Table::from_iter([(key.clone(), value.clone())]);
        with_model(table).err().map(|e| (key.clone(), e))
    };
    Err(bad(match train.iter().find_map(|(k, v)| alone(k, v)) {
        Some((key, e)) if e.message().starts_with("unknown field") => {
            format!("train.{key}: unknown key for model {model}")
        }
        Some((key, e)) => format!("train.{key}: {}", e.message()),
        None => format!("train: {}", whole.message()),
    }))
}
