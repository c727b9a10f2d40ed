//! Writes everything a run produced into one folder: images (PNG for viewing, NPY float32 for
//! analysis), `metrics.json`, `convergence.png` and `report.html`. Refuses to replace any input file
//! ([`guard`], checked before anything is written) and to write a non-finite result
//! ([`super::finite`]): a NaN in the reconstruction or a metric is a failed run.

use super::finite::{self, decibels, Decibels};
use super::html::{self, Figure, Page};
use super::plot::{self, Panel, Series};
use crate::error::{Error, Result};
use crate::io::overlap::Guard;
use crate::io::{write_atomically, write_npy_f32, write_png_u8};
use crate::operators::physics::MeasurementDisplay;
use crate::real::Real;
use crate::task::{Init, Outcome, Quality, Task};
use num_complex::Complex;
use serde::Serialize;
use std::path::{Path, PathBuf};

const CONVERGENCE_SIZE: (usize, usize) = (1000, 380);

/// Every file [`write_outputs`] may write into its folder.
pub const FILES: [&str; 11] = [
    "ground_truth.png",
    "measurement.png",
    "measurement.npy",
    "initial.png",
    "reconstruction.png",
    "reconstruction.npy",
    "metrics.json",
    "convergence.png",
    "report.html",
    "std.png",
    "std.npy",
];

/// The task's inputs (`task` for the files it names) against the outputs written into `dir`
/// (`out`): check it before running the task.
pub fn guard<T: Real>(task: &Task<T>, dir: &Path) -> Guard {
    Guard::new()
        .inputs("task", &task.inputs)
        .outputs_in("--out", dir, &FILES)
}

/// The text of `metrics.json` (written to `path`, named in errors); an error when a metric is not
/// finite. The Python package returns the same metrics as a dict.
pub fn metrics_json<T: Real>(task: &Task<T>, outcome: &Outcome<T>, path: &Path) -> Result<String> {
    let metrics = Metrics::new(task, outcome);
    finite::check(&metrics, "metrics.json")?;
    serde_json::to_string_pretty(&metrics).map_err(|e| Error::format(path, e.to_string()))
}

/// Writes the outputs of `outcome` into `dir` (created if needed) and returns the files written;
/// nothing is written when an output would replace an input or a result is not finite.
pub fn write_outputs<T: Real>(
    dir: &Path,
    task: &Task<T>,
    outcome: &Outcome<T>,
) -> Result<Vec<PathBuf>> {
    guard(task, dir).check()?;
    let reconstruction = to_f32(&outcome.reconstruction);
    let initial = to_f32(&outcome.initial);
    let measurement = to_f32(&task.measurement);
    finite::check_array(&reconstruction, "reconstruction")?;
    finite::check_array(&initial, "starting point")?;
    finite::check_array(&measurement, "measurement")?;
    let text = metrics_json(task, outcome, &dir.join("metrics.json"))?;

    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let mut out = Writer {
        dir,
        written: Vec::new(),
    };
    let shape = &task.image_shape;
    let mut figures = Vec::new();

    if let Some(truth) = &task.ground_truth {
        figures.push(out.image("ground_truth", "ground truth", shape, &to_f32(truth))?);
    }
    if let Some((mshape, pixels)) = measurement_picture(task) {
        figures.push(out.image("measurement", "measurement", &mshape, &pixels)?);
    }
    out.npy(
        "measurement.npy",
        task.physics.operator.output_shape(),
        &measurement,
    )?;
    let start = match task.init {
        Init::Adjoint => "starting point A*y/‖A‖²",
        Init::Zeros => "starting point (zeros)",
    };
    let initial_caption = caption(start, outcome.initial_quality);
    figures.push(out.image("initial", &initial_caption, shape, &initial)?);
    let recon_caption = caption(
        &format!("{} + {}", task.solver_kind, task.prior_kind),
        outcome.quality,
    );
    figures.push(out.image("reconstruction", &recon_caption, shape, &reconstruction)?);
    out.npy("reconstruction.npy", &squeeze(shape), &reconstruction)?;
    if let Some(spread) = &outcome.info.spread {
        let spread: Vec<f32> = spread.iter().map(|v| *v as f32).collect();
        finite::check_array(&spread, "posterior standard deviation")?;
        let top = spread.iter().copied().fold(0.0f32, f32::max);
        let scaled: Vec<f32> = spread
            .iter()
            .map(|v| if top > 0.0 { v / top } else { 0.0 })
            .collect();
        let caption = format!("posterior std (white = {top:.3})");
        figures.push(out.image("std", &caption, shape, &scaled)?);
        out.npy("std.npy", &squeeze(shape), &spread)?;
    }
    out.bytes("metrics.json", text.as_bytes())?;

    let plot_png = out.convergence(outcome)?;
    let rows = metric_rows(task, outcome);
    let page = html::render(&Page {
        title: &format!("Inversa — {}", task.name),
        figures: &figures,
        plot_png: Some(&plot_png),
        metrics: &rows,
        task_toml: &task.source,
    });
    out.bytes("report.html", page.as_bytes())?;
    Ok(out.written)
}

