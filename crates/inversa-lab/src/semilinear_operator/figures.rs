//! The figures, the report's table and its text.

use super::rollout::Rollout;
use super::Report;
use crate::outcome::Artifact;
use inversa::report::plot::{Panel, Series};

/// Two panels: the relative error against time of each estimator; both training losses.
pub fn panels(report: &Report) -> Vec<Panel> {
    let errors = report
        .estimators
        .iter()
        .map(|e| Series {
            label: e.name.to_string(),
            values: report
                .times
                .iter()
                .copied()
                .zip(e.errors.iter().copied())
                .collect(),
        })
        .collect();
    vec![
        Panel {
            title: format!(
                "relative error, horizon = {:.0} training windows",
                report.horizon_over_window
            ),
            x_label: "time".into(),
            y_label: "‖x̂ − u‖ / ‖u‖".into(),
            log_y: true,
            series: errors,
        },
        Panel {
            title: "training losses".into(),
            x_label: "Adam step".into(),
            y_label: "mean squared error / s²".into(),
            log_y: true,
            series: vec![
                Series::indexed("prediction stage (N_θ)", &report.predictor_loss),
                Series::indexed("assimilation stage (K_ψ)", &report.observer_loss),
            ],
        },
    ]
}

/// Blue–white–red for `v / limit` in `[−1, 1]` (clamped).
fn diverging(v: f64, limit: f64) -> [f32; 3] {
    let t = (v / limit).clamp(-1.0, 1.0) as f32;
    if t >= 0.0 {
        [1.0, 1.0 - 0.85 * t, 1.0 - 0.9 * t]
    } else {
        [1.0 + 0.9 * t, 1.0 + 0.7 * t, 1.0]
    }
}

/// Rows from the top: the truth, then each estimator's estimate of the first held-out
/// trajectory; space down each row (the grid, 2 pixels a point), time to the right (at most 800
/// columns: steps are skipped evenly beyond that).
pub fn space_time(truth: &[Vec<f64>], runs: &[(&str, Rollout)], rms: f64) -> Artifact {
    let mut fields: Vec<&[Vec<f64>]> = vec![truth];
    fields.extend(runs.iter().map(|(_, r)| r.field.as_slice()));
    let (steps, n) = (truth.len(), truth[0].len());
    let stride = steps.div_ceil(800);
    let (columns, zoom, gap) = (steps.div_ceil(stride), 2, 6);
    let band = n * zoom + gap;
    let height = fields.len() * band - gap;
    let mut pixels = vec![1.0f32; 3 * height * columns];
    for (f, field) in fields.iter().enumerate() {
        for column in 0..columns {
            let state = &field[column * stride];
            for (i, &v) in state.iter().enumerate() {
                let colour = diverging(v, 2.5 * rms);
                for dy in 0..zoom {
                    let row = f * band + i * zoom + dy;
                    for (c, value) in colour.iter().enumerate() {
                        pixels[(c * height + row) * columns + column] = *value;
                    }
                }
            }
        }
    }
    Artifact::Image {
        shape: vec![3, height, columns],
        pixels,
    }
}

/// One row per estimator.
pub fn table(report: &Report) -> Vec<Vec<String>> {
    let mut rows = vec![[
        "estimator",
        "error after one window",
        "3rd quarter",
        "4th quarter",
        "max over 2nd half",
        "last tenth",
    ]
    .map(String::from)
    .to_vec()];
    for e in &report.estimators {
        rows.push(vec![
            e.name.to_string(),
            format!("{:.3}", e.at_window),
            format!("{:.3}", e.third_quarter),
            format!("{:.3}", e.fourth_quarter),
            format!("{:.3}", e.second_half_max),
            format!("{:.3}", e.final_error),
        ]);
    }
    rows
}

pub fn page_text(report: &Report) -> Vec<String> {
    let s = &report.settings;
    let yes = |b: bool| if b { "holds" } else { "does not hold" };
    vec![
        "Claim: with assimilation of sparse noisy readings the error stays bounded over horizons \
         many training windows long, where the same operator without the correction drifts."
            .to_string(),
        format!(
            "Kuramoto–Sivashinsky on [0, {}), {} points, simulated by ETDRK4 (linear part exact, \
             h = {}), sampled every Δt = {}. Operator: exact e^(ΔtA) and Δtφ₁(ΔtA) with a \
             periodic CNN N_θ ({} layers of {} channels, kernels of {}) trained on {}-step \
             rollouts; observer K_ψ trained on {}-step rollouts. {} sensors, noise {} × RMS = {:.3}. \
             Test: {} held-out trajectories of {} steps ({:.0} windows). Fixed gain: γ = {}, σ = {} \
             cells, tuned on training windows.",
            s.length,
            s.grid,
            s.solver_step(),
            s.dt,
            s.depth,
            s.width,
            2 * s.radius + 1,
            s.window,
            s.assimilation_window,
            s.sensors,
            s.noise,
            report.noise_sigma,
            s.test_trajectories,
            s.horizon,
            report.horizon_over_window,
            report.fixed_gain.gamma,
            report.fixed_gain.sigma,
        ),
        format!(
            "Assimilated error at the end below prediction's: {}. Assimilated error not growing \
             over the second half (4th-quarter mean ≤ 1.2 × 3rd-quarter mean + 0.01): {}. \
             Prediction's error growing (last tenth > 3 × its error after one window): {}.",
            yes(report.assimilated_below_prediction),
            yes(report.assimilated_not_growing),
            yes(report.prediction_grows)
        ),
    ]
}
