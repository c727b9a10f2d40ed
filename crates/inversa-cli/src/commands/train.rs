//! `inversa train`: trains a grey denoiser (DnCNN, DRUNet) or a Learned Proximal Network from a
//! folder of PNG images, the Fashion-MNIST diffusion and rectified-flow UNets and classifier (`train
//! diffusion|flow|classifier --data DIR`, in [`fashion`]) and the deep conjugate direction network
//! (`train deep-cd`, in [`deep_cd`]), the model-inversion GAN (`train gan`, in [`gan`]), from flags (`inversa train denoiser|lpn --images DIR --out W.safetensors
//! …`) or from a TOML file whose `[train]` table has the same keys (`inversa train config.toml`).

use crate::failure::{bad, Failure};
use crate::progress::TrainBar;
use anyhow::anyhow;
use clap::{Args, Subcommand};
use inversa::config::Section;
use inversa_learn::data::image_folder::{GreyImage, ImageFolder};
use inversa_learn::models::denoiser::Architecture;
use inversa_learn::models::dncnn::DnCnnConfig;
use inversa_learn::models::drunet::DrunetConfig;
use inversa_learn::models::lpn::LpnShape;
use inversa_learn::models::unet::Objective;
use inversa_learn::nn::weights::read_safetensors;
use inversa_learn::optim::lr_schedule::Decay;
use inversa_learn::training::checkpoint::{history_path, plot_path, read_history};
use inversa_learn::training::denoiser::{compare, DenoiserTraining, VALIDATION_LEVELS};
use inversa_learn::training::lpn::LpnTraining;
use inversa_learn::training::Trainable;
use inversa_learn::training::{train, TrainConfig, TrainError};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

mod deep_cd;
mod fashion;
mod gan;

/// `inversa train …`.
#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct TrainArgs {
    #[command(subcommand)]
    what: Option<What>,
    /// A TOML file with a [train] table; its keys are the flags of `train <model>` (with `_` for
    /// `-`), and `model = "denoiser"` (the default), "lpn", "diffusion", "flow" or "classifier".
    config: Option<PathBuf>,
    #[command(flatten)]
    mode: Mode,
}

#[derive(Subcommand)]
enum What {
    /// Train a grey denoiser, DnCNN or DRUNet (noise σ ~ U[0, 50/255], MSE loss, Adam).
    Denoiser {
        #[command(flatten)]
        flags: Settings,
        #[command(flatten)]
        network: DenoiserFlags,
        #[command(flatten)]
        mode: Mode,
    },
    /// Train a Learned Proximal Network (ℓ1 warm start, then proximal matching; Adam).
    Lpn {
        #[command(flatten)]
        flags: Settings,
        #[command(flatten)]
        network: LpnFlags,
        #[command(flatten)]
        mode: Mode,
    },
    /// Train the class-conditional diffusion UNet on Fashion-MNIST (DDPM ε loss, label dropout 0.1;
    /// defaults: batch 64, lr 5e-4, warmup 200, validate and checkpoint every 500).
    Diffusion {
        #[command(flatten)]
        flags: Settings,
        #[command(flatten)]
        network: fashion::UnetFlags,
        #[command(flatten)]
        mode: Mode,
    },
    /// Train the class-conditional rectified-flow UNet on Fashion-MNIST (velocity loss, label
    /// dropout 0.1; defaults as for `train diffusion`).
    Flow {
        #[command(flatten)]
        flags: Settings,
        #[command(flatten)]
        network: fashion::UnetFlags,
        #[command(flatten)]
        mode: Mode,
    },
    /// Train the Fashion-MNIST classifier that scores edits (cross-entropy; test accuracy;
    /// defaults as for `train diffusion`).
    Classifier {
        #[command(flatten)]
        flags: Settings,
        #[command(flatten)]
        network: fashion::ClassifierFlags,
        #[command(flatten)]
        mode: Mode,
    },
    /// Train the GAN prior of `inversa attack model` on public Fashion-MNIST classes
    /// (non-saturating loss; defaults: 3000 steps, batch 64, lr 2e-4, no warm-up).
    Gan {
        #[command(flatten)]
        flags: Settings,
        #[command(flatten)]
        network: gan::GanFlags,
        #[command(flatten)]
        mode: Mode,
    },
    /// Train the deep conjugate direction network on the five-point Poisson matrix (no solutions
    /// needed; defaults: 1000 steps, batch 16, grids 32,64, validate and checkpoint every 100).
    DeepCd {
        #[command(flatten)]
        flags: Settings,
        #[command(flatten)]
        network: deep_cd::DeepCdFlags,
        #[command(flatten)]
        mode: Mode,
    },
}

