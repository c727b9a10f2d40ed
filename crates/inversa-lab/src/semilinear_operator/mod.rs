//! Semilinear neural operators with data assimilation, NODA (A. Singh, R. A. Borsoi, D. Erdogmus,
//! T. Imbiriba, "Learning Semilinear Neural Operators: A Unified Recursive Framework for
//! Prediction and Data Assimilation", ICLR 2024, arXiv:2402.15656).
//!
//! A semilinear PDE `ẋ = A x + N(x)` is learned as its exact linear semigroup plus a learned
//! nonlinearity, and an observer adds a learned correction driven by the innovation of sparse
//! noisy readings `y = H x + ε` (a Luenberger/Kalman-style observer in function space):
//!
//! ```text
//! prediction:    x_{n+1} = e^{Δt A} x_n + Δt φ₁(Δt A) N_θ(x_n)
//! assimilation:  x_{n+1} = e^{Δt A} x_n + Δt φ₁(Δt A) [ N_θ(x_n) + K_ψ(Hᵀ(y_n − H x_n)) ]
//! ```
//!
//! ([`operator`]). Claim: with assimilation the error stays bounded over horizons far longer than
//! the training windows, where prediction alone drifts away (the dynamics are chaotic).
//!
//! Protocol. Kuramoto–Sivashinsky `u_t = −u u_x − u_xx − u_xxxx` on `[0, 22)` (chaotic), simulated
//! here by ETDRK4 with the linear part exact ([`crate::pde::kuramoto_sivashinsky`]) and sampled
//! every `Δt`. `N_θ` is trained on rollouts of `window` steps, then `K_ψ` on observer rollouts
//! ([`train`]). On held-out trajectories over `horizon` steps (many windows long): the relative
//! error against time of prediction from the true start, of the learned observer from the zero
//! field, and of the same operator with a fixed, tuned nudging gain ([`rollout`]); a space–time
//! picture of the truth and the three estimates ([`figures`]).

use crate::outcome::{report_page_with_table, Artifact, Outcome};
use crate::Result;
use serde::Serialize;
use std::time::Instant;

mod build;
mod data;
mod figures;
mod operator;
mod rollout;
mod settings;
mod train;

pub use rollout::FixedGain;
pub use settings::Settings;

/// The error plot's name.
pub const FIGURE: &str = "semilinear_operator.png";
/// The space–time picture's name.
pub const SPACE_TIME: &str = "semilinear_space_time.png";

/// `metrics.json`.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub experiment: &'static str,
    pub settings: Settings,
    pub sensor_positions: Vec<usize>,
    /// RMS of the training data, and the readings' noise spread (`noise · rms`).
    pub data_rms: f64,
    pub noise_sigma: f64,
    /// The horizon in training windows.
    pub horizon_over_window: f64,
    pub predictor_loss: Vec<f64>,
    pub observer_loss: Vec<f64>,
    pub fixed_gain: FixedGain,
    /// Time `t = n Δt` of every step of the curves.
    pub times: Vec<f64>,
    pub estimators: Vec<Estimate>,
    pub train_seconds: f64,
    /// The claim's three parts at this run (see the README).
    pub assimilated_below_prediction: bool,
    pub assimilated_not_growing: bool,
    pub prediction_grows: bool,
}

/// One estimator's error curve and its summaries.
#[derive(Clone, Debug, Serialize)]
pub struct Estimate {
    pub name: &'static str,
    /// Mean relative error over the held-out trajectories at every step.
    pub errors: Vec<f64>,
    /// The error after one training window.
    pub at_window: f64,
    /// Means over the third and fourth quarters of the horizon.
    pub third_quarter: f64,
    pub fourth_quarter: f64,
    /// The largest error over the second half.
    pub second_half_max: f64,
    /// Mean over the last tenth of the horizon.
    pub final_error: f64,
}

impl Estimate {
    fn new(name: &'static str, errors: Vec<f64>, window: usize) -> Self {
        let steps = errors.len();
        let mean = |from: usize, to: usize| {
            let part = &errors[from..to.max(from + 1)];
            part.iter().sum::<f64>() / part.len() as f64
        };
        Self {
            name,
            at_window: errors[window.min(steps - 1)],
            third_quarter: mean(steps / 2, 3 * steps / 4),
            fourth_quarter: mean(3 * steps / 4, steps),
            second_half_max: errors[steps / 2..].iter().copied().fold(0.0, f64::max),
            final_error: mean(steps - steps.div_ceil(10), steps),
            errors,
        }
    }
}

/// Simulates, trains both stages, tunes the fixed gain and runs the three estimators; `say` gets
/// a line per stage.
pub fn run(settings: &Settings, say: &mut dyn FnMut(&str)) -> Result<Outcome<Report>> {
    settings.check()?;
    let clock = Instant::now();
    let built = build::Built::new(settings, say)?;
    let train_seconds = clock.elapsed().as_secs_f64();
    say(&format!("trained in {train_seconds:.1} s"));
    let runs = built.evaluate(settings)?;
    let window = settings.window;
    let estimators: Vec<Estimate> = runs
        .iter()
        .map(|(name, run)| Estimate::new(name, run.errors.clone(), window))
        .collect();
    for e in &estimators {
        say(&format!(
            "{}: error {:.3} after one window, {:.3} at the end (quarters 3/4: {:.3}/{:.3})",
            e.name, e.at_window, e.final_error, e.third_quarter, e.fourth_quarter
        ));
    }
    let (prediction, learned) = (&estimators[0], &estimators[1]);
    let report = Report {
        experiment: "semilinear-operator",
        settings: settings.clone(),
        sensor_positions: built.sensors.positions.clone(),
        data_rms: built.model.scale,
        noise_sigma: built.sigma,
        horizon_over_window: settings.horizon as f64 / window as f64,
        predictor_loss: built.predictor_loss.clone(),
        observer_loss: built.observer_loss.clone(),
        fixed_gain: built.fixed_gain.clone(),
        times: (0..=settings.horizon)
            .map(|n| n as f64 * settings.dt)
            .collect(),
        train_seconds,
        assimilated_below_prediction: learned.final_error < prediction.final_error,
        assimilated_not_growing: learned.fourth_quarter <= 1.2 * learned.third_quarter + 0.01,
        prediction_grows: prediction.final_error > 3.0 * prediction.at_window,
        estimators,
    };
    let truth = built.test_truth_field();
    let picture = figures::space_time(&truth, &runs, report.data_rms);
    let page = report_page_with_table(
        "Semilinear neural operators with data assimilation (Singh, Borsoi, Erdogmus & Imbiriba, ICLR 2024)",
        &figures::page_text(&report),
        &figures::table(&report),
        &[FIGURE, SPACE_TIME],
        &report,
    )?;
    let outcome = Outcome::new(report.clone())
        .with(FIGURE, Artifact::Plot(figures::panels(&report)))
        .with(SPACE_TIME, picture)
        .with("report.html", page);
    // A NaN anywhere is a failed run, not a result.
    outcome.check_finite()?;
    Ok(outcome)
}

#[cfg(test)]
mod tests;
