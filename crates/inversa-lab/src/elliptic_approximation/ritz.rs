//! Two-layer networks trained on the energy with Monte Carlo points (the Deep Ritz method):
//!
//! ```text
//! u(x) = Σⱼ aⱼ tanh(vⱼ·φ(x) + bⱼ) + c,   φ(x) = (cos 2πx₁, …, cos 2πx_d, sin 2πx₁, …, sin 2πx_d),
//! ```
//!
//! minimising `E(u) ≈ mean over a fresh uniform batch of L(∇u) + ½u² − f u`. The periodic
//! embedding `φ` makes every network a function on the torus, so no boundary penalty is needed.
//! Only first input derivatives enter the energy; for two layers they are one product,
//! `∇_φ u = (a ⊙ (1 − tanh²)) V`, written out here (the shared `pde::mlp` carries second
//! derivatives of two inputs, which this `d`-input energy does not need).

use super::problem::Problem;
use crate::Result;
use candle_core::{DType, Device, Tensor, Var};
use inversa::numerics::gaussian;
use inversa_learn::optim::adam::Adam;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::f64::consts::PI;
use std::time::Instant;

/// The training of every network.
#[derive(Clone, Debug)]
pub struct Training {
    pub steps: usize,
    pub rate: f64,
    /// Monte Carlo points per step (redrawn every step).
    pub batch: usize,
    /// Fixed points of the error estimate.
    pub test_points: usize,
    /// Networks trained per width from different initialisations; the one of least energy on
    /// the test points is kept (the method's own criterion: it needs no `u*`).
    pub restarts: usize,
    pub seed: u64,
}

/// One trained network.
#[derive(Clone, Debug, Serialize)]
pub struct Fit {
    pub width: usize,
    /// Relative L2 error against `u*` on the test points.
    pub error: f64,
    /// The energy on the test points.
    pub energy: f64,
    /// Every restart's error, the kept one's included.
    pub restart_errors: Vec<f64>,
    pub seconds: f64,
}

struct Network {
    /// `V` `[width, 2d]`, `b` `[width]`, `a` `[width, 1]`, `c` `[1]`.
    v: Var,
    b: Var,
    a: Var,
    c: Var,
}

/// A batch: the embedding's two halves `[n, d]`, and `f` `[n, 1]`.
struct Batch {
    cos: Tensor,
    sin: Tensor,
    source: Tensor,
}

impl Network {
    fn new(dim: usize, width: usize, seed: u64) -> candle_core::Result<Self> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut draw = |count: usize, scale: f64, shape: (usize, usize)| {
            let values = gaussian(&mut rng, count)
                .iter()
                .map(|g| g * scale)
                .collect();
            Var::from_tensor(&Tensor::from_vec(values, shape, &Device::Cpu)?)
        };
        // Unit-variance pre-activations: each of the 2d features has mean square ½.
        let v = draw(width * 2 * dim, (1.0 / dim as f64).sqrt(), (width, 2 * dim))?;
        let a = draw(width, (1.0 / width as f64).sqrt(), (width, 1))?;
        let b = Var::zeros(width, DType::F64, &Device::Cpu)?;
        let c = Var::zeros(1, DType::F64, &Device::Cpu)?;
        Ok(Self { v, b, a, c })
    }

    fn vars(&self) -> Vec<(String, Var)> {
        [
            ("v", &self.v),
            ("b", &self.b),
            ("a", &self.a),
            ("c", &self.c),
        ]
        .iter()
        .map(|(name, var)| (name.to_string(), (*var).clone()))
        .collect()
    }

    /// `u` `[n, 1]` and `∇ₓu` `[n, d]`.
    fn forward(&self, batch: &Batch) -> candle_core::Result<(Tensor, Tensor)> {
        let features = Tensor::cat(&[&batch.cos, &batch.sin], 1)?;
        let z = features
            .matmul(&self.v.as_tensor().t()?)?
            .broadcast_add(self.b.as_tensor())?;
        let y = z.tanh()?;
        let value = y
            .matmul(self.a.as_tensor())?
            .broadcast_add(self.c.as_tensor())?;
        let slope = (1.0 - y.sqr()?)?.broadcast_mul(&self.a.as_tensor().t()?)?;
        let d_features = slope.matmul(self.v.as_tensor())?;
        let dim = batch.cos.dim(1)?;
        // ∂cos 2πx/∂x = −2π sin 2πx, ∂sin 2πx/∂x = 2π cos 2πx.
        let gradient = ((d_features.narrow(1, dim, dim)? * &batch.cos)?
            - (d_features.narrow(1, 0, dim)? * &batch.sin)?)?
            .affine(2.0 * PI, 0.0)?;
        Ok((value, gradient))
    }

    /// The Monte Carlo energy on `batch`.
    fn energy(&self, batch: &Batch, kappa: f64) -> candle_core::Result<Tensor> {
        let (u, p) = self.forward(batch)?;
        let density = ((p.sqr()?.affine(0.5, 0.0)?
            + (p.sqr()? + 1.0)?.sqrt()?.affine(kappa, 0.0)?)?
        .sum_keepdim(1)?
            + (u.sqr()?.affine(0.5, 0.0)? - (&u * &batch.source)?)?)?;
        density.mean_all()
    }
}

