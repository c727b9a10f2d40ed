//! Cartesian MRI with single- or multi-coil SENSE: for each image channel and each coil `c`,
//!
//! `y_c = M F (S_c x)`,
//!
//! with `x` the real image, `S_c` the complex sensitivity map of coil `c`, `F` the unitary 2-D DFT
//! (unshifted, scaled by `1/√(HW)`) and `M` a phase-encode line mask (Pruessmann, Weiger, Scheidegger,
//! Boesiger, "SENSE: sensitivity encoding for fast MRI", MRM 1999: its encoding model on a Cartesian grid).
//!
//! **Axes.** `M` keeps or drops whole k-space *columns*: the column index (along the image width)
//! is the phase-encode direction, and each acquired column is one readout line along the height, as
//! in fastMRI. Which columns: [`super::kspace_mask`], with the low frequencies near column 0 and
//! column `W − 1` (unshifted FFT).
//!
//! **Shapes.** `x` is `[C, H, W]`; `y` is `[C, coils, H, W, 2]`, interleaved complex (see
//! [`crate::real::as_complex`]) with zeros in the dropped columns.
//!
//! **Adjoint.** For the real inner product, `⟨Ax, y⟩ = Re Σ_c ⟨M F S_c x, y_c⟩ = ⟨x, Re Σ_c S̄_c F* M y_c⟩`
//! because `x` is real, so `A* y = Re Σ_c conj(S_c) · F*(M y_c)` is the exact adjoint. With one coil
//! (`S = 1`), `A*A = F* diag((M(k) + M(−k))/2) F` is diagonal in Fourier (the real part symmetrises
//! the mask), which gives `(A*A + ρI)⁻¹` in closed form.
//!
//! **Coil maps.** With `coils > 1` the maps are synthetic and smooth: complex Gaussian bumps centred
//! on a circle around the image, each with a linear phase ramp, normalised so that
//! `Σ_c |S_c|² = 1` at every pixel. Then `Σ_c S̄_c S_c = 1`, so `A*A = I` when every line is
//! acquired (the zero-filled reconstruction is exact) and `‖A‖ = 1`.
//!
//! ```
//! use inversa::operators::{kspace_mask::{LineMask, MaskKind}, mri::Mri, LinearOperator};
//! let mask = LineMask { kind: MaskKind::Random, acceleration: 1.0, center_fraction: 0.1 };
//! let op = Mri::<f64>::synthetic(&[1, 8, 8], 4, &mask, 0).unwrap();
//! assert_eq!(op.output_shape(), &[1, 4, 8, 8, 2]);
//! // Fully sampled with normalised coil maps, zero filling recovers the image exactly.
//! let x: Vec<f64> = (0..64).map(|i| (i as f64).sqrt()).collect();
//! let back = op.zero_filled(&op.apply_new(&x));
//! assert!(back.iter().zip(&x).all(|(a, b)| (a - b).abs() < 1e-12));
//! ```

use super::fft2::{Fft2, Fft2Scratch};
use super::kspace_mask::{LineMask, MaskKind};
use super::kspace_sampling::{Sampling, MASK_NAMES};
use super::physics::{BuildContext, MeasurementDisplay, Physics};
use super::scratch_pool::ScratchPool;
use super::{checked_image_dims, LinearOperator, EXAMPLE_SHAPE};
use crate::config::Section;
use crate::error::{Error, Result};
use crate::parallel::items_per_task;
use crate::real::{as_complex, as_complex_mut, lit, Real};
use num_complex::Complex;
use rayon::prelude::*;
use std::f64::consts::PI;
use std::path::Path;

/// Cartesian multi-coil MRI forward model.
pub struct Mri<T: Real> {
    input_shape: Vec<usize>,
    output_shape: Vec<usize>,
    fft: Fft2<T>,
    /// `[coils, H, W]` sensitivities.
    coil_maps: Vec<Complex<T>>,
    /// Acquired k-space columns, length `W`.
    sampled: Vec<bool>,
    /// Indices of the acquired columns.
    columns: Vec<usize>,
    /// Acquired points `[H, W]` within the acquired columns, for 2-D masks (Poisson disc); `None`
    /// when whole columns are acquired.
    points: Option<Vec<bool>>,
    /// Per-thread buffers reused across calls.
    work: ScratchPool<CoilWork<T>>,
}

