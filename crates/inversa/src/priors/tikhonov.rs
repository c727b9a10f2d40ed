//! Tikhonov regularisation `R(x) = (w/2)‖x‖²` (Tikhonov, "Solution of incorrectly formulated problems
//! and the regularization method", 1963). Prox: `prox_{τR}(v) = v / (1 + τw)`. As `R = g(Ix)` with
//! `g = (w/2)‖·‖²`, `g*(p) = ‖p‖²/(2w)` and `prox_{σg*}(p) = p / (1 + σ/w)`.

use super::Prior;
use crate::config::Section;
use crate::operators::denoise::Identity;
use crate::operators::physics::BuildContext;
use crate::operators::{LinearOperator, EXAMPLE_SHAPE};
use crate::real::{lit, norm_squared, Real};

/// `(weight/2)‖x‖²`.
pub struct Tikhonov {
    weight: f64,
    identity: Identity,
}

impl Tikhonov {
    /// `(weight/2)‖x‖²` on images of `shape`.
    pub fn new(weight: f64, shape: &[usize]) -> Self {
        Self {
            weight,
            identity: Identity::new(shape),
        }
    }
}

impl<T: Real> Prior<T> for Tikhonov {
    fn value(&self, x: &[T]) -> f64 {
        0.5 * self.weight * norm_squared(x)
    }
    fn prox(&self, v: &[T], tau: T, out: &mut [T]) {
        let scale = T::one() / (T::one() + tau * lit(self.weight));
        out.iter_mut().zip(v).for_each(|(o, v)| *o = *v * scale);
    }
    fn quadratic_weight(&self) -> Option<f64> {
        Some(self.weight)
    }
    fn analysis(&self) -> Option<&dyn LinearOperator<T>> {
        (self.weight > 0.0).then_some(&self.identity as &dyn LinearOperator<T>)
    }
    fn conjugate_prox(&self, p: &mut [T], sigma: T) {
        let scale = T::one() / (T::one() + sigma / lit(self.weight));
        p.iter_mut().for_each(|v| *v = *v * scale);
    }
}

/// Builds `prior.kind = "tikhonov"` from `weight` (default 0.01).
pub fn from_config<T: Real>(
    section: &mut Section,
    ctx: &BuildContext,
) -> crate::Result<Box<dyn Prior<T>>> {
    let weight = section.non_negative_or("weight", 0.01)?;
    Ok(Box::new(Tikhonov::new(weight, &ctx.image_shape)))
}

/// The self-test instance.
pub fn example<T: Real>() -> Box<dyn Prior<T>> {
    Box::new(Tikhonov::new(0.3, &EXAMPLE_SHAPE))
}
