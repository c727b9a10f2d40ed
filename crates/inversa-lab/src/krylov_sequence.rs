//! Sequences of related linear systems (Wang et al., "Accelerating Data Generation for Neural
//! Operators via Krylov Subspace Recycling", ICLR 2024): a seeded sequence of PDE systems solved one
//! after another with CG, deflated CG, GMRES(m) or GCRO-DR(m, k) (the core's
//! [`inversa::krylov::sequence`]), or, on Poisson, with the deep conjugate direction method and its
//! network (Kaneda et al., "A Deep Conjugate Direction Method for Iteratively Solving Linear
//! Systems", ICML 2023; [`inversa_learn::solvers::deep_cd`]). Reports the iterations per system.

use crate::error::check_memory;
use crate::outcome::{Artifact, Outcome};
use crate::{Error, Result};
use inversa::krylov::preconditioner::PreconditionerKind;
use inversa::krylov::problems::ProblemKind;
use inversa::krylov::sequence::{solve_sequence, Method, SequenceConfig, SequenceReport};
use inversa::report::plot::{render_panels, Panel, Series};
use inversa_learn::solvers::deep_cd::{self, network::DeepCdNet, solver::DeepCd};
use serde::Serialize;
use std::path::PathBuf;
use std::sync::Arc;

/// The experiment's settings; the names are those of `inversa solve-sequence`'s flags.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// darcy | poisson | helmholtz | convection-diffusion.
    pub problem: String,
    /// Interior grid side `n` (`n × n` unknowns).
    pub grid: usize,
    pub systems: usize,
    /// The relative residual `‖b − Ax‖/‖b‖` every system must reach.
    pub tol: f64,
    /// cg | deflated-cg | gmres | gcrodr | deep-cd (Poisson only).
    pub method: String,
    /// none | jacobi | ilu0.
    pub preconditioner: String,
    /// `m`: Arnoldi steps per cycle of GMRES(m) and GCRO-DR(m, k).
    pub restart: usize,
    /// `k`: vectors recycled by GCRO-DR(m, k) and deflated CG.
    pub recycle: usize,
    /// Solve in greedy nearest-neighbour order of the coefficient fields.
    pub sort: bool,
    pub seed: u64,
    /// Iteration cap per system; a system that misses the tolerance within it is a failure.
    pub max_iterations: usize,
    /// deep-cd: weights of `inversa train deep-cd` (the bundled network when `None`).
    pub weights: Option<PathBuf>,
    /// deep-cd: feed the network the plain residual, not the Jacobi-scaled `diag(A)^(-1/2) r`.
    pub unscaled: bool,
}

impl Default for Settings {
    fn default() -> Self {
        let core = SequenceConfig::default();
        Self {
            problem: core.problem.name().into(),
            grid: core.grid,
            systems: core.systems,
            tol: core.tolerance,
            method: core.method.name().into(),
            preconditioner: core.preconditioner.name().into(),
            restart: core.restart,
            recycle: core.recycle,
            sort: core.sort,
            seed: core.seed,
            max_iterations: core.max_iterations,
            weights: None,
            unscaled: false,
        }
    }
}

/// `metrics.json`.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub problem: &'static str,
    pub method: &'static str,
    pub preconditioner: &'static str,
    pub grid: usize,
    pub systems: usize,
    pub tol: f64,
    pub m: usize,
    pub k: usize,
    pub sorted: bool,
    pub seed: u64,
    /// The per-system counts and the totals.
    #[serde(flatten)]
    pub solved: SequenceReport,
}

/// The method name of the deep conjugate direction method.
pub const DEEP_CD: &str = "deep-cd";

/// Generates and solves the sequence.
pub fn run(settings: &Settings) -> Result<Outcome<Report>> {
    check_sizes(settings)?;
    let (method, config, solved) = if settings.method == DEEP_CD {
        let config = deep_cd_config(settings)?;
        let solved = solve_deep_cd(&config, settings)?;
        (DEEP_CD, config, solved)
    } else {
        let config = krylov_config(settings)?;
        let solved = solve_sequence(&config).map_err(named_setting)?;
        (config.method.name(), config, solved)
    };
    let report = report(method, &config, solved);
    let plot = iterations_panel(&report);
    let picture = Artifact::Picture(render_panels(&[plot], 800, 450));
    Ok(Outcome::new(report).with("iterations.png", picture))
}

/// A core configuration error names the setting it refused.
fn named_setting(error: inversa::Error) -> Error {
    match error {
        inversa::Error::Config { key, message } => Error::setting(key, message),
        other => other.into(),
    }
}