impl<T: Real> Mri<T> {
    /// The model for `[C, H, W]` images with the given `[coils, H, W]` sensitivity maps and acquired
    /// columns (`sampled[j]` for k-space column `j`, unshifted).
    pub fn new(
        image_shape: &[usize],
        coil_maps: Vec<Complex<T>>,
        sampled: Vec<bool>,
    ) -> Result<Self> {
        let (c, h, w) = checked_image_dims(image_shape)?;
        if sampled.len() != w || coil_maps.is_empty() || coil_maps.len() % (h * w) != 0 {
            return Err(Error::Shape(format!(
                "an {h}×{w} MRI needs {w} mask columns and [coils, {h}, {w}] coil maps, got {} \
                 columns and {} map values",
                sampled.len(),
                coil_maps.len()
            )));
        }
        let coils = coil_maps.len() / (h * w);
        let columns = (0..w).filter(|&j| sampled[j]).collect();
        Ok(Self {
            input_shape: image_shape.to_vec(),
            output_shape: vec![c, coils, h, w, 2],
            fft: Fft2::new(h, w),
            coil_maps,
            sampled,
            columns,
            points: None,
            work: ScratchPool::default(),
        })
    }

    /// The model with a 2-D sampling mask: `points[i·W + j]` for k-space point `(i, j)`, unshifted.
    pub fn with_points(
        image_shape: &[usize],
        coil_maps: Vec<Complex<T>>,
        points: Vec<bool>,
    ) -> Result<Self> {
        let (_, h, w) = checked_image_dims(image_shape)?;
        if points.len() != h * w {
            return Err(Error::Shape(format!(
                "an {h}×{w} MRI needs {} mask points, got {}",
                h * w,
                points.len()
            )));
        }
        let columns = (0..w).map(|j| (0..h).any(|i| points[i * w + j])).collect();
        let mut model = Self::new(image_shape, coil_maps, columns)?;
        model.points = Some(points);
        Ok(model)
    }

    /// Whether k-space point `(i, j)` is acquired.
    fn acquired(&self, i: usize, j: usize) -> bool {
        let w = self.sampled.len();
        self.sampled[j] && self.points.as_ref().is_none_or(|p| p[i * w + j])
    }

    /// `coils` synthetic normalised maps ([`synthetic_coil_maps`]; `S = 1` for one coil) and a
    /// column mask drawn from `seed`.
    pub fn synthetic(
        image_shape: &[usize],
        coils: usize,
        mask: &LineMask,
        seed: u64,
    ) -> Result<Self> {
        let (_, h, w) = checked_image_dims(image_shape)?;
        let sampled = mask.sample(w, seed)?;
        Self::new(image_shape, synthetic_coil_maps(coils, h, w), sampled)
    }

    /// Number of coils.
    pub fn coils(&self) -> usize {
        self.output_shape[1]
    }

    /// The `[coils, H, W]` sensitivity maps.
    pub fn coil_maps(&self) -> &[Complex<T>] {
        &self.coil_maps
    }

    /// Which k-space columns are acquired (unshifted order).
    pub fn sampled_columns(&self) -> &[bool] {
        &self.sampled
    }

    /// The zero-filled reconstruction `A* y`: missing k-space set to zero, inverse FFT, coils
    /// combined with the conjugate sensitivities. The baseline every MRI solver must beat.
    pub fn zero_filled(&self, y: &[T]) -> Vec<T> {
        self.adjoint_new(y)
    }

    /// `1/√(HW)`, which makes the unnormalised FFT pair unitary.
    fn unitary_scale(&self) -> T {
        let (h, w) = self.fft.dims();
        lit::<T>(1.0 / ((h * w) as f64).sqrt())
    }

    /// `true` when `A*A` is diagonal in Fourier: one coil with `S = 1`.
    fn is_single_unit_coil(&self) -> bool {
        self.coil_maps
            .iter()
            .all(|s| s.re == T::one() && s.im == T::zero())
            && self.coils() == 1
    }
}

/// One thread's working memory: a k-space buffer, FFT scratch and a partial image (adjoint).
struct CoilWork<T: Real> {
    buffer: Vec<Complex<T>>,
    /// The measurement with its unacquired points zeroed (2-D masks only).
    masked: Vec<Complex<T>>,
    scratch: Fft2Scratch<T>,
    image: Vec<T>,
}

