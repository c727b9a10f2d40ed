//! Asynchronous federated learning in which the clients of some classes are also slow (Wang and
//! Gao, "Tackling Intertwined Data and Device Heterogeneities in Federated Learning via Stale
//! Update Conversion", arXiv:2309.13536, §6; `inversa fl`): their stale updates are aggregated as
//! they are (`direct`), weighted down by staleness (`weighted`, FedAsync's `(1 + τ)^{−a}`: Xie,
//! Koyejo, Gupta, arXiv:1903.03934), or converted to the current model by gradient inversion
//! (`conversion`); `fedavg` (McMahan et al., AISTATS 2017) is the reference without staleness.
//! The simulation is [`inversa_learn::federated::asynchronous`]; this is the comparison: test
//! accuracy per round of each rule on the same seed, and the inversion's matching loss.
//!
//! ```no_run
//! use inversa_lab::stale_updates::{run, Data, Settings};
//!
//! let settings = Settings { data: Data::Bundled, rounds: 10, ..Settings::default() };
//! let outcome = run(&settings, &mut |_round| inversa::Control::Continue)?;
//! for run in &outcome.report.runs {
//!     println!("{}: {:?}", run.aggregation, run.final_accuracy);
//! }
//! # Ok::<(), inversa_lab::Error>(())
//! ```

use crate::error::check_memory;
use crate::outcome::{Artifact, Outcome};
use crate::{Error, Result};
use inversa::report::plot::{render_panels, Panel, Series};
use inversa::Control;
use inversa_learn::attacks::fedavg::LocalTraining;
use inversa_learn::data::fashion_mnist::{LabelledImages, Split, DEFAULT_DIR};
use inversa_learn::federated::asynchronous::{Aggregation, Dataset, Setup, Simulation};
use inversa_learn::federated::stale_conversion;
use inversa_learn::models::bundled;
use serde::Serialize;
use std::path::PathBuf;
use std::time::Instant;

/// How the server aggregates the slow clients' updates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Rule {
    /// No staleness: the slow clients' updates arrive in their own round (reference).
    Fedavg,
    /// Stale updates added as they are.
    Direct,
    /// Stale updates scaled by `(1 + τ)^{−a}` (FedAsync).
    Weighted,
    /// Stale updates converted to the current model by gradient inversion.
    Conversion,
}

impl Rule {
    /// The four rules, in the order the figure shows them.
    pub const ALL: [Rule; 4] = [Rule::Fedavg, Rule::Direct, Rule::Weighted, Rule::Conversion];

    /// The name in `metrics.json` and in the CLI's `--aggregation`.
    pub fn name(self) -> &'static str {
        match self {
            Rule::Fedavg => "fedavg",
            Rule::Direct => "direct",
            Rule::Weighted => "weighted",
            Rule::Conversion => "conversion",
        }
    }
}

/// Where the training and test images come from.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(from = "String")]
pub enum Data {
    /// The Fashion-MNIST folder (Debian package dataset-fashion-mnist).
    Folder(PathBuf),
    /// The 100 test images compiled into inversa, the first 4 of each class for training, the
    /// rest for testing (for a quick check only).
    Bundled,
}

/// `bundled`, else the Fashion-MNIST folder at that path (as the CLI's `--data` reads it).
impl From<String> for Data {
    fn from(text: String) -> Self {
        if text == "bundled" {
            Data::Bundled
        } else {
            Data::Folder(text.into())
        }
    }
}

impl std::fmt::Display for Data {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match self {
            Data::Folder(dir) => write!(f, "{}", dir.display()),
            Data::Bundled => write!(f, "bundled"),
        }
    }
}

/// The experiment's settings; the defaults are the CLI's.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// The rules run, each on the same seed.
    pub rules: Vec<Rule>,
    /// `τ`: rounds between a slow client receiving the model and its update arriving.
    pub staleness: usize,
    pub rounds: usize,
    /// Clients (at least 10): client `k` holds class `k mod 10`.
    pub clients: usize,
    /// The last this-many classes are held by slow clients only.
    pub slow_classes: usize,
    /// Training images per client.
    pub samples: usize,
    /// Hidden units of the MLP.
    pub hidden: usize,
    /// Full-batch SGD steps of each client's local training.
    pub local_steps: usize,
    pub local_lr: f64,
    /// `a` in the staleness weight `(1 + τ)^{−a}` of `weighted`.
    pub exponent: f64,
    /// Dummy samples in each slow client's data estimate (`conversion`).
    pub dummies: usize,
    /// Inversion steps per conversion, warm-started from the previous round's estimate.
    pub inversion_steps: usize,
    pub inversion_lr: f64,
    pub data: Data,
    /// Seed of the model, the clients' samples and the inversion's starting points.
    pub seed: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            rules: Rule::ALL.to_vec(),
            staleness: 20,
            rounds: 100,
            clients: 10,
            slow_classes: 2,
            samples: 64,
            hidden: 64,
            local_steps: 5,
            local_lr: 0.1,
            exponent: 0.5,
            dummies: 8,
            inversion_steps: 40,
            inversion_lr: 0.05,
            data: Data::Folder(DEFAULT_DIR.into()),
            seed: 0,
        }
    }
}