/// The denoiser's architecture and size.
#[derive(Args, Default)]
struct DenoiserFlags {
    /// dncnn or drunet [dncnn].
    #[arg(long, value_parser = ["dncnn", "drunet"])]
    architecture: Option<String>,
    /// DnCNN: convolution layers [10].
    #[arg(long)]
    depth: Option<usize>,
    /// DnCNN: channels of the hidden layers [32].
    #[arg(long)]
    features: Option<usize>,
    /// DRUNet: channels at the finest scale, doubled at each coarser one [16].
    #[arg(long)]
    channels: Option<usize>,
    /// DRUNet: residual blocks per scale [2].
    #[arg(long)]
    blocks: Option<usize>,
}

/// The LPN's size and training noise.
#[derive(Args, Default)]
struct LpnFlags {
    /// Hidden channels per layer [32].
    #[arg(long)]
    hidden: Option<usize>,
    /// Hidden layers [4].
    #[arg(long)]
    layers: Option<usize>,
    /// Training noise level on the [0, 1] scale [0.05].
    #[arg(long)]
    sigma: Option<f64>,
    /// Steps on the ℓ1 loss before proximal matching [steps/2].
    #[arg(long)]
    warm_start: Option<usize>,
}

/// Whether existing files at `--out` may be touched.
#[derive(Args, Clone, Copy)]
struct Mode {
    /// Continue the training checkpointed at --out (same settings; unset ones are taken from it).
    #[arg(long)]
    resume: bool,
    /// Replace an existing --out and its checkpoint files.
    #[arg(long, conflicts_with = "resume")]
    force: bool,
}

/// Every setting; unset ones come from the checkpoint (with --resume) or the defaults.
#[derive(Args, Default)]
struct Settings {
    /// Folder of training images (.png, grey or RGB; RGB is converted to luminance); denoiser and
    /// lpn only.
    #[arg(long)]
    images: Option<PathBuf>,
    /// The weights file to write (safetensors); the history, optimizer state and plot go next to it.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Folder of held-out images, denoised whole at σ = 15, 25, 50 to validate; denoiser and lpn
    /// only.
    #[arg(long)]
    validation: Option<PathBuf>,
    /// Training steps [2000].
    #[arg(long)]
    steps: Option<usize>,
    /// Images (crops) per step [16; Fashion-MNIST models 64].
    #[arg(long)]
    batch: Option<usize>,
    /// Crop side in pixels [48]; denoiser and lpn only.
    #[arg(long)]
    crop: Option<usize>,
    /// Peak learning rate [1e-3; Fashion-MNIST models 5e-4].
    #[arg(long)]
    lr: Option<f64>,
    /// Linear warm-up steps [100; Fashion-MNIST models 200].
    #[arg(long)]
    warmup: Option<usize>,
    /// Learning-rate decay after the warm-up: cosine, or step (×decay_factor every decay_every).
    #[arg(long, value_parser = ["cosine", "step"])]
    schedule: Option<String>,
    /// Steps between step decays [steps/3].
    #[arg(long)]
    decay_every: Option<usize>,
    /// Factor of each step decay [0.1].
    #[arg(long)]
    decay_factor: Option<f64>,
    /// Seed of the initial weights and of every batch [0].
    #[arg(long)]
    seed: Option<u64>,
    /// Validate every this many steps [250; Fashion-MNIST models 500].
    #[arg(long)]
    validate_every: Option<usize>,
    /// Write a checkpoint every this many steps [250; Fashion-MNIST models 500].
    #[arg(long)]
    checkpoint_every: Option<usize>,
}

