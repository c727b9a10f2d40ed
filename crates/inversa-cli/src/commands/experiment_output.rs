//! What every `inversa experiment` run shares: its settings (the default or the test's small
//! one) and the planned, checked writing of its outcome.

use crate::failure::Failure;
use crate::outputs::Planned;
use inversa_lab::Outcome;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// The flags every paper experiment takes (`#[command(flatten)]` them into its arguments).
#[derive(clap::Args)]
pub struct CommonFlags {
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Folder for metrics.json, the plots and report.html (created if missing).
    #[arg(long)]
    pub out: PathBuf,
    /// The small, seeded setting of the experiment's test (under a minute on 2 cores).
    #[arg(long)]
    pub quick: bool,
}

/// The small setting of the tests (`--quick`), or the experiment's default.
pub fn base<S: Default>(quick: bool, small: fn() -> S) -> S {
    if quick {
        small()
    } else {
        S::default()
    }
}

/// Runs an experiment on generated data (so no input to overwrite) once its outputs `names` in
/// `out` are known to be writable, and writes them.
pub fn generated<R: Serialize>(
    out: &Path,
    names: &[&str],
    run: impl FnOnce() -> inversa_lab::Result<Outcome<R>>,
) -> Result<(), Failure> {
    let planned = Planned::check(out, names, &[])?;
    let outcome = run()?;
    let written = planned.write(&outcome, true)?;
    say!(
        "wrote metrics.json and {} plot(s) to {}/",
        written.len() - 1,
        out.display()
    );
    Ok(())
}
