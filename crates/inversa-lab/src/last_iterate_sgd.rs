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
use faer::linalg::solvers::Solve;
use faer::{ColMut, MatRef, Side};
use inversa::numerics::{gaussian, matmul_tn};
use inversa::report::plot::{Panel, Series};
use inversa::solvers::SolverError;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StudentT;
use rayon::prelude::*;
use serde::Serialize;

/// The experiment's settings.
#[derive(Clone, Debug, Serialize)]
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

/// The oracle noise added to each coordinate of the (sub)gradient.
#[derive(Clone, Copy, Debug)]
enum Noise {
    /// ±1 with equal probability.
    Bounded,
    /// Student-t with `ν` degrees of freedom, scaled to unit variance.
    Heavy(f64),
}

impl Noise {
    fn name(self) -> &'static str {
        match self {
            Noise::Bounded => "bounded",
            Noise::Heavy(_) => "heavy-tailed",
        }
    }

    fn sampler(self) -> NoiseSampler {
        match self {
            Noise::Bounded => NoiseSampler::Rademacher,
            // ν > 2 is checked in the settings, so the distribution exists.
            Noise::Heavy(dof) => match StudentT::new(dof) {
                Ok(t) => NoiseSampler::Student(t, ((dof - 2.0) / dof).sqrt()),
                Err(_) => NoiseSampler::Rademacher,
            },
        }
    }
}

enum NoiseSampler {
    Rademacher,
    Student(StudentT<f64>, f64),
}

impl NoiseSampler {
    fn sample(&self, rng: &mut ChaCha8Rng) -> f64 {
        match self {
            NoiseSampler::Rademacher => {
                if rng.gen::<bool>() {
                    1.0
                } else {
                    -1.0
                }
            }
            NoiseSampler::Student(t, scale) => scale * rng.sample(t),
        }
    }
}

/// One of the three random problems, with its optimum.
struct Problem {
    name: &'static str,
    /// `m × d`, row-major.
    a: Vec<f64>,
    m: usize,
    d: usize,
    kind: Kind,
    optimum: f64,
    noise: f64,
}

enum Kind {
    /// `(1/m) Σ |aᵢᵀ(x − x⋆)| + λ‖x‖₁`, step scale `η`.
    Lad {
        x_star: Vec<f64>,
        lambda: f64,
        eta: f64,
    },
    /// `(1/2m)‖Ax − b‖² + (μ/2)‖x‖²`, step `1/(μ(t + t₀))`.
    Ridge { b: Vec<f64>, mu: f64, t0: f64 },
}

impl Problem {
    /// Least absolute deviations around a sparse `x⋆` (half its entries zero), plus `λ‖x‖₁`
    /// when `lambda > 0`, with the optimum certified.
    fn lad(settings: &Settings, lambda: f64) -> Result<Self> {
        let (m, d) = (settings.samples, settings.dim);
        let mut rng = ChaCha8Rng::seed_from_u64(settings.seed);
        let a: Vec<f64> = gaussian(&mut rng, m * d)
            .iter()
            .map(|v| v / (d as f64).sqrt())
            .collect();
        let x_star: Vec<f64> = (0..d)
            .map(|j| {
                let size = 0.5 + rng.gen::<f64>();
                let sign = if rng.gen::<bool>() { 1.0 } else { -1.0 };
                if j % 2 == 0 {
                    sign * size
                } else {
                    0.0
                }
            })
            .collect();
        if lambda > 0.0 {
            certify_l1_optimum(&a, m, d, &x_star, lambda)?;
        }
        let l1_norm: f64 = x_star.iter().map(|v| v.abs()).sum();
        // G ≤ max ‖aᵢ‖ + λ√d; η = ‖x₁ − x⋆‖ / sqrt(G² + dσ²) balances the two terms of the bound.
        let row_max = a
            .chunks_exact(d)
            .map(|r| dot(r, r).sqrt())
            .fold(0.0, f64::max);
        let lipschitz = row_max + lambda * (d as f64).sqrt();
        let noise = settings.noise;
        let eta = dot(&x_star, &x_star).sqrt()
            / (lipschitz * lipschitz + d as f64 * noise * noise).sqrt();
        Ok(Self {
            name: if lambda > 0.0 { "LAD + l1" } else { "LAD" },
            a,
            m,
            d,
            kind: Kind::Lad {
                x_star,
                lambda,
                eta,
            },
            optimum: lambda * l1_norm,
            noise,
        })
    }