pub fn run(args: TrainArgs) -> Result<(), Failure> {
    let what = match (args.what, args.config) {
        (Some(what), _) => what,
        (None, Some(path)) => from_toml(&path, args.mode).map_err(|e| {
            Failure::BadInput(anyhow!(e).context(format!("in training file {}", path.display())))
        })?,
        (None, None) => {
            return Err(bad(
                "say what to train: `inversa train denoiser|lpn --images DIR --out W.safetensors` or `inversa train config.toml`",
            ))
        }
    };
    match what {
        What::Denoiser {
            flags,
            network,
            mode,
        } => train_denoiser(flags, network, mode),
        What::Lpn {
            flags,
            network,
            mode,
        } => train_lpn(flags, network, mode),
        What::Diffusion {
            flags,
            network,
            mode,
        } => fashion::train_unet(flags, network, mode, Objective::Epsilon),
        What::Flow {
            flags,
            network,
            mode,
        } => fashion::train_unet(flags, network, mode, Objective::RectifiedFlow),
        What::Classifier {
            flags,
            network,
            mode,
        } => fashion::train_classifier(flags, network, mode),
        What::DeepCd {
            flags,
            network,
            mode,
        } => deep_cd::train_deep_cd(flags, network, mode),
        What::Gan {
            flags,
            network,
            mode,
        } => gan::train_gan(flags, network, mode),
    }
}

/// The `[train]` table of a TOML file; unknown tables and keys are errors naming them.
fn from_toml(path: &Path, mode: Mode) -> inversa::Result<What> {
    let text = std::fs::read_to_string(path).map_err(|e| inversa::Error::io(path, e))?;
    let table: toml::Table = text
        .parse()
        .map_err(|e| inversa::Error::format(path, format!("not a valid TOML file: {e}")))?;
    let base = path.parent().unwrap_or(Path::new("."));
    let mut root = Section::new(&table, "", base);
    let mut train = root
        .table_opt("train")?
        .ok_or_else(|| inversa::Error::config("train", "missing [train] table"))?;
    root.finish()?;
    let model = train.choice_or(
        "model",
        "denoiser",
        &["denoiser", "lpn", "diffusion", "flow", "classifier"],
    )?;
    let schedule = train.str_opt("schedule")?.map(str::to_string);
    if let Some(other) = schedule
        .as_deref()
        .filter(|s| !["cosine", "step"].contains(s))
    {
        return Err(inversa::Error::config(
            train.key("schedule"),
            format!("unknown value \"{other}\"; expected one of: cosine, step"),
        ));
    }
    let settings = Settings {
        images: train.path_opt("images")?,
        out: train.path_opt("out")?,
        validation: train.path_opt("validation")?,
        steps: train.usize_opt("steps")?,
        batch: train.usize_opt("batch")?,
        crop: train.usize_opt("crop")?,
        lr: train.f64_opt("lr")?,
        warmup: train.usize_opt("warmup")?,
        schedule,
        decay_every: train.usize_opt("decay_every")?,
        decay_factor: train.f64_opt("decay_factor")?,
        seed: train.usize_opt("seed")?.map(|s| s as u64),
        validate_every: train.usize_opt("validate_every")?,
        checkpoint_every: train.usize_opt("checkpoint_every")?,
    };
    let what = if model == "diffusion" || model == "flow" {
        let network = fashion::UnetFlags::from_section(&mut train)?;
        match model.as_str() {
            "flow" => What::Flow {
                flags: settings,
                network,
                mode,
            },
            _ => What::Diffusion {
                flags: settings,
                network,
                mode,
            },
        }
    } else if model == "classifier" {
        What::Classifier {
            flags: settings,
            network: fashion::ClassifierFlags::from_section(&mut train)?,
            mode,
        }
    } else if model == "lpn" {
        What::Lpn {
            flags: settings,
            network: LpnFlags {
                hidden: train.usize_opt("hidden")?,
                layers: train.usize_opt("layers")?,
                sigma: train.f64_opt("sigma")?,
                warm_start: train.usize_opt("warm_start")?,
            },
            mode,
        }
    } else {
        What::Denoiser {
            flags: settings,
            network: DenoiserFlags {
                architecture: train
                    .str_opt("architecture")?
                    .map(|a| match a {
                        "dncnn" | "drunet" => Ok(a.to_string()),
                        other => Err(inversa::Error::config(
                            train.key("architecture"),
                            format!("unknown value \"{other}\"; expected one of: dncnn, drunet"),
                        )),
                    })
                    .transpose()?,
                depth: train.usize_opt("depth")?,
                features: train.usize_opt("features")?,
                channels: train.usize_opt("channels")?,
                blocks: train.usize_opt("blocks")?,
            },
            mode,
        }
    };
    train.finish()?;
    Ok(what)
}

