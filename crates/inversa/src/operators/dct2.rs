//! Orthonormal two-dimensional DCT-II of each channel, `X = C_H x C_Wᵀ`, and its inverse (the
//! orthonormal DCT-III). The 1-D transform of length `N` is
//!
//! `X_k = s_k Σ_{n<N} x_n cos(π k (2n+1) / (2N))`, with `s_0 = √(1/N)` and `s_k = √(2/N)` for `k ≥ 1`,
//!
//! the DCT-II matrix scaled so that it is orthogonal (Ahmed, Natarajan, Rao, "Discrete cosine
//! transform", IEEE Trans. Computers, 1974). The operator is therefore unitary: its adjoint is its
//! inverse and `‖X‖ = ‖x‖`.
//!
//! `rustdct` computes the unscaled sums `X_k = Σ x_n cos(…)` (DCT-II) and
//! `x_n = X_0/2 + Σ_{k≥1} X_k cos(…)` (DCT-III), so `DCT3(DCT2 x) = (N/2) x`; the scalings below
//! turn both into the orthonormal pair.
//!
//! ```
//! use inversa::operators::{dct2::Dct2d, LinearOperator};
//! let dct = Dct2d::<f64>::new(&[1, 4, 6]).unwrap();
//! let x: Vec<f64> = (0..24).map(|i| (i as f64 * 0.7).sin()).collect();
//! let coefficients = dct.apply_new(&x);
//! // The transform keeps the energy, and the inverse (= adjoint) brings the signal back.
//! let energy = |v: &[f64]| v.iter().map(|a| a * a).sum::<f64>();
//! assert!((energy(&coefficients) - energy(&x)).abs() < 1e-12);
//! let back = dct.adjoint_new(&coefficients);
//! assert!(back.iter().zip(&x).all(|(a, b)| (a - b).abs() < 1e-12));
//! ```

use super::fft2::transpose;
use super::{checked_image_dims, LinearOperator, EXAMPLE_SHAPE};
use crate::error::Result;
use crate::real::{lit, Real};
use rayon::prelude::*;
use rustdct::{DctPlanner, TransformType2And3};
use std::sync::Arc;

/// The orthonormal 2-D DCT-II applied to every `height × width` channel.
pub struct Dct2d<T: Real> {
    shape: Vec<usize>,
    height: usize,
    width: usize,
    rows: Arc<dyn TransformType2And3<T>>,
    cols: Arc<dyn TransformType2And3<T>>,
}

impl<T: Real> Dct2d<T> {
    /// Plans the transform for `[C, H, W]` (or `[H, W]`) arrays.
    pub fn new(image_shape: &[usize]) -> Result<Self> {
        let (_, height, width) = checked_image_dims(image_shape)?;
        let mut planner = DctPlanner::new();
        Ok(Self {
            shape: image_shape.to_vec(),
            height,
            width,
            rows: planner.plan_dct2(width),
            cols: planner.plan_dct2(height),
        })
    }

    /// In-place orthonormal DCT-II of one `height × width` plane.
    pub fn forward_plane(&self, plane: &mut [T]) {
        self.separable(plane, orthonormal_dct2);
    }

    /// In-place orthonormal DCT-III (the inverse and adjoint of [`Self::forward_plane`]).
    pub fn inverse_plane(&self, plane: &mut [T]) {
        self.separable(plane, orthonormal_dct3);
    }

    /// Applies the 1-D transform `line` along rows, then along columns through a transpose.
    fn separable(&self, plane: &mut [T], line: fn(&dyn TransformType2And3<T>, &mut [T])) {
        let (h, w) = (self.height, self.width);
        assert_eq!(plane.len(), h * w, "Dct2d plans {h}×{w} planes");
        let rows = self.rows.as_ref();
        plane.par_chunks_mut(w).for_each(|row| line(rows, row));
        let mut transposed = vec![T::zero(); h * w];
        transpose(plane, &mut transposed, h, w);
        let cols = self.cols.as_ref();
        transposed.par_chunks_mut(h).for_each(|col| line(cols, col));
        transpose(&transposed, plane, w, h);
    }
}

/// `rustdct`'s DCT-II followed by the scaling `s_k` that makes it orthonormal.
fn orthonormal_dct2<T: Real>(dct: &dyn TransformType2And3<T>, line: &mut [T]) {
    let n = line.len() as f64;
    dct.process_dct2(line);
    let (first, rest) = (lit::<T>((1.0 / n).sqrt()), lit::<T>((2.0 / n).sqrt()));
    line[0] = line[0] * first;
    line[1..].iter_mut().for_each(|v| *v = *v * rest);
}

/// Rescales the coefficients so that `rustdct`'s DCT-III (`X_0/2 + Σ X_k cos`) computes the
/// orthonormal inverse `√(1/N) X_0 + √(2/N) Σ X_k cos`.
fn orthonormal_dct3<T: Real>(dct: &dyn TransformType2And3<T>, line: &mut [T]) {
    let n = line.len() as f64;
    let (first, rest) = (lit::<T>(2.0 / n.sqrt()), lit::<T>((2.0 / n).sqrt()));
    line[0] = line[0] * first;
    line[1..].iter_mut().for_each(|v| *v = *v * rest);
    dct.process_dct3(line);
}

impl<T: Real> LinearOperator<T> for Dct2d<T> {
    fn input_shape(&self) -> &[usize] {
        &self.shape
    }
    fn output_shape(&self) -> &[usize] {
        &self.shape
    }
    fn apply(&self, x: &[T], y: &mut [T]) {
        y.copy_from_slice(x);
        y.chunks_mut(self.height * self.width)
            .for_each(|plane| self.forward_plane(plane));
    }
    fn adjoint(&self, y: &[T], x: &mut [T]) {
        x.copy_from_slice(y);
        x.chunks_mut(self.height * self.width)
            .for_each(|plane| self.inverse_plane(plane));
    }
    fn solve_regularized_normal(&self, rhs: &[T], rho: T, out: &mut [T]) -> bool {
        // Unitary: A*A = I.
        let scale = T::one() / (T::one() + rho);
        out.iter_mut().zip(rhs).for_each(|(o, r)| *o = *r * scale);
        true
    }
}

/// The transform on the self-test shape (it has no random part).
#[allow(clippy::expect_used, reason = "a fixed self-test example")]
pub fn example<T: Real>(_seed: u64) -> Box<dyn LinearOperator<T>> {
    Box::new(Dct2d::new(&EXAMPLE_SHAPE).expect("the example shape is an image shape"))
}
