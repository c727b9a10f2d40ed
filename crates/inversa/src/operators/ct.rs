//! Parallel-beam computed tomography: the 2-D Radon transform
//! `p(s, θ) = ∫ f(s cosθ − t sinθ, s sinθ + t cosθ) dt` of each channel, discretised with
//! **Joseph's projector** (P. M. Joseph, "An improved algorithm for reprojecting rays through pixel
//! images", IEEE Trans. Med. Imaging 1(3), 1982), its exact discrete adjoint, and filtered
//! back-projection as the analytic inverse.
//!
//! **Geometry.** Pixels have side 1 and the image is centred at the origin: pixel `(i, j)` of an
//! `H × W` image sits at `x = j − (W−1)/2`, `y = (H−1)/2 − i` (row 0 at the top, `y` pointing up).
//! Angle `k` of `K` is `θ_k = kπ/K` (counter-clockwise from the `x` axis); detector `d` of `D` sits at
//! `s_d = d − (D−1)/2`, so the detector centre is index `(D−1)/2`. The default `D` is the smallest
//! **odd** integer ≥ the image diagonal `√(H² + W²)`, which puts a detector exactly on `s = 0`.
//! The sinogram is `[C, K, D]`; at `θ = 0` a projection is the column sums, at `θ = π/2` the row sums
//! read from bottom to top.
//!
//! **Joseph's projector.** A ray `x cosθ + y sinθ = s` with `|cosθ| ≥ |sinθ|` crosses every row once;
//! in row `i` it meets the continuous column position `u`, where the image is linearly interpolated
//! between columns `⌊u⌋` and `⌊u⌋ + 1` (a neighbour outside the image counts as zero). The ray sum is
//! `p = (1/|cosθ|) Σᵢ [(1−φ) f(i, ⌊u⌋) + φ f(i, ⌊u⌋+1)]`, `φ = u − ⌊u⌋`, where `1/|cosθ|` is the path
//! length per row. Steeper rays step over columns instead, with `1/|sinθ|`. The result is a line
//! integral in pixel-length units: a ray through a 1-valued square of side `L` gives about `L`.
//!
//! **Adjoint.** The transpose of the same weights: each sinogram value is spread back onto the two
//! pixels it was interpolated from. Deterministic for any thread count: image rows (for row-stepping
//! angles) and columns (for column-stepping angles) are each owned by one task, which adds its
//! angles and detectors in a fixed order; the two parts are added at the end. The forward
//! projection runs in parallel over `(channel, angle)`.
//!
//! **Filtered back-projection** (A. C. Kak, M. Slaney, "Principles of Computerized Tomographic
//! Imaging", IEEE Press 1988, §3.3.3, eq. 62): `f̂ = (π/K) Aᵀ (h ∗ p)`, each projection convolved
//! with the (optionally windowed) discrete ramp `h` of [`super::ramp_filter`], then back-projected
//! with the adjoint above.
//!
//! ```
//! use inversa::operators::ct::{Ct, Geometry, RampWindow};
//! use inversa::operators::LinearOperator;
//! // A 1-valued 8×8 square in the middle of a 16×16 image: the central ray at θ = 0 has length 8.
//! let ct = Ct::<f64>::new(&[1, 16, 16], Geometry::for_image(16, 16, 4), RampWindow::RamLak).unwrap();
//! let inside = |p: usize| (4..12).contains(&(p / 16)) && (4..12).contains(&(p % 16));
//! let x: Vec<f64> = (0..256).map(|p| if inside(p) { 1.0 } else { 0.0 }).collect();
//! let sinogram = ct.apply_new(&x);
//! let centre = (ct.geometry().detectors - 1) / 2;
//! assert!((sinogram[centre] - 8.0).abs() < 1e-12);
//! ```

use super::fft2::transpose;
use super::physics::{BuildContext, MeasurementDisplay, Physics};
use super::ramp_filter::RampFilter;
pub use super::ramp_filter::{RampWindow, FILTERS};
use super::{checked_image_dims, LinearOperator, EXAMPLE_SHAPE};
use crate::config::Section;
use crate::error::{Error, Result};
use crate::real::{lit, Real};
use rayon::prelude::*;
use std::f64::consts::PI;

