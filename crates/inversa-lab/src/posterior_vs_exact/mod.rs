//! Which diffusion posterior samplers sample the posterior? Each sampler of
//! [`inversa_learn::diffusion::posterior`] runs with the exact noise predictor of a Gaussian-mixture
//! prior ([`inversa_learn::diffusion::analytic`]: no training error), and its samples are compared
//! with exact samples of the posterior, which is again a Gaussian mixture in closed form
//! ([`inversa_learn::diffusion::analytic_posterior`]). Whatever distance remains is the sampler's
//! own, not the network's.
//!
//! For each measurement (random inpainting, a dense Gaussian CS matrix) and each network-call
//! budget the experiment reports, over `n` samples against `n` exact ones:
//!
//! - the sliced Wasserstein-2 distance and the unbiased energy distance
//!   ([`inversa::sample_distance`]);
//! - the error of the sample mean `‖x̄ − E[x₀ | y]‖` (the point-estimation quality);
//! - the spread ratio `√(Σᵢ Var(xᵢ) / tr Cov[x₀ | y])`: 1 for a posterior sampler, near 0 for a
//!   sampler that collapses onto a point estimate, the exact covariance from its closed form.
//!
//! Two references bound every curve: two independent exact sample sets (the finite-sample floor of
//! each distance) and samples of the prior itself (what ignoring the measurement scores).

mod problems;
#[cfg(test)]
mod tests;

use crate::error::check_memory;
use crate::outcome::{report_page, Artifact, Outcome};
use crate::{Error, Result};
use candle_core::DType;
use inversa::report::plot::{Panel, Series};
use inversa::sample_distance::{energy_distance, sliced_wasserstein2};
use inversa_learn::diffusion::analytic::GaussianMixture;
use inversa_learn::diffusion::analytic_posterior::ExactPosterior;
use inversa_learn::diffusion::posterior::{
    self, ddnm, dds, diffpir, dps, red_diff, stsl, DiffusionPrior, Likelihood, Method, StateMap,
};
use problems::Problem;
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// The experiment's settings (read from Python's keywords, where a missing one keeps its default
/// and an unknown one is an error).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub seed: u64,
    /// Image side: the prior lives in `side²` dimensions.
    pub side: usize,
    /// Samples per sampler and budget, and exact samples they are compared with.
    pub samples: usize,
    /// Network-call budgets (levels of the reverse diffusion; half as many for STSL), each at most 1000.
    pub budgets: Vec<usize>,
    /// Fraction of pixels the inpainting mask removes.
    pub missing: f64,
    /// CS measurements per pixel.
    pub cs_ratio: f64,
    /// Standard deviation of the measurement noise.
    pub noise_std: f64,
    /// RMS of the prior's component means (their spreads are 0.2–0.4).
    pub mean_scale: f64,
    /// Random directions of the sliced Wasserstein estimate.
    pub directions: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            seed: 0,
            side: 8,
            samples: 1000,
            budgets: vec![10, 20, 50, 100, 200, 500, 1000],
            missing: 0.75,
            cs_ratio: 0.125,
            noise_std: 0.05,
            mean_scale: 0.5,
            directions: 200,
        }
    }
}

impl Settings {
    /// The small setting of the tests: 4×4 images, 300 samples, two budgets.
    pub fn quick() -> Self {
        Self {
            side: 4,
            samples: 300,
            budgets: vec![20, 100],
            missing: 0.5,
            cs_ratio: 0.25,
            directions: 100,
            ..Self::default()
        }
    }

    fn check(&self) -> Result<()> {
        if !(2..=16).contains(&self.side) {
            let message = format!(
                "must be 2 to 16 (at most 256 dimensions), got {}",
                self.side
            );
            return Err(Error::setting("side", message));
        }
        if self.samples < 10 {
            let message = format!("must be at least 10, got {}", self.samples);
            return Err(Error::setting("samples", message));
        }
        check_memory("samples", &[self.samples, self.samples], 8, 1)?;
        if self.budgets.is_empty() || self.budgets.iter().any(|&b| b == 0 || b > 1000) {
            let message = format!(
                "must be 1 to 1000 network calls each, got {:?}",
                self.budgets
            );
            return Err(Error::setting("budgets", message));
        }
        check_memory("directions", &[self.directions, self.samples], 8, 2)?;
        let unit = |key: &str, v: f64| {
            if v > 0.0 && v < 1.0 {
                Ok(())
            } else {
                Err(Error::setting(key, format!("must be in (0, 1), got {v}")))
            }
        };
        unit("missing", self.missing)?;
        unit("cs_ratio", self.cs_ratio)?;
        for (key, v) in [
            ("noise_std", self.noise_std),
            ("mean_scale", self.mean_scale),
        ] {
            if !(v > 0.0 && v.is_finite()) {
                return Err(Error::setting(key, format!("must be positive, got {v}")));
            }
        }
        Ok(())
    }
}

