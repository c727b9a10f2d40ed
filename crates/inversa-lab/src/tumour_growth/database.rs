//! The paper's method: simulate the prior once into a database of segmentations, then answer a
//! patient by scoring every entry against the scan (mean Dice of the two regions) and taking the
//! best entry, or the similarity-weighted mean of the `k` best (log `D` and log `ρ` averaged, the
//! origins averaged in space).

use super::model::{dice, simulate, Brain, Prior, Tumour, LEVELS};
use crate::error::check_memory;
use crate::pde::sensors::segment;
use crate::Result;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

/// The simulated prior.
pub struct Database {
    pub tumours: Vec<Tumour>,
    /// One segmentation per tumour, noise-free.
    pub labels: Vec<Vec<u8>>,
}

/// The two answers to a query.
pub struct Answer {
    pub best: Tumour,
    pub weighted: Tumour,
}

impl Database {
    /// `entries` draws of the prior (seeded), simulated in parallel.
    pub fn build(
        brain: &Brain,
        prior: &Prior,
        steps: usize,
        entries: usize,
        seed: u64,
    ) -> Result<Self> {
        check_memory("database", &[entries, brain.side, brain.side], 1, 1)?;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let tumours: Vec<Tumour> = (0..entries)
            .map(|_| prior.sample(brain, &mut rng))
            .collect();
        let labels = tumours
            .par_iter()
            .map(|t| Ok(segment(&simulate(brain, t, steps)?, &LEVELS)))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self { tumours, labels })
    }

    /// The best entry and the weighted mean of the `k` best for the scan `observed`.
    pub fn query(&self, observed: &[u8], k: usize) -> Answer {
        let scores: Vec<f64> = self.labels.par_iter().map(|l| dice(l, observed)).collect();
        let mut order: Vec<usize> = (0..scores.len()).collect();
        order.sort_by(|&i, &j| scores[j].total_cmp(&scores[i]));
        let top = &order[..k.clamp(1, order.len())];
        let total: f64 = top.iter().map(|&i| scores[i]).sum();
        // All-zero scores (nothing overlaps) weigh the entries equally.
        let weight = |i: usize| {
            if total > 0.0 {
                scores[i] / total
            } else {
                1.0 / top.len() as f64
            }
        };
        let mean = |f: fn(&Tumour) -> f64| {
            top.iter()
                .map(|&i| weight(i) * f(&self.tumours[i]))
                .sum::<f64>()
        };
        Answer {
            best: self.tumours[order[0]],
            weighted: Tumour {
                d: mean(|t| t.d.ln()).exp(),
                rho: mean(|t| t.rho.ln()).exp(),
                x: mean(|t| t.x),
                y: mean(|t| t.y),
            },
        }
    }
}
