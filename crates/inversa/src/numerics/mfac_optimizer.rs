//! M-FAC as an optimiser, against SGD and Adam, on an ill-conditioned logistic regression.
//!
//! The problem: `n` samples `x_j = R diag(s) z_j` (`z_j ~ N(0, I_d)`, `R` a random rotation, `s`
//! log-spaced from 1 to `√κ` so the feature covariance has condition number `κ` and is not
//! axis-aligned — a diagonal preconditioner such as Adam's cannot undo it), labels drawn from a
//! logistic model, and the loss
//! $$L(w) = \frac1n\sum_j \log\bigl(1 + e^{-\tilde y_j x_j^\top w}\bigr) + \frac{\mu}{2}\|w\|^2,\quad \tilde y_j = \pm 1 .$$
//!
//! Every optimiser sees the same minibatch gradients `g_t` (batch `B`, samples drawn with a seeded
//! generator) and steps:
//! * SGD: `w ← w − η g_t`;
//! * Adam (Kingma & Ba, ICLR 2015): `β₁ = 0.9`, `β₂ = 0.999`, `ε = 1e-8`, bias-corrected moments;
//! * M-FAC (Frantar, Kurtic, Alistarh, NeurIPS 2021, their Algorithm "dynamic" as an optimiser):
//!   push `g_t` into the sliding window of the last `m` gradients, then `w ← w − η F⁻¹ g_t` with
//!   `F = λI + (1/m) Σ g_i g_iᵀ` ([`super::mfac::SlidingFisher`]).
//!
//! [`steps_to_target`] counts the steps until the full-data loss first falls below a target,
//! which [`Logistic::minimum`] sets relative to the optimum found by Newton's method.

use super::gaussian;
use super::mfac::SlidingFisher;
use crate::error::{Error, Result};
use crate::real::dot;
use faer::linalg::solvers::Solve;
use faer::{ColMut, MatRef, Side};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A binary logistic regression with an `ℓ²` penalty.
#[derive(Clone, Debug)]
pub struct Logistic {
    pub d: usize,
    /// Row-major `n × d` features.
    pub features: Vec<f64>,
    /// `±1`.
    pub labels: Vec<f64>,
    /// The `ℓ²` weight `μ`.
    pub penalty: f64,
}

fn sigmoid(t: f64) -> f64 {
    1.0 / (1.0 + (-t).exp())
}

/// `log(1 + e^{-t})` without overflow.
fn softplus_neg(t: f64) -> f64 {
    if t > 0.0 {
        (-t).exp().ln_1p()
    } else {
        -t + t.exp().ln_1p()
    }
}

impl Logistic {
    /// The synthetic problem described in the module header.
    pub fn synthetic(n: usize, d: usize, condition: f64, seed: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let rotation = rotation(&mut rng, d);
        let scales: Vec<f64> = (0..d)
            .map(|i| condition.sqrt().powf(i as f64 / (d.max(2) - 1) as f64))
            .collect();
        let truth: Vec<f64> = gaussian(&mut rng, d)
            .iter()
            .zip(&scales)
            .map(|(w, s)| w / s)
            .collect();
        let mut features = Vec::with_capacity(n * d);
        let mut labels = Vec::with_capacity(n);
        for _ in 0..n {
            let z: Vec<f64> = gaussian(&mut rng, d)
                .iter()
                .zip(&scales)
                .map(|(z, s)| z * s)
                .collect();
            let x: Vec<f64> = rotation.chunks_exact(d).map(|row| dot(row, &z)).collect();
            let p =
                sigmoid(3.0 / (d as f64).sqrt() * dot(&x, &rotation_apply(&rotation, &truth, d)));
            labels.push(if rng.gen::<f64>() < p { 1.0 } else { -1.0 });
            features.extend(x);
        }
        Self {
            d,
            features,
            labels,
            penalty: 1e-3,
        }
    }

    pub fn samples(&self) -> usize {
        self.labels.len()
    }

    /// The full-data loss `L(w)`.
    pub fn loss(&self, w: &[f64]) -> f64 {
        let data: f64 = self
            .features
            .chunks_exact(self.d)
            .zip(&self.labels)
            .map(|(x, y)| softplus_neg(y * dot(x, w)))
            .sum();
        data / self.samples() as f64 + 0.5 * self.penalty * dot(w, w)
    }

    /// The gradient of the loss restricted to the samples `rows` (their mean, plus `μ w`).
    pub fn gradient(&self, w: &[f64], rows: &[usize]) -> Vec<f64> {
        let mut g: Vec<f64> = w.iter().map(|v| self.penalty * v).collect();
        for &j in rows {
            let x = &self.features[j * self.d..(j + 1) * self.d];
            let y = self.labels[j];
            let c = -y * sigmoid(-y * dot(x, w)) / rows.len() as f64;
            for (gi, xi) in g.iter_mut().zip(x) {
                *gi += c * xi;
            }
        }
        g
    }

