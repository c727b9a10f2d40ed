//! `inversa train gan --classes 5-9 --data DIR`: the public-data GAN of the model-inversion
//! attacks (`inversa attack model`), trained with the shared loop and flags on the 28×28
//! Fashion-MNIST images of the chosen classes; writes a grid of samples next to the weights.

use super::fashion::{class_range, read};
use super::{agree, bad, loop_config, run_loop, Mode, Settings};
use crate::failure::Failure;
use anyhow::anyhow;
use clap::Args;
use inversa::io::png_image::write_png_u8;
use inversa_learn::models::gan::{uniform_latents, GanConfig, GanTraining};
use inversa_learn::training::checkpoint::sibling;
use inversa_learn::training::TrainConfig;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::path::PathBuf;

/// The GAN's size and data.
#[derive(Args, Default)]
pub(super) struct GanFlags {
    /// Folder of the Fashion-MNIST IDX files [/usr/share/datasets/fashion-mnist].
    #[arg(long)]
    data: Option<PathBuf>,
    /// The public classes to learn: one label or a range such as 5-9 [0-9].
    #[arg(long)]
    classes: Option<String>,
    /// Dimension of the latent z [64].
    #[arg(long)]
    latent: Option<usize>,
    /// Channels of the generator's 7×7 features [64].
    #[arg(long)]
    channels: Option<usize>,
}

/// The loop's defaults for the GAN (other flags as for the denoisers).
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

pub(super) fn train_gan(settings: Settings, flags: GanFlags, mode: Mode) -> Result<(), Failure> {
    if settings.images.is_some() || settings.validation.is_some() || settings.crop.is_some() {
        return Err(bad(
            "--images, --validation and --crop are for image-folder training; the GAN reads --data (whole 28×28 images)",
        ));
    }
    let range = class_range(flags.classes.as_deref())?;
    let (config, saved) = loop_config(&settings, mode, defaults())?;
    let out = &config.out;
    let gan = match saved {
        Some(metadata) => {
            let c = GanConfig::from_metadata(&metadata, out)?;
            agree("--latent", flags.latent, c.latent, out)?;
            agree("--channels", flags.channels, c.channels, out)?;
            c
        }
        None => {
            let d = GanConfig::default();
            let c = GanConfig {
                latent: flags.latent.unwrap_or(d.latent),
                channels: flags.channels.unwrap_or(d.channels),
            };
            c.check()
                .map_err(|m| bad(format!("--latent/--channels: {m}")))?;
            c
        }
    };
    let (train, test) = read(&flags.data)?;
    let (train, test) = (train.classes(range.clone()), test.classes(range.clone()));
    let training = GanTraining::new(gan, train, test)?;
    let name = format!(
        "GAN latent {} channels {} on classes {}-{}",
        gan.latent,
        gan.channels,
        range.start(),
        range.end()
    );
    run_loop(&training, &config, mode, &name)?;
    let samples = sibling(out, ".samples.png");
    write_samples(&training, &samples, gan.latent)
        .map_err(|e| Failure::Reconstruction(anyhow!(e)))?;
    say!("samples from fixed latents: {}", samples.display());
    Ok(())
}

/// An 8×8 grid of samples from latents drawn from seed 0.
fn write_samples(
    training: &GanTraining,
    path: &std::path::Path,
    latent: usize,
) -> anyhow::Result<()> {
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let images = training
        .gan()
        .generator
        .generate(&uniform_latents(&mut rng, 64, latent)?)?;
    let (shape, data) = crate::commands::attack_model::tile(&images, 8)?;
    write_png_u8(path, &shape, &data)?;
    Ok(())
}
