//! The settings of a Recurrent Variational Network trained on simulated multi-coil k-space
//! ([`crate::training::recurrent_varnet`]): the bundled MNI152 T1 slices unless `--images` names a
//! folder.

use super::common::{agree, within_memory, LoopSettings};
use super::job::{Job, Model};
use super::rim::{checked, mri_images};
use crate::models::recurrent_varnet::{RecurrentVarNetConfig, MAX_STEPS};
use crate::training::recurrent_varnet::RecurrentVarNetTraining;
use crate::training::TrainConfig;
use crate::Error;
use serde::{Deserialize, Serialize};

/// Channel-sized arrays a training step keeps per block and sample: the RIM's 24 and the
/// k-space state, correction and reduction of up to 8 coils.
const ACTIVATIONS_PER_STEP: usize = 32;

/// `train recurrent-varnet`: the loop settings and the network's size.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
#[serde(deny_unknown_fields)]
pub struct RecurrentVarNetSettings {
    #[cfg_attr(feature = "clap", command(flatten))]
    #[serde(flatten)]
    pub common: LoopSettings,
    /// Hidden channels of every layer [16].
    #[cfg_attr(feature = "clap", arg(long))]
    pub channels: Option<usize>,
    /// Recurrent blocks, each with its own weights [8].
    #[cfg_attr(feature = "clap", arg(long))]
    pub time_steps: Option<usize>,
}

/// The loop's defaults: the RIM's.
fn defaults() -> TrainConfig {
    TrainConfig {
        steps: 1500,
        batch: 4,
        crop: 64,
        learning_rate: 1e-3,
        warmup: 50,
        validate_every: 250,
        checkpoint_every: 250,
        ..TrainConfig::default()
    }
}

impl RecurrentVarNetSettings {
    pub(super) fn prepare(&self) -> Result<Job, Error> {
        let default = RecurrentVarNetConfig::default();
        let fresh = RecurrentVarNetConfig {
            channels: checked("channels", self.channels, default.channels, 1024)?,
            steps: checked("time_steps", self.time_steps, default.steps, MAX_STEPS)?,
        };
        let resolved = self.common.resolve(defaults())?;
        let out = &resolved.config.out;
        let config = match &resolved.saved {
            Some(metadata) => {
                let saved = RecurrentVarNetConfig::from_metadata(metadata, out)?;
                agree("channels", self.channels, saved.channels, out)?;
                agree("time_steps", self.time_steps, saved.steps, out)?;
                saved
            }
            None => fresh,
        };
        let crop = resolved.config.crop;
        within_memory(
            "channels",
            &[
                resolved.config.batch,
                crop,
                crop,
                config.channels,
                config.steps,
            ],
            ACTIVATIONS_PER_STEP,
        )?;
        let (images, held_out) = mri_images(&self.common, crop)?;
        let training = RecurrentVarNetTraining::new(config, images, &held_out)?;
        let name = format!(
            "Recurrent VarNet channels {} blocks {}",
            config.channels, config.steps
        );
        Ok(Job::new(
            Model::RecurrentVarNet(Box::new(training)),
            resolved.config,
            name,
        ))
    }
}
