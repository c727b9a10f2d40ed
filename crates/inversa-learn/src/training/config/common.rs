//! The loop settings every model shares, and how they become the loop's [`TrainConfig`]: over the
//! model's defaults, or over the checkpoint's settings when resuming.

use crate::nn::weights::read_safetensors;
use crate::optim::lr_schedule::Decay;
use crate::training::checkpoint::{adam_path, history_path, raw_path, read_history};
use crate::training::TrainConfig;
use crate::Error;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt::Display;
use std::path::{Path, PathBuf};

/// The learning-rate decay after the warm-up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum DecayKind {
    Cosine,
    Step,
}

/// Every loop setting; unset ones come from the checkpoint (with `resume`) or the defaults.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct LoopSettings {
    /// Folder of training images (.png, grey or RGB; RGB is converted to luminance); denoiser,
    /// lpn, rim and recurrent-varnet (which train on the bundled MNI152 T1 slices without it) only.
    #[cfg_attr(feature = "clap", arg(long))]
    pub images: Option<PathBuf>,
    /// The weights file to write (safetensors); the history, optimizer state and plot go next to it.
    #[cfg_attr(feature = "clap", arg(long))]
    pub out: Option<PathBuf>,
    /// Folder of held-out images, denoised whole at σ = 15, 25, 50 to validate (rim and
    /// recurrent-varnet: reconstructed at 4× and 8×); denoiser, lpn, rim and recurrent-varnet only.
    #[cfg_attr(feature = "clap", arg(long))]
    pub validation: Option<PathBuf>,
    /// Training steps [2000].
    #[cfg_attr(feature = "clap", arg(long))]
    pub steps: Option<usize>,
    /// Images (crops) per step [16; Fashion-MNIST models 64].
    #[cfg_attr(feature = "clap", arg(long))]
    pub batch: Option<usize>,
    /// Crop side in pixels [48; rim and recurrent-varnet 64]; denoiser, lpn, rim and
    /// recurrent-varnet only.
    #[cfg_attr(feature = "clap", arg(long))]
    pub crop: Option<usize>,
    /// Peak learning rate [1e-3; Fashion-MNIST models 5e-4].
    #[cfg_attr(feature = "clap", arg(long))]
    pub lr: Option<f64>,
    /// Linear warm-up steps [100; Fashion-MNIST models 200].
    #[cfg_attr(feature = "clap", arg(long))]
    pub warmup: Option<usize>,
    /// Learning-rate decay after the warm-up: cosine, or step (×decay_factor every decay_every).
    #[cfg_attr(feature = "clap", arg(long, value_enum))]
    pub schedule: Option<DecayKind>,
    /// Steps between step decays [steps/3].
    #[cfg_attr(feature = "clap", arg(long))]
    pub decay_every: Option<usize>,
    /// Factor of each step decay [0.1].
    #[cfg_attr(feature = "clap", arg(long))]
    pub decay_factor: Option<f64>,
    /// Seed of the initial weights and of every batch [0].
    #[cfg_attr(feature = "clap", arg(long))]
    pub seed: Option<u64>,
    /// Validate every this many steps [250; Fashion-MNIST models 500].
    #[cfg_attr(feature = "clap", arg(long))]
    pub validate_every: Option<usize>,
    /// Write a checkpoint every this many steps [250; Fashion-MNIST models 500].
    #[cfg_attr(feature = "clap", arg(long))]
    pub checkpoint_every: Option<usize>,
    /// Decay of the moving average of the weights written as --out, in [0, 1); 0: the raw
    /// weights [0; diffusion and flow 0.999].
    #[cfg_attr(feature = "clap", arg(long))]
    pub ema_decay: Option<f64>,
    /// Continue the training checkpointed at --out (same settings; unset ones are taken from it).
    #[cfg_attr(feature = "clap", arg(long))]
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub resume: bool,
    /// Replace an existing --out and its checkpoint files.
    #[cfg_attr(feature = "clap", arg(long, conflicts_with = "resume"))]
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub force: bool,
}

/// The loop configuration of a run, with the checkpoint's weights metadata when resuming.
pub(super) struct Resolved {
    pub config: TrainConfig,
    pub saved: Option<HashMap<String, String>>,
}

impl LoopSettings {
    /// Refuses the image-folder settings for a model that reads no image folder; `reason` says
    /// what it reads instead.
    pub(super) fn no_image_folder(&self, reason: &str) -> Result<(), Error> {
        if self.images.is_some() || self.validation.is_some() || self.crop.is_some() {
            return Err(Error::setting(
                "images",
                format!(
                    "--images, --validation and --crop are for image-folder training; {reason}"
                ),
            ));
        }
        Ok(())
    }

