//! `inversa attack model`: model inversion of a classifier of private Fashion-MNIST classes
//! ([`inversa_lab::model_inversion`]: GMI or IF-GMI with a GAN trained on the public classes as
//! the prior); the bundled models by default (`--gan`, `--target`, `--evaluation` take weights
//! files instead). Writes `reconstruction.png` (one row per attacked class: the reconstructions, a
//! white tile, then real private test images of the class) and `metrics.json` (attack accuracy by
//! the evaluation classifier, target accuracy, the attack accuracy after the latent search alone,
//! seconds, settings) to `--out`.

use crate::failure::{bad, Failure};
use crate::outputs::Planned;
use clap::{Args, ValueEnum};
use inversa::Control;
use inversa_lab::model_inversion::{self, Progress, Settings};
use inversa_learn::attacks::if_gmi::{self, Stage};
use std::path::PathBuf;

/// The picture layout `inversa train gan` shares for its samples.

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Method {
    /// GMI: search the generator's latent space.
    Gmi,
    /// IF-GMI: GMI, then the generator's intermediate features inside ℓ1 balls.
    IfGmi,
}

#[derive(Args)]
pub struct ModelArgs {
    /// The attack.
    #[arg(long, value_enum, default_value = "if-gmi")]
    method: Method,
    /// The private class to rebuild (0–4 for the bundled target), or `all`.
    #[arg(long, default_value = "all")]
    class: String,
    /// Random starts per class.
    #[arg(long)]
    restarts: Option<usize>,
    /// Adam steps of the latent search (GMI, and IF-GMI's first stage).
    #[arg(long)]
    iterations: Option<usize>,
    /// Adam's learning rate.
    #[arg(long)]
    lr: Option<f64>,
    /// λ_prior, the weight of the discriminator's realism loss.
    #[arg(long)]
    prior_weight: Option<f64>,
    /// IF-GMI: Adam steps of each intermediate stage, comma-separated (one stage per value,
    /// on the features after generator blocks 0, 1, …).
    #[arg(long, value_delimiter = ',')]
    stages: Option<Vec<usize>>,
    /// IF-GMI: the ℓ1 radius of each stage (one value for all, or one per stage).
    #[arg(long, value_delimiter = ',')]
    radius: Option<Vec<f64>>,
    /// Seed of the starting latents.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// GAN weights (`inversa train gan`) [the bundled GAN of classes 5–9].
    #[arg(long)]
    gan: Option<PathBuf>,
    /// Target classifier weights [the bundled target of classes 0–4].
    #[arg(long)]
    target: Option<PathBuf>,
    /// Evaluation classifier weights [the bundled evaluation classifier of classes 0–4].
    #[arg(long)]
    evaluation: Option<PathBuf>,
    /// Folder for reconstruction.png and metrics.json (created if missing).
    #[arg(long, default_value = "attack-model")]
    out: PathBuf,
}

/// The files written into `--out`.
const FILES: [&str; 2] = ["metrics.json", "reconstruction.png"];

/// Runs the command.
pub fn run(args: ModelArgs) -> Result<(), Failure> {
    let planned = Planned::check(
        &args.out,
        &FILES,
        &[
            ("--gan", args.gan.as_deref()),
            ("--target", args.target.as_deref()),
            ("--evaluation", args.evaluation.as_deref()),
        ],
    )?;
    let settings = settings(&args)?;
    let bar = crate::progress::counter(0, "model inversion");
    let outcome = model_inversion::run(&settings, &mut |p: &Progress| {
        bar.set_length(p.total as u64);
        bar.inc(1);
        if p.step.iteration % 10 == 0 {
            bar.set_message(format!(
                "class {} stage {}: identity loss {:.3}",
                p.class, p.step.stage, p.step.identity_loss
            ));
        }
        Control::Continue
    });
    bar.finish_and_clear();
    let outcome = outcome?;
    planned.write(&outcome, true)?;
    let r = &outcome.report;
    say!(
        "{} on {} class(es): attack accuracy {:.1}% (evaluation classifier), target accuracy {:.1}%, {:.1} s; wrote reconstruction.png and metrics.json to {}/",
        r.method,
        r.classes.len(),
        100.0 * r.attack_accuracy,
        100.0 * r.target_accuracy,
        r.seconds,
        args.out.display()
    );
    Ok(())
}

/// The protocol's settings from the flags over the library defaults.
fn settings(args: &ModelArgs) -> Result<Settings, Failure> {
    let mut attack = if_gmi::Settings::default();
    let g = &mut attack.gmi;
    g.restarts = args.restarts.unwrap_or(g.restarts);
    g.iterations = args.iterations.unwrap_or(g.iterations);
    g.learning_rate = args.lr.unwrap_or(g.learning_rate);
    g.prior_weight = args.prior_weight.unwrap_or(g.prior_weight);
    attack.stages = stages(args, &attack.stages)?;
    let class = match args.class.as_str() {
        "all" => None,
        text => Some(text.parse::<usize>().map_err(|_| {
            bad(format!(
                "--class must be a private class number or `all`, not {text:?}"
            ))
        })?),
    };
    Ok(Settings {
        method: match args.method {
            Method::Gmi => model_inversion::Method::Gmi,
            Method::IfGmi => model_inversion::Method::IfGmi,
        },
        class,
        attack,
        seed: args.seed,
        gan: args.gan.clone(),
        target: args.target.clone(),
        evaluation: args.evaluation.clone(),
    })
}

/// IF-GMI's stages from `--stages` and `--radius` (each defaulting to `defaults`); the library
/// checks the counts and radii.
fn stages(args: &ModelArgs, defaults: &[Stage]) -> Result<Vec<Stage>, Failure> {
    if args.method == Method::Gmi && (args.stages.is_some() || args.radius.is_some()) {
        return Err(bad("--stages and --radius apply to --method if-gmi"));
    }
    let iterations = args
        .stages
        .clone()
        .unwrap_or_else(|| defaults.iter().map(|s| s.iterations).collect());
    let count = iterations.len();
    let radii = match &args.radius {
        Some(r) if r.len() == 1 => vec![r[0]; count],
        Some(r) if r.len() == count => r.clone(),
        Some(r) => {
            return Err(bad(format!(
                "--radius takes one value or one per stage ({count}), not {}",
                r.len()
            )))
        }
        None if args.stages.is_none() => defaults.iter().map(|s| s.radius).collect(),
        None => vec![defaults[0].radius; count],
    };
    Ok(iterations
        .into_iter()
        .zip(radii)
        .map(|(iterations, radius)| Stage { iterations, radius })
        .collect())
}