impl<T: Real> CoilWork<T> {
    fn new(fft: &Fft2<T>, mask_points: bool) -> Self {
        let (h, w) = fft.dims();
        Self {
            buffer: vec![Complex::new(T::zero(), T::zero()); h * w],
            masked: if mask_points {
                vec![Complex::new(T::zero(), T::zero()); h * w]
            } else {
                Vec::new()
            },
            scratch: fft.scratch(),
            image: vec![T::zero(); h * w],
        }
    }
}

impl<T: Real> LinearOperator<T> for Mri<T> {
    fn input_shape(&self) -> &[usize] {
        &self.input_shape
    }
    fn output_shape(&self) -> &[usize] {
        &self.output_shape
    }
    /// Coils in parallel (a run of consecutive coils per thread), each serial: `S_c x`, then the
    /// FFT of the acquired columns only.
    fn apply(&self, x: &[T], y: &mut [T]) {
        let (h, w) = self.fft.dims();
        let scale = self.unitary_scale();
        let per_task = items_per_task(self.coils()) * h * w;
        let per_channel = self.coils() * h * w;
        for (image, kspaces) in x
            .chunks(h * w)
            .zip(as_complex_mut(y).chunks_mut(per_channel))
        {
            kspaces
                .par_chunks_mut(per_task)
                .zip(self.coil_maps.par_chunks(per_task))
                .for_each(|(kspaces, maps)| {
                    let mut work = self
                        .work
                        .take(|| CoilWork::new(&self.fft, self.points.is_some()));
                    for (kspace, map) in kspaces.chunks_mut(h * w).zip(maps.chunks(h * w)) {
                        kspace
                            .iter_mut()
                            .zip(map.iter().zip(image))
                            .for_each(|(k, (s, v))| *k = *s * (*v * scale));
                        self.fft
                            .forward_columns(kspace, &self.columns, &mut work.scratch);
                        if let Some(points) = &self.points {
                            zero_unacquired(kspace, points);
                        }
                    }
                    self.work.give(work);
                });
        }
    }
    /// Coils in parallel as in `apply`: inverse FFT of the acquired columns, `S̄_c ·`, real part,
    /// summed over each thread's coils into its partial image, then over threads.
    fn adjoint(&self, y: &[T], x: &mut [T]) {
        let (h, w) = self.fft.dims();
        let scale = self.unitary_scale();
        let per_task = items_per_task(self.coils()) * h * w;
        let per_channel = self.coils() * h * w;
        for (kspaces, image) in as_complex(y).chunks(per_channel).zip(x.chunks_mut(h * w)) {
            let partials: Vec<CoilWork<T>> = kspaces
                .par_chunks(per_task)
                .zip(self.coil_maps.par_chunks(per_task))
                .map(|(kspaces, maps)| {
                    let mut work = self
                        .work
                        .take(|| CoilWork::new(&self.fft, self.points.is_some()));
                    work.image.fill(T::zero());
                    for (kspace, map) in kspaces.chunks(h * w).zip(maps.chunks(h * w)) {
                        let CoilWork {
                            buffer,
                            masked,
                            scratch,
                            image,
                        } = &mut work;
                        let kspace = match &self.points {
                            Some(points) => {
                                masked.copy_from_slice(kspace);
                                zero_unacquired(masked, points);
                                &masked[..]
                            }
                            None => kspace,
                        };
                        self.fft
                            .inverse_columns(kspace, buffer, &self.columns, scratch);
                        image
                            .iter_mut()
                            .zip(map.iter().zip(buffer.iter()))
                            .for_each(|(v, (s, b))| *v = *v + (s.conj() * *b).re * scale);
                    }
                    work
                })
                .collect();
            image.fill(T::zero());
            for work in partials {
                image
                    .iter_mut()
                    .zip(&work.image)
                    .for_each(|(a, b)| *a = *a + *b);
                self.work.give(work);
            }
        }
    }
    fn cartesian_sense(&self) -> Option<super::CartesianSense<'_, T>> {
        let (h, w) = self.fft.dims();
        let acquired = (0..h * w).map(|p| self.acquired(p / w, p % w)).collect();
        (self.input_shape[0] == 1).then_some(super::CartesianSense {
            coil_maps: &self.coil_maps,
            acquired,
        })
    }
    fn solve_regularized_normal(&self, rhs: &[T], rho: T, out: &mut [T]) -> bool {
        if !self.is_single_unit_coil() {
            return false;
        }
        let (h, w) = self.fft.dims();
        // Symmetrised mask m̄(k) = (M(k) + M(−k)) / 2, and the 1/(HW) of the unnormalised
        // FFT pair folded into the multiplier.
        let unit = lit::<T>(1.0 / (h * w) as f64);
        let half = lit::<T>(0.5);
        let multiplier: Vec<T> = (0..h * w)
            .map(|p| {
                let (i, j) = (p / w, p % w);
                let count = [self.acquired(i, j), self.acquired((h - i) % h, (w - j) % w)]
                    .iter()
                    .filter(|&&s| s)
                    .count();
                unit / (lit::<T>(count as f64) * half + rho)
            })
            .collect();
        let mut buffer = vec![Complex::new(T::zero(), T::zero()); h * w];
        for (src, dst) in rhs.chunks(h * w).zip(out.chunks_mut(h * w)) {
            buffer
                .iter_mut()
                .zip(src)
                .for_each(|(b, v)| *b = Complex::new(*v, T::zero()));
            self.fft.forward(&mut buffer);
            buffer
                .iter_mut()
                .zip(&multiplier)
                .for_each(|(b, m)| *b = *b * *m);
            self.fft.inverse(&mut buffer);
            dst.iter_mut().zip(&buffer).for_each(|(d, b)| *d = b.re);
        }
        true
    }
}