    /// The loop configuration: these settings over `defaults` (or over the checkpoint's with
    /// `resume`, returning its weights' metadata too); creates the output folder.
    pub(super) fn resolve(&self, defaults: TrainConfig) -> Result<Resolved, Error> {
        let out = self
            .out
            .clone()
            .ok_or_else(|| Error::setting("out", "--out is required: the weights file to write"))?;
        if self.resume && self.force {
            return Err(Error::setting(
                "force",
                "--force cannot be used with --resume",
            ));
        }
        let mut config = defaults;
        let mut saved = None;
        if self.resume {
            // Unset settings are the checkpoint's; set ones must agree with it (checked when loading).
            config = read_history(&out)
                .map_err(|e| {
                    Error::setting(
                        "resume",
                        format!("--resume needs an earlier run's checkpoint: {e}"),
                    )
                })?
                .config;
            let bytes = std::fs::read(&out).map_err(|e| inversa::Error::io(&out, e))?;
            saved = Some(read_safetensors(&bytes, &out)?.1);
        } else if !self.force {
            refuse_to_overwrite(&out)?;
        }
        config.out = out.clone();
        self.apply(&mut config)?;
        if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| inversa::Error::io(parent, e))?;
        }
        Ok(Resolved { config, saved })
    }

    /// Puts the given settings over `config`, checking their ranges.
    fn apply(&self, config: &mut TrainConfig) -> Result<(), Error> {
        config.steps = positive("steps", self.steps, config.steps)?;
        config.batch = positive("batch", self.batch, config.batch)?;
        config.crop = positive("crop", self.crop, config.crop)?;
        within_memory(
            "batch",
            &[config.batch, config.crop, config.crop],
            ACTIVATIONS,
        )?;
        within_memory("steps", &[config.steps], HISTORY_PER_STEP)?;
        config.warmup = self.warmup.unwrap_or(config.warmup);
        config.seed = self.seed.unwrap_or(config.seed);
        config.validate_every = self.validate_every.unwrap_or(config.validate_every);
        config.checkpoint_every = self.checkpoint_every.unwrap_or(config.checkpoint_every);
        if let Some(lr) = self.lr {
            if !(lr.is_finite() && lr > 0.0) {
                return Err(Error::setting(
                    "lr",
                    format!("lr must be a positive number, not {lr}"),
                ));
            }
            config.learning_rate = lr;
        }
        config.decay = self.decay(config)?;
        if let Some(decay) = self.ema_decay {
            if !(0.0..1.0).contains(&decay) {
                return Err(Error::setting(
                    "ema_decay",
                    format!("ema_decay must be in [0, 1), not {decay}"),
                ));
            }
            config.ema_decay = decay;
        }
        Ok(())
    }

    /// The decay the settings ask for, the step decay's unset parameters taken from `config`.
    fn decay(&self, config: &TrainConfig) -> Result<Decay, Error> {
        let step_decay = match self.schedule {
            Some(kind) => kind == DecayKind::Step,
            None => matches!(config.decay, Decay::Step { .. }),
        };
        if !step_decay {
            if self.decay_every.is_some() || self.decay_factor.is_some() {
                return Err(Error::setting(
                    "schedule",
                    "decay_every and decay_factor apply only to schedule \"step\"",
                ));
            }
            return Ok(Decay::Cosine);
        }
        let (every, factor) = match config.decay {
            Decay::Step { every, factor } => (every, factor),
            Decay::Cosine => (config.steps.div_ceil(3), 0.1),
        };
        let factor = self.decay_factor.unwrap_or(factor);
        if !(factor > 0.0 && factor <= 1.0) {
            return Err(Error::setting(
                "decay_factor",
                format!("decay_factor must be in (0, 1], not {factor}"),
            ));
        }
        Ok(Decay::Step {
            every: positive("decay_every", self.decay_every, every)?,
            factor,
        })
    }
}

/// Image-sized f32 arrays a training step keeps per sample: the networks' activations and their
/// gradients (64 features at full size, a few layers live at once).
const ACTIVATIONS: usize = 1024;

/// f32 values the history keeps per step (the loss; validations are fewer).
const HISTORY_PER_STEP: usize = 2;

/// Refuses `key` when `copies` f32 arrays of `dims` exceed the memory ceiling.
pub(super) fn within_memory(key: &'static str, dims: &[usize], copies: usize) -> Result<(), Error> {
    inversa::memory::check_array(key, dims, 4, copies)
        .map(|_| ())
        .map_err(|e| match e {
            inversa::Error::Config { message, .. } => {
                Error::setting(key, format!("{key} {message}"))
            }
            other => other.into(),
        })
}

/// `value`, or `current` when unset; a zero is refused naming `key`.
pub(super) fn positive(
    key: &'static str,
    value: Option<usize>,
    current: usize,
) -> Result<usize, Error> {
    match value {
        Some(0) => Err(Error::setting(key, format!("{key} must be at least 1"))),
        Some(v) => Ok(v),
        None => Ok(current),
    }
}

/// Fails naming `key` (shown as the flag `--key`) when a given setting differs from the
/// checkpoint's at `out`.
pub(super) fn agree<V: PartialEq + Display>(
    key: &'static str,
    given: Option<V>,
    saved: V,
    out: &Path,
) -> Result<(), Error> {
    match given {
        Some(g) if g != saved => Err(Error::setting(
            key,
            format!(
                "--{} {g} differs from the checkpoint's {saved} ({})",
                key.replace('_', "-"),
                out.display()
            ),
        )),
        _ => Ok(()),
    }
}

/// Fails if `out` or one of its checkpoint files exists.
fn refuse_to_overwrite(out: &Path) -> Result<(), Error> {
    for path in [
        out.to_path_buf(),
        history_path(out),
        adam_path(out),
        raw_path(out),
    ] {
        if path.exists() {
            return Err(Error::setting(
                "out",
                format!(
                    "{} exists; pass --resume to continue its training or --force to replace it",
                    path.display()
                ),
            ));
        }
    }
    Ok(())
}
