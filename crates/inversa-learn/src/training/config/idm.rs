//! The settings of `inversa train idm`: fine-tuning IDM for compressed sensing from the diffusion
//! UNet (the bundled one unless `--init` names another).

use super::common::{agree, LoopSettings};
use super::fashion;
use super::job::{Job, Model};
use crate::diffusion::idm::{Backprop, Idm, IdmConfig};
use crate::models::unet::UnetConfig;
use crate::nn::weights::read_safetensors;
use crate::training::idm::IdmTraining;
use crate::training::TrainConfig;
use crate::Error;
use candle_core::Tensor;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Sampling steps when unset (the paper's default `T = 3`).
const STEPS: usize = 3;
/// The top timestep when unset: `ᾱ ≈ 0.13` on the linear schedule, near the paper's learned 0.125.
const START: usize = 450;
/// Test images per ratio in the validation batch when unset.
const VALIDATION_SIZE: usize = 64;

/// `train idm`: the loop settings, the chain's shape, the CS ratios and the data.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
#[serde(deny_unknown_fields)]
pub struct IdmSettings {
    #[cfg_attr(feature = "clap", command(flatten))]
    #[serde(flatten)]
    pub common: LoopSettings,
    /// Folder of the Fashion-MNIST IDX files [/usr/share/datasets/fashion-mnist].
    #[cfg_attr(feature = "clap", arg(long))]
    pub data: Option<PathBuf>,
    /// The diffusion UNet to fine-tune (weights of `train diffusion`) [the bundled one].
    #[cfg_attr(feature = "clap", arg(long, conflicts_with = "resume"))]
    pub init: Option<PathBuf>,
    /// Sampling steps S, network calls per reconstruction [3].
    #[cfg_attr(feature = "clap", arg(long))]
    pub sampling_steps: Option<usize>,
    /// The timestep the chain starts at; levels k·start/S [450].
    #[cfg_attr(feature = "clap", arg(long))]
    pub start: Option<usize>,
    /// CS ratios, one drawn per step, comma-separated [0.1,0.25].
    #[cfg_attr(feature = "clap", arg(long, value_delimiter = ','))]
    pub ratios: Option<Vec<f64>>,
    /// Standard deviation of the measurement noise, image units [0].
    #[cfg_attr(feature = "clap", arg(long))]
    pub noise: Option<f64>,
    /// How gradients are computed: plain autograd, chain (steps recomputed) or full (steps and
    /// blocks recomputed, IDM) [full].
    #[cfg_attr(feature = "clap", arg(long, value_enum))]
    pub backprop: Option<Backprop>,
    /// Test images per ratio in the fixed validation batch [64].
    #[cfg_attr(feature = "clap", arg(long))]
    pub validation_size: Option<usize>,
}

impl IdmSettings {
    pub(super) fn prepare(&self) -> Result<Job, Error> {
        let defaults = TrainConfig {
            batch: 8,
            learning_rate: 2e-4,
            warmup: 20,
            steps: 400,
            validate_every: 100,
            checkpoint_every: 50,
            ..fashion::defaults()
        };
        let resolved = fashion::resolve_over(&self.common, defaults)?;
        let (pretrained, unet) = self.pretrained()?;
        let config = match &resolved.saved {
            Some(metadata) => {
                let out = &resolved.config.out;
                let c = IdmConfig::from_metadata(metadata, out)?;
                agree("sampling_steps", self.sampling_steps, c.steps, out)?;
                agree("start", self.start, c.start, out)?;
                c
            }
            None => IdmConfig::new(
                unet,
                positive("sampling_steps", self.sampling_steps, STEPS)?,
                self.start.unwrap_or(START),
            )
            .map_err(|e| Error::setting("start", e.to_string()))?,
        };
        let ratios = self.ratios.clone().unwrap_or_else(|| vec![0.1, 0.25]);
        let backprop = self.backprop.unwrap_or(Backprop::Full);
        let (train, test) = fashion::read(self.data.as_deref())?;
        let settings = (
            ratios.clone(),
            self.noise.unwrap_or(0.0),
            backprop,
            self.validation_size.unwrap_or(VALIDATION_SIZE),
        );
        let training = IdmTraining::new(Idm::new(config)?, pretrained, train, &test, settings)
            .map_err(|e| match e {
                Error::Network(e) => Error::setting("ratios", e.to_string()),
                other => other,
            })?;
        let name = format!(
            "IDM of {} steps from timestep {}, CS ratios {ratios:?}, {} backprop",
            config.steps,
            config.start,
            backprop.name()
        );
        Ok(Job::new(
            Model::Idm(Box::new(training)),
            resolved.config,
            name,
        ))
    }

    /// The UNet to start from: `--init`'s or the bundled one, with its configuration.
    fn pretrained(&self) -> Result<(HashMap<String, Tensor>, UnetConfig), Error> {
        let (tensors, metadata, origin) = match &self.init {
            Some(path) => {
                let bytes = std::fs::read(path).map_err(|e| inversa::Error::io(path, e))?;
                let (t, m) = read_safetensors(&bytes, path)?;
                (t, m, path.clone())
            }
            None => {
                let (t, m) = crate::models::bundled::diffusion_unet_tensors()?;
                (t, m, PathBuf::from("the bundled fashion_unet.safetensors"))
            }
        };
        let config = UnetConfig::from_metadata(&metadata, Path::new(&origin))?;
        Ok((tensors, config))
    }
}

/// `value` or `default`, refusing zero.
fn positive(key: &'static str, value: Option<usize>, default: usize) -> Result<usize, Error> {
    super::common::positive(key, value, default)
}
