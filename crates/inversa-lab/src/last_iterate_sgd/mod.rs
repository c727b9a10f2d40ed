//! Last-iterate convergence of SGD (Z. Liu, Z. Zhou, "Revisiting the Last-Iterate Convergence of
//! Stochastic Gradient Methods", ICLR 2024, arXiv:2312.08531): the suboptimality of the last
//! iterate against the horizon `T`, next to the averaged iterate, on four problems, with bounded
//! and heavy-tailed gradient noise, over many seeds (median and 90% quantile).
//!
//! The method is composite (proximal) SGD on `F = f + h`, `h = λ‖·‖₁` (or `h = 0`):
//!
//! ```text
//! x_{t+1} = argmin_x  h(x) + ⟨g_t, x⟩ + ‖x − x_t‖² / (2 η_t)  = S_{η_t λ}(x_t − η_t g_t),
//! g_t = ∂f(x_t) + σ ξ_t,
//! ```
//!
//! `S_τ` the soft threshold. The paper's bounds for the last iterate `x_{T+1}`, without a compact
//! domain (Theorems 3.1–3.3 and 4.1–4.3 of the arXiv version):
//!
//! * `f` convex and `G`-Lipschitz, `η_t = η/√T` (horizon known) or `η/√t` (anytime):
//!   `F(x_{T+1}) − F* = O(log T / √T)`, in expectation and, for sub-Gaussian noise, with
//!   probability `1 − δ` at an extra `log(1/δ)` factor;
//! * `f` smooth and `μ`-strongly convex, `η_t = 1/(μ(t + t₀))` (`t₀ ≥ L/μ`, so that `η_t ≤ 1/L`):
//!   `O(log T / T)`.
//!
//! Problems: least absolute deviations `f(x) = (1/m) Σ |aᵢᵀ(x − x⋆)|` (Lipschitz, `F* = 0`); the
//! same plus `λ‖x‖₁`, whose optimum `x⋆` is certified by a dual vector `s`, `‖s‖_∞ ≤ 1`,
//! `Aᵀs/m + λ u = 0`, `u ∈ ∂‖x⋆‖₁` (so `F* = λ‖x⋆‖₁`); ridge least squares (smooth, strongly
//! convex, `x⋆` from a Cholesky solve); and the hard instance of Harvey, Liaw, Plan & Randhawa
//! ("Tight analyses for non-smooth stochastic gradient descent", COLT 2019, Section 3.1), on
//! which even deterministic subgradient descent with `η_t = 1/√t` has
//! `f(x_{T+1}) − f(0) ≥ H_T / (32 √T)` (`H_T` the harmonic number): the `log T` is not an
//! artefact of the analysis. Noise: i.i.d. Rademacher coordinates (bounded) or Student-t
//! coordinates with `ν` degrees of freedom scaled to unit variance (heavy-tailed: finite variance
//! for `ν > 2`, but no moment above `ν`, so not sub-Gaussian).
//!
//! Averages: the uniform mean of the points queried (convex problems) and the `(t + t₀)`-weighted
//! mean (strongly convex, Lacoste-Julien, Schmidt & Bach 2012), whose rate is `O(1/T)`.

use crate::error::check_memory;
use crate::outcome::{report_page, Artifact, Outcome};
use crate::{Error, Result};
use inversa::report::plot::{Panel, Series};
use serde::{Deserialize, Serialize};

mod problems;
use problems::{problem_curves, Noise, Problem};
mod hard_instance;
use hard_instance::hard_instance;

