//! `inversa experiment itransformer`: the sequence-model paper of issue 24, its flags and its run
//! (a file of its own to keep [`crate::commands::experiment`] short).

use super::experiment_output::{base, generated, CommonFlags};
use crate::failure::Failure;
use inversa_lab::itransformer;

#[derive(clap::Args)]
pub struct ItransformerArgs {
    #[command(flatten)]
    common: CommonFlags,
    /// Training epochs of both Transformers (the best validation epoch is kept).
    #[arg(long)]
    epochs: Option<usize>,
    /// Lorenz-96 variates N.
    #[arg(long)]
    variates: Option<usize>,
    /// Observed Lorenz-96 steps.
    #[arg(long)]
    steps: Option<usize>,
    /// Token width d of both Transformers.
    #[arg(long)]
    width: Option<usize>,
    /// Encoder layers of both Transformers.
    #[arg(long)]
    layers: Option<usize>,
    /// Adam's learning rate.
    #[arg(long)]
    learning_rate: Option<f64>,
    /// Standard deviation of the Lorenz-96 observation noise.
    #[arg(long)]
    noise: Option<f64>,
}

/// Runs `itransformer` with `say` for progress lines.
pub fn itransformer(args: ItransformerArgs, say: &mut dyn FnMut(&str)) -> Result<(), Failure> {
    let ItransformerArgs {
        common: CommonFlags { seed, out, quick },
        epochs,
        variates,
        steps,
        width,
        layers,
        learning_rate,
        noise,
    } = args;
    let base = base(quick, itransformer::Settings::quick);
    let settings = itransformer::Settings {
        seed,
        epochs: epochs.unwrap_or(base.epochs),
        variates: variates.unwrap_or(base.variates),
        steps: steps.unwrap_or(base.steps),
        width: width.unwrap_or(base.width),
        layers: layers.unwrap_or(base.layers),
        learning_rate: learning_rate.unwrap_or(base.learning_rate),
        noise: noise.unwrap_or(base.noise),
        ..base
    };
    let names = ["metrics.json", itransformer::FIGURE, "report.html"];
    generated(&out, &names, || itransformer::run(&settings, say))
}
