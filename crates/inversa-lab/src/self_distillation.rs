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
use faer::linalg::solvers::{Llt, Solve};
use faer::{ColMut, Mat, MatRef, Side};
use inversa::numerics::{gaussian, matmul};
use inversa::report::plot::{Panel, Series};
use inversa::solvers::SolverError;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::Serialize;

/// The experiment's settings.
#[derive(Clone, Debug, Serialize)]
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

/// The truth `f*(x) = sin(2πx) + ½ sin(6πx)` on `[0, 1]`.
fn truth(x: f64) -> f64 {
    (2.0 * std::f64::consts::PI * x).sin() + 0.5 * (6.0 * std::f64::consts::PI * x).sin()
}

/// One data set: noisy training and validation labels, noise-free test values.
struct Data {
    x_train: Vec<f64>,
    y_train: Vec<f64>,
    x_val: Vec<f64>,
    y_val: Vec<f64>,
    x_test: Vec<f64>,
    f_test: Vec<f64>,
}

impl Data {
    fn draw(settings: &Settings, index: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(settings.seed);
        rng.set_stream(index);
        let mut sample = |n: usize| -> (Vec<f64>, Vec<f64>) {
            let x: Vec<f64> = (0..n).map(|_| rng.gen::<f64>()).collect();
            let noise = gaussian(&mut rng, n);
            let y = x
                .iter()
                .zip(&noise)
                .map(|(&xi, e)| truth(xi) + settings.noise * e)
                .collect();
            (x, y)
        };
        let (x_train, y_train) = sample(settings.train);
        let (x_val, y_val) = sample(settings.validation);
        let x_test: Vec<f64> = (0..settings.test)
            .map(|i| (i as f64 + 0.5) / settings.test as f64)
            .collect();
        let f_test = x_test.iter().map(|&x| truth(x)).collect();
        Self {
            x_train,
            y_train,
            x_val,
            y_val,
            x_test,
            f_test,
        }
    }
}

/// `k(a_i, b_j)` for the Gaussian kernel, row-major `a.len() × b.len()`.
fn kernel(a: &[f64], b: &[f64], length_scale: f64) -> Vec<f64> {
    let scale = -0.5 / (length_scale * length_scale);
    a.iter()
        .flat_map(|&ai| b.iter().map(move |&bj| (scale * (ai - bj).powi(2)).exp()))
        .collect()
}

/// Predictions of one fit on the three point sets.
#[derive(Clone, Debug)]
struct Fit {
    train: Vec<f64>,
    val: Vec<f64>,
    test: Vec<f64>,
}

/// Kernel ridge regression on one data set with ridge weight `c`: the Cholesky factor of
/// `K + cI` (brute force) and the eigendecomposition of `K` (closed forms).
struct Krr {
    n: usize,
    k: Vec<f64>,
    k_val: Vec<f64>,
    k_test: Vec<f64>,
    factor: Llt<f64>,
    c: f64,
    /// Eigenvalues `d` (clamped at 0: K is PSD) and eigenvectors (columns).
    d: Vec<f64>,
    v: Mat<f64>,
}

fn failed(reason: &str) -> Error {
    Error::Core(inversa::Error::Solver(SolverError::Unsupported {
        solver: "kernel ridge regression",
        reason: reason.into(),
    }))
}

impl Krr {
    fn new(data: &Data, length_scale: f64, c: f64) -> Result<Self> {
        let n = data.x_train.len();
        let k = kernel(&data.x_train, &data.x_train, length_scale);
        let factor = factor(&k, n, c)?;
        let eigen = MatRef::from_row_major_slice(&k, n, n)
            .self_adjoint_eigen(Side::Lower)
            .map_err(|_| failed("the kernel matrix's eigendecomposition did not converge"))?;
        let d = (0..n).map(|i| eigen.S()[i].max(0.0)).collect();
        Ok(Self {
            n,
            k_val: kernel(&data.x_val, &data.x_train, length_scale),
            k_test: kernel(&data.x_test, &data.x_train, length_scale),
            k,
            factor,
            c,
            d,
            v: eigen.U().to_owned(),
        })
    }

