//! Kernel ridge regression, its self-distillation steps and the closed forms they are checked
//! against (brute-force refits, the constant-weight series, the grid over the weight).

use super::Settings;
use crate::{Error, Result};
use faer::linalg::solvers::{Llt, Solve};
use faer::{ColMut, Mat, MatRef, Side};
use inversa::numerics::{gaussian, matmul};
use inversa::solvers::SolverError;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The truth `f*(x) = sin(2πx) + ½ sin(6πx)` on `[0, 1]`.
pub(super) fn truth(x: f64) -> f64 {
    (2.0 * std::f64::consts::PI * x).sin() + 0.5 * (6.0 * std::f64::consts::PI * x).sin()
}

/// One data set: noisy training and validation labels, noise-free test values.
pub(super) struct Data {
    pub(super) x_train: Vec<f64>,
    pub(super) y_train: Vec<f64>,
    pub(super) x_val: Vec<f64>,
    pub(super) y_val: Vec<f64>,
    pub(super) x_test: Vec<f64>,
    pub(super) f_test: Vec<f64>,
}

impl Data {
    pub(super) fn draw(settings: &Settings, index: u64) -> Self {
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
pub(super) fn kernel(a: &[f64], b: &[f64], length_scale: f64) -> Vec<f64> {
    let scale = -0.5 / (length_scale * length_scale);
    a.iter()
        .flat_map(|&ai| b.iter().map(move |&bj| (scale * (ai - bj).powi(2)).exp()))
        .collect()
}

/// Predictions of one fit on the three point sets.
#[derive(Clone, Debug)]
pub(super) struct Fit {
    pub(super) train: Vec<f64>,
    pub(super) val: Vec<f64>,
    pub(super) test: Vec<f64>,
}

/// Kernel ridge regression on one data set with ridge weight `c`: the Cholesky factor of
/// `K + cI` (brute force) and the eigendecomposition of `K` (closed forms).
pub(super) struct Krr {
    pub(super) n: usize,
    pub(super) k: Vec<f64>,
    pub(super) k_val: Vec<f64>,
    pub(super) k_test: Vec<f64>,
    pub(super) factor: Llt<f64>,
    pub(super) c: f64,
    /// Eigenvalues `d` (clamped at 0: K is PSD) and eigenvectors (columns).
    pub(super) d: Vec<f64>,
    pub(super) v: Mat<f64>,
}

pub(super) fn failed(reason: &str) -> Error {
    Error::Core(inversa::Error::Solver(SolverError::Unsupported {
        solver: "kernel ridge regression",
        reason: reason.into(),
    }))
}

impl Krr {
    pub(super) fn new(data: &Data, length_scale: f64, c: f64) -> Result<Self> {
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
    pub(super) fn predict(&self, beta: &[f64]) -> Fit {
        let n = self.n;
        Fit {
            train: matmul(&self.k, beta, n, n, 1),
            val: matmul(&self.k_val, beta, self.k_val.len() / n, n, 1),
            test: matmul(&self.k_test, beta, self.k_test.len() / n, n, 1),
        }
    }

    /// Brute force: solves `(K + cI) β = targets`.
    pub(super) fn fit(&self, targets: &[f64]) -> Fit {
        let mut beta = targets.to_vec();
        self.factor
            .solve_in_place(ColMut::from_slice_mut(&mut beta));
        self.predict(&beta)
    }

    /// `Vᵀ w`.
    pub(super) fn to_eigen(&self, w: &[f64]) -> Vec<f64> {
        (0..self.n)
            .map(|k| (0..self.n).map(|i| self.v[(i, k)] * w[i]).sum())
            .collect()
    }

    /// `V diag(filter) z`.
    pub(super) fn synthesise(&self, filter: &[f64], z: &[f64]) -> Vec<f64> {
        (0..self.n)
            .map(|i| (0..self.n).map(|k| self.v[(i, k)] * filter[k] * z[k]).sum())
            .collect()
    }

    /// The closed form: the fits of steps `0..=len(weights)` as spectral filters of `y`.
    pub(super) fn closed_form(&self, y: &[f64], weights: &[f64]) -> Vec<Fit> {
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
    pub(super) fn steps_from_initial_fit(&self, initial: &[f64], weights: &[f64]) -> Vec<Vec<f64>> {
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
    pub(super) fn constant_weight_filter(&self, alpha: f64, tau: usize) -> Vec<f64> {
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

pub(super) fn factor(k: &[f64], n: usize, c: f64) -> Result<Llt<f64>> {
    let mut shifted = k.to_vec();
    (0..n).for_each(|i| shifted[i * n + i] += c);
    MatRef::from_row_major_slice(&shifted, n, n)
        .llt(Side::Lower)
        .map_err(|_| failed("K + cI is not positive definite"))
}

/// Brute force: refits step by step; the fits of steps `0..=len(weights)`.
pub(super) fn iterate(krr: &Krr, y: &[f64], weights: &[f64]) -> Vec<Fit> {
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
pub(super) fn optimal_weight(u: &[f64], v: &[f64], r: &[f64]) -> f64 {
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

pub(super) fn squared_error(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum()
}

pub(super) fn mse(a: &[f64], b: &[f64]) -> f64 {
    squared_error(a, b) / a.len() as f64
}

pub(super) fn relative(a: &[f64], b: &[f64]) -> f64 {
    squared_error(a, b).sqrt() / squared_error(b, &vec![0.0; b.len()]).sqrt().max(1e-300)
}

/// Where the weight of each step is chosen.
#[derive(Clone, Copy)]
pub(super) enum Weighting {
    Constant(f64),
    /// The closed-form optimum on the validation set, step by step.
    Validation,
    /// The closed-form optimum against the noise-free truth on the test grid (an oracle: what
    /// the best weights could give).
    Oracle,
}

impl Weighting {
    pub(super) fn name(self) -> &'static str {
        match self {
            Weighting::Constant(0.0) => "alpha = 0 (no labels)",
            Weighting::Constant(_) => "alpha = 0.5",
            Weighting::Validation => "optimal alpha (validation)",
            Weighting::Oracle => "optimal alpha (oracle)",
        }
    }
}

pub(super) const WEIGHTINGS: [Weighting; 4] = [
    Weighting::Constant(0.0),
    Weighting::Constant(0.5),
    Weighting::Validation,
    Weighting::Oracle,
];

/// The weights and fits of `steps` greedy steps, each weight the closed-form optimum of the
/// step's criterion given the previous fit.
pub(super) fn greedy(
    krr: &Krr,
    data: &Data,
    steps: usize,
    weighting: Weighting,
) -> (Vec<f64>, Vec<Fit>) {
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
pub(super) struct Curve {
    pub(super) test: Vec<f64>,
    pub(super) val: Vec<f64>,
    pub(super) weights: Vec<f64>,
}

impl Curve {
    /// The test MSE of the step with the least validation MSE: a step count chosen without
    /// looking at the test set.
    pub(super) fn selected_test(&self) -> f64 {
        let best = (0..self.val.len())
            .min_by(|&a, &b| self.val[a].total_cmp(&self.val[b]))
            .unwrap_or(0);
        self.test[best]
    }
}

impl SeedResult {
    /// The curve of the validation-optimal weights.
    pub(super) fn validation(&self) -> &Curve {
        &self.curves[2]
    }
}

/// One data set's results.
pub(super) struct SeedResult {
    pub(super) checks: [f64; 6],
    /// Per weighting: test MSE per step, validation MSE per step, and the weights.
    pub(super) curves: Vec<Curve>,
    pub(super) tuned_ridge: f64,
    /// Criterion against α at step 1 (validation), and the closed-form α* with its value.
    pub(super) grid_curve: Vec<(f64, f64)>,
    pub(super) closed: (f64, f64),
}

pub(super) fn run_seed(settings: &Settings, ridge: f64, index: u64) -> Result<SeedResult> {
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
pub(super) fn constant_weight_checks(
    krr: &Krr,
    data: &Data,
    settings: &Settings,
) -> Result<(f64, f64)> {
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
pub(super) fn grid_check(krr: &Krr, data: &Data, grid: usize) -> GridCheck {
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
pub(super) struct GridCheck {
    /// `|α* − α_grid|` in grid spacings.
    pub(super) spacings: f64,
    /// Grid minimum minus the closed form's value, relative.
    pub(super) excess: f64,
    /// `(α, validation MSE)` on the grid.
    pub(super) curve: Vec<(f64, f64)>,
    /// `(α*, validation MSE)`.
    pub(super) closed: (f64, f64),
}

/// Test MSE of a single ridge fit whose `c` minimises the validation error over a log grid.
pub(super) fn tuned_ridge(data: &Data, settings: &Settings, ridge: f64) -> Result<f64> {
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
