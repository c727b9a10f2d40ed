//! `inversa experiment editing --images 10 --steps 50 --guidance 3 --out DIR`: every inversion
//! method on the same bundled Fashion-MNIST test images. Each image is inverted with its true
//! class, regenerated with it (reconstruction) and with a related class (the edit, [`TARGET`]).
//! Writes `DIR/metrics.json` (per method: reconstruction PSNR and worst error, the classifier's
//! accuracy and mean probability on the target class, SSIM and PSNR of the edit to the source,
//! seconds and model calls per image), `DIR/editing.png` (sources on top, then per method the
//! reconstruction and the edit of the first images) and prints the table as Markdown.

use crate::commands::edit::{class_probabilities, edit_image};
use crate::commands::fashion_inversion::{load_model, to_pixels, to_state, IMAGE};
use crate::failure::{bad, failed, Failure};
use candle_core::DType;
use inversa::io::write_png_u8;
use inversa::metrics::{psnr, ssim};
use inversa_learn::diffusion::editing::{DiffusionMethod, FlowMethod, Settings};
use inversa_learn::models::bundled;
use serde_json::json;
use std::path::PathBuf;

/// The edit of each source class: a neighbouring garment (T-shirt ↔ shirt, pullover ↔ coat,
/// trouser → dress, dress → trouser, sandal → sneaker, sneaker → ankle boot, ankle boot →
/// sneaker, bag → pullover).
pub const TARGET: [usize; 10] = [6, 3, 4, 1, 2, 7, 0, 9, 2, 7];

/// Pixels per image pixel in the figure.
const ZOOM: usize = 2;

#[derive(clap::Args)]
pub struct EditingArgs {
    /// Bundled test images to edit (the first N of the 100).
    #[arg(long, default_value_t = 10)]
    images: usize,
    /// Sampling steps.
    #[arg(long, default_value_t = 50)]
    steps: usize,
    /// Classifier-free guidance scale.
    #[arg(long, default_value_t = 3.0)]
    guidance: f64,
    /// Methods, comma-separated [all: ddim, edict, bdia, null-text, spdinv, ddcm, euler, rf-solver].
    #[arg(long, value_delimiter = ',')]
    methods: Vec<String>,
    /// Images shown in the figure.
    #[arg(long, default_value_t = 4)]
    figure_images: usize,
    /// Folder for metrics.json and editing.png (created if missing).
    #[arg(long)]
    out: PathBuf,
}

/// One method's results, summed over the images.
#[derive(Default)]
struct Tally {
    reconstruction_psnr: f64,
    worst_error: f64,
    hits: usize,
    target_probability: f64,
    ssim: f64,
    psnr: f64,
    seconds: f64,
    /// The figure's cells: reconstruction and edit of the first images.
    cells: Vec<Vec<f64>>,
}

