//! Every command's writing goes through here: before any work, the files it will write into its
//! `--out` folder are checked against every path it reads ([`inversa::io::overlap::Guard`]: an
//! output that is an input, lies inside a folder that is read, or replaces a folder holding an
//! input is refused as bad input, exit 2); after the work, the outcome is written only when every
//! metric and array is finite (else a failed run, exit 1) and only into the files checked.

use crate::failure::Failure;
use anyhow::anyhow;
use inversa::io::overlap::Guard;
use inversa_lab::Outcome;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// The files a command writes into its `--out` folder, checked against its inputs.
pub struct Planned<'a> {
    out: &'a Path,
    names: &'a [&'a str],
}

impl<'a> Planned<'a> {
    /// Checks that the files `names` in `out` (`--out`) overwrite none of `inputs` (each a flag
    /// and the path it gave, if any).
    pub fn check(
        out: &'a Path,
        names: &'a [&'a str],
        inputs: &[(&str, Option<&Path>)],
    ) -> Result<Self, Failure> {
        inputs
            .iter()
            .fold(Guard::new(), |guard, (key, path)| guard.inputs(key, *path))
            .outputs_in("--out", out, names)
            .check()?;
        Ok(Self { out, names })
    }

    /// Writes `metrics.json` (when `with_metrics`) and the outcome's files, each of which must be
    /// one of the files checked.
    pub fn write<R: Serialize>(
        &self,
        outcome: &Outcome<R>,
        with_metrics: bool,
    ) -> Result<Vec<PathBuf>, Failure> {
        let mut names: Vec<&str> = outcome.file_names().collect();
        if with_metrics {
            names.push("metrics.json");
        }
        if let Some(unchecked) = names.iter().find(|n| !self.names.contains(n)) {
            return Err(Failure::Reconstruction(anyhow!(
                "{}: this output was not checked against the inputs, so it is not written",
                self.out.join(unchecked).display()
            )));
        }
        Ok(if with_metrics {
            outcome.write(self.out)?
        } else {
            outcome.write_files(self.out)?
        })
    }
}

/// A model flag's file, unless it names a bundled model (`unet`, `rf`).
pub fn model_file(model: &str) -> Option<&Path> {
    (!matches!(model, "unet" | "rf")).then_some(Path::new(model))
}
