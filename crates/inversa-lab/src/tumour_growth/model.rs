//! The forward model of one patient: the brain slice, the tumour's parameters, its simulation,
//! the two-level segmentation a scan shows, and the scores that compare a simulation with it.

use crate::pde::reaction_diffusion::FisherKpp;
use crate::pde::sensors::{noisy, segment};
use crate::{Error, Result};
use inversa::io::npy::decode_npy;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// One axial slice (MNI z = +20 mm) of the MNI152 2009a grey- and white-matter templates, 96 × 96
/// cells of 2 mm, `|u1` probabilities `[grey, white]` (see `data/README.md`).
const SLICE: &[u8] = include_bytes!("../../../../data/brain/mni152_slice.npy");
/// Cell side in cm.
pub const CELL_CM: f64 = 0.2;
/// `D_white / D_grey`.
pub const WHITE_OVER_GREY: f64 = 10.0;
/// The iso-levels of the two segmentations (oedema in T2/FLAIR, enhancing core in T1Gd).
pub const LEVELS: [f64; 2] = [0.25, 0.675];
/// Observation time in the model's unit (the rates are per unit, so only `D T`, `ρ T` matter).
pub const T_END: f64 = 1.0;
/// Width (cm) of the Gaussian seed the tumour grows from.
const SEED_CM: f64 = 0.2;

/// The brain slice: the solver on its tissue and the white-matter cells origins are drawn from.
pub struct Brain {
    pub solver: FisherKpp,
    pub side: usize,
    /// `white[k]`: white-matter probability of cell `k`.
    pub white: Vec<f64>,
    /// Grey-matter probability of cell `k` (for the figure).
    pub grey: Vec<f64>,
}

impl Brain {
    /// The bundled MNI152 slice; tissue is where grey + white ≥ 1/2, with the unit diffusivity
    /// `(w + g / 10) / (w + g)` (a cell's mixture of the two).
    pub fn mni152() -> Result<Self> {
        let array = decode_npy(SLICE, Path::new("data/brain/mni152_slice.npy"))?;
        let side = 96;
        let (grey, white) = array.data.split_at(side * side);
        let unit: Vec<f64> = grey
            .iter()
            .zip(white)
            .map(|(&g, &w)| {
                if g + w >= 0.5 {
                    (w + g / WHITE_OVER_GREY) / (w + g)
                } else {
                    0.0
                }
            })
            .collect();
        Ok(Self {
            solver: FisherKpp::new(side, side, CELL_CM, &unit)?,
            side,
            white: white.to_vec(),
            grey: grey.to_vec(),
        })
    }

    /// Side of the slice in cm.
    pub fn extent(&self) -> f64 {
        self.side as f64 * CELL_CM
    }
}

/// A tumour: white-matter diffusivity `D` (cm²/unit; grey matter has `D / 10`), proliferation
/// rate `ρ` (1/unit) and origin `(x, y)` in cm from the slice's top-left corner.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq)]
pub struct Tumour {
    pub d: f64,
    pub rho: f64,
    pub x: f64,
    pub y: f64,
}

/// The prior: proliferation rate `ρ` and infiltration length `√(D/ρ)` uniform in boxes (so
/// `D = ρ ℓ²`), the origin uniform over the cells that are mostly white matter. The rate box keeps
/// `ρT ≥ 4`, so that every tumour has grown a front by the scan.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Prior {
    /// `ρ` range, 1/unit.
    pub rho: [f64; 2],
    /// `√(D/ρ)` range, cm.
    pub length: [f64; 2],
}

impl Prior {
    pub fn d_max(&self) -> f64 {
        self.rho[1] * self.length[1] * self.length[1]
    }

    pub fn rho_max(&self) -> f64 {
        self.rho[1]
    }

    /// One draw.
    pub fn sample(&self, brain: &Brain, rng: &mut ChaCha8Rng) -> Tumour {
        let rho = rng.gen_range(self.rho[0]..self.rho[1]);
        let length = rng.gen_range(self.length[0]..self.length[1]);
        let (x, y) = loop {
            let k = rng.gen_range(0..brain.side * brain.side);
            if brain.white[k] >= 0.5 {
                let (column, row) = ((k % brain.side) as f64, (k / brain.side) as f64);
                let jitter: [f64; 2] = [rng.gen(), rng.gen()];
                break ((column + jitter[0]) * CELL_CM, (row + jitter[1]) * CELL_CM);
            }
        };
        Tumour {
            d: rho * length * length,
            rho,
            x,
            y,
        }
    }
}

