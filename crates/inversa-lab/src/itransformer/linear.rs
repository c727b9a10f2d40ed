//! The linear baseline (the paper's DLinear / "Linear" rows, channel-independent): one map
//! `ℝ^L → ℝ^S` shared by every variate, `ŷ⁽ⁿ⁾ = Wᵀ x⁽ⁿ⁾ + b`, fitted in closed form — the least
//! squares solution over every (training window, variate) pair, which is the optimum the
//! gradient training of a linear model approaches:
//!
//! ```text
//! [W; bᵀ] = (XᵀX + λI)⁻¹ XᵀY,   X rows = [x⁽ⁿ⁾ᵀ 1],  Y rows = y⁽ⁿ⁾ᵀ,  λ = 10⁻⁸ tr(XᵀX)/(L+1).
//! ```
//!
//! (`λ` only guards a singular `XᵀX`, e.g. a constant input.) With `revin` the pairs are
//! normalised by their lookback's mean and deviation, as the networks' are.

use super::data::Windows;
use serde::Serialize;

/// The fitted map: `weights[k * S + s]` (`k < L`) and `weights[L * S + s]` (bias).
#[derive(Clone, Debug)]
pub struct Linear {
    pub lookback: usize,
    pub horizon: usize,
    pub weights: Vec<f64>,
    pub revin: bool,
}

/// One variate's lookback `x` and target `y` of window `k`, normalised if `revin`, and the
/// normalisation `(μ, σ)`.
fn pair(windows: &Windows, k: usize, n: usize, revin: bool) -> (Vec<f64>, Vec<f64>, (f64, f64)) {
    let variates = windows.series.variates;
    let (input, target) = windows.pair(k);
    let x: Vec<f64> = input.iter().skip(n).step_by(variates).copied().collect();
    let y: Vec<f64> = target.iter().skip(n).step_by(variates).copied().collect();
    let (mean, std) = if revin {
        let mean = x.iter().sum::<f64>() / x.len() as f64;
        let var = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / x.len() as f64;
        (mean, (var + 1e-5).sqrt())
    } else {
        (0.0, 1.0)
    };
    let scale = |v: &Vec<f64>| v.iter().map(|a| (a - mean) / std).collect();
    (scale(&x), scale(&y), (mean, std))
}

/// Solves the symmetric positive definite `A X = B` (`A` `m × m`, `B` `m × r`) by Cholesky.
pub fn solve_spd(mut a: Vec<f64>, mut b: Vec<f64>, m: usize, r: usize) -> Vec<f64> {
    for j in 0..m {
        let d = (a[j * m + j] - (0..j).map(|k| a[j * m + k].powi(2)).sum::<f64>()).sqrt();
        a[j * m + j] = d;
        for i in j + 1..m {
            let s: f64 = (0..j).map(|k| a[i * m + k] * a[j * m + k]).sum();
            a[i * m + j] = (a[i * m + j] - s) / d;
        }
    }
    for c in 0..r {
        for i in 0..m {
            let s: f64 = (0..i).map(|k| a[i * m + k] * b[k * r + c]).sum();
            b[i * r + c] = (b[i * r + c] - s) / a[i * m + i];
        }
        for i in (0..m).rev() {
            let s: f64 = (i + 1..m).map(|k| a[k * m + i] * b[k * r + c]).sum();
            b[i * r + c] = (b[i * r + c] - s) / a[i * m + i];
        }
    }
    b
}

impl Linear {
    /// The least-squares fit on every window and variate of `train`.
    pub fn fit(train: &Windows, revin: bool) -> Linear {
        let (l, s) = (train.lookback, train.horizon);
        let m = l + 1;
        let (mut gram, mut cross) = (vec![0.0; m * m], vec![0.0; m * s]);
        for k in 0..train.len() {
            for n in 0..train.series.variates {
                let (mut x, y, _) = pair(train, k, n, revin);
                x.push(1.0);
                for i in 0..m {
                    for j in 0..m {
                        gram[i * m + j] += x[i] * x[j];
                    }
                    for c in 0..s {
                        cross[i * s + c] += x[i] * y[c];
                    }
                }
            }
        }
        let ridge = 1e-8 * (0..m).map(|i| gram[i * m + i]).sum::<f64>() / m as f64;
        for i in 0..m {
            gram[i * m + i] += ridge.max(1e-12);
        }
        Linear {
            lookback: l,
            horizon: s,
            weights: solve_spd(gram, cross, m, s),
            revin,
        }
    }

    /// Variate `n`'s forecast of window `k`, and its target.
    pub fn forecast(&self, windows: &Windows, k: usize, n: usize) -> (Vec<f64>, Vec<f64>) {
        let (x, y, (mean, std)) = pair(windows, k, n, self.revin);
        let s = self.horizon;
        let predicted = (0..s)
            .map(|c| {
                let linear: f64 = x
                    .iter()
                    .enumerate()
                    .map(|(i, v)| v * self.weights[i * s + c])
                    .sum();
                (linear + self.weights[self.lookback * s + c]) * std + mean
            })
            .collect();
        let target = y.iter().map(|v| v * std + mean).collect();
        (predicted, target)
    }

    /// Mean squared and absolute error over every window, step and variate.
    pub fn errors(&self, windows: &Windows) -> Errors {
        let (mut squared, mut absolute, mut count) = (0.0, 0.0, 0usize);
        for k in 0..windows.len() {
            for n in 0..windows.series.variates {
                let (predicted, target) = self.forecast(windows, k, n);
                for (p, t) in predicted.iter().zip(&target) {
                    squared += (p - t).powi(2);
                    absolute += (p - t).abs();
                    count += 1;
                }
            }
        }
        Errors {
            mse: squared / count as f64,
            mae: absolute / count as f64,
        }
    }
}

/// Test errors.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Errors {
    pub mse: f64,
    pub mae: f64,
}
