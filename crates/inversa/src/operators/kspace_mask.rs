//! Cartesian k-space undersampling masks: which of `n` phase-encode lines an MRI scan acquires.
//!
//! The lines are indexed as an **unshifted** FFT lays them out: index `k` holds the signed frequency
//! `f(k) = k` for `k ≤ (n−1)/2` and `k − n` above (numpy's `fftfreq`), so the low frequencies sit
//! near index 0 *and* near index `n − 1`. Every mask keeps
//!
//! - the `n_c = max(1, round(center_fraction · n))` lowest frequencies `f ∈ [−⌊n_c/2⌋, n_c − ⌊n_c/2⌋ − 1]`
//!   (the fully sampled centre; for even `n` the same lines as fastMRI's centred mask), and
//! - further lines up to a total of exactly `round(n / acceleration)`, chosen among the others by
//!   - `random`: uniformly without replacement (fastMRI's `RandomMaskFunc` draws each line
//!     independently with the probability that gives this total on average; an exact count keeps
//!     the acceleration reproducible across seeds);
//!   - `equispaced`: evenly spaced through the non-centre lines in frequency order with a random
//!     offset (fastMRI's `EquispacedMaskFunc`, spacing adjusted for the centre);
//!   - `variable_density`: drawn without replacement with weights `(1 − |f| / (⌊n/2⌋ + 1))²`, a
//!     polynomial density that decays towards the k-space edge (Lustig, Donoho, Pauly, "Sparse MRI:
//!     the application of compressed sensing for rapid MR imaging", MRM 2007), with the
//!     Efraimidis–Spirakis weighted sampling of `rand`.
//!
//! The fastMRI masks are described in Zbontar et al., "fastMRI: an open dataset and benchmarks for
//! accelerated MRI", arXiv:1811.08839, 2018.
//!
//! ```
//! use inversa::operators::kspace_mask::{LineMask, MaskKind};
//! let mask = LineMask { kind: MaskKind::Random, acceleration: 4.0, center_fraction: 0.08 };
//! let lines = mask.sample(100, 1).unwrap();
//! assert_eq!(lines.iter().filter(|&&kept| kept).count(), 25);
//! // Both ends of the unshifted spectrum are low frequencies: 0, ±1, ..., ±3, −4 are kept.
//! assert!(lines[0] && lines[3] && lines[96] && lines[99]);
//! ```

use crate::error::{Error, Result};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Exponent of the polynomial variable density.
const DENSITY_POWER: i32 = 2;

/// How the non-centre lines are chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MaskKind {
    Random,
    Equispaced,
    VariableDensity,
}

impl MaskKind {
    /// The task-file names, in the order of [`MaskKind::from_name`].
    pub const NAMES: [&'static str; 3] = ["random", "equispaced", "variable_density"];

    /// The kind called `name` in a task file.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "random" => Some(Self::Random),
            "equispaced" => Some(Self::Equispaced),
            "variable_density" => Some(Self::VariableDensity),
            _ => None,
        }
    }
}

/// A rule for choosing phase-encode lines.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LineMask {
    pub kind: MaskKind,
    /// `n / (number of kept lines)`, at least 1.
    pub acceleration: f64,
    /// Fraction of lines, in (0, 1], forming the always-kept centre of k-space.
    pub center_fraction: f64,
}

/// Signed frequency of unshifted FFT index `k` out of `n`.
pub fn signed_frequency(k: usize, n: usize) -> isize {
    if k <= (n - 1) / 2 {
        k as isize
    } else {
        k as isize - n as isize
    }
}

impl LineMask {
    /// `(centre lines, total lines)` for `n` lines. Errors name the field (`acceleration`,
    /// `center_fraction`) that makes the budget impossible.
    pub fn line_counts(&self, n: usize) -> Result<(usize, usize)> {
        if !(self.acceleration.is_finite() && self.acceleration >= 1.0) {
            return Err(Error::config(
                "acceleration",
                format!("expected a number >= 1, found {}", self.acceleration),
            ));
        }
        if !(self.center_fraction > 0.0 && self.center_fraction <= 1.0) {
            return Err(Error::config(
                "center_fraction",
                format!(
                    "expected a fraction in (0, 1], found {}",
                    self.center_fraction
                ),
            ));
        }
        let center = ((self.center_fraction * n as f64).round() as usize).clamp(1, n);
        let total = (n as f64 / self.acceleration).round() as usize;
        if center > total {
            return Err(Error::config(
                "center_fraction",
                format!(
                    "its {center} centre lines exceed the {total} of {n} lines that acceleration {} \
                     keeps; lower center_fraction or acceleration",
                    self.acceleration
                ),
            ));
        }
        Ok((center, total))
    }

    /// The kept lines (`true` = acquired) out of `n`, indexed like an unshifted FFT.
    #[allow(
        clippy::expect_used,
        reason = "(1 − |f|/(n/2 + 1))^p is positive for |f| ≤ n/2"
    )]
    pub fn sample(&self, n: usize, seed: u64) -> Result<Vec<bool>> {
        let (center, total) = self.line_counts(n)?;
        let low = -((center / 2) as isize);
        let high = (center - center / 2) as isize - 1;
        let mut kept: Vec<bool> = (0..n)
            .map(|k| (low..=high).contains(&signed_frequency(k, n)))
            .collect();
        // The candidates in frequency order, so that "equispaced" is evenly spaced in k.
        let mut others: Vec<usize> = (0..n).filter(|&k| !kept[k]).collect();
        others.sort_by_key(|&k| signed_frequency(k, n));
        let extra = total - center;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let chosen: Vec<usize> = match self.kind {
            MaskKind::Random => rand::seq::index::sample(&mut rng, others.len(), extra).into_vec(),
            MaskKind::Equispaced => equispaced(others.len(), extra, rng.gen()),
            MaskKind::VariableDensity => {
                let edge = (n / 2 + 1) as f64;
                let weight = |i: usize| {
                    let f = signed_frequency(others[i], n).unsigned_abs() as f64;
                    (1.0 - f / edge).powi(DENSITY_POWER)
                };
                rand::seq::index::sample_weighted(&mut rng, others.len(), weight, extra)
                    .expect("the weights are positive and finite")
                    .into_vec()
            }
        };
        chosen.into_iter().for_each(|i| kept[others[i]] = true);
        Ok(kept)
    }
}

/// `count` evenly spaced positions out of `len`, shifted by `offset ∈ [0, 1)` of one spacing.
fn equispaced(len: usize, count: usize, offset: f64) -> Vec<usize> {
    if count == 0 {
        return Vec::new();
    }
    let spacing = len as f64 / count as f64;
    // spacing ≥ 1, so the floors are distinct and the last one is below len.
    (0..count)
        .map(|j| (((offset + j as f64) * spacing).floor() as usize).min(len - 1))
        .collect()
}