/// Tracks written files.
struct Writer<'a> {
    dir: &'a Path,
    written: Vec<PathBuf>,
}

impl Writer<'_> {
    fn target(&mut self, name: &str) -> Result<PathBuf> {
        debug_assert!(FILES.contains(&name), "{name} is not listed in FILES");
        let path = self.dir.join(name);
        self.written.push(path.clone());
        Ok(path)
    }

    fn bytes(&mut self, name: &str, bytes: &[u8]) -> Result<()> {
        let path = self.target(name)?;
        write_atomically(&path, bytes)
    }

    fn npy(&mut self, name: &str, shape: &[usize], data: &[f32]) -> Result<()> {
        let path = self.target(name)?;
        write_npy_f32(&path, shape, data)
    }

    /// Writes `stem.png` and returns it as a figure for the report.
    fn image(
        &mut self,
        stem: &str,
        caption: &str,
        shape: &[usize],
        data: &[f32],
    ) -> Result<Figure> {
        let path = self.target(&format!("{stem}.png"))?;
        write_png_u8(&path, shape, data)?;
        let png = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
        Ok(Figure {
            caption: caption.to_string(),
            png,
        })
    }

    fn convergence<T: Real>(&mut self, outcome: &Outcome<T>) -> Result<Vec<u8>> {
        let points = |values: &[f64]| -> Vec<(f64, f64)> {
            values
                .iter()
                .enumerate()
                .map(|(k, v)| ((k + 1) as f64, *v))
                .collect()
        };
        let mut panels = vec![Panel {
            title: "Objective".into(),
            x_label: "iteration".into(),
            y_label: "objective".into(),
            log_y: true,
            series: vec![Series {
                label: "objective".into(),
                values: points(&outcome.history.objective),
            }],
        }];
        if !outcome.history.psnr.is_empty() {
            panels.push(Panel {
                title: "PSNR".into(),
                x_label: "iteration".into(),
                y_label: "PSNR (dB)".into(),
                log_y: false,
                series: vec![Series {
                    label: "PSNR".into(),
                    values: points(&outcome.history.psnr),
                }],
            });
        }
        let image = plot::render_panels(&panels, CONVERGENCE_SIZE.0, CONVERGENCE_SIZE.1);
        let path = self.target("convergence.png")?;
        plot::write_png(&path, &image)?;
        std::fs::read(&path).map_err(|e| Error::io(&path, e))
    }
}

fn to_f32<T: Real>(data: &[T]) -> Vec<f32> {
    data.iter()
        .map(|v| v.to_f32().unwrap_or(f32::NAN))
        .collect()
}

/// `[1, h, w]` is saved as `[h, w]`, as NumPy users expect for a grey image.
fn squeeze(shape: &[usize]) -> Vec<usize> {
    match shape {
        [1, h, w] => vec![*h, *w],
        other => other.to_vec(),
    }
}

fn caption(label: &str, quality: Option<Quality>) -> String {
    match quality {
        Some(q) => format!("{label}: {:.2} dB, SSIM {:.3}", q.psnr, q.ssim),
        None => label.to_string(),
    }
}

/// The measurement as a `[c, h, w]` picture in [0, 1], when it is one.
fn measurement_picture<T: Real>(task: &Task<T>) -> Option<(Vec<usize>, Vec<f32>)> {
    let shape = task.physics.operator.output_shape();
    let data = to_f32(&task.measurement);
    match task.physics.display {
        MeasurementDisplay::Image if shape.len() == 3 => Some((shape.to_vec(), data)),
        MeasurementDisplay::Normalized if shape.len() == 3 => {
            let plane = shape[1] * shape[2];
            let first = &data[..plane];
            let (lo, hi) = first
                .iter()
                .fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), v| {
                    (a.min(*v), b.max(*v))
                });
            let span = if hi > lo { hi - lo } else { 1.0 };
            Some((
                vec![1, shape[1], shape[2]],
                first.iter().map(|v| (v - lo) / span).collect(),
            ))
        }
        MeasurementDisplay::LogMagnitude if shape.len() >= 3 => {
            let (h, w) = (shape[shape.len() - 3], shape[shape.len() - 2]);
            Some((
                vec![1, h, w],
                log_magnitude_centred(&data[..2 * h * w], h, w),
            ))
        }
        _ => None,
    }
}

