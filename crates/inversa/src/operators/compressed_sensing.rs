//! Compressed sensing: `m < n` linear measurements `y_c = Φ x_c` of each channel `x_c ∈ ℝⁿ`
//! (`n = H·W`, `m = round(ratio · n)`), as in Candès, Romberg, Tao, "Robust uncertainty principles:
//! exact signal reconstruction from highly incomplete frequency information", IEEE Trans. Inf.
//! Theory, 2006. Two sensing matrices, the same for every channel; the output is `[C, m]`:
//!
//! - `gaussian`: a dense `m × n` matrix with i.i.d. `N(0, 1/m)` entries, so `E[ΦᵀΦ] = I`. It costs
//!   `m·n` memory and time per product, which limits it to small images.
//! - `dct`: the structurally random matrix `Φ = P · C · D` of Do, Gan, Nguyen, Tran, "Fast and
//!   efficient compressive sensing using structurally random matrices", IEEE Trans. Signal
//!   Processing, 2012 (with the 2-D DCT as the fast orthonormal transform): `D` flips the sign
//!   of each pixel at random (±1), `C` is the orthonormal 2-D DCT-II ([`super::dct2`]) and `P` keeps
//!   `m` coefficients chosen at random (always including the DC coefficient, which carries the
//!   mean). Its rows are orthonormal, so `Φ Φᵀ = I`, `‖Φ‖ = 1`, and
//!   `(ΦᵀΦ + ρI)⁻¹ = D Cᵀ diag(1/(p + ρ)) C D` with `p` the 0/1 indicator of the kept coefficients.
//!
//! ```
//! use inversa::operators::{compressed_sensing::CompressedSensing, LinearOperator};
//! let op = CompressedSensing::<f64>::structured_dct(&[1, 8, 8], 16, 3).unwrap();
//! assert_eq!(op.output_shape(), &[1, 16]);
//! // Orthonormal rows: Φ Φᵀ y = y.
//! let y: Vec<f64> = (0..16).map(|i| i as f64).collect();
//! let back = op.apply_new(&op.adjoint_new(&y));
//! assert!(back.iter().zip(&y).all(|(a, b)| (a - b).abs() < 1e-12));
//! ```

use super::dct2::Dct2d;
use super::physics::{BuildContext, MeasurementDisplay, Physics};
use super::{checked_image_dims, image_dims, random_vector, LinearOperator, EXAMPLE_SHAPE};
use crate::config::Section;
use crate::error::{Error, Result};
use crate::real::{lit, Real};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

/// Largest `m · n` the task file may ask of the dense Gaussian matrix (400 MB in f64).
pub const MAX_GAUSSIAN_ENTRIES: usize = 50_000_000;

/// Columns of `x` one rayon task accumulates in the dense adjoint.
const ADJOINT_BLOCK: usize = 256;

/// Matrix entries below which a product runs on the calling thread: waking rayon's workers costs
/// more than a product of this size (samplers apply small matrices to thousands of states).
const PARALLEL_ENTRIES: usize = 1 << 16;

enum Sensing<T: Real> {
    /// Row-major `m × n` matrix.
    Gaussian(Vec<T>),
    /// `P C D`: the ±1 signs of `D`, the kept coefficient indices of `P` (sorted) and `C`.
    Structured {
        signs: Vec<T>,
        kept: Vec<usize>,
        dct: Dct2d<T>,
    },
}

/// `y_c = Φ x_c` for every channel `c`.
pub struct CompressedSensing<T: Real> {
    input_shape: Vec<usize>,
    output_shape: Vec<usize>,
    sensing: Sensing<T>,
}

/// `(C, H·W)` of an image shape, checking `1 ≤ m ≤ H·W`.
fn checked_sizes(image_shape: &[usize], m: usize) -> Result<(usize, usize)> {
    let (c, h, w) = checked_image_dims(image_shape)?;
    if m == 0 || m > h * w {
        return Err(Error::Shape(format!(
            "compressed sensing of a {h}×{w} image takes 1 to {} measurements, not {m}",
            h * w
        )));
    }
    Ok((c, h * w))
}

