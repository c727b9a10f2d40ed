//! The `[prior]` and `[solver]` tables of a task: a proximal solver with any registered prior, or a
//! sampler (the diffusion samplers of `inversa-learn`) that reads its generative prior's table
//! itself. Combinations that cannot work — a sampler without its prior, a generative prior under
//! an optimiser, several samples from an optimiser — are refused by key.

use super::required;
use super::Init;
use crate::config::Section;
use crate::error::{Error, Result};
use crate::noise::Noise;
use crate::operators::physics::BuildContext;
use crate::priors::registry::{self as prior_registry, PriorEntry};
use crate::priors::Prior;
use crate::real::Real;
use crate::solvers::registry::{self as solver_registry, SamplerContext, SolverBuild, SolverEntry};
use crate::solvers::Solver;
use std::path::Path;

/// What other crates add to the task file's vocabulary: priors (the learned ones of
/// `inversa-learn`) and solvers (its diffusion samplers).
pub struct Extensions<T: Real> {
    pub priors: Vec<PriorEntry<T>>,
    pub solvers: Vec<SolverEntry<T>>,
}

impl<T: Real> Default for Extensions<T> {
    fn default() -> Self {
        Self {
            priors: Vec::new(),
            solvers: Vec::new(),
        }
    }
}

/// The prior and solver a task runs, with their names.
pub(super) struct Parts<T: Real> {
    pub prior_kind: String,
    pub prior: Box<dyn Prior<T>>,
    pub solver_kind: String,
    pub solver: Box<dyn Solver<T>>,
    pub init: Init,
}

/// Reads `[solver]` and `[prior]` from `root`.
#[allow(
    clippy::expect_used,
    reason = "choice_or accepted only registered names"
)]
pub(super) fn prior_and_solver<T: Real>(
    root: &mut Section,
    ctx: &BuildContext,
    noise: Noise,
    samples: usize,
    extensions: &Extensions<T>,
) -> Result<Parts<T>> {
    let mut solver_section = required(root, "solver", "kind = \"pdhg\" and its settings")?;
    let solver_names: Vec<&str> = solver_registry::names()
        .into_iter()
        .chain(extensions.solvers.iter().map(|e| e.name))
        .collect();
    let solver_kind = solver_section.choice_or("kind", "pdhg", &solver_names)?;
    let init = match solver_section
        .choice_or("init", "adjoint", &["adjoint", "zeros"])?
        .as_str()
    {
        "zeros" => Init::Zeros,
        _ => Init::Adjoint,
    };
    let solver_entry = extensions
        .solvers
        .iter()
        .find(|e| e.name == solver_kind)
        .map(|e| &e.build);
    let core_entry = solver_registry::find::<T>(&solver_kind);
    let build = solver_entry
        .or(core_entry.as_ref().map(|e| &e.build))
        .expect("choice_or checked the name");
    let prior_section = root.table_opt("prior")?;
    let (prior_kind, prior, solver) = match build {
        SolverBuild::Proximal(build) => {
            if samples != 1 {
                return Err(Error::config(
                    "run.samples",
                    format!(
                        "{solver_kind} computes one estimate; only a sampler (solver.kind = {}) draws several",
                        sampler_names(extensions).join(", ")
                    ),
                ));
            }
            let (kind, prior) = proximal_prior(prior_section, ctx, extensions)?;
            (kind, prior, build(&mut solver_section)?)
        }
        SolverBuild::Sampler { prior, build } => {
            let sampler = SamplerContext {
                build: ctx,
                noise_std: match noise {
                    Noise::Gaussian { sigma } => Some(sigma),
                    _ => None,
                },
                samples,
            };
            let solver = sampler_with_prior(prior_section, prior, &solver_kind, |section| {
                build(&mut solver_section, section, &sampler)
            })?;
            let none = Box::new(crate::priors::none::NoPrior) as Box<dyn Prior<T>>;
            (prior.to_string(), none, solver)
        }
    };
    solver_section.finish()?;
    Ok(Parts {
        prior_kind,
        prior,
        solver_kind,
        solver,
        init,
    })
}

