//! Two-dimensional FFTs of `height × width` complex arrays with plans made once and reused.
//!
//! Rows are transformed in place; columns through a transpose so every 1-D FFT reads contiguous
//! memory. Both passes run in parallel over rows with rayon.

use crate::real::Real;
use num_complex::Complex;
use rayon::prelude::*;
use rustfft::{Fft, FftPlanner};
use std::sync::Arc;

/// Forward and inverse 2-D FFT plans for one size. Unnormalised: `inverse(forward(x)) = h·w·x`.
pub struct Fft2<T: Real> {
    height: usize,
    width: usize,
    row_forward: Arc<dyn Fft<T>>,
    row_inverse: Arc<dyn Fft<T>>,
    col_forward: Arc<dyn Fft<T>>,
    col_inverse: Arc<dyn Fft<T>>,
}

impl<T: Real> Fft2<T> {
    /// Plans transforms for `height × width` arrays.
    pub fn new(height: usize, width: usize) -> Self {
        let mut planner = FftPlanner::new();
        Self {
            height,
            width,
            row_forward: planner.plan_fft_forward(width),
            row_inverse: planner.plan_fft_inverse(width),
            col_forward: planner.plan_fft_forward(height),
            col_inverse: planner.plan_fft_inverse(height),
        }
    }

    /// `(height, width)`.
    pub fn dims(&self) -> (usize, usize) {
        (self.height, self.width)
    }

    /// In-place unnormalised forward transform of one `height × width` array.
    pub fn forward(&self, data: &mut [Complex<T>]) {
        self.transform(data, &self.row_forward, &self.col_forward);
    }

    /// In-place unnormalised inverse transform of one `height × width` array.
    pub fn inverse(&self, data: &mut [Complex<T>]) {
        self.transform(data, &self.row_inverse, &self.col_inverse);
    }

    fn transform(&self, data: &mut [Complex<T>], rows: &Arc<dyn Fft<T>>, cols: &Arc<dyn Fft<T>>) {
        let (h, w) = (self.height, self.width);
        assert_eq!(data.len(), h * w, "Fft2 plans {h}×{w} arrays");
        batched(rows, data, w);
        let mut transposed = vec![Complex::new(T::zero(), T::zero()); h * w];
        transpose(data, &mut transposed, h, w);
        batched(cols, &mut transposed, h);
        transpose(&transposed, data, w, h);
    }
}

/// Runs `fft` over every contiguous `len`-long line of `data`, in parallel.
fn batched<T: Real>(fft: &Arc<dyn Fft<T>>, data: &mut [Complex<T>], len: usize) {
    let lines_per_task = (4096 / len.max(1)).max(1);
    data.par_chunks_mut(len * lines_per_task).for_each(|chunk| {
        let mut scratch = vec![Complex::new(T::zero(), T::zero()); fft.get_inplace_scratch_len()];
        fft.process_with_scratch(chunk, &mut scratch);
    });
}

/// `dst[j, i] = src[i, j]` for a `rows × cols` source, in cache-sized blocks.
pub fn transpose<V: Copy + Send + Sync>(src: &[V], dst: &mut [V], rows: usize, cols: usize) {
    const BLOCK: usize = 32;
    dst.par_chunks_mut(rows * BLOCK)
        .enumerate()
        .for_each(|(jb, out)| {
            let j0 = jb * BLOCK;
            let j1 = (j0 + BLOCK).min(cols);
            for i0 in (0..rows).step_by(BLOCK) {
                for i in i0..(i0 + BLOCK).min(rows) {
                    for j in j0..j1 {
                        out[(j - j0) * rows + i] = src[i * cols + j];
                    }
                }
            }
        });
}
