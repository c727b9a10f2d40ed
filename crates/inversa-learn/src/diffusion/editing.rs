//! One interface over every inversion method, for the command line and the editing experiment:
//! invert an image with its class, then regenerate it with the same class (reconstruction) or
//! with another (an edit). Each method's maths is in its own file; this one only dispatches.
//!
//! - Diffusion ([`DiffusionMethod`]): DDIM inversion, EDICT, BDIA, Null-text, SPDInv under
//!   classifier-free guidance of scale `w`, and DDCM's virtual inversion (nothing is inverted:
//!   regeneration runs the source and target branches from a seeded noise).
//! - Rectified flow ([`FlowMethod`]): Euler and RF-Solver, inverting on the reversed time grid.
//!
//! Model calls are counted by [`Counting`], so methods are compared at equal cost.

use super::ddcm::{self, Branch};
use super::model::{Guided, NoisePredictor, VelocityModel};
use super::null_text::{self, NullConditioned, NullTextInversion, NullTextParams};
use super::rectified_flow::{self, sampling_times};
use super::schedule::Grid;
use super::spdinv::{self, FixedPointParams};
use super::{bad, bdia, ddim, edict, Result};
use candle_core::{DType, Tensor};
use std::cell::Cell;

/// The diffusion inversion methods.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiffusionMethod {
    Ddim,
    Edict,
    Bdia,
    NullText,
    SpdInv,
    Ddcm,
}

/// The rectified-flow inversion methods.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlowMethod {
    Euler,
    RfSolver,
}

impl DiffusionMethod {
    /// Every method, in the order of the tables.
    pub const ALL: [Self; 6] = [
        Self::Ddim,
        Self::Edict,
        Self::Bdia,
        Self::NullText,
        Self::SpdInv,
        Self::Ddcm,
    ];

    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::Ddim => "ddim",
            Self::Edict => "edict",
            Self::Bdia => "bdia",
            Self::NullText => "null-text",
            Self::SpdInv => "spdinv",
            Self::Ddcm => "ddcm",
        }
    }

    /// The method called `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.name() == name)
    }
}

impl FlowMethod {
    /// Every method, in the order of the tables.
    pub const ALL: [Self; 2] = [Self::Euler, Self::RfSolver];

    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::Euler => "euler",
            Self::RfSolver => "rf-solver",
        }
    }

    /// The method called `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.name() == name)
    }
}

/// The parameters the methods share; the defaults are the papers'.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Settings {
    /// Sampling steps `S` (flow: Euler steps; RF-Solver takes two calls per step).
    pub steps: usize,
    /// Classifier-free guidance scale `w` (1: the conditional model alone).
    pub guidance: f64,
    /// EDICT's mixing weight.
    pub edict_mix: f64,
    /// BDIA's `γ`.
    pub bdia_gamma: f64,
    /// Null-text's inner optimisation.
    pub null_text: NullTextParams,
    /// SPDInv's fixed-point search.
    pub fixed_point: FixedPointParams,
    /// DDCM's stochasticity and the seed of its noise.
    pub ddcm_eta: f64,
    pub seed: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            steps: 50,
            guidance: 3.0,
            edict_mix: edict::DEFAULT_MIX,
            bdia_gamma: 1.0,
            null_text: NullTextParams::default(),
            fixed_point: FixedPointParams::default(),
            ddcm_eta: 1.0,
            seed: 0,
        }
    }
}

/// A model that counts its calls (each guided prediction counts its two network calls).
pub struct Counting<M> {
    pub model: M,
    calls: Cell<usize>,
}

impl<M> Counting<M> {
    pub fn new(model: M) -> Self {
        Self {
            model,
            calls: Cell::new(0),
        }
    }

    /// Network calls so far.
    pub fn calls(&self) -> usize {
        self.calls.get()
    }

    fn count(&self) {
        self.calls.set(self.calls.get() + 1);
    }
}

impl<M: NoisePredictor> NoisePredictor for Counting<M> {
    fn eps(&self, x_t: &Tensor, t: usize, class: Option<usize>) -> candle_core::Result<Tensor> {
        self.count();
        self.model.eps(x_t, t, class)
    }
}

impl<M: NullConditioned> NullConditioned for Counting<M> {
    fn eps_null(&self, x_t: &Tensor, t: usize, null: &Tensor) -> candle_core::Result<Tensor> {
        self.count();
        self.model.eps_null(x_t, t, null)
    }

    fn null_condition(&self, dtype: DType) -> candle_core::Result<Tensor> {
        self.model.null_condition(dtype)
    }
}

impl<M: VelocityModel> VelocityModel for Counting<M> {
    fn velocity(&self, x_t: &Tensor, t: f64, class: Option<usize>) -> candle_core::Result<Tensor> {
        self.count();
        self.model.velocity(x_t, t, class)
    }
}

/// What an inversion keeps to regenerate from.
pub enum Inverted {
    /// The noisiest state (DDIM, SPDInv, the flow methods).
    Latent(Tensor),
    /// EDICT's two copies.
    Edict(Tensor, Tensor),
    /// BDIA's last two states, noisiest first.
    Bdia(Tensor, Tensor),
    /// The DDIM pivot's latent and the tuned null conditions.
    NullText(NullTextInversion),
    /// DDCM: nothing inverted; the clean image and its class.
    Virtual { x0: Tensor, class: usize },
}

