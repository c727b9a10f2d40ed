//! The ramp filter of filtered back-projection: convolution of each projection with the exact
//! band-limited discrete ramp of A. C. Kak and M. Slaney, "Principles of Computerized Tomographic
//! Imaging", IEEE Press 1988, eq. (61) with sample spacing `τ = 1`:
//! `h[0] = 1/4`, `h[n] = −1/(πn)²` for odd `n`, `h[n] = 0` for even `n ≠ 0`,
//! whose spectrum is `|f|` on `[−½, ½]` cycles/sample (up to the truncation of `h`).
//!
//! Projections of `D` samples are zero-padded to a power of two `P ≥ 2D`, so the circular
//! convolution by FFT equals the linear one on the `D` kept samples (no wrap-around). The spectrum
//! is multiplied by a window `W(f)`: ram-lak `1`, shepp-logan `sinc f = sin(πf)/(πf)`, cosine
//! `cos πf`, hann `(1 + cos 2πf)/2`. Plans and the windowed spectrum are made once, at construction.
//!
//! ```
//! use inversa::operators::ramp_filter::{RampFilter, RampWindow};
//! // The ramp removes the mean: a long constant projection filters to nearly zero in its middle.
//! let filter = RampFilter::<f64>::new(64, RampWindow::RamLak, 1.0);
//! let out = filter.apply(&[1.0; 64]);
//! assert!(out[32].abs() < 0.01);
//! ```

use crate::real::{lit, Real};
use num_complex::Complex;
use rayon::prelude::*;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};
use std::f64::consts::PI;
use std::sync::Arc;

/// The names `physics.filter` accepts, in the order of [`RampWindow`].
pub const FILTERS: [&str; 4] = ["ram-lak", "shepp-logan", "cosine", "hann"];

/// The window multiplying the ramp filter in filtered back-projection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RampWindow {
    /// No window: the pure band-limited ramp.
    RamLak,
    /// `sinc f = sin(πf)/(πf)`.
    SheppLogan,
    /// `cos(πf)`.
    Cosine,
    /// `(1 + cos 2πf)/2`, zero at the Nyquist frequency.
    Hann,
}

impl RampWindow {
    /// The window called `name` in [`FILTERS`].
    pub fn from_name(name: &str) -> Option<Self> {
        let all = [Self::RamLak, Self::SheppLogan, Self::Cosine, Self::Hann];
        FILTERS.iter().position(|f| *f == name).map(|k| all[k])
    }

    /// Gain at frequency `f` in cycles per sample, `|f| ≤ 1/2`; every window has gain 1 at `f = 0`.
    pub fn gain(self, f: f64) -> f64 {
        match self {
            Self::RamLak => 1.0,
            Self::SheppLogan if f == 0.0 => 1.0,
            Self::SheppLogan => (PI * f).sin() / (PI * f),
            Self::Cosine => (PI * f).cos(),
            Self::Hann => 0.5 * (1.0 + (2.0 * PI * f).cos()),
        }
    }
}

/// The windowed Kak–Slaney ramp with its FFT plans; the stored spectrum carries the caller's scale
/// and the inverse FFT's `1/P`.
pub struct RampFilter<T: Real> {
    detectors: usize,
    padded: usize,
    forward: Arc<dyn RealToComplex<T>>,
    inverse: Arc<dyn ComplexToReal<T>>,
    spectrum: Vec<T>,
}

impl<T: Real> RampFilter<T> {
    /// The filter for projections of `detectors` samples, windowed by `window` and multiplied by
    /// `scale` (`π/K` for FBP over `K` angles).
    pub fn new(detectors: usize, window: RampWindow, scale: f64) -> Self {
        let detectors = detectors.max(1);
        let padded = (2 * detectors).next_power_of_two();
        let mut planner = RealFftPlanner::<T>::new();
        let spectrum = ramp_spectrum(padded)
            .into_iter()
            .enumerate()
            .map(|(k, h)| {
                lit::<T>(h * window.gain(k as f64 / padded as f64) * scale / padded as f64)
            })
            .collect();
        Self {
            detectors,
            padded,
            forward: planner.plan_fft_forward(padded),
            inverse: planner.plan_fft_inverse(padded),
            spectrum,
        }
    }