    /// Ridge least squares, its minimiser by Cholesky.
    fn ridge(settings: &Settings) -> Result<Self> {
        let (m, d, mu) = (settings.samples, settings.dim, settings.strong_convexity);
        let mut rng = ChaCha8Rng::seed_from_u64(settings.seed.wrapping_add(1));
        let a = gaussian(&mut rng, m * d);
        let b = gaussian(&mut rng, m);
        let mut hessian = matmul_tn(&a, &a, m, d, d);
        hessian.iter_mut().for_each(|h| *h /= m as f64);
        (0..d).for_each(|i| hessian[i * d + i] += mu);
        let mut x_star = matmul_tn(&a, &b, m, d, 1);
        x_star.iter_mut().for_each(|v| *v /= m as f64);
        MatRef::from_row_major_slice(&hessian, d, d)
            .llt(Side::Lower)
            .map_err(|_| failed("the ridge Hessian is not positive definite"))?
            .solve_in_place(ColMut::from_slice_mut(&mut x_star));
        let smoothness = MatRef::from_row_major_slice(&hessian, d, d)
            .self_adjoint_eigenvalues(Side::Lower)
            .map_err(|_| failed("the ridge Hessian's eigenvalues did not converge"))?
            .into_iter()
            .fold(0.0, f64::max);
        let mut problem = Self {
            name: "ridge",
            a,
            m,
            d,
            kind: Kind::Ridge {
                b,
                mu,
                t0: (smoothness / mu).ceil(),
            },
            optimum: 0.0,
            noise: settings.noise,
        };
        problem.optimum = problem.value(&x_star);
        Ok(problem)
    }

    fn value(&self, x: &[f64]) -> f64 {
        let rows = self.a.chunks_exact(self.d);
        match &self.kind {
            Kind::Lad { x_star, lambda, .. } => {
                let data: f64 = rows
                    .map(|r| (dot(r, x) - dot(r, x_star)).abs())
                    .sum::<f64>();
                data / self.m as f64 + lambda * x.iter().map(|v| v.abs()).sum::<f64>()
            }
            Kind::Ridge { b, mu, .. } => {
                let data: f64 = rows.zip(b).map(|(r, bi)| (dot(r, x) - bi).powi(2)).sum();
                data / (2.0 * self.m as f64) + 0.5 * mu * dot(x, x)
            }
        }
    }

    /// A subgradient of the smooth or Lipschitz part `f` at `x`, into `g`.
    fn subgradient(&self, x: &[f64], g: &mut [f64]) {
        g.iter_mut().for_each(|v| *v = 0.0);
        let scale = 1.0 / self.m as f64;
        for (i, row) in self.a.chunks_exact(self.d).enumerate() {
            let weight = match &self.kind {
                Kind::Lad { x_star, .. } => (dot(row, x) - dot(row, x_star)).signum(),
                Kind::Ridge { b, .. } => dot(row, x) - b[i],
            };
            g.iter_mut()
                .zip(row)
                .for_each(|(gj, aj)| *gj += scale * weight * aj);
        }
        if let Kind::Ridge { mu, .. } = self.kind {
            g.iter_mut().zip(x).for_each(|(gj, xj)| *gj += mu * xj);
        }
    }

    /// The schedules the theory covers for this problem, and the predicted rate.
    fn schedules(&self) -> Vec<Schedule> {
        match self.kind {
            Kind::Lad { .. } => vec![Schedule::Anytime, Schedule::Horizon],
            Kind::Ridge { .. } => vec![Schedule::StronglyConvex],
        }
    }

    fn step(&self, schedule: Schedule, t: usize, horizon: usize) -> f64 {
        match (&self.kind, schedule) {
            (Kind::Lad { eta, .. }, Schedule::Horizon) => eta / (horizon as f64).sqrt(),
            (Kind::Lad { eta, .. }, _) => eta / (t as f64).sqrt(),
            (Kind::Ridge { mu, t0, .. }, _) => 1.0 / (mu * (t as f64 + t0)),
        }
    }

    /// The averaging weight of the point queried at step `t`.
    fn average_weight(&self, t: usize) -> f64 {
        match self.kind {
            Kind::Lad { .. } => 1.0,
            Kind::Ridge { t0, .. } => t as f64 + t0,
        }
    }