impl<T: Real> CompressedSensing<T> {
    /// `m` measurements of each channel through a dense i.i.d. `N(0, 1/m)` matrix drawn from `seed`.
    pub fn gaussian(image_shape: &[usize], m: usize, seed: u64) -> Result<Self> {
        let (c, n) = checked_sizes(image_shape, m)?;
        let scale = 1.0 / (m as f64).sqrt();
        let matrix = random_vector::<f64>(m * n, seed)
            .into_iter()
            .map(|v| lit::<T>(v * scale))
            .collect();
        Ok(Self {
            input_shape: image_shape.to_vec(),
            output_shape: vec![c, m],
            sensing: Sensing::Gaussian(matrix),
        })
    }

    /// `m` measurements of each channel through `P · DCT2 · D` with random signs and a random
    /// coefficient subset (containing the DC coefficient) drawn from `seed`.
    pub fn structured_dct(image_shape: &[usize], m: usize, seed: u64) -> Result<Self> {
        let (c, n) = checked_sizes(image_shape, m)?;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let signs = (0..n)
            .map(|_| {
                if rng.gen::<bool>() {
                    T::one()
                } else {
                    -T::one()
                }
            })
            .collect();
        // DC (index 0) plus m − 1 of the other n − 1 coefficients.
        let mut kept: Vec<usize> = std::iter::once(0)
            .chain(
                rand::seq::index::sample(&mut rng, n - 1, m - 1)
                    .into_iter()
                    .map(|k| k + 1),
            )
            .collect();
        kept.sort_unstable();
        Ok(Self {
            input_shape: image_shape.to_vec(),
            output_shape: vec![c, m],
            sensing: Sensing::Structured {
                signs,
                kept,
                dct: Dct2d::new(image_shape)?,
            },
        })
    }

    /// Number of measurements per channel, `m`.
    pub fn measurements(&self) -> usize {
        self.output_shape[1]
    }

    /// Pixels per channel, `n`.
    fn pixels(&self) -> usize {
        let (_, h, w) = image_dims(&self.input_shape);
        h * w
    }
}

/// `y = A x` for a row-major `m × n` matrix, one row per rayon task.
fn dense_apply<T: Real>(matrix: &[T], x: &[T], y: &mut [T]) {
    let n = x.len();
    let row_dot = |(i, yi): (usize, &mut T)| {
        let row = &matrix[i * n..(i + 1) * n];
        *yi = row
            .iter()
            .zip(x)
            .fold(T::zero(), |acc, (a, v)| acc + *a * *v);
    };
    if matrix.len() < PARALLEL_ENTRIES {
        y.iter_mut().enumerate().for_each(row_dot);
    } else {
        y.par_iter_mut().enumerate().for_each(row_dot);
    }
}

/// `x = Aᵀ y`, each rayon task owning a block of `x` and sweeping the rows (fixed summation order).
fn dense_adjoint<T: Real>(matrix: &[T], y: &[T], x: &mut [T]) {
    let n = x.len();
    let accumulate = |(b, block): (usize, &mut [T])| {
        block.iter_mut().for_each(|v| *v = T::zero());
        let j0 = b * ADJOINT_BLOCK;
        for (i, yi) in y.iter().enumerate() {
            let row = &matrix[i * n + j0..i * n + j0 + block.len()];
            block
                .iter_mut()
                .zip(row)
                .for_each(|(v, a)| *v = *v + *a * *yi);
        }
    };
    if matrix.len() < PARALLEL_ENTRIES {
        x.chunks_mut(ADJOINT_BLOCK).enumerate().for_each(accumulate);
    } else {
        x.par_chunks_mut(ADJOINT_BLOCK)
            .enumerate()
            .for_each(accumulate);
    }
}

