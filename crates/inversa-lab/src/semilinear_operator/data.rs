//! The data: Kuramoto–Sivashinsky trajectories on the attractor (ETDRK4, [`Etdrk4`]) sampled every
//! `Δt`, sensor positions and their noisy readings.

use crate::pde::kuramoto_sivashinsky::Etdrk4;
use crate::pde::sensors::noisy;
use inversa::numerics::gaussian;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::f64::consts::PI;

/// The simulation of every trajectory.
pub struct Simulation {
    pub solver: Etdrk4,
    /// Solver steps per sample (`Δt = substeps · h`).
    pub substeps: usize,
    /// Solver steps discarded before the first sample, so every sample lies on the attractor.
    pub spin_up: usize,
}

impl Simulation {
    /// `samples` states `Δt` apart from a random smooth start drawn with `seed`.
    pub fn trajectory(&self, samples: usize, seed: u64) -> Vec<Vec<f64>> {
        let spectral = &self.solver.spectral;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        // A random mix of the four longest waves: any start is drawn to the attractor.
        let coefficients = gaussian(&mut rng, 8);
        let mut u: Vec<f64> = (0..spectral.n)
            .map(|i| {
                let x = spectral.length * i as f64 / spectral.n as f64;
                (1..=4)
                    .map(|j| {
                        let phase = 2.0 * PI * j as f64 * x / spectral.length;
                        coefficients[2 * j - 2] * phase.cos()
                            + coefficients[2 * j - 1] * phase.sin()
                    })
                    .sum::<f64>()
            })
            .collect();
        u = self.solver.advance(&u, self.spin_up, None);
        let mut states = Vec::with_capacity(samples);
        for _ in 0..samples {
            states.push(u.clone());
            u = self.solver.advance(&u, self.substeps, None);
        }
        states
    }
}

/// `count` distinct grid points out of `n`, sorted, drawn with `seed`.
pub fn sensor_positions(n: usize, count: usize, seed: u64) -> Vec<usize> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut all: Vec<usize> = (0..n).collect();
    all.shuffle(&mut rng);
    let mut chosen = all[..count].to_vec();
    chosen.sort_unstable();
    chosen
}

/// The readings of `states` at `positions` with noise of spread `sigma`, one row per state.
pub fn readings(
    states: &[Vec<f64>],
    positions: &[usize],
    sigma: f64,
    rng: &mut ChaCha8Rng,
) -> Vec<Vec<f64>> {
    states
        .iter()
        .map(|u| {
            let exact: Vec<f64> = positions.iter().map(|&p| u[p]).collect();
            noisy(&exact, sigma, rng)
        })
        .collect()
}

/// The root mean square of every value of `states`.
pub fn rms(states: &[Vec<f64>]) -> f64 {
    let (sum, count) = states
        .iter()
        .flatten()
        .fold((0.0, 0usize), |(s, c), v| (s + v * v, c + 1));
    (sum / count.max(1) as f64).sqrt()
}
