//! Self-distillation with weighted ground-truth targets in kernel ridge regression (K. Borup,
//! L. N. Andersen, "Even your Teacher Needs Guidance: Ground-Truth Targets Dampen Regularization
//! Imposed by Self-Distillation", NeurIPS 2021, arXiv:2102.13088).
//!
//! Step 0 fits the labels `y`; step `τ` fits the mixture of the labels and the previous step's
//! predictions on the training inputs,
//!
//! ```text
//! ỹ^(τ) = α_τ y + (1 − α_τ) ŷ^(τ−1),   β^(τ) = (K + cI)⁻¹ ỹ^(τ),   ŷ^(τ) = K β^(τ),
//! ```
//!
//! (the minimiser of `‖ỹ^(τ) − f(X)‖² + c‖f‖²_H`). With `K = V diag(d) Vᵀ` and
//! `p_k = d_k/(d_k + c)` the paper's closed forms read:
//!
//! * every step is a spectral filter of the labels, `ŷ^(τ) = V diag(a^(τ)) Vᵀ y` with
//!   `a^(0) = p`, `a^(τ) = p ⊙ (α_τ + (1 − α_τ) a^(τ−1))`; so every distilled fit is a function of
//!   the initial fit alone: `ŷ^(τ) = V diag(a^(τ)/p) Vᵀ ŷ^(0)`, `a^(τ)/p` a polynomial in `p`;
//!   for a constant `α`, `a^(τ) = p [α (1 − r^τ)/(1 − r) + r^τ]`, `r = (1 − α) p`;
//! * infinitely many steps with a constant `α > 0` converge to `a^(∞) = α p / (1 − (1 − α) p)
//!   = d/(d + c/α)`: the original problem with the regularisation amplified from `c` to `c/α`;
//! * the fit of step `τ` is affine in `α_τ` (`ŷ(α) = v + α u`, `v` the fit with `α = 0`, `u` the
//!   difference to `α = 1`), so the weight minimising a squared error `‖ŷ(α) − r‖²` is
//!   `α* = ⟨u, r − v⟩ / ‖u‖²`, clipped to `[0, 1]`.
//!
//! The protocol draws noisy samples of a smooth function, checks each closed form against
//! brute-force iteration (a Cholesky solve per step, no eigendecomposition), the optimal weight
//! against a grid search over `α` (each point refitted), and measures the test error of the steps
//! for several weightings, against ridge regression whose `c` is tuned on the same validation set.

use crate::error::check_memory;
use crate::outcome::{report_page, Artifact, Outcome};
use crate::{Error, Result};
use inversa::report::plot::{Panel, Series};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

mod krr;
use krr::{run_seed, SeedResult, WEIGHTINGS};

/// The experiment's settings (read from Python's keywords, where a missing one keeps its default
/// and an unknown one is an error).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub seed: u64,
    /// Data sets drawn (medians are over them).
    pub seeds: usize,
    /// Training, validation and test points.
    pub train: usize,
    pub validation: usize,
    pub test: usize,
    /// Standard deviation of the label noise.
    pub noise: f64,
    /// Length scale of the Gaussian kernel.
    pub length_scale: f64,
    /// Ridge weights `c` (one regime each): small, where the initial fit overfits and pure
    /// self-distillation helps, and larger, where it over-regularises and the labels' weight
    /// matters.
    pub ridges: Vec<f64>,
    /// Distillation steps after the initial fit.
    pub steps: usize,
    /// Points of the grid search over `α ∈ [0, 1]`.
    pub grid: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            seed: 0,
            seeds: 20,
            train: 60,
            validation: 60,
            test: 500,
            noise: 0.5,
            length_scale: 0.08,
            ridges: vec![0.03, 0.3],
            steps: 10,
            grid: 201,
        }
    }
}

impl Settings {
    /// The small setting of the test and of `--quick`.
    pub fn quick() -> Self {
        Self {
            seeds: 10,
            train: 30,
            validation: 30,
            test: 200,
            steps: 6,
            grid: 101,
            ..Self::default()
        }
    }