/// `count` uniform points of `[0, 1)^d` as a batch, and `u*` at them.
fn batch(problem: &Problem, rng: &mut ChaCha8Rng, count: usize) -> Result<(Batch, Vec<f64>)> {
    let dim = problem.dim();
    let (mut cos, mut sin) = (
        Vec::with_capacity(count * dim),
        Vec::with_capacity(count * dim),
    );
    let (mut source, mut truth) = (Vec::with_capacity(count), Vec::with_capacity(count));
    for _ in 0..count {
        let x: Vec<f64> = (0..dim).map(|_| rng.gen_range(0.0..1.0)).collect();
        cos.extend(x.iter().map(|v| (2.0 * PI * v).cos()));
        sin.extend(x.iter().map(|v| (2.0 * PI * v).sin()));
        let y = problem.project(&x);
        source.push(problem.source(&y));
        truth.push(problem.value(&y));
    }
    // A control variate: f integrates to zero on the torus (u* and a divergence both do), so its
    // batch mean is pure Monte Carlo noise. Left in, it pushes u's constant, the energy's softest
    // direction (curvature 1 against ≥ 8π² for the others), on a random walk that dominated the
    // L2 error in trial runs.
    let mean = source.iter().sum::<f64>() / count as f64;
    source.iter_mut().for_each(|f| *f -= mean);
    let batch = Batch {
        cos: Tensor::from_vec(cos, (count, dim), &Device::Cpu)?,
        sin: Tensor::from_vec(sin, (count, dim), &Device::Cpu)?,
        source: Tensor::from_vec(source, (count, 1), &Device::Cpu)?,
    };
    Ok((batch, truth))
}

/// Trains `restarts` networks of `width` units on `problem`; the one of least energy.
pub fn train(problem: &Problem, training: &Training, width: usize) -> Result<Fit> {
    let clock = Instant::now();
    let mut test_rng = ChaCha8Rng::seed_from_u64(training.seed ^ 0x7e57);
    let (test, truth) = batch(problem, &mut test_rng, training.test_points)?;
    let mut kept: Option<(f64, f64)> = None;
    let mut restart_errors = Vec::new();
    for restart in 0..training.restarts {
        let seed = training.seed
            ^ (restart as u64) << 12
            ^ (width as u64) << 24
            ^ (problem.dim() as u64) << 40;
        let network = descend(problem, training, width, seed)?;
        let energy = network.energy(&test, problem.kappa)?.to_scalar::<f64>()?;
        let error = relative_error(&network, &test, &truth)?;
        restart_errors.push(error);
        if kept.is_none_or(|(e, _)| energy < e) {
            kept = Some((energy, error));
        }
    }
    let (energy, error) = kept.unwrap_or((f64::NAN, f64::NAN));
    Ok(Fit {
        width,
        error,
        energy,
        restart_errors,
        seconds: clock.elapsed().as_secs_f64(),
    })
}

/// Adam on fresh batches from the initialisation `seed`.
fn descend(problem: &Problem, training: &Training, width: usize, seed: u64) -> Result<Network> {
    let network = Network::new(problem.dim(), width, seed)?;
    let mut adam = Adam::new(network.vars())?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x00ba_7c4e);
    for step in 0..training.steps {
        let (points, _) = batch(problem, &mut rng, training.batch)?;
        let loss = network.energy(&points, problem.kappa)?;
        // Cosine decay to zero: the Monte Carlo noise of the last steps averages out.
        let progress = step as f64 / training.steps as f64;
        let rate = 0.5 * training.rate * (1.0 + (PI * progress).cos());
        adam.step(&loss.backward()?, rate)?;
    }
    Ok(network)
}

/// The relative L2 error against `truth` at the points of `test`.
fn relative_error(network: &Network, test: &Batch, truth: &[f64]) -> Result<f64> {
    let predicted = network.forward(test)?.0.flatten_all()?.to_vec1::<f64>()?;
    let (error, norm) = predicted
        .iter()
        .zip(truth)
        .fold((0.0, 0.0), |(e, n), (p, t)| {
            (e + (p - t).powi(2), n + t * t)
        });
    Ok((error / norm).sqrt())
}
