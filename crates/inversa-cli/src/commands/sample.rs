//! `inversa sample --model unet|rf|W.safetensors --class 3 --count 16 --steps 50 --guidance 3 --out DIR`:
//! draws images from the bundled Fashion-MNIST diffusion UNet (`unet`, the default), the bundled
//! rectified-flow UNet (`rf`, by RF-Solver) or weights of `inversa train diffusion|flow`, with
//! classifier-free guidance; diffusion by DDIM (`--eta 0`, the default) or DDPM-like (`--eta 1`)
//! sampling. Writes
//! `DIR/samples.png` (a grid) and `DIR/samples.npy` (`[count, 32, 32]` float32, `(x + 1)/2`, so
//! the data's range is [0, 1]; values outside it are kept in the `.npy` and clipped in the PNG).

use crate::commands::fashion_inversion::{diffusion_failure, load_model, Model};
use crate::failure::Failure;
use anyhow::anyhow;
use clap::Args;
use inversa::io::{write_npy_f32, write_png_u8};
use inversa_learn::data::fashion_mnist::SIDE;
use inversa_learn::diffusion::rectified_flow::sampling_times;
use inversa_learn::diffusion::{ddim, rf_solver, standard_normal, Guided};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::path::PathBuf;

/// Pixels between the images of the grid (white).
const GAP: usize = 2;

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

pub fn run(args: SampleArgs) -> Result<(), Failure> {
    let bad = |m: String| Failure::BadInput(anyhow!(m));
    if args.count == 0 || !args.guidance.is_finite() {
        return Err(bad(
            "--count must be at least 1 and --guidance a finite number".into(),
        ));
    }
    if args.steps == 0 {
        return Err(bad("--steps must be at least 1".into()));
    }
    let (model, classes) = load_model(&args.model, None, args.steps)?;
    if let Some(c) = args.class.filter(|&c| c >= classes) {
        return Err(bad(format!(
            "--class {c}: the model has classes 0 to {}",
            classes - 1
        )));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(args.seed);
    let noise = standard_normal(
        &mut rng,
        &[args.count, 1, SIDE, SIDE],
        candle_core::DType::F32,
    )
    .map_err(|e| Failure::Reconstruction(e.into()))?;
    let start = std::time::Instant::now();
    let x = match &model {
        Model::Diffusion { model, grid, .. } => {
            let guided = Guided {
                model,
                scale: args.guidance,
            };
            ddim::sample(&guided, grid, &noise, args.class, args.eta, args.seed)
        }
        Model::Flow { model, .. } => {
            let guided = Guided {
                model,
                scale: args.guidance,
            };
            sampling_times(args.steps)
                .and_then(|times| rf_solver::integrate(&guided, &noise, &times, args.class))
        }
    }
    .map_err(diffusion_failure)?;
    let seconds = start.elapsed().as_secs_f64();
    let pixels: Vec<f32> = x
        .flatten_all()
        .and_then(|x| x.to_vec1::<f32>())
        .map_err(|e| Failure::Reconstruction(e.into()))?
        .into_iter()
        .map(|v| (v + 1.0) / 2.0)
        .collect();
    std::fs::create_dir_all(&args.out).map_err(|e| inversa::Error::io(&args.out, e))?;
    write_npy_f32(
        &args.out.join("samples.npy"),
        &[args.count, SIDE, SIDE],
        &pixels,
    )?;
    let (shape, tiled) = tile(&pixels, args.count);
    write_png_u8(&args.out.join("samples.png"), &shape, &tiled)?;
    say!(
        "{} samples ({}), {} steps, guidance {}, in {seconds:.1} s: {}/samples.png and samples.npy",
        args.count,
        args.class
            .map_or("unconditional".to_string(), |c| format!("class {c}")),
        args.steps,
        args.guidance,
        args.out.display()
    );
    Ok(())
}

/// `count` images of `SIDE²` in a near-square grid, separated by white gaps: `[1, rows·…, cols·…]`.
fn tile(pixels: &[f32], count: usize) -> (Vec<usize>, Vec<f32>) {
    let cols = (1..=count).find(|c| c * c >= count).unwrap_or(1);
    inversa::io::image::tile(pixels, (SIDE, SIDE), cols, GAP)
}
