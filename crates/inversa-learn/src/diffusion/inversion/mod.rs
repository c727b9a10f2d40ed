//! The one interface of the inversion methods: an [`Inverter`] inverts a clean sample under a
//! class to a [`Latent`], regenerates a sample from a latent with the same class (a
//! reconstruction) or another (an edit), and counts the network calls it made, so that methods are
//! compared at equal cost. Each method implements it in its own file; [`super::registry`] lists
//! them, and the command line, the editing experiment and the tests all read that list.
//!
//! ```
//! use inversa_learn::diffusion::analytic::{Component, GaussianMixture};
//! use inversa_learn::diffusion::inversion::{Model, Settings};
//! use inversa_learn::diffusion::{inversion::registry, NoiseSchedule};
//! use candle_core::{DType, Device, Tensor};
//!
//! let schedule = NoiseSchedule::linear(1000).unwrap();
//! let data = vec![Component { class: 0, weight: 1.0, mean: vec![1.0, -1.0], std: 0.5 }];
//! let mixture = GaussianMixture::new(data, schedule.clone()).unwrap();
//! let model = Model::Diffusion { model: &mixture, grid: schedule.grid(10).unwrap() };
//! let edict = registry::find("edict").unwrap();
//! let inverter = (edict.build)(model, &Settings::default()).unwrap();
//! let x0 = Tensor::new(&[[0.8f64, -1.3]], &Device::Cpu).unwrap();
//! let latent = inverter.invert(&x0, 0).unwrap();
//! let again = inverter.regenerate(&latent, 0).unwrap();
//! // EDICT is exact: the regenerated sample is the input to round-off.
//! let error = (again - &x0).unwrap().abs().unwrap().max_all().unwrap().to_scalar::<f64>().unwrap();
//! assert!(error < 1e-10);
//! // Ten steps of two guided predictions (two network calls each), inverted and regenerated.
//! assert_eq!(inverter.calls(), 2 * 10 * 2 * 2);
//! ```

pub mod bdia;
pub mod ddcm;
pub mod ddim;
pub mod edict;
pub mod null_text;
pub mod rectified_flow;
pub mod registry;
pub mod rf_solver;
pub mod spdinv;

use self::null_text::{NullConditioned, NullTextInversion, NullTextParams};
use self::rectified_flow::sampling_times;
use self::spdinv::FixedPointParams;
use super::bad;
use super::model::{Guided, NoisePredictor, VelocityModel};
use super::schedule::Grid;
use crate::Result;
use candle_core::{DType, Tensor};
use std::cell::Cell;

/// An inversion method, bound to its model.
pub trait Inverter {
    /// The latent of `x0` (a batch `[B, …]`) under `class`.
    fn invert(&self, x0: &Tensor, class: usize) -> Result<Latent>;
    /// A sample regenerated from `latent` with `class`: the inverted class reconstructs, another
    /// edits.
    fn regenerate(&self, latent: &Latent, class: usize) -> Result<Tensor>;
    /// Network calls so far (a guided prediction counts its two calls).
    fn calls(&self) -> usize;
}

/// The kind of model a method runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModelKind {
    /// A noise predictor on a grid of diffusion timesteps.
    Diffusion,
    /// A rectified-flow velocity.
    Flow,
}

/// The model an inverter runs, borrowed for the inverter's lifetime.
pub enum Model<'a> {
    /// A noise predictor whose null condition can be tuned (Null-text needs it), sampled on
    /// `grid` (its steps are the method's steps).
    Diffusion {
        model: &'a dyn NullConditioned,
        grid: Grid,
    },
    /// A rectified-flow velocity, integrated on [`Settings::steps`] steps.
    Flow(&'a dyn VelocityModel),
}

/// What an inversion keeps to regenerate from.
pub enum Latent {
    /// The noisiest state (DDIM inversion, the flow methods).
    State(Tensor),
    /// Two coupled states: EDICT's copies, or BDIA's last two states, noisiest first.
    Pair(Tensor, Tensor),
    /// SPDInv's noisiest state and the largest fixed-point residual `‖z_k − F(z_k)‖` of its steps.
    FixedPoint { state: Tensor, residual: f64 },
    /// The DDIM pivot's noisiest state and the tuned null conditions.
    NullText(NullTextInversion),
    /// DDCM inverts nothing: the clean image and its class, with the noise both branches start
    /// from.
    Virtual {
        x0: Tensor,
        class: usize,
        noise: Tensor,
    },
}