    fn check(&self) -> Result<()> {
        for (key, value, least) in [
            ("seeds", self.seeds, 1),
            ("train", self.train, 4),
            ("validation", self.validation, 4),
            ("test", self.test, 1),
            ("steps", self.steps, 1),
            ("grid", self.grid, 3),
        ] {
            if value < least {
                let message = format!("must be at least {least}, got {value}");
                return Err(Error::setting(key, message));
            }
        }
        if self.ridges.is_empty() {
            return Err(Error::setting("ridges", "needs at least one value"));
        }
        let ridges = self.ridges.iter().map(|&c| ("ridges", c));
        for (key, value) in [("noise", self.noise), ("length_scale", self.length_scale)]
            .into_iter()
            .chain(ridges)
        {
            if !(value.is_finite() && value > 0.0) {
                let message = format!("must be positive and finite, got {value}");
                return Err(Error::setting(key, message));
            }
        }
        // K, its factor, the eigenvectors and the two cross-kernels.
        check_memory("train", &[self.train, self.train], 8, 4)?;
        check_memory("test", &[self.test, self.train], 8, 1)
    }
}

/// `metrics.json`.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub experiment: &'static str,
    pub settings: Settings,
    /// One per ridge weight.
    pub regimes: Vec<Regime>,
}

/// The results at one ridge weight `c`.
#[derive(Clone, Debug, Serialize)]
pub struct Regime {
    pub ridge: f64,
    pub checks: Checks,
    /// Test MSE against the step (0 = the initial fit), median over the data sets.
    pub strategies: Vec<Strategy>,
    /// Ridge regression with `c` tuned on the validation set: the baseline distillation must beat
    /// to be worth its steps.
    pub tuned_ridge_test_mse: f64,
    /// 1 − (mean test MSE with the validation-optimal weights, stopped at the step of least
    /// validation MSE) / (the initial fit's mean test MSE), over the data sets.
    pub gain_over_initial: f64,
    /// The same after all the steps.
    pub gain_over_initial_final_step: f64,
    /// The first against tuned ridge regression (negative: tuned ridge is better).
    pub gain_over_tuned_ridge: f64,
    /// The same for pure self-distillation (`α = 0`) after all the steps: negative where the
    /// regularisation it adds becomes too much.
    pub gain_without_labels_final_step: f64,
    /// Fraction of the validation-optimal weights strictly inside (0, 1).
    pub interior_weights: f64,
}

/// The closed forms against brute force, worst case over the data sets.
#[derive(Clone, Debug, Serialize)]
pub struct Checks {
    /// Eigen closed form (spectral filter) against step-by-step refitting: relative difference
    /// of the training and test predictions, every step and weighting.
    pub closed_form_vs_iteration: f64,
    /// `V diag(a/p) Vᵀ ŷ^(0)` (from the initial fit alone) against refitting.
    pub from_initial_fit_vs_iteration: f64,
    /// The geometric-series form for a constant `α` against refitting.
    pub constant_weight_form_vs_iteration: f64,
    /// Many refitting steps against one ridge fit with `c/α`, `α ∈ {0.25, 0.5, 0.75}`.
    pub limit_vs_amplified_ridge: f64,
    /// `|α*(closed form) − α(grid minimiser)|`, in grid spacings.
    pub optimal_weight_vs_grid_spacings: f64,
    /// Grid minimum of the criterion minus its value at the closed-form `α*`, relative (≥ 0 up to
    /// rounding: nothing on the grid beats the closed form).
    pub grid_minimum_minus_closed_form: f64,
}

/// Test MSE of one weighting against the step.
#[derive(Clone, Debug, Serialize)]
pub struct Strategy {
    pub name: &'static str,
    pub test_mse_median: Vec<f64>,
    pub test_mse_q90: Vec<f64>,
    /// Median weight chosen at each step (constant weightings repeat theirs).
    pub weight_median: Vec<f64>,
}

/// The figure's name.
pub const FIGURE: &str = "self_distillation.png";

