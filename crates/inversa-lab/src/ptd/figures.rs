//! The PTD experiment's figures and page text.

use super::transfer::Approximation;
use super::Report;
use inversa::report::plot::{Panel, Series};

fn series(label: &str, values: Vec<(f64, f64)>) -> Series {
    Series {
        label: label.into(),
        values,
    }
}

fn panel(title: &str, x_label: &str, y_label: &str, log_y: bool, series: Vec<Series>) -> Panel {
    Panel {
        title: title.into(),
        x_label: x_label.into(),
        y_label: y_label.into(),
        log_y,
        series,
    }
}

/// A constant over the range of `xs`.
fn level(xs: &[f64], y: f64) -> Vec<(f64, f64)> {
    let low = xs.iter().cloned().fold(f64::INFINITY, f64::min);
    let high = xs.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    vec![(low, y), (high, y)]
}

/// The transfer-function figure (error against ε, against κ(V), against n) and the training
/// figure (loss per epoch, accuracy against the noise amplitude).
pub fn figures(report: &Report) -> [Vec<Panel>; 2] {
    let log_eps: Vec<f64> = report.sweep.iter().map(|a| a.epsilon.log10()).collect();
    let against = |f: fn(&Approximation) -> f64| -> Vec<(f64, f64)> {
        report
            .sweep
            .iter()
            .map(|a| (a.epsilon.log10(), f(a)))
            .collect()
    };
    let epsilon = panel(
        &format!(
            "n = {}: transfer-function error against ε",
            report.settings.state_size
        ),
        "log10 ε = log10 ‖E‖₂",
        "sup |G̃(iω) − G(iω)| / sup |G|",
        true,
        vec![
            series("PTD (diagonalise A + E)", against(|a| a.transfer_error)),
            series(
                "S4D (drop the rank-one term)",
                level(&log_eps, report.s4d.transfer_error),
            ),
            series(
                "direct (diagonalise A, ε = 0)",
                level(&log_eps, report.direct.transfer_error),
            ),
            series(
                "ε",
                report
                    .sweep
                    .iter()
                    .map(|a| (a.epsilon.log10(), a.epsilon))
                    .collect(),
            ),
        ],
    );
    let condition = panel(
        "error against the eigenvector condition number",
        "log10 κ(V)",
        "sup relative error",
        true,
        vec![
            series(
                "PTD, one point per ε",
                report
                    .sweep
                    .iter()
                    .map(|a| (a.condition.log10(), a.transfer_error))
                    .collect(),
            ),
            series(
                "S4D",
                vec![(report.s4d.condition.log10(), report.s4d.transfer_error)],
            ),
            series(
                "direct",
                vec![(
                    report.direct.condition.log10(),
                    report.direct.transfer_error,
                )],
            ),
        ],
    );
    let size = |f: fn(&super::SizeRow) -> f64| -> Vec<(f64, f64)> {
        report
            .sizes
            .iter()
            .map(|r| ((r.n as f64).log2(), f(r)))
            .collect()
    };
    let sizes = panel(
        &format!(
            "error against n (PTD at ε = {:.0e})",
            report.settings.ptd_epsilon
        ),
        "log2 n",
        "sup relative error",
        true,
        vec![
            series("S4D", size(|r| r.s4d.transfer_error)),
            series("PTD", size(|r| r.ptd.transfer_error)),
            series("direct", size(|r| r.direct.transfer_error)),
            series("κ(V) of PTD", size(|r| r.ptd.condition)),
        ],
    );
    let runs = &report.training.runs;
    let losses = panel(
        "sequential Fashion-MNIST: training loss",
        "epoch",
        "mean cross-entropy",
        false,
        runs.iter()
            .map(|r| {
                series(
                    &r.name,
                    r.losses
                        .iter()
                        .enumerate()
                        .map(|(e, &l)| ((e + 1) as f64, l))
                        .collect(),
                )
            })
            .collect(),
    );
    let amplitudes = &report.settings.noise_amplitudes;
    let accuracy = panel(
        "test accuracy with a Fourier mode added to the input",
        "amplitude a (pixel standard deviations)",
        "accuracy",
        false,
        runs.iter()
            .map(|r| {
                series(
                    &r.name,
                    amplitudes
                        .iter()
                        .cloned()
                        .zip(r.accuracy.iter().cloned())
                        .collect(),
                )
            })
            .collect(),
    );
    [vec![epsilon, condition, sizes], vec![losses, accuracy]]
}

pub fn page_text(report: &Report) -> Vec<String> {
    let best = report
        .sweep
        .iter()
        .min_by(|a, b| a.transfer_error.total_cmp(&b.transfer_error));
    let mut lines = vec![
        "Claims: diagonalising HiPPO-LegS directly is ill-posed (κ(V) explodes); S4D's diagonal \
         system (the normal part, the rank-one term dropped) has a transfer-function error that \
         does not vanish; PTD (diagonalise A + E, ‖E‖ = ε) trades an O(ε) error against κ(V_ε) \
         and gets close to LegS; trained S4-PTD is more robust than S4D to Fourier-mode noise."
            .to_string(),
        format!(
            "Checks: LegS fixed points against the exact Legendre coefficients {:.1e}; the normal \
             part's commutator {:.1e}.",
            report.checks.legs_fixed_points, report.checks.normal_part_commutator
        ),
        format!(
            "n = {}: S4D error {:.2e} (κ = {:.1e}); direct diagonalisation κ = {:.1e}, error {:.2e}.",
            report.settings.state_size,
            report.s4d.transfer_error,
            report.s4d.condition,
            report.direct.condition,
            report.direct.transfer_error
        ),
    ];
    if let Some(b) = best {
        lines.push(format!(
            "PTD's smallest error {:.2e} at ε = {:.0e} (κ(V_ε) = {:.1e}, backward error {:.1e}).",
            b.transfer_error, b.epsilon, b.condition, b.backward_error
        ));
    }
    lines.push(format!("Training data: {}.", report.training.data));
    for run in &report.training.runs {
        let cells: Vec<String> = report
            .settings
            .noise_amplitudes
            .iter()
            .zip(&run.accuracy)
            .map(|(a, acc)| format!("a = {a}: {:.1} %", 100.0 * acc))
            .collect();
        lines.push(format!(
            "{}: {} ({:.0} s).",
            run.name,
            cells.join(", "),
            run.seconds
        ));
    }
    lines
}