    /// Predictions of the fit with coefficients `beta`.
    fn predict(&self, beta: &[f64]) -> Fit {
        let n = self.n;
        Fit {
            train: matmul(&self.k, beta, n, n, 1),
            val: matmul(&self.k_val, beta, self.k_val.len() / n, n, 1),
            test: matmul(&self.k_test, beta, self.k_test.len() / n, n, 1),
        }
    }

    /// Brute force: solves `(K + cI) β = targets`.
    fn fit(&self, targets: &[f64]) -> Fit {
        let mut beta = targets.to_vec();
        self.factor
            .solve_in_place(ColMut::from_slice_mut(&mut beta));
        self.predict(&beta)
    }

    /// `Vᵀ w`.
    fn to_eigen(&self, w: &[f64]) -> Vec<f64> {
        (0..self.n)
            .map(|k| (0..self.n).map(|i| self.v[(i, k)] * w[i]).sum())
            .collect()
    }

    /// `V diag(filter) z`.
    fn synthesise(&self, filter: &[f64], z: &[f64]) -> Vec<f64> {
        (0..self.n)
            .map(|i| (0..self.n).map(|k| self.v[(i, k)] * filter[k] * z[k]).sum())
            .collect()
    }

    /// The closed form: the fits of steps `0..=len(weights)` as spectral filters of `y`.
    fn closed_form(&self, y: &[f64], weights: &[f64]) -> Vec<Fit> {
        let z = self.to_eigen(y);
        // β = V diag(g) Vᵀ y with g^(0) = 1/(d + c), g^(τ) = (α + (1 − α) a^(τ−1))/(d + c),
        // a = d g: the filter of the training predictions.
        let mut g: Vec<f64> = self.d.iter().map(|d| 1.0 / (d + self.c)).collect();
        let mut fits = vec![self.predict(&self.synthesise(&g, &z))];
        for &alpha in weights {
            g = self
                .d
                .iter()
                .zip(&g)
                .map(|(d, gk)| (alpha + (1.0 - alpha) * d * gk) / (d + self.c))
                .collect();
            fits.push(self.predict(&self.synthesise(&g, &z)));
        }
        fits
    }

    /// The training predictions of each step from the initial fit alone:
    /// `V diag(a^(τ)/p) Vᵀ ŷ^(0)`, `a^(τ)/p = α_τ + (1 − α_τ) a^(τ−1)`.
    fn steps_from_initial_fit(&self, initial: &[f64], weights: &[f64]) -> Vec<Vec<f64>> {
        let z0 = self.to_eigen(initial);
        let p: Vec<f64> = self.d.iter().map(|d| d / (d + self.c)).collect();
        let mut a = p.clone();
        let mut out = Vec::new();
        for &alpha in weights {
            let ratio: Vec<f64> = a.iter().map(|ak| alpha + (1.0 - alpha) * ak).collect();
            out.push(self.synthesise(&ratio, &z0));
            a = ratio.iter().zip(&p).map(|(r, pk)| r * pk).collect();
        }
        out
    }

    /// The geometric-series filter of step `τ` for a constant `α`.
    fn constant_weight_filter(&self, alpha: f64, tau: usize) -> Vec<f64> {
        self.d
            .iter()
            .map(|d| {
                let p = d / (d + self.c);
                let r = (1.0 - alpha) * p;
                let series = if (1.0 - r).abs() < 1e-15 {
                    tau as f64
                } else {
                    (1.0 - r.powi(tau as i32)) / (1.0 - r)
                };
                p * (alpha * series + r.powi(tau as i32))
            })
            .collect()
    }
}

fn factor(k: &[f64], n: usize, c: f64) -> Result<Llt<f64>> {
    let mut shifted = k.to_vec();
    (0..n).for_each(|i| shifted[i * n + i] += c);
    MatRef::from_row_major_slice(&shifted, n, n)
        .llt(Side::Lower)
        .map_err(|_| failed("K + cI is not positive definite"))
}

/// Brute force: refits step by step; the fits of steps `0..=len(weights)`.
fn iterate(krr: &Krr, y: &[f64], weights: &[f64]) -> Vec<Fit> {
    let mut fits = vec![krr.fit(y)];
    for &alpha in weights {
        let previous = &fits[fits.len() - 1].train;
        let targets: Vec<f64> = y
            .iter()
            .zip(previous)
            .map(|(yi, pi)| alpha * yi + (1.0 - alpha) * pi)
            .collect();
        fits.push(krr.fit(&targets));
    }
    fits
}

