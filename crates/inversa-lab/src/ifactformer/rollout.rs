//! Autoregressive rollouts on the held-out trajectories: each network applied to its own output
//! `horizon` times from the filtered truth's first field. Per step: the relative error
//! `‖ω̂ − ω‖/‖ω‖` against the filtered truth (mean over trajectories); a trajectory diverges at the
//! first step whose mean kinetic energy is not finite or exceeds `blow_up` times the largest of
//! the training data, and is then dropped (its field set to zero) — a divergence is counted with
//! its step, never turned into a number. The energy spectra are averaged over the last quarter
//! of the horizon.

use super::data::Trajectory;
use super::model::{batch, Network};
use crate::pde::kolmogorov_flow::{energy_spectrum, Solver};
use crate::Result;
use serde::Serialize;

/// One network's rollout.
#[derive(Clone, Debug, Serialize)]
pub struct Rollout {
    pub name: &'static str,
    /// Mean relative error at steps `1 …`, up to the step before the first divergence (the
    /// whole horizon when none diverged).
    pub errors: Vec<f64>,
    /// The step at which each trajectory diverged, if it did.
    pub diverged_at: Vec<Option<usize>>,
    /// The earliest of those.
    pub first_divergence: Option<usize>,
    /// `E(k)`, `k = 1 …`, over the last quarter, of the trajectories that never diverged (none
    /// when all did).
    pub late_spectrum: Option<Vec<f64>>,
    /// Mean over `k` of `|log₁₀ E(k) − log₁₀ E_truth(k)|` of the late spectra.
    pub spectrum_distance: Option<f64>,
    /// Late mean kinetic energy over the truth's.
    pub energy_ratio: Option<f64>,
    /// Trajectory 0's last field before it diverged (or its last).
    #[serde(skip)]
    pub snapshot: Vec<f64>,
}

/// The first step of the late window.
pub fn late_start(horizon: usize) -> usize {
    horizon - horizon / 4
}

/// The truth's late spectrum (all trajectories).
pub fn truth_spectrum(coarse: &Solver, test: &[Trajectory]) -> Vec<f64> {
    let from = late_start(test[0].len() - 1);
    let fields: Vec<&[f64]> = test
        .iter()
        .flat_map(|t| t[from..].iter().map(|f| f.as_slice()))
        .collect();
    mean_spectrum(coarse, &fields)
}

fn mean_spectrum(coarse: &Solver, fields: &[&[f64]]) -> Vec<f64> {
    let mut sum = vec![0.0; coarse.flow.n / 2 - 1];
    for field in fields {
        for (s, e) in sum.iter_mut().zip(energy_spectrum(coarse, field)) {
            *s += e / fields.len() as f64;
        }
    }
    sum
}

/// The mean kinetic energy `Σ_k E(k)` of a coarse field.
pub fn energy(coarse: &Solver, field: &[f64]) -> f64 {
    energy_spectrum(coarse, field).iter().sum()
}

/// The relative L2 distance of two fields.
pub fn relative_error(estimate: &[f64], truth: &[f64]) -> f64 {
    let (e, t) = estimate
        .iter()
        .zip(truth)
        .fold((0.0, 0.0), |(e, t), (a, b)| {
            (e + (a - b).powi(2), t + b * b)
        });
    (e / t).sqrt()
}

/// Rolls `network` out over `test` (fields in physical units; the network sees them over `scale`).
pub fn roll(
    name: &'static str,
    network: &Network,
    coarse: &Solver,
    test: &[Trajectory],
    scale: f64,
    energy_bound: f64,
) -> Result<Rollout> {
    let (n, horizon) = (coarse.flow.n, test[0].len() - 1);
    let count = test.len();
    let starts: Vec<Vec<f64>> = test
        .iter()
        .map(|t| t[0].iter().map(|v| v / scale).collect())
        .collect();
    let mut x = batch(&starts.iter().map(|s| s.as_slice()).collect::<Vec<_>>(), n)?;
    let mut diverged_at = vec![None; count];
    let mut errors = Vec::with_capacity(horizon);
    let mut late: Vec<Vec<Vec<f64>>> = vec![Vec::new(); count];
    let mut snapshot = test[0][0].clone();
    let mut alive_errors = true;
    // `step` indexes every trajectory's truth `test[i][step]`, not one slice.
    #[allow(clippy::needless_range_loop)]
    for step in 1..=horizon {
        x = network.forward(&x)?.detach();
        let mut fields: Vec<Vec<f64>> = x
            .flatten_from(1)?
            .to_vec2::<f32>()?
            .into_iter()
            .map(|f| f.into_iter().map(|v| v as f64 * scale).collect())
            .collect();
        for (i, field) in fields.iter_mut().enumerate() {
            if diverged_at[i].is_some() {
                continue;
            }
            let energy = energy(coarse, field);
            if !(energy.is_finite() && energy <= energy_bound) {
                diverged_at[i] = Some(step);
                field.iter_mut().for_each(|v| *v = 0.0);
                continue;
            }
            if i == 0 {
                snapshot = field.clone();
            }
            if step >= late_start(horizon) {
                late[i].push(field.clone());
            }
        }
        if diverged_at.iter().any(|d| d.is_some()) {
            alive_errors = false;
        }
        if alive_errors {
            let mean = (0..count)
                .map(|i| relative_error(&fields[i], &test[i][step]))
                .sum::<f64>()
                / count as f64;
            errors.push(mean);
        }
        let flat: Vec<&[f64]> = fields.iter().map(|f| f.as_slice()).collect();
        let rescaled: Vec<Vec<f64>> = flat
            .iter()
            .map(|f| f.iter().map(|v| v / scale).collect())
            .collect();
        x = batch(
            &rescaled.iter().map(|f| f.as_slice()).collect::<Vec<_>>(),
            n,
        )?;
    }
    let survivors: Vec<&[f64]> = (0..count)
        .filter(|&i| diverged_at[i].is_none())
        .flat_map(|i| late[i].iter().map(|f| f.as_slice()))
        .collect();
    let truth = truth_spectrum(coarse, test);
    let late_spectrum = (!survivors.is_empty()).then(|| mean_spectrum(coarse, &survivors));
    let spectrum_distance = late_spectrum.as_ref().map(|s| {
        s.iter()
            .zip(&truth)
            .map(|(a, b)| (a.max(1e-300).log10() - b.log10()).abs())
            .sum::<f64>()
            / truth.len() as f64
    });
    let energy_ratio = late_spectrum
        .as_ref()
        .map(|s| s.iter().sum::<f64>() / truth.iter().sum::<f64>());
    Ok(Rollout {
        name,
        errors,
        first_divergence: diverged_at.iter().flatten().copied().min(),
        diverged_at,
        late_spectrum,
        spectrum_distance,
        energy_ratio,
        snapshot,
    })
}
