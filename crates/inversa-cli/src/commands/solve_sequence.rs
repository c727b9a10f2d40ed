//! `inversa solve-sequence`: generates a seeded sequence of PDE systems and solves them one after
//! another with CG, deflated CG, GMRES(m), GCRO-DR(m, k) (Krylov subspace recycling) or, on
//! Poisson, the deep conjugate direction method ([`inversa_lab::krylov_sequence`]); writes
//! `metrics.json` and `iterations.png` (iterations per system) to `--out`.

use crate::failure::Failure;
use crate::outputs::Planned;
use clap::Args;
use inversa_lab::krylov_sequence::{run as solve, Settings};
use std::path::PathBuf;

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
    let planned = Planned::check(
        &args.out,
        &["metrics.json", "iterations.png"],
        &[("--weights", args.weights.as_deref())],
    )?;
    let settings = Settings {
        problem: args.problem,
        grid: args.grid,
        systems: args.systems,
        tol: args.tol,
        method: args.method,
        preconditioner: args.preconditioner,
        restart: args.restart,
        recycle: args.recycle,
        sort: !args.no_sort,
        seed: args.seed,
        max_iterations: args.max_iterations,
        weights: args.weights,
        unscaled: args.unscaled,
    };
    let outcome = solve(&settings)?;
    planned.write(&outcome, true)?;
    let report = &outcome.report;
    say!(
        "{} on {} sequence ({} systems, {}×{} grid, preconditioner {}): {} iterations in {:.2} s, max relative residual {:.2e}",
        report.method,
        report.problem,
        report.systems,
        report.grid,
        report.grid,
        report.preconditioner,
        report.solved.total_iterations,
        report.solved.seconds,
        report.solved.max_relative_residual
    );
    say!(
        "wrote metrics.json and iterations.png to {}/",
        args.out.display()
    );
    Ok(())
}
