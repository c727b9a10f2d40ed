//! The settings of a grey denoiser (DnCNN or DRUNet) trained on a folder of images, and the
//! folder-reading step it shares with the LPN.

use super::common::{agree, positive, LoopSettings};
use super::job::{Job, Model};
use crate::data::image_folder::{GreyImage, ImageFolder};
use crate::models::denoiser::Architecture;
use crate::models::dncnn::DnCnnConfig;
use crate::models::drunet::DrunetConfig;
use crate::training::denoiser::DenoiserTraining;
use crate::training::TrainConfig;
use crate::Error;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::PathBuf;

/// The denoiser's architecture.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum DenoiserKind {
    Dncnn,
    Drunet,
}

impl DenoiserKind {
    /// The name in a weights file's metadata and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::Dncnn => "dncnn",
            Self::Drunet => "drunet",
        }
    }
}

/// `train denoiser`: the loop settings, the architecture and its size.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
#[serde(deny_unknown_fields)]
pub struct DenoiserSettings {
    #[cfg_attr(feature = "clap", command(flatten))]
    #[serde(flatten)]
    pub common: LoopSettings,
    /// dncnn or drunet [dncnn].
    #[cfg_attr(feature = "clap", arg(long, value_enum))]
    pub architecture: Option<DenoiserKind>,
    /// DnCNN: convolution layers [10].
    #[cfg_attr(feature = "clap", arg(long))]
    pub depth: Option<usize>,
    /// DnCNN: channels of the hidden layers [32].
    #[cfg_attr(feature = "clap", arg(long))]
    pub features: Option<usize>,
    /// DRUNet: channels at the finest scale, doubled at each coarser one [16].
    #[cfg_attr(feature = "clap", arg(long))]
    pub channels: Option<usize>,
    /// DRUNet: residual blocks per scale [2].
    #[cfg_attr(feature = "clap", arg(long))]
    pub blocks: Option<usize>,
}

impl DenoiserSettings {
    /// The architecture a fresh run builds, with defaults for unset sizes; bad sizes are refused
    /// before any image is read.
    pub fn network(&self) -> Result<Architecture, Error> {
        if self.architecture == Some(DenoiserKind::Drunet) {
            if self.depth.is_some() || self.features.is_some() {
                return Err(Error::setting(
                    "depth",
                    "--depth and --features apply to --architecture dncnn",
                ));
            }
            let default = DrunetConfig::default();
            return Ok(Architecture::Drunet(DrunetConfig {
                channels: positive("channels", self.channels, default.channels)?,
                blocks: positive("blocks", self.blocks, default.blocks)?,
            }));
        }
        if self.channels.is_some() || self.blocks.is_some() {
            return Err(Error::setting(
                "channels",
                "--channels and --blocks apply to --architecture drunet",
            ));
        }
        let default = DnCnnConfig::default();
        let config = DnCnnConfig {
            depth: self.depth.unwrap_or(default.depth),
            features: self.features.unwrap_or(default.features),
        };
        config.check()?;
        Ok(Architecture::DnCnn(config))
    }

    pub(super) fn prepare(&self) -> Result<Job, Error> {
        let fresh = match self.common.resume {
            true => None,
            false => Some(self.network()?),
        };
        let folder = FolderRun::prepare(&self.common)?;
        let architecture = match fresh {
            Some(architecture) => architecture,
            None => self.resumed(&folder)?,
        };
        let training = DenoiserTraining::new(
            architecture,
            folder.images.clone(),
            folder.validation.clone(),
        )?;
        let name = match architecture {
            Architecture::DnCnn(c) => format!("DnCNN depth {} features {}", c.depth, c.features),
            Architecture::Drunet(c) => {
                format!("DRUNet channels {} blocks {}", c.channels, c.blocks)
            }
        };
        Ok(Job::new(
            Model::Denoiser(training, folder.validation),
            folder.config,
            name,
        ))
    }

    /// The checkpoint's architecture, refusing settings that contradict it.
    fn resumed(&self, folder: &FolderRun) -> Result<Architecture, Error> {
        let out = &folder.config.out;
        let metadata = folder
            .saved
            .as_ref()
            .ok_or_else(|| Error::setting("resume", "--resume needs an earlier run's weights"))?;
        let saved = Architecture::from_metadata(metadata, out)?;
        let kind = match saved {
            Architecture::DnCnn(c) => {
                agree("depth", self.depth, c.depth, out)?;
                agree("features", self.features, c.features, out)?;
                DenoiserKind::Dncnn
            }
            Architecture::Drunet(c) => {
                agree("channels", self.channels, c.channels, out)?;
                agree("blocks", self.blocks, c.blocks, out)?;
                DenoiserKind::Drunet
            }
        };
        let given = self.architecture.map(DenoiserKind::name);
        agree("architecture", given, kind.name(), out)?;
        Ok(saved)
    }
}

/// The common part of image-folder training (denoisers and the LPN): the loop configuration,
/// the checkpoint's weights metadata when resuming, and the training and validation images.
pub(super) struct FolderRun {
    pub config: TrainConfig,
    pub saved: Option<HashMap<String, String>>,
    pub images: ImageFolder,
    pub validation: Vec<GreyImage>,
}

impl FolderRun {
    pub(super) fn prepare(common: &LoopSettings) -> Result<Self, Error> {
        let images: PathBuf = common.images.clone().ok_or_else(|| {
            Error::setting(
                "images",
                "--images is required: the folder of training images",
            )
        })?;
        let resolved = common.resolve(TrainConfig::default())?;
        let folder = ImageFolder::read(&images, resolved.config.crop)?;
        let validation = match &common.validation {
            Some(dir) => ImageFolder::read(dir, 1)?.images().to_vec(),
            None => Vec::new(),
        };
        Ok(Self {
            config: resolved.config,
            saved: resolved.saved,
            images: folder,
            validation,
        })
    }
}
