//! Denoising: the identity operator `A = I`, so the measurement is the noisy image itself.

use super::physics::{BuildContext, MeasurementDisplay, Physics};
use super::{checked_image_dims, LinearOperator, EXAMPLE_SHAPE};
use crate::config::Section;
use crate::real::Real;

/// `A x = x`.
pub struct Identity {
    shape: Vec<usize>,
}

impl Identity {
    /// The identity on arrays of `shape`.
    pub fn new(shape: &[usize]) -> Self {
        Self {
            shape: shape.to_vec(),
        }
    }
}

impl<T: Real> LinearOperator<T> for Identity {
    fn input_shape(&self) -> &[usize] {
        &self.shape
    }
    fn output_shape(&self) -> &[usize] {
        &self.shape
    }
    fn apply(&self, x: &[T], y: &mut [T]) {
        y.copy_from_slice(x);
    }
    fn adjoint(&self, y: &[T], x: &mut [T]) {
        x.copy_from_slice(y);
    }
    fn solve_regularized_normal(&self, rhs: &[T], rho: T, out: &mut [T]) -> bool {
        let scale = T::one() / (T::one() + rho);
        out.iter_mut().zip(rhs).for_each(|(o, r)| *o = *r * scale);
        true
    }
}

/// Builds the identity for `physics.kind = "denoise"` (no further keys).
pub fn from_config<T: Real>(_: &mut Section, ctx: &BuildContext) -> crate::Result<Physics<T>> {
    checked_image_dims(&ctx.image_shape)?;
    Ok(Physics {
        operator: Box::new(Identity::new(&ctx.image_shape)),
        display: MeasurementDisplay::Image,
        retrospective: None,
    })
}

/// The identity on the self-test shape.
pub fn example<T: Real>(_seed: u64) -> Box<dyn LinearOperator<T>> {
    Box::new(Identity::new(&EXAMPLE_SHAPE))
}
