//! `inversa invert --method ddim|edict|bdia|null-text|spdinv|ddcm --image x.png --class 3 --steps 50
//! --guidance 5 --out DIR` (or `--model rf --method rf-solver|euler`): inverts a 28×28 grey image
//! with the bundled Fashion-MNIST model and regenerates it with the same class. Writes
//! `DIR/reconstruction.png`, `DIR/comparison.png` (source, reconstruction, |error|×10),
//! `DIR/latent.npy` (the noise found; EDICT's and BDIA's pair stacked as `[2, …]`) and
//! `DIR/metrics.json` (`reconstruction_psnr`, `reconstruction_max_abs_error` on pixels in [0, 1],
//! `seconds`, `model_calls`, and SPDInv's `fixed_point_residual`).

use crate::commands::fashion_inversion::{
    choose, class_flag, difference, diffusion_failure, to_pixels, to_state, write_image,
    write_latent, write_metrics, write_row, InversionFlags, Model,
};
use crate::failure::{failed, Failure};
use clap::Args;
use inversa::metrics::psnr;
use inversa_learn::diffusion::editing::{
    invert_diffusion, invert_flow, regenerate_diffusion, regenerate_flow, Inverted,
};
use std::time::Instant;

#[derive(Args)]
pub struct InvertArgs {
    #[command(flatten)]
    flags: InversionFlags,
    /// The garment's class (0–9) [the bundled test image's label].
    #[arg(long)]
    class: Option<usize>,
}

pub fn run(args: InvertArgs) -> Result<(), Failure> {
    let chosen = choose(&args.flags)?;
    let class = class_flag("--class", args.class, &chosen.source, chosen.classes)?;
    let x0 = to_state(&chosen.source.pixels, chosen.dtype).map_err(failed)?;
    let settings = &chosen.settings;
    let start = Instant::now();
    let (latent, rebuilt, residual) = match &chosen.model {
        Model::Diffusion {
            model,
            grid,
            method,
        } => {
            let inversion = invert_diffusion(model, grid, *method, &x0, class, settings)
                .map_err(diffusion_failure)?;
            let rebuilt = regenerate_diffusion(model, grid, &inversion.inverted, class, settings)
                .map_err(diffusion_failure)?;
            let latent = latent_of(&inversion.inverted, settings.seed)?;
            (latent, rebuilt, inversion.fixed_point_residual)
        }
        Model::Flow { model, method } => {
            let latent =
                invert_flow(model, *method, &x0, class, settings).map_err(diffusion_failure)?;
            let rebuilt = regenerate_flow(model, *method, &latent, class, settings)
                .map_err(diffusion_failure)?;
            (latent, rebuilt, None)
        }
    };
    let calls = chosen.model.calls();
    let seconds = start.elapsed().as_secs_f64();
    let reconstruction = to_pixels(&rebuilt).map_err(failed)?;
    let source = &chosen.source.pixels;
    let max_error = reconstruction
        .iter()
        .zip(source)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    let quality = psnr(&reconstruction, source, 1.0);

    let out = &args.flags.out;
    std::fs::create_dir_all(out).map_err(|e| inversa::Error::io(out, e))?;
    write_image(&out.join("reconstruction.png"), &reconstruction)?;
    let error_map = difference(&reconstruction, source, 10.0);
    write_row(
        &out.join("comparison.png"),
        &[source, &reconstruction, &error_map],
    )?;
    write_latent(&out.join("latent.npy"), &latent)?;
    write_metrics(
        out,
        &chosen,
        serde_json::json!({
            "class": class,
            "reconstruction_psnr": quality,
            "reconstruction_max_abs_error": max_error,
            "seconds": seconds,
            "model_calls": calls,
            "fixed_point_residual": residual,
        }),
    )?;
    say!(
        "{} inversion of {} (class {class}), {} steps, guidance {}: reconstruction {quality:.2} dB, max |error| {max_error:.2e}, {calls} model calls in {seconds:.1} s",
        chosen.model.method_name(),
        chosen.source.name,
        settings.steps,
        settings.guidance
    );
    say!(
        "wrote reconstruction.png, comparison.png, latent.npy and metrics.json to {}/",
        out.display()
    );
    Ok(())
}

fn latent_of(inverted: &Inverted, seed: u64) -> Result<candle_core::Tensor, Failure> {
    inverted.latent(seed).map_err(diffusion_failure)
}