/// Zeroes the k-space points a 2-D mask does not acquire.
fn zero_unacquired<T: Real>(kspace: &mut [Complex<T>], points: &[bool]) {
    kspace
        .iter_mut()
        .zip(points)
        .filter(|(_, p)| !**p)
        .for_each(|(k, _)| *k = Complex::new(T::zero(), T::zero()));
}

/// `[coils, H, W]` smooth sensitivities with `Σ_c |S_c|² = 1` at every pixel (all ones for one
/// coil). Coil `c` sits at angle `θ_c = 2πc/coils` on a circle of radius `0.6·max(H, W)` around the
/// image centre; its magnitude is a Gaussian bump of width `0.5·max(H, W)` around that point and its
/// phase `θ_c + π(u cos θ_c + v sin θ_c)`, with `(u, v) ∈ [−½, ½]²` the normalised pixel position.
pub fn synthetic_coil_maps<T: Real>(coils: usize, h: usize, w: usize) -> Vec<Complex<T>> {
    if coils <= 1 {
        return vec![Complex::new(T::one(), T::zero()); h * w];
    }
    let size = h.max(w) as f64;
    let (radius, width) = (0.6 * size, 0.5 * size);
    let (ci, cj) = ((h as f64 - 1.0) / 2.0, (w as f64 - 1.0) / 2.0);
    let mut maps = vec![Complex::new(0.0f64, 0.0); coils * h * w];
    for (c, map) in maps.chunks_mut(h * w).enumerate() {
        let theta = 2.0 * PI * c as f64 / coils as f64;
        let (si, sj) = (ci + radius * theta.sin(), cj + radius * theta.cos());
        for (p, value) in map.iter_mut().enumerate() {
            let (i, j) = ((p / w) as f64, (p % w) as f64);
            let d2 = (i - si).powi(2) + (j - sj).powi(2);
            let (u, v) = (i / h as f64 - 0.5, j / w as f64 - 0.5);
            let phase = theta + PI * (u * theta.cos() + v * theta.sin());
            *value = Complex::from_polar((-d2 / (2.0 * width * width)).exp(), phase);
        }
    }
    for p in 0..h * w {
        let total: f64 = (0..coils).map(|c| maps[c * h * w + p].norm_sqr()).sum();
        let inv = 1.0 / total.sqrt();
        (0..coils).for_each(|c| maps[c * h * w + p] *= inv);
    }
    maps.into_iter()
        .map(|s| Complex::new(lit::<T>(s.re), lit::<T>(s.im)))
        .collect()
}

impl<T: Real> Mri<T> {
    /// The model with the samples `sampling` keeps.
    pub fn sampled_by(
        image_shape: &[usize],
        coil_maps: Vec<Complex<T>>,
        sampling: Sampling,
    ) -> Result<Self> {
        match sampling {
            Sampling::Columns(columns) => Self::new(image_shape, coil_maps, columns),
            Sampling::Points(points) => Self::with_points(image_shape, coil_maps, points),
        }
    }
}

