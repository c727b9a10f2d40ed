//! Neural network approximation of nonlinear elliptic PDEs (T. Marwah, Z. C. Lipton, J. Lu,
//! A. Risteski, "Neural Network Approximations of PDEs Beyond Linearity: A Representational
//! Perspective", ICML 2023, arXiv:2210.12101).
//!
//! The paper studies variational elliptic PDEs, the minimisers of
//!
//! ```text
//! E(u) = ∫ L(∇u) + ½u² − f u,      Euler–Lagrange:  −div ∇L(∇u) + u = f,
//! ```
//!
//! with `L` strongly convex and smooth. Preconditioned gradient descent in function space,
//! `u ← u − η (I − Δ)⁻¹ ∇E(u)`, contracts at a rate set by `L`'s condition number alone, and each
//! step can be emulated by a network only polynomially larger than the last; so if `f` is
//! representable by a small network, the solution is representable to error `ε` by a network
//! whose size grows polynomially in `d` rather than exponentially (the curse of dimensionality
//! a grid pays).
//!
//! Protocol. On the torus `[0, 1)^d`, `L(p) = Σᵢ ½pᵢ² + κ√(1 + pᵢ²)` and a manufactured solution
//! `u*` that is a sum of `m` ridge functions with the same frequency in every `d` ([`problem`]).
//! (a) The function-space iteration itself ([`function_space`]), spectrally, on the full `n^d`
//! grid where it fits and, for every `d`, exactly on the `n^m` grid of the ridge projections: its
//! per-step contraction against `d`. (b) Two-layer tanh networks on a periodic embedding, trained
//! on the energy with fresh Monte Carlo points (Deep Ritz, [`ritz`]), on a ladder of widths: the
//! smallest width reaching a relative L2 error `target`, against `d`, fitted by a power law and
//! by an exponential ([`growth`]).

use crate::outcome::{report_page_with_table, Artifact, Outcome};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};

mod figures;
mod function_space;
mod growth;
mod problem;
mod ritz;

use function_space::{descend, Descent, Torus};
use growth::{width_needed, Growth};
use problem::Problem;
use ritz::{train, Fit, Training};

/// The figure's name.
pub const FIGURE: &str = "elliptic_approximation.png";

/// The experiment's settings (read from Python's keywords, where a missing one keeps its default
/// and an unknown one is an error).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub seed: u64,
    /// Dimensions `d` (increasing, each at least `terms`).
    pub dims: Vec<usize>,
    /// Ridge functions in `u*`.
    pub terms: usize,
    /// `κ` of `L`.
    pub kappa: f64,
    /// Grid points per axis of the function-space iteration.
    pub grid: usize,
    /// The full `grid^d` grid runs for `d` up to this.
    pub full_grid_max_dim: usize,
    /// Steps of the function-space iteration.
    pub descent_steps: usize,
    /// The width ladder (increasing).
    pub widths: Vec<usize>,
    /// Adam steps per network.
    pub steps: usize,
    pub rate: f64,
    /// Monte Carlo points per step.
    pub batch: usize,
    pub test_points: usize,
    /// Initialisations per width (the least energy kept).
    pub restarts: usize,
    /// The relative L2 error a width must reach (the ladder stops there).
    pub target: f64,
    /// A looser error, at least `target`, whose crossing the same ladder also gives.
    pub loose_target: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            seed: 0,
            dims: vec![3, 4, 6, 8, 12, 16, 24],
            terms: 3,
            kappa: 2.0,
            grid: 16,
            full_grid_max_dim: 4,
            descent_steps: 40,
            widths: vec![4, 8, 16, 32, 64],
            steps: 2000,
            rate: 1e-2,
            batch: 512,
            test_points: 4096,
            restarts: 2,
            target: 0.05,
            loose_target: 0.1,
        }
    }
}

impl Settings {
    /// The small setting of the test and of `--quick`.
    pub fn quick() -> Self {
        Self {
            dims: vec![3, 8],
            full_grid_max_dim: 3,
            descent_steps: 25,
            widths: vec![4, 8, 16],
            steps: 600,
            batch: 256,
            test_points: 2048,
            restarts: 1,
            target: 0.3,
            loose_target: 0.5,
            ..Self::default()
        }
    }

    fn check(&self) -> Result<()> {
        let counts = [
            ("terms", self.terms, 1, 4),
            ("grid", self.grid, 4, 64),
            ("full_grid_max_dim", self.full_grid_max_dim, 0, 5),
            ("descent_steps", self.descent_steps, 1, 10_000),
            ("steps", self.steps, 1, 1_000_000),
            ("batch", self.batch, 8, 100_000),
            ("test_points", self.test_points, 8, 1_000_000),
            ("restarts", self.restarts, 1, 100),
        ];
        for (key, value, least, most) in counts {
            if value < least || value > most {
                return Err(Error::setting(
                    key,
                    format!("must be in {least} ..= {most}, got {value}"),
                ));
            }
        }
        increasing("dims", &self.dims, self.terms, 256)?;
        increasing("widths", &self.widths, 1, 4096)?;
        for (key, value) in [
            ("kappa", self.kappa),
            ("rate", self.rate),
            ("target", self.target),
        ] {
            if !(value > 0.0 && value.is_finite()) {
                return Err(Error::setting(
                    key,
                    format!("must be positive, got {value}"),
                ));
            }
        }
        if self.loose_target < self.target {
            return Err(Error::setting(
                "loose_target",
                format!(
                    "must be at least target {}, got {}",
                    self.target, self.loose_target
                ),
            ));
        }
        let widest = self.widths.last().copied().unwrap_or(1);
        let deepest = self.dims.last().copied().unwrap_or(1);
        crate::error::check_memory(
            "batch",
            &[self.batch.max(self.test_points), widest + 4 * deepest],
            8,
            4,
        )?;
        crate::error::check_memory(
            "grid",
            &[
                self.grid.pow(self.full_grid_max_dim.max(self.terms) as u32),
                8,
            ],
            16,
            4,
        )
    }