/// `argmin_{α ∈ [0,1]} ‖v + α u − r‖²` in closed form.
fn optimal_weight(u: &[f64], v: &[f64], r: &[f64]) -> f64 {
    let num: f64 = u
        .iter()
        .zip(v)
        .zip(r)
        .map(|((ui, vi), ri)| ui * (ri - vi))
        .sum();
    let den: f64 = u.iter().map(|ui| ui * ui).sum();
    if den > 0.0 {
        (num / den).clamp(0.0, 1.0)
    } else {
        1.0
    }
}

fn squared_error(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum()
}

fn mse(a: &[f64], b: &[f64]) -> f64 {
    squared_error(a, b) / a.len() as f64
}

fn relative(a: &[f64], b: &[f64]) -> f64 {
    squared_error(a, b).sqrt() / squared_error(b, &vec![0.0; b.len()]).sqrt().max(1e-300)
}

/// Where the weight of each step is chosen.
#[derive(Clone, Copy)]
enum Weighting {
    Constant(f64),
    /// The closed-form optimum on the validation set, step by step.
    Validation,
    /// The closed-form optimum against the noise-free truth on the test grid (an oracle: what
    /// the best weights could give).
    Oracle,
}

impl Weighting {
    fn name(self) -> &'static str {
        match self {
            Weighting::Constant(0.0) => "alpha = 0 (no labels)",
            Weighting::Constant(_) => "alpha = 0.5",
            Weighting::Validation => "optimal alpha (validation)",
            Weighting::Oracle => "optimal alpha (oracle)",
        }
    }
}

const WEIGHTINGS: [Weighting; 4] = [
    Weighting::Constant(0.0),
    Weighting::Constant(0.5),
    Weighting::Validation,
    Weighting::Oracle,
];

/// The weights and fits of `steps` greedy steps, each weight the closed-form optimum of the
/// step's criterion given the previous fit.
fn greedy(krr: &Krr, data: &Data, steps: usize, weighting: Weighting) -> (Vec<f64>, Vec<Fit>) {
    let y = &data.y_train;
    let mut fits = vec![krr.fit(y)];
    let mut weights = Vec::new();
    let full = &fits[0].clone();
    for _ in 0..steps {
        let previous = &fits[fits.len() - 1];
        let none = krr.fit(&previous.train);
        let alpha = match weighting {
            Weighting::Constant(a) => a,
            Weighting::Validation => {
                let u: Vec<f64> = full.val.iter().zip(&none.val).map(|(f, v)| f - v).collect();
                optimal_weight(&u, &none.val, &data.y_val)
            }
            Weighting::Oracle => {
                let u: Vec<f64> = full
                    .test
                    .iter()
                    .zip(&none.test)
                    .map(|(f, v)| f - v)
                    .collect();
                optimal_weight(&u, &none.test, &data.f_test)
            }
        };
        let targets: Vec<f64> = y
            .iter()
            .zip(&previous.train)
            .map(|(yi, pi)| alpha * yi + (1.0 - alpha) * pi)
            .collect();
        weights.push(alpha);
        fits.push(krr.fit(&targets));
    }
    (weights, fits)
}

/// One weighting on one data set.
struct Curve {
    test: Vec<f64>,
    val: Vec<f64>,
    weights: Vec<f64>,
}

impl Curve {
    /// The test MSE of the step with the least validation MSE: a step count chosen without
    /// looking at the test set.
    fn selected_test(&self) -> f64 {
        let best = (0..self.val.len())
            .min_by(|&a, &b| self.val[a].total_cmp(&self.val[b]))
            .unwrap_or(0);
        self.test[best]
    }
}

impl SeedResult {
    /// The curve of the validation-optimal weights.
    fn validation(&self) -> &Curve {
        &self.curves[2]
    }
}

/// One data set's results.
struct SeedResult {
    checks: [f64; 6],
    /// Per weighting: test MSE per step, validation MSE per step, and the weights.
    curves: Vec<Curve>,
    tuned_ridge: f64,
    /// Criterion against α at step 1 (validation), and the closed-form α* with its value.
    grid_curve: Vec<(f64, f64)>,
    closed: (f64, f64),
}

