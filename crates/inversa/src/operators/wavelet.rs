//! Multilevel 2-D orthogonal discrete wavelet transform `c = W x` with a **periodic** boundary, for the
//! Haar, db2 (4 taps) and db4 (8 taps) wavelets of Daubechies, "Orthonormal bases of compactly supported
//! wavelets", Comm. Pure Appl. Math. 1988, computed by Mallat's pyramid algorithm (Mallat, "A theory for
//! multiresolution signal decomposition: the wavelet representation", IEEE TPAMI 1989).
//!
//! One level on a line `x` of even length `n`, with the low-pass filter `h` (`L` taps, `Σ h = √2`) and the
//! quadrature-mirror high-pass `g_k = (−1)^k h_{L−1−k}`:
//!
//! ```text
//! a_i = Σ_k h_k x_{(2i + k − s) mod n},   d_i = Σ_k g_k x_{(2i + k − s) mod n},   s = L/2 − 1,
//! ```
//!
//! `i = 0..n/2`. Because the even shifts of `h` and `g` form an orthonormal basis, periodising them keeps
//! the map exactly orthogonal for every even `n` (even when `n < L`): `W* W = W W* = I`, so the adjoint
//! is the inverse. The shift `s` makes the numbers agree with PyWavelets' `mode="periodization"`.
//!
//! In 2-D each level filters the rows (along the width) and then the columns of the current
//! approximation block. Coefficients are stored in an array of the input's shape in Mallat's layout:
//! after `L` levels the approximation is the top-left `(H/2^L) × (W/2^L)` block; each level's details
//! sit around its approximation — top-right: horizontal high-pass (PyWavelets' `ad`), bottom-left:
//! vertical high-pass (`da`), bottom-right: both (`dd`). Every channel of `[C, H, W]` is transformed
//! alone; `H` and `W` must be divisible by `2^L`.

use super::{checked_image_dims, image_dims, LinearOperator};
use crate::error::{Error, Result};
use crate::real::{lit, Real};
use rayon::prelude::*;

/// Arrays shorter than this are transformed on the calling thread.
const PARALLEL_MIN_LEN: usize = 1 << 14;

/// An orthogonal wavelet family, named as in task files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaveletFamily {
    /// Haar, 2 taps.
    Haar,
    /// Daubechies with 2 vanishing moments, 4 taps.
    Db2,
    /// Daubechies with 4 vanishing moments, 8 taps.
    Db4,
}

/// Haar low-pass filter `(1/√2, 1/√2)`.
const HAAR: [f64; 2] = [
    std::f64::consts::FRAC_1_SQRT_2,
    std::f64::consts::FRAC_1_SQRT_2,
];

/// db2 low-pass filter, `((1+√3), (3+√3), (3−√3), (1−√3)) / (4√2)` (Daubechies, "Ten Lectures on
/// Wavelets", 1992, Table 6.1, N = 2).
const DB2: [f64; 4] = [
    0.482_962_913_144_534_16,
    0.836_516_303_737_807_9,
    0.224_143_868_042_013_4,
    -0.129_409_522_551_260_37,
];

/// db4 low-pass filter (Daubechies, "Ten Lectures on Wavelets", 1992, Table 6.1, N = 4), to the 16
/// digits PyWavelets also uses.
const DB4: [f64; 8] = [
    0.230_377_813_308_896_5,
    0.714_846_570_552_915_7,
    0.630_880_767_929_858_9,
    -0.027_983_769_416_859_854,
    -0.187_034_811_719_093_1,
    0.030_841_381_835_560_764,
    0.032_883_011_666_885_2,
    -0.010_597_401_785_069_032,
];

