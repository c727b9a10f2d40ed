//! `inversa train diffusion|flow|classifier --data DIR`: the Fashion-MNIST models of diffusion
//! and rectified-flow inversion, trained with the same loop and flags as the denoisers, on the IDX files of the
//! Debian package `dataset-fashion-mnist` (60k training images; validation on the 10k test images).

use super::{agree, bad, loop_config, run_loop, Mode, Settings};
use crate::failure::Failure;
use clap::Args;
use inversa::config::Section;
use inversa_learn::data::fashion_mnist::{LabelledImages, Split, DEFAULT_DIR, SIDE};
use inversa_learn::models::classifier::{ClassifierConfig, ClassifierTraining};
use inversa_learn::models::unet::{Objective, ScheduleKind, UnetConfig};
use inversa_learn::training::unet::UnetTraining;
use inversa_learn::training::TrainConfig;
use std::ops::RangeInclusive;
use std::path::PathBuf;

/// The UNet's size, schedule and data.
#[derive(Args, Default)]
pub(super) struct UnetFlags {
    /// Folder of the Fashion-MNIST IDX files [/usr/share/datasets/fashion-mnist].
    #[arg(long)]
    data: Option<PathBuf>,
    /// Channels at the finest level, doubled at each coarser one [32].
    #[arg(long)]
    channels: Option<usize>,
    /// Resolutions [3].
    #[arg(long)]
    levels: Option<usize>,
    /// Residual blocks per level and path [1].
    #[arg(long)]
    blocks: Option<usize>,
    /// Groups of the group normalisations [8].
    #[arg(long)]
    groups: Option<usize>,
    /// Diffusion timesteps T [1000].
    #[arg(long)]
    timesteps: Option<usize>,
    /// The noise schedule: linear (DDPM) or cosine [linear].
    #[arg(long, value_parser = ["linear", "cosine"])]
    noise_schedule: Option<String>,
    /// Test images in the fixed validation batch [256].
    #[arg(long)]
    validation_size: Option<usize>,
}

/// The classifier's size and data.
#[derive(Args, Default)]
pub(super) struct ClassifierFlags {
    /// Folder of the Fashion-MNIST IDX files [/usr/share/datasets/fashion-mnist].
    #[arg(long)]
    data: Option<PathBuf>,
    /// Channels of the first convolution [32].
    #[arg(long)]
    channels: Option<usize>,
    /// Train on these classes only, relabelled from 0: one label or a range such as 0-4 [0-9].
    #[arg(long)]
    classes: Option<String>,
}

impl UnetFlags {
    /// The flags from the keys of a `[train]` table (`data`, `channels`, `levels`, `blocks`,
    /// `groups`, `timesteps`, `noise_schedule`, `validation_size`).
    pub(super) fn from_section(train: &mut Section) -> inversa::Result<Self> {
        let noise_schedule = train.str_opt("noise_schedule")?.map(str::to_string);
        if let Some(other) = noise_schedule
            .as_deref()
            .filter(|s| ScheduleKind::from_name(s).is_none())
        {
            return Err(inversa::Error::config(
                train.key("noise_schedule"),
                format!("unknown value \"{other}\"; expected one of: linear, cosine"),
            ));
        }
        Ok(Self {
            data: train.path_opt("data")?,
            channels: train.usize_opt("channels")?,
            levels: train.usize_opt("levels")?,
            blocks: train.usize_opt("blocks")?,
            groups: train.usize_opt("groups")?,
            timesteps: train.usize_opt("timesteps")?,
            noise_schedule,
            validation_size: train.usize_opt("validation_size")?,
        })
    }
}

impl ClassifierFlags {
    /// The flags from the keys of a `[train]` table (`data`, `channels`, `classes`).
    pub(super) fn from_section(train: &mut Section) -> inversa::Result<Self> {
        Ok(Self {
            data: train.path_opt("data")?,
            channels: train.usize_opt("channels")?,
            classes: train.str_opt("classes")?.map(str::to_string),
        })
    }
}

/// The labels named by `--classes` (`3` or `0-4`, within 0–9); all ten without the flag.
pub(super) fn class_range(text: Option<&str>) -> Result<RangeInclusive<u8>, Failure> {
    let Some(text) = text else {
        return Ok(0..=9);
    };
    let label = |s: &str| s.trim().parse::<u8>().ok().filter(|&l| l <= 9);
    let range = match text.split_once('-') {
        Some((a, b)) => label(a).zip(label(b)).map(|(a, b)| a..=b),
        None => label(text).map(|l| l..=l),
    };
    range.filter(|r| !r.is_empty()).ok_or_else(|| {
        bad(format!(
            "--classes {text}: expected a label or an increasing range of labels within 0-9, such as 0-4"
        ))
    })
}

