//! IDM ([`crate::diffusion::idm`]) as a task-file solver: a deterministic reconstruction by the
//! fine-tuned sampling chain, from weights written by `inversa train idm`.
//!
//! ```toml
//! [prior]
//! kind = "diffusion"
//! model = "idm.safetensors"   # IDM weights (`inversa train idm`); the bundled UNet is not one
//! [solver]
//! kind = "idm"
//! ```
//!
//! The physics may be any operator on 28×28 grey images (its dense matrix is read through `A*`,
//! `m` applications); the weights were trained for compressed sensing. The chain has no noise, so
//! every sample is the same: `run.samples` adds nothing and no `std.png` is written.

use crate::diffusion::idm::Idm;
use inversa::config::Section;
use inversa::real::{lit, Real};
use inversa::solvers::registry::{SamplerContext, SolverBuild, SolverEntry};
use inversa::solvers::{Info, Iteration, Observer, Problem, Solver, SolverError};
use inversa::Error;

/// The `idm` entry of the solver registry (`prior.kind = "diffusion"`).
pub fn entry<T: Real>() -> SolverEntry<T> {
    SolverEntry {
        name: "idm",
        summary: "invertible diffusion model: a few DDIM steps fine-tuned end to end for CS (Chen et al. 2025); prior diffusion, model = IDM weights",
        build: SolverBuild::Sampler {
            prior: "diffusion",
            build: from_config::<T>,
        },
    }
}

/// The fine-tuned chain.
pub struct IdmSolver {
    idm: Idm,
}

fn from_config<T: Real>(
    _solver: &mut Section,
    prior: &mut Section,
    _ctx: &SamplerContext,
) -> inversa::Result<Box<dyn Solver<T>>> {
    let key = prior.key("model");
    let not_idm = || {
        Error::config(
            &key,
            "solver \"idm\" needs IDM weights from `inversa train idm` (a .safetensors path)",
        )
    };
    let path = match prior.str_opt("model")? {
        None | Some("fashion") => return Err(not_idm()),
        Some(_) => prior.path_opt("model")?.ok_or_else(not_idm)?,
    };
    let idm = Idm::load(&path).map_err(|e| Error::config(&key, e.to_string()))?;
    Ok(Box::new(IdmSolver { idm }))
}

impl<T: Real> Solver<T> for IdmSolver {
    fn solve(
        &self,
        problem: &Problem<T>,
        x: &mut [T],
        observer: &mut dyn Observer<T>,
    ) -> Result<Info, SolverError> {
        let failed = |e: crate::Error| SolverError::Unsupported {
            solver: "idm",
            reason: e.to_string(),
        };
        let images = self
            .idm
            .reconstruct(problem.operator, &[problem.measurement])
            .map_err(failed)?;
        let steps = self.idm.config.steps;
        let Some(image) = images.first().filter(|i| i.len() == x.len()) else {
            return Err(failed(crate::diffusion::bad(
                "data.image",
                "IDM's image does not match the task's",
            )));
        };
        x.iter_mut().zip(image).for_each(|(xi, v)| *xi = lit(*v));
        if !inversa::real::all_finite(x) {
            return Err(SolverError::NonFinite {
                solver: "idm",
                iteration: steps,
            });
        }
        let objective = problem.objective(x);
        observer.observe(&Iteration {
            index: steps,
            x,
            objective,
            relative_change: f64::NAN,
            residual: f64::NAN,
        });
        Ok(Info {
            iterations: steps,
            converged: false,
            objective,
            model_calls: Some(steps),
            spread: None,
        })
    }
}