/// `metrics.json`.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub runs: Vec<Run>,
    pub settings: Recorded,
}

/// The settings as `metrics.json` records them; the keys in alphabetical order, as the CLI has
/// always written them.
#[derive(Clone, Debug, Serialize)]
pub struct Recorded {
    pub clients: usize,
    pub data: String,
    pub dummies: usize,
    pub exponent: f64,
    pub hidden: usize,
    pub inversion_lr: f64,
    pub inversion_steps: usize,
    pub local_lr: f64,
    pub local_steps: usize,
    pub model: &'static str,
    pub rounds: usize,
    pub samples: usize,
    pub seed: u64,
    pub slow_classes: usize,
    pub staleness: usize,
}

/// One rule's training run.
#[derive(Clone, Debug, Serialize)]
pub struct Run {
    /// Test accuracy after every round.
    pub accuracy: Vec<f64>,
    pub aggregation: &'static str,
    pub final_accuracy: Option<f64>,
    /// The inversion's matching loss per round (`conversion` only; `None` before the first
    /// stale update arrives).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matching_loss: Option<Vec<Option<f64>>>,
    pub seconds: f64,
}

/// One finished round, for a progress display.
pub struct Round {
    pub rule: Rule,
    /// From 1.
    pub round: usize,
    pub accuracy: f64,
}

/// Runs every rule of `settings.rules`; `progress` after every round, which may stop the
/// simulation there (the rounds so far are reported). The outcome holds `accuracy.png`.
pub fn run(
    settings: &Settings,
    progress: &mut dyn FnMut(&Round) -> Control,
) -> Result<Outcome<Report>> {
    let setup = check(settings)?;
    let (train, test) = read(&settings.data)?;
    let mut runs = Vec::new();
    let stopped = std::cell::Cell::new(false);
    let mut observe = |round: &Round| {
        let control = progress(round);
        stopped.set(control == Control::Stop);
        control
    };
    for &rule in &settings.rules {
        runs.push(simulate(
            settings,
            setup,
            rule,
            &train,
            &test,
            &mut observe,
        )?);
        if stopped.get() {
            break;
        }
    }
    let figure = render_panels(&[plot(settings.staleness, &runs)], 640, 440);
    let report = Report {
        runs,
        settings: recorded(settings),
    };
    Ok(Outcome::new(report).with("accuracy.png", Artifact::Picture(figure)))
}

/// The federation from the settings, or an error naming the bad one.
fn check(settings: &Settings) -> Result<Setup> {
    let positive = [
        ("rounds", settings.rounds),
        ("samples", settings.samples),
        ("hidden", settings.hidden),
        ("local_steps", settings.local_steps),
        ("dummies", settings.dummies),
        ("inversion_steps", settings.inversion_steps),
    ];
    if let Some((key, _)) = positive.iter().find(|(_, v)| *v == 0) {
        return Err(Error::setting(*key, "must be at least 1"));
    }
    // Every client's samples of 28×28 f32 pixels, and the batch copy of a round.
    check_memory(
        "samples",
        &[settings.clients, settings.samples, 28 * 28],
        4,
        2,
    )?;
    if settings.clients < 10 {
        let message = format!(
            "must be at least 10 (one class each), not {}",
            settings.clients
        );
        return Err(Error::setting("clients", message));
    }
    if settings.slow_classes == 0 || settings.slow_classes >= 10 {
        let message = format!("must be between 1 and 9, not {}", settings.slow_classes);
        return Err(Error::setting("slow_classes", message));
    }
    let rates = [
        ("local_lr", settings.local_lr),
        ("inversion_lr", settings.inversion_lr),
    ];
    for (key, value) in rates {
        if !(value.is_finite() && value > 0.0) {
            return Err(Error::setting(
                key,
                format!("must be a positive number, not {value}"),
            ));
        }
    }
    if !(settings.exponent.is_finite() && settings.exponent >= 0.0) {
        let message = format!("must be at least 0, not {}", settings.exponent);
        return Err(Error::setting("exponent", message));
    }
    Ok(Setup {
        clients: settings.clients,
        slow_classes: settings.slow_classes,
        staleness: settings.staleness,
        samples: settings.samples,
        hidden: settings.hidden,
        local: LocalTraining {
            steps: settings.local_steps,
            learning_rate: settings.local_lr,
        },
        seed: settings.seed,
    })
}