/// Runs every data set at every ridge weight; `say` receives a line per regime.
pub fn run(settings: &Settings, say: &mut dyn FnMut(&str)) -> Result<Outcome<Report>> {
    settings.check()?;
    let mut regimes = Vec::new();
    let mut panels = Vec::new();
    for &ridge in &settings.ridges {
        let results: Vec<SeedResult> = (0..settings.seeds as u64)
            .into_par_iter()
            .map(|i| run_seed(settings, ridge, i))
            .collect::<Result<_>>()?;
        let regime = summarise(settings, ridge, &results);
        say(&format!(
            "c = {ridge}: test MSE {:.4} initial, gain {:.1}% (validation α* and step), \
             {:.1}% against ridge with c tuned ({:.4}); closed forms within {:.1e}",
            regime.strategies[2].test_mse_median[0],
            100.0 * regime.gain_over_initial,
            100.0 * regime.gain_over_tuned_ridge,
            regime.tuned_ridge_test_mse,
            regime.checks.closed_form_vs_iteration
        ));
        panels.push(mse_panel(settings, &regime));
        // The grid search of the data set whose closed-form weight is furthest inside (0, 1).
        if let Some(first) = results
            .iter()
            .max_by(|a, b| interiority(a.closed.0).total_cmp(&interiority(b.closed.0)))
        {
            panels.push(grid_panel(ridge, first));
        }
        regimes.push(regime);
    }
    let report = Report {
        experiment: "self-distillation",
        settings: settings.clone(),
        regimes,
    };
    let page = report_page(
        "Self-distillation in kernel ridge regression (Borup & Andersen, NeurIPS 2021)",
        &page_text(&report),
        &[FIGURE],
        &report,
    )?;
    Ok(Outcome::new(report)
        .with(FIGURE, Artifact::Plot(panels))
        .with("report.html", page))
}

/// Distance of `alpha` from the ends of `[0, 1]`.
fn interiority(alpha: f64) -> f64 {
    alpha.min(1.0 - alpha)
}

fn median(values: &[f64]) -> f64 {
    quantile(values, 0.5)
}

fn quantile(values: &[f64], q: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let position = q * (sorted.len() - 1) as f64;
    let (low, high) = (position.floor() as usize, position.ceil() as usize);
    let frac = position - low as f64;
    sorted[low] * (1.0 - frac) + sorted[high] * frac
}

fn summarise(settings: &Settings, ridge: f64, results: &[SeedResult]) -> Regime {
    let worst = |i: usize| results.iter().map(|r| r.checks[i]).fold(0.0, f64::max);
    let least = |i: usize| {
        results
            .iter()
            .map(|r| r.checks[i])
            .fold(f64::INFINITY, f64::min)
    };
    let checks = Checks {
        closed_form_vs_iteration: worst(0),
        from_initial_fit_vs_iteration: worst(1),
        constant_weight_form_vs_iteration: worst(2),
        limit_vs_amplified_ridge: worst(3),
        optimal_weight_vs_grid_spacings: worst(4),
        grid_minimum_minus_closed_form: least(5),
    };
    let strategies = WEIGHTINGS
        .iter()
        .enumerate()
        .map(|(w, weighting)| strategy(settings, results, w, weighting.name()))
        .collect();
    let mean = |f: &dyn Fn(&SeedResult) -> f64| -> f64 {
        results.iter().map(f).sum::<f64>() / results.len() as f64
    };
    let initial = mean(&|r| r.validation().test[0]);
    let last = |r: &SeedResult, w: usize| r.curves[w].test[settings.steps];
    let weights: Vec<f64> = results
        .iter()
        .flat_map(|r| r.validation().weights.iter().copied())
        .collect();
    let interior = weights.iter().filter(|&&a| a > 0.0 && a < 1.0).count();
    Regime {
        ridge,
        checks,
        strategies,
        tuned_ridge_test_mse: median(&results.iter().map(|r| r.tuned_ridge).collect::<Vec<_>>()),
        gain_over_initial: 1.0 - mean(&|r| r.validation().selected_test()) / initial,
        gain_over_initial_final_step: 1.0 - mean(&|r| last(r, 2)) / initial,
        gain_over_tuned_ridge: 1.0
            - mean(&|r| r.validation().selected_test()) / mean(&|r| r.tuned_ridge),
        gain_without_labels_final_step: 1.0 - mean(&|r| last(r, 0)) / initial,
        interior_weights: interior as f64 / weights.len().max(1) as f64,
    }
}