    fn l1(&self) -> f64 {
        match self.kind {
            Kind::Lad { lambda, .. } => lambda,
            Kind::Ridge { .. } => 0.0,
        }
    }
}

/// Checks that `x⋆` minimises `(1/m)‖A(x − x⋆)‖₁ + λ‖x‖₁`: a dual vector `s`, `‖s‖_∞ ≤ 1`, with
/// `Aᵀs/m + λu = 0` for `u = sign(x⋆)` (zero where `x⋆` is) — the least-norm solution
/// `s = −mλ A (AᵀA)⁻¹ u` is tried.
fn certify_l1_optimum(a: &[f64], m: usize, d: usize, x_star: &[f64], lambda: f64) -> Result<()> {
    let gram = matmul_tn(a, a, m, d, d);
    // `f64::signum(0.0)` is 1: the zero entries take u = 0 explicitly.
    let sign = |v: f64| if v == 0.0 { 0.0 } else { v.signum() };
    let mut w: Vec<f64> = x_star
        .iter()
        .map(|&v| -(m as f64) * lambda * sign(v))
        .collect();
    MatRef::from_row_major_slice(&gram, d, d)
        .llt(Side::Lower)
        .map_err(|_| failed("AᵀA is not positive definite"))?
        .solve_in_place(ColMut::from_slice_mut(&mut w));
    let worst = a
        .chunks_exact(d)
        .map(|row| dot(row, &w).abs())
        .fold(0.0, f64::max);
    if worst > 1.0 {
        let message = format!(
            "is too large for the planted optimum to be certified (dual vector's largest entry {worst:.3} > 1); lower it or raise samples"
        );
        return Err(Error::setting("l1", message));
    }
    Ok(())
}

fn failed(reason: &str) -> Error {
    Error::Core(inversa::Error::Solver(SolverError::Unsupported {
        solver: "last-iterate SGD",
        reason: reason.into(),
    }))
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Schedule {
    /// `η/√t`.
    Anytime,
    /// `η/√T`, the horizon known in advance.
    Horizon,
    /// `1/(μ(t + t₀))`.
    StronglyConvex,
}

impl Schedule {
    fn name(self) -> &'static str {
        match self {
            Schedule::Anytime => "eta/sqrt(t)",
            Schedule::Horizon => "eta/sqrt(T)",
            Schedule::StronglyConvex => "1/(mu(t+t0))",
        }
    }
}

/// The last and averaged suboptimality at each horizon of one run.
struct Trace {
    last: Vec<f64>,
    average: Vec<f64>,
}

/// Proximal SGD from `x₁ = 0`, recording the gaps at each horizon in `record` (increasing); the
/// step uses `horizon` for the η/√T schedule.
fn sgd(
    problem: &Problem,
    schedule: Schedule,
    sampler: &NoiseSampler,
    rng: &mut ChaCha8Rng,
    record: &[usize],
    horizon: usize,
) -> Trace {
    let d = problem.d;
    let (mut x, mut g, mut sum) = (vec![0.0; d], vec![0.0; d], vec![0.0; d]);
    let mut weights = 0.0;
    let mut trace = Trace {
        last: Vec::with_capacity(record.len()),
        average: Vec::with_capacity(record.len()),
    };
    let mut next = record.iter().peekable();
    let last_t = record.last().copied().unwrap_or(0);
    for t in 1..=last_t {
        let w = problem.average_weight(t);
        weights += w;
        sum.iter_mut().zip(&x).for_each(|(s, xi)| *s += w * xi);
        problem.subgradient(&x, &mut g);
        let eta = problem.step(schedule, t, horizon);
        let threshold = eta * problem.l1();
        for (xi, gi) in x.iter_mut().zip(&g) {
            let y = *xi - eta * (gi + problem.noise * sampler.sample(rng));
            *xi = y.signum() * (y.abs() - threshold).max(0.0);
        }
        if next.peek() == Some(&&t) {
            next.next();
            let mean: Vec<f64> = sum.iter().map(|s| s / weights).collect();
            trace.last.push(problem.value(&x) - problem.optimum);
            trace.average.push(problem.value(&mean) - problem.optimum);
        }
    }
    trace
}