/// The experiment's settings (read from Python's keywords, where a missing one keeps its default
/// and an unknown one is an error).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub seed: u64,
    /// Independent noise streams per curve (the quantiles are taken over them).
    pub seeds: usize,
    /// Dimension `d` of the three random problems.
    pub dim: usize,
    /// Rows `m` of the data matrix.
    pub samples: usize,
    /// First horizon of the grid (doubling up to `max_horizon`).
    pub min_horizon: usize,
    pub max_horizon: usize,
    /// Largest horizon (and dimension) of the Harvey et al. instance.
    pub hard_max_horizon: usize,
    /// Noise scale `σ` (per coordinate, unit variance before scaling).
    pub noise: f64,
    /// Degrees of freedom `ν > 2` of the heavy-tailed noise.
    pub tail_dof: f64,
    /// Weight `λ` of the ℓ1 term of the composite problem.
    pub l1: f64,
    /// Strong convexity `μ` of the ridge problem.
    pub strong_convexity: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            seed: 0,
            seeds: 20,
            dim: 20,
            samples: 60,
            min_horizon: 100,
            max_horizon: 51_200,
            hard_max_horizon: 12_800,
            noise: 1.0,
            tail_dof: 2.5,
            l1: 0.02,
            strong_convexity: 0.1,
        }
    }
}

impl Settings {
    /// The small setting of the test and of `--quick` (seconds on two cores).
    pub fn quick() -> Self {
        Self {
            dim: 10,
            samples: 30,
            min_horizon: 50,
            max_horizon: 3200,
            hard_max_horizon: 1600,
            ..Self::default()
        }
    }

    fn check(&self) -> Result<()> {
        let at_least = |key: &str, value: usize, least: usize| {
            if value < least {
                Err(Error::setting(
                    key,
                    format!("must be at least {least}, got {value}"),
                ))
            } else {
                Ok(())
            }
        };
        at_least("seeds", self.seeds, 10)?;
        at_least("dim", self.dim, 2)?;
        at_least("samples", self.samples, self.dim)?;
        at_least("min_horizon", self.min_horizon, 2)?;
        // Three horizons at least, so that a rate can be fitted.
        at_least("max_horizon", self.max_horizon, 4 * self.min_horizon)?;
        at_least(
            "hard_max_horizon",
            self.hard_max_horizon,
            4 * self.min_horizon,
        )?;
        let positive = |key: &str, value: f64| {
            if value.is_finite() && value > 0.0 {
                Ok(())
            } else {
                Err(Error::setting(
                    key,
                    format!("must be positive and finite, got {value}"),
                ))
            }
        };
        positive("l1", self.l1)?;
        positive("strong_convexity", self.strong_convexity)?;
        if !(self.noise.is_finite() && self.noise >= 0.0) {
            let message = format!("must be non-negative and finite, got {}", self.noise);
            return Err(Error::setting("noise", message));
        }
        if !(self.tail_dof.is_finite() && self.tail_dof > 2.0) {
            let message = format!("must exceed 2 (finite variance), got {}", self.tail_dof);
            return Err(Error::setting("tail_dof", message));
        }
        check_memory("samples", &[self.samples, self.dim], 8, 2)?;
        // The hard instance keeps the iterate, its average and the two coefficient vectors.
        check_memory("hard_max_horizon", &[self.hard_max_horizon], 8, 5)
    }

    /// `min_horizon, 2 min_horizon, …` up to `max` (inclusive).
    fn horizons(&self, max: usize) -> Vec<usize> {
        std::iter::successors(Some(self.min_horizon), |t| Some(t * 2))
            .take_while(|&t| t <= max)
            .collect()
    }
}

/// `metrics.json`.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub experiment: &'static str,
    pub settings: Settings,
    /// One per problem, noise, schedule and iterate.
    pub curves: Vec<Curve>,
    pub hard_instance: HardInstance,
}

/// The suboptimality of one iterate against `T`, over the seeds.
#[derive(Clone, Debug, Serialize)]
pub struct Curve {
    pub problem: &'static str,
    pub noise: &'static str,
    pub schedule: &'static str,
    /// `last` or `average`.
    pub iterate: &'static str,
    pub horizons: Vec<usize>,
    pub median: Vec<f64>,
    pub quantile_90: Vec<f64>,
    /// Least-squares slope of log(median) against log T.
    pub fitted_exponent: f64,
    /// The same slope for the predicted rate over the same horizons (≈ −1/2 + 1/log T for
    /// log T/√T): what the median's slope should be if the bound's shape is the truth.
    pub predicted_exponent: f64,
    /// The predicted rate's name (`log T / sqrt T`, `log T / T`).
    pub predicted_rate: &'static str,
    /// Largest over smallest of median / rate(T): bounded if the median is O(rate).
    pub median_over_rate_spread: f64,
    /// 90% quantile over the median, worst horizon (the high-probability behaviour).
    pub worst_q90_over_median: f64,
}

