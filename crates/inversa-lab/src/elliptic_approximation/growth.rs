//! The width a network needs for the target error, read off the width ladder, and the fit of its
//! growth in `d` by a power law against an exponential.

use super::ritz::Fit;
use serde::Serialize;

/// The width at which the error crosses `target`, interpolated log-log between the last ladder
/// width above it and the first at or below it; the first width itself when that one already
/// meets it (an upper bound then), `None` when no width does.
pub fn width_needed(fits: &[Fit], target: f64) -> Option<f64> {
    let hit = fits.iter().position(|f| f.error <= target)?;
    let meets = &fits[hit];
    let Some(before) = hit.checked_sub(1).map(|i| &fits[i]) else {
        return Some(meets.width as f64);
    };
    let (e0, e1) = (before.error.ln(), meets.error.ln());
    let (w0, w1) = ((before.width as f64).ln(), (meets.width as f64).ln());
    if e0 <= e1 {
        return Some(meets.width as f64);
    }
    Some((w0 + (target.ln() - e0) / (e1 - e0) * (w1 - w0)).exp())
}

/// Least-squares fits of `ln width` against `ln d` (polynomial) and against `d` (exponential).
#[derive(Clone, Debug, Serialize)]
pub struct Growth {
    /// `β` of `width ∝ d^β`.
    pub power_exponent: f64,
    /// RMS of the fit's residuals in `ln width`.
    pub power_residual: f64,
    /// `γ` of `width ∝ e^{γ d}`.
    pub exponential_rate: f64,
    pub exponential_residual: f64,
    /// Dimensions that entered the fits (those where some width met the target).
    pub points: usize,
}

/// The fits through `(d, width)`, `None` with fewer than two points.
pub fn fit(points: &[(f64, f64)]) -> Option<Growth> {
    if points.len() < 2 {
        return None;
    }
    let ln_w: Vec<f64> = points.iter().map(|p| p.1.ln()).collect();
    let ln_d: Vec<f64> = points.iter().map(|p| p.0.ln()).collect();
    let d: Vec<f64> = points.iter().map(|p| p.0).collect();
    let (power_exponent, power_residual) = line(&ln_d, &ln_w);
    let (exponential_rate, exponential_residual) = line(&d, &ln_w);
    Some(Growth {
        power_exponent,
        power_residual,
        exponential_rate,
        exponential_residual,
        points: points.len(),
    })
}

/// The slope of the least-squares line of `y` on `x` and the RMS of its residuals.
fn line(x: &[f64], y: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let sxx: f64 = x.iter().map(|a| (a - mx).powi(2)).sum();
    let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let slope = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    let residual = x
        .iter()
        .zip(y)
        .map(|(a, b)| (b - my - slope * (a - mx)).powi(2))
        .sum::<f64>()
        / n;
    (slope, residual.sqrt())
}