/// The common part of every training: the loop configuration from the settings (and the
/// checkpoint with `--resume`), the weights' metadata when resuming, the training and validation
/// images, and the output folder.
struct Prepared {
    config: TrainConfig,
    out: PathBuf,
    /// The checkpoint's weights metadata (with `--resume`).
    saved: Option<HashMap<String, String>>,
    folder: ImageFolder,
    validation: Vec<GreyImage>,
}

fn prepare(settings: &Settings, mode: Mode) -> Result<Prepared, Failure> {
    let images = settings
        .images
        .clone()
        .ok_or_else(|| bad("--images is required: the folder of training images"))?;
    let (config, saved) = loop_config(settings, mode, TrainConfig::default())?;
    let folder = ImageFolder::read(&images, config.crop)?;
    let validation = match &settings.validation {
        Some(dir) => ImageFolder::read(dir, 1)?.images().to_vec(),
        None => Vec::new(),
    };
    Ok(Prepared {
        out: config.out.clone(),
        config,
        saved,
        folder,
        validation,
    })
}

/// The loop configuration: the settings over `defaults` (or over the checkpoint's with
/// `--resume`, returning its weights' metadata too); creates the output folder.
fn loop_config(
    settings: &Settings,
    mode: Mode,
    defaults: TrainConfig,
) -> Result<(TrainConfig, Option<HashMap<String, String>>), Failure> {
    let out = settings
        .out
        .clone()
        .ok_or_else(|| bad("--out is required: the weights file to write"))?;
    let mut config = defaults;
    let mut saved = None;
    if mode.resume {
        // Unset settings are the checkpoint's; set ones must agree with it (checked when loading).
        config = read_history(&out)
            .map_err(|e| {
                Failure::BadInput(anyhow!(e).context("--resume needs an earlier run's checkpoint"))
            })?
            .config;
        let bytes = std::fs::read(&out).map_err(|e| inversa::Error::io(&out, e))?;
        saved = Some(read_safetensors(&bytes, &out)?.1);
    } else if !mode.force {
        refuse_to_overwrite(&out)?;
    }
    config.out = out.clone();
    apply(settings, &mut config).map_err(bad)?;
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|e| Failure::BadInput(anyhow!(inversa::Error::io(parent, e))))?;
    }
    Ok((config, saved))
}

/// Runs the loop with a progress bar; prints where the files went.
fn run_loop(
    model: &impl Trainable,
    config: &TrainConfig,
    mode: Mode,
    name: &str,
) -> Result<(), Failure> {
    let bar = TrainBar::new(config.steps);
    let result = train(model, config, mode.resume, &mut |p| {
        bar.update(p);
        std::ops::ControlFlow::Continue(())
    });
    bar.finish();
    let history = result.map_err(|e| match e {
        TrainError::Input(e) => Failure::BadInput(e.into()),
        other => Failure::Reconstruction(other.into()),
    })?;
    let out = &config.out;
    say!(
        "{name}, {} steps ({:.0} s of training): {}, {} and {}",
        history.step,
        history.seconds,
        out.display(),
        history_path(out).display(),
        plot_path(out).display()
    );
    Ok(())
}

/// Fails naming `flag` when a given setting differs from the checkpoint's.
fn agree<V: PartialEq + std::fmt::Display>(
    flag: &str,
    given: Option<V>,
    saved: V,
    out: &Path,
) -> Result<(), Failure> {
    match given {
        Some(g) if g != saved => Err(bad(format!(
            "{flag} {g} differs from the checkpoint's {saved} ({})",
            out.display()
        ))),
        _ => Ok(()),
    }
}

