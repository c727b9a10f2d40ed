//! The editing experiment (`inversa experiment editing`): every registered inversion method on the
//! same bundled Fashion-MNIST test images. Each image is inverted with its true class, regenerated
//! with it (reconstruction) and with a related class (the edit, [`TARGET`]). The report gives per
//! method the reconstruction PSNR and worst error, the classifier's accuracy and mean probability
//! on the target class, SSIM and PSNR of the edit to the source, and seconds and model calls per
//! image; `editing.png` shows the sources on top, then per method the reconstruction and the edit
//! of the first images.
//!
//! ```
//! use inversa_lab::editing::{run, Settings};
//!
//! let settings = Settings {
//!     images: 2,
//!     steps: 10,
//!     methods: vec!["edict".into()],
//!     ..Settings::default()
//! };
//! let outcome = run(&settings, &mut |_line| {})?;
//! assert!(outcome.report.methods[0].reconstruction_psnr_mean > 40.0);
//! # Ok::<(), inversa_lab::Error>(())
//! ```

use crate::fashion_inversion::edit::edit_image;
use crate::fashion_inversion::{classify, to_pixels, to_state, unit_pixels, FashionModel, IMAGE};
use crate::{Artifact, Error, Outcome, Result};
use candle_core::DType;
use inversa::metrics::{psnr, ssim};
use inversa_learn::diffusion::inversion::registry;
use inversa_learn::diffusion::inversion::{self, ModelKind};
use inversa_learn::models::bundled;
use inversa_learn::models::classifier::Classifier;
use serde::Serialize;

/// The edit of each source class: a neighbouring garment (T-shirt ↔ shirt, pullover ↔ coat,
/// trouser → dress, dress → trouser, sandal → sneaker, sneaker → ankle boot, ankle boot →
/// sneaker, bag → pullover).
pub const TARGET: [usize; 10] = [6, 3, 4, 1, 2, 7, 0, 9, 2, 7];

/// Pixels per image pixel in the figure.
const ZOOM: usize = 2;

/// The experiment's settings; the defaults are the CLI's.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Bundled test images to edit (the first N of the 100).
    pub images: usize,
    pub steps: usize,
    pub guidance: f64,
    /// Registered method names; empty: all of them, in the registry's order.
    pub methods: Vec<String>,
    /// Images shown in the figure.
    pub figure_images: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            images: 10,
            steps: 50,
            guidance: 3.0,
            methods: Vec::new(),
            figure_images: 4,
        }
    }
}

/// `metrics.json` (keys in alphabetical order, as the CLI has always written them).
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub guidance: f64,
    pub images: usize,
    pub methods: Vec<MethodRow>,
    pub steps: usize,
    pub targets: [usize; 10],
}

/// One method's results, averaged over the images.
#[derive(Clone, Debug, Serialize)]
pub struct MethodRow {
    pub method: String,
    /// `unet` or `rf`.
    pub model: &'static str,
    /// Inversion, edit and the reconstruction for the figure.
    pub model_calls_per_image: f64,
    #[serde(serialize_with = "inversa::report::finite::decibels")]
    pub psnr_to_source_mean: f64,
    pub reconstruction_max_abs_error: f64,
    #[serde(serialize_with = "inversa::report::finite::decibels")]
    pub reconstruction_psnr_mean: f64,
    pub seconds_per_image: f64,
    pub ssim_to_source_mean: f64,
    pub target_accuracy: f64,
    pub target_probability_mean: f64,
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

/// The images with their labels, and the classifier that scores the edits.
struct Bench {
    sources: Vec<Vec<f64>>,
    labels: Vec<usize>,
    classifier: Classifier,
    shown: usize,
}

/// Runs every method of `settings`; `say` receives one line per method.
#[allow(
    clippy::expect_used,
    reason = "a row of numbers and names always serialises"
)]
pub fn run(settings: &Settings, say: &mut dyn FnMut(&str)) -> Result<Outcome<Report>> {
    let images = bundled::test_images()?;
    if settings.images == 0 || settings.images > images.len() {
        let message = format!("must be in 1..={}", images.len());
        return Err(Error::setting("images", message));
    }
    if settings.figure_images == 0 {
        return Err(Error::setting("figure_images", "must be at least 1"));
    }
    let bench = Bench {
        sources: (0..settings.images)
            .map(|i| unit_pixels(images.pixels(i)))
            .collect(),
        labels: images.labels()[..settings.images]
            .iter()
            .map(|&l| usize::from(l))
            .collect(),
        classifier: bundled::classifier()?,
        shown: settings.figure_images.min(settings.images),
    };
    let mut figure = vec![bench.sources[..bench.shown]
        .iter()
        .flat_map(|s| [s.clone(), Vec::new()])
        .collect()];
    let mut methods = Vec::new();
    for name in method_names(settings) {
        let (row, cells) = run_method(&name, settings, &bench)?;
        let line = serde_json::to_string(&row).expect("a row of numbers and names serialises");
        say(&format!("{name}: {line}"));
        methods.push(row);
        figure.push(cells);
    }
    let report = Report {
        guidance: settings.guidance,
        images: settings.images,
        methods,
        steps: settings.steps,
        targets: TARGET,
    };
    Ok(Outcome::new(report).with("editing.png", grid(&figure)))
}