/// Builds `physics.kind = "mri"`: `acceleration` (≥ 1, default 4), `center_fraction` (in (0, 1],
/// default 0.08), `mask` (`random`, `equispaced`, `variable_density` or `poisson`, default `random`)
/// and `coils` (≥ 1, default 1). Measured sensitivities and a measured mask replace the synthetic
/// ones: `coil_maps` is a complex `.npy` of shape `[coils, H, W]`, `mask_file` a `.npy` of `W` zeros
/// and ones (one per k-space column, unshifted order as in [`super::kspace_mask`]).
pub fn from_config<T: Real>(section: &mut Section, ctx: &BuildContext) -> Result<Physics<T>> {
    let (_, h, w) = checked_image_dims(&ctx.image_shape)?;
    let acceleration = section.f64_or("acceleration", 4.0)?;
    let center_fraction = section.f64_or("center_fraction", 0.08)?;
    let kind = section.choice_or("mask", "random", &MASK_NAMES)?;
    let coils = section.positive_usize_or("coils", 1)?;
    // Complex coil maps and k-space of every coil, and the solver's copy of the k-space.
    crate::memory::check_array(&section.key("coils"), &[coils, h, w], 2 * size_of::<T>(), 3)?;
    let maps = match section.path_opt("coil_maps")? {
        Some(path) => coil_maps_from_file(&path, h, w)?,
        None => synthetic_coil_maps(coils, h, w),
    };
    let sampling = match section.path_opt("mask_file")? {
        Some(path) => Sampling::Columns(columns_from_file(&path, w)?),
        None => Sampling::draw(
            section,
            &kind,
            (h, w),
            acceleration,
            center_fraction,
            ctx.seed,
        )?,
    };
    Ok(Physics {
        operator: Box::new(Mri::sampled_by(&ctx.image_shape, maps, sampling)?),
        display: MeasurementDisplay::LogMagnitude,
        retrospective: None,
    })
}

/// Reads `[coils, H, W]` complex sensitivities (a `<c8`/`<c16` `.npy`, or real with a trailing axis
/// of 2) for an `H × W` image.
pub(super) fn coil_maps_from_file<T: Real>(
    path: &Path,
    h: usize,
    w: usize,
) -> Result<Vec<Complex<T>>> {
    let array = crate::io::read_npy(path)?;
    let shape = &array.shape;
    if shape.len() != 4 || shape[1..] != [h, w, 2] {
        return Err(Error::format(
            path,
            format!("coil maps must be complex [coils, {h}, {w}] for this image, got shape {shape:?} (complex adds a trailing 2)"),
        ));
    }
    Ok(array
        .data
        .chunks_exact(2)
        .map(|c| Complex::new(lit::<T>(c[0]), lit::<T>(c[1])))
        .collect())
}

/// Reads `W` zeros and ones: which k-space columns were acquired.
fn columns_from_file(path: &Path, w: usize) -> Result<Vec<bool>> {
    let array = crate::io::read_npy(path)?;
    if array.shape != [w] || array.data.iter().any(|&v| v != 0.0 && v != 1.0) {
        return Err(Error::format(
            path,
            format!(
                "an MRI mask must hold {w} zeros and ones (one per k-space column; integer arrays are \
                 scaled by their range, so save uint8 masks as 0 and 255), got shape {:?}",
                array.shape
            ),
        ));
    }
    if array.data.iter().all(|&v| v == 0.0) {
        return Err(Error::format(path, "the MRI mask acquires no column"));
    }
    Ok(array.data.iter().map(|&v| v == 1.0).collect())
}

/// Three coils, acceleration 2, on the self-test shape.
#[allow(clippy::expect_used, reason = "a fixed self-test example")]
pub fn example<T: Real>(seed: u64) -> Box<dyn LinearOperator<T>> {
    let mask = LineMask {
        kind: MaskKind::Random,
        acceleration: 2.0,
        center_fraction: 0.2,
    };
    Box::new(Mri::synthetic(&EXAMPLE_SHAPE, 3, &mask, seed).expect("a feasible mask"))
}

/// One unit coil and a 2-D Poisson-disc mask on the self-test shape, so the self-tests check the
/// point mask's adjoint and its closed-form normal solve.
#[allow(clippy::expect_used, reason = "a fixed self-test example")]
pub fn example_points<T: Real>(seed: u64) -> Box<dyn LinearOperator<T>> {
    let [_, h, w] = EXAMPLE_SHAPE;
    let points = super::poisson_disc::poisson_disc((h, w), 2.0, 2, seed).expect("a feasible mask");
    let maps = synthetic_coil_maps(1, h, w);
    Box::new(Mri::with_points(&EXAMPLE_SHAPE, maps, points).expect("matching sizes"))
}
