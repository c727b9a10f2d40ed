//! `inversa solve-sequence`: generates a seeded sequence of PDE systems, solves them one after
//! another with CG, deflated CG, GMRES(m) or GCRO-DR(m, k) (Krylov subspace recycling, Wang et al.,
//! ICLR 2024), or, on Poisson, with the deep conjugate direction method and its bundled network
//! on the Jacobi-scaled residual (Kaneda et al., ICML 2023; in `inversa-learn`, since the core
//! does not depend on candle), and
//! writes `metrics.json` and `iterations.png` (iterations per system) to `--out`.

use crate::failure::Failure;
use anyhow::anyhow;
use clap::Args;
use inversa::krylov::preconditioner::PreconditionerKind;
use inversa::krylov::problems::ProblemKind;
use inversa::krylov::sequence::{solve_sequence, Method, SequenceConfig, SequenceReport};
use inversa::report::plot::{render_panels, write_png, Panel, Series};
use inversa_learn::solvers::deep_cd::network::DeepCdNet;
use inversa_learn::solvers::deep_cd::solver::DeepCd;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// `inversa solve-sequence …`.
#[derive(Args)]
pub struct SolveSequenceArgs {
    /// darcy | poisson | helmholtz | convection-diffusion.
    #[arg(long, default_value = "darcy")]
    problem: String,
    /// Interior grid side n (n × n unknowns).
    #[arg(long, default_value_t = 64)]
    grid: usize,
    /// Number of systems in the sequence.
    #[arg(long, default_value_t = 50)]
    systems: usize,
    /// Relative residual ‖b − Ax‖/‖b‖ every system must reach.
    #[arg(long, default_value_t = 1e-8)]
    tol: f64,
    /// cg | deflated-cg | gmres | gcrodr | deep-cd (poisson only).
    #[arg(long, default_value = "gcrodr")]
    method: String,
    /// none | jacobi | ilu0.
    #[arg(long, default_value = "none")]
    preconditioner: String,
    /// m: Arnoldi steps per cycle of GMRES(m) and GCRO-DR(m, k).
    #[arg(long, default_value_t = 30)]
    restart: usize,
    /// k: vectors recycled by GCRO-DR(m, k) and deflated CG.
    #[arg(long, default_value_t = 10)]
    recycle: usize,
    /// Solve in greedy nearest-neighbour order of the coefficient fields (the default).
    #[arg(long, conflicts_with = "no_sort")]
    sort: bool,
    /// Solve in generation order.
    #[arg(long)]
    no_sort: bool,
    /// Seed of the coefficient fields.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Iteration cap per system; a system that misses the tolerance within it is a failure.
    #[arg(long, default_value_t = 20_000)]
    max_iterations: usize,
    /// deep-cd: weights written by `inversa train deep-cd` [the bundled network].
    #[arg(long)]
    weights: Option<PathBuf>,
    /// deep-cd: give the network the plain residual r, not the Jacobi-scaled diag(A)^(-1/2) r.
    #[arg(long)]
    unscaled: bool,
    /// Folder for metrics.json and iterations.png (created if missing).
    #[arg(long, default_value = "solve-sequence")]
    out: PathBuf,
}

/// Runs the command.
pub fn run(args: SolveSequenceArgs) -> Result<(), Failure> {
    let (method, config, report) = if args.method == DEEP_CD {
        let config = deep_cd_config(&args).map_err(Failure::BadInput)?;
        let report = solve_deep_cd(&config, args.weights.as_deref(), args.unscaled)?;
        (DEEP_CD, config, report)
    } else {
        let config = config(&args).map_err(Failure::BadInput)?;
        let report = solve_sequence(&config).map_err(|e| match e {
            inversa::Error::Config { key, message } => {
                Failure::BadInput(anyhow!("--{key}: {message}"))
            }
            other => Failure::from(other),
        })?;
        (config.method.name(), config, report)
    };
    write_outputs(&args.out, method, &config, &report).map_err(Failure::BadInput)?;
    say!(
        "{} on {} sequence ({} systems, {}×{} grid, preconditioner {}): {} iterations in {:.2} s, max relative residual {:.2e}",
        method,
        config.problem.name(),
        config.systems,
        config.grid,
        config.grid,
        config.preconditioner.name(),
        report.total_iterations,
        report.seconds,
        report.max_relative_residual
    );
    say!(
        "wrote metrics.json and iterations.png to {}/",
        args.out.display()
    );
    Ok(())
}

/// The method name of the deep conjugate direction method.
const DEEP_CD: &str = "deep-cd";

/// The settings of a deep-CD run: Poisson only, no preconditioner, no sorting (no state is
/// carried from system to system, so the order does not matter).
fn deep_cd_config(args: &SolveSequenceArgs) -> anyhow::Result<SequenceConfig> {
    if args.problem != "poisson" {
        return Err(anyhow!(
            "--problem: deep-cd's network is trained for the Poisson matrix, so it runs only with --problem poisson (got {:?}); use cg, deflated-cg, gmres or gcrodr for {:?}",
            args.problem,
            args.problem
        ));
    }
    if args.preconditioner != "none" {
        return Err(anyhow!(
            "--preconditioner: deep-cd takes no preconditioner (its network is one), got {:?}",
            args.preconditioner
        ));
    }
    check_sizes(args)?;
    Ok(SequenceConfig {
        problem: ProblemKind::Poisson,
        grid: args.grid,
        systems: args.systems,
        tolerance: args.tol,
        preconditioner: PreconditionerKind::None,
        restart: args.restart,
        recycle: args.recycle,
        sort: false,
        seed: args.seed,
        max_iterations: args.max_iterations,
        ..SequenceConfig::default()
    })
}

