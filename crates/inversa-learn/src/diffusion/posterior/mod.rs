//! Diffusion models as priors for inverse problems: sample `x₀` from `p(x₀ | y)` for
//! `y = A u(x₀) + n` with any core [`LinearOperator`](inversa::operators::LinearOperator) `A`, a
//! pretrained noise predictor as the prior and the measurement as the likelihood.
//!
//! Every method runs the reverse diffusion on a [`Grid`] of levels `k = S … 1` and corrects the
//! Tweedie estimate `x̂₀ = (x_k − √(1−ᾱ_k) ε̂)/√ᾱ_k` with the measurement; they differ in how:
//!
//! - [`dps`]: a gradient step on `‖y − A x̂₀(x_k)‖` through the network (Chung et al., ICLR 2023);
//! - [`ddnm`]: the null-space projection `x̂₀ ← x̂₀ − A†(A x̂₀ − y)` (Wang et al., ICLR 2023);
//! - [`dds`]: a few CG steps on the proximal problem from `x̂₀` (Chung, Lee, Ye, ICLR 2024);
//! - [`diffpir`]: the exact proximal map with the noise-level-dependent weight `ρ_t` (Zhu et al.,
//!   CVPRW 2023);
//! - [`red_diff`]: Adam on the mean of a variational posterior, the network's residual as a
//!   gradient without its Jacobian (Mardani et al., ICLR 2024);
//! - [`stsl`]: DPS's gradient plus the second-order Tweedie correction, a Hutchinson estimate of
//!   the trace of the network's Jacobian from one extra call (Rout et al., CVPR 2024).
//!
//! The measurement side ([`Likelihood`]) maps the model's state to the operator's image
//! ([`StateMap`]) and applies `A` and `A*` per batch item; only DPS and STSL differentiate the
//! network. A batch of `B` states draws `B` posterior samples at once; [`Posterior::model_calls`]
//! counts batched network evaluations (a backward pass included in its call, as the papers count).
//! Most methods call the network once per level; STSL calls it [`Method::calls_per_level`] times.

pub mod ddnm;
pub mod dds;
pub mod diffpir;
pub mod dps;
mod likelihood;
pub mod operator_gain;
pub mod red_diff;
pub mod stsl;

pub use likelihood::{Likelihood, NormalSolve, StateMap};

use super::model::NoisePredictor;
use super::schedule::Grid;
use super::{bad, combine, standard_normal};
use crate::Result;
use candle_core::{DType, Tensor};
use inversa::real::Real;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::cell::Cell;

/// The prior: a noise predictor, the grid of levels to sample on, and the class (`None`:
/// unconditional). Counts the network calls made through it.
pub struct DiffusionPrior<'a> {
    model: &'a dyn NoisePredictor,
    pub grid: Grid,
    pub class: Option<usize>,
    calls: Cell<usize>,
}

impl<'a> DiffusionPrior<'a> {
    pub fn new(model: &'a dyn NoisePredictor, grid: Grid, class: Option<usize>) -> Self {
        Self {
            model,
            grid,
            class,
            calls: Cell::new(0),
        }
    }

    /// `ε̂(x, τ_k, class)` at level `k`, counted.
    pub fn eps(&self, x: &Tensor, k: usize) -> Result<Tensor> {
        self.calls.set(self.calls.get() + 1);
        Ok(self.model.eps(x, self.grid.timestep(k), self.class)?)
    }

    /// Network calls so far.
    pub fn calls(&self) -> usize {
        self.calls.get()
    }
}

/// Tweedie's estimate `x̂₀ = (x − √(1−ᾱ) ε̂)/√ᾱ`.
pub fn tweedie(x: &Tensor, eps: &Tensor, alpha_bar: f64) -> candle_core::Result<Tensor> {
    let signal = alpha_bar.sqrt();
    combine(1.0 / signal, x, -(1.0 - alpha_bar).sqrt() / signal, eps)
}

/// The DDIM step from level `k` to `k − 1` given `x̂₀` and `ε̂` (Song et al., eq. 12):
/// `√ᾱ_{k−1} x̂₀ + √(1−ᾱ_{k−1}−σ²) ε̂ + σ ξ`, `σ = η √((1−ᾱ_{k−1})/(1−ᾱ_k)) √(1 − ᾱ_k/ᾱ_{k−1})`;
/// `η = 1` is DDPM's ancestral step.
pub fn ddim_step(
    grid: &Grid,
    k: usize,
    x0: &Tensor,
    eps: &Tensor,
    eta: f64,
    rng: &mut ChaCha8Rng,
) -> Result<Tensor> {
    let (now, next) = (grid.alpha_bar(k), grid.alpha_bar(k - 1));
    let sigma = eta
        * ((1.0 - next) / (1.0 - now) * (1.0 - now / next))
            .max(0.0)
            .sqrt();
    let direction = (1.0 - next - sigma * sigma).max(0.0).sqrt();
    let mean = combine(next.sqrt(), x0, direction, eps)?;
    if sigma == 0.0 {
        return Ok(mean);
    }
    let xi = standard_normal(rng, mean.dims(), mean.dtype())?;
    Ok(combine(1.0, &mean, sigma, &xi)?)
}

