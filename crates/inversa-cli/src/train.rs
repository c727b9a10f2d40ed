//! `inversa train`: trains the grey DnCNN denoiser from a folder of PNG images, from flags
//! (`inversa train denoiser --images DIR --out W.safetensors …`) or from a TOML file whose `[train]`
//! table has the same keys (`inversa train config.toml`).

use crate::progress::TrainBar;
use crate::Failure;
use anyhow::anyhow;
use clap::{Args, Subcommand};
use inversa::config::Section;
use inversa_learn::checkpoint::{history_path, plot_path, read_history};
use inversa_learn::denoiser_training::{compare, DenoiserTraining, VALIDATION_LEVELS};
use inversa_learn::dncnn::{DnCnn, DnCnnConfig};
use inversa_learn::image_folder::ImageFolder;
use inversa_learn::lr_schedule::Decay;
use inversa_learn::training::{train, TrainConfig, TrainError};
use std::path::{Path, PathBuf};

/// `inversa train …`.
#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct TrainArgs {
    #[command(subcommand)]
    what: Option<What>,
    /// A TOML file with a [train] table; its keys are the flags of `train denoiser` (with `_` for
    /// `-`, and `model = "denoiser"`).
    config: Option<PathBuf>,
    #[command(flatten)]
    mode: Mode,
}

#[derive(Subcommand)]
enum What {
    /// Train the grey DnCNN denoiser (noise σ ~ U[0, 50/255], MSE loss, Adam).
    Denoiser {
        #[command(flatten)]
        flags: Settings,
        #[command(flatten)]
        mode: Mode,
    },
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
    /// Folder of training images (.png, grey or RGB; RGB is converted to luminance).
    #[arg(long)]
    images: Option<PathBuf>,
    /// The weights file to write (safetensors); the history, optimizer state and plot go next to it.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Folder of held-out images, denoised whole at σ = 15, 25, 50 to validate.
    #[arg(long)]
    validation: Option<PathBuf>,
    /// Training steps [2000].
    #[arg(long)]
    steps: Option<usize>,
    /// Crops per step [16].
    #[arg(long)]
    batch: Option<usize>,
    /// Crop side in pixels [48].
    #[arg(long)]
    crop: Option<usize>,
    /// Peak learning rate [1e-3].
    #[arg(long)]
    lr: Option<f64>,
    /// Linear warm-up steps [100].
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
    /// Validate every this many steps [250].
    #[arg(long)]
    validate_every: Option<usize>,
    /// Write a checkpoint every this many steps [250].
    #[arg(long)]
    checkpoint_every: Option<usize>,
    /// Convolution layers [10].
    #[arg(long)]
    depth: Option<usize>,
    /// Channels of the hidden layers [32].
    #[arg(long)]
    features: Option<usize>,
}

pub fn run(args: TrainArgs) -> Result<(), Failure> {
    match (args.what, args.config) {
        (Some(What::Denoiser { flags, mode }), _) => train_denoiser(flags, mode),
        (None, Some(path)) => {
            let settings = from_toml(&path).map_err(|e| {
                Failure::BadInput(anyhow!(e).context(format!("in training file {}", path.display())))
            })?;
            train_denoiser(settings, args.mode)
        }
        (None, None) => Err(bad(
            "say what to train: `inversa train denoiser --images DIR --out W.safetensors` or `inversa train config.toml`",
        )),
    }
}

fn bad(message: impl Into<String>) -> Failure {
    Failure::BadInput(anyhow!(message.into()))
}

/// The `[train]` table of a TOML file; unknown tables and keys are errors naming them.
fn from_toml(path: &Path) -> inversa::Result<Settings> {
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
    train.choice_or("model", "denoiser", &["denoiser"])?;
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
        depth: train.usize_opt("depth")?,
        features: train.usize_opt("features")?,
    };
    train.finish()?;
    Ok(settings)
}

fn train_denoiser(settings: Settings, mode: Mode) -> Result<(), Failure> {
    let images = settings
        .images
        .clone()
        .ok_or_else(|| bad("--images is required: the folder of training images"))?;
    let out = settings
        .out
        .clone()
        .ok_or_else(|| bad("--out is required: the weights file to write"))?;
    let (mut config, mut net) = (TrainConfig::default(), DnCnnConfig::default());
    if mode.resume {
        // Unset settings are the checkpoint's; set ones must agree with it (checked when loading).
        config = read_history(&out)
            .map_err(|e| {
                Failure::BadInput(anyhow!(e).context("--resume needs an earlier run's checkpoint"))
            })?
            .config;
        net = DnCnn::load(&out)?.config();
        for (flag, given, saved) in [
            ("--depth", settings.depth, net.depth),
            ("--features", settings.features, net.features),
        ] {
            if given.is_some_and(|g| g != saved) {
                return Err(bad(format!(
                    "{flag} {} differs from the checkpoint's {saved} ({})",
                    given.unwrap_or(saved),
                    out.display()
                )));
            }
        }
    } else if !mode.force {
        refuse_to_overwrite(&out)?;
    }
    config.out = out.clone();
    apply(&settings, &mut config, &mut net).map_err(bad)?;

    let folder = ImageFolder::read(&images, config.crop)?;
    let validation = match &settings.validation {
        Some(dir) => ImageFolder::read(dir, 1)?.images().to_vec(),
        None => Vec::new(),
    };
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|e| Failure::BadInput(anyhow!(inversa::Error::io(parent, e))))?;
    }
    let training = DenoiserTraining::new(net, folder, validation.clone())
        .map_err(|e| Failure::Reconstruction(e.into()))?;
    let bar = TrainBar::new(config.steps);
    let result = train(&training, &config, mode.resume, &mut |p| {
        bar.update(p);
        std::ops::ControlFlow::Continue(())
    });
    bar.finish();
    let history = result.map_err(|e| match e {
        TrainError::Input(e) => Failure::BadInput(e.into()),
        other => Failure::Reconstruction(other.into()),
    })?;
    say!(
        "DnCNN depth {} features {}, {} steps ({:.0} s of training): {}, {} and {}",
        net.depth,
        net.features,
        history.step,
        history.seconds,
        out.display(),
        history_path(&out).display(),
        plot_path(&out).display()
    );
    if validation.is_empty() {
        say!("no --validation folder, so no validation table");
        return Ok(());
    }
    say!(
        "held-out images ({}), mean PSNR (dB):\n  σ·255   noisy   DnCNN   TV (best weight)",
        validation.len()
    );
    for level in VALIDATION_LEVELS {
        let row = compare(training.net(), &validation, level)?;
        say!(
            "  {:>5}  {:>6.2}  {:>6.2}  {:>6.2} ({:.3})",
            level,
            row.noisy,
            row.denoiser,
            row.tv,
            row.tv_weight
        );
    }
    Ok(())
}

/// Fails if `out` or one of its checkpoint files exists.
fn refuse_to_overwrite(out: &Path) -> Result<(), Failure> {
    use inversa_learn::checkpoint::adam_path;
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

/// Puts the given settings over `config` and `net`, checking their ranges.
fn apply(s: &Settings, config: &mut TrainConfig, net: &mut DnCnnConfig) -> Result<(), String> {
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
    net.depth = s.depth.unwrap_or(net.depth);
    net.features = s.features.unwrap_or(net.features);
    net.check()?;
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