/// The tumour's concentration at `T_END` on the brain, with the step count `steps` (fixed per
/// inversion, see [`FisherKpp::stable_steps`]).
pub fn simulate(brain: &Brain, tumour: &Tumour, steps: usize) -> Result<Vec<f64>> {
    let n = brain.side;
    let mut u: Vec<f64> = (0..n * n)
        .map(|k| {
            let x = ((k % n) as f64 + 0.5) * CELL_CM - tumour.x;
            let y = ((k / n) as f64 + 0.5) * CELL_CM - tumour.y;
            (-(x * x + y * y) / (2.0 * SEED_CM * SEED_CM)).exp()
        })
        .collect();
    brain
        .solver
        .run(&mut u, tumour.d, tumour.rho, T_END, steps)?;
    Ok(u)
}

/// What a scan shows: the segmentation at [`LEVELS`] of the concentration read through noise.
pub fn observe(u: &[f64], noise: f64, rng: &mut ChaCha8Rng) -> Vec<u8> {
    segment(&noisy(u, noise, rng), &LEVELS)
}

/// The mean Dice overlap of the regions above each level (1 when a region is empty in both).
pub fn dice(a: &[u8], b: &[u8]) -> f64 {
    let per_level = |level: u8| {
        let (mut both, mut total) = (0usize, 0usize);
        for (&p, &q) in a.iter().zip(b) {
            let (p, q) = (p >= level, q >= level);
            both += usize::from(p && q);
            total += usize::from(p) + usize::from(q);
        }
        if total == 0 {
            1.0
        } else {
            2.0 * both as f64 / total as f64
        }
    };
    (per_level(1) + per_level(2)) / 2.0
}

/// `−log p(labels | u)` when the labels are the segmentation of `u + σε`: a cell is labelled `l`
/// with probability `Φ((u − c_l)/σ) − Φ((u − c_{l+1})/σ)`. A mislabelling rate `1e-6` keeps the
/// logarithm finite where the model is sure and the label disagrees.
pub fn negative_log_likelihood(u: &[f64], labels: &[u8], noise: f64) -> f64 {
    const MISLABEL: f64 = 1e-6;
    u.iter()
        .zip(labels)
        .map(|(&v, &label)| {
            let above = |c: f64| normal_cdf((v - c) / noise);
            let p = match label {
                0 => 1.0 - above(LEVELS[0]),
                1 => above(LEVELS[0]) - above(LEVELS[1]),
                _ => above(LEVELS[1]),
            };
            -(MISLABEL + (1.0 - 3.0 * MISLABEL) * p.max(0.0)).ln()
        })
        .sum()
}

/// `Φ(z)` through `erfc` (Numerical Recipes' Chebyshev fit, relative error below 1.2e-7).
fn normal_cdf(z: f64) -> f64 {
    let x = -z / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.5 * x.abs());
    let poly = -x * x - 1.26551223
        + t * (1.00002368
            + t * (0.37409196
                + t * (0.09678418
                    + t * (-0.18628806
                        + t * (0.27886807
                            + t * (-1.13520398
                                + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
    let erfc = t * poly.exp();
    0.5 * if x >= 0.0 { erfc } else { 2.0 - erfc }
}

/// The centroid (cm) of the cells labelled at least `level`, or of every labelled cell when none
/// is: where the searches start.
pub fn centroid(labels: &[u8], side: usize) -> Result<(f64, f64)> {
    for level in [2, 1] {
        let cells: Vec<usize> = (0..labels.len()).filter(|&k| labels[k] >= level).collect();
        if !cells.is_empty() {
            let n = cells.len() as f64;
            let x = cells.iter().map(|&k| (k % side) as f64 + 0.5).sum::<f64>() / n;
            let y = cells.iter().map(|&k| (k / side) as f64 + 0.5).sum::<f64>() / n;
            return Ok((x * CELL_CM, y * CELL_CM));
        }
    }
    Err(Error::setting(
        "noise",
        "leaves a patient with no tumour visible in the scan",
    ))
}

/// The noise-free segmentation of `tumour`'s simulation.
pub fn segment_truth(brain: &Brain, tumour: &Tumour, steps: usize) -> Result<Vec<u8>> {
    Ok(segment(&simulate(brain, tumour, steps)?, &LEVELS))
}