fn run_seed(settings: &Settings, ridge: f64, index: u64) -> Result<SeedResult> {
    let data = Data::draw(settings, index);
    let krr = Krr::new(&data, settings.length_scale, ridge)?;
    let mut curves = Vec::new();
    let mut closed_vs_iter: f64 = 0.0;
    let mut initial_vs_iter: f64 = 0.0;
    for weighting in WEIGHTINGS {
        let (weights, fits) = greedy(&krr, &data, settings.steps, weighting);
        let closed = krr.closed_form(&data.y_train, &weights);
        let brute = iterate(&krr, &data.y_train, &weights);
        for ((c, b), f) in closed.iter().zip(&brute).zip(&fits) {
            closed_vs_iter = closed_vs_iter
                .max(relative(&c.train, &b.train))
                .max(relative(&c.test, &b.test))
                .max(relative(&f.test, &b.test));
        }
        let from_initial = krr.steps_from_initial_fit(&brute[0].train, &weights);
        for (a, b) in from_initial.iter().zip(&brute[1..]) {
            initial_vs_iter = initial_vs_iter.max(relative(a, &b.train));
        }
        curves.push(Curve {
            test: fits.iter().map(|f| mse(&f.test, &data.f_test)).collect(),
            val: fits.iter().map(|f| mse(&f.val, &data.y_val)).collect(),
            weights,
        });
    }
    let (geometric, limit) = constant_weight_checks(&krr, &data, settings)?;
    let grid = grid_check(&krr, &data, settings.grid);
    Ok(SeedResult {
        checks: [
            closed_vs_iter,
            initial_vs_iter,
            geometric,
            limit,
            grid.spacings,
            grid.excess,
        ],
        curves,
        tuned_ridge: tuned_ridge(&data, settings, ridge)?,
        grid_curve: grid.curve,
        closed: grid.closed,
    })
}

/// The geometric-series form against refitting, and many steps against ridge with `c/α`.
fn constant_weight_checks(krr: &Krr, data: &Data, settings: &Settings) -> Result<(f64, f64)> {
    let y = &data.y_train;
    let z = krr.to_eigen(y);
    let (mut geometric, mut limit): (f64, f64) = (0.0, 0.0);
    for alpha in [0.25, 0.5, 0.75] {
        let brute = iterate(krr, y, &vec![alpha; settings.steps]);
        for (tau, fit) in brute.iter().enumerate() {
            let filter = krr.constant_weight_filter(alpha, tau);
            geometric = geometric.max(relative(&krr.synthesise(&filter, &z), &fit.train));
        }
        // (1 − α) p ≤ 1 − α: 400 steps shrink the distance to the limit below 0.75^400.
        let many = iterate(krr, y, &[alpha; 400]);
        let amplified = Krr::new(data, settings.length_scale, krr.c / alpha)?;
        let direct = amplified.fit(y);
        let reached = &many[many.len() - 1];
        limit = limit
            .max(relative(&reached.train, &direct.train))
            .max(relative(&reached.test, &direct.test));
    }
    Ok((geometric, limit))
}

/// At step 1 (after the initial fit): the closed-form validation-optimal `α*` against a grid
/// search that refits every grid point.
fn grid_check(krr: &Krr, data: &Data, grid: usize) -> GridCheck {
    let y = &data.y_train;
    let initial = krr.fit(y);
    let criterion = |alpha: f64| {
        let targets: Vec<f64> = y
            .iter()
            .zip(&initial.train)
            .map(|(yi, pi)| alpha * yi + (1.0 - alpha) * pi)
            .collect();
        mse(&krr.fit(&targets).val, &data.y_val)
    };
    let curve: Vec<(f64, f64)> = (0..grid)
        .map(|i| {
            let alpha = i as f64 / (grid - 1) as f64;
            (alpha, criterion(alpha))
        })
        .collect();
    let best = curve
        .iter()
        .copied()
        .fold((0.0, f64::INFINITY), |b, p| if p.1 < b.1 { p } else { b });
    let none = krr.fit(&initial.train);
    let u: Vec<f64> = initial
        .val
        .iter()
        .zip(&none.val)
        .map(|(f, v)| f - v)
        .collect();
    let alpha = optimal_weight(&u, &none.val, &data.y_val);
    let value = criterion(alpha);
    GridCheck {
        spacings: (alpha - best.0).abs() * (grid - 1) as f64,
        excess: (best.1 - value) / value,
        curve,
        closed: (alpha, value),
    }
}

