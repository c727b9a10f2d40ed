//! `inversa experiment …`: the paper experiments of `inversa_lab`, each writing
//! `DIR/metrics.json` and its plots (`DIR/*.png`).
//!
//! * `matrix-sensing`: error ‖XXᵀ − M*‖_F against the iteration for several widths `k` and
//!   initialisation scales `α`, symmetric and asymmetric, with and without the one-step modification;
//! * `convex-relu`: ADMM on the convex program against Adam on the same two-layer ReLU network,
//!   from several seeds, on two interleaved spirals;
//! * `mfac`: time per inverse-Fisher product against `m` and `d`, and steps to a target loss for
//!   M-FAC, SGD and Adam over learning-rate grids;
//! * `editing`: every diffusion and rectified-flow inversion method reconstructing and editing
//!   the bundled Fashion-MNIST test images ([`crate::commands::editing_experiment`]).

use crate::failure::Failure;
use crate::outputs::Planned;
use inversa_lab::{convex_relu, matrix_sensing, mfac, Outcome};
use serde::Serialize;
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub struct ExperimentArgs {
    #[command(subcommand)]
    which: Which,
}

#[derive(clap::Subcommand)]
enum Which {
    /// Over-parameterised matrix sensing (Xiong, Ding & Du, ICLR 2024): GD error curves.
    MatrixSensing {
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Folder for metrics.json and the plot (created if missing).
        #[arg(long)]
        out: PathBuf,
        /// Matrix side n.
        #[arg(long, default_value_t = 20)]
        n: usize,
        /// Rank r of the truth (measurements: 10 n r).
        #[arg(long, default_value_t = 2)]
        rank: usize,
        #[arg(long, default_value_t = 1500)]
        iterations: usize,
    },
    /// Convex training of a two-layer ReLU network (Bai, Gautam & Sojoudi 2023) against Adam.
    ConvexRelu {
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Folder for metrics.json and the plot (created if missing).
        #[arg(long)]
        out: PathBuf,
        /// Training points (two spirals); the test set has 400.
        #[arg(long, default_value_t = 100)]
        samples: usize,
        /// Sampled activation patterns P.
        #[arg(long, default_value_t = 60)]
        patterns: usize,
        /// Weight decay β.
        #[arg(long, default_value_t = 0.1)]
        beta: f64,
        /// Adam runs (seeds seed+1 …).
        #[arg(long, default_value_t = 3)]
        seeds: u64,
        /// Adam steps per run.
        #[arg(long, default_value_t = 3000)]
        steps: usize,
    },
    /// M-FAC (Frantar, Kurtic & Alistarh, NeurIPS 2021): IHVP timing and the optimiser comparison.
    Mfac {
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Folder for metrics.json and the plots (created if missing).
        #[arg(long)]
        out: PathBuf,
        /// Largest dimension d in the timing table (quadrupling from 1000).
        #[arg(long, default_value_t = 64000)]
        max_d: usize,
        /// Step budget of the optimiser comparison.
        #[arg(long, default_value_t = 5000)]
        max_steps: usize,
    },
    /// Diffusion and rectified-flow inversion: reconstruct and edit Fashion-MNIST test images with
    /// every method.
    Editing(crate::commands::editing_experiment::EditingArgs),
}

pub fn run(args: ExperimentArgs) -> Result<(), Failure> {
    let say = &mut |line: &str| say!("{line}");
    match args.which {
        Which::MatrixSensing {
            seed,
            out,
            n,
            rank,
            iterations,
        } => {
            let settings = matrix_sensing::Settings {
                seed,
                n,
                rank,
                iterations,
            };
            // Generated data only: no input to overwrite.
            let planned = Planned::check(&out, &["metrics.json", "matrix_sensing.png"], &[])?;
            write(&out, &planned, matrix_sensing::run(&settings, say)?)
        }
        Which::ConvexRelu {
            seed,
            out,
            samples,
            patterns,
            beta,
            seeds,
            steps,
        } => {
            let settings = convex_relu::Settings {
                seed,
                samples,
                patterns,
                beta,
                seeds,
                steps,
            };
            // Generated data only: no input to overwrite.
            let planned = Planned::check(&out, &["metrics.json", "convex_relu.png"], &[])?;
            write(&out, &planned, convex_relu::run(&settings, say)?)
        }
        Which::Mfac {
            seed,
            out,
            max_d,
            max_steps,
        } => {
            let settings = mfac::Settings {
                seed,
                max_d,
                max_steps,
            };
            // Generated data only: no input to overwrite.
            let planned = Planned::check(
                &out,
                &["metrics.json", "mfac_timing.png", "mfac_optimiser.png"],
                &[],
            )?;
            write(&out, &planned, mfac::run(&settings, say)?)
        }
        Which::Editing(args) => crate::commands::editing_experiment::run(args),
    }
}

fn write<R: Serialize>(out: &Path, planned: &Planned, outcome: Outcome<R>) -> Result<(), Failure> {
    let written = planned.write(&outcome, true)?;
    say!(
        "wrote metrics.json and {} plot(s) to {}/",
        written.len() - 1,
        out.display()
    );
    Ok(())
}
