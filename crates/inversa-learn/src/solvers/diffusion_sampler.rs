//! The diffusion posterior samplers of [`crate::diffusion::posterior`] as task-file solvers:
//!
//! ```toml
//! [prior]
//! kind = "diffusion"
//! model = "fashion"     # the bundled Fashion-MNIST UNet, or weights from `inversa train diffusion`
//! class = 3             # optional: sample the posterior within one class (default: unconditional)
//! [solver]
//! kind = "dps"          # dps | ddnm | dds | diffpir | red-diff | stsl
//! steps = 100           # network calls per sample: the levels of the reverse diffusion, or for
//!                       # stsl (2K calls a level) ⌊steps/2K⌋ levels
//! [run]
//! samples = 8           # posterior samples: their mean is the reconstruction, their spread std.png
//! ```
//!
//! The model's 32×32 states in [−1, 1] hold the 28×28 image in [0, 1] in their centre
//! ([`StateMap`]); the measurement noise `σ_n` DiffPIR needs is the task's simulated Gaussian noise.
//!
//! On natural images of any size, `denoiser = "ffdnet"` (or `"dncnn"`, or DnCNN/DRUNet weights)
//! replaces the model: the denoiser read as a diffusion model over its noise levels up to
//! `max_sigma` ([`DenoiserDiffusion`]), sampled from a noised Wiener reconstruction
//! (`(A*A + σ_n² I)⁻¹ A*y` in state units) with the samplers that need no network gradient.

use crate::diffusion::denoiser_diffusion::DenoiserDiffusion;
use crate::diffusion::posterior::{self, ddnm, dds, diffpir, dps, red_diff, stsl};
use crate::diffusion::posterior::{DiffusionPrior, Likelihood, Method, NormalSolve, StateMap};
use crate::diffusion::schedule::Grid;
use crate::diffusion::{NoisePredictor, Parameterised};
use crate::models::{bundled, unet::Unet};
use candle_core::DType;
use inversa::config::Section;
use inversa::real::{lit, Real};
use inversa::solvers::registry::{SamplerContext, SolverBuild, SolverEntry};
use inversa::solvers::{Info, Iteration, Observer, Problem, Solver, SolverError};
use inversa::Error;

/// The solvers this module registers, and IDM's ([`super::idm`]), each needing
/// `prior.kind = "diffusion"`.
pub fn entries<T: Real>() -> Vec<SolverEntry<T>> {
    let sampler = |name, summary| SolverEntry {
        name,
        summary,
        build: SolverBuild::Sampler {
            prior: "diffusion",
            build: from_config::<T>,
        },
    };
    vec![
        sampler("dps", "diffusion posterior sampling: a gradient step through the network per level (Chung et al. 2023); prior diffusion"),
        sampler("ddnm", "null-space diffusion: x̂₀ ← x̂₀ − A†(Ax̂₀ − y) in DDIM (Wang et al. 2023); prior diffusion"),
        sampler("dds", "decomposed diffusion sampler: a few CG steps from x̂₀ in DDIM (Chung, Lee, Ye 2024); prior diffusion"),
        sampler("diffpir", "diffusion plug-and-play: the exact data prox with weight λσ²/σ̄ₜ² (Zhu et al. 2023); prior diffusion"),
        sampler("red-diff", "variational: Adam on the posterior mean, the network's residual as regulariser (Mardani et al. 2024); prior diffusion"),
        sampler("stsl", "second-order Tweedie: DPS's step plus a Hutchinson trace of the network's Jacobian, 2 calls a level (Rout et al. 2024); prior diffusion"),
        super::idm::entry(),
    ]
}

/// The bundled model's state: one channel, 32×32, the 28×28 image centred in it.
const STATE: [usize; 3] = [1, 32, 32];

/// The prior's network: the Fashion-MNIST UNet, or a denoiser over its noise levels.
enum Model {
    Unet(Box<Parameterised<Unet>>),
    Denoiser(DenoiserDiffusion),
}

