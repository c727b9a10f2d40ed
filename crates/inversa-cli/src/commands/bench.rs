//! `inversa bench`: times every registered operator's apply and adjoint and one iteration of every
//! solver against this machine's memory bandwidth, how both grow with the image size, and the
//! convolutions the learned priors run ([`inversa_lab::bench`]); prints the tables as they are
//! measured, with the heap column counted by `inversa`'s own allocator.

use crate::failure::Failure;
use crate::heap;
use clap::Args;
use inversa_lab::bench::{run as bench, Settings, Table};

/// `inversa bench …`.
#[derive(Args)]
pub struct BenchArgs {
    /// Image side in pixels.
    #[arg(long, default_value_t = 256)]
    size: usize,
    /// Runs per measurement (the median is reported).
    #[arg(long, default_value_t = 11)]
    repeats: usize,
    /// Largest image side in the scaling table (doubling from 256).
    #[arg(long, default_value_t = 2048)]
    max_size: usize,
    /// Run only these tables (default: all).
    #[arg(long, value_enum, value_delimiter = ',')]
    only: Vec<Table>,
}

/// Runs the command.
pub fn run(args: BenchArgs) -> Result<(), Failure> {
    let settings = Settings {
        size: args.size,
        repeats: args.repeats,
        max_size: args.max_size,
        only: args.only,
    };
    bench(&settings, Some(&heap::Counting), &mut |line| say!("{line}"))?;
    Ok(())
}
