//! `inversa train deep-cd --out W.safetensors --grid 32,64`: the network of the deep conjugate
//! direction method (Kaneda et al., ICML 2023), trained with the shared loop and flags on the
//! five-point Poisson matrix, without solutions (one solver step's residual as the loss).

use super::{agree, bad, loop_config, run_loop, Mode, Settings};
use crate::failure::Failure;
use clap::Args;
use inversa_learn::solvers::deep_cd::network::DeepCdConfig;
use inversa_learn::solvers::deep_cd::training::DeepCdTraining;
use inversa_learn::training::TrainConfig;

/// The network's size and training grids.
#[derive(Args, Default)]
pub(super) struct DeepCdFlags {
    /// Grid sides to train on, comma-separated; the steps cycle through them [32,64].
    #[arg(long)]
    grid: Option<String>,
    /// Feature channels at every level [16].
    #[arg(long)]
    channels: Option<usize>,
}

/// The loop's defaults (other flags as for the denoisers).
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

/// Parses `--grid`, e.g. `32,64`.
fn grids(text: &str) -> Result<Vec<usize>, Failure> {
    let parsed: Result<Vec<usize>, _> = text.split(',').map(|s| s.trim().parse()).collect();
    match parsed {
        Ok(grids) if !grids.is_empty() && grids.iter().all(|&n| n >= 3) => Ok(grids),
        _ => Err(bad(format!(
            "--grid: expected grid sides of at least 3 separated by commas (e.g. 32,64), got {text:?}"
        ))),
    }
}

pub(super) fn train_deep_cd(
    mut settings: Settings,
    flags: DeepCdFlags,
    mode: Mode,
) -> Result<(), Failure> {
    if settings.images.is_some() || settings.validation.is_some() || settings.crop.is_some() {
        return Err(bad(
            "--images, --validation and --crop are for image-folder training; deep-cd draws its right-hand sides on --grid",
        ));
    }
    let (net, sides) = match mode.resume {
        true => {
            let (_, saved) = loop_config(&settings, mode, defaults())?;
            let metadata = saved.unwrap_or_default();
            let out = settings.out.clone().unwrap_or_default();
            let c = DeepCdConfig::from_metadata(&metadata, &out)?;
            agree("--channels", flags.channels, c.channels, &out)?;
            let saved_grids = metadata.get("grids").cloned().unwrap_or_default();
            agree("--grid", flags.grid.clone(), saved_grids.clone(), &out)?;
            (c, grids(&saved_grids)?)
        }
        false => {
            let c = DeepCdConfig {
                channels: flags.channels.unwrap_or(DeepCdConfig::default().channels),
            };
            (c, grids(flags.grid.as_deref().unwrap_or("32,64"))?)
        }
    };
    // The loop's crop is the largest grid (recorded in the history; the steps use the grids).
    settings.crop = sides.iter().max().copied();
    let (config, _) = loop_config(&settings, mode, defaults())?;
    let training = DeepCdTraining::new(net, &sides).map_err(|e| Failure::BadInput(e.into()))?;
    let name = format!(
        "deep-cd network channels {} on grids {sides:?}",
        net.channels
    );
    run_loop(&training, &config, mode, &name)
}
