//! Training either network with Adam (cosine-decayed rate) on fixed seeded collocation points, and its error against the
//! exact solution on a grid.

use super::losses::{eulerian, lagrangian, Pair, Points};
use super::problem::Problem;
use crate::pde::mlp::Mlp;
use crate::Result;
use candle_core::{Device, Tensor};
use inversa_learn::optim::adam::Adam;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::time::Instant;

/// The network and its training.
#[derive(Clone, Debug)]
pub struct Training {
    pub width: usize,
    pub hidden: usize,
    pub steps: usize,
    pub rate: f64,
    pub interior: usize,
    pub edge: usize,
    pub seed: u64,
}

/// Which formulation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Method {
    Eulerian,
    Lagrangian,
}

/// A trained network's result.
#[derive(Clone, Debug, Serialize)]
pub struct Fit {
    /// Relative L2 error of the solution on the evaluation grid.
    pub error: f64,
    pub final_loss: f64,
    pub seconds: f64,
}

fn unit_points(rows: Vec<[f64; 2]>) -> candle_core::Result<Tensor> {
    let n = rows.len();
    Tensor::from_vec(rows.concat(), (n, 2), &Device::Cpu)
}

/// The seeded collocation points of `problem`.
fn points(problem: &Problem, training: &Training) -> candle_core::Result<Points> {
    let mut rng = ChaCha8Rng::seed_from_u64(training.seed ^ 0x00c0_110c);
    let mut uniform = || rng.gen_range(-1.0..=1.0);
    let interior: Vec<[f64; 2]> = (0..training.interior)
        .map(|_| [uniform(), uniform()])
        .collect();
    let initial_a: Vec<f64> = (0..training.edge).map(|_| uniform()).collect();
    let times: Vec<f64> = (0..training.edge).map(|_| uniform()).collect();
    let (lo, hi) = problem.domain();
    let values: Vec<f64> = initial_a
        .iter()
        .map(|&a| problem.initial(lo + 0.5 * (a + 1.0) * (hi - lo)))
        .collect();
    Ok(Points {
        interior: unit_points(interior)?,
        initial: unit_points(initial_a.iter().map(|&a| [a, -1.0]).collect())?,
        initial_values: Tensor::from_vec(values, (training.edge, 1), &Device::Cpu)?,
        left: unit_points(times.iter().map(|&b| [-1.0, b]).collect())?,
        right: unit_points(times.iter().map(|&b| [1.0, b]).collect())?,
    })
}

/// The evaluation grid: 128 positions (labels) × 33 times, unit coordinates.
fn grid() -> candle_core::Result<Tensor> {
    let rows: Vec<[f64; 2]> = (0..33)
        .flat_map(|j| {
            (0..128).map(move |i| [-1.0 + 2.0 * i as f64 / 127.0, -1.0 + 2.0 * j as f64 / 32.0])
        })
        .collect();
    unit_points(rows)
}

fn column(t: &Tensor) -> candle_core::Result<Vec<f64>> {
    t.flatten_all()?.to_vec1::<f64>()
}

/// The trained networks of one method.
enum Model {
    Eulerian(Mlp),
    Lagrangian(Pair),
}

impl Model {
    fn new(method: Method, training: &Training) -> candle_core::Result<Self> {
        let make = |offset: u64| Mlp::new(training.width, training.hidden, training.seed + offset);
        Ok(match method {
            Method::Eulerian => Model::Eulerian(make(0)?),
            Method::Lagrangian => Model::Lagrangian(Pair {
                state: make(0)?,
                characteristic: make(1)?,
            }),
        })
    }

    fn vars(&self) -> Vec<(String, candle_core::Var)> {
        match self {
            Model::Eulerian(net) => net.vars("u"),
            Model::Lagrangian(pair) => {
                [pair.state.vars("u"), pair.characteristic.vars("x")].concat()
            }
        }
    }

    fn loss(&self, problem: &Problem, points: &Points) -> candle_core::Result<Tensor> {
        match self {
            Model::Eulerian(net) => eulerian(net, problem, points),
            Model::Lagrangian(pair) => lagrangian(pair, problem, points),
        }
    }

    /// The predicted state at the grid's points and where it lies: the Eulerian network at the
    /// grid's `x`; the Lagrangian state where its characteristic has carried it, `X̂(ξ, t)`.
    fn predict(
        &self,
        problem: &Problem,
        grid: &Tensor,
    ) -> candle_core::Result<(Vec<f64>, Vec<f64>)> {
        match self {
            Model::Eulerian(net) => {
                let (lo, hi) = problem.domain();
                let units = column(&grid.narrow(1, 0, 1)?)?;
                let x = units
                    .iter()
                    .map(|a| lo + 0.5 * (a + 1.0) * (hi - lo))
                    .collect();
                Ok((column(&net.jet(grid)?.value)?, x))
            }
            Model::Lagrangian(pair) => Ok((
                column(&pair.state.jet(grid)?.value)?,
                column(&pair.characteristic(problem, grid)?.x)?,
            )),
        }
    }
}

/// Trains `method` on `problem`, then measures its error.
pub fn fit(problem: &Problem, method: Method, training: &Training) -> Result<Fit> {
    let clock = Instant::now();
    let points = points(problem, training)?;
    let model = Model::new(method, training)?;
    let mut adam = Adam::new(model.vars())?;
    let mut final_loss = f64::NAN;
    for step in 0..training.steps {
        let loss = model.loss(problem, &points)?;
        final_loss = loss.to_scalar::<f64>()?;
        // Cosine decay to zero: the last steps polish instead of rattling at the full rate.
        let progress = step as f64 / training.steps as f64;
        let rate = 0.5 * training.rate * (1.0 + (std::f64::consts::PI * progress).cos());
        adam.step(&loss.backward()?, rate)?;
    }
    let error = grid_error(problem, &model)?;
    Ok(Fit {
        error,
        final_loss,
        seconds: clock.elapsed().as_secs_f64(),
    })
}

/// Relative L2 error on the grid against the exact solution at the predicted positions.
fn grid_error(problem: &Problem, model: &Model) -> Result<f64> {
    let grid = grid()?;
    let times: Vec<f64> = column(&grid.narrow(1, 1, 1)?)?
        .iter()
        .map(|b| 0.5 * (b + 1.0))
        .collect();
    let (predicted, positions) = model.predict(problem, &grid)?;
    let (mut error, mut norm) = (0.0, 0.0);
    for ((&u, &x), &t) in predicted.iter().zip(&positions).zip(&times) {
        let exact = problem.exact(x, t);
        error += (u - exact).powi(2);
        norm += exact * exact;
    }
    Ok((error / norm).sqrt())
}
