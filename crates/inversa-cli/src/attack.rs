//! `inversa attack gradient`: a privacy audit of one federated client update. The client computes
//! the cross-entropy gradient of a model on its image (with dropout when `--dropout` is set); the
//! attack sees only the model and that gradient and rebuilds the image (DLG, iDLG, Inverting
//! Gradients, or the Dropout Inversion Attack). Writes `reconstruction.png` (original beside
//! reconstruction) and `metrics.json` to `--out`.

use crate::Failure;
use anyhow::anyhow;
use candle_core::{Device, Tensor};
use clap::{Args, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use inversa::io::png_image::{read_png, write_png_u8};
use inversa::metrics::{psnr, ssim};
use inversa_learn::attacks::dlg::{self, Reconstruction};
use inversa_learn::attacks::inverting_gradients::{self, Settings};
use inversa_learn::attacks::lenet::{dropout_mask, Activation, LeNet};
use inversa_learn::attacks::{dropout_inversion, idlg};
use inversa_learn::lbfgs::Lbfgs;
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
enum Nonlinearity {
    Sigmoid,
    Relu,
}

#[derive(Args)]
struct GradientArgs {
    /// The attack.
    #[arg(long, value_enum, default_value = "ig")]
    method: Method,
    /// The client's model: lenet (DLG's LeNet, randomly initialised from --seed).
    #[arg(long, default_value = "lenet")]
    model: String,
    /// The LeNet's activation.
    #[arg(long, value_enum, default_value = "sigmoid")]
    activation: Nonlinearity,
    /// The client's dropout rate on the features entering the last layer (0: none).
    #[arg(long, default_value_t = 0.0)]
    dropout: f64,
    /// The client's grey PNG image (colour is converted to luminance); sides divisible by 4.
    #[arg(long)]
    image: PathBuf,
    /// The client's label (0–9).
    #[arg(long)]
    label: usize,
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
    }
}

fn bad(message: impl std::fmt::Display) -> Failure {
    Failure::BadInput(anyhow!("{message}"))
}

fn failed(error: candle_core::Error) -> Failure {
    Failure::Reconstruction(anyhow!(error))
}

