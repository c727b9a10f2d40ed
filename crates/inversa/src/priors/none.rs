//! No prior: `R(x) = 0`, plain least squares. Its prox is the identity.

use super::Prior;
use crate::config::Section;
use crate::operators::physics::BuildContext;
use crate::real::Real;

/// `R(x) = 0`.
pub struct NoPrior;

impl<T: Real> Prior<T> for NoPrior {
    fn value(&self, _x: &[T]) -> f64 {
        0.0
    }
    fn prox(&self, v: &[T], _tau: T, out: &mut [T]) {
        out.copy_from_slice(v);
    }
    fn quadratic_weight(&self) -> Option<f64> {
        Some(0.0)
    }
}

/// Builds `prior.kind = "none"` (no further keys).
pub fn from_config<T: Real>(_: &mut Section, _: &BuildContext) -> crate::Result<Box<dyn Prior<T>>> {
    Ok(Box::new(NoPrior))
}

/// The self-test instance.
pub fn example<T: Real>() -> Box<dyn Prior<T>> {
    Box::new(NoPrior)
}
