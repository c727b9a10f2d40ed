//! Diffusion and rectified-flow models, their samplers, and the methods that invert them: given
//! a clean sample `x₀`, find the noise that regenerates it.
//!
//! - [`schedule`]: noise schedules (`ᾱ_t`) and the sampling grid of `S` timesteps.
//! - [`model`]: the traits the samplers call ([`NoisePredictor`], [`VelocityModel`]), the
//!   ε/v parameterisation of a network, and classifier-free guidance.
//! - [`analytic`]: Gaussian-mixture data, whose exact ε and velocity are closed form; the tests
//!   use it to show exactness independently of any training.
//! - [`analytic_posterior`]: the exact posterior of that mixture under a linear Gaussian
//!   measurement `y = A x₀ + n` (again a Gaussian mixture), its mean and exact samples: the
//!   reference that diffusion posterior samplers are measured against.
//! - [`inversion`]: the [`Inverter`] trait (invert with a class, regenerate with the same class
//!   or another, count model calls), one file per method — diffusion: `ddim` (sampling and DDIM
//!   inversion, the baseline), `edict`, `bdia` (both exact to round-off), `spdinv` (fixed-point
//!   inversion), `ddcm` (InfEdit's virtual inversion), `null_text` (Null-text inversion);
//!   rectified flow: `rectified_flow` (Euler) and `rf_solver` (second order) — and
//!   `inversion::registry`, the one list of methods that `inversa invert`, `inversa edit`, the
//!   editing experiment and the tests read.
//! - [`posterior`]: the model as a prior for inverse problems with any core operator — DPS,
//!   DDNM, DDS, DiffPIR — sampling `p(x₀ | y)`.
//! - [`idm`]: Invertible Diffusion Models — a few DDIM steps fine-tuned end to end for compressed
//!   sensing, the chain and the network reversible so training memory stays flat in the steps.
//!
//! States are tensors of shape `[B, …]` (a batch of samples); every method works in the
//! tensors' dtype (f32 or f64).

pub mod analytic;
pub mod analytic_posterior;
pub mod denoiser_diffusion;
pub mod idm;
pub mod inversion;
pub mod model;
pub mod posterior;
pub mod schedule;

pub use inversion::{Inverter, Latent};
pub use model::{Guided, NoisePredictor, Parameterised, Prediction, VelocityModel};
pub use schedule::{Grid, NoiseSchedule};

use candle_core::{DType, Device, Tensor};
use rand::Rng;
use rand_distr::StandardNormal;

/// A parameter error for `key`.
pub(crate) fn bad(key: &str, message: impl Into<String>) -> crate::Error {
    inversa::Error::config(key, message).into()
}

/// `a·x + b·y` in the tensors' dtype.
pub(crate) fn combine(a: f64, x: &Tensor, b: f64, y: &Tensor) -> candle_core::Result<Tensor> {
    x.affine(a, 0.0)? + y.affine(b, 0.0)?
}

/// The Euclidean norm of all entries, accumulated in f64.
pub fn norm(x: &Tensor) -> candle_core::Result<f64> {
    x.to_dtype(DType::F64)?
        .sqr()?
        .sum_all()?
        .to_scalar::<f64>()
        .map(f64::sqrt)
}

/// Standard normal draws of `shape` from `rng`, as a tensor of `dtype` (candle's own CPU generator
/// cannot be seeded).
///
/// ```
/// use inversa_learn::diffusion::standard_normal;
/// use rand::SeedableRng;
/// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
/// let z = standard_normal(&mut rng, &[2, 3], candle_core::DType::F64).unwrap();
/// assert_eq!(z.dims(), &[2, 3]);
/// ```
pub fn standard_normal(
    rng: &mut impl Rng,
    shape: &[usize],
    dtype: DType,
) -> candle_core::Result<Tensor> {
    let len = shape.iter().product();
    let values: Vec<f64> = (0..len).map(|_| rng.sample(StandardNormal)).collect();
    Tensor::from_vec(values, shape, &Device::Cpu)?.to_dtype(dtype)
}