/// The `[prior]` of a proximal solver (none when the table is absent), from the core's priors
/// and those of `extensions`.
fn proximal_prior<T: Real>(
    section: Option<Section>,
    ctx: &BuildContext,
    extensions: &Extensions<T>,
) -> Result<(String, Box<dyn Prior<T>>)> {
    let Some(mut section) = section else {
        return Ok(("none".to_string(), Box::new(crate::priors::none::NoPrior)));
    };
    if let Some(sampler) = section.str_opt("kind")?.and_then(|kind| {
        let mut samplers = extensions
            .solvers
            .iter()
            .filter(|e| matches!(e.build, SolverBuild::Sampler { prior, .. } if prior == kind));
        samplers.next().map(|_| kind)
    }) {
        return Err(Error::config(
            "prior.kind",
            format!("a {sampler} prior is sampled, not used through a prox: pick a sampler as solver.kind (one of {})", sampler_names(extensions).join(", ")),
        ));
    }
    let mut names = prior_registry::names();
    names.extend(extensions.priors.iter().map(|e| e.name));
    let kind = section.choice_or("kind", "none", &names)?;
    let build = match extensions.priors.iter().find(|e| e.name == kind) {
        Some(entry) => entry.build,
        None => match prior_registry::find::<T>(&kind) {
            Some(entry) => entry.build,
            None => return Err(Error::config("prior.kind", format!("no prior {kind}"))),
        },
    };
    let prior = build(&mut section, ctx)?;
    section.finish()?;
    Ok((kind, prior))
}

/// Builds a sampler with its `[prior]` table, which must exist and name `prior`.
fn sampler_with_prior<T: Real>(
    section: Option<Section>,
    prior: &str,
    solver: &str,
    build: impl FnOnce(&mut Section) -> Result<Box<dyn Solver<T>>>,
) -> Result<Box<dyn Solver<T>>> {
    let Some(mut section) = section else {
        return Err(Error::config(
            "prior",
            format!(
                "solver {solver} samples a generative prior: add [prior] with kind = \"{prior}\""
            ),
        ));
    };
    let kind = section.str_opt("kind")?.unwrap_or("none");
    if kind != prior {
        return Err(Error::config(
            "prior.kind",
            format!("solver {solver} needs kind = \"{prior}\", found \"{kind}\""),
        ));
    }
    let solver = build(&mut section)?;
    section.finish()?;
    Ok(solver)
}

/// The samplers `extensions` adds, for error messages.
fn sampler_names<T: Real>(extensions: &Extensions<T>) -> Vec<&'static str> {
    extensions
        .solvers
        .iter()
        .filter(|e| matches!(e.build, SolverBuild::Sampler { .. }))
        .map(|e| e.name)
        .collect()
}

/// The prior, solver and starting point of a `[prior]` table (none: no prior) and a `[solver]`
/// table given on their own, for an operator built elsewhere (the Python package's `solve`): the same keys, defaults,
/// refusals and error messages as in a task file. `noise_std` is the measurement's Gaussian noise
/// level, which the samplers need.
pub fn prior_and_solver_from_tables<T: Real>(
    prior: Option<toml::Table>,
    solver: toml::Table,
    ctx: &BuildContext,
    noise_std: Option<f64>,
    extensions: &Extensions<T>,
) -> Result<PriorAndSolver<T>> {
    let mut root = toml::Table::new();
    if let Some(prior) = prior {
        root.insert("prior".into(), toml::Value::Table(prior));
    }
    root.insert("solver".into(), toml::Value::Table(solver));
    let mut section = Section::new(&root, "", Path::new("."));
    let noise = match noise_std {
        Some(sigma) => Noise::Gaussian { sigma },
        None => Noise::None,
    };
    let parts = prior_and_solver(&mut section, ctx, noise, 1, extensions)?;
    section.finish()?;
    Ok(PriorAndSolver {
        prior: parts.prior,
        solver: parts.solver,
        init: parts.init,
    })
}

/// What [`prior_and_solver_from_tables`] builds.
pub struct PriorAndSolver<T: Real> {
    pub prior: Box<dyn Prior<T>>,
    pub solver: Box<dyn Solver<T>>,
    pub init: Init,
}