/// Harvey et al.'s instance: deterministic subgradient descent, `η_t = 1/√t`.
#[derive(Clone, Debug, Serialize)]
pub struct HardInstance {
    pub horizons: Vec<usize>,
    /// `f(x_{T+1}) − f(0)`, a lower bound on the suboptimality (`min f ≤ f(0) = 0`).
    pub last: Vec<f64>,
    /// `f(x̄_T) − f(0)` for the uniform average of the queried points.
    pub average: Vec<f64>,
    /// Harvey et al.'s lower bound `H_T / (32 √T)` on the last iterate.
    pub lower_bound: Vec<f64>,
    pub last_fitted_exponent: f64,
    /// `(f(x_{T+1}) − f(0)) · √T / log T` at each horizon: flat if the `log T` factor is real.
    pub last_times_sqrt_t_over_log_t: Vec<f64>,
}

/// Runs every problem, noise and schedule; `say` receives one line per curve.
pub fn run(settings: &Settings, say: &mut dyn FnMut(&str)) -> Result<Outcome<Report>> {
    settings.check()?;
    let problems = [
        Problem::lad(settings, 0.0)?,
        Problem::lad(settings, settings.l1)?,
        Problem::ridge(settings)?,
    ];
    let mut curves = Vec::new();
    for problem in &problems {
        for noise in [Noise::Bounded, Noise::Heavy(settings.tail_dof)] {
            for curve in problem_curves(settings, problem, noise) {
                say(&format!(
                    "{} / {} / {} / {}: median slope {:.3} (rate's {:.3}), q90/median ≤ {:.2}",
                    curve.problem,
                    curve.noise,
                    curve.schedule,
                    curve.iterate,
                    curve.fitted_exponent,
                    curve.predicted_exponent,
                    curve.worst_q90_over_median
                ));
                curves.push(curve);
            }
        }
    }
    let hard_instance = hard_instance(&settings.horizons(settings.hard_max_horizon));
    say(&format!(
        "hard instance: last-iterate slope {:.3}; gap·√T/log T from {:.4} to {:.4}",
        hard_instance.last_fitted_exponent,
        hard_instance.last_times_sqrt_t_over_log_t[0],
        hard_instance.last_times_sqrt_t_over_log_t[hard_instance.horizons.len() - 1]
    ));
    let report = Report {
        experiment: "last-iterate-sgd",
        settings: settings.clone(),
        curves,
        hard_instance,
    };
    let bounded = figure(&report, "bounded", true);
    let heavy = figure(&report, "heavy-tailed", false);
    let page = report_page(
        "Last-iterate convergence of SGD (Liu & Zhou, ICLR 2024)",
        &page_text(&report),
        &[FIGURE_BOUNDED, FIGURE_HEAVY],
        &report,
    )?;
    Ok(Outcome::new(report)
        .with(FIGURE_BOUNDED, Artifact::Plot(bounded))
        .with(FIGURE_HEAVY, Artifact::Plot(heavy))
        .with("report.html", page))
}

/// The figure names.
pub const FIGURE_BOUNDED: &str = "last_iterate_sgd.png";
pub const FIGURE_HEAVY: &str = "last_iterate_sgd_heavy.png";

/// Four panels (the three problems and the hard instance) for the bounded noise, or three for
/// the heavy-tailed one.
fn figure(report: &Report, noise: &str, with_hard: bool) -> Vec<Panel> {
    let mut panels: Vec<Panel> = ["LAD", "LAD + l1", "ridge"]
        .iter()
        .map(|problem| problem_panel(report, problem, noise))
        .collect();
    if with_hard {
        panels.push(hard_panel(&report.hard_instance));
    }
    panels
}

fn log_points(horizons: &[usize], values: &[f64]) -> Vec<(f64, f64)> {
    horizons
        .iter()
        .zip(values)
        .map(|(&t, &v)| ((t as f64).log10(), v))
        .collect()
}

