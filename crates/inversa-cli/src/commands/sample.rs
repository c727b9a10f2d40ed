//! `inversa sample --model unet|rf|W.safetensors --class 3 --count 16 --steps 50 --guidance 3 --out DIR`:
//! draws images from the bundled Fashion-MNIST diffusion UNet (`unet`, the default), the bundled
//! rectified-flow UNet (`rf`, by RF-Solver) or weights of `inversa train diffusion|flow`, with
//! classifier-free guidance; diffusion by DDIM (`--eta 0`, the default) or DDPM-like (`--eta 1`)
//! sampling ([`inversa_lab::sampling`]). Writes
//! `DIR/samples.png` (a grid) and `DIR/samples.npy` (`[count, 32, 32]` float32, `(x + 1)/2`, so
//! the data's range is [0, 1]; values outside it are kept in the `.npy` and clipped in the PNG).
//!
//! With `--evaluate` it scores the model instead ([`inversa_lab::sample_quality`]): `--count`
//! (default 1,000) samples spread evenly over the classes, the fraction the bundled classifier
//! assigns to their class and the Fréchet distance of its features to the test images, written
//! to `DIR/metrics.json`, with the samples (clipped to the data's range) in `samples.npy` and ten
//! per class, a row each, in `samples.png`.

use crate::failure::Failure;
use crate::outputs::Planned;
use clap::Args;
use inversa_lab::sample_quality;
use inversa_lab::sampling::{self, Settings};
use std::path::PathBuf;

#[derive(Args)]
pub struct SampleArgs {
    /// `unet` (the bundled diffusion UNet), `rf` (the bundled rectified-flow UNet, sampled by
    /// RF-Solver) or weights written by `inversa train diffusion|flow`.
    #[arg(long, default_value = "unet")]
    model: String,
    /// The class to draw (0–9 for Fashion-MNIST); unconditional without it.
    #[arg(long, conflicts_with = "evaluate")]
    class: Option<usize>,
    /// Images to draw [16; with --evaluate 1000, spread evenly over the classes].
    #[arg(long)]
    count: Option<usize>,
    /// Sampling steps.
    #[arg(long, default_value_t = 50)]
    steps: usize,
    /// Classifier-free guidance scale (1: the plain conditional model).
    #[arg(long, default_value_t = 3.0)]
    guidance: f64,
    /// Stochasticity: 0 is DDIM (deterministic), 1 is DDPM ancestral sampling (diffusion only).
    #[arg(long, default_value_t = 0.0)]
    eta: f64,
    /// Seed of the starting noise (and of the sampling noise when --eta > 0).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Score the model: the fraction of samples classified as the class they were drawn for,
    /// and the Fréchet distance of the classifier's features to the test images (metrics.json).
    #[arg(long)]
    evaluate: bool,
    /// With --evaluate: folder of the full Fashion-MNIST, whose 10,000 test images are compared
    /// too [/usr/share/datasets/fashion-mnist when installed].
    #[arg(long, requires = "evaluate")]
    data: Option<PathBuf>,
    /// Folder for samples.png and samples.npy (and metrics.json with --evaluate), created if
    /// missing.
    #[arg(long)]
    out: PathBuf,
}

/// The files written into `--out`.
pub const FILES: [&str; 2] = ["samples.png", "samples.npy"];

/// The files written into `--out` with `--evaluate`.
pub const EVALUATION_FILES: [&str; 3] = ["samples.png", "samples.npy", "metrics.json"];

pub fn run(args: SampleArgs) -> Result<(), Failure> {
    if args.evaluate {
        return evaluate(args);
    }
    let planned = Planned::check(
        &args.out,
        &FILES,
        &[("--model", crate::outputs::model_file(&args.model))],
    )?;
    let settings = Settings {
        model: args.model,
        class: args.class,
        count: args.count.unwrap_or(16),
        steps: args.steps,
        guidance: args.guidance,
        eta: args.eta,
        seed: args.seed,
    };
    let outcome = sampling::run(&settings, &mut |line| say!("{line}"))?;
    // The report is printed, not written: `sample` has always written the two files alone.
    planned.write(&outcome, false)?;
    let report = &outcome.report;
    say!(
        "{} samples ({}), {} steps, guidance {}, in {:.1} s: {}/samples.png and samples.npy",
        report.count,
        report
            .class
            .map_or("unconditional".to_string(), |c| format!("class {c}")),
        report.steps,
        report.guidance,
        report.seconds,
        args.out.display()
    );
    Ok(())
}

/// `--evaluate`: draws and scores the samples, writes metrics.json and the samples.
fn evaluate(args: SampleArgs) -> Result<(), Failure> {
    let planned = Planned::check(
        &args.out,
        &EVALUATION_FILES,
        &[
            ("--model", crate::outputs::model_file(&args.model)),
            ("--data", args.data.as_deref()),
        ],
    )?;
    let defaults = sample_quality::Settings::default();
    let settings = sample_quality::Settings {
        model: args.model,
        count: args.count.unwrap_or(defaults.count),
        steps: args.steps,
        guidance: args.guidance,
        eta: args.eta,
        seed: args.seed,
        data: args.data,
    };
    let outcome = sample_quality::run(&settings, &mut |line| say!("{line}"))?;
    planned.write(&outcome, true)?;
    let r = &outcome.report;
    let full = match (r.frechet_full_test, r.frechet_full_test_real_floor) {
        (Some(d), Some(floor)) => {
            format!(", {d:.3} to the full test set (real images: {floor:.3})")
        }
        _ => String::new(),
    };
    say!(
        "{} samples in {:.0} s: {:.1}% classified as their class; Fréchet distance {:.3} to the 100 bundled test images{full}; {}/metrics.json",
        settings.count,
        r.sampling_seconds,
        100.0 * r.class_fraction,
        r.frechet_bundled_test,
        args.out.display()
    );
    Ok(())
}