/// Angles and detectors of a parallel-beam scan (see the module docs for the coordinates).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Geometry {
    /// Number of angles `K`, spread uniformly over `[0, π)`.
    pub angles: usize,
    /// Number of detectors `D`, spaced one pixel apart.
    pub detectors: usize,
}

impl Geometry {
    /// `angles` angles and the default detector count for an `height × width` image.
    pub fn for_image(height: usize, width: usize, angles: usize) -> Self {
        Self {
            angles,
            detectors: default_detectors(height, width),
        }
    }

    /// `θ_k = kπ/K`.
    pub fn angle(&self, k: usize) -> f64 {
        k as f64 * PI / self.angles as f64
    }

    /// `s_d = d − (D−1)/2`, in pixels.
    pub fn detector_position(&self, d: usize) -> f64 {
        d as f64 - (self.detectors as f64 - 1.0) / 2.0
    }
}

/// The smallest odd integer ≥ the diagonal `√(height² + width²)`: every ray through the image is seen.
pub fn default_detectors(height: usize, width: usize) -> usize {
    let diagonal = ((height * height + width * width) as f64).sqrt().ceil() as usize;
    diagonal | 1
}

/// One angle's rays in Joseph's stepping: along the major axis `a` (rows, or columns when
/// `transposed`), ray `d` meets the minor axis at `u = p0 + pa·a + pd·d` with path length `weight`.
#[derive(Clone, Copy, Debug)]
struct Rays {
    transposed: bool,
    p0: f64,
    pa: f64,
    pd: f64,
    weight: f64,
}

impl Rays {
    fn new(theta: f64, height: usize, width: usize, detectors: usize) -> Self {
        let (sin, cos) = theta.sin_cos();
        let (hc, wc, dc) = (
            (height as f64 - 1.0) / 2.0,
            (width as f64 - 1.0) / 2.0,
            (detectors as f64 - 1.0) / 2.0,
        );
        if cos.abs() >= sin.abs() {
            // Row a has y = hc − a; x = (s − y sinθ)/cosθ, column u = x + wc.
            Self {
                transposed: false,
                p0: wc - dc / cos - hc * sin / cos,
                pa: sin / cos,
                pd: 1.0 / cos,
                weight: 1.0 / cos.abs(),
            }
        } else {
            // Column a has x = a − wc; y = (s − x cosθ)/sinθ, row u = hc − y.
            Self {
                transposed: true,
                p0: hc + dc / sin - wc * cos / sin,
                pa: cos / sin,
                pd: -1.0 / sin,
                weight: 1.0 / sin.abs(),
            }
        }
    }

    /// Detectors whose ray may touch a line of `minor` pixels at major index `a` (`-1 < u < minor`);
    /// a superset, [`Rays::tap`] makes the exact test.
    fn detector_range(&self, a: usize, minor: usize, detectors: usize) -> std::ops::Range<usize> {
        let c = self.p0 + self.pa * a as f64;
        let (e0, e1) = ((-1.0 - c) / self.pd, (minor as f64 - c) / self.pd);
        let lo = e0.min(e1).floor().max(0.0) as usize;
        let hi = (e0.max(e1).ceil() + 1.0).clamp(0.0, detectors as f64) as usize;
        lo.min(hi)..hi
    }

    /// Where ray `d` crosses line `a`, on the line padded with one zero at each end: it interpolates
    /// padded cells `p` and `p + 1` with weights `1 − φ` and `φ`. `None` when it misses the line.
    #[inline]
    fn tap(&self, a: usize, d: usize, minor: usize) -> Option<(usize, f64)> {
        // Padded position u + 1 is positive on the line, so truncation is the floor.
        let v = self.p0 + self.pa * a as f64 + self.pd * d as f64 + 1.0;
        if !(v > 0.0 && v < minor as f64 + 1.0) {
            return None;
        }
        let p = v as usize;
        Some((p, v - p as f64))
    }
}

/// Parallel-beam CT of `[C, H, W]` images into `[C, K, D]` sinograms.
pub struct Ct<T: Real> {
    input_shape: Vec<usize>,
    output_shape: Vec<usize>,
    height: usize,
    width: usize,
    geometry: Geometry,
    rays: Vec<Rays>,
    filter: RampFilter<T>,
}