/// The distances of one sample set to the exact posterior samples.
#[derive(Clone, Debug, Serialize)]
pub struct Distances {
    pub sliced_wasserstein2: f64,
    pub energy_distance: f64,
    /// `‖x̄ − E[x₀ | y]‖`.
    pub mean_error: f64,
    /// `√(Σᵢ Var(xᵢ) / tr Cov[x₀ | y])`.
    pub spread_ratio: f64,
}

/// One sampler at one budget.
#[derive(Clone, Debug, Serialize)]
pub struct Point {
    pub model_calls: usize,
    pub seconds: f64,
    #[serde(flatten)]
    pub distances: Distances,
}

/// One sampler's curve over the budgets.
#[derive(Clone, Debug, Serialize)]
pub struct Curve {
    pub method: &'static str,
    pub points: Vec<Point>,
}

/// One measurement problem.
#[derive(Clone, Debug, Serialize)]
pub struct ProblemReport {
    pub name: &'static str,
    pub dimensions: usize,
    pub measurements: usize,
    /// `exp` of the entropy of the posterior's component weights: how many modes it has.
    pub effective_components: f64,
    /// Two independent exact sample sets: the finite-sample floor of each distance.
    pub exact_floor: Distances,
    /// Samples of the prior, which ignore the measurement.
    pub prior: Distances,
    pub samplers: Vec<Curve>,
}

/// The experiment's report (`metrics.json`).
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub experiment: &'static str,
    pub settings: Settings,
    pub problems: Vec<ProblemReport>,
}

/// The figure's name.
pub const FIGURE: &str = "posterior_vs_exact.png";

/// The samplers compared, with their default (task-file) settings.
pub fn samplers() -> Vec<Method> {
    vec![
        Method::Dps(dps::Params::default()),
        Method::Ddnm(ddnm::Params::default()),
        Method::Dds(dds::Params::default()),
        Method::DiffPir(diffpir::Params::default()),
        Method::RedDiff(red_diff::Params::default()),
        Method::Stsl(stsl::Params::default()),
    ]
}

/// Runs every sampler on both problems at every budget; `say` receives a line per problem.
pub fn run(settings: &Settings, say: &mut dyn FnMut(&str)) -> Result<Outcome<Report>> {
    settings.check()?;
    let prior = problems::mixture(settings)?;
    let mut reports = Vec::new();
    for problem in problems::problems(settings, &prior)? {
        let report = run_problem(settings, &prior, &problem, say)?;
        say(&summary_line(&report));
        reports.push(report);
    }
    let report = Report {
        experiment: "posterior",
        settings: settings.clone(),
        problems: reports,
    };
    let panels = report.problems.iter().flat_map(panels).collect();
    let page = report_page(
        "Diffusion posterior samplers against the exact posterior of a Gaussian mixture",
        &page_text(&report),
        &[FIGURE],
        &report,
    )?;
    Ok(Outcome::new(report)
        .with(FIGURE, Artifact::Plot(panels))
        .with("report.html", page))
}

fn run_problem(
    settings: &Settings,
    prior: &GaussianMixture,
    problem: &Problem,
    say: &mut dyn FnMut(&str),
) -> Result<ProblemReport> {
    let n = settings.samples;
    let exact = ExactPosterior::new(prior, None, &problem.matrix, &problem.y, settings.noise_std)?;
    let reference = Reference::new(settings, &exact)?;
    let second = exact.sample(n, settings.seed + 101)?;
    let prior_samples = prior
        .sample(n, None, settings.seed + 102, DType::F64)?
        .to_vec2::<f64>()?;
    let dim = prior.dim();
    let map = StateMap::new(&[dim], &[1, settings.side, settings.side], 1.0, 0.0)?;
    let likelihood = Likelihood::new(
        problem.operator.as_ref(),
        &problem.y,
        settings.noise_std,
        map,
    )?;
    let mut curves = Vec::new();
    for method in samplers() {
        let mut points = Vec::new();
        for &budget in &settings.budgets {
            // STSL makes two calls a level: its budget buys half the levels.
            let grid = prior.schedule().grid(budget / method.calls_per_level())?;
            let diffusion = DiffusionPrior::new(prior, grid, None);
            let start = Instant::now();
            let drawn = posterior::sample(&method, &diffusion, &likelihood, n, DType::F64, {
                settings.seed + 200 + budget as u64
            })?;
            let seconds = start.elapsed().as_secs_f64();
            points.push(Point {
                model_calls: drawn.model_calls,
                seconds,
                distances: reference.distances(&drawn.samples.to_vec2::<f64>()?)?,
            });
        }
        let seconds: f64 = points.iter().map(|p| p.seconds).sum();
        say(&format!(
            "{}: {} ({seconds:.1} s)",
            problem.name,
            method.name()
        ));
        curves.push(Curve {
            method: method.name(),
            points,
        });
    }
    let weights: Vec<f64> = exact.components().iter().map(|c| c.weight).collect();
    Ok(ProblemReport {
        name: problem.name,
        dimensions: dim,
        measurements: problem.y.len(),
        effective_components: effective_count(&weights),
        exact_floor: reference.distances(&second)?,
        prior: reference.distances(&prior_samples)?,
        samplers: curves,
    })
}

