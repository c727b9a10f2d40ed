//! The settings of the model-inversion GAN, trained on public Fashion-MNIST classes, and the grid
//! of samples written next to its weights.

use super::common::{agree, LoopSettings};
use super::fashion;
use super::job::{Job, Model};
use crate::models::gan::{GanConfig, GanTraining};
use crate::training::TrainConfig;
use crate::Error;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// `train gan`: the loop settings, the GAN's size and data.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
#[serde(deny_unknown_fields)]
pub struct GanSettings {
    #[cfg_attr(feature = "clap", command(flatten))]
    #[serde(flatten)]
    pub common: LoopSettings,
    /// Folder of the Fashion-MNIST IDX files [/usr/share/datasets/fashion-mnist].
    #[cfg_attr(feature = "clap", arg(long))]
    pub data: Option<PathBuf>,
    /// The public classes to learn: one label or a range such as 5-9 [0-9].
    #[cfg_attr(feature = "clap", arg(long))]
    pub classes: Option<String>,
    /// Dimension of the latent z [64].
    #[cfg_attr(feature = "clap", arg(long))]
    pub latent: Option<usize>,
    /// Channels of the generator's 7×7 features [64].
    #[cfg_attr(feature = "clap", arg(long))]
    pub channels: Option<usize>,
}

/// The loop's defaults for the GAN (other settings as for the denoisers).
fn defaults() -> TrainConfig {
    TrainConfig {
        steps: 3000,
        batch: 64,
        crop: 28,
        learning_rate: 2e-4,
        warmup: 0,
        validate_every: 500,
        checkpoint_every: 500,
        ..TrainConfig::default()
    }
}

impl GanSettings {
    pub(super) fn prepare(&self) -> Result<Job, Error> {
        self.common
            .no_image_folder("the GAN reads --data (whole 28×28 images)")?;
        let range = fashion::class_range(self.classes.as_deref())?;
        let resolved = self.common.resolve(defaults())?;
        let out = &resolved.config.out;
        let gan = match &resolved.saved {
            Some(metadata) => {
                let c = GanConfig::from_metadata(metadata, out)?;
                agree("latent", self.latent, c.latent, out)?;
                agree("channels", self.channels, c.channels, out)?;
                c
            }
            None => {
                let d = GanConfig::default();
                let c = GanConfig {
                    latent: self.latent.unwrap_or(d.latent),
                    channels: self.channels.unwrap_or(d.channels),
                };
                c.check()
                    .map_err(|e| Error::setting("latent", format!("--latent/--channels: {e}")))?;
                c
            }
        };
        let (train, test) = fashion::read(self.data.as_deref())?;
        let (train, test) = (train.classes(range.clone()), test.classes(range.clone()));
        let training = GanTraining::new(gan, train, test)?;
        let name = format!(
            "GAN latent {} channels {} on classes {}-{}",
            gan.latent,
            gan.channels,
            range.start(),
            range.end()
        );
        Ok(Job::new(Model::Gan(training), resolved.config, name))
    }
}