/// The gaps of one seed for a schedule: one run recorded at every horizon (anytime schedules),
/// or one run per horizon (η/√T).
fn seed_trace(
    problem: &Problem,
    schedule: Schedule,
    noise: Noise,
    horizons: &[usize],
    stream: u64,
    seed: u64,
) -> Trace {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    let sampler = noise.sampler();
    if schedule != Schedule::Horizon {
        let max = horizons.last().copied().unwrap_or(0);
        return sgd(problem, schedule, &sampler, &mut rng, horizons, max);
    }
    let mut trace = Trace {
        last: Vec::new(),
        average: Vec::new(),
    };
    for &t in horizons {
        let run = sgd(problem, schedule, &sampler, &mut rng, &[t], t);
        trace.last.extend(run.last);
        trace.average.extend(run.average);
    }
    trace
}

/// The last and averaged curves of every schedule of `problem` under `noise`.
fn problem_curves(settings: &Settings, problem: &Problem, noise: Noise) -> Vec<Curve> {
    let horizons = settings.horizons(settings.max_horizon);
    let (rate, rate_name): (fn(f64) -> f64, &str) = match problem.kind {
        Kind::Lad { .. } => (|t| t.ln() / t.sqrt(), "log T / sqrt T"),
        Kind::Ridge { .. } => (|t| t.ln() / t, "log T / T"),
    };
    let mut curves = Vec::new();
    for (k, schedule) in problem.schedules().into_iter().enumerate() {
        let noise_index = matches!(noise, Noise::Heavy(_)) as u64;
        let traces: Vec<Trace> = (0..settings.seeds as u64)
            .into_par_iter()
            .map(|s| {
                let stream = (s * 8 + noise_index * 4 + k as u64) * 4 + problem_index(problem);
                seed_trace(problem, schedule, noise, &horizons, stream, settings.seed)
            })
            .collect();
        for (iterate, pick) in [("last", 0), ("average", 1)] {
            let gaps: Vec<&Vec<f64>> = traces
                .iter()
                .map(|t| if pick == 0 { &t.last } else { &t.average })
                .collect();
            let labels = (problem.name, noise.name(), schedule.name(), iterate);
            curves.push(summarise(labels, &horizons, &gaps, rate, rate_name));
        }
    }
    curves
}

fn problem_index(problem: &Problem) -> u64 {
    match (&problem.kind, problem.l1() > 0.0) {
        (Kind::Lad { .. }, false) => 0,
        (Kind::Lad { .. }, true) => 1,
        (Kind::Ridge { .. }, _) => 2,
    }
}

/// Median, 90% quantile and the fitted and predicted slopes of one curve.
fn summarise(
    labels: (&'static str, &'static str, &'static str, &'static str),
    horizons: &[usize],
    gaps: &[&Vec<f64>],
    rate: fn(f64) -> f64,
    rate_name: &'static str,
) -> Curve {
    let at = |k: usize| -> Vec<f64> { gaps.iter().map(|g| g[k].max(0.0)).collect() };
    let median: Vec<f64> = (0..horizons.len()).map(|k| quantile(&at(k), 0.5)).collect();
    let quantile_90: Vec<f64> = (0..horizons.len()).map(|k| quantile(&at(k), 0.9)).collect();
    let ts: Vec<f64> = horizons.iter().map(|&t| t as f64).collect();
    let rates: Vec<f64> = ts.iter().map(|&t| rate(t)).collect();
    let ratios: Vec<f64> = median.iter().zip(&rates).map(|(m, r)| m / r).collect();
    let spread = ratios.iter().copied().fold(0.0, f64::max)
        / ratios.iter().copied().fold(f64::INFINITY, f64::min);
    let worst_q90_over_median = quantile_90
        .iter()
        .zip(&median)
        .map(|(q, m)| q / m)
        .fold(0.0, f64::max);
    Curve {
        problem: labels.0,
        noise: labels.1,
        schedule: labels.2,
        iterate: labels.3,
        horizons: horizons.to_vec(),
        fitted_exponent: log_slope(&ts, &median),
        predicted_exponent: log_slope(&ts, &rates),
        predicted_rate: rate_name,
        median_over_rate_spread: spread,
        worst_q90_over_median,
        median,
        quantile_90,
    }
}

/// The `q` quantile (linear interpolation between order statistics).
fn quantile(values: &[f64], q: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let position = q * (sorted.len() - 1) as f64;
    let (low, high) = (position.floor() as usize, position.ceil() as usize);
    let frac = position - low as f64;
    sorted[low] * (1.0 - frac) + sorted[high] * frac
}