impl<T: Real> LinearOperator<T> for CompressedSensing<T> {
    fn input_shape(&self) -> &[usize] {
        &self.input_shape
    }
    fn output_shape(&self) -> &[usize] {
        &self.output_shape
    }
    fn apply(&self, x: &[T], y: &mut [T]) {
        let (n, m) = (self.pixels(), self.measurements());
        for (xc, yc) in x.chunks(n).zip(y.chunks_mut(m)) {
            match &self.sensing {
                Sensing::Gaussian(matrix) => dense_apply(matrix, xc, yc),
                Sensing::Structured { signs, kept, dct } => {
                    let mut plane: Vec<T> = xc.iter().zip(signs).map(|(v, s)| *v * *s).collect();
                    dct.forward_plane(&mut plane);
                    yc.iter_mut().zip(kept).for_each(|(v, &k)| *v = plane[k]);
                }
            }
        }
    }
    fn adjoint(&self, y: &[T], x: &mut [T]) {
        let (n, m) = (self.pixels(), self.measurements());
        for (yc, xc) in y.chunks(m).zip(x.chunks_mut(n)) {
            match &self.sensing {
                Sensing::Gaussian(matrix) => dense_adjoint(matrix, yc, xc),
                Sensing::Structured { signs, kept, dct } => {
                    xc.iter_mut().for_each(|v| *v = T::zero());
                    kept.iter().zip(yc).for_each(|(&k, v)| xc[k] = *v);
                    dct.inverse_plane(xc);
                    xc.iter_mut().zip(signs).for_each(|(v, s)| *v = *v * *s);
                }
            }
        }
    }
    fn solve_regularized_normal(&self, rhs: &[T], rho: T, out: &mut [T]) -> bool {
        let Sensing::Structured { signs, kept, dct } = &self.sensing else {
            return false;
        };
        // In the basis C D the normal operator is diag(p): divide by p + ρ there.
        let n = self.pixels();
        let (unseen, seen) = (T::one() / rho, T::one() / (T::one() + rho));
        for (rc, oc) in rhs.chunks(n).zip(out.chunks_mut(n)) {
            oc.iter_mut()
                .zip(rc.iter().zip(signs))
                .for_each(|(o, (r, s))| *o = *r * *s);
            dct.forward_plane(oc);
            let mut next_kept = kept.iter().peekable();
            for (k, v) in oc.iter_mut().enumerate() {
                let is_kept = next_kept.next_if(|&&j| j == k).is_some();
                *v = *v * if is_kept { seen } else { unseen };
            }
            dct.inverse_plane(oc);
            oc.iter_mut().zip(signs).for_each(|(v, s)| *v = *v * *s);
        }
        true
    }
}

/// Builds `physics.kind = "cs"`: `matrix` (`"dct"`, the default, or `"gaussian"`) and `ratio`
/// (measurements per pixel in (0, 1], default 0.25).
pub fn from_config<T: Real>(section: &mut Section, ctx: &BuildContext) -> Result<Physics<T>> {
    let matrix = section.choice_or("matrix", "dct", &["dct", "gaussian"])?;
    let ratio = section.f64_or("ratio", 0.25)?;
    if !(ratio > 0.0 && ratio <= 1.0) {
        return Err(Error::config(
            section.key("ratio"),
            format!("expected a measurement ratio in (0, 1], found {ratio}"),
        ));
    }
    let (_, h, w) = checked_image_dims(&ctx.image_shape)?;
    let n = h * w;
    let m = (ratio * n as f64).round() as usize;
    if m == 0 {
        return Err(Error::config(
            section.key("ratio"),
            format!("ratio {ratio} of a {h}×{w} image rounds to 0 measurements"),
        ));
    }
    let operator = if matrix == "gaussian" {
        if m * n > MAX_GAUSSIAN_ENTRIES {
            return Err(Error::config(
                section.key("matrix"),
                format!(
                    "a dense gaussian matrix for a {h}×{w} image at ratio {ratio} has {m}×{n} = {} \
                     entries (limit {MAX_GAUSSIAN_ENTRIES}); use matrix = \"dct\", which needs no \
                     stored matrix",
                    m * n
                ),
            ));
        }
        CompressedSensing::gaussian(&ctx.image_shape, m, ctx.seed)?
    } else {
        CompressedSensing::structured_dct(&ctx.image_shape, m, ctx.seed)?
    };
    Ok(Physics {
        operator: Box::new(operator),
        display: MeasurementDisplay::None,
        retrospective: None,
    })
}

/// The structured DCT matrix at ratio 0.3 on the self-test shape.
#[allow(clippy::expect_used, reason = "a fixed self-test example")]
pub fn example<T: Real>(seed: u64) -> Box<dyn LinearOperator<T>> {
    let (_, h, w) = image_dims(&EXAMPLE_SHAPE);
    let m = (0.3 * (h * w) as f64).round() as usize;
    Box::new(CompressedSensing::structured_dct(&EXAMPLE_SHAPE, m, seed).expect("1 ≤ m ≤ n"))
}
