//! The settings of the class-conditional Fashion-MNIST UNet, trained as a diffusion (ε) or a
//! rectified-flow (velocity) model.

use super::common::{agree, LoopSettings};
use super::fashion;
use super::job::{Job, Model};
use crate::models::unet::{Objective, ScheduleKind, UnetConfig};
use crate::nn::weights::read_safetensors;
use crate::training::unet::UnetTraining;
use crate::training::TrainConfig;
use crate::Error;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Test images in the fixed validation batch when unset.
const VALIDATION_SIZE: usize = 256;

/// The weights' moving-average decay when unset: a window of ~1,000 steps, a third of the bundled
/// model's 3,000-step run (the paper's 0.9999 spans more than a whole run here; see
/// [`crate::training::ema`]).
const EMA_DECAY: f64 = 0.999;

/// `train diffusion` and `train flow`: the loop settings, the UNet's size, schedule and data.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
#[serde(deny_unknown_fields)]
pub struct UnetSettings {
    #[cfg_attr(feature = "clap", command(flatten))]
    #[serde(flatten)]
    pub common: LoopSettings,
    /// Folder of the Fashion-MNIST IDX files [/usr/share/datasets/fashion-mnist].
    #[cfg_attr(feature = "clap", arg(long))]
    pub data: Option<PathBuf>,
    /// Channels at the finest level, doubled at each coarser one [32].
    #[cfg_attr(feature = "clap", arg(long))]
    pub channels: Option<usize>,
    /// Resolutions [3].
    #[cfg_attr(feature = "clap", arg(long))]
    pub levels: Option<usize>,
    /// Residual blocks per level and path [1].
    #[cfg_attr(feature = "clap", arg(long))]
    pub blocks: Option<usize>,
    /// Groups of the group normalisations [8].
    #[cfg_attr(feature = "clap", arg(long))]
    pub groups: Option<usize>,
    /// Diffusion timesteps T [1000].
    #[cfg_attr(feature = "clap", arg(long))]
    pub timesteps: Option<usize>,
    /// The noise schedule: linear (DDPM) or cosine [linear].
    #[cfg_attr(feature = "clap", arg(long, value_enum))]
    pub noise_schedule: Option<ScheduleKind>,
    /// Test images in the fixed validation batch [256].
    #[cfg_attr(feature = "clap", arg(long))]
    pub validation_size: Option<usize>,
    /// Start a new run from these weights (e.g. the bundled data/weights/fashion_unet.safetensors)
    /// instead of random ones: a fresh optimiser and schedule, the network's size from the file.
    #[cfg_attr(feature = "clap", arg(long, conflicts_with = "resume"))]
    pub init: Option<PathBuf>,
}

impl UnetSettings {
    /// The network a fresh run of `objective` builds, with defaults for unset sizes.
    pub fn network(&self, objective: Objective) -> Result<UnetConfig, Error> {
        let d = UnetConfig::default();
        let config = UnetConfig {
            channels: self.channels.unwrap_or(d.channels),
            levels: self.levels.unwrap_or(d.levels),
            blocks: self.blocks.unwrap_or(d.blocks),
            groups: self.groups.unwrap_or(d.groups),
            timesteps: self.timesteps.unwrap_or(d.timesteps),
            schedule: self.noise_schedule.unwrap_or(d.schedule),
            objective,
            ..d
        };
        config.check()?;
        Ok(config)
    }

    pub(super) fn prepare(&self, objective: Objective) -> Result<Job, Error> {
        if self.init.is_some() && self.common.resume {
            let message =
                "--init starts a new run from weights, --resume continues a checkpoint; give one";
            return Err(Error::setting("init", message));
        }
        let defaults = TrainConfig {
            ema_decay: EMA_DECAY,
            ..fashion::defaults()
        };
        let resolved = fashion::resolve_over(&self.common, defaults)?;
        let mut initial = None;
        let unet = match (&resolved.saved, &self.init) {
            (Some(metadata), _) => self.resumed(metadata, &resolved.config.out, objective)?,
            (None, Some(path)) => {
                let bytes = std::fs::read(path).map_err(|e| inversa::Error::io(path, e))?;
                let (tensors, metadata) = read_safetensors(&bytes, path)?;
                initial = Some((tensors, path.clone()));
                self.resumed(&metadata, path, objective)?
            }
            (None, None) => self.network(objective)?,
        };
        let (train, test) = fashion::read(self.data.as_deref())?;
        let size = self.validation_size.unwrap_or(VALIDATION_SIZE);
        let mut training = UnetTraining::new(unet, train, &test, size).map_err(|e| match e {
            Error::Network(e) => Error::setting("channels", e.to_string()),
            other => other,
        })?;
        if let Some((tensors, path)) = initial {
            training = training.starting_from(tensors, &path)?;
        }
        let kind = match objective {
            Objective::Epsilon => "diffusion",
            Objective::RectifiedFlow => "rectified-flow",
        };
        let name = format!(
            "{kind} UNet channels {} levels {} blocks {}, {} schedule of {} steps",
            unet.channels,
            unet.levels,
            unet.blocks,
            unet.schedule.name(),
            unet.timesteps
        );
        Ok(Job::new(
            Model::Unet(Box::new(training)),
            resolved.config,
            name,
        ))
    }

    /// The checkpoint's network, refusing settings that contradict it.
    fn resumed(
        &self,
        metadata: &HashMap<String, String>,
        out: &Path,
        objective: Objective,
    ) -> Result<UnetConfig, Error> {
        let c = UnetConfig::from_metadata(metadata, out)?;
        agree("channels", self.channels, c.channels, out)?;
        agree("levels", self.levels, c.levels, out)?;
        agree("blocks", self.blocks, c.blocks, out)?;
        agree("groups", self.groups, c.groups, out)?;
        agree("timesteps", self.timesteps, c.timesteps, out)?;
        let schedule = self.noise_schedule.map(ScheduleKind::name);
        agree("noise_schedule", schedule, c.schedule.name(), out)?;
        if c.objective != objective {
            return Err(Error::setting(
                "resume",
                format!(
                    "{} holds a {} model; resume it with the matching `inversa train` command",
                    out.display(),
                    c.objective.name()
                ),
            ));
        }
        Ok(c)
    }
}