/// Decades of k-space magnitude shown below the peak: MRI spectra span many orders of magnitude, so a
/// linear or `log(1 + |k|)` scale shows only the centre.
const KSPACE_DECADES: f32 = 4.0;

/// `log10 |k|` of one interleaved complex `h × w` slice, with zero frequency moved to the centre and
/// the top [`KSPACE_DECADES`] mapped to [0, 1].
fn log_magnitude_centred(slice: &[f32], h: usize, w: usize) -> Vec<f32> {
    let mut out = vec![0.0f32; h * w];
    for i in 0..h {
        for j in 0..w {
            let k = Complex::new(slice[2 * (i * w + j)], slice[2 * (i * w + j) + 1]);
            out[((i + h / 2) % h) * w + (j + w / 2) % w] = k.norm().max(f32::MIN_POSITIVE).log10();
        }
    }
    let top = out.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
    out.iter_mut()
        .for_each(|v| *v = ((*v - (top - KSPACE_DECADES)) / KSPACE_DECADES).clamp(0.0, 1.0));
    out
}

/// `metrics.json`. `null` means "does not apply": no ground truth (no PSNR), or a solver that
/// does not score its iterates (FBP, whose objective is NaN and whose history has none); any
/// other non-finite number fails [`finite::check`].
#[derive(Serialize)]
struct Metrics<'a> {
    task: &'a str,
    physics: &'a str,
    prior: &'a str,
    solver: &'a str,
    precision: &'static str,
    image_shape: &'a [usize],
    psnr: Option<Decibels>,
    ssim: Option<f64>,
    nmse: Option<f64>,
    initial: Option<QualityJson>,
    seconds: f64,
    iterations: usize,
    converged: bool,
    objective: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    model_calls: Option<usize>,
    history: HistoryJson<'a>,
}

#[derive(Serialize)]
struct QualityJson {
    #[serde(serialize_with = "decibels")]
    psnr: f64,
    ssim: f64,
    nmse: f64,
}

#[derive(Serialize)]
struct HistoryJson<'a> {
    objective: &'a [f64],
    psnr: Vec<Decibels>,
    relative_change: &'a [f64],
}

impl<'a> Metrics<'a> {
    fn new<T: Real>(task: &'a Task<T>, outcome: &'a Outcome<T>) -> Self {
        let unscored = outcome.history.objective.iter().all(|v| v.is_nan());
        Self {
            task: &task.name,
            physics: &task.physics_kind,
            prior: &task.prior_kind,
            solver: &task.solver_kind,
            precision: T::NAME,
            image_shape: &task.image_shape,
            psnr: outcome.quality.map(|q| Decibels(q.psnr)),
            ssim: outcome.quality.map(|q| q.ssim),
            nmse: outcome.quality.map(|q| q.nmse),
            initial: outcome.initial_quality.map(|q| QualityJson {
                psnr: q.psnr,
                ssim: q.ssim,
                nmse: q.nmse,
            }),
            seconds: outcome.seconds,
            iterations: outcome.info.iterations,
            converged: outcome.info.converged,
            objective: (!(unscored && outcome.info.objective.is_nan()))
                .then_some(outcome.info.objective),
            model_calls: outcome.info.model_calls,
            history: HistoryJson {
                objective: if unscored {
                    &[]
                } else {
                    &outcome.history.objective
                },
                psnr: outcome.history.psnr.iter().map(|&v| Decibels(v)).collect(),
                relative_change: &outcome.history.relative_change,
            },
        }
    }
}

fn metric_rows<T: Real>(task: &Task<T>, outcome: &Outcome<T>) -> Vec<(String, String)> {
    let mut rows = vec![
        ("physics".to_string(), task.physics_kind.clone()),
        ("prior".to_string(), task.prior_kind.clone()),
        ("solver".to_string(), task.solver_kind.clone()),
        ("precision".to_string(), T::NAME.to_string()),
    ];
    if let Some(q) = outcome.quality {
        rows.push(("PSNR".into(), format!("{:.2} dB", q.psnr)));
        rows.push(("SSIM".into(), format!("{:.4}", q.ssim)));
        rows.push(("NMSE".into(), format!("{:.3e}", q.nmse)));
    }
    if let Some(q) = outcome.initial_quality {
        rows.push(("starting point PSNR".into(), format!("{:.2} dB", q.psnr)));
    }
    rows.push(("iterations".into(), outcome.info.iterations.to_string()));
    if let Some(calls) = outcome.info.model_calls {
        rows.push(("network calls".into(), calls.to_string()));
    }
    rows.push(("solve time".into(), format!("{:.3} s", outcome.seconds)));
    rows.push((
        "final objective".into(),
        format!("{:.6e}", outcome.info.objective),
    ));
    rows
}
