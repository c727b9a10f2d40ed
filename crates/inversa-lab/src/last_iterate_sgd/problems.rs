//! The test problems, their noisy oracles, SGD with its step-size schedules, and the curves
//! summarised over seeds.

use super::{Curve, Settings};
use crate::{Error, Result};
use faer::linalg::solvers::Solve;
use faer::{ColMut, MatRef, Side};
use inversa::numerics::{gaussian, matmul_tn};
use inversa::solvers::SolverError;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StudentT;
use rayon::prelude::*;

/// The oracle noise added to each coordinate of the (sub)gradient.
#[derive(Clone, Copy, Debug)]
pub(super) enum Noise {
    /// ±1 with equal probability.
    Bounded,
    /// Student-t with `ν` degrees of freedom, scaled to unit variance.
    Heavy(f64),
}

impl Noise {
    pub(super) fn name(self) -> &'static str {
        match self {
            Noise::Bounded => "bounded",
            Noise::Heavy(_) => "heavy-tailed",
        }
    }

    pub(super) fn sampler(self) -> NoiseSampler {
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

pub(super) enum NoiseSampler {
    Rademacher,
    Student(StudentT<f64>, f64),
}

impl NoiseSampler {
    pub(super) fn sample(&self, rng: &mut ChaCha8Rng) -> f64 {
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
pub(super) struct Problem {
    pub(super) name: &'static str,
    /// `m × d`, row-major.
    pub(super) a: Vec<f64>,
    pub(super) m: usize,
    pub(super) d: usize,
    pub(super) kind: Kind,
    pub(super) optimum: f64,
    pub(super) noise: f64,
}

pub(super) enum Kind {
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
    pub(super) fn lad(settings: &Settings, lambda: f64) -> Result<Self> {
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
    pub(super) fn ridge(settings: &Settings) -> Result<Self> {
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

    pub(super) fn value(&self, x: &[f64]) -> f64 {
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
    pub(super) fn subgradient(&self, x: &[f64], g: &mut [f64]) {
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
    pub(super) fn schedules(&self) -> Vec<Schedule> {
        match self.kind {
            Kind::Lad { .. } => vec![Schedule::Anytime, Schedule::Horizon],
            Kind::Ridge { .. } => vec![Schedule::StronglyConvex],
        }
    }

    pub(super) fn step(&self, schedule: Schedule, t: usize, horizon: usize) -> f64 {
        match (&self.kind, schedule) {
            (Kind::Lad { eta, .. }, Schedule::Horizon) => eta / (horizon as f64).sqrt(),
            (Kind::Lad { eta, .. }, _) => eta / (t as f64).sqrt(),
            (Kind::Ridge { mu, t0, .. }, _) => 1.0 / (mu * (t as f64 + t0)),
        }
    }

    /// The averaging weight of the point queried at step `t`.
    pub(super) fn average_weight(&self, t: usize) -> f64 {
        match self.kind {
            Kind::Lad { .. } => 1.0,
            Kind::Ridge { t0, .. } => t as f64 + t0,
        }
    }

    pub(super) fn l1(&self) -> f64 {
        match self.kind {
            Kind::Lad { lambda, .. } => lambda,
            Kind::Ridge { .. } => 0.0,
        }
    }
}

/// Checks that `x⋆` minimises `(1/m)‖A(x − x⋆)‖₁ + λ‖x‖₁`: a dual vector `s`, `‖s‖_∞ ≤ 1`, with
/// `Aᵀs/m + λu = 0` for `u = sign(x⋆)` (zero where `x⋆` is) — the least-norm solution
/// `s = −mλ A (AᵀA)⁻¹ u` is tried.
pub(super) fn certify_l1_optimum(
    a: &[f64],
    m: usize,
    d: usize,
    x_star: &[f64],
    lambda: f64,
) -> Result<()> {
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

pub(super) fn failed(reason: &str) -> Error {
    Error::Core(inversa::Error::Solver(SolverError::Unsupported {
        solver: "last-iterate SGD",
        reason: reason.into(),
    }))
}

pub(super) fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Schedule {
    /// `η/√t`.
    Anytime,
    /// `η/√T`, the horizon known in advance.
    Horizon,
    /// `1/(μ(t + t₀))`.
    StronglyConvex,
}

impl Schedule {
    pub(super) fn name(self) -> &'static str {
        match self {
            Schedule::Anytime => "eta/sqrt(t)",
            Schedule::Horizon => "eta/sqrt(T)",
            Schedule::StronglyConvex => "1/(mu(t+t0))",
        }
    }
}

/// The last and averaged suboptimality at each horizon of one run.
pub(super) struct Trace {
    pub(super) last: Vec<f64>,
    pub(super) average: Vec<f64>,
}

/// Proximal SGD from `x₁ = 0`, recording the gaps at each horizon in `record` (increasing); the
/// step uses `horizon` for the η/√T schedule.
pub(super) fn sgd(
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
pub(super) fn seed_trace(
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
pub(super) fn problem_curves(settings: &Settings, problem: &Problem, noise: Noise) -> Vec<Curve> {
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

pub(super) fn problem_index(problem: &Problem) -> u64 {
    match (&problem.kind, problem.l1() > 0.0) {
        (Kind::Lad { .. }, false) => 0,
        (Kind::Lad { .. }, true) => 1,
        (Kind::Ridge { .. }, _) => 2,
    }
}

/// Median, 90% quantile and the fitted and predicted slopes of one curve.
pub(super) fn summarise(
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
pub(super) fn quantile(values: &[f64], q: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let position = q * (sorted.len() - 1) as f64;
    let (low, high) = (position.floor() as usize, position.ceil() as usize);
    let frac = position - low as f64;
    sorted[low] * (1.0 - frac) + sorted[high] * frac
}

/// Least-squares slope of `log y` against `log x`.
pub(super) fn log_slope(x: &[f64], y: &[f64]) -> f64 {
    let lx: Vec<f64> = x.iter().map(|v| v.ln()).collect();
    let ly: Vec<f64> = y.iter().map(|v| v.ln()).collect();
    let n = lx.len() as f64;
    let (mx, my) = (lx.iter().sum::<f64>() / n, ly.iter().sum::<f64>() / n);
    let cov: f64 = lx.iter().zip(&ly).map(|(a, b)| (a - mx) * (b - my)).sum();
    let var: f64 = lx.iter().map(|a| (a - mx).powi(2)).sum();
    cov / var
}
