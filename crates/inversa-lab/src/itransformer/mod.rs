//! iTransformer (Y. Liu, T. Hu, H. Zhang, H. Wu, S. Wang, L. Ma, M. Long, "iTransformer:
//! Inverted Transformers Are Effective for Time Series Forecasting", ICLR 2024,
//! arXiv:2310.06625).
//!
//! A multivariate lookback `X ∈ ℝ^{L×N}` (L steps, N variates) is forecast `S` steps ahead. The
//! usual Transformer forecaster makes each time step a token (`N` numbers of different meaning
//! embedded together) and attends across time; the paper inverts the roles:
//!
//! ```text
//! temporal:  h_t = Embed(X_{t,:}) + PE(t),  t = 1 … L,   attention over time      ([`temporal`])
//! inverted:  hₙ = Embed(X_{:,n}) ∈ ℝ^d,     n = 1 … N,   attention over variates, ŷ⁽ⁿ⁾ = Proj(hₙ)
//!            (LayerNorm over each variate token's features, the FFN per token) ([`inverted`])
//! ```
//!
//! Claims tested here: the inverted model forecasts better than the same Transformer with
//! temporal tokens; attention over variate tokens captures multivariate correlation (so it
//! should beat a channel-independent linear model where variates drive each other); and it
//! generalises to variates it was not trained on (Sec. 4.3).
//!
//! Protocol: two series ([`data`]), the 12 quarterly US macroeconomic series of statsmodels
//! (real, 203 steps) and a noisy Lorenz-96 ring of `N` variates (simulated), each split 70/10/20
//! in time and standardised with the training part's statistics; per horizon, iTransformer and
//! the temporal Transformer of equal depth and width trained by Adam from the same seed (the
//! parameters of the best validation epoch kept, [`train`]) and the closed-form least-squares
//! linear map ([`linear`]), scored by MSE and MAE on the test part; all three with the same
//! per-window normalisation (RevIN). Then the variate-permutation check and the variate
//! generalisation run ([`runs`]).

use crate::error::check_memory;
use crate::outcome::{report_page_with_table, Artifact, Outcome};
use crate::{Error, Result};
use inversa::solvers::SolverError;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

pub mod data;
pub mod encoder;
mod figures;
pub mod inverted;
pub mod linear;
pub mod runs;
pub mod temporal;
pub mod train;

use runs::{Generalisation, SeriesRun};

/// The experiment's settings (read from Python's keywords, where a missing one keeps its default
/// and an unknown one is an error).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub seed: u64,
    /// Lorenz-96 variates `N` (a ring).
    pub variates: usize,
    /// Observed Lorenz-96 steps (every `observe_every` RK4 steps of 0.01).
    pub steps: usize,
    pub observe_every: usize,
    pub forcing: f64,
    /// Standard deviation of the Lorenz-96 observation noise.
    pub noise: f64,
    /// Lookback and horizons on Lorenz-96.
    pub lookback: usize,
    pub horizons: Vec<usize>,
    /// Lookback and horizons (quarters) on the macroeconomic series.
    pub macro_lookback: usize,
    pub macro_horizons: Vec<usize>,
    /// Token width `d`, heads, encoder layers and feed-forward width (both Transformers).
    pub width: usize,
    pub heads: usize,
    pub layers: usize,
    pub hidden: usize,
    pub epochs: usize,
    pub batch: usize,
    pub learning_rate: f64,
    /// Normalise each window by its lookback's statistics (all three models).
    pub revin: bool,
    /// Run the variate generalisation on Lorenz-96 (at the first horizon).
    pub generalisation: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            seed: 0,
            variates: 64,
            steps: 1500,
            observe_every: 2,
            forcing: 8.0,
            noise: 0.5,
            lookback: 48,
            horizons: vec![12, 24, 48],
            macro_lookback: 16,
            macro_horizons: vec![4, 8, 12],
            width: 32,
            heads: 4,
            layers: 2,
            hidden: 64,
            epochs: 8,
            batch: 32,
            learning_rate: 1e-3,
            revin: true,
            generalisation: true,
        }
    }
}

impl Settings {
    /// The small setting of the test and of `--quick`.
    pub fn quick() -> Self {
        Self {
            variates: 32,
            steps: 1000,
            lookback: 24,
            horizons: vec![12],
            macro_horizons: vec![4],
            width: 32,
            heads: 2,
            layers: 1,
            hidden: 64,
            epochs: 6,
            ..Self::default()
        }
    }