    /// The minimiser and minimum by Newton's method (dense `d × d` Hessian; for checks and targets).
    #[allow(
        clippy::expect_used,
        reason = "the Hessian of the penalised logistic loss is SPD (penalty > 0)"
    )]
    pub fn minimum(&self) -> (Vec<f64>, f64) {
        let (d, n) = (self.d, self.samples());
        let all: Vec<usize> = (0..n).collect();
        let mut w = vec![0.0; d];
        for _ in 0..50 {
            let mut h = vec![0.0; d * d];
            for i in 0..d {
                h[i * d + i] = self.penalty;
            }
            for x in self.features.chunks_exact(d) {
                let p = sigmoid(dot(x, &w));
                let c = p * (1.0 - p) / n as f64;
                for i in 0..d {
                    for j in 0..d {
                        h[i * d + j] += c * x[i] * x[j];
                    }
                }
            }
            let mut step = self.gradient(&w, &all);
            MatRef::from_row_major_slice(&h, d, d)
                .llt(Side::Lower)
                .expect("the penalised Hessian is SPD")
                .solve_in_place(ColMut::from_slice_mut(&mut step));
            for (wi, si) in w.iter_mut().zip(&step) {
                *wi -= si;
            }
            if dot(&step, &step).sqrt() < 1e-13 {
                break;
            }
        }
        let loss = self.loss(&w);
        (w, loss)
    }
}

/// A random rotation (Gram–Schmidt on a Gaussian matrix), row-major `d × d`.
fn rotation(rng: &mut ChaCha8Rng, d: usize) -> Vec<f64> {
    let mut q = gaussian(rng, d * d);
    for i in 0..d {
        for p in 0..i {
            let proj = dot(&q[i * d..(i + 1) * d], &q[p * d..(p + 1) * d]);
            for k in 0..d {
                q[i * d + k] -= proj * q[p * d + k];
            }
        }
        let norm = dot(&q[i * d..(i + 1) * d], &q[i * d..(i + 1) * d]).sqrt();
        q[i * d..(i + 1) * d].iter_mut().for_each(|v| *v /= norm);
    }
    q
}

fn rotation_apply(rotation: &[f64], v: &[f64], d: usize) -> Vec<f64> {
    rotation.chunks_exact(d).map(|row| dot(row, v)).collect()
}

/// An optimiser and its settings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Optimiser {
    Sgd {
        lr: f64,
    },
    Adam {
        lr: f64,
    },
    Mfac {
        lr: f64,
        window: usize,
        damping: f64,
    },
}

/// The state an optimiser carries between steps.
enum State {
    Sgd,
    Adam { m: Vec<f64>, v: Vec<f64>, t: i32 },
    Mfac(Box<SlidingFisher>),
}

/// Runs `optimiser` from `w = 0` with minibatches of `batch` samples; returns the full-data loss
/// after each step (index 0: the start) and the first step whose loss is `≤ target` (if any).
pub fn steps_to_target(
    problem: &Logistic,
    optimiser: Optimiser,
    batch: usize,
    target: f64,
    max_steps: usize,
    seed: u64,
) -> Result<(Vec<f64>, Option<usize>)> {
    if batch == 0 || batch > problem.samples() {
        return Err(Error::config(
            "mfac.batch",
            format!("need 1 ≤ batch ≤ {}", problem.samples()),
        ));
    }
    let d = problem.d;
    let mut state = match optimiser {
        Optimiser::Sgd { .. } => State::Sgd,
        Optimiser::Adam { .. } => State::Adam {
            m: vec![0.0; d],
            v: vec![0.0; d],
            t: 0,
        },
        Optimiser::Mfac {
            window, damping, ..
        } => State::Mfac(Box::new(SlidingFisher::new(window, d, damping)?)),
    };
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut w = vec![0.0; d];
    let mut losses = vec![problem.loss(&w)];
    for step in 1..=max_steps {
        let rows: Vec<usize> = (0..batch)
            .map(|_| rng.gen_range(0..problem.samples()))
            .collect();
        let g = problem.gradient(&w, &rows);
        if !dot(&g, &g).is_finite() {
            break; // diverged: a too-large learning rate reaches no target
        }
        let direction = match (&mut state, optimiser) {
            (State::Sgd, Optimiser::Sgd { lr }) => g.iter().map(|v| lr * v).collect(),
            (State::Adam { m, v, t }, Optimiser::Adam { lr }) => adam_direction(m, v, t, &g, lr),
            (State::Mfac(fisher), Optimiser::Mfac { lr, .. }) => {
                fisher.push(&g)?;
                fisher
                    .inverse_times(&g)?
                    .iter()
                    .map(|v| lr * v)
                    .collect::<Vec<f64>>()
            }
            _ => unreachable!("the state is built from the optimiser"),
        };
        for (wi, di) in w.iter_mut().zip(&direction) {
            *wi -= di;
        }
        let loss = problem.loss(&w);
        losses.push(loss);
        if loss <= target {
            return Ok((losses, Some(step)));
        }
    }
    Ok((losses, None))
}

fn adam_direction(m: &mut [f64], v: &mut [f64], t: &mut i32, g: &[f64], lr: f64) -> Vec<f64> {
    let (b1, b2, eps): (f64, f64, f64) = (0.9, 0.999, 1e-8);
    *t += 1;
    let (c1, c2) = (1.0 - b1.powi(*t), 1.0 - b2.powi(*t));
    m.iter_mut()
        .zip(v.iter_mut())
        .zip(g)
        .map(|((mi, vi), gi)| {
            *mi = b1 * *mi + (1.0 - b1) * gi;
            *vi = b2 * *vi + (1.0 - b2) * gi * gi;
            lr * (*mi / c1) / ((*vi / c2).sqrt() + eps)
        })
        .collect()
}
