//! Wavelet-L1 (sparsity in an orthogonal wavelet basis): `R(x) = w Σ_{d ∈ details} |(W x)_d|`, where
//! `W` is the periodic orthogonal transform of [`crate::operators::wavelet`] and the approximation band
//! is not penalised (Donoho & Johnstone, "Ideal spatial adaptation by wavelet shrinkage", Biometrika
//! 1994; Daubechies, Defrise & De Mol, "An iterative thresholding algorithm for linear inverse problems
//! with a sparsity constraint", CPAM 2004).
//!
//! Because `W` is orthogonal the prox is exact: `prox_{τR}(v) = W*( soft_{τw}(details of Wv), approx
//! of Wv )` with `soft_t(c) = sign(c)·max(|c| − t, 0)`. As `R = g(Wx)` with `g(c) = w Σ_d |c_d|`, the
//! conjugate `g*` is the indicator of `{ |c_d| ≤ w on details, c_a = 0 on the approximation }`, so
//! `prox_{σg*}` clamps details to `[−w, w]` and zeroes the approximation, whatever `σ`.

use super::cycle_spinning::CycleSpinning;
use super::Prior;
use crate::config::Section;
use crate::error::{Error, Result};
use crate::operators::physics::BuildContext;
use crate::operators::wavelet::{max_levels, Wavelet, WaveletFamily};
use crate::operators::{checked_image_dims, LinearOperator, EXAMPLE_SHAPE};
use crate::real::{lit, Real};

/// `w · ‖details of W x‖₁`.
///
/// ```
/// use inversa::operators::wavelet::{Wavelet, WaveletFamily};
/// use inversa::priors::{wavelet::WaveletL1, Prior};
/// // A constant image has no detail, so it costs nothing and its prox leaves it unchanged.
/// let prior = WaveletL1::new(0.5, Wavelet::new(&[1, 4, 4], WaveletFamily::Db2, 2).unwrap());
/// let x = vec![3.0_f64; 16];
/// assert!(prior.value(&x).abs() < 1e-12);
/// let mut z = vec![0.0_f64; 16];
/// prior.prox(&x, 1.0, &mut z);
/// assert!((z[5] - 3.0).abs() < 1e-12);
/// ```
pub struct WaveletL1 {
    weight: f64,
    transform: Wavelet,
}

impl WaveletL1 {
    /// `weight · Σ |details of transform(x)|`; `weight` must be finite and non-negative.
    pub fn new(weight: f64, transform: Wavelet) -> Self {
        Self { weight, transform }
    }

    /// The wavelet transform `W`.
    pub fn transform(&self) -> &Wavelet {
        &self.transform
    }
}

impl<T: Real> Prior<T> for WaveletL1 {
    fn value(&self, x: &[T]) -> f64 {
        let c = self.transform.apply_new(x);
        let l1: f64 = c
            .iter()
            .enumerate()
            .filter(|(i, _)| self.transform.is_detail(*i))
            .map(|(_, v)| v.abs().to_f64().unwrap_or(f64::NAN))
            .sum();
        self.weight * l1
    }

    fn prox(&self, v: &[T], tau: T, out: &mut [T]) {
        let mut c = self.transform.apply_new(v);
        let t = tau * lit(self.weight);
        for (i, value) in c.iter_mut().enumerate() {
            if self.transform.is_detail(i) {
                *value = value.signum() * (value.abs() - t).max(T::zero());
            }
        }
        self.transform.adjoint(&c, out);
    }

    fn analysis(&self) -> Option<&dyn LinearOperator<T>> {
        Some(&self.transform)
    }

    fn conjugate_prox(&self, p: &mut [T], _sigma: T) {
        let w = lit::<T>(self.weight);
        for (i, value) in p.iter_mut().enumerate() {
            *value = if self.transform.is_detail(i) {
                value.max(-w).min(w)
            } else {
                T::zero()
            };
        }
    }
}

/// Builds `prior.kind = "wavelet"` from `weight` (default 0.01), `wavelet` (`"haar"`, `"db2"` or
/// `"db4"`, default `"db4"`), `levels` (default 4, lowered to the most the image size allows) and
/// `cycle_spinning` (default false: a new random shift at every prox, [`CycleSpinning`]).
#[allow(
    clippy::expect_used,
    reason = "choice_or accepted only listed families"
)]
pub fn from_config<T: Real>(
    section: &mut Section,
    ctx: &BuildContext,
) -> Result<Box<dyn Prior<T>>> {
    let weight = section.non_negative_or("weight", 0.01)?;
    let name = section.choice_or("wavelet", "db4", &WaveletFamily::NAMES)?;
    let family = WaveletFamily::from_name(&name).expect("choice_or accepted a listed name");
    let requested = section.positive_usize_or("levels", 4)?;
    if !(2..=3).contains(&ctx.image_shape.len()) {
        return Err(Error::Shape(format!(
            "the wavelet prior needs a [C, H, W] or [H, W] image, got {:?}",
            ctx.image_shape
        )));
    }
    let (c, h, w) = checked_image_dims(&ctx.image_shape)?;
    let levels = max_levels(h, w, requested);
    if levels == 0 {
        return Err(Error::config(
            section.key("levels"),
            format!(
                "the {c}×{h}×{w} image allows no wavelet level: height and width must both be even"
            ),
        ));
    }
    let spin = section.bool_or("cycle_spinning", false)?;
    let transform = Wavelet::new(&ctx.image_shape, family, levels)
        .map_err(|e| Error::config(section.key("levels"), e.to_string()))?;
    let prior = WaveletL1::new(weight, transform);
    Ok(if spin {
        Box::new(CycleSpinning::new(
            Box::new(prior),
            [c, h, w],
            1 << levels,
            ctx.seed,
        ))
    } else {
        Box::new(prior)
    })
}

/// The self-test instance: db4 with one level (all that 12×10 allows).
#[allow(clippy::expect_used, reason = "a fixed self-test example")]
pub fn example<T: Real>() -> Box<dyn Prior<T>> {
    let transform =
        Wavelet::new(&EXAMPLE_SHAPE, WaveletFamily::Db4, 1).expect("12×10 allows 1 level");
    Box::new(WaveletL1::new(0.4, transform))
}