pub fn run(args: EditingArgs) -> Result<(), Failure> {
    let images = bundled::test_images()?;
    if args.images == 0 || args.images > images.len() {
        return Err(bad(format!("--images must be in 1..={}", images.len())));
    }
    let methods = if args.methods.is_empty() {
        let diffusion = DiffusionMethod::ALL.map(|m| m.name());
        let flow = FlowMethod::ALL.map(|m| m.name());
        diffusion
            .iter()
            .chain(&flow)
            .map(|s| s.to_string())
            .collect()
    } else {
        args.methods.clone()
    };
    let classifier = bundled::classifier()?;
    let settings = Settings {
        steps: args.steps,
        guidance: args.guidance,
        ..Settings::default()
    };
    let shown = args.figure_images.min(args.images);
    let sources: Vec<Vec<f64>> = (0..args.images)
        .map(|i| {
            images
                .pixels(i)
                .iter()
                .map(|&p| f64::from(p) / 255.0)
                .collect()
        })
        .collect();
    let mut rows = Vec::new();
    let mut figure = vec![sources[..shown]
        .iter()
        .flat_map(|s| [s.clone(), Vec::new()])
        .collect()];
    std::fs::create_dir_all(&args.out).map_err(|e| inversa::Error::io(&args.out, e))?;
    for name in &methods {
        let model_name = if FlowMethod::from_name(name).is_some() {
            "rf"
        } else {
            "unet"
        };
        let (model, _) = load_model(model_name, Some(name), args.steps)?;
        let mut tally = Tally::default();
        for (i, source) in sources.iter().enumerate() {
            let class = usize::from(images.labels()[i]);
            let target = TARGET[class];
            let x0 = to_state(source, DType::F32).map_err(failed)?;
            let edited = edit_image(&model, &x0, class, target, &settings)?;
            let edit = to_pixels(&edited.edit).map_err(failed)?;
            let rebuilt = to_pixels(&edited.reconstruction).map_err(failed)?;
            let probabilities = class_probabilities(&classifier, &edit)?;
            let best = (0..probabilities.len())
                .max_by(|&a, &b| probabilities[a].total_cmp(&probabilities[b]));
            tally.hits += usize::from(best == Some(target));
            tally.target_probability += f64::from(probabilities[target]);
            tally.reconstruction_psnr += psnr(&rebuilt, source, 1.0);
            let error = rebuilt.iter().zip(source).map(|(a, b)| (a - b).abs());
            tally.worst_error = error.fold(tally.worst_error, f64::max);
            tally.ssim += ssim(&edit, source, &[1, IMAGE, IMAGE], 1.0)?;
            tally.psnr += psnr(&edit, source, 1.0);
            tally.seconds += edited.seconds;
            if i < shown {
                tally.cells.extend([rebuilt, edit]);
            }
        }
        let n = args.images as f64;
        let row = json!({
            "method": name,
            "model": model_name,
            "reconstruction_psnr_mean": tally.reconstruction_psnr / n,
            "reconstruction_max_abs_error": tally.worst_error,
            "target_accuracy": tally.hits as f64 / n,
            "target_probability_mean": tally.target_probability / n,
            "ssim_to_source_mean": tally.ssim / n,
            "psnr_to_source_mean": tally.psnr / n,
            "seconds_per_image": tally.seconds / n,
            // Inversion, edit and the reconstruction for the figure.
            "model_calls_per_image": model.calls() as f64 / n,
        });
        eprintln!("{name}: {row}");
        rows.push(row);
        figure.push(std::mem::take(&mut tally.cells));
    }
    write_grid(&args.out.join("editing.png"), &figure)?;
    let metrics = json!({
        "images": args.images,
        "steps": args.steps,
        "guidance": args.guidance,
        "targets": TARGET,
        "methods": rows,
    });
    crate::commands::fashion_inversion::write_json(&args.out.join("metrics.json"), &metrics)?;
    print_table(&metrics);
    say!(
        "wrote metrics.json and editing.png to {}/",
        args.out.display()
    );
    Ok(())
}

/// The Markdown table of the results.
fn print_table(metrics: &serde_json::Value) {
    say!("| method | reconstruction PSNR | worst error | target accuracy | target probability | SSIM to source | s / image | calls / image |");
    say!("|---|---|---|---|---|---|---|---|");
    for row in metrics["methods"].as_array().into_iter().flatten() {
        let number = |key: &str| row[key].as_f64().unwrap_or(f64::NAN);
        say!(
            "| {} | {:.2} dB | {:.1e} | {:.0}% | {:.2} | {:.3} | {:.1} | {:.0} |",
            row["method"].as_str().unwrap_or("?"),
            number("reconstruction_psnr_mean"),
            number("reconstruction_max_abs_error"),
            100.0 * number("target_accuracy"),
            number("target_probability_mean"),
            number("ssim_to_source_mean"),
            number("seconds_per_image"),
            number("model_calls_per_image"),
        );
    }
}

/// Writes rows of 28×28 cells (an empty cell is left white) with white gaps.
fn write_grid(path: &std::path::Path, rows: &[Vec<Vec<f64>>]) -> Result<(), Failure> {
    let cell = IMAGE * ZOOM;
    let gap = 2 * ZOOM;
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let (height, width) = (
        rows.len() * (cell + gap) - gap,
        columns * (cell + gap) - gap,
    );
    let mut out = vec![1.0f32; height * width];
    for (r, row) in rows.iter().enumerate() {
        for (c, image) in row.iter().enumerate().filter(|(_, im)| !im.is_empty()) {
            for y in 0..cell {
                for x in 0..cell {
                    let value = image[(y / ZOOM) * IMAGE + x / ZOOM] as f32;
                    out[(r * (cell + gap) + y) * width + c * (cell + gap) + x] = value;
                }
            }
        }
    }
    Ok(write_png_u8(path, &[1, height, width], &out)?)
}
