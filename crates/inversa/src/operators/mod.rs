//! Forward operators `y = A x`: the physics of a measurement.
//!
//! An operator only writes [`LinearOperator::apply`] and [`LinearOperator::adjoint`] plus its shapes;
//! the norm estimate and the adjoint self-test are default methods. Images are `[channels, height,
//! width]` arrays stored row-major in a flat slice; operators act on each channel alike. Complex
//! outputs carry a trailing dimension of 2 (interleaved re/im, see [`crate::real`]).

use crate::real::{dot, norm, Real};
use crate::{Error, Result};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

pub mod algebra;
mod algebra_examples;
pub mod blur;
pub mod cartesian_kspace;
pub mod coil_sensitivity;
pub mod compressed_sensing;
pub mod ct;
pub mod dct2;
pub mod denoise;
pub mod density_compensation;
pub mod downsample;
pub mod espirit;
pub mod fft2;
pub mod gradient;
pub mod inpaint;
pub mod kspace_mask;
pub mod kspace_sampling;
pub mod mri;
pub mod mri_noncartesian;
pub mod mri_retrospective;
pub mod noise_prewhitening;
pub mod nufft;
pub mod physics;
pub mod poisson_disc;
pub mod ramp_filter;
pub mod raw_kspace;
pub mod registry;
pub mod rfft2;
pub mod scratch_pool;
pub mod trajectory;
pub mod wavelet;

pub use algebra::{Composed, Scaled, Stacked, Summed};

/// Shape of the small random instances the self-tests use: two channels, non-square, so a swapped
/// height/width or a channel mix-up shows.
pub const EXAMPLE_SHAPE: [usize; 3] = [2, 12, 10];

/// A linear map between real vector spaces with its exact adjoint.
pub trait LinearOperator<T: Real>: Send + Sync {
    /// Shape of `x`.
    fn input_shape(&self) -> &[usize];
    /// Shape of `y = A x`.
    fn output_shape(&self) -> &[usize];
    /// Writes `A x` into `y` (overwriting it).
    fn apply(&self, x: &[T], y: &mut [T]);
    /// Writes `A* y` into `x` (overwriting it).
    fn adjoint(&self, y: &[T], x: &mut [T]);

    /// Number of entries of `x`.
    fn input_len(&self) -> usize {
        self.input_shape().iter().product()
    }

    /// Number of entries of `y`.
    fn output_len(&self) -> usize {
        self.output_shape().iter().product()
    }

    /// Closed-form `out = (A* A + rho I)^{-1} rhs`, when the operator is diagonal in some fast basis
    /// (blur in Fourier, masks in pixels). Returns `false` when there is none; callers then use CG.
    fn solve_regularized_normal(&self, _rhs: &[T], _rho: T, _out: &mut [T]) -> bool {
        false
    }

    /// A direct approximate inverse when the physics has a classical one (filtered back-projection
    /// for CT). Returns `false` when there is none.
    fn analytic_inverse(&self, _y: &[T], _x: &mut [T]) -> bool {
        false
    }

    /// The coil maps and sampled k-space points when this operator is one-channel Cartesian SENSE
    /// ([`mri::Mri`]), for methods that keep their state in k-space (the Recurrent Variational
    /// Network); `None` for every other operator.
    fn cartesian_sense(&self) -> Option<CartesianSense<'_, T>> {
        None
    }

    /// Applies `A` into a new vector.
    fn apply_new(&self, x: &[T]) -> Vec<T> {
        let mut y = vec![T::zero(); self.output_len()];
        self.apply(x, &mut y);
        y
    }

    /// Applies `A*` into a new vector.
    fn adjoint_new(&self, y: &[T]) -> Vec<T> {
        let mut x = vec![T::zero(); self.input_len()];
        self.adjoint(y, &mut x);
        x
    }

    /// Operator norm `‖A‖₂` estimated by `iterations` power iterations on `A* A` from a seeded
    /// random start. It approaches the true norm from below.
    fn norm_estimate(&self, iterations: usize, seed: u64) -> f64 {
        let mut x = random_vector::<T>(self.input_len(), seed);
        let mut y = vec![T::zero(); self.output_len()];
        let mut estimate = 0.0;
        for _ in 0..iterations.max(1) {
            let n = norm(&x);
            if n == 0.0 {
                return 0.0;
            }
            let inv = crate::real::lit::<T>(1.0 / n);
            x.iter_mut().for_each(|v| *v = *v * inv);
            self.apply(&x, &mut y);
            self.adjoint(&y, &mut x);
            estimate = norm(&x).sqrt();
        }
        estimate
    }

    /// Relative dot-product adjoint mismatch `|<Ax,y> - <x,A*y>| / max(|<Ax,y>|, |<x,A*y>|)` on
    /// seeded random `x` and `y`.
    fn adjoint_mismatch(&self, seed: u64) -> f64 {
        let x = random_vector::<T>(self.input_len(), seed);
        let y = random_vector::<T>(self.output_len(), seed.wrapping_add(1));
        let lhs = dot(&self.apply_new(&x), &y);
        let rhs = dot(&x, &self.adjoint_new(&y));
        let scale = lhs.abs().max(rhs.abs());
        if scale == 0.0 {
            0.0
        } else {
            (lhs - rhs).abs() / scale
        }
    }
}

/// What k-space methods read from a Cartesian SENSE model `y = M F S x`.
pub struct CartesianSense<'a, T: Real> {
    /// `[coils, H, W]` sensitivities.
    pub coil_maps: &'a [num_complex::Complex<T>],
    /// `[H, W]`: whether each (unshifted) k-space point is acquired, the mask `M`.
    pub acquired: Vec<bool>,
}

/// A vector of independent standard normal entries drawn from `seed`.
pub fn random_vector<T: Real>(len: usize, seed: u64) -> Vec<T> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..len)
        .map(|_| {
            let v: f64 = StandardNormal.sample(&mut rng);
            crate::real::lit(v)
        })
        .collect()
}

/// `[channels, height, width]` of an image shape, checked: 2 or 3 dimensions, none of them zero.
///
/// Every operator constructor that takes an image shape calls this first, so a shape from a Rust
/// caller or a file is refused with an error instead of reaching the index arithmetic.
pub fn checked_image_dims(shape: &[usize]) -> Result<(usize, usize, usize)> {
    match *shape {
        [h, w] if h > 0 && w > 0 => Ok((1, h, w)),
        [c, h, w] if c > 0 && h > 0 && w > 0 => Ok((c, h, w)),
        _ => Err(Error::Shape(format!(
            "an image shape is [H, W] or [C, H, W] with no zero size, got {shape:?}"
        ))),
    }
}

/// `[channels, height, width]` of a shape that [`checked_image_dims`] already accepted.
///
/// # Panics
///
/// On a rank other than 2 or 3. Operators call it only on the shape they stored after their
/// constructor checked it.
pub fn image_dims(shape: &[usize]) -> (usize, usize, usize) {
    match *shape {
        [h, w] => (1, h, w),
        [c, h, w] => (c, h, w),
        #[allow(
            clippy::panic,
            reason = "callers pass shapes checked by checked_image_dims"
        )]
        _ => panic!("image shapes have 2 or 3 dimensions, got {shape:?}"),
    }
}