impl Model {
    fn grid(&self, steps: usize) -> crate::Result<Grid> {
        match self {
            Model::Unet(unet) => unet.schedule.grid(steps),
            Model::Denoiser(denoiser) => denoiser.grid(steps),
        }
    }

    fn predictor(&self) -> &dyn NoisePredictor {
        match self {
            Model::Unet(unet) => unet.as_ref(),
            Model::Denoiser(denoiser) => denoiser,
        }
    }
}

/// A posterior sampler with its model, built from the `[solver]` and `[prior]` tables.
pub struct DiffusionSampler {
    method: Method,
    model: Model,
    /// Levels of the grid: the call budget over the method's calls per level.
    levels: usize,
    class: Option<usize>,
    map: StateMap,
    samples: usize,
    seed: u64,
    noise_std: f64,
}

fn from_config<T: Real>(
    solver: &mut Section,
    prior: &mut Section,
    ctx: &SamplerContext,
) -> inversa::Result<Box<dyn Solver<T>>> {
    if prior.has("denoiser") {
        return denoiser_sampler(solver, prior, ctx);
    }
    let model = load_model(prior)?;
    let classes = model.network.config().classes;
    let class = match prior.usize_opt("class")? {
        Some(c) if c >= classes => {
            let message = format!("must be below the model's {classes} classes, got {c}");
            return Err(Error::config(prior.key("class"), message));
        }
        class => class,
    };
    let map = StateMap::new(&STATE, &ctx.build.image_shape, 0.5, 0.5).map_err(|_| {
        let shape = &ctx.build.image_shape;
        Error::config(
            "data.image",
            format!("the diffusion model's images are 28×28 grey, this one is {shape:?}"),
        )
    })?;
    let kind = solver.str_opt("kind")?.unwrap_or("dps");
    let method = method(kind, solver)?;
    let levels = levels(solver, &method, 100, model.schedule.len())?;
    Ok(Box::new(DiffusionSampler {
        method,
        model: Model::Unet(Box::new(model)),
        levels,
        class,
        map,
        samples: ctx.samples,
        seed: ctx.build.seed,
        noise_std: ctx.noise_std.unwrap_or(0.0),
    }))
}

/// `denoiser = "ffdnet" | "dncnn" | weights` with `max_sigma`, on the task's own image shape.
fn denoiser_sampler<T: Real>(
    solver: &mut Section,
    prior: &mut Section,
    ctx: &SamplerContext,
) -> inversa::Result<Box<dyn Solver<T>>> {
    for key in ["model", "class"] {
        if prior.has(key) {
            let message =
                "applies to the diffusion UNet, not to a denoiser prior (`denoiser` is set)";
            return Err(Error::config(prior.key(key), message));
        }
    }
    let kind = solver.str_opt("kind")?.unwrap_or("dps");
    if kind == "dps" || kind == "stsl" {
        let message = format!("{kind} differentiates the network, which a denoiser prior does not offer; use diffpir, red-diff, dds or ddnm");
        return Err(Error::config(solver.key("kind"), message));
    }
    let at = |key: String| move |e: crate::Error| Error::config(key.clone(), e.to_string());
    let name = prior.str_opt("denoiser")?.unwrap_or("ffdnet");
    let denoiser = bundled::denoiser(name, prior.base_dir()).map_err(at(prior.key("denoiser")))?;
    let max_sigma = prior.positive_or("max_sigma", 50.0 / 255.0)?;
    if max_sigma > 1.0 {
        let message =
            format!("must be at most 1 (a noise level on [0, 1] intensities), got {max_sigma}");
        return Err(Error::config(prior.key("max_sigma"), message));
    }
    let shape = &ctx.build.image_shape;
    let model =
        DenoiserDiffusion::new(denoiser, shape, max_sigma).map_err(at(prior.key("denoiser")))?;
    let method = method(kind, solver)?;
    let levels = levels(solver, &method, 20, usize::MAX)?;
    model.grid(levels).map_err(at(solver.key("steps")))?;
    Ok(Box::new(DiffusionSampler {
        method,
        model: Model::Denoiser(model),
        levels,
        class: None,
        map: StateMap::new(shape, shape, 0.5, 0.5).map_err(at("data.image".into()))?,
        samples: ctx.samples,
        seed: ctx.build.seed,
        noise_std: ctx.noise_std.unwrap_or(0.0),
    }))
}

