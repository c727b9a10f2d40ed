//! `inversa fl`: asynchronous federated learning on Fashion-MNIST in which the clients of some
//! classes are also slow (Wang and Gao, arXiv:2309.13536), with their stale updates aggregated
//! as they are (`direct`), weighted down by staleness (`weighted`, FedAsync's `(1 + τ)^{−a}`), or
//! converted by gradient inversion (`conversion`); `fedavg` is the reference without staleness
//! and `all` runs the four on the same seed. Writes `metrics.json` (test accuracy per round,
//! final accuracy, seconds, settings, and the inversion's matching loss per round) and
//! `accuracy.png` to `--out`.

use crate::failure::{bad, failed, Failure};
use anyhow::Context;
use clap::{Args, ValueEnum};
use indicatif::ProgressBar;
use inversa::report::plot::{render_panels, write_png, Panel, Series};
use inversa_learn::attacks::fedavg::LocalTraining;
use inversa_learn::data::fashion_mnist::{LabelledImages, Split, DEFAULT_DIR};
use inversa_learn::federated::asynchronous::{Aggregation, Dataset, Setup, Simulation};
use inversa_learn::federated::stale_conversion::Settings;
use inversa_learn::models::bundled;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Rule {
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
    aggregation: Rule,
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
    let setup = check(&args)?;
    let (train, test) = read(&args.data)?;
    let rules = match args.aggregation {
        Rule::All => vec![Rule::Fedavg, Rule::Direct, Rule::Weighted, Rule::Conversion],
        one => vec![one],
    };
    let bar = crate::progress::counter((rules.len() * args.rounds) as u64, "");
    let mut runs = Vec::new();
    for &rule in &rules {
        bar.set_prefix(name(rule));
        runs.push(simulate(&args, setup, rule, &train, &test, &bar)?);
    }
    bar.finish_and_clear();
    write_outputs(&args, &runs)
}

/// The setup from the flags, or an error naming the bad flag.
fn check(args: &FlArgs) -> Result<Setup, Failure> {
    let positive = [
        ("--rounds", args.rounds),
        ("--samples", args.samples),
        ("--hidden", args.hidden),
        ("--local-steps", args.local_steps),
        ("--dummies", args.dummies),
        ("--inversion-steps", args.inversion_steps),
    ];
    if let Some((flag, _)) = positive.iter().find(|(_, v)| *v == 0) {
        return Err(bad(format!("{flag} must be at least 1")));
    }
    if args.clients < 10 {
        return Err(bad(format!(
            "--clients must be at least 10 (one class each), not {}",
            args.clients
        )));
    }
    if args.slow_classes == 0 || args.slow_classes >= 10 {
        return Err(bad(format!(
            "--slow-classes must be between 1 and 9, not {}",
            args.slow_classes
        )));
    }
    for (flag, value) in [
        ("--local-lr", args.local_lr),
        ("--inversion-lr", args.inversion_lr),
    ] {
        if !(value.is_finite() && value > 0.0) {
            return Err(bad(format!(
                "{flag} must be a positive number, not {value}"
            )));
        }
    }
    if !(args.exponent.is_finite() && args.exponent >= 0.0) {
        return Err(bad(format!(
            "--exponent must be at least 0, not {}",
            args.exponent
        )));
    }
    Ok(Setup {
        clients: args.clients,
        slow_classes: args.slow_classes,
        staleness: args.staleness,
        samples: args.samples,
        hidden: args.hidden,
        local: LocalTraining {
            steps: args.local_steps,
            learning_rate: args.local_lr,
        },
        seed: args.seed,
    })
}

/// Training and test sets: Fashion-MNIST from `data`, or the bundled images split per class.
fn read(data: &str) -> Result<(Dataset, Dataset), Failure> {
    let prepared = |e: candle_core::Error| bad(format!("--data {data}: {e}"));
    if data == "bundled" {
        let images = bundled::test_images()?;
        return Dataset::split_per_class(&images, 4).map_err(prepared);
    }
    let dir = Path::new(data);
    let read = |split| LabelledImages::read_fashion_mnist(dir, split);
    let (train, test) = (read(Split::Train)?, read(Split::Test)?);
    Ok((
        Dataset::all(&train).map_err(prepared)?,
        Dataset::all(&test).map_err(prepared)?,
    ))
}