/// Rejects sizes no method can run with.
fn check_sizes(settings: &Settings) -> Result<()> {
    if settings.grid < 3 {
        let message = format!("must be at least 3, got {}", settings.grid);
        return Err(Error::setting("grid", message));
    }
    if settings.systems == 0 {
        return Err(Error::setting("systems", "must be at least 1"));
    }
    // The grid's unknowns: five matrix entries per row, the right-hand side and solution, and
    // the Krylov and recycled bases.
    let vectors = 7 + settings.restart + settings.recycle;
    check_memory("grid", &[settings.grid, settings.grid], 8, vectors)?;
    if !(settings.tol > 0.0 && settings.tol < 1.0) {
        let message = format!("must be in (0, 1), got {}", settings.tol);
        return Err(Error::setting("tol", message));
    }
    if settings.max_iterations == 0 {
        return Err(Error::setting("max_iterations", "must be at least 1"));
    }
    Ok(())
}

/// The core's settings for a Krylov method.
fn krylov_config(settings: &Settings) -> Result<SequenceConfig> {
    if settings.weights.is_some() || settings.unscaled {
        let message = "is for --method deep-cd only, as is --unscaled";
        return Err(Error::setting("weights", message));
    }
    let method = Method::parse(&settings.method).map_err(|_| {
        let message = format!(
            "unknown method {:?}; expected cg, deflated-cg, gmres, gcrodr or {DEEP_CD}",
            settings.method
        );
        Error::setting("method", message)
    })?;
    Ok(SequenceConfig {
        problem: ProblemKind::parse(&settings.problem).map_err(named_setting)?,
        preconditioner: PreconditionerKind::parse(&settings.preconditioner)
            .map_err(named_setting)?,
        method,
        ..shared_config(settings)
    })
}

/// The settings of a deep-CD run: Poisson only, no preconditioner, no sorting (no state is
/// carried from system to system, so the order does not matter).
fn deep_cd_config(settings: &Settings) -> Result<SequenceConfig> {
    if settings.problem != "poisson" {
        let message = format!(
            "deep-cd's network is trained for the Poisson matrix, so it runs only with --problem poisson (got {:?}); use cg, deflated-cg, gmres or gcrodr for {:?}",
            settings.problem, settings.problem
        );
        return Err(Error::setting("problem", message));
    }
    if settings.preconditioner != "none" {
        let message = format!(
            "deep-cd takes no preconditioner (its network is one), got {:?}",
            settings.preconditioner
        );
        return Err(Error::setting("preconditioner", message));
    }
    Ok(SequenceConfig {
        problem: ProblemKind::Poisson,
        preconditioner: PreconditionerKind::None,
        sort: false,
        ..shared_config(settings)
    })
}

/// The settings every method shares.
fn shared_config(settings: &Settings) -> SequenceConfig {
    SequenceConfig {
        grid: settings.grid,
        systems: settings.systems,
        tolerance: settings.tol,
        restart: settings.restart,
        recycle: settings.recycle,
        sort: settings.sort,
        seed: settings.seed,
        max_iterations: settings.max_iterations,
        ..SequenceConfig::default()
    }
}

/// Generates the Poisson systems and solves them with the deep-CD network.
fn solve_deep_cd(config: &SequenceConfig, settings: &Settings) -> Result<SequenceReport> {
    let start = std::time::Instant::now();
    let systems = config
        .problem
        .generate(config.grid, config.systems, config.seed)?;
    let setup_seconds = start.elapsed().as_secs_f64();
    let net = match &settings.weights {
        Some(path) => {
            let bytes = std::fs::read(path).map_err(|e| inversa::Error::io(path, e))?;
            Arc::new(DeepCdNet::from_safetensors(&bytes, path)?)
        }
        None => deep_cd::bundled()?,
    };
    let solver = DeepCd {
        tolerance: config.tolerance,
        max_iterations: config.max_iterations,
        ..DeepCd::default()
    };
    let scaled = !settings.unscaled;
    let solved = deep_cd::solve_systems(&systems, config.grid, &solver, &net, scaled)?;
    Ok(SequenceReport {
        setup_seconds,
        ..solved
    })
}

fn report(method: &'static str, config: &SequenceConfig, solved: SequenceReport) -> Report {
    Report {
        problem: config.problem.name(),
        method,
        preconditioner: config.preconditioner.name(),
        grid: config.grid,
        systems: config.systems,
        tol: config.tolerance,
        m: config.restart,
        k: config.recycle,
        sorted: config.sort,
        seed: config.seed,
        solved,
    }
}

fn iterations_panel(report: &Report) -> Panel {
    let iterations: Vec<f64> = report.solved.iterations.iter().map(|&i| i as f64).collect();
    Panel {
        title: format!(
            "{} on {} ({}, total {})",
            report.method, report.problem, report.preconditioner, report.solved.total_iterations
        ),
        x_label: "system (solve order)".into(),
        y_label: "iterations".into(),
        log_y: false,
        series: vec![Series::indexed(report.method, &iterations)],
    }
}