impl<T: Real> Ct<T> {
    /// The scan `geometry` of images of `image_shape` (`[H, W]` or `[C, H, W]`), with FBP windowed
    /// by `window`.
    pub fn new(image_shape: &[usize], geometry: Geometry, window: RampWindow) -> Result<Self> {
        let (c, height, width) = checked_image_dims(image_shape)?;
        if geometry.angles == 0 || geometry.detectors == 0 {
            return Err(Error::Shape(format!(
                "CT needs at least one angle and one detector, got {geometry:?}"
            )));
        }
        let rays = (0..geometry.angles)
            .map(|k| Rays::new(geometry.angle(k), height, width, geometry.detectors))
            .collect();
        Ok(Self {
            input_shape: image_shape.to_vec(),
            output_shape: vec![c, geometry.angles, geometry.detectors],
            height,
            width,
            geometry,
            rays,
            filter: RampFilter::new(geometry.detectors, window, PI / geometry.angles as f64),
        })
    }

    /// The scan geometry.
    pub fn geometry(&self) -> Geometry {
        self.geometry
    }

    /// `(major, minor)` line counts for rays stepping along rows or, when `transposed`, columns.
    fn axes(&self, transposed: bool) -> (usize, usize) {
        if transposed {
            (self.width, self.height)
        } else {
            (self.height, self.width)
        }
    }

    /// Every line of every channel of `x` padded with a zero at each end, along rows or, when
    /// `transposed`, along columns.
    fn padded_lines(&self, x: &[T], transposed: bool) -> Vec<T> {
        let (major, minor) = self.axes(transposed);
        let plane = self.height * self.width;
        let mut lines = vec![T::zero(); x.len() / plane * major * (minor + 2)];
        let mut swapped = vec![T::zero(); if transposed { plane } else { 0 }];
        for (channel, out) in x.chunks(plane).zip(lines.chunks_mut(major * (minor + 2))) {
            let source = if transposed {
                transpose(channel, &mut swapped, self.height, self.width);
                &swapped
            } else {
                channel
            };
            for (src, dst) in source.chunks(minor).zip(out.chunks_mut(minor + 2)) {
                dst[1..=minor].copy_from_slice(src);
            }
        }
        lines
    }

    /// Joseph sums of one angle over one channel's padded lines into `out` (one projection).
    fn project(&self, rays: &Rays, lines: &[T], out: &mut [T]) {
        let minor = self.axes(rays.transposed).1;
        out.iter_mut().for_each(|o| *o = T::zero());
        for (a, line) in lines.chunks(minor + 2).enumerate() {
            for d in rays.detector_range(a, minor, out.len()) {
                if let Some((p, phi)) = rays.tap(a, d, minor) {
                    let phi = lit::<T>(phi);
                    out[d] = out[d] + (T::one() - phi) * line[p] + phi * line[p + 1];
                }
            }
        }
        let weight = lit::<T>(rays.weight);
        out.iter_mut().for_each(|o| *o = *o * weight);
    }

    /// Writes into padded `line` (major index `a` of one channel) the transpose of every angle with
    /// `transposed` stepping, applied to that channel's sinogram.
    fn spread(&self, transposed: bool, a: usize, sinogram: &[T], line: &mut [T]) {
        let (detectors, minor) = (self.geometry.detectors, line.len() - 2);
        line.iter_mut().for_each(|v| *v = T::zero());
        for (rays, projection) in self.rays.iter().zip(sinogram.chunks(detectors)) {
            if rays.transposed != transposed {
                continue;
            }
            let weight = lit::<T>(rays.weight);
            for d in rays.detector_range(a, minor, detectors) {
                if let Some((p, phi)) = rays.tap(a, d, minor) {
                    let (phi, v) = (lit::<T>(phi), weight * projection[d]);
                    line[p] = line[p] + (T::one() - phi) * v;
                    line[p + 1] = line[p + 1] + phi * v;
                }
            }
        }
    }

    /// `out` (`[C, major, minor]`) = the transpose of the angles with `transposed` stepping.
    fn gather(&self, transposed: bool, y: &[T], out: &mut [T]) {
        let (major, minor) = self.axes(transposed);
        let sinogram_len = self.geometry.angles * self.geometry.detectors;
        out.par_chunks_mut(minor).enumerate().for_each_init(
            || vec![T::zero(); minor + 2],
            |padded, (row, line)| {
                let c = row / major;
                let sinogram = &y[c * sinogram_len..(c + 1) * sinogram_len];
                self.spread(transposed, row % major, sinogram, padded);
                line.copy_from_slice(&padded[1..=minor]);
            },
        );
    }
}