fn train_denoiser(settings: Settings, flags: DenoiserFlags, mode: Mode) -> Result<(), Failure> {
    // Bad sizes are reported before any image is read.
    let fresh = match mode.resume {
        true => None,
        false => Some(architecture_from(&flags).map_err(bad)?),
    };
    let prepared = prepare(&settings, mode)?;
    let architecture = match fresh {
        Some(architecture) => architecture,
        None => resumed_architecture(&flags, &prepared)?,
    };
    let training = DenoiserTraining::new(
        architecture,
        prepared.folder.clone(),
        prepared.validation.clone(),
    )
    .map_err(|e| Failure::Reconstruction(e.into()))?;
    let name = match architecture {
        Architecture::DnCnn(c) => format!("DnCNN depth {} features {}", c.depth, c.features),
        Architecture::Drunet(c) => format!("DRUNet channels {} blocks {}", c.channels, c.blocks),
    };
    run_loop(&training, &prepared.config, mode, &name)?;
    if prepared.validation.is_empty() {
        say!("no --validation folder, so no validation table");
        return Ok(());
    }
    let ffdnet = inversa_learn::models::ffdnet::FfdNet::pretrained_color()
        .map_err(|e| Failure::Reconstruction(e.into()))?;
    say!(
        "held-out images ({}), mean PSNR (dB):\n  σ·255   noisy   network   FFDNet   TV (best weight)",
        prepared.validation.len()
    );
    for level in VALIDATION_LEVELS {
        let row = compare(training.net(), &ffdnet, &prepared.validation, level)?;
        say!(
            "  {:>5}  {:>6.2}  {:>8.2}  {:>7.2}  {:>6.2} ({:.3})",
            level,
            row.noisy,
            row.denoiser,
            row.reference,
            row.tv,
            row.tv_weight
        );
    }
    Ok(())
}

/// The checkpoint's architecture, refusing flags that contradict it.
fn resumed_architecture(
    flags: &DenoiserFlags,
    prepared: &Prepared,
) -> Result<Architecture, Failure> {
    let out = &prepared.out;
    let metadata = prepared
        .saved
        .as_ref()
        .ok_or_else(|| bad("--resume needs an earlier run's weights"))?;
    let saved = Architecture::from_metadata(metadata, out)?;
    let name = match saved {
        Architecture::DnCnn(c) => {
            agree("--depth", flags.depth, c.depth, out)?;
            agree("--features", flags.features, c.features, out)?;
            "dncnn"
        }
        Architecture::Drunet(c) => {
            agree("--channels", flags.channels, c.channels, out)?;
            agree("--blocks", flags.blocks, c.blocks, out)?;
            "drunet"
        }
    };
    agree("--architecture", flags.architecture.as_deref(), name, out)?;
    Ok(saved)
}

/// The architecture the flags ask for, with defaults for unset sizes.
fn architecture_from(flags: &DenoiserFlags) -> Result<Architecture, String> {
    let positive = |name: &str, v: Option<usize>, default: usize| match v {
        Some(0) => Err(format!("{name} must be at least 1")),
        Some(v) => Ok(v),
        None => Ok(default),
    };
    if flags.architecture.as_deref() == Some("drunet") {
        if flags.depth.is_some() || flags.features.is_some() {
            return Err("--depth and --features apply to --architecture dncnn".into());
        }
        let default = DrunetConfig::default();
        return Ok(Architecture::Drunet(DrunetConfig {
            channels: positive("channels", flags.channels, default.channels)?,
            blocks: positive("blocks", flags.blocks, default.blocks)?,
        }));
    }
    if flags.channels.is_some() || flags.blocks.is_some() {
        return Err("--channels and --blocks apply to --architecture drunet".into());
    }
    let default = DnCnnConfig::default();
    let config = DnCnnConfig {
        depth: flags.depth.unwrap_or(default.depth),
        features: flags.features.unwrap_or(default.features),
    };
    config.check()?;
    Ok(Architecture::DnCnn(config))
}