impl WaveletFamily {
    /// The task-file names, in the order of [`WaveletFamily::from_name`].
    pub const NAMES: [&'static str; 3] = ["haar", "db2", "db4"];

    /// Parses `"haar"`, `"db2"` or `"db4"`.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "haar" => Some(Self::Haar),
            "db2" => Some(Self::Db2),
            "db4" => Some(Self::Db4),
            _ => None,
        }
    }

    /// The task-file name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Haar => "haar",
            Self::Db2 => "db2",
            Self::Db4 => "db4",
        }
    }

    /// Low-pass (scaling) filter `h`, normalised to `Σ h = √2`.
    pub fn lowpass(self) -> &'static [f64] {
        match self {
            Self::Haar => &HAAR,
            Self::Db2 => &DB2,
            Self::Db4 => &DB4,
        }
    }

    /// High-pass (wavelet) filter `g_k = (−1)^k h_{L−1−k}`.
    pub fn highpass(self) -> Vec<f64> {
        let h = self.lowpass();
        (0..h.len())
            .map(|k| if k % 2 == 0 { 1.0 } else { -1.0 } * h[h.len() - 1 - k])
            .collect()
    }
}

/// The largest number of levels `≤ requested` for which `2^levels` divides both `height` and `width`
/// (0 when one of them is odd or zero).
pub fn max_levels(height: usize, width: usize, requested: usize) -> usize {
    if height == 0 || width == 0 {
        return 0;
    }
    (height.trailing_zeros().min(width.trailing_zeros()) as usize).min(requested)
}

/// The orthogonal wavelet transform `W` of `[C, H, W]` (or `[H, W]`) images.
///
/// ```
/// use inversa::operators::wavelet::{Wavelet, WaveletFamily};
/// use inversa::operators::LinearOperator;
/// // One Haar level on a 2×2 image: the approximation is (a + b + c + d)/2, and W*W = I.
/// let haar = Wavelet::new(&[1, 2, 2], WaveletFamily::Haar, 1).unwrap();
/// let c = haar.apply_new(&[1.0_f64, 2.0, 3.0, 4.0]);
/// assert!((c[0] - 5.0).abs() < 1e-12);
/// let back = haar.adjoint_new(&c);
/// assert!((back[3] - 4.0).abs() < 1e-12);
/// ```
#[derive(Clone, Debug)]
pub struct Wavelet {
    shape: Vec<usize>,
    family: WaveletFamily,
    levels: usize,
}

impl Wavelet {
    /// `levels ≥ 1` levels of `family` on images of `image_shape`; height and width must be divisible
    /// by `2^levels` (see [`max_levels`]).
    pub fn new(image_shape: &[usize], family: WaveletFamily, levels: usize) -> Result<Self> {
        if !(2..=3).contains(&image_shape.len()) {
            return Err(Error::Shape(format!(
                "a wavelet transform needs a [C, H, W] or [H, W] image, got {image_shape:?}"
            )));
        }
        if levels == 0 {
            return Err(Error::Shape(
                "a wavelet transform needs at least one level".into(),
            ));
        }
        let (_, h, w) = checked_image_dims(image_shape)?;
        if max_levels(h, w, levels) < levels {
            return Err(Error::Shape(format!(
                "a {levels}-level wavelet transform needs height and width divisible by 2^{levels}; \
                 the image is {h}×{w}, which allows {} level(s)",
                max_levels(h, w, usize::MAX)
            )));
        }
        Ok(Self {
            shape: image_shape.to_vec(),
            family,
            levels,
        })
    }

    /// The wavelet family.
    pub fn family(&self) -> WaveletFamily {
        self.family
    }

    /// The number of levels.
    pub fn levels(&self) -> usize {
        self.levels
    }

    /// `(height, width)` of the approximation block in the top-left corner of every channel.
    pub fn approximation_dims(&self) -> (usize, usize) {
        let (_, h, w) = image_dims(&self.shape);
        (h >> self.levels, w >> self.levels)
    }

    /// `true` when the flat coefficient `index` is a detail (not in the approximation block).
    pub fn is_detail(&self, index: usize) -> bool {
        let (_, h, w) = image_dims(&self.shape);
        let (ah, aw) = self.approximation_dims();
        let within = index % (h * w);
        within / w >= ah || within % w >= aw
    }

    /// The filters `(h, g)` in `T`.
    fn filters<T: Real>(&self) -> (Vec<T>, Vec<T>) {
        let lo = self.family.lowpass().iter().map(|v| lit(*v)).collect();
        let hi = self.family.highpass().iter().map(|v| lit(*v)).collect();
        (lo, hi)
    }