impl<T: Real> LinearOperator<T> for Ct<T> {
    fn input_shape(&self) -> &[usize] {
        &self.input_shape
    }
    fn output_shape(&self) -> &[usize] {
        &self.output_shape
    }

    fn apply(&self, x: &[T], y: &mut [T]) {
        let angles = self.geometry.angles;
        let any_transposed = self.rays.iter().any(|r| r.transposed);
        let rows = self.padded_lines(x, false);
        let columns = if any_transposed {
            self.padded_lines(x, true)
        } else {
            Vec::new()
        };
        let (row_plane, column_plane) = (
            self.height * (self.width + 2),
            self.width * (self.height + 2),
        );
        y.par_chunks_mut(self.geometry.detectors)
            .enumerate()
            .for_each(|(index, out)| {
                let (c, rays) = (index / angles, &self.rays[index % angles]);
                let lines = if rays.transposed {
                    &columns[c * column_plane..(c + 1) * column_plane]
                } else {
                    &rows[c * row_plane..(c + 1) * row_plane]
                };
                self.project(rays, lines, out);
            });
    }

    fn adjoint(&self, y: &[T], x: &mut [T]) {
        self.gather(false, y, x);
        if self.rays.iter().any(|r| r.transposed) {
            let plane = self.height * self.width;
            let mut t = vec![T::zero(); x.len()];
            self.gather(true, y, &mut t);
            let mut back = vec![T::zero(); plane];
            for (src, dst) in t.chunks(plane).zip(x.chunks_mut(plane)) {
                transpose(src, &mut back, self.width, self.height);
                dst.iter_mut().zip(&back).for_each(|(d, b)| *d = *d + *b);
            }
        }
    }

    fn analytic_inverse(&self, y: &[T], x: &mut [T]) -> bool {
        let filtered = self.filter.apply(y);
        self.adjoint(&filtered, x);
        true
    }
}

/// Builds the CT of `physics.kind = "ct"`: `angles` (default 60), `detectors` (default: the smallest
/// odd count covering the diagonal) and `filter` (one of [`FILTERS`], default `ram-lak`).
#[allow(
    clippy::expect_used,
    reason = "choice_or accepted only names in FILTERS"
)]
pub fn from_config<T: Real>(section: &mut Section, ctx: &BuildContext) -> Result<Physics<T>> {
    let angles = section.positive_usize_or("angles", 60)?;
    let (_, h, w) = checked_image_dims(&ctx.image_shape)?;
    let detectors = section.positive_usize_or("detectors", default_detectors(h, w))?;
    // The sinogram and the solver's copies of it (measurement, residual, filtered, scratch).
    let larger = if angles >= detectors {
        "angles"
    } else {
        "detectors"
    };
    crate::memory::check_array(
        &section.key(larger),
        &[angles, detectors],
        size_of::<T>(),
        4,
    )?;
    let filter = section.choice_or("filter", FILTERS[0], &FILTERS)?;
    let window = RampWindow::from_name(&filter).expect("choice_or accepts only FILTERS");
    let ct = Ct::new(&ctx.image_shape, Geometry { angles, detectors }, window)?;
    Ok(Physics {
        operator: Box::new(ct),
        display: MeasurementDisplay::Normalized,
        retrospective: None,
    })
}

/// A small scan of the self-test shape: odd seeds use 7 angles and 17 detectors, even seeds 8 angles
/// (which include θ = π/4 and π/2 exactly) and 16 detectors (a detector centre between two cells).
#[allow(clippy::expect_used, reason = "a fixed self-test example")]
pub fn example<T: Real>(seed: u64) -> Box<dyn LinearOperator<T>> {
    let geometry = if seed % 2 == 1 {
        Geometry {
            angles: 7,
            detectors: 17,
        }
    } else {
        Geometry {
            angles: 8,
            detectors: 16,
        }
    };
    Box::new(Ct::new(&EXAMPLE_SHAPE, geometry, RampWindow::RamLak).expect("valid example"))
}
