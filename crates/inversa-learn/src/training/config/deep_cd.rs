//! The settings of the deep conjugate direction network (Kaneda et al., ICML 2023), trained on
//! the five-point Poisson matrix without solutions.

use super::common::{agree, LoopSettings};
use super::job::{Job, Model};
use crate::solvers::deep_cd::network::DeepCdConfig;
use crate::solvers::deep_cd::training::DeepCdTraining;
use crate::training::TrainConfig;
use crate::Error;
use serde::{Deserialize, Serialize};

/// The grid sides trained on when unset.
const GRIDS: &str = "32,64";

/// `train deep-cd`: the loop settings, the network's size and training grids.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
#[serde(deny_unknown_fields)]
pub struct DeepCdSettings {
    #[cfg_attr(feature = "clap", command(flatten))]
    #[serde(flatten)]
    pub common: LoopSettings,
    /// Grid sides to train on, comma-separated; the steps cycle through them [32,64].
    #[cfg_attr(feature = "clap", arg(long))]
    pub grid: Option<String>,
    /// Feature channels at every level [16].
    #[cfg_attr(feature = "clap", arg(long))]
    pub channels: Option<usize>,
}

/// The loop's defaults (other settings as for the denoisers).
fn defaults() -> TrainConfig {
    TrainConfig {
        steps: 1000,
        batch: 16,
        warmup: 50,
        validate_every: 100,
        checkpoint_every: 100,
        ..TrainConfig::default()
    }
}

/// Parses grid sides such as `32,64`.
fn grids(text: &str) -> Result<Vec<usize>, Error> {
    let parsed: Result<Vec<usize>, _> = text.split(',').map(|s| s.trim().parse()).collect();
    match parsed {
        Ok(grids) if !grids.is_empty() && grids.iter().all(|&n| n >= 3) => Ok(grids),
        _ => Err(Error::setting(
            "grid",
            format!(
                "--grid: expected grid sides of at least 3 separated by commas (e.g. 32,64), got {text:?}"
            ),
        )),
    }
}

impl DeepCdSettings {
    pub(super) fn prepare(&self) -> Result<Job, Error> {
        self.common
            .no_image_folder("deep-cd draws its right-hand sides on --grid")?;
        // A fresh run's bad grid is refused before any file is touched.
        let fresh = match self.common.resume {
            true => None,
            false => Some(grids(self.grid.as_deref().unwrap_or(GRIDS))?),
        };
        let mut resolved = self.common.resolve(defaults())?;
        let out = &resolved.config.out;
        let (net, sides) = match (fresh, &resolved.saved) {
            (Some(sides), _) => {
                let channels = self.channels.unwrap_or(DeepCdConfig::default().channels);
                (DeepCdConfig { channels }, sides)
            }
            (None, saved) => {
                let metadata = saved.clone().unwrap_or_default();
                let c = DeepCdConfig::from_metadata(&metadata, out)?;
                agree("channels", self.channels, c.channels, out)?;
                let saved_grids = metadata.get("grids").cloned().unwrap_or_default();
                agree("grid", self.grid.clone(), saved_grids.clone(), out)?;
                (c, grids(&saved_grids)?)
            }
        };
        // The loop's crop is the largest grid (recorded in the history; the steps use the grids).
        resolved.config.crop = sides.iter().max().copied().unwrap_or(resolved.config.crop);
        let training = DeepCdTraining::new(net, &sides)?;
        let name = format!(
            "deep-cd network channels {} on grids {sides:?}",
            net.channels
        );
        Ok(Job::new(Model::DeepCd(training), resolved.config, name))
    }
}