fn name(rule: Rule) -> &'static str {
    match rule {
        Rule::Fedavg => "fedavg",
        Rule::Direct => "direct",
        Rule::Weighted => "weighted",
        Rule::Conversion => "conversion",
        Rule::All => "all",
    }
}

/// The library's rule for one run (`run` expands `all` into the four before this).
fn aggregation(args: &FlArgs, rule: Rule) -> Aggregation {
    match rule {
        Rule::Fedavg | Rule::All => Aggregation::FedAvg,
        Rule::Direct => Aggregation::Direct,
        Rule::Weighted => Aggregation::Weighted {
            exponent: args.exponent,
        },
        Rule::Conversion => Aggregation::Conversion(Settings {
            samples: args.dummies,
            iterations: args.inversion_steps,
            learning_rate: args.inversion_lr,
        }),
    }
}

/// One training run: test accuracy after every round, matching losses, seconds.
fn simulate(
    args: &FlArgs,
    setup: Setup,
    rule: Rule,
    train: &Dataset,
    test: &Dataset,
    bar: &ProgressBar,
) -> Result<Value, Failure> {
    let started = Instant::now();
    let mut simulation = Simulation::new(setup, aggregation(args, rule), train)
        .map_err(|e| bad(format!("--data {}: {e}", args.data)))?;
    let (mut accuracy, mut matching) = (Vec::new(), Vec::new());
    for _ in 0..args.rounds {
        let report = simulation.round().map_err(failed)?;
        let correct = simulation.model().accuracy(&test.inputs, &test.labels);
        accuracy.push(correct.map_err(failed)?);
        matching.push(report.matching_loss);
        bar.set_message(format!(
            "accuracy {:.1}%",
            100.0 * accuracy[accuracy.len() - 1]
        ));
        bar.inc(1);
    }
    let mut run = json!({
        "aggregation": name(rule),
        "accuracy": accuracy,
        "final_accuracy": accuracy.last(),
        "seconds": started.elapsed().as_secs_f64(),
    });
    if rule == Rule::Conversion {
        run["matching_loss"] = json!(matching);
    }
    Ok(run)
}

fn write_outputs(args: &FlArgs, runs: &[Value]) -> Result<(), Failure> {
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create the output folder {}", args.out.display()))
        .map_err(Failure::BadInput)?;
    let metrics = json!({
        "settings": {
            "staleness": args.staleness, "rounds": args.rounds, "clients": args.clients,
            "slow_classes": args.slow_classes, "samples": args.samples, "hidden": args.hidden,
            "local_steps": args.local_steps, "local_lr": args.local_lr, "exponent": args.exponent,
            "dummies": args.dummies, "inversion_steps": args.inversion_steps,
            "inversion_lr": args.inversion_lr, "data": args.data, "seed": args.seed,
            "model": "MLP 196-hidden-10 on 14x14 (2x2-averaged) images",
        },
        "runs": runs,
    });
    let text = serde_json::to_string_pretty(&metrics).map_err(bad)? + "\n";
    inversa::io::write_atomically(&args.out.join("metrics.json"), text.as_bytes())?;
    write_png(
        &args.out.join("accuracy.png"),
        &render_panels(&[plot(args, runs)], 640, 440),
    )?;
    for run in runs {
        say!(
            "{:>10}: final test accuracy {:.2}% in {:.1} s",
            run["aggregation"].as_str().unwrap_or("?"),
            100.0 * run["final_accuracy"].as_f64().unwrap_or(f64::NAN),
            run["seconds"].as_f64().unwrap_or(f64::NAN)
        );
    }
    say!(
        "wrote metrics.json and accuracy.png to {}/",
        args.out.display()
    );
    Ok(())
}

/// Test accuracy (%) against the round, one series per run.
fn plot(args: &FlArgs, runs: &[Value]) -> Panel {
    let series = runs
        .iter()
        .map(|run| {
            let accuracy: Vec<f64> = run["accuracy"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|v| 100.0 * v.as_f64().unwrap_or(f64::NAN))
                        .collect()
                })
                .unwrap_or_default();
            let label = run["aggregation"].as_str().unwrap_or("?").to_string();
            Series {
                label,
                values: accuracy
                    .iter()
                    .enumerate()
                    .map(|(i, &y)| ((i + 1) as f64, y))
                    .collect(),
            }
        })
        .collect();
    Panel {
        title: format!("staleness {} rounds", args.staleness),
        x_label: "round".into(),
        y_label: "test accuracy (%)".into(),
        log_y: false,
        series,
    }
}
