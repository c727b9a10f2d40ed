//! Renders a sample of the report's line charts, for looking at the figures by eye:
//! `cargo run --release -p inversa --example plot_example -- /tmp/plot_example.png`.
//!
//! Left, a convergence trace on a log axis with two solvers; middle, PSNR against the iteration;
//! right, a panel with a lone point and a NaN gap.

use inversa::report::plot::{render_panels, write_png, Panel, Series};
use std::path::PathBuf;

fn main() -> inversa::Result<()> {
    let path = std::env::args()
        .nth(1)
        .map_or_else(|| PathBuf::from("plot_example.png"), PathBuf::from);
    let fista: Vec<f64> = (0..200).map(|k| 40.0 * 0.96f64.powi(k) + 0.05).collect();
    let ista: Vec<f64> = (0..200).map(|k| 40.0 / (1.0 + 0.1 * k as f64)).collect();
    let psnr: Vec<f64> = (0..200)
        .map(|k| 31.0 - 12.0 * (-(k as f64) / 25.0).exp())
        .collect();
    let mut gap: Vec<f64> = (0..40).map(|k| (k as f64 / 6.0).sin()).collect();
    gap[20] = f64::NAN;
    let panels = [
        Panel {
            title: "Objective".into(),
            x_label: "iteration".into(),
            y_label: "objective".into(),
            log_y: true,
            series: vec![
                Series::indexed("FISTA", &fista),
                Series::indexed("ISTA", &ista),
            ],
        },
        Panel {
            title: "PSNR".into(),
            x_label: "iteration".into(),
            y_label: "PSNR (dB)".into(),
            log_y: false,
            series: vec![Series::indexed("PSNR", &psnr)],
        },
        Panel {
            title: "gaps and lone points".into(),
            x_label: "x".into(),
            y_label: "sin".into(),
            log_y: false,
            series: vec![
                Series::indexed("sin(x/6), NaN at 20", &gap),
                Series {
                    label: "lone point".into(),
                    values: vec![(30.0, -0.5)],
                },
            ],
        },
    ];
    write_png(&path, &render_panels(&panels, 1500, 440))
}
