//! The settings of a Recurrent Inference Machine trained on simulated multi-coil k-space
//! ([`crate::training::rim`]): the bundled MNI152 T1 slices unless `--images` names a folder.

use super::common::{agree, within_memory, LoopSettings};
use super::job::{Job, Model};
use crate::data::image_folder::{GreyImage, ImageFolder};
use crate::models::bundled::{mni152_t1, SliceSplit};
use crate::models::rim::recurrent_unit::RecurrentUnit;
use crate::models::rim::{RimConfig, MAX_STEPS as MAX_TIME_STEPS};
use crate::training::rim::RimTraining;
use crate::training::TrainConfig;
use crate::Error;
use serde::{Deserialize, Serialize};

/// Channel-sized arrays a training step keeps per unrolled step and sample.
const ACTIVATIONS_PER_STEP: usize = 24;

/// `train rim`: the loop settings, the recurrent unit and the RIM's size.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
#[serde(deny_unknown_fields)]
pub struct RimSettings {
    #[cfg_attr(feature = "clap", command(flatten))]
    #[serde(flatten)]
    pub common: LoopSettings,
    /// Recurrent unit: gru, mgu or indrnn [indrnn].
    #[cfg_attr(feature = "clap", arg(long, value_enum))]
    pub unit: Option<RecurrentUnit>,
    /// Hidden channels of every layer [16].
    #[cfg_attr(feature = "clap", arg(long))]
    pub channels: Option<usize>,
    /// Unrolled RIM steps [8].
    #[cfg_attr(feature = "clap", arg(long))]
    pub time_steps: Option<usize>,
}

/// The loop's defaults: small batches of 64×64 crops.
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

impl RimSettings {
    /// The configuration a fresh run builds; bad sizes are refused before anything is read.
    fn fresh(&self) -> Result<RimConfig, Error> {
        let default = RimConfig::default();
        Ok(RimConfig {
            channels: checked("channels", self.channels, default.channels, 1024)?,
            steps: checked("time_steps", self.time_steps, default.steps, MAX_TIME_STEPS)?,
            unit: self.unit.unwrap_or(default.unit),
        })
    }

    pub(super) fn prepare(&self) -> Result<Job, Error> {
        let fresh = self.fresh()?;
        let resolved = self.common.resolve(defaults())?;
        let out = &resolved.config.out;
        let config = match &resolved.saved {
            Some(metadata) => {
                let saved = RimConfig::from_metadata(metadata, out)?;
                agree("channels", self.channels, saved.channels, out)?;
                agree("time_steps", self.time_steps, saved.steps, out)?;
                agree("unit", self.unit, saved.unit, out)?;
                saved
            }
            None => fresh,
        };
        let crop = resolved.config.crop;
        // The backward pass keeps every step's activations: about 24 maps of `channels` per step and
        // sample (the two cells' concatenations, gates and candidates, the convolutions between).
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
        let training = RimTraining::new(config, images, &held_out)?;
        let name = format!(
            "RIM {} channels {} steps {}",
            config.unit, config.channels, config.steps
        );
        Ok(Job::new(
            Model::Rim(Box::new(training)),
            resolved.config,
            name,
        ))
    }
}

/// A held-out image as validation takes it: `(H, W, pixels)`.
pub(super) type HeldOut = (usize, usize, Vec<f32>);

/// `value` (or `default`) when in `1..=max`, else an error naming the flag of `key`.
pub(super) fn checked(
    key: &'static str,
    value: Option<usize>,
    default: usize,
    max: usize,
) -> Result<usize, Error> {
    let value = value.unwrap_or(default);
    if value == 0 || value > max {
        let flag = key.replace('_', "-");
        return Err(Error::setting(
            key,
            format!("--{flag} must be in 1..={max}, not {value}"),
        ));
    }
    Ok(value)
}

/// The training images (`--images`, else the bundled MNI152 T1 training slices) and the held-out
/// `(H, W, pixels)` images (`--validation`, else the bundled test slices) of the learned MRI
/// models.
pub(super) fn mri_images(
    common: &LoopSettings,
    crop: usize,
) -> Result<(ImageFolder, Vec<HeldOut>), Error> {
    let images = match &common.images {
        Some(folder) => ImageFolder::read(folder, crop)?,
        None => ImageFolder::from_images(mni152_t1(SliceSplit::Train)?)?,
    };
    let held_out: Vec<GreyImage> = match &common.validation {
        Some(folder) => ImageFolder::read(folder, 1)?.images().to_vec(),
        None => mni152_t1(SliceSplit::Test)?,
    };
    let held_out = held_out
        .into_iter()
        .map(|im| (im.height, im.width, im.pixels))
        .collect();
    Ok((images, held_out))
}
