//! The paper's method: simulate the prior once into a database of segmentations, then answer a
//! patient by scoring every entry against the scan (mean Dice of the two regions) and taking the
//! best entry, or the similarity-weighted mean of the `k` best (log `D` and log `ρ` averaged, the
//! origins averaged in space). Each region is stored as a bit mask, so a score is a few hundred
//! word-wide ANDs and population counts.

use super::model::{simulate, Brain, Prior, Tumour, LEVELS};
use crate::error::check_memory;
use crate::pde::sensors::segment;
use crate::Result;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

/// The simulated prior.
pub struct Database {
    pub tumours: Vec<Tumour>,
    /// One noise-free segmentation per tumour, as [`Masks`].
    masks: Vec<Masks>,
}

/// The regions above each level as bits, 64 cells a word.
pub(super) struct Masks([Vec<u64>; 2]);

impl Masks {
    pub(super) fn new(labels: &[u8]) -> Self {
        Masks([1u8, 2].map(|level| {
            labels
                .chunks(64)
                .map(|chunk| {
                    chunk
                        .iter()
                        .enumerate()
                        .fold(0u64, |w, (i, &l)| w | (u64::from(l >= level) << i))
                })
                .collect()
        }))
    }

    /// The mean Dice overlap of the two regions (1 when a region is empty in both), as
    /// [`super::model::dice`] computes it from the labels.
    pub(super) fn dice(&self, other: &Masks) -> f64 {
        let per_level = |l: usize| {
            let (a, b) = (&self.0[l], &other.0[l]);
            let both: u32 = a.iter().zip(b).map(|(x, y)| (x & y).count_ones()).sum();
            let total: u32 = a.iter().chain(b).map(|x| x.count_ones()).sum();
            if total == 0 {
                1.0
            } else {
                2.0 * f64::from(both) / f64::from(total)
            }
        };
        (per_level(0) + per_level(1)) / 2.0
    }
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
        let masks = tumours
            .par_iter()
            .map(|t| Ok(Masks::new(&segment(&simulate(brain, t, steps)?, &LEVELS))))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self { tumours, masks })
    }

    /// The best entry and the weighted mean of the `k` best for the scan `observed`.
    pub fn query(&self, observed: &[u8], k: usize) -> Answer {
        let scan = Masks::new(observed);
        let scores: Vec<f64> = self.masks.par_iter().map(|m| m.dice(&scan)).collect();
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