/// The loop's defaults for 32×32 Fashion-MNIST (other flags as for the denoisers).
fn defaults() -> TrainConfig {
    TrainConfig {
        batch: 64,
        crop: SIDE,
        learning_rate: 5e-4,
        warmup: 200,
        validate_every: 500,
        checkpoint_every: 500,
        ..TrainConfig::default()
    }
}

/// The loop configuration, refusing the flags of image-folder training.
pub(super) fn fashion_config(
    settings: &Settings,
    mode: Mode,
) -> Result<
    (
        TrainConfig,
        Option<std::collections::HashMap<String, String>>,
    ),
    Failure,
> {
    if settings.images.is_some() || settings.validation.is_some() || settings.crop.is_some() {
        return Err(bad(
            "--images, --validation and --crop are for image-folder training; the Fashion-MNIST models read --data (whole 32×32 images)",
        ));
    }
    loop_config(settings, mode, defaults())
}

/// The training and test parts of the data set in `data`.
pub(super) fn read(data: &Option<PathBuf>) -> Result<(LabelledImages, LabelledImages), Failure> {
    let dir = data.clone().unwrap_or_else(|| PathBuf::from(DEFAULT_DIR));
    Ok((
        LabelledImages::read_fashion_mnist(&dir, Split::Train)?,
        LabelledImages::read_fashion_mnist(&dir, Split::Test)?,
    ))
}

/// `inversa train diffusion` (`objective` ε) or `inversa train flow` (rectified flow).
pub(super) fn train_unet(
    settings: Settings,
    flags: UnetFlags,
    mode: Mode,
    objective: Objective,
) -> Result<(), Failure> {
    let (config, saved) = fashion_config(&settings, mode)?;
    let out = &config.out;
    let unet = match saved {
        Some(metadata) => {
            let c = UnetConfig::from_metadata(&metadata, out)?;
            agree("--channels", flags.channels, c.channels, out)?;
            agree("--levels", flags.levels, c.levels, out)?;
            agree("--blocks", flags.blocks, c.blocks, out)?;
            agree("--groups", flags.groups, c.groups, out)?;
            agree("--timesteps", flags.timesteps, c.timesteps, out)?;
            let schedule = flags.noise_schedule.as_deref();
            agree("--noise-schedule", schedule, c.schedule.name(), out)?;
            if c.objective != objective {
                return Err(bad(format!(
                    "{} holds a {} model; resume it with the matching `inversa train` command",
                    out.display(),
                    c.objective.name()
                )));
            }
            c
        }
        None => {
            let d = UnetConfig::default();
            let c = UnetConfig {
                channels: flags.channels.unwrap_or(d.channels),
                levels: flags.levels.unwrap_or(d.levels),
                blocks: flags.blocks.unwrap_or(d.blocks),
                groups: flags.groups.unwrap_or(d.groups),
                timesteps: flags.timesteps.unwrap_or(d.timesteps),
                schedule: flags
                    .noise_schedule
                    .as_deref()
                    .and_then(ScheduleKind::from_name)
                    .unwrap_or(d.schedule),
                objective,
                ..d
            };
            c.check().map_err(bad)?;
            c
        }
    };
    let (train, test) = read(&flags.data)?;
    let size = flags.validation_size.unwrap_or(256);
    let training =
        UnetTraining::new(unet, train, &test, size).map_err(|e| Failure::BadInput(e.into()))?;
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
    run_loop(&training, &config, mode, &name)
}

pub(super) fn train_classifier(
    settings: Settings,
    flags: ClassifierFlags,
    mode: Mode,
) -> Result<(), Failure> {
    let range = class_range(flags.classes.as_deref())?;
    let classes = usize::from(range.end() - range.start()) + 1;
    let (config, saved) = fashion_config(&settings, mode)?;
    let classifier = match saved {
        Some(metadata) => {
            let c = ClassifierConfig::from_metadata(&metadata, &config.out)?;
            agree("--channels", flags.channels, c.channels, &config.out)?;
            agree("--classes (count)", Some(classes), c.classes, &config.out)?;
            c
        }
        None => ClassifierConfig {
            channels: flags
                .channels
                .unwrap_or(ClassifierConfig::default().channels),
            classes,
        },
    };
    if classifier.channels == 0 {
        return Err(bad("--channels must be at least 1"));
    }
    if classes < 2 {
        return Err(bad("--classes must name at least two classes"));
    }
    let (train, test) = read(&flags.data)?;
    let (train, test) = (train.classes(range.clone()), test.classes(range));
    let test_count = test.len();
    let training = ClassifierTraining::new(classifier, train, test)?;
    let name = format!("classifier channels {}", classifier.channels);
    run_loop(&training, &config, mode, &name)?;
    let accuracy = training
        .net()
        .accuracy(training.held_out())
        .map_err(|e| Failure::Reconstruction(e.into()))?;
    say!(
        "test accuracy: {:.2}% on {test_count} images",
        100.0 * accuracy
    );
    Ok(())
}