    /// Every length-`D` projection of `sinogram` convolved with the filter.
    #[allow(clippy::expect_used, reason = "the buffers are sized by the FFT plan")]
    pub fn apply(&self, sinogram: &[T]) -> Vec<T> {
        let d = self.detectors;
        let scratch_len = self
            .forward
            .get_scratch_len()
            .max(self.inverse.get_scratch_len());
        let buffers = || {
            (
                vec![T::zero(); self.padded],
                self.forward.make_output_vec(),
                vec![Complex::new(T::zero(), T::zero()); scratch_len],
            )
        };
        let mut out = vec![T::zero(); sinogram.len()];
        out.par_chunks_mut(d)
            .zip(sinogram.par_chunks(d))
            .for_each_init(buffers, |(line, spectrum, scratch), (o, p)| {
                // A trailing partial projection (length not a multiple of D) is filtered as it is.
                line[..p.len()].copy_from_slice(p);
                line[p.len()..].iter_mut().for_each(|v| *v = T::zero());
                self.forward
                    .process_with_scratch(line, spectrum, scratch)
                    .expect("buffers are sized by the plan");
                spectrum
                    .iter_mut()
                    .zip(&self.spectrum)
                    .for_each(|(s, h)| *s = *s * *h);
                // A real signal's DC and Nyquist bins are real; drop rounding in their imaginary parts.
                let last = spectrum.len() - 1;
                spectrum[0].im = T::zero();
                spectrum[last].im = T::zero();
                self.inverse
                    .process_with_scratch(spectrum, line, scratch)
                    .expect("buffers are sized by the plan");
                o.copy_from_slice(&line[..p.len()]);
            });
        out
    }
}

/// DFT bins `0..=P/2` of the Kak–Slaney discrete ramp (eq. 61) laid out circularly on `P` samples;
/// real because the ramp is even. They approximate `|f|` at `f = k/P`.
#[allow(clippy::expect_used, reason = "the buffers are sized by the FFT plan")]
fn ramp_spectrum(padded: usize) -> Vec<f64> {
    let kernel: Vec<f64> = (0..padded)
        .map(|n| {
            let m = if n <= padded / 2 {
                n as f64
            } else {
                n as f64 - padded as f64
            };
            match n {
                0 => 0.25,
                _ if (n % 2) == 1 => -1.0 / (PI * m).powi(2),
                _ => 0.0,
            }
        })
        .collect();
    let mut input = kernel;
    let fft = RealFftPlanner::<f64>::new().plan_fft_forward(padded);
    let mut output = fft.make_output_vec();
    fft.process(&mut input, &mut output)
        .expect("buffers are sized by the plan");
    output.iter().map(|c| c.re).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The truncated Kak–Slaney ramp is within `1/P` of `|f|` at every bin (its tail
    /// `Σ_{|n|≥P/2} 1/(πn)²` is about `2/(π²P)` at `f = 0`).
    #[test]
    fn discrete_ramp_spectrum_approximates_the_absolute_frequency() {
        for padded in [8, 64, 1024] {
            for (k, h) in ramp_spectrum(padded).into_iter().enumerate() {
                let f = k as f64 / padded as f64;
                assert!(
                    (h - f).abs() < 1.0 / padded as f64,
                    "P={padded} k={k}: {h} vs {f}"
                );
            }
        }
    }

    #[test]
    fn windows_start_at_one_and_hann_and_cosine_vanish_at_nyquist() {
        for name in FILTERS {
            let window = RampWindow::from_name(name).unwrap();
            assert_eq!(window.gain(0.0), 1.0, "{name}");
            let nyquist = window.gain(0.5);
            assert_eq!(
                nyquist.abs() < 1e-12,
                window == RampWindow::Hann || window == RampWindow::Cosine,
                "{name}: {nyquist}"
            );
        }
        assert!((RampWindow::SheppLogan.gain(0.5) - 2.0 / PI).abs() < 1e-15);
        assert!(RampWindow::from_name("butterworth").is_none());
    }
}