impl Inverted {
    /// The latent as one tensor: the state, or the pair stacked along a new first axis
    /// (`[2, B, …]`); DDCM's is its starting noise.
    pub fn latent(&self, seed: u64) -> Result<Tensor> {
        Ok(match self {
            Self::Latent(z) => z.clone(),
            Self::Edict(a, b) | Self::Bdia(a, b) => Tensor::stack(&[a, b], 0)?,
            Self::NullText(inversion) => inversion.latent.clone(),
            Self::Virtual { x0, .. } => ddcm::starting_noise(x0, seed)?,
        })
    }
}

/// An inversion and the largest fixed-point residual `‖z_k − F(z_k)‖` of its steps (SPDInv only).
pub struct Inversion {
    pub inverted: Inverted,
    pub fixed_point_residual: Option<f64>,
}

/// Inverts `x0` (a batch `[B, 1, H, W]`) with its `class` by `method`.
pub fn invert_diffusion<M: NullConditioned>(
    model: &M,
    grid: &Grid,
    method: DiffusionMethod,
    x0: &Tensor,
    class: usize,
    settings: &Settings,
) -> Result<Inversion> {
    let guided = Guided {
        model,
        scale: settings.guidance,
    };
    let c = Some(class);
    let mut fixed_point_residual = None;
    let inverted = match method {
        DiffusionMethod::Ddim => Inverted::Latent(
            ddim::invert(&guided, grid, x0, c)?
                .pop()
                .expect("S + 1 states"),
        ),
        DiffusionMethod::Edict => {
            let (x, y) = edict::invert(&guided, grid, x0, c, settings.edict_mix)?;
            Inverted::Edict(x, y)
        }
        DiffusionMethod::Bdia => {
            let (top, below) = bdia::invert(&guided, grid, x0, c, settings.bdia_gamma)?;
            Inverted::Bdia(top, below)
        }
        DiffusionMethod::NullText => Inverted::NullText(null_text::invert(
            model,
            grid,
            x0,
            class,
            settings.guidance,
            settings.null_text,
        )?),
        DiffusionMethod::SpdInv => {
            let mut found = spdinv::invert(&guided, grid, x0, c, settings.fixed_point)?;
            fixed_point_residual = found.residuals.iter().copied().reduce(f64::max);
            Inverted::Latent(found.trajectory.pop().expect("S + 1 states"))
        }
        DiffusionMethod::Ddcm => Inverted::Virtual {
            x0: x0.clone(),
            class,
        },
    };
    Ok(Inversion {
        inverted,
        fixed_point_residual,
    })
}

/// Regenerates from an inversion with `class` (the inverted class reconstructs; another edits).
pub fn regenerate_diffusion<M: NullConditioned>(
    model: &M,
    grid: &Grid,
    inverted: &Inverted,
    class: usize,
    settings: &Settings,
) -> Result<Tensor> {
    let guided = Guided {
        model,
        scale: settings.guidance,
    };
    let c = Some(class);
    match inverted {
        Inverted::Latent(z) => ddim::sample(&guided, grid, z, c, 0.0, 0),
        Inverted::Edict(x, y) => Ok(edict::sample(&guided, grid, (x, y), c, settings.edict_mix)?.0),
        Inverted::Bdia(top, below) => {
            bdia::sample(&guided, grid, (top, below), c, settings.bdia_gamma)
        }
        Inverted::NullText(inversion) => {
            null_text::sample(model, grid, inversion, class, settings.guidance)
        }
        Inverted::Virtual { x0, class: source } => ddcm::edit(
            Branch {
                model: &guided,
                class: Some(*source),
            },
            Branch {
                model: &guided,
                class: c,
            },
            grid,
            x0,
            settings.ddcm_eta,
            settings.seed,
        ),
    }
}

/// Inverts `x0` with its `class` by `method` on the rectified flow: integrates from `t = 0` up to
/// `t = 1` on `settings.steps` steps.
pub fn invert_flow<M: VelocityModel>(
    model: &M,
    method: FlowMethod,
    x0: &Tensor,
    class: usize,
    settings: &Settings,
) -> Result<Tensor> {
    let mut times = sampling_times(settings.steps)?;
    times.reverse();
    integrate_flow(model, method, x0, &times, class, settings.guidance)
}

/// Regenerates from a flow latent with `class`, from `t = 1` down to `t = 0`.
pub fn regenerate_flow<M: VelocityModel>(
    model: &M,
    method: FlowMethod,
    latent: &Tensor,
    class: usize,
    settings: &Settings,
) -> Result<Tensor> {
    let times = sampling_times(settings.steps)?;
    integrate_flow(model, method, latent, &times, class, settings.guidance)
}

fn integrate_flow<M: VelocityModel>(
    model: &M,
    method: FlowMethod,
    x: &Tensor,
    times: &[f64],
    class: usize,
    guidance: f64,
) -> Result<Tensor> {
    if !guidance.is_finite() {
        return Err(bad(
            "guidance",
            format!("{guidance} is not a finite number"),
        ));
    }
    let guided = Guided {
        model,
        scale: guidance,
    };
    match method {
        FlowMethod::Euler => rectified_flow::euler(&guided, x, times, Some(class)),
        FlowMethod::RfSolver => super::rf_solver::integrate(&guided, x, times, Some(class)),
    }
}
