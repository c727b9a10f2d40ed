//! The two multivariate series, their chronological split and their windows.
//!
//! * `macrodata`: statsmodels' US macroeconomic data (12 quarterly series, 1959Q1–2009Q3, 203
//!   rows; `data/timeseries/macrodata.csv`, written by `tools/statsmodels_series.py`).
//! * Lorenz-96: `dxᵢ/dt = (xᵢ₊₁ − xᵢ₋₂) xᵢ₋₁ − xᵢ + F` on a ring of `N` variates (RK4), observed every
//!   `every` steps with Gaussian noise: each variate is driven by its neighbours, so the future of
//!   one is written in the past of others — the multivariate correlation the inverted model is
//!   claimed to capture.
//!
//! Each series is split 70 / 10 / 20 % in time (train / validation / test) and every variate is
//! standardised with the training part's mean and standard deviation (the paper's protocol); a
//! window's input may reach back before its split's start, its target may not.

use crate::{Error, Result};
use candle_core::{Device, Tensor};
use inversa::numerics::gaussian;
use rand_chacha::ChaCha8Rng;

const MACRODATA: &str = include_str!("../../../../data/timeseries/macrodata.csv");

/// A series, `steps × variates`, row-major (one row per time step).
#[derive(Clone, Debug)]
pub struct Series {
    pub names: Vec<String>,
    pub values: Vec<f64>,
    pub variates: usize,
}

impl Series {
    pub fn steps(&self) -> usize {
        self.values.len() / self.variates
    }

    /// Only the variates `keep`, in that order.
    pub fn select(&self, keep: &[usize]) -> Series {
        let values = self
            .values
            .chunks(self.variates)
            .flat_map(|row| keep.iter().map(move |&j| row[j]))
            .collect();
        Series {
            names: keep.iter().map(|&j| self.names[j].clone()).collect(),
            values,
            variates: keep.len(),
        }
    }
}

/// The bundled macroeconomic series.
pub fn macrodata() -> Result<Series> {
    let mut lines = MACRODATA.lines();
    let header = lines.next().unwrap_or_default();
    let names: Vec<String> = header.split(',').map(String::from).collect();
    let mut values = Vec::new();
    for (row, line) in lines.enumerate() {
        for cell in line.split(',') {
            let value = cell.trim().parse::<f64>().map_err(|e| {
                Error::setting("data", format!("macrodata.csv row {}: {e}", row + 2))
            })?;
            values.push(value);
        }
    }
    Ok(Series {
        variates: names.len(),
        names,
        values,
    })
}

/// The Lorenz-96 right-hand side on the ring.
fn lorenz_rate(x: &[f64], forcing: f64) -> Vec<f64> {
    let n = x.len();
    (0..n)
        .map(|i| (x[(i + 1) % n] - x[(i + n - 2) % n]) * x[(i + n - 1) % n] - x[i] + forcing)
        .collect()
}

fn rk4(x: &[f64], dt: f64, forcing: f64) -> Vec<f64> {
    let along = |base: &[f64], k: &[f64], h: f64| -> Vec<f64> {
        base.iter().zip(k).map(|(b, k)| b + h * k).collect()
    };
    let k1 = lorenz_rate(x, forcing);
    let k2 = lorenz_rate(&along(x, &k1, dt / 2.0), forcing);
    let k3 = lorenz_rate(&along(x, &k2, dt / 2.0), forcing);
    let k4 = lorenz_rate(&along(x, &k3, dt), forcing);
    (0..x.len())
        .map(|i| x[i] + dt / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]))
        .collect()
}

/// How the Lorenz-96 series is simulated.
pub struct Lorenz {
    pub variates: usize,
    pub steps: usize,
    pub forcing: f64,
    /// RK4 step.
    pub dt: f64,
    /// RK4 steps per observation.
    pub every: usize,
    /// Standard deviation of the observation noise.
    pub noise: f64,
}

/// Simulates from a seeded perturbation of the rest state `x = F`, after a spin-up of 20 time
/// units onto the attractor.
pub fn lorenz96(spec: &Lorenz, rng: &mut ChaCha8Rng) -> Series {
    let n = spec.variates;
    let mut x: Vec<f64> = gaussian(rng, n)
        .iter()
        .map(|g| spec.forcing + 0.01 * g)
        .collect();
    for _ in 0..(20.0 / spec.dt) as usize {
        x = rk4(&x, spec.dt, spec.forcing);
    }
    let mut values = Vec::with_capacity(spec.steps * n);
    for _ in 0..spec.steps {
        for _ in 0..spec.every {
            x = rk4(&x, spec.dt, spec.forcing);
        }
        let noise = gaussian(rng, n);
        values.extend(x.iter().zip(&noise).map(|(v, e)| v + spec.noise * e));
    }
    Series {
        names: (0..n).map(|i| format!("x{i}")).collect(),
        values,
        variates: n,
    }
}