/// Least-squares slope of `log y` against `log x`.
fn log_slope(x: &[f64], y: &[f64]) -> f64 {
    let lx: Vec<f64> = x.iter().map(|v| v.ln()).collect();
    let ly: Vec<f64> = y.iter().map(|v| v.ln()).collect();
    let n = lx.len() as f64;
    let (mx, my) = (lx.iter().sum::<f64>() / n, ly.iter().sum::<f64>() / n);
    let cov: f64 = lx.iter().zip(&ly).map(|(a, b)| (a - mx) * (b - my)).sum();
    let var: f64 = lx.iter().map(|a| (a - mx).powi(2)).sum();
    cov / var
}

/// Subgradient descent on Harvey et al.'s function in `R^T` for each horizon `T`.
fn hard_instance(horizons: &[usize]) -> HardInstance {
    let runs: Vec<(f64, f64)> = horizons.par_iter().map(|&t| hard_run(t)).collect();
    let last: Vec<f64> = runs.iter().map(|r| r.0).collect();
    let average: Vec<f64> = runs.iter().map(|r| r.1).collect();
    let ts: Vec<f64> = horizons.iter().map(|&t| t as f64).collect();
    let lower_bound = ts
        .iter()
        .map(|&t| (1..=t as usize).map(|j| 1.0 / j as f64).sum::<f64>() / (32.0 * t.sqrt()))
        .collect();
    let last_times_sqrt_t_over_log_t = last
        .iter()
        .zip(&ts)
        .map(|(f, t)| f * t.sqrt() / t.ln())
        .collect();
    HardInstance {
        horizons: horizons.to_vec(),
        last_fitted_exponent: log_slope(&ts, &last),
        last,
        average,
        lower_bound,
        last_times_sqrt_t_over_log_t,
    }
}

/// Harvey et al.'s `f(x) = max_{i ≤ T+1} hᵢᵀx` on the unit ball of `R^T`, with
/// `h_{i,j} = a_j (j < i)`, `−b_i (j = i ≤ T)`, `0 (j > i)`, `a_j = 1/(8(T − j + 1))`,
/// `b_j = √j / (2√T)` (1-based).
struct Hard {
    a: Vec<f64>,
    b: Vec<f64>,
}

impl Hard {
    fn new(t: usize) -> Self {
        let tf = t as f64;
        Self {
            a: (1..=t)
                .map(|j| 1.0 / (8.0 * (tf - j as f64 + 1.0)))
                .collect(),
            b: (1..=t)
                .map(|j| (j as f64).sqrt() / (2.0 * tf.sqrt()))
                .collect(),
        }
    }

    /// `f(x)` and the first index (0-based) attaining the maximum: the oracle of the paper.
    fn value(&self, x: &[f64]) -> (f64, usize) {
        let (mut prefix, mut best, mut arg) = (0.0, f64::NEG_INFINITY, 0);
        for (i, ((ai, bi), xi)) in self.a.iter().zip(&self.b).zip(x).enumerate() {
            let hx = prefix - bi * xi;
            if hx > best {
                (best, arg) = (hx, i);
            }
            prefix += ai * xi;
        }
        if prefix > best {
            (best, arg) = (prefix, self.a.len());
        }
        (best, arg)
    }
}

/// `(f(x_{T+1}), f(x̄_T))` of subgradient descent with `η_t = 1/√t` and projection on the ball.
fn hard_run(t: usize) -> (f64, f64) {
    let hard = Hard::new(t);
    let (mut x, mut sum) = (vec![0.0; t], vec![0.0; t]);
    for step in 1..=t {
        sum.iter_mut().zip(&x).for_each(|(s, xi)| *s += xi);
        let (_, i) = hard.value(&x);
        let eta = 1.0 / (step as f64).sqrt();
        // x − η hᵢ: hᵢ = (a_1, …, a_{i−1}, −b_i, 0, …).
        x.iter_mut()
            .zip(&hard.a)
            .take(i)
            .for_each(|(xj, aj)| *xj -= eta * aj);
        if i < t {
            x[i] += eta * hard.b[i];
        }
        let norm = dot(&x, &x).sqrt();
        if norm > 1.0 {
            x.iter_mut().for_each(|v| *v /= norm);
        }
    }
    let mean: Vec<f64> = sum.iter().map(|s| s / t as f64).collect();
    (hard.value(&x).0, hard.value(&mean).0)
}

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
mod tests {
    use super::*;

