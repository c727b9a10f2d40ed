//! The transfer-function comparison: every diagonal approximation of HiPPO-LegS against `G(iω)`
//! of LegS itself, from dense solves, on a log grid of frequencies.

use super::diagonal::{dense_transfer, perturbation, perturbed, Diagonal};
use super::hippo::{legs, s4d_legs, System};
use crate::compare::sup_relative_error as sup_relative;
use crate::Result;
use faer::c64;
use inversa::numerics::gaussian;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

/// How far one diagonal system is from LegS, and what its decomposition is worth.
#[derive(Clone, Debug, Serialize)]
pub struct Approximation {
    /// `‖E‖₂` (0 for S4D, which changes `A` another way, and for the direct diagonalisation).
    pub epsilon: f64,
    /// `max_ω |G̃(iω) − G(iω)| / max_ω |G(iω)|`, `G` of the unperturbed LegS by dense solves.
    pub transfer_error: f64,
    /// The same against the dense solve of the matrix actually diagonalised: what round-off in
    /// the eigendecomposition costs, apart from the change of matrix.
    pub evaluation_error: f64,
    /// `κ₂(V)` of the computed eigenvectors (capped at `1/u`).
    pub condition: f64,
    /// `‖ÃV − VΛ‖_F / (‖Ã‖_F ‖V‖_F)`.
    pub backward_error: f64,
}

/// LegS of one size with its output row and reference transfer function on the grid.
pub struct Bench {
    pub legs: System,
    pub c: Vec<f64>,
    pub omegas: Vec<f64>,
    reference: Vec<c64>,
}

/// `count` frequencies log-spaced over `[10⁻², 10⁴]`: LegS's poles are `−1 … −n`, so the grid
/// spans far below and far above them.
pub fn frequencies(count: usize) -> Vec<f64> {
    let step = 6.0 / (count.max(2) - 1) as f64;
    (0..count)
        .map(|i| 10f64.powf(-2.0 + step * i as f64))
        .collect()
}

impl Bench {
    /// LegS of size `n` with a seeded Gaussian output row `C` (variance `1/n`).
    pub fn new(n: usize, frequencies: usize, rng: &mut ChaCha8Rng) -> Self {
        let legs = legs(n);
        let scale = 1.0 / (n as f64).sqrt();
        let c: Vec<f64> = gaussian(rng, n).iter().map(|x| x * scale).collect();
        let omegas = self::frequencies(frequencies);
        let reference = transfer_on(&legs, &c, &omegas);
        Self {
            legs,
            c,
            omegas,
            reference,
        }
    }

    /// S4D's diagonal system: `A_N`'s eigendecomposition with `B/2`.
    pub fn s4d(&self) -> Result<Approximation> {
        self.judge(&s4d_legs(self.legs.n), 0.0)
    }

    /// PTD's: the eigendecomposition of `A + E`, `‖E‖₂ = ε` (`ε = 0`: of `A` itself).
    pub fn ptd(&self, epsilon: f64, rng: &mut ChaCha8Rng) -> Result<(Approximation, Diagonal)> {
        let matrix = if epsilon > 0.0 {
            perturbed(&self.legs, &perturbation(self.legs.n, epsilon, rng)?)
        } else {
            self.legs.clone()
        };
        let diagonal = Diagonal::of(&matrix, &self.c)?;
        Ok((self.score(&matrix, &diagonal, epsilon), diagonal))
    }

    fn judge(&self, matrix: &System, epsilon: f64) -> Result<Approximation> {
        let diagonal = Diagonal::of(matrix, &self.c)?;
        Ok(self.score(matrix, &diagonal, epsilon))
    }

    fn score(&self, matrix: &System, diagonal: &Diagonal, epsilon: f64) -> Approximation {
        let fitted: Vec<c64> = self
            .omegas
            .iter()
            .map(|&w| diagonal.transfer(c64::new(0.0, w)))
            .collect();
        let own = transfer_on(matrix, &self.c, &self.omegas);
        Approximation {
            epsilon,
            transfer_error: sup_relative(&fitted, &self.reference),
            evaluation_error: sup_relative(&fitted, &own),
            condition: diagonal.condition,
            backward_error: diagonal.backward_error,
        }
    }
}

/// `G(iω)` on the grid by dense solves.
pub fn transfer_on(system: &System, c: &[f64], omegas: &[f64]) -> Vec<c64> {
    omegas
        .iter()
        .map(|&w| dense_transfer(system, c, c64::new(0.0, w)))
        .collect()
}