/// The split ends (train, validation) in time steps, at 70 % and 80 %.
pub fn split_ends(steps: usize) -> (usize, usize) {
    (steps * 7 / 10, steps * 8 / 10)
}

/// Standardises every variate with the mean and standard deviation of rows `..train_end`.
pub fn standardise(series: &Series, train_end: usize) -> Series {
    let n = series.variates;
    let mut out = series.clone();
    for j in 0..n {
        let column: Vec<f64> = (0..train_end).map(|t| series.values[t * n + j]).collect();
        let mean = column.iter().sum::<f64>() / train_end as f64;
        let var = column.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / train_end as f64;
        // A constant training column would divide by zero; it is only centred.
        let std = if var > 0.0 { var.sqrt() } else { 1.0 };
        for t in 0..series.steps() {
            out.values[t * n + j] = (series.values[t * n + j] - mean) / std;
        }
    }
    out
}

/// Forecast windows on a standardised series: window `k` reads rows `start_k − lookback ..
/// start_k` and predicts rows `start_k .. start_k + horizon`.
#[derive(Clone, Debug)]
pub struct Windows {
    pub series: Series,
    pub lookback: usize,
    pub horizon: usize,
    pub starts: Vec<usize>,
}

impl Windows {
    /// Every window whose target lies in rows `from .. to` (and whose input starts at row ≥ 0).
    pub fn within(
        series: &Series,
        lookback: usize,
        horizon: usize,
        from: usize,
        to: usize,
    ) -> Self {
        let first = from.max(lookback);
        let starts = if to >= first + horizon {
            (first..=to - horizon).collect()
        } else {
            Vec::new()
        };
        Windows {
            series: series.clone(),
            lookback,
            horizon,
            starts,
        }
    }

    pub fn len(&self) -> usize {
        self.starts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    fn rows(&self, from: usize, count: usize) -> &[f64] {
        let n = self.series.variates;
        &self.series.values[from * n..(from + count) * n]
    }

    /// Window `k`'s input (`lookback × variates`) and target (`horizon × variates`).
    pub fn pair(&self, k: usize) -> (&[f64], &[f64]) {
        let s = self.starts[k];
        (
            self.rows(s - self.lookback, self.lookback),
            self.rows(s, self.horizon),
        )
    }

    /// The inputs `[B, lookback, N]` and targets `[B, horizon, N]` of windows `picked`.
    pub fn batch(&self, picked: &[usize], device: &Device) -> Result<(Tensor, Tensor)> {
        let n = self.series.variates;
        let (mut x, mut y) = (Vec::new(), Vec::new());
        for &k in picked {
            let (input, target) = self.pair(k);
            x.extend(input.iter().map(|&v| v as f32));
            y.extend(target.iter().map(|&v| v as f32));
        }
        let b = picked.len();
        Ok((
            Tensor::from_vec(x, (b, self.lookback, n), device)?,
            Tensor::from_vec(y, (b, self.horizon, n), device)?,
        ))
    }
}

/// The three window sets of one series at one horizon.
pub struct Split {
    pub train: Windows,
    pub validation: Windows,
    pub test: Windows,
}

/// Standardises `series` with its training part and cuts the windows of each part.
pub fn split(series: &Series, lookback: usize, horizon: usize) -> Result<Split> {
    let steps = series.steps();
    let (train_end, validation_end) = split_ends(steps);
    let standard = standardise(series, train_end);
    let cut = |from, to| Windows::within(&standard, lookback, horizon, from, to);
    let split = Split {
        train: cut(0, train_end),
        validation: cut(train_end, validation_end),
        test: cut(validation_end, steps),
    };
    if split.train.is_empty() || split.validation.is_empty() || split.test.is_empty() {
        return Err(Error::setting(
            "horizons",
            format!(
                "lookback {lookback} + horizon {horizon} leaves no window in one of the parts \
                 ({train_end}, {}, {} rows) of a {steps}-step series",
                validation_end - train_end,
                steps - validation_end
            ),
        ));
    }
    Ok(split)
}