/// `model = "fashion"` (the bundled UNet) or a weights file.
fn load_model(prior: &mut Section) -> inversa::Result<Parameterised<Unet>> {
    let unet = match prior.str_opt("model")?.unwrap_or("fashion") {
        "fashion" => bundled::diffusion_unet()?,
        _ => match prior.path_opt("model")? {
            Some(path) => Unet::load(&path)?,
            None => bundled::diffusion_unet()?,
        },
    };
    unet.into_noise_predictor()
        .map_err(|e| Error::config(prior.key("model"), e.to_string()))
}

/// The method `kind` with its keys from the `[solver]` table (defaults: the papers').
fn method(kind: &str, s: &mut Section) -> inversa::Result<Method> {
    Ok(match kind {
        "ddnm" => {
            let d = ddnm::Params::default();
            Method::Ddnm(ddnm::Params {
                eta: s.f64_in("eta", d.eta, 0.0, 1.0, false)?,
                pinv_delta: s.positive_or("pinv_delta", d.pinv_delta)?,
            })
        }
        "dds" => {
            let d = dds::Params::default();
            Method::Dds(dds::Params {
                cg_steps: s.usize_or("cg_steps", d.cg_steps)?,
                gamma: s.non_negative_or("gamma", d.gamma)?,
                eta: s.f64_in("eta", d.eta, 0.0, 1.0, false)?,
            })
        }
        "diffpir" => {
            let d = diffpir::Params::default();
            Method::DiffPir(diffpir::Params {
                lambda: s.positive_or("lambda", d.lambda)?,
                zeta: s.f64_in("zeta", d.zeta, 0.0, 1.0, false)?,
            })
        }
        "red-diff" => {
            let d = red_diff::Params::default();
            Method::RedDiff(red_diff::Params {
                lambda: s.non_negative_or("lambda", d.lambda)?,
                lr: s.positive_or("lr", d.lr)?,
            })
        }
        "stsl" => {
            let d = stsl::Params::default();
            Method::Stsl(stsl::Params {
                lambda: s.non_negative_or("lambda", d.lambda)?,
                eta: s.non_negative_or("eta", d.eta)?,
                averaging: averaging(s, d.averaging)?,
            })
        }
        _ => Method::Dps(dps::Params {
            zeta: s.non_negative_or("zeta", dps::Params::default().zeta)?,
        }),
    })
}

/// The grid's levels for a budget of `steps` network calls (default `default`): `steps / calls
/// per level`, at least one and at most the model's `timesteps`.
fn levels(
    solver: &mut Section,
    method: &Method,
    default: usize,
    timesteps: usize,
) -> inversa::Result<usize> {
    let steps = solver.positive_usize_or("steps", default)?;
    let per_level = method.calls_per_level();
    let levels = steps / per_level;
    let name = method.name();
    let message = if levels == 0 {
        format!("is the budget of network calls; {name} makes {per_level} a level, got {steps}")
    } else if levels > timesteps {
        format!("must give at most the model's {timesteps} levels ({name} makes {per_level} calls a level), got {steps}")
    } else {
        return Ok(levels);
    };
    Err(Error::config(solver.key("steps"), message))
}

/// STSL's `averaging` (the paper's `K`): surrogate steps per level.
fn averaging(s: &mut Section, default: usize) -> inversa::Result<usize> {
    let k = s.positive_usize_or("averaging", default)?;
    if k > stsl::MOST_AVERAGING {
        let most = stsl::MOST_AVERAGING;
        let message = format!("must be at most {most} surrogate steps per level, got {k}");
        return Err(Error::config(s.key("averaging"), message));
    }
    Ok(k)
}

