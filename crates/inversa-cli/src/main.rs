//! `inversa`: run reconstruction tasks from TOML files, and train the networks they use.
//!
//! Exit codes: 0 success, 1 the reconstruction failed (e.g. the solver diverged), 2 bad input.

// No panics on a path user data can reach (issue 17): an unwrap, expect or panic in this crate
// either becomes an error or carries an `#[allow(..., reason)]` saying why it cannot fire. Unit tests
// may unwrap (clippy.toml); integration tests are separate crates and are not linted for it.
#![warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

/// `println!` that ignores a closed stdout (e.g. `inversa list | head -1`) instead of panicking.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

mod commands;
mod failure;
mod heap;
mod outputs;
mod progress;

use clap::{Parser, Subcommand};
use commands::{
    attack, bench, demo, edit, experiment, fl, invert, list, sample, solve_sequence, train,
};
use failure::Failure;
use std::path::PathBuf;
use std::process::ExitCode;

#[global_allocator]
static HEAP: heap::Counting = heap::Counting;

#[derive(Parser)]
#[command(
    name = "inversa",
    version,
    about = "Inversion toolkit: reconstruct images from blurred, subsampled, tomographic or MRI measurements."
)]
#[command(
    long_about = "Inversion toolkit: reconstruct images from blurred, subsampled, tomographic or MRI measurements.\n\nWith no command, runs the built-in demo (TV deblurring of the cameraman image)."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run a task file: data + physics + prior + solver.
    #[command(long_about = list::RUN_HELP)]
    Run {
        /// The task file (TOML).
        task: PathBuf,
        /// Folder for the outputs (created if missing). Default: out/<task name>.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Run the built-in demo: Gaussian blur + noise on the cameraman image, reconstructed with TV.
    Demo {
        /// Folder for the outputs (created if missing).
        #[arg(long, default_value = "inversa-demo")]
        out: PathBuf,
    },
    /// List the available physics, priors, solvers, inversion methods and built-in images.
    List,
    /// Time every operator's apply/adjoint and every solver's iteration against this machine's memory bandwidth.
    Bench(bench::BenchArgs),
    /// Numerical experiments: `inversa experiment matrix-sensing|convex-relu|mfac --out DIR`.
    Experiment(experiment::ExperimentArgs),
    /// Train a network: `inversa train denoiser --images DIR --out W.safetensors`, or `inversa train config.toml`.
    Train(Box<train::TrainArgs>),
    /// Solve a seeded sequence of PDE systems with CG, deflated CG, GMRES or GCRO-DR (Krylov recycling).
    SolveSequence(Box<solve_sequence::SolveSequenceArgs>),
    /// Privacy audits: `inversa attack gradient --method dlg|idlg|ig|dia --image x.png --label 3`,
    /// `inversa attack model --method gmi|if-gmi --class 3`.
    Attack(Box<attack::AttackArgs>),
    /// Draw images from a diffusion UNet: `inversa sample --model W.safetensors --class 3 --out DIR`.
    Sample(sample::SampleArgs),
    /// Invert a 28×28 garment with the bundled Fashion-MNIST diffusion (or rectified-flow) model
    /// and regenerate it: reconstruction.png, comparison.png, latent.npy, metrics.json.
    Invert(Box<invert::InvertArgs>),
    /// Asynchronous federated learning with slow clients: `inversa fl --staleness 20
    /// --aggregation weighted|conversion|fedavg|direct|all --out DIR` (metrics.json, accuracy.png).
    Fl(Box<fl::FlArgs>),
    /// Invert a 28×28 garment with its class and regenerate it with another: edit.png,
    /// comparison.png, metrics.json (the bundled classifier's verdict, SSIM to the source).
    Edit(Box<edit::EditArgs>),
}

fn main() -> ExitCode {
    heap::keep_freed_memory();
    let cli = Cli::parse();
    let result = match cli.command.unwrap_or(Command::Demo {
        out: PathBuf::from("inversa-demo"),
    }) {
        Command::Run { task, out } => commands::run::run_file(&task, out),
        Command::Demo { out } => demo::run(&out),
        Command::Bench(args) => bench::run(args),
        Command::Train(args) => train::run(*args),
        Command::SolveSequence(args) => solve_sequence::run(*args),
        Command::Attack(args) => attack::run(*args),
        Command::Sample(args) => sample::run(args),
        Command::Invert(args) => invert::run(*args),
        Command::Edit(args) => edit::run(*args),
        Command::Fl(args) => fl::run(*args),
        Command::Experiment(args) => experiment::run(args),
        Command::List => {
            say!("{}", list::list().trim_end());
            Ok(())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::BadInput(error)) => {
            eprintln!("inversa: error: {error:#}");
            ExitCode::from(2)
        }
        Err(Failure::Reconstruction(error)) => {
            eprintln!("inversa: reconstruction failed: {error:#}");
            ExitCode::from(1)
        }
    }
}
