//! `inversa edit --method ddim|edict|bdia|null-text|spdinv|ddcm --image x.png --source-class 0
//! --target-class 6 --out DIR` (or `--model rf --method rf-solver|euler`): inverts a 28×28 grey image
//! with its class and regenerates it with another. Writes `DIR/edit.png`, `DIR/comparison.png`
//! (source, reconstruction with the source class, edit) and `DIR/metrics.json`: the bundled
//! classifier's `target_class_probability` and `predicted_class` for the edit (editability),
//! `ssim_to_source` and `psnr_to_source` (fidelity), `reconstruction_psnr`, and `seconds` (the
//! inversion and the edit, not the reconstruction drawn for the figure).

use crate::commands::fashion_inversion::{
    choose, class_flag, diffusion_failure, to_pixels, to_state, write_image, write_metrics,
    write_row, InversionFlags, Model,
};
use crate::failure::{failed, Failure};
use candle_core::{DType, Tensor};
use clap::Args;
use inversa::metrics::{psnr, ssim};
use inversa_learn::data::fashion_mnist::CLASS_NAMES;
use inversa_learn::diffusion::editing::{
    invert_diffusion, invert_flow, regenerate_diffusion, regenerate_flow, Settings,
};
use inversa_learn::models::bundled;
use std::time::Instant;

#[derive(Args)]
pub struct EditArgs {
    #[command(flatten)]
    flags: InversionFlags,
    /// The garment's class (0–9) [the bundled test image's label].
    #[arg(long)]
    source_class: Option<usize>,
    /// The class to turn it into (0–9).
    #[arg(long)]
    target_class: usize,
}

/// The edit and the reconstruction of one image, with the seconds the edit took.
pub struct Edited {
    pub edit: Tensor,
    pub reconstruction: Tensor,
    pub seconds: f64,
}

/// Inverts `x0` with `source` and regenerates it with `target` (the edit) and with `source`.
pub fn edit_image(
    model: &Model,
    x0: &Tensor,
    source: usize,
    target: usize,
    settings: &Settings,
) -> Result<Edited, Failure> {
    let start = Instant::now();
    match model {
        Model::Diffusion {
            model,
            grid,
            method,
        } => {
            let inversion = invert_diffusion(model, grid, *method, x0, source, settings)
                .map_err(diffusion_failure)?;
            edit_then_reconstruct(start, source, target, |class| {
                regenerate_diffusion(model, grid, &inversion.inverted, class, settings)
                    .map_err(diffusion_failure)
            })
        }
        Model::Flow { model, method } => {
            let latent =
                invert_flow(model, *method, x0, source, settings).map_err(diffusion_failure)?;
            edit_then_reconstruct(start, source, target, |class| {
                regenerate_flow(model, *method, &latent, class, settings).map_err(diffusion_failure)
            })
        }
    }
}

/// The edit (timed from `start`) and then the reconstruction, regenerated from one inversion.
fn edit_then_reconstruct(
    start: Instant,
    source: usize,
    target: usize,
    regenerate: impl Fn(usize) -> Result<Tensor, Failure>,
) -> Result<Edited, Failure> {
    let edit = regenerate(target)?;
    let seconds = start.elapsed().as_secs_f64();
    Ok(Edited {
        edit,
        reconstruction: regenerate(source)?,
        seconds,
    })
}

/// The bundled classifier's probabilities for 28×28 `pixels`, clipped to [0, 1] as a saved
/// image would be.
pub fn class_probabilities(
    classifier: &inversa_learn::models::classifier::Classifier,
    pixels: &[f64],
) -> Result<Vec<f32>, Failure> {
    let clipped: Vec<f64> = pixels.iter().map(|p| p.clamp(0.0, 1.0)).collect();
    let state = to_state(&clipped, DType::F32).map_err(failed)?;
    classifier
        .probabilities(&state)
        .and_then(|p| p.flatten_all())
        .and_then(|p| p.to_vec1::<f32>())
        .map_err(failed)
}

pub fn run(args: EditArgs) -> Result<(), Failure> {
    let chosen = choose(&args.flags)?;
    let source_class = class_flag(
        "--source-class",
        args.source_class,
        &chosen.source,
        chosen.classes,
    )?;
    let target_class = class_flag(
        "--target-class",
        Some(args.target_class),
        &chosen.source,
        chosen.classes,
    )?;
    let x0 = to_state(&chosen.source.pixels, chosen.dtype).map_err(failed)?;
    let edited = edit_image(
        &chosen.model,
        &x0,
        source_class,
        target_class,
        &chosen.settings,
    )?;
    let edit = to_pixels(&edited.edit).map_err(failed)?;
    let reconstruction = to_pixels(&edited.reconstruction).map_err(failed)?;
    let source = &chosen.source.pixels;
    let probabilities = class_probabilities(&bundled::classifier()?, &edit)?;
    let predicted = (0..probabilities.len())
        .max_by(|&a, &b| probabilities[a].total_cmp(&probabilities[b]))
        .unwrap_or(0);
    let fidelity_ssim = ssim(&edit, source, &[1, 28, 28], 1.0)?;
    let fidelity_psnr = psnr(&edit, source, 1.0);

    let out = &args.flags.out;
    std::fs::create_dir_all(out).map_err(|e| inversa::Error::io(out, e))?;
    write_image(&out.join("edit.png"), &edit)?;
    write_row(
        &out.join("comparison.png"),
        &[source, &reconstruction, &edit],
    )?;
    write_metrics(
        out,
        &chosen,
        serde_json::json!({
            "source_class": source_class,
            "target_class": target_class,
            "target_class_probability": probabilities[target_class],
            "predicted_class": predicted,
            "class_probabilities": probabilities,
            "ssim_to_source": fidelity_ssim,
            "psnr_to_source": fidelity_psnr,
            "reconstruction_psnr": psnr(&reconstruction, source, 1.0),
            "seconds": edited.seconds,
        }),
    )?;
    say!(
        "{} edit of {} from {} to {}: classifier says {} ({:.1}% {}), SSIM to the source {fidelity_ssim:.3}, {:.1} s",
        chosen.model.method_name(),
        chosen.source.name,
        CLASS_NAMES[source_class],
        CLASS_NAMES[target_class],
        CLASS_NAMES[predicted],
        100.0 * probabilities[target_class],
        CLASS_NAMES[target_class],
        edited.seconds
    );
    say!(
        "wrote edit.png, comparison.png and metrics.json to {}/",
        out.display()
    );
    Ok(())
}
