//! The data: Kolmogorov-flow trajectories simulated on the fine grid
//! ([`crate::pde::kolmogorov_flow`]), spun up past the transient, then filtered by the sharp
//! spectral cut-off and sampled on the coarse grid every `Δt`: the filtered vorticity the
//! surrogates learn to advance (as an LES would).

use super::Settings;
use crate::pde::kolmogorov_flow::{filter_to, Flow, Solver};
use inversa::numerics::gaussian;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

/// A filtered trajectory: `samples` coarse fields (`coarse²`, row-major, row = y).
pub type Trajectory = Vec<Vec<f64>>;

/// The fine and the coarse solver of one setting (the coarse one only transforms).
pub struct Grids {
    pub fine: Solver,
    pub coarse: Solver,
}

impl Grids {
    pub fn new(settings: &Settings) -> Self {
        let coarse = Flow {
            n: settings.coarse,
            ..settings.flow()
        };
        Self {
            fine: Solver::new(settings.flow(), settings.solver_step),
            coarse: Solver::new(coarse, settings.solver_step),
        }
    }
}

/// The laminar profile plus random vorticity in the modes `1 ≤ |k_x|, |k_y| ≤ 4`: a start that
/// the Kolmogorov instability turns turbulent within the spin-up.
fn start(solver: &Solver, seed: u64) -> Vec<f64> {
    let n = solver.flow.n;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let draws = gaussian(&mut rng, 2 * 81);
    let mut omega = solver.laminar();
    for (i, value) in omega.iter_mut().enumerate() {
        let (x, y) = (solver.y(i % n), solver.y(i / n));
        let mut d = 0;
        for kx in -4i32..=4 {
            for ky in -4i32..=4 {
                let phase = kx as f64 * x + ky as f64 * y;
                *value += 0.5 * (draws[d] * phase.cos() + draws[d + 1] * phase.sin());
                d += 2;
            }
        }
    }
    omega
}

/// `samples` filtered states `Δt` apart after the spin-up, from the start drawn with `seed`.
pub fn trajectory(grids: &Grids, settings: &Settings, samples: usize, seed: u64) -> Trajectory {
    let fine = &grids.fine;
    let spin_up = (settings.spin_up / settings.solver_step).round() as usize;
    let mut omega = fine.advance(&start(fine, seed), spin_up);
    let mut out = Vec::with_capacity(samples);
    for sample in 0..samples {
        if sample > 0 {
            omega = fine.advance(&omega, settings.substeps);
        }
        out.push(filter_to(fine, &grids.coarse, &omega));
    }
    out
}

/// The training trajectories (seeds `seed·1000 + i`) and the held-out ones (`… + 500 + i`),
/// simulated in parallel.
pub fn simulate(grids: &Grids, settings: &Settings) -> (Vec<Trajectory>, Vec<Trajectory>) {
    let base = settings.seed.wrapping_mul(1000);
    let jobs: Vec<(u64, usize)> = (0..settings.train_trajectories)
        .map(|i| (base + i as u64, settings.train_samples))
        .chain(
            (0..settings.test_trajectories).map(|i| (base + 500 + i as u64, settings.horizon + 1)),
        )
        .collect();
    let mut all: Vec<Trajectory> = jobs
        .par_iter()
        .map(|&(seed, samples)| trajectory(grids, settings, samples, seed))
        .collect();
    let test = all.split_off(settings.train_trajectories);
    (all, test)
}

/// The mean of `ω²` over the grid (twice the enstrophy density), the scale the model divides by.
pub fn mean_square(field: &[f64]) -> f64 {
    field.iter().map(|v| v * v).sum::<f64>() / field.len() as f64
}
