//! INSR's time stepping (the paper's Algorithm 1): fit `θ₀` to `u₀`, then at each step start from
//! `θₙ₋₁` and minimise, by Adam on points drawn uniformly anew at every iteration (no mesh),
//!
//! ```text
//! E(θ) = mean over x of [ ½ (u_θ(x) − u*(x))² + ½ νΔt (∂ₓu_θ(x))² ] + w_b (u_θ(x_min)² + u_θ(x_max)²),
//! ```
//!
//! where `u*` is the semi-Lagrangian value read from the frozen previous network
//! ([`Problem::transported`]); for advection `ν = 0` and the last term is dropped (the inflow value is
//! in `u*`). The paper runs up to 20,000 Adam iterations per step with a plateau schedule and early
//! stop; here each step has a fixed budget with the rate decayed to zero on a cosine, so runs are
//! short and reproducible.

use super::field::{column, Siren};
use super::problems::{relative_error, Problem};
use crate::Result;
use candle_core::Tensor;
use inversa_learn::optim::adam::Adam;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::time::Instant;

/// The network and its optimisation.
#[derive(Clone, Debug)]
pub struct Training {
    pub hidden: usize,
    pub omega: f64,
    /// Adam iterations per time step.
    pub iterations: usize,
    /// Adam iterations of the fit to `u₀`.
    pub initial_iterations: usize,
    pub rate: f64,
    /// Points drawn per iteration.
    pub points: usize,
    /// `w_b` (Burgers' Dirichlet condition).
    pub boundary_weight: f64,
    pub seed: u64,
}

/// One INSR run.
#[derive(Clone, Debug, Serialize)]
pub struct InsrRun {
    pub width: usize,
    /// Weights and biases: the stored degrees of freedom.
    pub memory: usize,
    /// Relative L2 error at the final time against the exact solution.
    pub error: f64,
    /// Relative L2 error against the fine grid with the same Δt (the spatial error alone).
    pub reference_error: f64,
    /// The last step's final energy.
    pub final_energy: f64,
    pub seconds: f64,
}

/// Adam on `energy` for `iterations` steps at rate `rate` decayed to zero on a cosine; returns the
/// last energy.
fn minimise(
    net: &Siren,
    iterations: usize,
    rate: f64,
    energy: &mut dyn FnMut(&Siren) -> Result<Tensor>,
) -> Result<f64> {
    let mut adam = Adam::new(net.vars())?;
    let mut last = f64::NAN;
    for k in 0..iterations {
        let loss = energy(net)?;
        last = loss.to_scalar::<f64>()?;
        let progress = k as f64 / iterations as f64;
        let decayed = 0.5 * rate * (1.0 + (std::f64::consts::PI * progress).cos());
        adam.step(&loss.backward()?, decayed)?;
    }
    if !last.is_finite() {
        return Err(crate::Error::Network(candle_core::Error::Msg(format!(
            "the INSR energy became {last}"
        ))));
    }
    Ok(last)
}

/// Uniform unit coordinates in `[−1, 1]`.
fn draw(rng: &mut ChaCha8Rng, count: usize) -> Vec<f64> {
    (0..count).map(|_| rng.gen_range(-1.0..=1.0)).collect()
}

/// Runs INSR of `width` on `problem`; `evaluation` are the positions of the error and `exact`,
/// `reference` the exact and fine-grid values there.
pub fn run_insr(
    problem: &Problem,
    width: usize,
    training: &Training,
    evaluation: &[f64],
    exact: &[f64],
    reference: &[f64],
) -> Result<InsrRun> {
    let clock = Instant::now();
    let net = Siren::new(width, training.hidden, training.omega, training.seed)?;
    let mut rng = ChaCha8Rng::seed_from_u64(training.seed ^ 0x1_05e5);
    let (lo, hi) = problem.domain();
    // ∂/∂x = (2 / (x_max − x_min)) ∂/∂a.
    let per_x = 2.0 / (hi - lo);
    let ends = column(&[-1.0, 1.0])?;

    let mut fit_initial = |net: &Siren| -> Result<Tensor> {
        let a = draw(&mut rng, training.points);
        let target: Vec<f64> = a
            .iter()
            .map(|&a| problem.initial(problem.position(a)))
            .collect();
        Ok((net.value(&column(&a)?)? - column(&target)?)?
            .sqr()?
            .mean_all()?)
    };
    let mut final_energy = minimise(
        &net,
        training.initial_iterations,
        training.rate,
        &mut fit_initial,
    )?;

    let diffusion = problem.diffusion();
    for _ in 0..problem.steps() {
        let previous = net.freeze()?;
        let mut read = |xs: &[f64]| -> Result<Vec<f64>> {
            let a: Vec<f64> = xs.iter().map(|&x| problem.unit(x)).collect();
            Ok(previous.eval(&a)?)
        };
        let mut energy = |net: &Siren| -> Result<Tensor> {
            let a = draw(&mut rng, training.points);
            let xs: Vec<f64> = a.iter().map(|&a| problem.position(a)).collect();
            let target = column(&problem.transported(&xs, &mut read)?)?;
            let a = column(&a)?;
            if diffusion == 0.0 {
                let misfit = (net.value(&a)? - target)?.sqr()?.mean_all()?;
                return Ok(misfit.affine(0.5, 0.0)?);
            }
            let (u, slope) = net.value_and_slope(&a)?;
            let misfit = (u - target)?.sqr()?.mean_all()?;
            let smoothing = slope
                .sqr()?
                .mean_all()?
                .affine(diffusion * per_x * per_x, 0.0)?;
            let boundary = net.value(&ends)?.sqr()?.sum_all()?;
            Ok(((misfit + smoothing)?.affine(0.5, 0.0)?
                + boundary.affine(training.boundary_weight, 0.0)?)?)
        };
        final_energy = minimise(&net, training.iterations, training.rate, &mut energy)?;
    }

    let a: Vec<f64> = evaluation.iter().map(|&x| problem.unit(x)).collect();
    let values = net.freeze()?.eval(&a)?;
    Ok(InsrRun {
        width,
        memory: net.parameters(),
        error: relative_error(&values, exact),
        reference_error: relative_error(&values, reference),
        final_energy,
        seconds: clock.elapsed().as_secs_f64(),
    })
}