/// The closed-form weight of step 1 against the grid search.
struct GridCheck {
    /// `|α* − α_grid|` in grid spacings.
    spacings: f64,
    /// Grid minimum minus the closed form's value, relative.
    excess: f64,
    /// `(α, validation MSE)` on the grid.
    curve: Vec<(f64, f64)>,
    /// `(α*, validation MSE)`.
    closed: (f64, f64),
}

/// Test MSE of a single ridge fit whose `c` minimises the validation error over a log grid.
fn tuned_ridge(data: &Data, settings: &Settings, ridge: f64) -> Result<f64> {
    let mut best = (f64::INFINITY, f64::INFINITY);
    for k in 0..=40 {
        // From c/10 to 1000 c.
        let c = ridge * 10f64.powf(-1.0 + k as f64 * 0.1);
        let fit = Krr::new(data, settings.length_scale, c)?.fit(&data.y_train);
        let val = mse(&fit.val, &data.y_val);
        if val < best.0 {
            best = (val, mse(&fit.test, &data.f_test));
        }
    }
    Ok(best.1)
}

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
mod tests {
    use super::*;

    #[test]
    fn closed_forms_match_brute_force_iteration() {
        let outcome = run(&Settings::quick(), &mut |_| {}).unwrap();
        for regime in &outcome.report.regimes {
            let c = &regime.checks;
            assert!(c.closed_form_vs_iteration < 1e-10, "{c:?}");
            assert!(c.from_initial_fit_vs_iteration < 1e-10, "{c:?}");
            assert!(c.constant_weight_form_vs_iteration < 1e-10, "{c:?}");
            assert!(c.limit_vs_amplified_ridge < 1e-10, "{c:?}");
            // The grid's best point is the one nearest the closed form, and no grid point beats it.
            assert!(c.optimal_weight_vs_grid_spacings <= 0.5 + 1e-9, "{c:?}");
            assert!(c.grid_minimum_minus_closed_form >= -1e-12, "{c:?}");
        }
        outcome.check_finite().unwrap();
    }

    #[test]
    fn labels_dampen_the_regularisation_of_distillation() {
        let outcome = run(&Settings::quick(), &mut |_| {}).unwrap();
        let [small, large] = &outcome.report.regimes[..] else {
            panic!("two regimes expected")
        };
        // An overfitting teacher (small c): distillation lowers the test error.
        assert!(small.gain_over_initial > 0.05, "{small:?}");
        // A well-regularised teacher (larger c): without the labels the steps over-regularise;
        // with the validation-optimal weight on the labels they do not.
        assert!(large.gain_without_labels_final_step < -0.2, "{large:?}");
        assert!(large.gain_over_initial_final_step > -0.05, "{large:?}");
        assert!(large.interior_weights > 0.3, "{large:?}");
    }

    #[test]
    fn optimal_weight_minimises_the_quadratic() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for _ in 0..50 {
            let [u, v, r] = [0, 1, 2].map(|_| gaussian(&mut rng, 7));
            let alpha = optimal_weight(&u, &v, &r);
            let cost = |a: f64| -> f64 {
                let fit: Vec<f64> = v.iter().zip(&u).map(|(vi, ui)| vi + a * ui).collect();
                squared_error(&fit, &r)
            };
            let best = (0..=10_000)
                .map(|i| cost(i as f64 / 10_000.0))
                .fold(f64::INFINITY, f64::min);
            assert!(cost(alpha) <= best + 1e-12);
        }
    }

    #[test]
    fn settings_are_checked_by_name() {
        let settings = Settings {
            ridges: vec![0.1, -1.0],
            ..Settings::quick()
        };
        let error = run(&settings, &mut |_| {}).err().unwrap();
        assert!(matches!(error, Error::Setting { ref key, .. } if key == "ridges"));
        let settings = Settings {
            train: 2,
            ..Settings::quick()
        };
        let error = run(&settings, &mut |_| {}).err().unwrap();
        assert!(matches!(error, Error::Setting { ref key, .. } if key == "train"));
    }
}