/// Checks that a method's `value` of `key` lies in `[least, most]` (`strict`: `> least`), finite.
pub(crate) fn check_range(
    key: &str,
    value: f64,
    least: f64,
    strict: bool,
    most: f64,
) -> Result<()> {
    let above = if strict {
        value > least
    } else {
        value >= least
    };
    if above && value <= most && value.is_finite() {
        return Ok(());
    }
    let (open, close) = (
        if strict { "(" } else { "[" },
        if most.is_finite() { "]" } else { ")" },
    );
    Err(bad(
        key,
        format!("must be finite and in {open}{least}, {most}{close}, got {value}"),
    ))
}

/// A posterior sampler with its parameters.
#[derive(Clone, Debug, PartialEq)]
pub enum Method {
    Dps(dps::Params),
    Ddnm(ddnm::Params),
    Dds(dds::Params),
    DiffPir(diffpir::Params),
    RedDiff(red_diff::Params),
    Stsl(stsl::Params),
}

impl Method {
    /// The `solver.kind` name.
    pub fn name(&self) -> &'static str {
        match self {
            Method::Dps(_) => "dps",
            Method::Ddnm(_) => "ddnm",
            Method::Dds(_) => "dds",
            Method::DiffPir(_) => "diffpir",
            Method::RedDiff(_) => "red-diff",
            Method::Stsl(_) => "stsl",
        }
    }

    /// Network calls per level of the grid: a budget of `n` calls runs `n / calls_per_level` levels.
    pub fn calls_per_level(&self) -> usize {
        match self {
            Method::Stsl(p) => p.calls_per_level(),
            _ => 1,
        }
    }

    /// One reverse run from `x_top` (level `S`; its batch is the number of samples).
    pub fn run<T: Real>(
        &self,
        prior: &DiffusionPrior,
        likelihood: &Likelihood<T>,
        x_top: &Tensor,
        rng: &mut ChaCha8Rng,
    ) -> Result<Tensor> {
        match self {
            Method::Dps(p) => dps::run(p, prior, likelihood, x_top, rng),
            Method::Ddnm(p) => ddnm::run(p, prior, likelihood, x_top, rng),
            Method::Dds(p) => dds::run(p, prior, likelihood, x_top, rng),
            Method::DiffPir(p) => diffpir::run(p, prior, likelihood, x_top, rng),
            Method::RedDiff(p) => red_diff::run(p, prior, likelihood, x_top, rng),
            Method::Stsl(p) => stsl::run(p, prior, likelihood, x_top, rng),
        }
    }
}

/// Posterior samples and what they cost.
#[derive(Debug)]
pub struct Posterior {
    /// `[B, ...state]` states at level 0.
    pub samples: Tensor,
    /// Batched network evaluations.
    pub model_calls: usize,
}

/// `count` posterior samples by `method`, started from standard normal states drawn from `seed`.
pub fn sample<T: Real>(
    method: &Method,
    prior: &DiffusionPrior,
    likelihood: &Likelihood<T>,
    count: usize,
    dtype: DType,
    seed: u64,
) -> Result<Posterior> {
    let shape = batch_shape(likelihood, count)?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let x_top = standard_normal(&mut rng, &shape, dtype)?;
    run_counted(method, prior, likelihood, &x_top, &mut rng)
}

/// `count` posterior samples started at the grid's top level `S` from the noised state
/// `√ᾱ_S start + √(1−ᾱ_S) ξ`: a partial reverse run from an initial reconstruction (SDEdit's
/// start; a denoiser prior covers only the lower noise levels, [`super::denoiser_diffusion`]).
/// `start` is one state (without the batch axis).
pub fn sample_from<T: Real>(
    method: &Method,
    prior: &DiffusionPrior,
    likelihood: &Likelihood<T>,
    start: &Tensor,
    count: usize,
    seed: u64,
) -> Result<Posterior> {
    let shape = batch_shape(likelihood, count)?;
    if start.elem_count() != likelihood.map.state_len() {
        return Err(bad(
            "start",
            format!(
                "{:?} is not one state {:?}",
                start.dims(),
                likelihood.map.state
            ),
        ));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let top = prior.grid.alpha_bar(prior.grid.steps());
    let xi = standard_normal(&mut rng, &shape, start.dtype())?;
    let start = start
        .reshape(&shape[1..])?
        .unsqueeze(0)?
        .broadcast_as(&shape[..])?;
    let x_top = combine(top.sqrt(), &start, (1.0 - top).sqrt(), &xi)?;
    run_counted(method, prior, likelihood, &x_top, &mut rng)
}

/// `[count, ...state]`, checked against the memory it implies.
fn batch_shape<T: Real>(likelihood: &Likelihood<T>, count: usize) -> Result<Vec<usize>> {
    if count == 0 {
        return Err(bad("run.samples", "must be at least 1"));
    }
    let mut shape = vec![count];
    shape.extend_from_slice(&likelihood.map.state);
    inversa::memory::check_array("run.samples", &shape, 8, 8)?;
    Ok(shape)
}

fn run_counted<T: Real>(
    method: &Method,
    prior: &DiffusionPrior,
    likelihood: &Likelihood<T>,
    x_top: &Tensor,
    rng: &mut ChaCha8Rng,
) -> Result<Posterior> {
    let before = prior.calls();
    let samples = method.run(prior, likelihood, x_top, rng)?;
    Ok(Posterior {
        samples,
        model_calls: prior.calls() - before,
    })
}