/// Generates the Poisson systems and solves them with the deep-CD network in `weights` (or the
/// bundled one), fed the Jacobi-scaled residual unless `unscaled`.
fn solve_deep_cd(
    config: &SequenceConfig,
    weights: Option<&Path>,
    unscaled: bool,
) -> Result<SequenceReport, Failure> {
    let start = std::time::Instant::now();
    let systems = config
        .problem
        .generate(config.grid, config.systems, config.seed)?;
    let setup_seconds = start.elapsed().as_secs_f64();
    let net = match weights {
        Some(path) => {
            let bytes = std::fs::read(path).map_err(|e| inversa::Error::io(path, e))?;
            Arc::new(DeepCdNet::from_safetensors(&bytes, path)?)
        }
        None => inversa_learn::solvers::deep_cd::bundled()?,
    };
    let solver = DeepCd {
        tolerance: config.tolerance,
        max_iterations: config.max_iterations,
        ..DeepCd::default()
    };
    let report = inversa_learn::solvers::deep_cd::solve_systems(
        &systems,
        config.grid,
        &solver,
        &net,
        !unscaled,
    )?;
    Ok(SequenceReport {
        setup_seconds,
        ..report
    })
}

/// Rejects sizes no method can run with, naming the flag.
fn check_sizes(args: &SolveSequenceArgs) -> anyhow::Result<()> {
    if args.grid < 3 {
        return Err(anyhow!("--grid: must be at least 3, got {}", args.grid));
    }
    if args.systems == 0 {
        return Err(anyhow!("--systems: must be at least 1"));
    }
    if !(args.tol > 0.0 && args.tol < 1.0) {
        return Err(anyhow!("--tol: must be in (0, 1), got {}", args.tol));
    }
    if args.max_iterations == 0 {
        return Err(anyhow!("--max-iterations: must be at least 1"));
    }
    Ok(())
}

/// The library settings from the flags, with flag names in the messages.
fn config(args: &SolveSequenceArgs) -> anyhow::Result<SequenceConfig> {
    if args.weights.is_some() || args.unscaled {
        return Err(anyhow!(
            "--weights and --unscaled are for --method deep-cd only"
        ));
    }
    let flag = |e: inversa::Error| match e {
        inversa::Error::Config { key, message } => anyhow!("--{key}: {message}"),
        other => other.into(),
    };
    check_sizes(args)?;
    Ok(SequenceConfig {
        problem: ProblemKind::parse(&args.problem).map_err(flag)?,
        grid: args.grid,
        systems: args.systems,
        tolerance: args.tol,
        method: Method::parse(&args.method).map_err(|_| {
            anyhow!(
                "--method: unknown method {:?}; expected cg, deflated-cg, gmres, gcrodr or {DEEP_CD}",
                args.method
            )
        })?,
        preconditioner: PreconditionerKind::parse(&args.preconditioner).map_err(flag)?,
        restart: args.restart,
        recycle: args.recycle,
        sort: !args.no_sort,
        seed: args.seed,
        max_iterations: args.max_iterations,
    })
}

/// Writes `metrics.json` (through a temporary name) and `iterations.png`.
fn write_outputs(
    out: &Path,
    method: &str,
    config: &SequenceConfig,
    report: &SequenceReport,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(out).map_err(|e| anyhow!("cannot create {}: {e}", out.display()))?;
    let metrics = serde_json::json!({
        "problem": config.problem.name(),
        "method": method,
        "preconditioner": config.preconditioner.name(),
        "grid": config.grid,
        "systems": config.systems,
        "tol": config.tolerance,
        "m": config.restart,
        "k": config.recycle,
        "sorted": config.sort,
        "seed": config.seed,
        "order": report.order,
        "iterations": report.iterations,
        "matvecs": report.matvecs,
        "relative_residuals": report.relative_residuals,
        "total_iterations": report.total_iterations,
        "total_matvecs": report.total_matvecs,
        "seconds": report.seconds,
        "setup_seconds": report.setup_seconds,
        "max_relative_residual": report.max_relative_residual,
    });
    let path = out.join("metrics.json");
    let tmp = out.join("metrics.json.tmp");
    std::fs::write(&tmp, serde_json::to_string_pretty(&metrics)? + "\n")
        .map_err(|e| anyhow!("cannot write {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, &path).map_err(|e| anyhow!("cannot write {}: {e}", path.display()))?;
    let iterations: Vec<f64> = report.iterations.iter().map(|&i| i as f64).collect();
    let panel = Panel {
        title: format!(
            "{} on {} ({}, total {})",
            method,
            config.problem.name(),
            config.preconditioner.name(),
            report.total_iterations
        ),
        x_label: "system (solve order)".into(),
        y_label: "iterations".into(),
        log_y: false,
        series: vec![Series::indexed(method, &iterations)],
    };
    write_png(
        &out.join("iterations.png"),
        &render_panels(&[panel], 800, 450),
    )?;
    Ok(())
}
