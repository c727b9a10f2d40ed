//! The figure, the report's table and its text.

use super::growth::Growth;
use super::{needed as points, Dimension, Report};
use inversa::report::plot::{Panel, Series};

/// Four panels: the function-space iteration's error per step in every `d`; each `d`'s error
/// against the width; the width needed against `d` with both fits, for each target.
pub fn panels(report: &Report) -> Vec<Panel> {
    let mut descent = Vec::new();
    for d in &report.dimensions {
        descent.push(Series::indexed(format!("d = {}", d.dim), &d.reduced.errors));
        if let Some(full) = &d.full {
            descent.push(Series::indexed(
                format!("d = {}, full grid", d.dim),
                &full.errors,
            ));
        }
    }
    let ladder = report
        .dimensions
        .iter()
        .map(|d| Series {
            label: format!("d = {}", d.dim),
            values: d
                .fits
                .iter()
                .map(|f| ((f.width as f64).log2(), f.error))
                .collect(),
        })
        .collect();
    vec![
        Panel {
            title: "preconditioned GD in function space".into(),
            x_label: "step".into(),
            y_label: "relative L2 error".into(),
            log_y: true,
            series: descent,
        },
        Panel {
            title: "Deep Ritz, two layers: error against width".into(),
            x_label: "log2 width".into(),
            y_label: "relative L2 error".into(),
            log_y: true,
            series: ladder,
        },
        needed(
            report,
            |d| d.width_needed,
            &report.growth,
            report.settings.target,
        ),
        needed(
            report,
            |d| d.loose_width_needed,
            &report.loose_growth,
            report.settings.loose_target,
        ),
    ]
}

fn needed(
    report: &Report,
    which: fn(&Dimension) -> Option<f64>,
    growth: &Option<Growth>,
    target: f64,
) -> Panel {
    let measured = points(&report.dimensions, which);
    let mut series = vec![Series {
        label: "measured".into(),
        values: measured.clone(),
    }];
    if let Some(g) = growth {
        // Each fit passes through the mean of (x, ln w), as least squares does.
        let n = measured.len() as f64;
        let mean_ln_w = measured.iter().map(|p| p.1.ln()).sum::<f64>() / n;
        let mean_ln_d = measured.iter().map(|p| p.0.ln()).sum::<f64>() / n;
        let mean_d = measured.iter().map(|p| p.0).sum::<f64>() / n;
        let curve = |f: &dyn Fn(f64) -> f64| measured.iter().map(|p| (p.0, f(p.0))).collect();
        series.push(Series {
            label: format!("d^{:.2}", g.power_exponent),
            values: curve(&|d| (mean_ln_w + g.power_exponent * (d.ln() - mean_ln_d)).exp()),
        });
        series.push(Series {
            label: format!("e^({:.2} d)", g.exponential_rate),
            values: curve(&|d| (mean_ln_w + g.exponential_rate * (d - mean_d)).exp()),
        });
    }
    Panel {
        title: format!("width needed for error {target}"),
        x_label: "d".into(),
        y_label: "width".into(),
        log_y: true,
        series,
    }
}

/// One row per dimension.
pub fn table(report: &Report) -> Vec<Vec<String>> {
    let mut rows = vec![[
        "d",
        "GD contraction",
        "GD error",
        "grid values (full)",
        "widths tried: error",
        "width needed",
        "width needed (loose)",
    ]
    .map(String::from)
    .to_vec()];
    for d in &report.dimensions {
        let ladder: Vec<String> = d
            .fits
            .iter()
            .map(|f| format!("{}: {:.3}", f.width, f.error))
            .collect();
        rows.push(vec![
            d.dim.to_string(),
            format!("{:.3}", d.reduced.contraction),
            format!(
                "{:.2e}",
                d.reduced.errors.last().copied().unwrap_or(f64::NAN)
            ),
            format!(
                "{} ({})",
                d.reduced.grid_values,
                d.full
                    .as_ref()
                    .map_or("-".into(), |f| f.grid_values.to_string())
            ),
            ladder.join(", "),
            d.width_needed.map_or("none".into(), |w| format!("{w:.1}")),
            d.loose_width_needed
                .map_or("none".into(), |w| format!("{w:.1}")),
        ]);
    }
    rows
}

pub fn page_text(report: &Report) -> Vec<String> {
    let s = &report.settings;
    let describe = |growth: &Option<Growth>, target: f64| {
        growth.as_ref().map_or(
            format!("Too few dimensions met error {target} to fit the growth."),
            |g| {
                format!(
                    "Width needed for error {target} against d ({} dimensions): power law \
                     d^{:.2} (RMS residual {:.3} in ln width), exponential e^({:.3} d) (RMS \
                     residual {:.3}).",
                    g.points,
                    g.power_exponent,
                    g.power_residual,
                    g.exponential_rate,
                    g.exponential_residual
                )
            },
        )
    };
    vec![
        "Claim: the network size needed to solve a nonlinear variational elliptic PDE to a fixed \
         error grows polynomially, not exponentially, in the dimension d."
            .to_string(),
        format!(
            "u* = sum of {} ridge functions on [0,1)^d, L(p) = Σ ½p² + {}√(1+p²). Function-space \
             GD: spectral, {} points per axis, rate 2/(2+κ). Networks: two-layer tanh on the \
             periodic embedding, {} Adam steps at {}, {} fresh Monte Carlo points per step, \
             error on {} test points, target {}.",
            s.terms, s.kappa, s.grid, s.steps, s.rate, s.batch, s.test_points, s.target
        ),
        describe(&report.growth, s.target),
        describe(&report.loose_growth, s.loose_target),
    ]
}