impl Latent {
    /// The latent as one tensor: the state, or a pair stacked along a new first axis
    /// (`[2, B, …]`); DDCM's is its starting noise.
    pub fn tensor(&self) -> Result<Tensor> {
        Ok(match self {
            Latent::State(z) | Latent::FixedPoint { state: z, .. } => z.clone(),
            Latent::Pair(a, b) => Tensor::stack(&[a, b], 0)?,
            Latent::NullText(inversion) => inversion.latent.clone(),
            Latent::Virtual { noise, .. } => noise.clone(),
        })
    }

    /// SPDInv's largest fixed-point residual; `None` for the other methods.
    pub fn fixed_point_residual(&self) -> Option<f64> {
        match self {
            Latent::FixedPoint { residual, .. } => Some(*residual),
            _ => None,
        }
    }

    /// The error for a latent that `method` did not make.
    pub(crate) fn foreign(method: &str) -> crate::Error {
        bad("latent", format!("was not made by {method}"))
    }
}

/// The parameters the methods share; the defaults are the papers'.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Settings {
    /// Flow: steps of the solver (RF-Solver calls the model twice per step). Diffusion methods
    /// take their steps from the model's grid.
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
            // EDICT's mixing weight p as in its paper.
            edict_mix: 0.93,
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

/// What every diffusion inverter holds: the counted model, its grid and the guidance scale.
pub(crate) struct Diffusion<'a> {
    pub model: Counting<&'a dyn NullConditioned>,
    pub grid: Grid,
    pub guidance: f64,
}

impl<'a> Diffusion<'a> {
    /// The diffusion part of `model` for `method`, which refuses a flow model.
    pub fn new(model: Model<'a>, settings: &Settings, method: &str) -> Result<Self> {
        let Model::Diffusion { model, grid } = model else {
            return Err(bad("method", format!("{method} needs a diffusion model")));
        };
        Ok(Self {
            model: Counting::new(model),
            grid,
            guidance: finite_guidance(settings.guidance)?,
        })
    }

    /// The model under classifier-free guidance.
    pub fn guided(&self) -> Guided<&Counting<&'a dyn NullConditioned>> {
        Guided {
            model: &self.model,
            scale: self.guidance,
        }
    }
}

/// An integrator of the flow ODE from the first of a grid of times to the last (Euler's,
/// RF-Solver's), under an optional class.
pub(crate) type Integrator =
    fn(&dyn VelocityModel, &Tensor, &[f64], Option<usize>) -> Result<Tensor>;

/// A flow inverter: the flow ODE integrated by `integrator` up from the data (inversion) and back
/// down (regeneration) over the same times, under guidance. The flow methods differ only in
/// their integrator.
pub(crate) struct Flow<'a> {
    model: Counting<&'a dyn VelocityModel>,
    /// From 1 (noise) to 0 (data); inversion runs them reversed.
    times: Vec<f64>,
    guidance: f64,
    method: &'static str,
    integrator: Integrator,
}

impl<'a> Flow<'a> {
    /// `method`'s inverter, which refuses a diffusion model.
    pub fn new(
        model: Model<'a>,
        settings: &Settings,
        method: &'static str,
        integrator: Integrator,
    ) -> Result<Self> {
        let Model::Flow(model) = model else {
            return Err(bad(
                "method",
                format!("{method} needs a rectified-flow model"),
            ));
        };
        Ok(Self {
            model: Counting::new(model),
            times: sampling_times(settings.steps)?,
            guidance: finite_guidance(settings.guidance)?,
            method,
            integrator,
        })
    }

    /// Integrates `x` with `class` from `t = 0` up to `t = 1` (`invert`) or back down.
    fn integrate(&self, x: &Tensor, class: usize, invert: bool) -> Result<Tensor> {
        let guided = Guided {
            model: &self.model,
            scale: self.guidance,
        };
        if invert {
            let reversed: Vec<f64> = self.times.iter().rev().copied().collect();
            (self.integrator)(&guided, x, &reversed, Some(class))
        } else {
            (self.integrator)(&guided, x, &self.times, Some(class))
        }
    }
}

impl Inverter for Flow<'_> {
    fn invert(&self, x0: &Tensor, class: usize) -> Result<Latent> {
        Ok(Latent::State(self.integrate(x0, class, true)?))
    }

    fn regenerate(&self, latent: &Latent, class: usize) -> Result<Tensor> {
        let Latent::State(z) = latent else {
            return Err(Latent::foreign(self.method));
        };
        self.integrate(z, class, false)
    }

    fn calls(&self) -> usize {
        self.model.calls()
    }
}

fn finite_guidance(guidance: f64) -> Result<f64> {
    if guidance.is_finite() {
        Ok(guidance)
    } else {
        Err(bad(
            "guidance",
            format!("{guidance} is not a finite number"),
        ))
    }
}
