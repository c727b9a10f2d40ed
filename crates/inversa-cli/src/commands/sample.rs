//! `inversa sample --model unet|rf|W.safetensors --class 3 --count 16 --steps 50 --guidance 3 --out DIR`:
//! draws images from the bundled Fashion-MNIST diffusion UNet (`unet`, the default), the bundled
//! rectified-flow UNet (`rf`, by RF-Solver) or weights of `inversa train diffusion|flow`, with
//! classifier-free guidance; diffusion by DDIM (`--eta 0`, the default) or DDPM-like (`--eta 1`)
//! sampling ([`inversa_lab::sampling`]). Writes
//! `DIR/samples.png` (a grid) and `DIR/samples.npy` (`[count, 32, 32]` float32, `(x + 1)/2`, so
//! the data's range is [0, 1]; values outside it are kept in the `.npy` and clipped in the PNG).

use crate::failure::Failure;
use crate::outputs::Planned;
use clap::Args;
use inversa_lab::sampling::{self, Settings};
use std::path::PathBuf;

#[derive(Args)]
pub struct SampleArgs {
    /// `unet` (the bundled diffusion UNet), `rf` (the bundled rectified-flow UNet, sampled by
    /// RF-Solver) or weights written by `inversa train diffusion|flow`.
    #[arg(long, default_value = "unet")]
    model: String,
    /// The class to draw (0–9 for Fashion-MNIST); unconditional without it.
    #[arg(long)]
    class: Option<usize>,
    /// Images to draw.
    #[arg(long, default_value_t = 16)]
    count: usize,
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
    /// Folder for samples.png and samples.npy (created if missing).
    #[arg(long)]
    out: PathBuf,
}

/// The files written into `--out`.
pub const FILES: [&str; 2] = ["samples.png", "samples.npy"];

pub fn run(args: SampleArgs) -> Result<(), Failure> {
    let planned = Planned::check(
        &args.out,
        &FILES,
        &[("--model", crate::outputs::model_file(&args.model))],
    )?;
    let settings = Settings {
        model: args.model,
        class: args.class,
        count: args.count,
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