    /// Runs `step` on every channel of `data` in place, in parallel over channels unless the whole
    /// array is too small to repay waking the thread pool.
    fn per_channel<T: Real>(&self, data: &mut [T], step: impl Fn(&mut [T]) + Sync + Send) {
        let (_, h, w) = image_dims(&self.shape);
        if data.len() < PARALLEL_MIN_LEN {
            data.chunks_mut(h * w).for_each(step);
        } else {
            data.par_chunks_mut(h * w).for_each(step);
        }
    }
}

/// The non-negative offset `base ≡ −s (mod n)`, so that `(2i + k + base) mod n` is `(2i + k − s) mod n`.
fn base_offset(n: usize, taps: usize) -> usize {
    let s = taps / 2 - 1;
    (n - s % n) % n
}

/// Index `j` of the next tap, wrapping at `n` (cheaper than `%` in the inner loops).
#[inline]
fn next_tap(j: usize, n: usize) -> usize {
    if j + 1 == n {
        0
    } else {
        j + 1
    }
}

/// One analysis level on `line` (even length): approximation into `out[..n/2]`, detail into `out[n/2..]`.
fn analyse<T: Real>(line: &[T], lo: &[T], hi: &[T], out: &mut [T]) {
    let n = line.len();
    let base = base_offset(n, lo.len());
    let (approx, detail) = out.split_at_mut(n / 2);
    for (i, (a, d)) in approx.iter_mut().zip(detail.iter_mut()).enumerate() {
        let (mut sa, mut sd) = (T::zero(), T::zero());
        let mut j = (2 * i + base) % n;
        for (l, h) in lo.iter().zip(hi) {
            sa = sa + *l * line[j];
            sd = sd + *h * line[j];
            j = next_tap(j, n);
        }
        *a = sa;
        *d = sd;
    }
}

/// The transpose of [`analyse`]: scatters every coefficient back through its filter taps.
fn synthesise<T: Real>(coeffs: &[T], lo: &[T], hi: &[T], out: &mut [T]) {
    let n = coeffs.len();
    let base = base_offset(n, lo.len());
    let (approx, detail) = coeffs.split_at(n / 2);
    out.iter_mut().for_each(|v| *v = T::zero());
    for (i, (a, d)) in approx.iter().zip(detail).enumerate() {
        let mut j = (2 * i + base) % n;
        for (l, h) in lo.iter().zip(hi) {
            out[j] = out[j] + *l * *a + *h * *d;
            j = next_tap(j, n);
        }
    }
}

/// The flat range of the first `bw` entries of row `r` of an image whose rows have length `w`.
fn row_range(r: usize, w: usize, bw: usize) -> std::ops::Range<usize> {
    r * w..r * w + bw
}

/// The top-left `bh × bw` block of `img` (rows of length `w`), filtered along its columns by
/// [`analyse`] (`forward`) or [`synthesise`]. Whole row segments are combined at a time so memory is
/// read contiguously; `scratch` holds `bh × bw` values.
fn filter_columns<T: Real>(
    img: &mut [T],
    w: usize,
    (bh, bw): (usize, usize),
    (lo, hi): (&[T], &[T]),
    forward: bool,
    scratch: &mut [T],
) {
    let base = base_offset(bh, lo.len());
    let scratch = &mut scratch[..bh * bw];
    scratch.iter_mut().for_each(|v| *v = T::zero());
    for i in 0..bh / 2 {
        let mut j = (2 * i + base) % bh;
        for (l, h) in lo.iter().zip(hi) {
            if forward {
                // Output rows i (approximation) and bh/2 + i (detail) gather input row j.
                let (top, bottom) = scratch.split_at_mut((bh / 2) * bw);
                let (a, d) = (&mut top[i * bw..][..bw], &mut bottom[i * bw..][..bw]);
                for ((a, d), x) in a.iter_mut().zip(d).zip(&img[row_range(j, w, bw)]) {
                    *a = *a + *l * *x;
                    *d = *d + *h * *x;
                }
            } else {
                // Output row j gathers input rows i and bh/2 + i.
                let out = &mut scratch[j * bw..][..bw];
                let (a, d) = (
                    &img[row_range(i, w, bw)],
                    &img[row_range(bh / 2 + i, w, bw)],
                );
                for ((o, a), d) in out.iter_mut().zip(a).zip(d) {
                    *o = *o + *l * *a + *h * *d;
                }
            }
            j = next_tap(j, bh);
        }
    }
    for r in 0..bh {
        img[row_range(r, w, bw)].copy_from_slice(&scratch[r * bw..][..bw]);
    }
}

