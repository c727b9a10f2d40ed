//! Two-dimensional real-to-complex FFTs of `height × width` real arrays, with plans made once.
//!
//! A real image has a Hermitian spectrum, so only `width/2 + 1` columns are kept: half the work and
//! memory of a complex FFT. The spectrum is kept **transposed** (`[width/2 + 1][height]`), because the
//! column transforms run on contiguous rows of the transposed array and a diagonal filter (blur,
//! deconvolution) does not care about the layout; that saves one transpose each way.

use super::fft2::transpose;
use crate::parallel::lines_per_task;
use crate::real::Real;
use num_complex::Complex;
use rayon::prelude::*;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};
use rustfft::{Fft, FftPlanner};
use std::sync::Arc;

/// Forward and inverse plans for one size. Unnormalised: `inverse(forward(x)) = h·w·x`.
pub struct RealFft2<T: Real> {
    height: usize,
    width: usize,
    row_forward: Arc<dyn RealToComplex<T>>,
    row_inverse: Arc<dyn ComplexToReal<T>>,
    col_forward: Arc<dyn Fft<T>>,
    col_inverse: Arc<dyn Fft<T>>,
}

impl<T: Real> RealFft2<T> {
    /// Plans transforms for `height × width` real arrays.
    pub fn new(height: usize, width: usize) -> Self {
        let mut real = RealFftPlanner::<T>::new();
        let mut complex = FftPlanner::<T>::new();
        Self {
            height,
            width,
            row_forward: real.plan_fft_forward(width),
            row_inverse: real.plan_fft_inverse(width),
            col_forward: complex.plan_fft_forward(height),
            col_inverse: complex.plan_fft_inverse(height),
        }
    }

    /// Columns kept of the spectrum: `width/2 + 1`.
    pub fn half_width(&self) -> usize {
        self.width / 2 + 1
    }

    /// Length of a spectrum: `(width/2 + 1) · height`.
    pub fn spectrum_len(&self) -> usize {
        self.half_width() * self.height
    }

    /// The spectrum of `image`, written transposed into `spectrum` (`[width/2+1][height]`).
    #[allow(
        clippy::expect_used,
        reason = "the buffers are sized by the FFT plan; DC and Nyquist bins were made real"
    )]
    pub fn forward(&self, image: &[T], spectrum: &mut [Complex<T>]) {
        let (h, w, wc) = (self.height, self.width, self.half_width());
        let mut rows = vec![Complex::new(T::zero(), T::zero()); h * wc];
        let r2c = &self.row_forward;
        rows.par_chunks_mut(wc)
            .zip(image.par_chunks(w))
            .with_min_len(lines_per_task(w))
            .for_each_init(
                || (vec![T::zero(); w], r2c.make_scratch_vec()),
                |(line, scratch), (out, input)| {
                    line.copy_from_slice(input);
                    r2c.process_with_scratch(line, out, scratch)
                        .expect("buffer lengths come from the plan");
                },
            );
        transpose(&rows, spectrum, h, wc);
        batched(&self.col_forward, spectrum, h);
    }

    /// The real array whose transposed spectrum is `spectrum` (which is used as scratch).
    #[allow(
        clippy::expect_used,
        reason = "the DC and Nyquist bins were made real, as the inverse real FFT requires"
    )]
    pub fn inverse(&self, spectrum: &mut [Complex<T>], image: &mut [T]) {
        let (h, w, wc) = (self.height, self.width, self.half_width());
        batched(&self.col_inverse, spectrum, h);
        let mut rows = vec![Complex::new(T::zero(), T::zero()); h * wc];
        transpose(spectrum, &mut rows, wc, h);
        let c2r = &self.row_inverse;
        rows.par_chunks_mut(wc)
            .zip(image.par_chunks_mut(w))
            .with_min_len(lines_per_task(w))
            .for_each_init(
                || c2r.make_scratch_vec(),
                |scratch, (input, out)| {
                    // A real signal's DC (and, for even widths, Nyquist) bins are real; round-off leaves a
                    // tiny imaginary part there, which the real output cannot carry, so drop it.
                    input[0].im = T::zero();
                    if w % 2 == 0 {
                        input[wc - 1].im = T::zero();
                    }
                    c2r.process_with_scratch(input, out, scratch)
                        .expect("DC and Nyquist bins were made real");
                },
            );
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operators::fft2::Fft2;
    use crate::operators::random_vector;

    #[test]
    fn matches_the_complex_fft_and_inverts() {
        for (h, w) in [(8, 8), (6, 9), (12, 10), (1, 7)] {
            let x = random_vector::<f64>(h * w, 4);
            let rfft = RealFft2::<f64>::new(h, w);
            let mut half = vec![Complex::new(0.0, 0.0); rfft.spectrum_len()];
            rfft.forward(&x, &mut half);
            let mut full: Vec<Complex<f64>> = x.iter().map(|v| Complex::new(*v, 0.0)).collect();
            Fft2::<f64>::new(h, w).forward(&mut full);
            for i in 0..h {
                for j in 0..w / 2 + 1 {
                    let d = (half[j * h + i] - full[i * w + j]).norm();
                    assert!(d < 1e-10, "{h}×{w} bin ({i},{j}) differs by {d}");
                }
            }
            let mut back = vec![0.0; h * w];
            rfft.inverse(&mut half, &mut back);
            for (a, b) in back.iter().zip(&x) {
                assert!((a / (h * w) as f64 - b).abs() < 1e-12);
            }
        }
    }
}
