//! ESPIRiT coil sensitivities (Uecker, Lai, Murphy, Virtue, Elad, Pauly, Vasanawala, Lustig,
//! "ESPIRiT — an eigenvalue approach to autocalibrating parallel MRI: where SENSE meets GRAPPA",
//! MRM 2014).
//!
//! 1. The calibration matrix `A` of a fully sampled `r × r` centre of Cartesian k-space has one
//!    row per `k × k` patch (all coils): `(r − k + 1)²` rows of `C k²` values.
//! 2. Its right singular vectors `v_j` with `σ_j² ≥ t σ₁²` span the patches that are consistent
//!    with the coil data (the paper's `V_∥`, Sec. "Theory"; here from the eigendecomposition of
//!    `AᴴA`).
//! 3. Projecting every patch onto them, `W = (1/k²) Σ_p R_pᴴ V_∥ V_∥ᴴ R_p`, is a convolution in
//!    k-space, so in image space a `C × C` matrix per pixel,
//!    `G(t) = (1/k²) Σ_j g_j(t) g_j(t)ᴴ`, `g_{j,c}(t) = Σ_u v̄_{j,c}(u) e^{2πi u·t/N}`.
//! 4. The sensitivities are the eigenvectors of `G(t)` of eigenvalue 1 (Eq. 13); pixels whose top
//!    eigenvalue is below `crop` hold no signal and get zero maps.
//!
//! `t = 0.001`, `k = 6`, `r = 24` and `crop = 0.8` are BART's `ecalib` defaults, with its
//! threshold on squared singular values; one set of maps (`ecalib -m1`). On the same calibration
//! data the maps, eigenvalues and crop mask match BART's (`tests/suite/espirit.rs`).
//! Each eigenvector's phase is arbitrary: [`align_phase`] fixes it against coil images.

use super::fft2::Fft2;
use crate::error::{Error, Result};
use faer::{MatRef, Side};
use num_complex::Complex64 as C64;

/// ESPIRiT's settings.
#[derive(Clone, Copy, Debug)]
pub struct Params {
    /// Kernel size `k` (k-space samples across).
    pub kernel: usize,
    /// Threshold `t` on squared singular values, relative to the largest.
    pub threshold: f64,
    /// Eigenvalue below which a pixel's maps are zero.
    pub crop: f64,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            kernel: 6,
            threshold: 0.001,
            crop: 0.8,
        }
    }
}

/// `[coils, h, w]` maps (pixel `(y, x)` at centred coordinates `(y − h/2, x − w/2)`) and each
/// pixel's top eigenvalue, from `calibration`, the centred `[coils, r, r]` Cartesian k-space of
/// the `h × w` image's DFT (index `r/2` is frequency 0).
pub fn espirit(
    calibration: &[C64],
    coils: usize,
    r: usize,
    (h, w): (usize, usize),
    params: Params,
) -> Result<(Vec<C64>, Vec<f64>)> {
    let k = params.kernel;
    if k == 0 || k > r || calibration.len() != coils * r * r {
        return Err(Error::config(
            "calibration",
            format!("ESPIRiT needs a {r}×{r} calibration region (per coil) at least the {k}-sample kernel"),
        ));
    }
    let kernels = consistent_kernels(calibration, coils, r, params)?;
    let images = kernel_images(&kernels, coils, k, (h, w));
    let scale = 1.0 / (k * k) as f64;
    let mut maps = vec![C64::new(0.0, 0.0); coils * h * w];
    let mut eigenvalues = vec![0.0; h * w];
    let mut g = vec![C64::new(0.0, 0.0); coils * coils];
    for p in 0..h * w {
        // FFT index of the pixel at centred coordinates (y − h/2, x − w/2).
        let (y, x) = (p / w, p % w);
        let q = ((y + h - h / 2) % h) * w + (x + w - w / 2) % w;
        g.fill(C64::new(0.0, 0.0));
        for image in images.chunks(coils * h * w) {
            for a in 0..coils {
                let ga = image[a * h * w + q] * scale;
                for b in 0..=a {
                    g[a * coils + b] += ga * image[b * h * w + q].conj();
                }
            }
        }
        let (value, vector) = top_eigenpair(&g, coils)?;
        eigenvalues[p] = value;
        if value >= params.crop {
            for (c, v) in vector.iter().enumerate() {
                maps[c * h * w + p] = *v;
            }
        }
    }
    Ok((maps, eigenvalues))
}