fn strategy(settings: &Settings, results: &[SeedResult], w: usize, name: &'static str) -> Strategy {
    let mse_at = |s: usize| -> Vec<f64> { results.iter().map(|r| r.curves[w].test[s]).collect() };
    let weight_at =
        |s: usize| -> Vec<f64> { results.iter().map(|r| r.curves[w].weights[s]).collect() };
    Strategy {
        name,
        test_mse_median: (0..=settings.steps).map(|s| median(&mse_at(s))).collect(),
        test_mse_q90: (0..=settings.steps)
            .map(|s| quantile(&mse_at(s), 0.9))
            .collect(),
        weight_median: (0..settings.steps).map(|s| median(&weight_at(s))).collect(),
    }
}

/// Test MSE against the step for each weighting, with tuned ridge as a flat line.
fn mse_panel(settings: &Settings, regime: &Regime) -> Panel {
    let mut series: Vec<Series> = regime
        .strategies
        .iter()
        .map(|s| Series::indexed(s.name, &s.test_mse_median))
        .collect();
    series.push(Series::indexed(
        "ridge, c tuned on validation",
        &vec![regime.tuned_ridge_test_mse; settings.steps + 1],
    ));
    Panel {
        title: format!("c = {}: test MSE against the step (median)", regime.ridge),
        x_label: "step (0 = initial fit)".into(),
        y_label: "test MSE".into(),
        log_y: false,
        series,
    }
}

/// The grid search of step 1 against the closed-form weight.
fn grid_panel(ridge: f64, result: &SeedResult) -> Panel {
    Panel {
        title: format!("c = {ridge}, step 1: validation MSE against alpha"),
        x_label: "alpha".into(),
        y_label: "validation MSE".into(),
        log_y: false,
        series: vec![
            Series {
                label: "grid search (each point refitted)".into(),
                values: result.grid_curve.clone(),
            },
            Series {
                label: "closed-form alpha*".into(),
                values: vec![result.closed],
            },
        ],
    }
}

fn page_text(report: &Report) -> Vec<String> {
    let mut lines = vec![
        "Claims: every distilled fit is a spectral filter of the initial fit; infinitely many \
         steps with weight α equal ridge regression with c/α; the best weight of each step has \
         a closed form; with it, distillation lowers the test error."
            .to_string(),
    ];
    for r in &report.regimes {
        let c = &r.checks;
        lines.push(format!(
            "c = {}: closed forms against refitting {:.1e} (eigen form), {:.1e} (from the \
             initial fit), {:.1e} (geometric series); limit against ridge with c/α {:.1e}; \
             closed-form α* within {:.2} grid spacings of the grid's best, which is above it by \
             {:.1e} (relative). Test MSE {:.4} → gain {:.1}% (validation-optimal α, stopped at \
             the step of least validation error), {:.1}% after all steps, {:.1}% against ridge \
             with c tuned ({:.4}); pure self-distillation (α = 0) {:.1}% after all steps; {:.0}% \
             of the weights inside (0, 1).",
            r.ridge,
            c.closed_form_vs_iteration,
            c.from_initial_fit_vs_iteration,
            c.constant_weight_form_vs_iteration,
            c.limit_vs_amplified_ridge,
            c.optimal_weight_vs_grid_spacings,
            c.grid_minimum_minus_closed_form,
            r.strategies[2].test_mse_median[0],
            100.0 * r.gain_over_initial,
            100.0 * r.gain_over_initial_final_step,
            100.0 * r.gain_over_tuned_ridge,
            r.tuned_ridge_test_mse,
            100.0 * r.gain_without_labels_final_step,
            100.0 * r.interior_weights
        ));
    }
    lines
}

#[cfg(test)]
mod tests;
