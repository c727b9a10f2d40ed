//! The search space shared by the iterative inversions: the tumour in box coordinates
//! `z ∈ [0, 1]⁴` (proliferation rate, infiltration length, origin x, origin y), the likelihood as a
//! function of `z`, and the trace an inversion leaves (its best tumour after each round, and the
//! seconds spent).

use super::model::{negative_log_likelihood, simulate, Brain, Prior, Tumour};
use crate::Result;
use rayon::prelude::*;
use std::time::Instant;

/// The posterior's negative log (flat prior on the box) of one observation.
pub struct Space<'a> {
    pub brain: &'a Brain,
    pub prior: &'a Prior,
    pub steps: usize,
    pub labels: &'a [u8],
    pub noise: f64,
}

impl Space<'_> {
    /// The tumour at `z`, projected onto the box (the searches may step outside it).
    pub fn tumour(&self, z: &[f64; 4]) -> Tumour {
        let c: Vec<f64> = z.iter().map(|v| v.clamp(0.0, 1.0)).collect();
        let lerp = |range: [f64; 2], t: f64| range[0] + t * (range[1] - range[0]);
        let (rho, length) = (lerp(self.prior.rho, c[0]), lerp(self.prior.length, c[1]));
        let extent = self.brain.extent();
        Tumour {
            d: rho * length * length,
            rho,
            x: c[2] * extent,
            y: c[3] * extent,
        }
    }

    /// The box coordinates of `tumour` (the inverse of [`Self::tumour`] inside the box).
    pub fn coordinates(&self, tumour: &Tumour) -> [f64; 4] {
        let length = (tumour.d / tumour.rho).sqrt();
        let unlerp = |range: [f64; 2], v: f64| (v - range[0]) / (range[1] - range[0]);
        let extent = self.brain.extent();
        [
            unlerp(self.prior.rho, tumour.rho),
            unlerp(self.prior.length, length),
            tumour.x / extent,
            tumour.y / extent,
        ]
    }

    /// `−log p(labels | z)` plus a quadratic wall outside the box, so that the searches come
    /// back where the projection would otherwise flatten the objective.
    pub fn objective(&self, z: &[f64; 4]) -> Result<f64> {
        let u = simulate(self.brain, &self.tumour(z), self.steps)?;
        let outside: f64 = z.iter().map(|v| (v - v.clamp(0.0, 1.0)).powi(2)).sum();
        Ok(negative_log_likelihood(&u, self.labels, self.noise) + 1e4 * outside)
    }

    /// [`Self::objective`] at each point, in parallel.
    pub fn objectives(&self, points: &[[f64; 4]]) -> Result<Vec<f64>> {
        points.par_iter().map(|z| self.objective(z)).collect()
    }
}

/// The objective at each of a batch of points (a generation, a difference stencil).
pub type Objectives<'a> = dyn Fn(&[[f64; 4]]) -> Result<Vec<f64>> + 'a;

/// One round of an iterative inversion: its best point so far, the evaluations and seconds.
#[derive(Clone, Debug)]
pub struct Round {
    pub best: [f64; 4],
    pub evaluations: usize,
    pub seconds: f64,
}

/// The rounds of one inversion and its clock.
pub struct Trace {
    pub rounds: Vec<Round>,
    clock: Instant,
    best: Option<([f64; 4], f64)>,
    evaluations: usize,
}

impl Trace {
    pub fn start() -> Self {
        Self {
            rounds: Vec::new(),
            clock: Instant::now(),
            best: None,
            evaluations: 0,
        }
    }

    /// Counts the evaluated `points` and keeps the best.
    pub fn saw(&mut self, points: &[[f64; 4]], values: &[f64]) {
        self.evaluations += points.len();
        for (z, &v) in points.iter().zip(values) {
            if self.best.is_none_or(|(_, b)| v < b) {
                self.best = Some((*z, v));
            }
        }
    }

    /// Closes a round.
    pub fn round(&mut self) {
        if let Some((best, _)) = self.best {
            let seconds = self.clock.elapsed().as_secs_f64();
            self.rounds.push(Round {
                best,
                evaluations: self.evaluations,
                seconds,
            });
        }
    }

    /// The best point seen.
    pub fn best(&self) -> Option<[f64; 4]> {
        self.best.map(|(z, _)| z)
    }
}