fn train_lpn(settings: Settings, flags: LpnFlags, mode: Mode) -> Result<(), Failure> {
    // Bad sizes are reported before any image is read.
    let positive = |name: &str, v: Option<usize>, default: usize| match v {
        Some(0) => Err(bad(format!("--{name} must be at least 1"))),
        Some(v) => Ok(v),
        None => Ok(default),
    };
    let default = LpnShape::default();
    let fresh = LpnShape {
        hidden: positive("hidden", flags.hidden, default.hidden)?,
        layers: positive("layers", flags.layers, default.layers)?,
        ..default
    };
    let prepared = prepare(&settings, mode)?;
    let shape = match &prepared.saved {
        Some(metadata) => {
            let saved = LpnShape::from_metadata(metadata, &prepared.out)?;
            agree("--hidden", flags.hidden, saved.hidden, &prepared.out)?;
            agree("--layers", flags.layers, saved.layers, &prepared.out)?;
            saved
        }
        None => fresh,
    };
    let sigma = match prepared.saved.as_ref().and_then(|m| m.get("sigma")) {
        Some(saved) => {
            let saved: f64 = saved.parse().unwrap_or(f64::NAN);
            agree("--sigma", flags.sigma, saved, &prepared.out)?;
            saved
        }
        None => flags.sigma.unwrap_or(0.05),
    };
    if !(sigma > 0.0 && sigma < 1.0) {
        return Err(bad(format!("--sigma must be in (0, 1), not {sigma}")));
    }
    let steps = prepared.config.steps;
    let warm_start = flags.warm_start.unwrap_or(steps / 2);
    if warm_start >= steps {
        return Err(bad(format!(
            "--warm-start {warm_start} must be below --steps {steps}"
        )));
    }
    let training = LpnTraining::new(
        shape,
        sigma as f32,
        (warm_start, steps),
        prepared.folder.clone(),
        prepared.validation.clone(),
    )
    .map_err(|e| Failure::Reconstruction(e.into()))?;
    let name = format!(
        "LPN hidden {} layers {}, σ {sigma}",
        shape.hidden, shape.layers
    );
    run_loop(&training, &prepared.config, mode, &name)
}

/// Fails if `out` or one of its checkpoint files exists.
fn refuse_to_overwrite(out: &Path) -> Result<(), Failure> {
    use inversa_learn::training::checkpoint::adam_path;
    for path in [out.to_path_buf(), history_path(out), adam_path(out)] {
        if path.exists() {
            return Err(bad(format!(
                "{} exists; pass --resume to continue its training or --force to replace it",
                path.display()
            )));
        }
    }
    Ok(())
}

/// Puts the given settings over `config`, checking their ranges.
fn apply(s: &Settings, config: &mut TrainConfig) -> Result<(), String> {
    let positive = |name: &str, v: Option<usize>, current: usize| match v {
        Some(0) => Err(format!("{name} must be at least 1")),
        Some(v) => Ok(v),
        None => Ok(current),
    };
    config.steps = positive("steps", s.steps, config.steps)?;
    config.batch = positive("batch", s.batch, config.batch)?;
    config.crop = positive("crop", s.crop, config.crop)?;
    config.warmup = s.warmup.unwrap_or(config.warmup);
    config.seed = s.seed.unwrap_or(config.seed);
    config.validate_every = s.validate_every.unwrap_or(config.validate_every);
    config.checkpoint_every = s.checkpoint_every.unwrap_or(config.checkpoint_every);
    if let Some(lr) = s.lr {
        if !(lr.is_finite() && lr > 0.0) {
            return Err(format!("lr must be a positive number, not {lr}"));
        }
        config.learning_rate = lr;
    }
    let step_decay = match s.schedule.as_deref() {
        Some(name) => name == "step",
        None => matches!(config.decay, Decay::Step { .. }),
    };
    config.decay = if step_decay {
        let (every, factor) = match config.decay {
            Decay::Step { every, factor } => (every, factor),
            Decay::Cosine => (config.steps.div_ceil(3), 0.1),
        };
        let factor = s.decay_factor.unwrap_or(factor);
        if !(factor > 0.0 && factor <= 1.0) {
            return Err(format!("decay_factor must be in (0, 1], not {factor}"));
        }
        Decay::Step {
            every: positive("decay_every", s.decay_every, every)?,
            factor,
        }
    } else if s.decay_every.is_some() || s.decay_factor.is_some() {
        return Err("decay_every and decay_factor apply only to schedule \"step\"".into());
    } else {
        Decay::Cosine
    };
    Ok(())
}
