//! Ellipse phantoms: the modified Shepp–Logan head phantom, its supersampled rasterisation and the
//! closed-form parallel-beam projection of any list of ellipses.
//!
//! The phantom is L. A. Shepp and B. F. Logan's ("The Fourier reconstruction of a head section",
//! IEEE Trans. Nucl. Sci. 21(3), 1974) ten ellipses with P. Toft's higher-contrast intensities
//! ("The Radon Transform: Theory and Implementation", PhD thesis, DTU, 1996), the version Matlab's
//! `phantom('Modified Shepp-Logan')` and scikit-image's `shepp_logan_phantom` show. Its values lie in
//! `[0, 1]` (up to rounding of about `1e-16` where densities cancel).
//!
//! **Coordinates.** Ellipses live in normalised coordinates `[−1, 1]²` with `y` up. An `N × N` image
//! covers that square exactly, so one unit is `N/2` pixels and pixel `(i, j)` is centred at
//! `x = j − (N−1)/2`, `y = (N−1)/2 − i` pixels, the convention of [`crate::operators::ct`].
//!
//! **Projection** (Kak & Slaney, "Principles of Computerized Tomographic Imaging", 1988, eq. 3.6 and
//! §3.1.1): an ellipse of density `ρ`, semi-axes `a` (along its own `x′` axis) and `b`, rotated by
//! `α` counter-clockwise and centred at `(x₀, y₀)` has
//! `p(s, θ) = 2ρab·√(m² − t²)/m²` for `|t| ≤ m`, else 0, with `t = s − (x₀ cosθ + y₀ sinθ)` and
//! `m² = a² cos²(θ−α) + b² sin²(θ−α)`.
//!
//! ```
//! use inversa::phantom::{modified_shepp_logan, rasterize};
//! let image = rasterize(&modified_shepp_logan(), 32, 2);
//! // The outer ellipse has density 1 at the skull, 0.2 in the brain.
//! assert!((image[16 * 32 + 16] - 0.2).abs() < 1e-9);
//! ```

use crate::operators::ct::Geometry;
use rayon::prelude::*;

/// An ellipse of constant density in normalised coordinates (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ellipse {
    /// Density added inside the ellipse.
    pub density: f64,
    /// Semi-axis along the ellipse's own `x′` axis.
    pub semi_x: f64,
    /// Semi-axis along the ellipse's own `y′` axis.
    pub semi_y: f64,
    /// Centre `x₀`.
    pub centre_x: f64,
    /// Centre `y₀` (up is positive).
    pub centre_y: f64,
    /// Rotation `α` of the `x′` axis from the `x` axis, counter-clockwise, in degrees.
    pub angle_degrees: f64,
}

impl Ellipse {
    /// Whether `(x, y)` lies inside or on the ellipse.
    pub fn contains(&self, x: f64, y: f64) -> bool {
        let (sin, cos) = self.angle_degrees.to_radians().sin_cos();
        let (dx, dy) = (x - self.centre_x, y - self.centre_y);
        let (u, v) = (dx * cos + dy * sin, -dx * sin + dy * cos);
        (u / self.semi_x).powi(2) + (v / self.semi_y).powi(2) <= 1.0
    }

    /// The line integral along `x cosθ + y sinθ = s` (normalised units).
    pub fn projection(&self, s: f64, theta: f64) -> f64 {
        let (sin, cos) = theta.sin_cos();
        let t = s - (self.centre_x * cos + self.centre_y * sin);
        let (rs, rc) = (theta - self.angle_degrees.to_radians()).sin_cos();
        let m2 = (self.semi_x * rc).powi(2) + (self.semi_y * rs).powi(2);
        if t * t >= m2 {
            return 0.0;
        }
        2.0 * self.density * self.semi_x * self.semi_y * (m2 - t * t).sqrt() / m2
    }
}

/// The ten ellipses of the modified Shepp–Logan phantom.
pub fn modified_shepp_logan() -> Vec<Ellipse> {
    // density, semi_x, semi_y, centre_x, centre_y, angle (degrees)
    const TABLE: [[f64; 6]; 10] = [
        [1.0, 0.69, 0.92, 0.0, 0.0, 0.0],
        [-0.8, 0.6624, 0.874, 0.0, -0.0184, 0.0],
        [-0.2, 0.11, 0.31, 0.22, 0.0, -18.0],
        [-0.2, 0.16, 0.41, -0.22, 0.0, 18.0],
        [0.1, 0.21, 0.25, 0.0, 0.35, 0.0],
        [0.1, 0.046, 0.046, 0.0, 0.1, 0.0],
        [0.1, 0.046, 0.046, 0.0, -0.1, 0.0],
        [0.1, 0.046, 0.023, -0.08, -0.605, 0.0],
        [0.1, 0.023, 0.023, 0.0, -0.606, 0.0],
        [0.1, 0.023, 0.046, 0.06, -0.605, 0.0],
    ];
    TABLE
        .iter()
        .map(
            |&[density, semi_x, semi_y, centre_x, centre_y, angle_degrees]| Ellipse {
                density,
                semi_x,
                semi_y,
                centre_x,
                centre_y,
                angle_degrees,
            },
        )
        .collect()
}

/// The `n × n` image (row-major, row 0 at the top) of the summed ellipse densities, each pixel the
/// average over `supersampling × supersampling` evenly spaced points inside it.
pub fn rasterize(ellipses: &[Ellipse], n: usize, supersampling: usize) -> Vec<f64> {
    let s = supersampling.max(1);
    let unit = n as f64 / 2.0;
    // Offsets of the sub-sample centres from the pixel centre, in pixels.
    let offsets: Vec<f64> = (0..s).map(|q| (q as f64 + 0.5) / s as f64 - 0.5).collect();
    let mut image = vec![0.0; n * n];
    image.par_chunks_mut(n).enumerate().for_each(|(i, row)| {
        let yc = (n as f64 - 1.0) / 2.0 - i as f64;
        for (j, pixel) in row.iter_mut().enumerate() {
            let xc = j as f64 - (n as f64 - 1.0) / 2.0;
            let mut sum = 0.0;
            for dy in &offsets {
                for dx in &offsets {
                    let (x, y) = ((xc + dx) / unit, (yc - dy) / unit);
                    sum += ellipses
                        .iter()
                        .filter(|e| e.contains(x, y))
                        .map(|e| e.density)
                        .sum::<f64>();
                }
            }
            *pixel = sum / (s * s) as f64;
        }
    });
    image
}

/// The exact sinogram `[angles, detectors]` of the ellipses drawn on an `n × n` image, in pixel
/// units at the angles and detector positions of `geometry` (as [`crate::operators::ct::Ct`]).
pub fn analytic_sinogram(ellipses: &[Ellipse], n: usize, geometry: &Geometry) -> Vec<f64> {
    let unit = n as f64 / 2.0;
    let mut sinogram = vec![0.0; geometry.angles * geometry.detectors];
    sinogram
        .par_chunks_mut(geometry.detectors.max(1))
        .enumerate()
        .for_each(|(k, projection)| {
            let theta = geometry.angle(k);
            for (d, p) in projection.iter_mut().enumerate() {
                let s = geometry.detector_position(d) / unit;
                // A line integral scales with length: normalised units times pixels per unit.
                *p = unit * ellipses.iter().map(|e| e.projection(s, theta)).sum::<f64>();
            }
        });
    sinogram
}