fn gradient(args: GradientArgs) -> Result<(), Failure> {
    if args.model != "lenet" {
        return Err(bad(format!(
            "--model {}: not available yet; available models: lenet",
            args.model
        )));
    }
    if args.label >= CLASSES {
        return Err(bad(format!(
            "--label must be below {CLASSES}, not {}",
            args.label
        )));
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
    let (image, height, width) = read_client_image(&args.image)?;
    let activation = match args.activation {
        Nonlinearity::Sigmoid => Activation::Sigmoid,
        Nonlinearity::Relu => Activation::Relu,
    };
    let model =
        LeNet::random(1, (height, width), CLASSES, activation, args.seed).map_err(failed)?;
    let labels = one_hot(args.label).map_err(failed)?;
    let mask = if args.dropout > 0.0 {
        Some(dropout_mask(1, model.features(), args.dropout, args.seed + 1).map_err(failed)?)
    } else {
        None
    };
    let observed = model
        .dropped_parameter_gradients(&image, &labels, mask.as_ref())
        .map_err(failed)?;
    let started = Instant::now();
    let (found, recovered_label) = attack(&args, &model, &observed, (height, width))?;
    let seconds = started.elapsed().as_secs_f64();
    write_outputs(
        &args,
        &image,
        &found,
        recovered_label,
        seconds,
        (height, width),
    )
}

/// The image as a `[1, 1, H, W]` tensor in [0, 1], checking the LeNet's size constraint.
fn read_client_image(path: &Path) -> Result<(Tensor, usize, usize), Failure> {
    let array = read_png(path).map_err(|e| Failure::BadInput(anyhow!(e)))?;
    let (channels, height, width) = (array.shape[0], array.shape[1], array.shape[2]);
    if height % 4 != 0 || width % 4 != 0 {
        return Err(bad(format!(
            "--image {}: the LeNet needs sides divisible by 4, the image is {height}×{width}",
            path.display()
        )));
    }
    let plane = height * width;
    let grey: Vec<f32> = (0..plane)
        .map(|p| match channels {
            3 => {
                let [r, g, b] = [0, 1, 2].map(|c| array.data[c * plane + p]);
                (0.2125 * r + 0.7154 * g + 0.0721 * b) as f32
            }
            _ => array.data[p] as f32,
        })
        .collect();
    let tensor = Tensor::from_vec(grey, (1, 1, height, width), &Device::Cpu).map_err(failed)?;
    Ok((tensor, height, width))
}

fn one_hot(label: usize) -> candle_core::Result<Tensor> {
    let mut values = vec![0.0f32; CLASSES];
    values[label] = 1.0;
    Tensor::from_vec(values, (1, CLASSES), &Device::Cpu)
}

/// Runs the chosen attack with a progress bar of the matching loss; the reconstruction and the
/// label the attack ended with.
fn attack(
    args: &GradientArgs,
    model: &LeNet,
    observed: &[Tensor],
    (height, width): (usize, usize),
) -> Result<(Reconstruction, usize), Failure> {
    let shape = [1, 1, height, width];
    let iterations = args.iterations.unwrap_or(match args.method {
        Method::Dlg | Method::Idlg => 300,
        Method::Ig | Method::Dia => 1000,
    });
    let bar = ProgressBar::with_draw_target(Some(iterations as u64), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {msg} ({elapsed})")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.set_prefix("gradient matching");
    let mut progress = |step: usize, value: f64| {
        bar.set_position(step as u64 + 1);
        bar.set_message(format!("loss {value:.3e}"));
    };
    let label = idlg::label_from_last_layer(&observed[6]).map_err(failed)?;
    let labels = one_hot(label).map_err(failed)?;
    let lbfgs = Lbfgs {
        iterations,
        ..Lbfgs::default()
    };
    let settings = Settings {
        iterations,
        ..Settings::default()
    };
    let (seed, classes) = (args.seed, CLASSES);
    let found = match args.method {
        Method::Dlg => dlg::invert(
            model,
            observed,
            &shape,
            classes,
            None,
            lbfgs,
            seed,
            &mut progress,
        ),
        Method::Idlg => dlg::invert(
            model,
            observed,
            &shape,
            classes,
            Some(label),
            lbfgs,
            seed,
            &mut progress,
        ),
        Method::Dia if args.dropout > 0.0 => dropout_inversion::invert(
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
        Method::Ig | Method::Dia => inverting_gradients::invert(
            model,
            observed,
            &shape,
            &labels,
            settings,
            seed,
            &mut progress,
        ),
    }
    .map_err(failed)?;
    bar.finish_and_clear();
    let recovered = match args.method {
        Method::Dlg => argmax(&found.labels).map_err(failed)?,
        _ => label,
    };
    Ok((found, recovered))
}

fn argmax(labels: &Tensor) -> candle_core::Result<usize> {
    let values = labels.flatten_all()?.to_vec1::<f32>()?;
    Ok(values
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map_or(0, |(i, _)| i))
}

fn write_outputs(
    args: &GradientArgs,
    image: &Tensor,
    found: &Reconstruction,
    recovered_label: usize,
    seconds: f64,
    (height, width): (usize, usize),
) -> Result<(), Failure> {
    let io = |e: inversa::Error| Failure::BadInput(anyhow!(e));
    let original = image
        .flatten_all()
        .and_then(|t| t.to_vec1::<f32>())
        .map_err(failed)?;
    let rebuilt = found
        .image
        .clamp(0.0, 1.0)
        .and_then(|t| t.flatten_all())
        .and_then(|t| t.to_vec1::<f32>())
        .map_err(failed)?;
    let shape = [1, height, width];
    let quality_psnr = psnr(&rebuilt, &original, 1.0);
    // SSIM needs the 11×11 window to fit.
    let quality_ssim = ssim(&rebuilt, &original, &shape, 1.0).ok();
    std::fs::create_dir_all(&args.out)
        .map_err(|e| bad(format!("cannot create {}: {e}", args.out.display())))?;
    let gap = 2;
    let side_by_side: Vec<f32> = (0..height)
        .flat_map(|r| {
            let row = |v: &[f32]| v[r * width..(r + 1) * width].to_vec();
            let mut line = row(&original);
            line.extend(std::iter::repeat_n(1.0, gap));
            line.extend(row(&rebuilt));
            line
        })
        .collect();
    write_png_u8(
        &args.out.join("reconstruction.png"),
        &[1, height, 2 * width + gap],
        &side_by_side,
    )
    .map_err(io)?;
    let metrics = serde_json::json!({
        "method": method_name(args.method),
        "model": args.model,
        "dropout": args.dropout,
        "true_label": args.label,
        "recovered_label": recovered_label,
        "label_accuracy": if recovered_label == args.label { 1.0 } else { 0.0 },
        "psnr": quality_psnr,
        "ssim": quality_ssim,
        "seconds": seconds,
        "iterations": found.history.len(),
        "final_matching_loss": found.history.last(),
    });
    let text = serde_json::to_string_pretty(&metrics).map_err(bad)? + "\n";
    inversa::io::write_atomically(&args.out.join("metrics.json"), text.as_bytes()).map_err(io)?;
    say!(
        "{} on {} (dropout {}): PSNR {:.2} dB, label {} ({}), {:.1} s; wrote reconstruction.png and metrics.json to {}/",
        method_name(args.method),
        args.model,
        args.dropout,
        quality_psnr,
        recovered_label,
        if recovered_label == args.label { "right" } else { "wrong" },
        seconds,
        args.out.display()
    );
    Ok(())
}

fn method_name(method: Method) -> &'static str {
    match method {
        Method::Dlg => "dlg",
        Method::Idlg => "idlg",
        Method::Ig => "ig",
        Method::Dia => "dia",
    }
}