/// Exact samples, the exact mean and the trace of the exact covariance.
struct Reference<'a> {
    settings: &'a Settings,
    samples: Vec<Vec<f64>>,
    mean: Vec<f64>,
    variance: f64,
}

impl<'a> Reference<'a> {
    fn new(settings: &'a Settings, exact: &ExactPosterior) -> Result<Self> {
        let d = exact.dim();
        let covariance = exact.covariance()?;
        Ok(Self {
            settings,
            samples: exact.sample(settings.samples, settings.seed + 100)?,
            mean: exact.mean(),
            variance: (0..d).map(|i| covariance[i * d + i]).sum(),
        })
    }

    fn distances(&self, samples: &[Vec<f64>]) -> Result<Distances> {
        let (mean, variance) = moments(samples);
        let mean_error = mean
            .iter()
            .zip(&self.mean)
            .map(|(a, b)| (a - b).powi(2))
            .sum::<f64>()
            .sqrt();
        let s = self.settings;
        Ok(Distances {
            sliced_wasserstein2: sliced_wasserstein2(
                samples,
                &self.samples,
                s.directions,
                s.seed + 300,
            )?,
            energy_distance: energy_distance(samples, &self.samples)?,
            mean_error,
            spread_ratio: (variance / self.variance).sqrt(),
        })
    }
}

/// The mean of a sample set and the sum of its per-coordinate variances.
fn moments(samples: &[Vec<f64>]) -> (Vec<f64>, f64) {
    let n = samples.len() as f64;
    let d = samples.first().map_or(0, Vec::len);
    let mean: Vec<f64> = (0..d)
        .map(|i| samples.iter().map(|x| x[i]).sum::<f64>() / n)
        .collect();
    let variance = samples
        .iter()
        .map(|x| {
            x.iter()
                .zip(&mean)
                .map(|(a, m)| (a - m).powi(2))
                .sum::<f64>()
        })
        .sum::<f64>()
        / (n - 1.0);
    (mean, variance)
}

/// `exp(−Σ w ln w)`.
fn effective_count(weights: &[f64]) -> f64 {
    let entropy: f64 = weights
        .iter()
        .filter(|w| **w > 0.0)
        .map(|w| -w * w.ln())
        .sum();
    entropy.exp()
}

fn summary_line(report: &ProblemReport) -> String {
    let best: Vec<String> = report
        .samplers
        .iter()
        .filter_map(|c| c.points.last().map(|p| (c.method, p)))
        .map(|(m, p)| {
            format!(
                "{m} {:.3} (spread {:.2})",
                p.distances.sliced_wasserstein2, p.distances.spread_ratio
            )
        })
        .collect();
    format!(
        "{}: SW₂ to the exact posterior at the largest budget: {}; exact floor {:.3}, prior {:.3}",
        report.name,
        best.join(", "),
        report.exact_floor.sliced_wasserstein2,
        report.prior.sliced_wasserstein2
    )
}

/// Per problem: SW₂, mean error and spread ratio against log₁₀ of the network calls.
fn panels(report: &ProblemReport) -> Vec<Panel> {
    type Metric = fn(&Distances) -> f64;
    let metrics: [(&str, Metric, bool); 3] = [
        (
            "sliced W₂ to exact samples",
            |d| d.sliced_wasserstein2,
            true,
        ),
        ("‖mean − exact mean‖", |d| d.mean_error, true),
        ("spread ratio (1 = exact)", |d| d.spread_ratio, false),
    ];
    metrics
        .iter()
        .map(|(label, metric, log_y)| {
            let calls = |c: &Curve| -> Vec<(f64, f64)> {
                c.points
                    .iter()
                    .map(|p| ((p.model_calls as f64).log10(), metric(&p.distances)))
                    .collect()
            };
            let flat = |name: &str, d: &Distances| Series {
                label: name.to_string(),
                values: report.samplers[0]
                    .points
                    .iter()
                    .map(|p| ((p.model_calls as f64).log10(), metric(d)))
                    .collect(),
            };
            let mut series: Vec<Series> = report
                .samplers
                .iter()
                .map(|c| Series {
                    label: c.method.to_string(),
                    values: calls(c),
                })
                .collect();
            series.push(flat("exact (floor)", &report.exact_floor));
            series.push(flat("prior", &report.prior));
            Panel {
                title: format!("{}: {label}", report.name),
                x_label: "log₁₀ network calls".to_string(),
                y_label: label.to_string(),
                log_y: *log_y,
                series,
            }
        })
        .collect()
}

fn page_text(report: &Report) -> Vec<String> {
    let mut text = vec![
        "Every sampler runs with the exact noise predictor of a Gaussian-mixture prior, so the \
         distance of its samples to exact posterior samples is the sampler's own error. The \
         spread ratio is 1 for a sampler of the posterior and near 0 for one that returns a \
         point estimate; the exact floor is what two independent exact sample sets score."
            .to_string(),
    ];
    for p in &report.problems {
        text.push(format!(
            "{}: {} dimensions, {} measurements, {:.2} effective posterior modes.",
            p.name, p.dimensions, p.measurements, p.effective_components
        ));
        text.push(summary_line(p));
    }
    text
}
