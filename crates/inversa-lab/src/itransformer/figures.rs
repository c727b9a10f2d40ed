//! The iTransformer experiment's figure, table and page text.

use super::runs::{SeriesRun, MODELS};
use super::Report;
use inversa::report::plot::{Panel, Series};

/// Test MSE against the horizon, one series per model.
fn horizon_panel(run: &SeriesRun) -> Panel {
    let series = MODELS
        .iter()
        .map(|&model| Series {
            label: model.into(),
            values: run
                .rows
                .iter()
                .filter_map(|row| {
                    let m = row.models.iter().find(|m| m.model == model)?;
                    Some((row.horizon as f64, m.test.mse))
                })
                .collect(),
        })
        .collect();
    Panel {
        title: format!("{}: test MSE, lookback {}", run.name, run.lookback),
        x_label: "horizon (steps)".into(),
        y_label: "MSE (standardised)".into(),
        log_y: false,
        series,
    }
}

/// Validation MSE per epoch of the two networks at the last series' first horizon.
fn curve_panel(run: &SeriesRun) -> Option<Panel> {
    let row = run.rows.first()?;
    let series = row
        .models
        .iter()
        .filter_map(|m| {
            let fit = m.fit.as_ref()?;
            Some(Series {
                label: m.model.clone(),
                values: fit
                    .validation
                    .iter()
                    .enumerate()
                    .map(|(e, &v)| ((e + 1) as f64, v))
                    .collect(),
            })
        })
        .collect();
    Some(Panel {
        title: format!("{}, horizon {}: validation MSE", run.name, row.horizon),
        x_label: "epoch".into(),
        y_label: "MSE".into(),
        log_y: false,
        series,
    })
}

pub fn figure(report: &Report) -> Vec<Panel> {
    let mut panels: Vec<Panel> = report.series.iter().map(horizon_panel).collect();
    panels.extend(report.series.last().and_then(curve_panel));
    panels
}

/// Series, horizon, then MSE / MAE of each model.
pub fn table(report: &Report) -> Vec<Vec<String>> {
    let mut header = vec!["series".to_string(), "horizon".to_string()];
    for model in MODELS {
        header.push(format!("{model} MSE / MAE"));
    }
    let mut rows = vec![header];
    for run in &report.series {
        for row in &run.rows {
            let mut cells = vec![run.name.clone(), row.horizon.to_string()];
            cells.extend(
                row.models
                    .iter()
                    .map(|m| format!("{:.3} / {:.3}", m.test.mse, m.test.mae)),
            );
            rows.push(cells);
        }
    }
    rows
}

pub fn page_text(report: &Report) -> Vec<String> {
    let mut lines = vec![
        "Claims: each variate's lookback as one token with attention across variates \
         (iTransformer) forecasts better than the same Transformer with time-step tokens, \
         captures the variates' correlation, and generalises to unseen variates."
            .to_string(),
        format!(
            "Variate-permutation check (untrained models, max |f(XP) − f(X)P|): inverted {:.1e}, \
             temporal {:.1e}.",
            report.checks.inverted_permutation_gap, report.checks.temporal_permutation_gap
        ),
        "Errors are on the test part (the last 20 % in time), in units of each variate's \
         training-part standard deviation."
            .to_string(),
    ];
    if let Some(g) = &report.generalisation {
        lines.push(format!(
            "Variate generalisation (Lorenz-96, horizon {}): iTransformer trained on {} of {} \
             variates, test MSE on the {} unseen ones {:.4} (MAE {:.4}); trained on all {:.4} \
             (MAE {:.4}); the linear fit on the seen ones {:.4}.",
            g.horizon,
            g.seen,
            g.seen + g.unseen,
            g.unseen,
            g.partial.mse,
            g.partial.mae,
            g.full.mse,
            g.full.mae,
            g.linear_partial.mse
        ));
    }
    lines.push(format!("Wall time {:.0} s.", report.seconds));
    lines
}