    #[test]
    fn quantile_matches_order_statistics() {
        let values = [5.0, 1.0, 4.0, 2.0, 3.0];
        assert_eq!(quantile(&values, 0.5), 3.0);
        assert_eq!(quantile(&values, 1.0), 5.0);
        assert!((quantile(&values, 0.9) - 4.6).abs() < 1e-12);
    }

    #[test]
    fn hard_instance_last_iterate_stays_above_the_harvey_bound() {
        let mut ratios = Vec::new();
        for t in [64, 256, 1024] {
            let (last, average) = hard_run(t);
            let harmonic: f64 = (1..=t).map(|j| 1.0 / j as f64).sum();
            let bound = harmonic / (32.0 * (t as f64).sqrt());
            assert!(last >= bound, "T = {t}: {last} < {bound}");
            ratios.push(last / average);
        }
        // The last iterate loses a factor that grows with T (log T) against the average (1/√T).
        assert!(
            ratios[0] > 1.0 && ratios[1] > ratios[0] && ratios[2] > ratios[1],
            "{ratios:?}"
        );
    }

    #[test]
    fn planted_optima_are_minima() {
        let settings = Settings::quick();
        let lad = Problem::lad(&settings, settings.l1).unwrap();
        let Kind::Lad { x_star, .. } = &lad.kind else {
            unreachable!()
        };
        assert!((lad.value(x_star) - lad.optimum).abs() < 1e-12);
        // Brute force: no random point near x⋆ does better.
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for k in 0..400 {
            let scale = 10f64.powi(-(k % 5));
            let probe: Vec<f64> = x_star
                .iter()
                .map(|v| v + scale * (rng.gen::<f64>() - 0.5))
                .collect();
            assert!(lad.value(&probe) >= lad.optimum - 1e-12);
        }
        // The ridge minimiser has a zero gradient.
        let ridge = Problem::ridge(&settings).unwrap();
        let x = ridge_minimiser(&ridge);
        let mut g = vec![0.0; ridge.d];
        ridge.subgradient(&x, &mut g);
        assert!(dot(&g, &g).sqrt() < 1e-10, "{g:?}");
    }

    /// The ridge minimiser by gradient descent with step 1/L, not by the Cholesky solve.
    fn ridge_minimiser(problem: &Problem) -> Vec<f64> {
        let Kind::Ridge { mu, t0, .. } = problem.kind else {
            unreachable!()
        };
        let step = 1.0 / (mu * t0);
        let (mut x, mut g) = (vec![0.0; problem.d], vec![0.0; problem.d]);
        for _ in 0..20_000 {
            problem.subgradient(&x, &mut g);
            x.iter_mut().zip(&g).for_each(|(xi, gi)| *xi -= step * gi);
        }
        assert!((problem.value(&x) - problem.optimum).abs() < 1e-12);
        x
    }

    #[test]
    fn quick_run_follows_the_predicted_rates() {
        let outcome = run(&Settings::quick(), &mut |_| {}).unwrap();
        for c in &outcome.report.curves {
            let what = format!(
                "{} / {} / {} / {}",
                c.problem, c.noise, c.schedule, c.iterate
            );
            let (first, last) = (c.median[0], c.median[c.median.len() - 1]);
            assert!(last < first, "{what}: {first} → {last}");
            assert!(c.quantile_90.iter().zip(&c.median).all(|(q, m)| q >= m));
            if c.iterate == "last" {
                // O(rate): median / rate stays within a constant band over a 64-fold range of T,
                // and the median falls at least as fast as the rate does.
                assert!(c.median_over_rate_spread < 4.0, "{what}: {c:?}");
                assert!(
                    c.fitted_exponent < c.predicted_exponent + 0.05,
                    "{what}: {c:?}"
                );
            }
        }
        let hard = &outcome.report.hard_instance;
        assert!(hard.last.iter().zip(&hard.lower_bound).all(|(f, b)| f >= b));
        outcome.check_finite().unwrap();
    }

    #[test]
    fn settings_are_checked_by_name() {
        let settings = Settings {
            seeds: 5,
            ..Settings::quick()
        };
        let error = run(&settings, &mut |_| {}).err().unwrap();
        assert!(matches!(error, Error::Setting { ref key, .. } if key == "seeds"));
        let settings = Settings {
            l1: 50.0,
            ..Settings::quick()
        };
        let error = run(&settings, &mut |_| {}).err().unwrap();
        assert!(matches!(error, Error::Setting { ref key, .. } if key == "l1"));
    }
}