/// The top-left `bh × bw` block of `img` filtered along its rows by `step(line, out)`.
fn filter_rows<T: Real>(
    img: &mut [T],
    w: usize,
    (bh, bw): (usize, usize),
    step: impl Fn(&[T], &mut [T]),
    line: &mut [T],
) {
    for r in 0..bh {
        let row = &mut img[row_range(r, w, bw)];
        line[..bw].copy_from_slice(row);
        step(&line[..bw], row);
    }
}

impl<T: Real> LinearOperator<T> for Wavelet {
    fn input_shape(&self) -> &[usize] {
        &self.shape
    }
    fn output_shape(&self) -> &[usize] {
        &self.shape
    }

    /// Analysis: levels from fine to coarse, rows then columns.
    fn apply(&self, x: &[T], y: &mut [T]) {
        let (_, h, w) = image_dims(&self.shape);
        let (lo, hi) = self.filters::<T>();
        y.copy_from_slice(x);
        self.per_channel(y, |img| {
            let (mut line, mut scratch) = (vec![T::zero(); w], vec![T::zero(); h * w]);
            for level in 0..self.levels {
                let block = (h >> level, w >> level);
                filter_rows(img, w, block, |l, o| analyse(l, &lo, &hi, o), &mut line);
                filter_columns(img, w, block, (&lo, &hi), true, &mut scratch);
            }
        });
    }

    /// Synthesis, the exact transpose: levels from coarse to fine, columns then rows.
    fn adjoint(&self, y: &[T], x: &mut [T]) {
        let (_, h, w) = image_dims(&self.shape);
        let (lo, hi) = self.filters::<T>();
        x.copy_from_slice(y);
        self.per_channel(x, |img| {
            let (mut line, mut scratch) = (vec![T::zero(); w], vec![T::zero(); h * w]);
            for level in (0..self.levels).rev() {
                let block = (h >> level, w >> level);
                filter_columns(img, w, block, (&lo, &hi), false, &mut scratch);
                filter_rows(img, w, block, |c, o| synthesise(c, &lo, &hi, o), &mut line);
            }
        });
    }

    fn solve_regularized_normal(&self, rhs: &[T], rho: T, out: &mut [T]) -> bool {
        // W*W = I, so (W*W + ρI)⁻¹ = I / (1 + ρ).
        let scale = T::one() / (T::one() + rho);
        out.iter_mut().zip(rhs).for_each(|(o, r)| *o = *r * scale);
        true
    }
}

/// Two-level Haar on a small two-channel non-square shape, for the operator self-tests.
#[allow(clippy::expect_used, reason = "fixed self-test examples")]
pub fn example_haar<T: Real>(_seed: u64) -> Box<dyn LinearOperator<T>> {
    Box::new(Wavelet::new(&[2, 16, 12], WaveletFamily::Haar, 2).expect("16×12 allows 2 levels"))
}

/// Two-level db2 on the same shape.
#[allow(clippy::expect_used, reason = "fixed self-test examples")]
pub fn example_db2<T: Real>(_seed: u64) -> Box<dyn LinearOperator<T>> {
    Box::new(Wavelet::new(&[2, 16, 12], WaveletFamily::Db2, 2).expect("16×12 allows 2 levels"))
}

/// Two-level db4 on the same shape: the 8 taps wrap around the 8×6 second-level block.
#[allow(clippy::expect_used, reason = "fixed self-test examples")]
pub fn example_db4<T: Real>(_seed: u64) -> Box<dyn LinearOperator<T>> {
    Box::new(Wavelet::new(&[2, 16, 12], WaveletFamily::Db4, 2).expect("16×12 allows 2 levels"))
}
