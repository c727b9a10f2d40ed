//! Plug-and-play prior: a denoiser used in place of a proximal map. Venkatakrishnan, Bouman,
//! Wohlberg, "Plug-and-play priors for model based reconstruction", GlobalSIP 2013; with the
//! half-quadratic splitting and noise schedule of DPIR (Zhang, Li, Zuo, Zhang, Van Gool, Timofte,
//! "Plug-and-play image restoration with deep denoiser prior", IEEE TPAMI 2021).
//!
//! A Gaussian denoiser at level σ approximates `prox_{σ²φ}` for the image prior `φ` it learned, so
//! with `R = weight·φ` the solvers' `prox_{τR}(v)` becomes `D(v, σ = √(weight·τ))`. Every core
//! solver that calls a prox then runs its PnP version: ADMM → PnP-ADMM, HQS → PnP-HQS (DPIR when
//! its coupling `μ` grows geometrically, so that `σ_k = √(weight/μ_k)` falls from a large start to
//! the noise level), FISTA → PnP-FISTA. Only PnP-HQS on DPIR's schedule is quality-tested so far.
//!
//! A denoiser has no explicit potential, so [`Prior::value`] is zero and the objective the solvers
//! report is the data term alone.

use crate::models::denoiser::{from_f32, to_f32, Denoiser};
use crate::nn::dihedral;
use inversa::config::Section;
use inversa::operators::physics::BuildContext;
use inversa::priors::Prior;
use inversa::real::Real;
use inversa::Error;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;

/// A denoiser as a prior of strength `weight`.
pub struct DenoiserPrior<T> {
    denoiser: Arc<dyn Denoiser>,
    weight: f64,
    shape: Vec<usize>,
    /// With DPIR's cycling augmentation, the symmetry the next prox call uses.
    next_symmetry: Option<AtomicU8>,
    precision: PhantomData<fn() -> T>,
}

impl<T: Real> DenoiserPrior<T> {
    /// `denoiser` as `prox_{τ·weight·φ}` on `[C, H, W]` images of `shape`, or why it cannot.
    pub fn new(denoiser: Arc<dyn Denoiser>, weight: f64, shape: &[usize]) -> crate::Result<Self> {
        denoiser.supports(shape)?;
        Ok(Self {
            denoiser,
            weight,
            shape: shape.to_vec(),
            next_symmetry: None,
            precision: PhantomData,
        })
    }

    /// Denoises the k-th prox input under the (k mod 8)-th symmetry of the square, as DPIR does.
    pub fn cycling_symmetries(mut self) -> Self {
        self.next_symmetry = Some(AtomicU8::new(0));
        self
    }

    fn denoise(&self, noisy: &[f32], sigma: f32, clean: &mut [f32]) {
        let shape = [self.shape[0], self.shape[1], self.shape[2]];
        let Some(next) = &self.next_symmetry else {
            return self.denoiser.denoise(noisy, &shape, sigma, clean);
        };
        let s = next.fetch_add(1, Ordering::Relaxed) % 8;
        let (turned, turned_shape) = dihedral::transform(noisy, shape, s);
        let mut turned_clean = vec![0.0f32; turned.len()];
        self.denoiser
            .denoise(&turned, &turned_shape, sigma, &mut turned_clean);
        let (back, _) = dihedral::transform(&turned_clean, turned_shape, dihedral::inverse(s));
        clean.copy_from_slice(&back);
    }

    /// The denoiser's noise level for a prox step `tau`.
    pub fn sigma(&self, tau: f64) -> f64 {
        (self.weight * tau).sqrt()
    }
}

impl<T: Real> Prior<T> for DenoiserPrior<T> {
    fn value(&self, _x: &[T]) -> f64 {
        0.0
    }

    fn prox(&self, v: &[T], tau: T, out: &mut [T]) {
        let sigma = self.sigma(tau.to_f64().unwrap_or(0.0));
        if sigma <= 0.0 {
            out.copy_from_slice(v);
            return;
        }
        let noisy = to_f32(v);
        let mut clean = vec![0.0f32; noisy.len()];
        self.denoise(&noisy, sigma as f32, &mut clean);
        from_f32(&clean, out);
    }
}

/// Builds `prior.kind = "pnp"`: `denoiser` (`"ffdnet"`, the pretrained colour FFDNet, through which
/// grey images go as three equal channels; `"dncnn"`, the bundled grey DnCNN, which takes colour
/// images channel by channel; or a path to DnCNN weights trained by `inversa train denoiser`) and
/// `weight` (default 1e-5: λ = 0.1 times a noise variance of 0.01²).
pub fn from_config<T: Real>(
    section: &mut Section,
    ctx: &BuildContext,
) -> inversa::Result<Box<dyn Prior<T>>> {
    let weight = section.positive_or("weight", 1e-5)?;
    let name = section.str_opt("denoiser")?.unwrap_or("ffdnet");
    // The core's error names the task-file key; the learned error's message says what is wrong.
    let at_denoiser = |e: crate::Error| Error::config(section.key("denoiser"), e.to_string());
    let denoiser =
        crate::models::bundled::denoiser(name, section.base_dir()).map_err(at_denoiser)?;
    let mut prior = DenoiserPrior::new(denoiser, weight, &ctx.image_shape).map_err(at_denoiser)?;
    if section.bool_or("cycle_symmetries", false)? {
        prior = prior.cycling_symmetries();
    }
    Ok(Box::new(prior))
}
