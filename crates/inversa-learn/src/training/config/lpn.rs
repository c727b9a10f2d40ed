//! The settings of a Learned Proximal Network trained on a folder of images.

use super::common::{agree, LoopSettings};
use super::denoiser::FolderRun;
use super::job::{Job, Model};
use crate::models::lpn::LpnShape;
use crate::training::lpn::LpnTraining;
use crate::Error;
use serde::{Deserialize, Serialize};

/// The training noise level when none is set.
const SIGMA: f64 = 0.05;

/// `train lpn`: the loop settings, the LPN's size and its training noise.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
#[serde(deny_unknown_fields)]
pub struct LpnSettings {
    #[cfg_attr(feature = "clap", command(flatten))]
    #[serde(flatten)]
    pub common: LoopSettings,
    /// Hidden channels per layer [32].
    #[cfg_attr(feature = "clap", arg(long))]
    pub hidden: Option<usize>,
    /// Hidden layers [4].
    #[cfg_attr(feature = "clap", arg(long))]
    pub layers: Option<usize>,
    /// Training noise level on the [0, 1] scale [0.05].
    #[cfg_attr(feature = "clap", arg(long))]
    pub sigma: Option<f64>,
    /// Steps on the ℓ1 loss before proximal matching [steps/2].
    #[cfg_attr(feature = "clap", arg(long))]
    pub warm_start: Option<usize>,
}

impl LpnSettings {
    /// The shape a fresh run builds; bad sizes are refused before any image is read.
    pub fn shape(&self) -> Result<LpnShape, Error> {
        for (key, value) in [("hidden", self.hidden), ("layers", self.layers)] {
            if value == Some(0) {
                return Err(Error::setting(key, format!("--{key} must be at least 1")));
            }
        }
        let default = LpnShape::default();
        Ok(LpnShape {
            hidden: self.hidden.unwrap_or(default.hidden),
            layers: self.layers.unwrap_or(default.layers),
            ..default
        })
    }

    pub(super) fn prepare(&self) -> Result<Job, Error> {
        let fresh = self.shape()?;
        let folder = FolderRun::prepare(&self.common)?;
        let out = &folder.config.out;
        let shape = match &folder.saved {
            Some(metadata) => {
                let saved = LpnShape::from_metadata(metadata, out)?;
                agree("hidden", self.hidden, saved.hidden, out)?;
                agree("layers", self.layers, saved.layers, out)?;
                saved
            }
            None => fresh,
        };
        let sigma = match folder.saved.as_ref().and_then(|m| m.get("sigma")) {
            Some(saved) => {
                let saved: f64 = saved.parse().unwrap_or(f64::NAN);
                agree("sigma", self.sigma, saved, out)?;
                saved
            }
            None => self.sigma.unwrap_or(SIGMA),
        };
        if !(sigma > 0.0 && sigma < 1.0) {
            return Err(Error::setting(
                "sigma",
                format!("--sigma must be in (0, 1), not {sigma}"),
            ));
        }
        let steps = folder.config.steps;
        let warm_start = self.warm_start.unwrap_or(steps / 2);
        if warm_start >= steps {
            return Err(Error::setting(
                "warm_start",
                format!("--warm-start {warm_start} must be below --steps {steps}"),
            ));
        }
        let training = LpnTraining::new(
            shape,
            sigma as f32,
            (warm_start, steps),
            folder.images,
            folder.validation,
        )?;
        let name = format!(
            "LPN hidden {} layers {}, σ {sigma}",
            shape.hidden, shape.layers
        );
        Ok(Job::new(Model::Lpn(training), folder.config, name))
    }
}
