//! Image quality metrics for `[C, H, W]` images: PSNR, SSIM and NMSE.
//!
//! - **PSNR** `= 10 log₁₀(R² / MSE)` with `MSE = (1/N) Σ (xᵢ − refᵢ)²` and `R` the data range (the
//!   difference between the largest and smallest value the image type can take, 1 for [0, 1] images).
//! - **SSIM** of Z. Wang, A. C. Bovik, H. R. Sheikh, E. P. Simoncelli, "Image quality assessment: from
//!   error visibility to structural similarity", IEEE Trans. Image Processing 13(4), 2004, eq. (13):
//!
//!   `SSIM = (2 μx μy + C1)(2 σxy + C2) / ((μx² + μy² + C1)(σx² + σy² + C2))`, `C1 = (0.01 R)²`,
//!   `C2 = (0.03 R)²`,
//!
//!   where the local means and (population) covariances are taken under a Gaussian window of
//!   σ = 1.5 truncated at 3.5 σ (an 11 × 11 window). The conventions are scikit-image's
//!   `structural_similarity(gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
//!   channel_axis=0)`: the window is a separable filter, the SSIM map is cropped by `(11 − 1)/2 = 5`
//!   pixels on every side and averaged, and the channel means are averaged. scikit-image filters the
//!   whole image with scipy's half-sample symmetric boundary (`mode='reflect'`) before cropping; the
//!   crop removes exactly the pixels whose window reaches past the border, so the boundary rule never
//!   enters the mean and only the interior is computed here.
//! - **NMSE** `= ‖x − ref‖² / ‖ref‖²`.
//!
//! Sums are accumulated in `f64` whatever the element type.

use crate::error::{Error, Result};
use crate::real::Real;

/// Gaussian window standard deviation (pixels), as in Wang et al. 2004.
const SSIM_SIGMA: f64 = 1.5;
/// The window is truncated at this many standard deviations (radius `⌊3.5·1.5 + 0.5⌋ = 5`).
const SSIM_TRUNCATE: f64 = 3.5;
const SSIM_K1: f64 = 0.01;
const SSIM_K2: f64 = 0.03;

/// Peak signal-to-noise ratio in dB, `10 log₁₀(data_range² / MSE)`; `+∞` for identical images.
///
/// `x` and `reference` must have the same length (a mismatch gives NaN rather than a wrong number).
///
/// ```
/// // Every pixel off by 0.1 on a [0, 1] image: MSE = 0.01, PSNR = 20 dB.
/// let psnr = inversa::metrics::psnr(&[0.1f64, 0.6, 1.0], &[0.0, 0.5, 0.9], 1.0);
/// assert!((psnr - 20.0).abs() < 1e-9);
/// ```
pub fn psnr<T: Real>(x: &[T], reference: &[T], data_range: f64) -> f64 {
    if x.len() != reference.len() || x.is_empty() {
        return f64::NAN;
    }
    let mse = squared_distance(x, reference) / x.len() as f64;
    10.0 * (data_range * data_range / mse).log10()
}

/// Normalised mean squared error `‖x − ref‖² / ‖ref‖²` (NaN when the lengths differ).
///
/// ```
/// let nmse = inversa::metrics::nmse(&[3.0f64, 4.0], &[3.0, 5.0]);
/// assert!((nmse - 1.0 / 34.0).abs() < 1e-15);
/// ```
pub fn nmse<T: Real>(x: &[T], reference: &[T]) -> f64 {
    if x.len() != reference.len() {
        return f64::NAN;
    }
    squared_distance(x, reference) / crate::real::norm_squared(reference)
}

/// Mean structural similarity of `x` against `reference`, both of `shape` `[C, H, W]` (or `[H, W]`),
/// with scikit-image's Gaussian-window conventions (see the module header).
///
/// Errors: a shape that is not 2-D/3-D or does not match the data, images smaller than the 11 × 11
/// window, or a data range that is not positive and finite.
///
/// ```
/// let x: Vec<f64> = (0..16 * 16).map(|i| ((i * 7) % 16) as f64 / 15.0).collect();
/// assert!((inversa::metrics::ssim(&x, &x, &[1, 16, 16], 1.0).unwrap() - 1.0).abs() < 1e-12);
/// ```
pub fn ssim<T: Real>(x: &[T], reference: &[T], shape: &[usize], data_range: f64) -> Result<f64> {
    let (channels, h, w) = check_ssim_input(x.len(), reference.len(), shape, data_range)?;
    let kernel = gaussian_window(SSIM_SIGMA, SSIM_TRUNCATE);
    let plane = h * w;
    let total: f64 = (0..channels)
        .map(|c| {
            let slice = |v: &[T]| -> Vec<f64> {
                v[c * plane..(c + 1) * plane]
                    .iter()
                    .map(|a| a.to_f64().unwrap_or(f64::NAN))
                    .collect()
            };
            ssim_channel(&slice(x), &slice(reference), h, w, &kernel, data_range)
        })
        .sum();
    Ok(total / channels as f64)
}

