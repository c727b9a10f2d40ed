//! The fitted cost exponents, the figure and the page text of the Gaunt experiment.

use super::Report;
use inversa::report::plot::{Panel, Series};

/// Least-squares slope of `ln seconds` against `ln L`.
pub fn slope(points: &[(usize, f64)]) -> f64 {
    let logs: Vec<(f64, f64)> = points
        .iter()
        .map(|&(l, t)| ((l as f64).ln(), t.ln()))
        .collect();
    let n = logs.len() as f64;
    let mean_x = logs.iter().map(|p| p.0).sum::<f64>() / n;
    let mean_y = logs.iter().map(|p| p.1).sum::<f64>() / n;
    let covariance: f64 = logs.iter().map(|p| (p.0 - mean_x) * (p.1 - mean_y)).sum();
    let variance: f64 = logs.iter().map(|p| (p.0 - mean_x).powi(2)).sum();
    covariance / variance
}

/// `(log10 L, value)` pairs.
fn log_points(points: &[(usize, f64)]) -> Vec<(f64, f64)> {
    points
        .iter()
        .map(|&(l, v)| ((l as f64).log10(), v))
        .collect()
}

/// The power law `C L^s` with the fitted `s`, through the points' geometric mean.
fn fitted(points: &[(usize, f64)], s: f64) -> Vec<(f64, f64)> {
    let n = points.len() as f64;
    let offset = points
        .iter()
        .map(|&(l, t)| t.ln() - s * (l as f64).ln())
        .sum::<f64>()
        / n;
    let line: Vec<(usize, f64)> = points
        .iter()
        .map(|&(l, _)| (l, (offset + s * (l as f64).ln()).exp()))
        .collect();
    log_points(&line)
}

/// Cost against `L` (log-log, with the fitted power laws) and the errors against `L`.
pub fn figure(report: &Report) -> Vec<Panel> {
    let fft: Vec<(usize, f64)> = report
        .fft_timing
        .iter()
        .map(|t| (t.degree, t.seconds))
        .collect();
    let direct: Vec<(usize, f64)> = report
        .direct_timing
        .iter()
        .map(|t| (t.degree, t.seconds))
        .collect();
    let s = &report.slopes;
    let cost = Panel {
        title: "seconds per product against L (L1 = L2 = L)".into(),
        x_label: "log10 L".into(),
        y_label: "seconds".into(),
        log_y: true,
        series: vec![
            Series {
                label: "FFT (Fourier basis)".into(),
                values: log_points(&fft),
            },
            Series {
                label: "direct Gaunt sum".into(),
                values: log_points(&direct),
            },
            Series {
                label: format!("fit L^{:.2} (predicted 3)", s.fft_all),
                values: fitted(&fft, s.fft_all),
            },
            Series {
                label: format!("fit L^{:.2} (predicted 5)", s.direct_all),
                values: fitted(&direct, s.direct_all),
            },
        ],
    };
    let column = |f: fn(&super::Accuracy) -> f64| -> Vec<(f64, f64)> {
        let points: Vec<(usize, f64)> = report.accuracy.iter().map(|a| (a.degree, f(a))).collect();
        log_points(&points)
    };
    let timed: Vec<(usize, f64)> = report
        .direct_timing
        .iter()
        .map(|t| (t.degree, t.fft_vs_direct))
        .collect();
    let errors = Panel {
        title: "relative error of the FFT product against L".into(),
        x_label: "log10 L".into(),
        y_label: "max |error| / max |z|".into(),
        log_y: true,
        series: vec![
            Series {
                label: "vs direct sum (3j)".into(),
                values: column(|a| a.fft_vs_direct),
            },
            Series {
                label: "vs quadrature".into(),
                values: column(|a| a.fft_vs_quadrature),
            },
            Series {
                label: "equivariance TP(Dx,Dy) vs D TP(x,y)".into(),
                values: column(|a| a.equivariance),
            },
            Series {
                label: "vs direct sum at the timed degrees".into(),
                values: log_points(&timed),
            },
        ],
    };
    vec![cost, errors]
}

pub fn page_text(report: &Report) -> Vec<String> {
    let w = &report.worst;
    let s = &report.slopes;
    let speedup = report.direct_timing.last().and_then(|d| {
        let f = report.fft_timing.iter().find(|f| f.degree == d.degree)?;
        Some((d.degree, d.seconds / f.seconds))
    });
    let mut lines = vec![
        "Claims: the Gaunt tensor product computed through the 2-D Fourier basis and an FFT \
         equals the direct sum over Gaunt coefficients; it is rotation equivariant; it costs \
         O(L³) against the direct O(L⁶) (O(L⁵) for the sparse direct sum timed here)."
            .to_string(),
        format!(
            "L = 1 … {}: the FFT product against the direct sum with 3j coefficients {:.1e}, \
             against quadrature {:.1e} (the references against each other {:.1e}); \
             equivariance under {} random rotations per degree {:.1e} (Wigner-D unitary to \
             {:.1e}).",
            w.degree,
            w.fft_vs_direct,
            w.fft_vs_quadrature,
            w.direct_vs_quadrature,
            report.settings.rotations,
            w.equivariance,
            w.wigner_unitarity
        ),
        format!(
            "Fitted cost exponents: FFT {:.2} over all degrees, {:.2} over the upper half \
             (predicted 3); direct {:.2} and {:.2} (predicted 5). At small L constant costs \
             dominate, so the slopes there are below the asymptotic ones.",
            s.fft_all, s.fft_upper_half, s.direct_all, s.direct_upper_half
        ),
    ];
    if let Some((degree, ratio)) = speedup {
        lines.push(format!(
            "At L = {degree} the FFT product is {ratio:.1}× faster than the direct sum."
        ));
    }
    lines
}