fn problem_panel(report: &Report, problem: &str, noise: &str) -> Panel {
    let curves: Vec<&Curve> = report
        .curves
        .iter()
        .filter(|c| c.problem == problem && c.noise == noise)
        .collect();
    let mut series = Vec::new();
    for c in &curves {
        let label = format!("{} {}", c.iterate, c.schedule);
        series.push(Series {
            label: format!("{label}: median"),
            values: log_points(&c.horizons, &c.median),
        });
        if c.iterate == "last" && c.schedule != "eta/sqrt(T)" {
            series.push(Series {
                label: format!("{label}: 90%"),
                values: log_points(&c.horizons, &c.quantile_90),
            });
        }
    }
    if let Some(main) = curves.first() {
        series.extend(fitted_and_predicted(main));
    }
    Panel {
        title: format!("{problem}, {noise} noise"),
        x_label: "log10 T".into(),
        y_label: "F(x) - F*".into(),
        log_y: true,
        series,
    }
}

/// The power law fitted to the first curve's median and the predicted rate through its
/// geometric-mean level.
fn fitted_and_predicted(curve: &Curve) -> [Series; 2] {
    let ts: Vec<f64> = curve.horizons.iter().map(|&t| t as f64).collect();
    let rate = |t: f64| {
        if curve.predicted_rate == "log T / T" {
            t.ln() / t
        } else {
            t.ln() / t.sqrt()
        }
    };
    let mean_log = |f: &dyn Fn(usize) -> f64| (0..ts.len()).map(f).sum::<f64>() / ts.len() as f64;
    let level = mean_log(&|k| (curve.median[k] / rate(ts[k])).ln()).exp();
    let s = curve.fitted_exponent;
    let offset = mean_log(&|k| curve.median[k].ln() - s * ts[k].ln()).exp();
    let fitted: Vec<f64> = ts.iter().map(|&t| offset * t.powf(s)).collect();
    let predicted: Vec<f64> = ts.iter().map(|&t| level * rate(t)).collect();
    [
        Series {
            label: format!("fit T^{s:.2}"),
            values: log_points(&curve.horizons, &fitted),
        },
        Series {
            label: format!("C {}", curve.predicted_rate),
            values: log_points(&curve.horizons, &predicted),
        },
    ]
}

fn hard_panel(hard: &HardInstance) -> Panel {
    Panel {
        title: "Harvey et al. 2019 hard instance (GD, 1/sqrt t)".into(),
        x_label: "log10 T".into(),
        y_label: "f(x) - f(0)".into(),
        log_y: true,
        series: vec![
            Series {
                label: "last iterate".into(),
                values: log_points(&hard.horizons, &hard.last),
            },
            Series {
                label: "average (where > 0)".into(),
                values: log_points(&hard.horizons, &hard.average),
            },
            Series {
                label: "bound H_T/(32 sqrt T)".into(),
                values: log_points(&hard.horizons, &hard.lower_bound),
            },
        ],
    }
}

/// The page's paragraphs: the claim, then what the run measured.
fn page_text(report: &Report) -> Vec<String> {
    let mut lines = vec![
        "Claim: the last iterate of (proximal) SGD reaches O(log T/√T) on Lipschitz convex \
         problems (with η/√t or η/√T, no compact domain) and O(log T/T) on strongly convex ones; \
         the log T cannot be removed (Harvey et al. 2019's instance)."
            .to_string(),
    ];
    for c in report.curves.iter().filter(|c| c.iterate == "last") {
        lines.push(format!(
            "{} / {} noise / {}: median slope {:.3} against the rate's {:.3} over the same T; \
             median/rate varies by ×{:.2}; 90% quantile ≤ {:.2} × median.",
            c.problem,
            c.noise,
            c.schedule,
            c.fitted_exponent,
            c.predicted_exponent,
            c.median_over_rate_spread,
            c.worst_q90_over_median
        ));
    }
    let hard = &report.hard_instance;
    lines.push(format!(
        "Hard instance: last-iterate slope {:.3}; (f(x_T+1) − f(0))·√T/log T = {:?}.",
        hard.last_fitted_exponent, hard.last_times_sqrt_t_over_log_t
    ));
    lines
}

#[cfg(test)]
mod tests;