impl<T: Real> Solver<T> for DiffusionSampler {
    fn solve(
        &self,
        problem: &Problem<T>,
        x: &mut [T],
        observer: &mut dyn Observer<T>,
    ) -> Result<Info, SolverError> {
        let failed = |e: crate::Error| SolverError::Unsupported {
            solver: self.method.name(),
            reason: e.to_string(),
        };
        let likelihood = Likelihood::new(
            problem.operator,
            problem.measurement,
            self.noise_std,
            self.map.clone(),
        )
        .map_err(failed)?;
        let grid = self.model.grid(self.levels).map_err(failed)?;
        let prior = DiffusionPrior::new(self.model.predictor(), grid, self.class);
        let drawn = self.draw(&prior, &likelihood).map_err(failed)?;
        let images = likelihood.images(&drawn.samples).map_err(failed)?;
        let (mean, spread) = mean_and_spread(&images);
        let start: Vec<f64> = x.iter().map(|v| v.to_f64().unwrap_or(f64::NAN)).collect();
        x.iter_mut().zip(&mean).for_each(|(xi, m)| *xi = lit(*m));
        if !inversa::real::all_finite(x) {
            return Err(SolverError::NonFinite {
                solver: self.method.name(),
                iteration: self.levels,
            });
        }
        let objective = problem.objective(x);
        // One report for the whole run: the levels are not iterates of the reconstruction.
        observer.observe(&Iteration {
            index: self.levels,
            x,
            objective,
            relative_change: relative_change(&start, &mean),
            residual: f64::NAN,
        });
        Ok(Info {
            iterations: self.levels,
            converged: false,
            objective,
            model_calls: Some(drawn.model_calls),
            spread: (self.samples > 1).then_some(spread),
        })
    }
}

impl DiffusionSampler {
    /// The posterior samples: from pure noise with the UNet, from a noised Wiener reconstruction
    /// with a denoiser (which knows only the lower noise levels).
    fn draw<T: Real>(
        &self,
        prior: &DiffusionPrior,
        likelihood: &Likelihood<T>,
    ) -> crate::Result<posterior::Posterior> {
        let (method, count, seed) = (&self.method, self.samples, self.seed);
        match self.model {
            Model::Unet(_) => posterior::sample(method, prior, likelihood, count, DType::F32, seed),
            Model::Denoiser(_) => {
                let zero = candle_core::Tensor::zeros(
                    &likelihood.map.state[..],
                    DType::F32,
                    &candle_core::Device::Cpu,
                )?
                .unsqueeze(0)?;
                let gamma = self.noise_std.max(1e-3).powi(2);
                let wiener = likelihood.proximal(&zero, gamma, NormalSolve::Exact(200))?;
                posterior::sample_from(method, prior, likelihood, &wiener, count, seed)
            }
        }
    }
}

/// The per-pixel mean and (population) standard deviation of the samples.
fn mean_and_spread<T: Real>(images: &[Vec<T>]) -> (Vec<f64>, Vec<f64>) {
    let n = images.len().max(1) as f64;
    let len = images.first().map_or(0, Vec::len);
    let value = |v: &T| v.to_f64().unwrap_or(f64::NAN);
    let mean: Vec<f64> = (0..len)
        .map(|i| images.iter().map(|im| value(&im[i])).sum::<f64>() / n)
        .collect();
    let spread = (0..len)
        .map(|i| {
            let m = mean[i];
            (images
                .iter()
                .map(|im| (value(&im[i]) - m).powi(2))
                .sum::<f64>()
                / n)
                .sqrt()
        })
        .collect();
    (mean, spread)
}

/// `‖x − x_start‖/‖x‖`: how far the samples' mean moved from the starting point.
fn relative_change(start: &[f64], x: &[f64]) -> f64 {
    let change = inversa::real::norm(&start.iter().zip(x).map(|(a, b)| a - b).collect::<Vec<_>>());
    let size = inversa::real::norm(x);
    if size > 0.0 {
        change / size
    } else {
        change
    }
}
