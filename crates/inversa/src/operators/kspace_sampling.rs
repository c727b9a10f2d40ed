//! Which k-space samples an MRI scan keeps, as a task file names it (`physics.mask`): whole
//! phase-encode lines ([`super::kspace_mask`]) or points of a 2-D mask ([`super::poisson_disc`]).

use super::kspace_mask::{LineMask, MaskKind};
use super::poisson_disc::poisson_disc;
use crate::config::Section;
use crate::error::{Error, Result};

/// The names `mask` takes: the line masks of [`super::kspace_mask`] and the 2-D Poisson disc.
pub const MASK_NAMES: [&str; 4] = ["random", "equispaced", "variable_density", "poisson"];

/// Which k-space samples a mask keeps.
pub enum Sampling {
    /// Whole columns (phase-encode lines), length `W`.
    Columns(Vec<bool>),
    /// Points `[H, W]` (a 2-D mask), unshifted.
    Points(Vec<bool>),
}

impl Sampling {
    /// Whether point `(i, j)` of a `W`-wide grid is kept.
    pub fn keeps(&self, i: usize, j: usize, w: usize) -> bool {
        match self {
            Sampling::Columns(c) => c[j],
            Sampling::Points(p) => p[i * w + j],
        }
    }

    /// The mask `kind` (one of [`MASK_NAMES`]) for an `h × w` grid; a Poisson disc's calibration
    /// square is `center_fraction · W` across. Errors name the key inside `section`.
    #[allow(clippy::expect_used, reason = "kind is one of MASK_NAMES")]
    pub fn draw(
        section: &Section,
        kind: &str,
        (h, w): (usize, usize),
        acceleration: f64,
        center_fraction: f64,
        seed: u64,
    ) -> Result<Self> {
        let drawn = if kind == "poisson" {
            let side = ((center_fraction * w as f64).round() as usize).max(1);
            poisson_disc((h, w), acceleration, side, seed).map(Sampling::Points)
        } else {
            let mask = LineMask {
                kind: MaskKind::from_name(kind).expect("a listed mask name"),
                acceleration,
                center_fraction,
            };
            mask.sample(w, seed).map(Sampling::Columns)
        };
        drawn.map_err(|e| match e {
            Error::Config { key, message } => Error::config(section.key(&key), message),
            other => other,
        })
    }
}