fn method_names(settings: &Settings) -> Vec<String> {
    if settings.methods.is_empty() {
        let all = registry::inverters().into_iter();
        all.map(|e| e.name.to_string()).collect()
    } else {
        settings.methods.clone()
    }
}

/// One method on every image: its row and its figure cells.
fn run_method(
    name: &str,
    settings: &Settings,
    bench: &Bench,
) -> Result<(MethodRow, Vec<Vec<f64>>)> {
    let flow = registry::find(name).is_some_and(|e| e.kind == ModelKind::Flow);
    let model_name = if flow { "rf" } else { "unet" };
    let model = FashionModel::load(model_name)?;
    model.check_steps(settings.steps)?;
    let method = model.method(Some(name))?;
    let inverter_settings = inversion::Settings {
        steps: settings.steps,
        guidance: settings.guidance,
        ..inversion::Settings::default()
    };
    let inverter = model.inverter(method, &inverter_settings)?;
    let mut tally = Tally::default();
    for (i, source) in bench.sources.iter().enumerate() {
        let (class, target) = (bench.labels[i], TARGET[bench.labels[i]]);
        let x0 = to_state(source, DType::F32)?;
        let edited = edit_image(inverter.as_ref(), &x0, class, target)?;
        let edit = to_pixels(&edited.edit)?;
        let rebuilt = to_pixels(&edited.reconstruction)?;
        let (probabilities, best) = classify(&bench.classifier, &edit)?;
        tally.hits += usize::from(best == target);
        tally.target_probability += f64::from(probabilities[target]);
        tally.reconstruction_psnr += psnr(&rebuilt, source, 1.0);
        let error = rebuilt.iter().zip(source).map(|(a, b)| (a - b).abs());
        tally.worst_error = inversa::report::finite::max_propagating_nan(
            std::iter::once(tally.worst_error).chain(error),
        );
        tally.ssim += ssim(&edit, source, &[1, IMAGE, IMAGE], 1.0)?;
        tally.psnr += psnr(&edit, source, 1.0);
        tally.seconds += edited.seconds;
        if i < bench.shown {
            tally.cells.extend([rebuilt, edit]);
        }
    }
    let n = settings.images as f64;
    let row = MethodRow {
        method: name.to_string(),
        model: model_name,
        model_calls_per_image: inverter.calls() as f64 / n,
        psnr_to_source_mean: tally.psnr / n,
        reconstruction_max_abs_error: tally.worst_error,
        reconstruction_psnr_mean: tally.reconstruction_psnr / n,
        seconds_per_image: tally.seconds / n,
        ssim_to_source_mean: tally.ssim / n,
        target_accuracy: tally.hits as f64 / n,
        target_probability_mean: tally.target_probability / n,
    };
    Ok((row, tally.cells))
}

/// Rows of 28×28 cells (an empty cell is left white) with white gaps.
pub(crate) fn grid(rows: &[Vec<Vec<f64>>]) -> Artifact {
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
    Artifact::Image {
        shape: vec![1, height, width],
        pixels: out,
    }
}