    fn training(&self) -> Training {
        Training {
            steps: self.steps,
            rate: self.rate,
            batch: self.batch,
            test_points: self.test_points,
            restarts: self.restarts,
            seed: self.seed,
        }
    }
}

fn increasing(key: &str, values: &[usize], least: usize, most: usize) -> Result<()> {
    let sorted = values.windows(2).all(|w| w[0] < w[1]);
    if values.is_empty() || !sorted || values[0] < least || values[values.len() - 1] > most {
        return Err(Error::setting(
            key,
            format!("must be increasing within {least} ..= {most}, got {values:?}"),
        ));
    }
    Ok(())
}

/// `metrics.json`.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub experiment: &'static str,
    pub settings: Settings,
    pub dimensions: Vec<Dimension>,
    /// The fits of the needed width against `d` (absent with fewer than two dimensions that met
    /// the target).
    pub growth: Option<Growth>,
    /// The same for [`Settings::loose_target`].
    pub loose_growth: Option<Growth>,
}

/// Everything measured in one dimension.
#[derive(Clone, Debug, Serialize)]
pub struct Dimension {
    pub dim: usize,
    /// The function-space iteration on the ridge projections' grid.
    pub reduced: Descent,
    /// The same on the full grid, where it fits.
    pub full: Option<Descent>,
    /// The ladder, up to the first width that met the target.
    pub fits: Vec<Fit>,
    pub width_needed: Option<f64>,
    /// The width needed for [`Settings::loose_target`].
    pub loose_width_needed: Option<f64>,
}

fn dimension(settings: &Settings, dim: usize, say: &mut dyn FnMut(&str)) -> Result<Dimension> {
    let problem = Problem::manufactured(dim, settings.terms, settings.kappa, settings.seed);
    let rate = 2.0 / (2.0 + settings.kappa);
    let steps = settings.descent_steps;
    let reduced = descend(
        &problem,
        &Torus::reduced(&problem, settings.grid),
        steps,
        rate,
    );
    let full = (dim <= settings.full_grid_max_dim)
        .then(|| descend(&problem, &Torus::full(&problem, settings.grid), steps, rate));
    say(&format!(
        "d = {dim}: function-space contraction {:.3} per step, error {:.2e} after {steps} steps",
        reduced.contraction,
        reduced.errors.last().copied().unwrap_or(f64::NAN),
    ));
    let training = settings.training();
    let mut fits = Vec::new();
    for &width in &settings.widths {
        let fit = train(&problem, &training, width)?;
        say(&format!(
            "d = {dim}, width {width}: error {:.3} ({:.1} s)",
            fit.error, fit.seconds
        ));
        let met = fit.error <= settings.target;
        fits.push(fit);
        if met {
            break;
        }
    }
    Ok(Dimension {
        dim,
        reduced,
        full,
        width_needed: width_needed(&fits, settings.target),
        loose_width_needed: width_needed(&fits, settings.loose_target),
        fits,
    })
}

/// Runs both methods in every dimension; `say` gets a line per step of the search.
pub fn run(settings: &Settings, say: &mut dyn FnMut(&str)) -> Result<Outcome<Report>> {
    settings.check()?;
    let dimensions = settings
        .dims
        .iter()
        .map(|&dim| dimension(settings, dim, say))
        .collect::<Result<Vec<_>>>()?;
    let report = Report {
        experiment: "elliptic-approximation",
        settings: settings.clone(),
        growth: growth::fit(&needed(&dimensions, |d| d.width_needed)),
        loose_growth: growth::fit(&needed(&dimensions, |d| d.loose_width_needed)),
        dimensions,
    };
    let page = report_page_with_table(
        "Neural network approximation of nonlinear elliptic PDEs (Marwah, Lipton, Lu & Risteski, 2023)",
        &figures::page_text(&report),
        &figures::table(&report),
        &[FIGURE],
        &report,
    )?;
    let outcome = Outcome::new(report.clone())
        .with(FIGURE, Artifact::Plot(figures::panels(&report)))
        .with("report.html", page);
    // A NaN anywhere is a failed run, not a result.
    outcome.check_finite()?;
    Ok(outcome)
}

/// `(d, width needed)` where `which` has one.
fn needed(dimensions: &[Dimension], which: fn(&Dimension) -> Option<f64>) -> Vec<(f64, f64)> {
    dimensions
        .iter()
        .filter_map(|d| which(d).map(|w| (d.dim as f64, w)))
        .collect()
}

#[cfg(test)]
mod tests;