    fn check(&self) -> Result<()> {
        let counts = [
            ("variates", self.variates, 2, 4096),
            ("steps", self.steps, 20, 1_000_000),
            ("observe_every", self.observe_every, 1, 1000),
            ("lookback", self.lookback, 1, 10_000),
            ("macro_lookback", self.macro_lookback, 1, 150),
            ("width", self.width, 1, 4096),
            ("heads", self.heads, 1, 64),
            ("layers", self.layers, 1, 16),
            ("hidden", self.hidden, 1, 16_384),
            ("epochs", self.epochs, 1, 10_000),
            ("batch", self.batch, 1, 4096),
        ];
        for (key, value, least, most) in counts {
            if value < least || value > most {
                return Err(Error::setting(
                    key,
                    format!("must be in {least} ..= {most}, got {value}"),
                ));
            }
        }
        if self.width % self.heads != 0 {
            return Err(Error::setting("heads", "must divide width"));
        }
        for (key, horizons) in [
            ("horizons", &self.horizons),
            ("macro_horizons", &self.macro_horizons),
        ] {
            if horizons.is_empty() || horizons.iter().any(|&h| h == 0 || h > 10_000) {
                return Err(Error::setting(key, "needs horizons in 1 ..= 10000"));
            }
        }
        let positive = [
            ("learning_rate", self.learning_rate, 1.0),
            ("forcing", self.forcing, 100.0),
        ];
        for (key, value, most) in positive {
            if !(value.is_finite() && value > 0.0 && value <= most) {
                return Err(Error::setting(key, format!("must lie in (0, {most}]")));
            }
        }
        if !(self.noise.is_finite() && (0.0..=100.0).contains(&self.noise)) {
            return Err(Error::setting("noise", "must lie in [0, 100]"));
        }
        // The series, its standardised copy and the copies the three window sets hold.
        check_memory("steps", &[self.steps, self.variates], 8, 6)?;
        let longest = self.horizons.iter().max().copied().unwrap_or(1);
        let tokens = self.variates.max(self.lookback);
        // Attention scores and the windows of one batch, with their gradients.
        check_memory(
            "batch",
            &[self.batch * self.heads, tokens, tokens],
            4,
            4 * self.layers,
        )?;
        check_memory(
            "variates",
            &[self.batch, self.lookback + longest, self.variates],
            4,
            8,
        )
    }
}

/// `metrics.json`.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub experiment: &'static str,
    pub settings: Settings,
    pub checks: Checks,
    /// The macroeconomic series, then Lorenz-96.
    pub series: Vec<SeriesRun>,
    pub generalisation: Option<Generalisation>,
    pub seconds: f64,
}

/// `max |f(XP) − f(X)P|` for a random variate permutation `P` on a Lorenz-96 test batch, for
/// freshly initialised models: zero (to f32 round-off) for the inverted one by construction, not
/// for the temporal one (its embedding mixes the variates in a fixed order).
#[derive(Clone, Debug, Serialize)]
pub struct Checks {
    pub inverted_permutation_gap: f64,
    pub temporal_permutation_gap: f64,
}

/// The figure's name.
pub const FIGURE: &str = "itransformer.png";

/// A failed training, as the core's solver error.
pub fn failed(reason: &str) -> Error {
    Error::Core(inversa::Error::Solver(SolverError::Unsupported {
        solver: "iTransformer",
        reason: reason.into(),
    }))
}

/// Simulates Lorenz-96 with the settings' seed.
pub fn lorenz_series(settings: &Settings) -> data::Series {
    let spec = data::Lorenz {
        variates: settings.variates,
        steps: settings.steps,
        forcing: settings.forcing,
        dt: 0.01,
        every: settings.observe_every,
        noise: settings.noise,
    };
    data::lorenz96(&spec, &mut ChaCha8Rng::seed_from_u64(settings.seed))
}

/// Runs the checks, the comparisons and the generalisation; `say` receives a line per step.
pub fn run(settings: &Settings, say: &mut dyn FnMut(&str)) -> Result<Outcome<Report>> {
    settings.check()?;
    let clock = std::time::Instant::now();
    let lorenz = lorenz_series(settings);
    let checks = checks(settings, &lorenz)?;
    say(&format!("permutation gaps: {checks:?}"));
    let macro_series = data::macrodata()?;
    let mut series = vec![runs::compare(
        "macrodata (US, quarterly)",
        &macro_series,
        settings.macro_lookback,
        &settings.macro_horizons,
        settings,
        say,
    )?];
    series.push(runs::compare(
        &format!("Lorenz-96, N = {}", settings.variates),
        &lorenz,
        settings.lookback,
        &settings.horizons,
        settings,
        say,
    )?);
    let generalisation = if settings.generalisation {
        let horizon = settings.horizons[0];
        Some(runs::generalisation(
            &lorenz,
            settings.lookback,
            horizon,
            settings,
            say,
        )?)
    } else {
        None
    };
    let report = Report {
        experiment: "itransformer",
        settings: settings.clone(),
        checks,
        series,
        generalisation,
        seconds: clock.elapsed().as_secs_f64(),
    };
    let page = report_page_with_table(
        "iTransformer: inverted Transformers for forecasting (Liu et al., ICLR 2024)",
        &figures::page_text(&report),
        &figures::table(&report),
        &[FIGURE],
        &report,
    )?;
    let outcome = Outcome::new(report.clone())
        .with(FIGURE, Artifact::Plot(figures::figure(&report)))
        .with("report.html", page);
    // A NaN anywhere is a failed run, not a result.
    outcome.check_finite()?;
    Ok(outcome)
}

fn checks(settings: &Settings, lorenz: &data::Series) -> Result<Checks> {
    let device = candle_core::Device::Cpu;
    let horizon = settings.horizons[0];
    let split = data::split(lorenz, settings.lookback, horizon)?;
    let picked: Vec<usize> = (0..split.test.len().min(8)).collect();
    let (x, _) = split.test.batch(&picked, &device)?;
    let mut rng = ChaCha8Rng::seed_from_u64(settings.seed ^ 0xbeef);
    let size = runs::size(settings);
    let shape = (settings.lookback, horizon, settings.variates);
    let inverted = inverted::Inverted::new(&mut rng, settings.lookback, horizon, size, &device)?;
    let temporal = temporal::Temporal::new(&mut rng, shape, size, &device)?;
    Ok(Checks {
        inverted_permutation_gap: runs::permutation_gap(&inverted, &x, &mut rng)?,
        temporal_permutation_gap: runs::permutation_gap(&temporal, &x, &mut rng)?,
    })
}

#[cfg(test)]
mod tests;
