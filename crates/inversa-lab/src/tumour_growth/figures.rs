//! The tumour-growth figures (errors against seconds per patient; one patient's scan and fits),
//! the page text and the table.

use super::model::{segment_truth, Brain};
use super::{Patient, Report, Traces, Tumour, METHODS};
use crate::outcome::Artifact;
use crate::Result;
use inversa::report::plot::{Panel, Series};

/// Medians over the patients of `error` along the iterative searches' rounds, against log10 of
/// the median seconds, and one marker per database answer.
fn error_panel(
    report: &Report,
    traces: &Traces,
    title: &str,
    error: fn(&Tumour, &Tumour) -> f64,
) -> Panel {
    let truths: Vec<Tumour> = report.patients.iter().map(|p| p.truth).collect();
    let along = |paths: &[Vec<(f64, Tumour)>]| -> Vec<(f64, f64)> {
        let rounds = paths.iter().map(Vec::len).min().unwrap_or(0);
        (0..rounds)
            .map(|r| {
                let seconds = median(paths.iter().map(|p| p[r].0).collect());
                let e = median(
                    paths
                        .iter()
                        .zip(&truths)
                        .map(|(p, t)| error(&p[r].1, t))
                        .collect(),
                );
                (seconds.log10(), e)
            })
            .collect()
    };
    let marker = |m: usize| -> Vec<(f64, f64)> {
        let seconds = median(
            report
                .patients
                .iter()
                .map(|p| p.estimates[m].seconds)
                .collect(),
        );
        let e = median(
            report
                .patients
                .iter()
                .map(|p| error(&p.estimates[m].tumour, &p.truth))
                .collect(),
        );
        vec![(seconds.log10(), e)]
    };
    Panel {
        title: title.into(),
        x_label: "log10 seconds per patient (database build excluded)".into(),
        y_label: "median over patients".into(),
        log_y: true,
        series: vec![
            Series {
                label: METHODS[0].into(),
                values: marker(0),
            },
            Series {
                label: METHODS[1].into(),
                values: marker(1),
            },
            Series {
                label: METHODS[2].into(),
                values: along(&traces.cma),
            },
            Series {
                label: METHODS[3].into(),
                values: along(&traces.gradient),
            },
        ],
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => f64::NAN,
        _ if n % 2 == 1 => values[n / 2],
        _ => 0.5 * (values[n / 2 - 1] + values[n / 2]),
    }
}

/// Origin error (mm), and the relative errors of `D` and `ρ`, against time.
pub fn error_panels(report: &Report, traces: &Traces) -> Vec<Panel> {
    vec![
        error_panel(report, traces, "origin error (mm)", |a, b| {
            10.0 * (a.x - b.x).hypot(a.y - b.y)
        }),
        error_panel(report, traces, "relative error of D", |a, b| {
            (a.d - b.d).abs() / b.d
        }),
        error_panel(report, traces, "relative error of rho", |a, b| {
            (a.rho - b.rho).abs() / b.rho
        }),
    ]
}

/// Patient 0 side by side, magnified 3×: the scan, then the noise-free segmentations of the truth
/// and of each method's estimate, over the grey/white-matter slice (oedema yellow, core red).
pub fn fits_picture(
    brain: &Brain,
    scan: &[u8],
    patient: &Patient,
    steps: usize,
) -> Result<Artifact> {
    let mut panels = vec![scan.to_vec(), segment_truth(brain, &patient.truth, steps)?];
    for estimate in &patient.estimates {
        panels.push(segment_truth(brain, &estimate.tumour, steps)?);
    }
    let (n, zoom, gap) = (brain.side, 3, 6);
    let width = panels.len() * (n * zoom + gap) - gap;
    let height = n * zoom;
    let mut pixels = vec![1.0f32; 3 * width * height];
    for (p, labels) in panels.iter().enumerate() {
        for (k, label) in labels.iter().enumerate() {
            let tissue = (0.35 * brain.grey[k] + 0.7 * brain.white[k]) as f32;
            let colour = match label {
                0 => [tissue; 3],
                1 => [0.95, 0.85, 0.2],
                _ => [0.85, 0.1, 0.1],
            };
            for dy in 0..zoom {
                for dx in 0..zoom {
                    let column = p * (n * zoom + gap) + (k % n) * zoom + dx;
                    let row = (k / n) * zoom + dy;
                    for (c, value) in colour.iter().enumerate() {
                        pixels[(c * height + row) * width + column] = *value;
                    }
                }
            }
        }
    }
    Ok(Artifact::Image {
        shape: vec![3, height, width],
        pixels,
    })
}

/// One line per patient for `say`.
pub fn patient_line(index: usize, patient: &Patient) -> String {
    let parts: Vec<String> = patient
        .estimates
        .iter()
        .map(|e| {
            format!(
                "{} {:.1} mm, D {:.0}%, ρ {:.0}%, {:.3} s",
                e.method,
                e.origin_error_mm,
                100.0 * e.d_error,
                100.0 * e.rho_error,
                e.seconds
            )
        })
        .collect();
    format!("patient {index}: {}", parts.join("; "))
}

/// The table: one row per method (medians over the patients).
pub fn table(report: &Report) -> Vec<Vec<String>> {
    let header = [
        "method",
        "origin error (mm)",
        "|ΔD|/D",
        "|Δρ|/ρ",
        "Dice",
        "seconds per patient",
        "simulations per patient",
    ];
    let mut rows = vec![header.iter().map(|h| h.to_string()).collect()];
    for s in &report.methods {
        rows.push(vec![
            s.method.to_string(),
            format!("{:.1}", s.origin_error_mm),
            format!("{:.2}", s.d_error),
            format!("{:.2}", s.rho_error),
            format!("{:.3}", s.dice),
            format!("{:.3}", s.seconds),
            format!("{:.0}", s.simulations),
        ]);
    }
    rows
}

pub fn page_text(report: &Report) -> Vec<String> {
    let s = &report.settings;
    vec![
        "Claim: answering a patient by querying a precomputed database of forward simulations is an \
         order of magnitude faster than sampling or gradient-based inversion, at comparable error \
         in (D, ρ, origin)."
            .to_string(),
        format!(
            "Fisher–Kolmogorov on an MNI152 axial slice (96 × 96 cells of 2 mm, D_grey = D_white / 10), \
             {} forward-Euler steps per simulation ({:.3} s each). Database: {} simulations built \
             once in {:.1} s. {} synthetic patients, segmented at 0.25 and 0.675 after noise of σ = {}.",
            report.steps, report.simulation_seconds, s.database, report.database_build_seconds, s.patients, s.noise
        ),
        format!(
            "Per patient, the weighted query took {:.4} s (median), {:.0}× less than CMA-ES ({} \
             evaluations) and {:.0}× less than Adam with finite differences ({} steps). The table \
             gives the medians; the figure, the error each search had reached against its time.",
            report.methods[1].seconds, report.speedup_over_cma, s.cma_evaluations, report.speedup_over_gradient, s.gradient_iterations
        ),
    ]
}
