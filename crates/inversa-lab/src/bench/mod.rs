//! `inversa bench`: time every registered operator's apply and adjoint and one iteration of every
//! solver, each next to the least time the memory traffic it must do takes on this machine,
//! measured in the same run; then how time and memory grow with the image size, and candle's CPU
//! convolution on the shapes the learned priors run. Medians of repeated runs; nothing here is a
//! test.
//!
//! The floor of an operator is the time to read its input once plus the time to write its output
//! once, timed at the same sizes (so it sits in the same cache level). The floor of a solver iteration
//! is the operator floors times the number of `A` and `A*` calls it makes per iteration, counted
//! by wrapping the operator. "× floor" then says how much is left to gain; "A share" says how much
//! of an iteration the operator calls take (the rest is the prior and the vector updates).
//!
//! Memory is measured only through a [`HeapProbe`]: counting the heap takes a global allocator,
//! which only a binary can install (`inversa` installs one); without a probe the heap column is
//! `None`.
//!
//! ```
//! use inversa_lab::bench::{run, Settings, Table};
//!
//! let settings = Settings { size: 16, repeats: 1, only: vec![Table::Solvers], ..Settings::default() };
//! let outcome = run(&settings, None, &mut |_line| {})?;
//! // Two problems (blur and MRI); PDHG makes one A and one A* per iteration on either.
//! assert_eq!(outcome.report.solvers.len(), 2);
//! let pdhg = outcome.report.solvers[0].rows.iter().find(|r| r.solver == "pdhg").unwrap();
//! assert_eq!((pdhg.applies, pdhg.adjoints), (1.0, 1.0));
//! # Ok::<(), inversa_lab::Error>(())
//! ```

mod floor;
mod networks;
mod operators;
mod scaling;
mod solvers;

pub use networks::NetworkRow;
pub use operators::{OperatorRow, Skipped};
pub use scaling::ScalingRow;
pub use solvers::{SolverRow, SolverTable};

use crate::error::check_memory;
use crate::outcome::Outcome;
use crate::{Error, Result};
use serde::Serialize;

/// The benchmark's settings; the names are those of `inversa bench`'s flags.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Image side in pixels of the operator and solver tables.
    pub size: usize,
    /// Runs per measurement (the median is reported); the solver, scaling and network tables use
    /// at most 5.
    pub repeats: usize,
    /// Largest image side of the scaling table, which doubles from 256.
    pub max_size: usize,
    /// The tables to run; all of them when empty.
    pub only: Vec<Table>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            size: 256,
            repeats: 11,
            max_size: 2048,
            only: Vec::new(),
        }
    }
}

/// The tables [`Settings::only`] can select.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Table {
    Operators,
    Solvers,
    Scaling,
    Networks,
}

/// A heap counter kept by the caller's global allocator, in bytes.
pub trait HeapProbe {
    /// Restarts the peak at the current live size and returns that size.
    fn reset_peak(&self) -> usize;
    /// The highest live size since the last [`HeapProbe::reset_peak`].
    fn peak(&self) -> usize;
}

/// The measurements, table by table (a table not run is empty).
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub size: usize,
    pub repeats: usize,
    pub threads: usize,
    /// Streaming read + write bandwidth on 64 MiB of f32 each way, bytes per second (measured
    /// with the operator table).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bandwidth_bytes_per_s: Option<f64>,
    pub operators: Vec<OperatorRow>,
    /// Registered operators that could not be built at this size.
    pub skipped: Vec<Skipped>,
    /// One table per problem: Gaussian blur, then 8-coil MRI.
    pub solvers: Vec<SolverTable>,
    pub scaling: Vec<ScalingRow>,
    pub networks: Vec<NetworkRow>,
}

/// Runs the tables of `settings`; `heap` measures the scaling table's memory column; `say`
/// receives the printed tables line by line as they are measured.
pub fn run(
    settings: &Settings,
    heap: Option<&dyn HeapProbe>,
    say: &mut dyn FnMut(&str),
) -> Result<Outcome<Report>> {
    for (key, value) in [
        ("size", settings.size),
        ("repeats", settings.repeats),
        ("max_size", settings.max_size),
    ] {
        if value == 0 {
            return Err(Error::setting(key, "must be at least 1"));
        }
    }
    // The largest images timed, with the solvers' copies of them (iterate, duals, scratch).
    for (key, side) in [("size", settings.size), ("max_size", settings.max_size)] {
        check_memory(key, &[side, side], 4, 16)?;
    }
    let wanted = |table| settings.only.is_empty() || settings.only.contains(&table);
    let (size, repeats) = (settings.size, settings.repeats);
    let threads = rayon::current_num_threads();
    say(&format!(
        "Inversa bench: {size}×{size} grey images, f32, {threads} threads, median of {repeats} runs"
    ));
    let mut report = Report {
        size,
        repeats,
        threads,
        bandwidth_bytes_per_s: None,
        operators: Vec::new(),
        skipped: Vec::new(),
        solvers: Vec::new(),
        scaling: Vec::new(),
        networks: Vec::new(),
    };
    if wanted(Table::Operators) {
        let bandwidth = floor::dram_bandwidth();
        say(&format!(
            "memory bandwidth (parallel read + write, 64 MiB each): {:.1} GB/s",
            bandwidth / 1e9
        ));
        say("");
        report.bandwidth_bytes_per_s = Some(bandwidth);
        (report.operators, report.skipped) = operators::table(size, repeats, say);
        say("");
    }
    if wanted(Table::Solvers) {
        report.solvers = solvers::tables(size, repeats.min(5), say)?;
    }
    if wanted(Table::Scaling) {
        report.scaling = scaling::table(repeats.min(5), settings.max_size, heap, say)?;
        say("");
    }
    if wanted(Table::Networks) {
        report.networks = networks::table(repeats.min(5), say)?;
    }
    Ok(Outcome::new(report))
}
