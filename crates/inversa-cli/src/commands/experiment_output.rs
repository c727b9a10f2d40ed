//! What every `inversa experiment` run shares: its settings (the default or the test's small
//! one) and the planned, checked writing of its outcome.

use crate::failure::Failure;
use crate::outputs::Planned;
use inversa_lab::Outcome;
use serde::Serialize;
use std::path::Path;

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