fn check_ssim_input(
    len_x: usize,
    len_ref: usize,
    shape: &[usize],
    data_range: f64,
) -> Result<(usize, usize, usize)> {
    let (c, h, w) = match *shape {
        [h, w] => (1, h, w),
        [c, h, w] => (c, h, w),
        _ => {
            return Err(Error::Shape(format!(
                "SSIM needs an image shape [C, H, W] or [H, W], got {shape:?}"
            )))
        }
    };
    if len_x != c * h * w || len_ref != c * h * w {
        return Err(Error::Shape(format!(
            "SSIM of shape {shape:?} needs {} values in both images, got {len_x} and {len_ref}",
            c * h * w
        )));
    }
    let window = gaussian_window(SSIM_SIGMA, SSIM_TRUNCATE).len();
    if h < window || w < window || c == 0 {
        return Err(Error::Shape(format!(
            "SSIM needs images of at least {window}×{window} pixels (its Gaussian window) \
             and one channel, got shape {shape:?}"
        )));
    }
    if !(data_range.is_finite() && data_range > 0.0) {
        return Err(Error::config(
            "data_range",
            format!("SSIM needs a positive, finite data range, got {data_range}"),
        ));
    }
    Ok((c, h, w))
}

/// SSIM of one `h × w` channel: the mean of the SSIM map (Wang et al. 2004, eq. 13) over the pixels
/// whose window lies inside the image.
fn ssim_channel(x: &[f64], y: &[f64], h: usize, w: usize, kernel: &[f64], range: f64) -> f64 {
    let product =
        |a: &[f64], b: &[f64]| -> Vec<f64> { a.iter().zip(b).map(|(p, q)| p * q).collect() };
    let mean_x = filter_valid(x, h, w, kernel);
    let mean_y = filter_valid(y, h, w, kernel);
    let mean_xx = filter_valid(&product(x, x), h, w, kernel);
    let mean_yy = filter_valid(&product(y, y), h, w, kernel);
    let mean_xy = filter_valid(&product(x, y), h, w, kernel);
    let c1 = (SSIM_K1 * range).powi(2);
    let c2 = (SSIM_K2 * range).powi(2);
    let sum: f64 = (0..mean_x.len())
        .map(|k| {
            let (mx, my) = (mean_x[k], mean_y[k]);
            let var_x = mean_xx[k] - mx * mx;
            let var_y = mean_yy[k] - my * my;
            let cov = mean_xy[k] - mx * my;
            (2.0 * mx * my + c1) * (2.0 * cov + c2)
                / ((mx * mx + my * my + c1) * (var_x + var_y + c2))
        })
        .sum();
    sum / mean_x.len() as f64
}

/// Normalised 1-D Gaussian weights on `[-r, r]`, `r = ⌊truncate·σ + 0.5⌋` (scipy's radius rule).
fn gaussian_window(sigma: f64, truncate: f64) -> Vec<f64> {
    let radius = (truncate * sigma + 0.5) as i64;
    let weights: Vec<f64> = (-radius..=radius)
        .map(|d| (-0.5 * (d * d) as f64 / (sigma * sigma)).exp())
        .collect();
    let sum: f64 = weights.iter().sum();
    weights.into_iter().map(|v| v / sum).collect()
}

/// Separable correlation of an `h × w` image with `kernel` (rows, then columns), kept only where the
/// window lies inside the image: an `(h − 2r) × (w − 2r)` map.
fn filter_valid(image: &[f64], h: usize, w: usize, kernel: &[f64]) -> Vec<f64> {
    let span = kernel.len();
    let (out_h, out_w) = (h + 1 - span, w + 1 - span);
    let mut along_rows = vec![0.0; out_h * w];
    for i in 0..out_h {
        let row = &mut along_rows[i * w..(i + 1) * w];
        for (t, weight) in kernel.iter().enumerate() {
            let source = &image[(i + t) * w..(i + t + 1) * w];
            row.iter_mut()
                .zip(source)
                .for_each(|(o, v)| *o += weight * v);
        }
    }
    let mut out = Vec::with_capacity(out_h * out_w);
    for i in 0..out_h {
        let row = &along_rows[i * w..(i + 1) * w];
        out.extend((0..out_w).map(|j| {
            kernel
                .iter()
                .zip(&row[j..j + span])
                .map(|(k, v)| k * v)
                .sum::<f64>()
        }));
    }
    out
}

/// `Σ (x − reference)²`, accumulated in f64.
pub fn squared_distance<T: Real>(x: &[T], reference: &[T]) -> f64 {
    x.iter()
        .zip(reference)
        .map(|(a, b)| {
            let d = a.to_f64().unwrap_or(f64::NAN) - b.to_f64().unwrap_or(f64::NAN);
            d * d
        })
        .sum()
}