/// Training and test sets: Fashion-MNIST from the folder, or the bundled images split per class.
fn read(data: &Data) -> Result<(Dataset, Dataset)> {
    let prepared = |e: candle_core::Error| Error::setting("data", format!("{data}: {e}"));
    let dir = match data {
        Data::Bundled => {
            let images = bundled::test_images()?;
            return Dataset::split_per_class(&images, 4).map_err(prepared);
        }
        Data::Folder(dir) => dir,
    };
    let read = |split| LabelledImages::read_fashion_mnist(dir, split);
    let (train, test) = (read(Split::Train)?, read(Split::Test)?);
    Ok((
        Dataset::all(&train).map_err(prepared)?,
        Dataset::all(&test).map_err(prepared)?,
    ))
}

/// The library's aggregation for `rule`.
fn aggregation(settings: &Settings, rule: Rule) -> Aggregation {
    match rule {
        Rule::Fedavg => Aggregation::FedAvg,
        Rule::Direct => Aggregation::Direct,
        Rule::Weighted => Aggregation::Weighted {
            exponent: settings.exponent,
        },
        Rule::Conversion => Aggregation::Conversion(stale_conversion::Settings {
            samples: settings.dummies,
            iterations: settings.inversion_steps,
            learning_rate: settings.inversion_lr,
        }),
    }
}

/// One training run: test accuracy after every round, matching losses, seconds.
fn simulate(
    settings: &Settings,
    setup: Setup,
    rule: Rule,
    train: &Dataset,
    test: &Dataset,
    progress: &mut dyn FnMut(&Round) -> Control,
) -> Result<Run> {
    let started = Instant::now();
    let data = &settings.data;
    let mut simulation = Simulation::new(setup, aggregation(settings, rule), train)
        .map_err(|e| Error::setting("data", format!("{data}: {e}")))?;
    let (mut accuracy, mut matching) = (Vec::new(), Vec::new());
    for round in 1..=settings.rounds {
        let report = simulation.round()?;
        let correct = simulation.model().accuracy(&test.inputs, &test.labels)?;
        accuracy.push(correct);
        matching.push(report.matching_loss);
        if progress(&Round {
            rule,
            round,
            accuracy: correct,
        }) == Control::Stop
        {
            break;
        }
    }
    Ok(Run {
        final_accuracy: accuracy.last().copied(),
        accuracy,
        aggregation: rule.name(),
        matching_loss: (rule == Rule::Conversion).then_some(matching),
        seconds: started.elapsed().as_secs_f64(),
    })
}

fn recorded(s: &Settings) -> Recorded {
    Recorded {
        clients: s.clients,
        data: s.data.to_string(),
        dummies: s.dummies,
        exponent: s.exponent,
        hidden: s.hidden,
        inversion_lr: s.inversion_lr,
        inversion_steps: s.inversion_steps,
        local_lr: s.local_lr,
        local_steps: s.local_steps,
        model: "MLP 196-hidden-10 on 14x14 (2x2-averaged) images",
        rounds: s.rounds,
        samples: s.samples,
        seed: s.seed,
        slow_classes: s.slow_classes,
        staleness: s.staleness,
    }
}

/// Test accuracy (%) against the round, one series per run.
fn plot(staleness: usize, runs: &[Run]) -> Panel {
    let series = runs
        .iter()
        .map(|run| Series {
            label: run.aggregation.to_string(),
            values: (1..)
                .zip(&run.accuracy)
                .map(|(round, &a)| (f64::from(round), 100.0 * a))
                .collect(),
        })
        .collect();
    Panel {
        title: format!("staleness {staleness} rounds"),
        x_label: "round".into(),
        y_label: "test accuracy (%)".into(),
        log_y: false,
        series,
    }
}