/// The right singular vectors of the calibration matrix above the threshold, each `C k²` values
/// ordered `[coil][u][v]`.
fn consistent_kernels(
    calibration: &[C64],
    coils: usize,
    r: usize,
    params: Params,
) -> Result<Vec<Vec<C64>>> {
    let k = params.kernel;
    let n = coils * k * k;
    let positions = r - k + 1;
    let mut gram = vec![C64::new(0.0, 0.0); n * n];
    let mut row = vec![C64::new(0.0, 0.0); n];
    for py in 0..positions {
        for px in 0..positions {
            for c in 0..coils {
                for u in 0..k {
                    for v in 0..k {
                        row[(c * k + u) * k + v] = calibration[(c * r + py + u) * r + px + v];
                    }
                }
            }
            for i in 0..n {
                for j in 0..=i {
                    gram[i * n + j] += row[i].conj() * row[j];
                }
            }
        }
    }
    let eigen = MatRef::from_row_major_slice(&gram, n, n)
        .self_adjoint_eigen(Side::Lower)
        .map_err(|_| no_convergence())?;
    let (values, vectors) = (eigen.S(), eigen.U());
    let largest = values[n - 1].re.max(0.0);
    Ok((0..n)
        .rev()
        .filter(|&j| values[j].re >= params.threshold * largest)
        .map(|j| (0..n).map(|i| vectors[(i, j)]).collect())
        .collect())
}

/// `g_j` for every kernel: `[kernels][coils, h, w]`, the unnormalised inverse DFT of each coil's
/// `k × k` kernel zero-padded to `h × w`. The kernels enter conjugated: `AᴴA`'s eigenvectors are
/// the conjugates of the patch filters that reproduce the data (the test against known maps
/// fails without it: it finds `conj S(−t)`).
fn kernel_images(kernels: &[Vec<C64>], coils: usize, k: usize, (h, w): (usize, usize)) -> Vec<C64> {
    let fft = Fft2::<f64>::new(h, w);
    let mut images = vec![C64::new(0.0, 0.0); kernels.len() * coils * h * w];
    for (kernel, out) in kernels.iter().zip(images.chunks_mut(coils * h * w)) {
        for (c, image) in out.chunks_mut(h * w).enumerate() {
            for u in 0..k {
                for v in 0..k {
                    image[(u % h) * w + v % w] = kernel[(c * k + u) * k + v].conj();
                }
            }
            fft.inverse(image);
        }
    }
    images
}

/// The largest eigenvalue of the Hermitian `g` (lower triangle filled) and its unit eigenvector.
fn top_eigenpair(g: &[C64], n: usize) -> Result<(f64, Vec<C64>)> {
    let eigen = MatRef::from_row_major_slice(g, n, n)
        .self_adjoint_eigen(Side::Lower)
        .map_err(|_| no_convergence())?;
    let (values, vectors) = (eigen.S(), eigen.U());
    Ok((
        values[n - 1].re,
        (0..n).map(|i| vectors[(i, n - 1)]).collect(),
    ))
}

fn no_convergence() -> Error {
    Error::from(crate::solvers::SolverError::EigenNoConvergence {
        solver: "ESPIRiT",
        what: "a calibration matrix",
    })
}

/// Rotates each pixel's map vector so that `Σ_c S̄_c I_c` with the coil `images` is real and
/// non-negative: the object's smooth phase moves into the maps, as the real-valued image model
/// needs.
pub fn align_phase(maps: &mut [C64], images: &[C64], pixels: usize) {
    for p in 0..pixels {
        let combined: C64 = maps
            .iter()
            .skip(p)
            .step_by(pixels)
            .zip(images.iter().skip(p).step_by(pixels))
            .map(|(s, i)| s.conj() * i)
            .sum();
        if combined.norm() > 0.0 {
            let rotation = combined / combined.norm();
            maps.iter_mut()
                .skip(p)
                .step_by(pixels)
                .for_each(|s| *s *= rotation);
        }
    }
}

/// The centred `[coils, r, r]` calibration region of the DFT of `[coils, h, w]` coil images
/// (pixel `(y, x)` at centred coordinates), the input of [`espirit`].
pub fn calibration_from_images(
    images: &[C64],
    coils: usize,
    (h, w): (usize, usize),
    r: usize,
) -> Vec<C64> {
    let fft = Fft2::<f64>::new(h, w);
    let mut out = vec![C64::new(0.0, 0.0); coils * r * r];
    let mut spectrum = vec![C64::new(0.0, 0.0); h * w];
    for (image, region) in images.chunks(h * w).zip(out.chunks_mut(r * r)) {
        // Pixel t = n − N/2 sits at FFT index t mod N.
        for (p, v) in image.iter().enumerate() {
            let (y, x) = (p / w, p % w);
            spectrum[((y + h - h / 2) % h) * w + (x + w - w / 2) % w] = *v;
        }
        fft.forward(&mut spectrum);
        for (i, value) in region.iter_mut().enumerate() {
            let (qy, qx) = (
                (i / r) as isize - (r / 2) as isize,
                (i % r) as isize - (r / 2) as isize,
            );
            *value = spectrum
                [qy.rem_euclid(h as isize) as usize * w + qx.rem_euclid(w as isize) as usize];
        }
    }
    out
}

#[cfg(test)]
mod tests;
