//! `inversa fl`: asynchronous federated learning on Fashion-MNIST in which the clients of some
//! classes are also slow ([`inversa_lab::stale_updates`]), with their stale updates aggregated
//! as they are (`direct`), weighted down by staleness (`weighted`), or converted by gradient
//! inversion (`conversion`); `fedavg` is the reference without staleness and `all` runs the four
//! on the same seed. Writes `metrics.json` (test accuracy per round, final accuracy, seconds,
//! settings, and the inversion's matching loss per round) and `accuracy.png` to `--out`.

use crate::failure::Failure;
use crate::outputs::Planned;
use clap::{Args, ValueEnum};
use inversa::Control;
use inversa_lab::stale_updates::{self, Data, Round, Rule, Settings};
use inversa_learn::data::fashion_mnist::DEFAULT_DIR;
use std::path::PathBuf;

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Aggregation {
    /// No staleness: the slow clients' updates arrive in their own round (reference).
    Fedavg,
    /// Stale updates added as they are.
    Direct,
    /// Stale updates scaled by (1 + τ)^−a (FedAsync).
    Weighted,
    /// Stale updates converted to the current model by gradient inversion.
    Conversion,
    /// fedavg, direct, weighted and conversion on the same seed, plotted together.
    All,
}

/// `inversa fl …`.
#[derive(Args)]
pub struct FlArgs {
    /// How the server aggregates the slow clients' updates.
    #[arg(long, value_enum, default_value = "all")]
    aggregation: Aggregation,
    /// τ: rounds between a slow client receiving the model and its update arriving.
    #[arg(long, default_value_t = 20)]
    staleness: usize,
    /// Rounds of federated training.
    #[arg(long, default_value_t = 100)]
    rounds: usize,
    /// Clients (at least 10): client k holds class k mod 10.
    #[arg(long, default_value_t = 10)]
    clients: usize,
    /// The last this-many classes are held by slow clients only.
    #[arg(long, default_value_t = 2)]
    slow_classes: usize,
    /// Training images per client.
    #[arg(long, default_value_t = 64)]
    samples: usize,
    /// Hidden units of the MLP.
    #[arg(long, default_value_t = 64)]
    hidden: usize,
    /// Full-batch SGD steps of each client's local training.
    #[arg(long, default_value_t = 5)]
    local_steps: usize,
    /// The clients' local learning rate.
    #[arg(long, default_value_t = 0.1)]
    local_lr: f64,
    /// a in the staleness weight (1 + τ)^−a of `weighted`.
    #[arg(long, default_value_t = 0.5)]
    exponent: f64,
    /// Dummy samples in each slow client's data estimate (`conversion`).
    #[arg(long, default_value_t = 8)]
    dummies: usize,
    /// Inversion steps per conversion, warm-started from the previous round's estimate.
    #[arg(long, default_value_t = 40)]
    inversion_steps: usize,
    /// Adam's learning rate in the inversion.
    #[arg(long, default_value_t = 0.05)]
    inversion_lr: f64,
    /// The Fashion-MNIST folder (Debian package dataset-fashion-mnist), or `bundled`: the 100
    /// test images compiled into inversa, the first 4 of each class for training, the rest for
    /// testing (for a quick check only).
    #[arg(long, default_value = DEFAULT_DIR)]
    data: String,
    /// Seed of the model, the clients' samples and the inversion's starting points.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Folder for metrics.json and accuracy.png (created if missing).
    #[arg(long, default_value = "fl")]
    out: PathBuf,
}

/// Runs the command.
pub fn run(args: FlArgs) -> Result<(), Failure> {
    let data = (args.data != "bundled").then(|| std::path::Path::new(&args.data));
    let planned = Planned::check(
        &args.out,
        &["metrics.json", "accuracy.png"],
        &[("--data", data)],
    )?;
    let settings = settings(&args);
    let rounds = settings.rules.len() * settings.rounds;
    let bar = crate::progress::counter(rounds as u64, "");
    let outcome = stale_updates::run(&settings, &mut |round: &Round| {
        bar.set_prefix(round.rule.name());
        bar.set_message(format!("accuracy {:.1}%", 100.0 * round.accuracy));
        bar.inc(1);
        Control::Continue
    });
    bar.finish_and_clear();
    let outcome = outcome?;
    planned.write(&outcome, true)?;
    for run in &outcome.report.runs {
        say!(
            "{:>10}: final test accuracy {:.2}% in {:.1} s",
            run.aggregation,
            100.0 * run.final_accuracy.unwrap_or(f64::NAN),
            run.seconds
        );
    }
    say!(
        "wrote metrics.json and accuracy.png to {}/",
        args.out.display()
    );
    Ok(())
}

/// The experiment's settings from the flags.
fn settings(args: &FlArgs) -> Settings {
    let rules = match args.aggregation {
        Aggregation::Fedavg => vec![Rule::Fedavg],
        Aggregation::Direct => vec![Rule::Direct],
        Aggregation::Weighted => vec![Rule::Weighted],
        Aggregation::Conversion => vec![Rule::Conversion],
        Aggregation::All => Rule::ALL.to_vec(),
    };
    let data = Data::from(args.data.clone());
    Settings {
        rules,
        staleness: args.staleness,
        rounds: args.rounds,
        clients: args.clients,
        slow_classes: args.slow_classes,
        samples: args.samples,
        hidden: args.hidden,
        local_steps: args.local_steps,
        local_lr: args.local_lr,
        exponent: args.exponent,
        dummies: args.dummies,
        inversion_steps: args.inversion_steps,
        inversion_lr: args.inversion_lr,
        data,
        seed: args.seed,
    }
}
